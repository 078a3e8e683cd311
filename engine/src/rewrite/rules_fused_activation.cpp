// Conv/Gemm followed by an activation, fused into ONNX Runtime's com.microsoft FusedConv /
// FusedGemm. Written in C++ because the fused node keeps every attribute of the Conv/Gemm
// (strides, pads, group, transB, ...) whether or not the file spells it, and turns the
// activation's attributes or constant inputs into activation_params / activation_<attr>.
// Semantics follow onnxruntime/core/optimizer/conv_activation_fusion.cc and
// gemm_activation_fusion.cc; the inverse (for portable profiles) splits them again.

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "graft/rewrite.h"
#include "rewrite/library_util.h"

namespace graft::library {
namespace {

// Activations ORT's CPU FusedConv accepts (conv_activation_fusion.cc) and FusedGemm accepts
// (gemm_activation_fusion.cc IsFusableActivation), restricted to ones our evaluator runs.
const std::vector<std::string>& convActivations() {
  static const std::vector<std::string> v = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid"};
  return v;
}
const std::vector<std::string>& gemmActivations() {
  static const std::vector<std::string> v = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "Elu"};
  return v;
}

struct Plan {
  NodeId op = 0, act = 0;
  std::vector<float> params;  // FusedConv activation_params (Clip min/max, LeakyRelu alpha, HardSigmoid alpha/beta)
};

class FuseActivationRule : public LibraryRule {
 public:
  explicit FuseActivationRule(bool gemm)
      : LibraryRule(gemm ? "fuse.gemm_activation" : "fuse.conv_activation",
                    gemm ? "Gemm followed by Relu/LeakyRelu/Sigmoid/Tanh/HardSigmoid/Elu becomes ONNX Runtime's "
                           "com.microsoft FusedGemm: the activation runs on the GEMM's output tile while it is "
                           "still in cache."
                         : "Conv followed by Relu/Clip/LeakyRelu/Sigmoid/Tanh/HardSigmoid becomes ONNX Runtime's "
                           "com.microsoft FusedConv (MLAS applies the activation in the convolution's epilogue).",
                    20),
        gemm_(gemm) {
    backends_ = {"onnxruntime-cpu"};
  }
  std::vector<std::string> rootOps() const override { return gemm_ ? gemmActivations() : convActivations(); }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    const char* opName = gemm_ ? "Gemm" : "Conv";
    for (const auto& actOp : rootOps())
      for (Node* act : ctx.nodesOf(actOp)) {
        if (!isDefaultDomain(*act)) continue;
        Node* op = producerIs(act->input(0), opName);
        if (!op) continue;
        auto fail = [&](const std::string& why) {
          if (misses)
            misses->push_back(nearMiss(name_, act, {op->id(), act->id()}, 1,
                                       std::string(opName) + "+" + actOp + " at " + MatchContext::label(act) + ": " +
                                           why));
        };
        if (!singleUse(op->output(0))) {
          fail("the " + std::string(opName) + " output '" + op->output(0)->name() + "' has another consumer");
          continue;
        }
        auto plan = std::make_shared<Plan>();
        plan->op = op->id();
        plan->act = act->id();
        if (actOp == "Clip") {
          // Clip-11+ takes min/max as inputs: they must be constants (ORT's GetClipConstantMinMax).
          float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
          bool ok = true;
          if (const auto* a = act->attribute("min")) lo = a->f();
          if (const auto* a = act->attribute("max")) hi = a->f();
          double v = 0;
          if (act->input(1)) {
            if (scalarOf(act->input(1), v)) lo = static_cast<float>(v); else ok = false;
          }
          if (act->input(2)) {
            if (scalarOf(act->input(2), v)) hi = static_cast<float>(v); else ok = false;
          }
          if (!ok) {
            fail("Clip min/max are not constants");
            continue;
          }
          plan->params = {lo, hi};
        } else if (actOp == "LeakyRelu") {
          const auto* a = act->attribute("alpha");
          plan->params = {a ? a->f() : 0.01f};
        } else if (actOp == "HardSigmoid") {
          const auto* a = act->attribute("alpha");
          const auto* b = act->attribute("beta");
          plan->params = {a ? a->f() : 0.2f, b ? b->f() : 0.5f};
        }
        Match m = ruleMatch(*this, ctx, {op, act}, act, gemm_ ? "com.microsoft:FusedGemm" : "com.microsoft:FusedConv", -1, plan);
        m.values["x"] = op->input(0);
        m.values["y"] = act->output(0);
        out.push_back(std::move(m));
      }
  }

