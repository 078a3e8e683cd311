// C++ rules of the library that need weight arithmetic: BatchNormalization (inference form)
// folded into the Conv, ConvTranspose or Gemm that feeds it. A rule file cannot say these
// because the replacement's weights are computed from four constant tensors.
//
// Folding: y = (x - mean) * s + beta with s = scale / sqrt(var + eps), per channel c.
// x = W*a + b, so y = (W*s)*a + ((b - mean)*s + beta): scale the weights of output channel c
// by s[c] and replace the bias. ONNX Runtime does the same at its basic level
// (onnxruntime/core/optimizer/conv_bn_fusion.cc, matmul_bn_fusion.cc).

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "graft/eval.h"
#include "graft/rewrite.h"
#include "rewrite/library_util.h"

namespace graft::library {
namespace {

constexpr std::int32_t kFloat = onnx::TensorProto_DataType_FLOAT;

bool isFloatType(std::int32_t dt) {
  return dt == onnx::TensorProto_DataType_FLOAT || dt == onnx::TensorProto_DataType_DOUBLE ||
         dt == onnx::TensorProto_DataType_FLOAT16 || dt == onnx::TensorProto_DataType_BFLOAT16;
}

std::vector<double> toDoubles(const Array& a) {
  auto d = arrayToDoubles(a);
  return d ? std::move(d.value()) : std::vector<double>{};
}

// Builds a tensor of dtype `dtype` from doubles, named `name`.
Result<onnx::TensorProto> makeTensor(const std::vector<double>& values, std::vector<std::int64_t> shape,
                                     std::int32_t dtype, const std::string& name) {
  if (dtype == onnx::TensorProto_DataType_DOUBLE) {
    Array d(onnx::TensorProto_DataType_DOUBLE, std::move(shape));
    for (std::size_t i = 0; i < values.size(); ++i) d.data<double>()[i] = values[i];
    return arrayToProto(d, name);
  }
  Array f(kFloat, std::move(shape));
  for (std::size_t i = 0; i < values.size(); ++i) f.data<float>()[i] = static_cast<float>(values[i]);
  if (dtype == kFloat) return arrayToProto(f, name);
  auto c = castArray(f, dtype);
  if (!c) return c.status();
  return arrayToProto(c.value(), name);
}

enum class Producer { Conv, ConvTranspose, Gemm };

const char* producerOp(Producer p) {
  switch (p) {
    case Producer::Conv: return "Conv";
    case Producer::ConvTranspose: return "ConvTranspose";
    case Producer::Gemm: return "Gemm";
  }
  return "";
}

// What the matcher computed, handed to apply().
struct FoldPlan {
  NodeId producer = 0, bn = 0;
};

class FoldBatchNormRule : public LibraryRule {
 public:
  explicit FoldBatchNormRule(Producer p) : LibraryRule("", "", 30), kind_(p) {
    name_ = std::string("fuse.bn_") + (p == Producer::Conv ? "conv" : p == Producer::ConvTranspose ? "convtranspose" : "gemm");
    description_ = std::string("BatchNormalization (inference) after a ") + producerOp(p) +
                   " with constant weights is folded into the " + producerOp(p) +
                   "'s weights and bias: one node less, and no per-channel pass over the activations.";
  }
  std::vector<std::string> rootOps() const override { return {"BatchNormalization"}; }

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* bn : ctx.nodesOf("BatchNormalization")) {
      if (!isDefaultDomain(*bn)) continue;
      Node* prod = bn->input(0) ? bn->input(0)->producer() : nullptr;
      // Only BNs fed by our producer op are ours; the other two rules explain the rest.
      if (!prod || prod->opType() != producerOp(kind_) || !isDefaultDomain(*prod)) continue;
      std::string why = check(ctx, *prod, *bn);
      if (!why.empty()) {
        if (misses)
          misses->push_back(nearMiss(name_, bn, {prod->id(), bn->id()}, 1,
                                     std::string(producerOp(kind_)) + "+BatchNormalization at " +
                                         MatchContext::label(bn) + ": " + why));
        continue;
      }
      auto plan = std::make_shared<FoldPlan>();
      plan->producer = prod->id();
      plan->bn = bn->id();
      Match m = ruleMatch(*this, ctx, {prod, bn}, bn, producerOp(kind_), -1, plan);
      m.values["x"] = prod->input(0);
      m.values["y"] = bn->output(0);
      out.push_back(std::move(m));
    }
  }

