// Helpers shared by the C++ rules of the rule library (BatchNorm folding, fused activations,
// attention): reading constants, fresh names, dropping what a rewrite left unused.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graft/eval.h"
#include "graft/rewrite.h"

namespace graft::library {

inline bool isDefaultDomain(const Node& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

// The producer of v when it is `op` in the default domain, else null.
inline Node* producerIs(const Value* v, const char* op) {
  if (!v) return nullptr;
  Node* p = v->producer();
  return p && p->opType() == op && isDefaultDomain(*p) ? p : nullptr;
}

// Exactly one use, not a graph output: the value can disappear in a fusion.
inline bool singleUse(const Value* v) { return v && v->uses().size() == 1 && !v->isGraphOutput(); }

inline bool isConstantValue(const Value* v) {
  if (!v) return false;
  if (v->initializer()) return true;
  Node* p = v->producer();
  return p && p->opType() == "Constant" && isDefaultDomain(*p) && p->attribute("value");
}

// The constant behind a value: an initializer or a Constant node's `value`.
inline Result<Array> readConstant(const Value* v) {
  if (!v) return Status(ErrorCode::NotFound, "missing input");
  if (v->initializer()) return arrayFromTensor(*v->initializer());
  if (Node* p = v->producer(); p && p->opType() == "Constant" && isDefaultDomain(*p)) {
    if (const auto* a = p->attribute("value"); a && a->has_t()) return arrayFromProto(a->t());
    return Status(ErrorCode::Unsupported, "'" + v->name() + "' is a Constant without a tensor `value`");
  }
  return Status(ErrorCode::InvalidArgument, "'" + v->name() + "' is not a constant");
}

// All elements as doubles; empty when the value is not a readable numeric constant.
inline std::vector<double> constantDoubles(const Value* v) {
  auto a = readConstant(v);
  if (!a) return {};
  auto d = arrayToDoubles(a.value());
  return d ? std::move(d.value()) : std::vector<double>{};
}

// The single number a constant holds (any shape with one element).
inline bool scalarOf(const Value* v, double& out) {
  if (!isConstantValue(v)) return false;
  auto d = constantDoubles(v);
  if (d.size() != 1) return false;
  out = d[0];
  return true;
}

// Dims of a constant, without reading its data.
inline std::vector<std::int64_t> constantDims(const Value* v) {
  if (!v) return {};
  if (v->initializer()) return v->initializer()->dims();
  if (Node* p = v->producer(); p && p->opType() == "Constant")
    if (const auto* a = p->attribute("value"); a && a->has_t()) return {a->t().dims().begin(), a->t().dims().end()};
  return {};
}

inline std::vector<std::int64_t> intsAttr(const Node& n, const char* name) {
  const auto* a = n.attribute(name);
  if (!a) return {};
  return {a->ints().begin(), a->ints().end()};
}

// A name not used in the graph's scope, derived from `base`.
inline std::string freshName(const Graph& g, const std::string& base) {
  if (!g.resolveValue(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!g.resolveValue(n)) return n;
  }
}

// The value a rewrite replaces keeps its name on the new producer (graph outputs and readers of the
// saved file see the same name): rename the old value out of the way and return the name to reuse.
inline Result<std::string> takeName(Graph& g, Value* v) {
  std::string keep = v->name();
  if (auto st = g.renameValue(v, freshName(g, keep + "__graft_replaced")); !st) return st;
  return keep;
}

// Drops a renamed-away value (by its new name) once nothing produces or reads it.
inline void dropDangling(Graph& g, const std::string& name) {
  Value* v = g.findValue(name);
  if (v && !v->producer() && v->uses().empty() && !v->isGraphOutput() && !v->isGraphInput() && !v->initializer())
    (void)g.removeValue(v);
}

// Removes v's producer chain (and initializers) as far as nothing else reads it: what a fusion
// leaves behind (weights it replaced, a mask computation all attention layers stopped using).
inline void dropIfUnused(Graph& g, Value* v, int depth = 0) {
  if (!v || depth > 16 || !v->uses().empty() || v->isGraphOutput() || v->isGraphInput()) return;
  if (v->initializer()) {
    if (&v->graph() == &g) {
      (void)g.removeInitializer(v);
      (void)g.removeValue(v);
    }
    return;
  }
  Node* p = v->producer();
  if (!p || &p->graph() != &g || !p->subgraphs().empty()) return;
  for (Value* o : p->outputs())
    if (o && (!o->uses().empty() || o->isGraphOutput())) return;
  std::vector<Value*> ins = p->inputs();
  g.eraseNode(p);
  for (Value* in : ins) dropIfUnused(g, in, depth + 1);
}

// Makes sure the model imports `domain` (version 1), which nodes of that domain need.
inline void ensureDomain(Graph& g, const std::string& domain) {
  // Through the model, not its shell: the import is journaled, so undoing (or cancelling) the
  // rewrite removes it again.
  if (g.model().opsetVersion(domain) < 0) g.model().setOpsetImport(domain, 1);
}

inline onnx::AttributeProto intAttr(const std::string& name, std::int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}
inline onnx::AttributeProto floatAttr(const std::string& name, float v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
  return a;
}
inline onnx::AttributeProto floatsAttr(const std::string& name, const std::vector<float>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOATS);
  for (float f : v) a.add_floats(f);
  return a;
}
inline onnx::AttributeProto stringAttr(const std::string& name, const std::string& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
  return a;
}

// A near miss in the shape the studio and `match --explain` show.
inline NearMiss nearMiss(const std::string& rule, const Node* root, std::vector<NodeId> partial, int depth,
                         const std::string& reason) {
  NearMiss m;
  m.rule = rule;
  m.root = root->id();
  m.rootName = MatchContext::label(root);
  m.partial = std::move(partial);
  m.depth = depth;
  m.reason = reason;
  return m;
}

// A match of a C++ rule over `nodes` (all it removes or rewrites), found from `root` and ordered by
// the root's topological position like every other match.
inline Match ruleMatch(const Rule& rule, const MatchContext& ctx, std::vector<Node*> nodes, Node* root, std::string becomes,
                       int nodeDelta, std::shared_ptr<void> payload = nullptr) {
  Match m;
  m.rule = rule.name();
  m.benefit = rule.benefit();
  for (Node* n : nodes) m.nodeIds.push_back(n->id());
  m.nodes = std::move(nodes);
  m.root = root;
  m.order = ctx.position(root);
  m.becomes = std::move(becomes);
  m.nodeDelta = nodeDelta;
  m.payload = std::move(payload);
  return m;
}

// Base for the library's C++ rules: name, description, benefit and backends as data.
class LibraryRule : public Rule {
 public:
  LibraryRule(std::string name, std::string description, int benefit)
      : name_(std::move(name)), description_(std::move(description)), benefit_(benefit) {}
  const std::string& name() const override { return name_; }
  const std::string& description() const override { return description_; }
  int benefit() const override { return benefit_; }
  const std::vector<std::string>& backends() const override { return backends_; }

 protected:
  std::string name_, description_;
  int benefit_;
  std::vector<std::string> backends_{"*"};
};

// Registration functions of the library's C++ rules (engine/src/rewrite/registry.cpp calls them).
void registerBatchNormFoldRules(RuleRegistry& registry);
void registerFusedActivationRules(RuleRegistry& registry);
void registerAttentionRules(RuleRegistry& registry);
// ONNX Runtime's default-domain contrib schema SimplifiedLayerNormalization (since version 1), so the
// checker accepts ORT's RMSNorm. Idempotent.
void registerOrtContribSchemas();
// All of the above.
void registerLibraryRules(RuleRegistry& registry);

}  // namespace graft::library