  Status apply(Graph& graph, const Match& match, RewriteContext& rctx) const override {
    auto plan = std::static_pointer_cast<Plan>(match.payload);
    Node* op = plan ? graph.findNode(plan->op) : nullptr;
    Node* act = plan ? graph.findNode(plan->act) : nullptr;
    if (!op || !act) return Status(ErrorCode::InvalidArgument, name_ + ": the matched nodes are gone (stale match)");
    Graph::NewNode spec;
    spec.opType = gemm_ ? "FusedGemm" : "FusedConv";
    spec.domain = "com.microsoft";
    spec.inputs = op->inputs();
    Value* oldOut = act->output(0);
    auto outName = takeName(graph, oldOut);
    if (!outName) return outName.status();
    const std::string replacedName = oldOut->name();
    spec.outputNames = {*outName};
    for (const auto& a : op->proto().attribute()) spec.attributes.push_back(a);
    spec.attributes.push_back(stringAttr("activation", act->opType()));
    if (gemm_) {
      // FusedGemm names the activation's own attributes activation_<name>.
      for (const auto& a : act->proto().attribute()) {
        onnx::AttributeProto c = a;
        c.set_name("activation_" + a.name());
        spec.attributes.push_back(c);
      }
    } else if (!plan->params.empty()) {
      spec.attributes.push_back(floatsAttr("activation_params", plan->params));
    }
    ensureDomain(graph, "com.microsoft");
    auto node = rctx.addNode(graph, std::move(spec), op);
    if (!node) return node.status();
    graph.replaceAllUses(oldOut, node.value()->output(0));
    std::vector<Value*> actInputs(act->inputs().begin() + 1, act->inputs().end());
    graph.eraseNode(act);
    graph.eraseNode(op);
    for (Value* v : actInputs) dropIfUnused(graph, v);
    dropDangling(graph, replacedName);
    return Status::ok();
  }

  Result<std::shared_ptr<const Rule>> inverse() const override;

 private:
  bool gemm_;
};

// The inverse: FusedConv/FusedGemm back to the standard op + its activation, for runtimes
// without ONNX Runtime's contrib ops.
class SplitFusedActivationRule : public LibraryRule {
 public:
  explicit SplitFusedActivationRule(bool gemm)
      : LibraryRule(gemm ? "split.fusedgemm" : "split.fusedconv",
                    gemm ? "com.microsoft FusedGemm back to Gemm + activation (standard ONNX)"
                         : "com.microsoft FusedConv back to Conv + activation (standard ONNX)",
                    20),
        gemm_(gemm) {}
  std::vector<std::string> rootOps() const override { return {gemm_ ? "FusedGemm" : "FusedConv"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* n : ctx.nodesOf(rootOps()[0])) {
      if (n->domain() != "com.microsoft") continue;
      const auto* a = n->attribute("activation");
      std::string act = a ? a->s() : "";
      const auto& allowed = gemm_ ? gemmActivations() : convActivations();
      if (std::find(allowed.begin(), allowed.end(), act) == allowed.end()) {
        if (misses) misses->push_back(nearMiss(name_, n, {n->id()}, 1, "activation '" + act + "' is not one this rule splits"));
        continue;
      }
      if (!gemm_ && n->input(3)) {
        if (misses) misses->push_back(nearMiss(name_, n, {n->id()}, 1, "FusedConv with a Z (sum) input has no standard form here"));
        continue;
      }
      out.push_back(ruleMatch(*this, ctx, {n}, n, std::string(gemm_ ? "Gemm" : "Conv") + " + " + act, 1));
    }
  }