  Status apply(Graph& graph, const Match& match, RewriteContext& rctx) const override {
    auto plan = std::static_pointer_cast<FoldPlan>(match.payload);
    Node* prod = plan ? graph.findNode(plan->producer) : nullptr;
    Node* bn = plan ? graph.findNode(plan->bn) : nullptr;
    if (!prod || !bn) return Status(ErrorCode::InvalidArgument, name_ + ": the matched nodes are gone (stale match)");

    // Per-channel factor s and shift t: y = x*s + t.
    auto scale = readConstant(bn->input(1)), beta = readConstant(bn->input(2)),
         mean = readConstant(bn->input(3)), var = readConstant(bn->input(4));
    for (auto* r : {&scale, &beta, &mean, &var})
      if (!*r) return r->status();
    double eps = 1e-5;
    if (const auto* a = bn->attribute("epsilon")) eps = a->f();
    auto s = toDoubles(scale.value()), b = toDoubles(beta.value()), mu = toDoubles(mean.value()), v = toDoubles(var.value());
    const std::size_t C = s.size();
    if (b.size() != C || mu.size() != C || v.size() != C)
      return Status(ErrorCode::Invalid, name_ + ": BatchNormalization " + MatchContext::label(bn) + " has parameters of different lengths");
    std::vector<double> factor(C), shift(C);
    for (std::size_t c = 0; c < C; ++c) {
      factor[c] = s[c] / std::sqrt(v[c] + eps);
      shift[c] = b[c] - mu[c] * factor[c];
    }

    Value* wv = prod->input(1);
    auto w = readConstant(wv);
    if (!w) return w.status();
    const std::int32_t dtype = w.value().dtype();
    auto wd = toDoubles(w.value());
    const auto& wshape = w.value().shape();

    // Existing bias (folded through the BN too) and the new bias, per output channel.
    std::vector<double> bias(C, 0.0);
    Value* bv = prod->input(2);
    double gemmBeta = 1.0;
    if (kind_ == Producer::Gemm)
      if (const auto* a = prod->attribute("beta")) gemmBeta = a->f();
    if (bv) {
      auto bt = readConstant(bv);
      if (!bt) return bt.status();
      auto bd = toDoubles(bt.value());
      if (bd.size() == C) {
        for (std::size_t c = 0; c < C; ++c) bias[c] = bd[c] * gemmBeta;
      } else if (bd.size() == 1) {
        for (std::size_t c = 0; c < C; ++c) bias[c] = bd[0] * gemmBeta;
      } else {
        return Status(ErrorCode::Unsupported, name_ + ": bias of " + MatchContext::label(prod) + " is not per channel");
      }
    }
    for (std::size_t c = 0; c < C; ++c) bias[c] = bias[c] * factor[c] + shift[c];

    // Scale the weights of each output channel.
    std::vector<double> wn = wd;
    if (kind_ == Producer::Conv) {
      // W: [C_out, C_in/group, k...]
      std::size_t per = wd.size() / C;
      for (std::size_t i = 0; i < wd.size(); ++i) wn[i] = wd[i] * factor[i / per];
    } else if (kind_ == Producer::ConvTranspose) {
      // W: [C_in, C_out/group, k...]; output channel = g*(C_out/group) + j for input channel i in group g.
      std::int64_t group = 1;
      if (const auto* a = prod->attribute("group")) group = a->i();
      const std::int64_t cin = wshape[0], coutg = wshape[1];
      std::size_t kernel = 1;
      for (std::size_t d = 2; d < wshape.size(); ++d) kernel *= static_cast<std::size_t>(wshape[d]);
      const std::int64_t cinPerGroup = cin / group;
      for (std::int64_t i = 0; i < cin; ++i)
        for (std::int64_t j = 0; j < coutg; ++j) {
          std::size_t oc = static_cast<std::size_t>((i / cinPerGroup) * coutg + j);
          std::size_t base = static_cast<std::size_t>(i * coutg + j) * kernel;
          for (std::size_t k = 0; k < kernel; ++k) wn[base + k] = wd[base + k] * factor[oc];
        }
    } else {
      // Gemm: B is [K, N] (or [N, K] with transB); output column n gets factor[n].
      bool transB = false;
      if (const auto* a = prod->attribute("transB")) transB = a->i() != 0;
      const std::int64_t rows = wshape[0], cols = wshape[1];
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
          std::size_t n = static_cast<std::size_t>(transB ? r : c);
          wn[static_cast<std::size_t>(r * cols + c)] = wd[static_cast<std::size_t>(r * cols + c)] * factor[n];
        }
    }

    auto wt = makeTensor(wn, wshape, dtype, freshName(graph, wv->name() + "_bnfolded"));
    if (!wt) return wt.status();
    auto bt = makeTensor(bias, {static_cast<std::int64_t>(C)}, dtype,
                         freshName(graph, (bv ? bv->name() : prod->name() + ".bias") + "_bnfolded"));
    if (!bt) return bt.status();
    auto wNew = graph.addInitializer(std::move(wt.value()));
    if (!wNew) return wNew.status();
    auto bNew = graph.addInitializer(std::move(bt.value()));
    if (!bNew) return bNew.status();

