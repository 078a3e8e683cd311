// Constant folding: nodes whose inputs are all known before the model runs are computed once
// and replaced by initializers of the same names, within a size cap.
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "eval/kernel.h"
#include "graft/analysis.h"

namespace graft {

using namespace graft::eval;

namespace {

// Ops whose result differs between runs; never folded even with constant inputs.
bool isNondeterministic(const std::string& op) {
  return op.rfind("Random", 0) == 0 || op == "Bernoulli" || op == "Multinomial";
}

std::string nodeLabel(const Node& n) {
  if (!n.name().empty()) return n.name();
  return n.outputs().empty() || !n.outputs()[0] ? "<unnamed " + n.opType() + ">" : "<" + n.opType() + " producing '" + n.outputs()[0]->name() + "'>";
}

}  // namespace

Result<FoldReport> foldConstants(Model& model, const FoldOptions& options) {
  FoldReport report;
  Graph& g = model.graph();
  auto order = g.topologicalOrder();
  if (!order) return order.status();

  // Static shapes (declared or inferred) let Shape fold without the tensor.
  std::unordered_map<std::string, onnx::TypeProto> types;
  if (auto inf = inferShapes(model); inf) types = std::move(inf.value().types);
  auto staticDims = [&](const Value* v) -> std::optional<std::vector<std::int64_t>> {
    if (const auto* t = v->declaredType())
      if (auto s = staticShape(*t)) return s;
    auto it = types.find(v->name());
    if (it != types.end()) return staticShape(it->second);
    return std::nullopt;
  };

  std::unordered_map<const Value*, Array> known;
  auto constantValue = [&](const Value* v) -> std::optional<Array> {
    auto it = known.find(v);
    if (it != known.end()) return it->second;
    if (v->isGraphInput()) return std::nullopt;  // an initializer that is also an input can be overridden
    if (v->initializer()) {
      auto a = arrayFromTensor(*v->initializer());
      if (!a) return std::nullopt;
      known[v] = a.value();
      return a.value();
    }
    return std::nullopt;
  };

  struct Pending {
    Node* node;
    std::vector<Array> outputs;
  };
  std::vector<Pending> toFold;
  std::size_t n = order.value().size(), i = 0;
  for (Node* node : order.value()) {
    if (!reportProgress(options.progress, static_cast<double>(i++) / static_cast<double>(n), "folding constants"))
      return Status(ErrorCode::Cancelled, "constant folding cancelled");
    if (!node->subgraphs().empty() || isNondeterministic(node->opType())) continue;
    std::vector<Array> outputs;
    if (node->opType() == "Shape" && (node->domain().empty() || node->domain() == "ai.onnx") && node->input(0)) {
      auto dims = staticDims(node->input(0));
      if (!dims) continue;
      // Shape needs only the dims, never the tensor.
      std::vector<std::int64_t> d = *dims;
      std::int64_t rank = static_cast<std::int64_t>(d.size());
      const auto* sa = node->attribute("start");
      const auto* ea = node->attribute("end");
      std::int64_t st = sa ? sa->i() : 0, en = ea ? ea->i() : rank;
      if (st < 0) st += rank;
      if (en < 0) en += rank;
      st = std::clamp<std::int64_t>(st, 0, rank);
      en = std::clamp<std::int64_t>(en, 0, rank);
      Array out = Array::uninitialized(kInt64, {std::max<std::int64_t>(0, en - st)});
      for (std::int64_t k = st; k < en; ++k) out.data<std::int64_t>()[k - st] = d[static_cast<std::size_t>(k)];
      outputs.push_back(out);
    } else {
      if (node->opType() == "Constant" && (node->domain().empty() || node->domain() == "ai.onnx")) {
        // Constants are already constant; record their value for consumers, keep the node.
        auto r = runSingleNode(*node, {}, options.maxStepsPerNode);
        if (r && node->output(0)) known[node->output(0)] = r.value()[0];
        continue;
      }
      std::vector<Array> inputs;
      bool all = true;
      for (const Value* v : node->inputs()) {
        if (!v) {
          inputs.emplace_back();
          continue;
        }
        auto c = constantValue(v);
        if (!c) {
          all = false;
          break;
        }
        inputs.push_back(*c);
      }
      if (!all) continue;
      if (!isOpSupported(node->opType(), node->domain())) {
        report.refused.push_back({nodeLabel(*node), node->opType(), "the evaluator has no kernel for this op"});
        continue;
      }
      auto r = runSingleNode(*node, inputs, options.maxStepsPerNode);
      if (!r) {
        report.refused.push_back({nodeLabel(*node), node->opType(), r.message()});
        continue;
      }
      outputs = std::move(r.value());
    }
    std::uint64_t biggest = 0;
    for (const auto& a : outputs) biggest = std::max<std::uint64_t>(biggest, a.bytes());
    if (biggest > options.maxBytes) {
      report.refused.push_back({nodeLabel(*node), node->opType(),
                                "result of " + std::to_string(biggest) + " bytes is above the folding cap of " +
                                    std::to_string(options.maxBytes) + " bytes"});
      continue;
    }
    for (std::size_t k = 0; k < outputs.size(); ++k)
      if (node->output(k)) known[node->output(k)] = outputs[k];
    toFold.push_back({node, std::move(outputs)});
  }

  // Rewrite: each folded output becomes an initializer of the same name; consumers and graph
  // outputs read it instead, then the node goes.
  for (auto& p : toFold) {
    Node* node = p.node;
    FoldReport::Folded f{nodeLabel(*node), node->opType(), {}};
    for (std::size_t k = 0; k < node->outputs().size(); ++k) {
      Value* v = node->outputs()[k];
      if (!v) continue;
      std::string name = v->name();
      if (auto s = g.renameValue(v, name + "__graft_folding"); !s) return s;
      auto init = g.addInitializer(arrayToProto(p.outputs[k], name));
      if (!init) return init.status();
      g.replaceAllUses(v, init.value());
      f.outputs.push_back(name);
    }
    if (auto s = g.removeNode(node); !s) return s;
    report.folded.push_back(std::move(f));
  }

  // What only the folded nodes read is dead now: unused Constant nodes and initializers.
  if (!report.folded.empty()) {
    bool changed = true;
    while (changed) {
      changed = false;
      for (Node* node : g.nodes()) {
        if (node->opType() != "Constant") continue;
        bool used = false;
        for (const Value* v : node->outputs())
          if (v && (!v->uses().empty() || v->isGraphOutput())) used = true;
        if (!used && g.removeNode(node)) changed = true;
      }
    }
    std::vector<Value*> dead;
    for (Value* v : g.initializers())
      if (v->uses().empty() && !v->isGraphOutput() && !v->isGraphInput()) dead.push_back(v);
    for (Value* v : dead) {
      if (auto s = g.removeInitializer(v); !s) return s;
      (void)g.removeValue(v);
    }
  }
  spdlog::debug("constant folding: {} nodes folded, {} refused", report.folded.size(), report.refused.size());
  return report;
}

}  // namespace graft