  Status apply(Graph& graph, const Match& match, RewriteContext& rctx) const override {
    Node* n = match.nodeIds.empty() ? nullptr : graph.findNode(match.nodeIds[0]);
    if (!n) return Status(ErrorCode::InvalidArgument, name_ + ": the matched node is gone (stale match)");
    const std::string act = n->attribute("activation")->s();
    Graph::NewNode base;
    base.opType = gemm_ ? "Gemm" : "Conv";
    base.inputs = n->inputs();
    if (!gemm_ && base.inputs.size() > 3) base.inputs.resize(3);
    base.outputNames = {freshName(graph, n->output(0)->name() + "_pre")};  // before the rename below
    std::vector<onnx::AttributeProto> actAttrs;
    std::vector<float> params;
    for (const auto& a : n->proto().attribute()) {
      if (a.name() == "activation") continue;
      if (a.name() == "activation_params") {
        params.assign(a.floats().begin(), a.floats().end());
        continue;
      }
      if (a.name().rfind("activation_", 0) == 0) {
        onnx::AttributeProto c = a;
        c.set_name(a.name().substr(11));
        actAttrs.push_back(c);
        continue;
      }
      base.attributes.push_back(a);
    }
    auto b = rctx.addNode(graph, std::move(base), n);
    if (!b) return b.status();
    Graph::NewNode an;
    an.opType = act;
    an.inputs = {b.value()->output(0)};
    Value* oldOut = n->output(0);
    auto outName = takeName(graph, oldOut);
    if (!outName) return outName.status();
    const std::string replacedName = oldOut->name();
    an.outputNames = {*outName};
    if (act == "LeakyRelu" && !params.empty()) actAttrs.push_back(floatAttr("alpha", params[0]));
    if (act == "HardSigmoid" && params.size() == 2) {
      actAttrs.push_back(floatAttr("alpha", params[0]));
      actAttrs.push_back(floatAttr("beta", params[1]));
    }
    an.attributes = actAttrs;
    if (act == "Clip" && params.size() == 2) {
      // Clip-11+ takes min and max as inputs.
      for (int k = 0; k < 2; ++k) {
        onnx::TensorProto t;
        t.set_name(freshName(graph, n->output(0)->name() + (k ? "_clip_max" : "_clip_min")));
        t.set_data_type(onnx::TensorProto_DataType_FLOAT);
        t.add_float_data(params[static_cast<size_t>(k)]);
        auto v = graph.addInitializer(t);
        if (!v) return v.status();
        an.inputs.push_back(v.value());
      }
    }
    auto a = rctx.addNode(graph, std::move(an), n);
    if (!a) return a.status();
    graph.replaceAllUses(oldOut, a.value()->output(0));
    graph.eraseNode(n);
    dropDangling(graph, replacedName);
    return Status::ok();
  }

 private:
  bool gemm_;
};

Result<std::shared_ptr<const Rule>> FuseActivationRule::inverse() const {
  return std::shared_ptr<const Rule>(std::make_shared<SplitFusedActivationRule>(gemm_));
}

}  // namespace

void registerFusedActivationRules(RuleRegistry& registry) {
  registry.add("fuse.conv_activation", [] { return std::make_shared<FuseActivationRule>(false); });
  registry.add("fuse.gemm_activation", [] { return std::make_shared<FuseActivationRule>(true); });
  registry.add("split.fusedconv", [] { return std::make_shared<SplitFusedActivationRule>(false); });
  registry.add("split.fusedgemm", [] { return std::make_shared<SplitFusedActivationRule>(true); });
}

}  // namespace graft::library