    Graph::NewNode spec;
    spec.opType = producerOp(kind_);
    spec.domain = prod->domain();
    spec.inputs = {prod->input(0), wNew.value(), bNew.value()};
    Value* oldOut = bn->output(0);
    auto outName = takeName(graph, oldOut);
    if (!outName) return outName.status();
    const std::string replacedName = oldOut->name();
    spec.outputNames = {*outName};
    for (const auto& a : prod->proto().attribute()) {
      if (kind_ == Producer::Gemm && a.name() == "beta") continue;  // folded into the bias
      spec.attributes.push_back(a);
    }
    spec.docString = prod->proto().doc_string();
    auto node = rctx.addNode(graph, std::move(spec), prod);
    if (!node) return node.status();

    graph.replaceAllUses(oldOut, node.value()->output(0));
    Value* oldW = wv;
    Value* oldB = bv;
    std::vector<Value*> bnParams = {bn->input(1), bn->input(2), bn->input(3), bn->input(4)};
    graph.eraseNode(bn);
    graph.eraseNode(prod);
    dropIfUnused(graph, oldW);
    dropIfUnused(graph, oldB);
    for (Value* p : bnParams) dropIfUnused(graph, p);
    dropDangling(graph, replacedName);
    return Status::ok();
  }

 private:
  // Empty when the pair can be folded; the reason otherwise.
  std::string check(const MatchContext& ctx, const Node& prod, const Node& bn) const {
    (void)ctx;
    const Value* mid = prod.output(0);
    if (mid->uses().size() != 1 || mid->isGraphOutput())
      return std::string("the ") + producerOp(kind_) + " output '" + mid->name() + "' has another consumer";
    if (const auto* a = bn.attribute("training_mode"); a && a->i() != 0)
      return "BatchNormalization is in training mode";
    for (std::size_t i = 1; i < bn.outputs().size(); ++i)
      if (bn.output(i) && !bn.output(i)->uses().empty()) return "the running mean/var outputs are used";
    static const char* names[] = {"", "scale", "B", "mean", "var"};
    for (int i = 1; i <= 4; ++i)
      if (!isConstantValue(bn.input(static_cast<size_t>(i))))
        return std::string("BatchNormalization ") + names[i] + " is not a constant";
    if (!isConstantValue(prod.input(1))) return std::string(producerOp(kind_)) + " weights are not a constant";
    if (prod.input(2) && !isConstantValue(prod.input(2))) return std::string(producerOp(kind_)) + " bias is not a constant";
    const auto* w = prod.input(1)->initializer() ? &prod.input(1)->initializer()->proto() : ctx.constantTensor(prod.input(1));
    if (!w) return "weights unreadable";
    if (!isFloatType(w->data_type())) return "weights are not floating point";
    const auto* sc = bn.input(1)->initializer() ? &bn.input(1)->initializer()->proto() : ctx.constantTensor(bn.input(1));
    std::int64_t channels = sc && sc->dims_size() == 1 ? sc->dims(0) : -1;
    if (kind_ == Producer::Conv) {
      if (w->dims_size() < 3 || w->dims(0) != channels) return "BatchNormalization channels do not match the Conv's output channels";
    } else if (kind_ == Producer::ConvTranspose) {
      std::int64_t group = 1;
      if (const auto* a = prod.attribute("group")) group = a->i();
      if (w->dims_size() < 3 || w->dims(1) * group != channels)
        return "BatchNormalization channels do not match the ConvTranspose's output channels";
    } else {
      if (w->dims_size() != 2) return "Gemm weights are not 2-D";
      bool transB = false;
      if (const auto* a = prod.attribute("transB")) transB = a->i() != 0;
      if ((transB ? w->dims(0) : w->dims(1)) != channels) return "BatchNormalization channels do not match the Gemm's outputs";
      if (prod.input(2)) {
        const auto* c = prod.input(2)->initializer() ? &prod.input(2)->initializer()->proto() : ctx.constantTensor(prod.input(2));
        if (!c || c->dims_size() > 1) return "Gemm bias C is not a vector";
      }
    }
    return {};
  }

  Producer kind_;
};

}  // namespace

void registerBatchNormFoldRules(RuleRegistry& registry) {
  registry.add("fuse.bn_conv", [] { return std::make_shared<FoldBatchNormRule>(Producer::Conv); });
  registry.add("fuse.bn_convtranspose",
               [] { return std::make_shared<FoldBatchNormRule>(Producer::ConvTranspose); });
  registry.add("fuse.bn_gemm", [] { return std::make_shared<FoldBatchNormRule>(Producer::Gemm); });
}

}  // namespace graft::library
