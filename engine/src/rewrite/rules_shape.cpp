// Cleanup rules for what exporters repeat and recompute: common subexpressions (the same Shape,
// Gather, Unsqueeze, Concat ... on the same values, many times over), Constant nodes that are
// weights in disguise, and shape computations whose result is known but for a dim Reshape can
// copy (0) or infer (-1) by itself. ONNX Runtime's basic level does the first two
// (CommonSubexpressionElimination, constant nodes into initializers); the last goes beyond it:
// with symbolic batch/sequence dims it keeps whole Shape -> Gather -> Unsqueeze -> Concat chains.
#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "rewrite/declared.h"
#include "rewrite/registrars.h"

namespace graft {

namespace {

using detail::attributeOf;
using detail::constantArray;

bool inDefaultDomain(const Node& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

bool deterministicOp(const Node& n) {
  const std::string& op = n.opType();
  return op.rfind("Random", 0) != 0 && op != "Bernoulli" && op != "Multinomial";
}

// Replaces every use of `from` by `to` and removes `node` (whose outputs are all bypassed).
Status dropBypassed(Graph& g, Node* node) {
  std::vector<std::string> outs;
  for (const Value* v : node->outputs())
    if (v) outs.push_back(v->name());
  if (auto st = g.removeNode(node); !st) return st;
  for (const auto& name : outs)
    if (Value* v = g.findValue(name); v && !v->producer() && v->uses().empty() && !v->isGraphOutput() &&
                                      !v->isGraphInput() && !v->isInitializer())
      (void)g.removeValue(v);
  return Status::ok();
}

// Before IR version 4 every initializer must also be a graph input (so the user could override
// it): the rules that add initializers leave such models alone.
bool newInitializersAllowed(const MatchContext& ctx) { return ctx.graph().model().shell().ir_version() >= 4; }

// ----------------------------------------------------------------------------- CSE

// Two nodes of the same op, domain and attributes reading the same values compute the same:
// the later one's readers read the earlier one's outputs. Found in one pass in topological
// order, with the inputs taken through what is already merged, so a whole repeated chain
// (Shape -> Gather -> Unsqueeze -> Concat) merges in one round.
class CommonSubexpressions : public CppRule {
 public:
  CommonSubexpressions()
      : CppRule("cleanup.cse", "The same op on the same inputs with the same attributes is computed once", 3, {}) {}

  struct Payload {
    std::vector<Value*> originals;  // per output of the duplicate
  };

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    std::unordered_map<const Value*, Value*> canonical;  // a duplicate's output -> the original's
    std::unordered_map<std::string, Node*> seen;
    auto canon = [&](Value* v) -> Value* {
      auto it = canonical.find(v);
      return it == canonical.end() ? v : it->second;
    };
    for (Node* n : ctx.topoOrder()) {
      // Constants are shared by cleanup.duplicate_initializers; nodes with subgraphs, random
      // ops and nodes without outputs are never merged.
      if (n->opType() == "Constant" || !n->subgraphs().empty() || !deterministicOp(*n) || n->outputs().empty())
        continue;
      std::string key = n->domain() + "\x1f" + n->opType() + "\x1f";
      for (Value* v : n->inputs()) key += (v ? std::to_string(canon(v)->id()) : std::string("-")) + ",";
      key += "\x1f";
      for (const Value* v : n->outputs()) key += v ? "o" : "-";
      key += "\x1f";
      std::vector<const onnx::AttributeProto*> attrs;
      for (const auto& a : n->proto().attribute()) attrs.push_back(&a);
      std::sort(attrs.begin(), attrs.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
      for (const auto* a : attrs) key += a->SerializeAsString() + "\x1e";
      auto [it, fresh] = seen.emplace(std::move(key), n);
      if (fresh) continue;
      Node* first = it->second;
      // A graph output keeps its producer: both being graph outputs, nothing is merged.
      bool ok = true;
      auto payload = std::make_shared<Payload>();
      for (size_t k = 0; k < n->outputs().size(); ++k) {
        Value* dup = n->output(k);
        Value* orig = first->output(k);
        if (dup && (!orig || (dup->isGraphOutput() && orig->isGraphOutput()))) ok = false;
        payload->originals.push_back(orig);
      }
      if (!ok) continue;
      for (size_t k = 0; k < n->outputs().size(); ++k)
        if (n->output(k)) canonical[n->output(k)] = first->output(k);
      Match m = makeMatch(ctx, {n}, "shared with " + MatchContext::label(first), -1);
      m.payload = payload;
      out.push_back(std::move(m));
    }
  }

  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Node* dup = m.nodes[0];
    auto payload = std::static_pointer_cast<Payload>(m.payload);
    for (size_t k = 0; k < dup->outputs().size() && k < payload->originals.size(); ++k) {
      Value* from = dup->output(k);
      Value* to = payload->originals[k];
      if (!from) continue;
      // The original must still be there (an earlier rewrite of this round may have removed it).
      if (!to || g.findValue(to->name()) != to) return Status::ok();
      if (from->isGraphOutput()) {
        // The graph output keeps its name: the original takes it, its readers follow.
        if (to->isGraphOutput() || to->isGraphInput() || to->isInitializer() || !to->producer()) return Status::ok();
        std::string keep = from->name();
        if (auto st = g.renameValue(from, keep + "__graft_cse"); !st) return st;
        g.replaceAllUses(from, to);
        if (auto st = g.renameValue(to, keep); !st) return st;
      } else {
        g.replaceAllUses(from, to);
      }
    }
    return dropBypassed(g, dup);
  }
};

// ----------------------------------------------------------------------------- Constant nodes

// The tensor a Constant node holds, whichever attribute it uses; nullopt for sparse ones.
std::optional<onnx::TensorProto> constantNodeTensor(const Node& n) {
  for (const auto& a : n.proto().attribute()) {
    onnx::TensorProto t;
    if (a.name() == "value" && a.has_t()) return a.t();
    if (a.name() == "value_float") {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_float_data(a.f());
      return t;
    }
    if (a.name() == "value_int") {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_int64_data(a.i());
      return t;
    }
    if (a.name() == "value_floats") {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_dims(a.floats_size());
      for (float f : a.floats()) t.add_float_data(f);
      return t;
    }
    if (a.name() == "value_ints") {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_dims(a.ints_size());
      for (auto i : a.ints()) t.add_int64_data(i);
      return t;
    }
  }
  return std::nullopt;
}

// A Constant node is a weight stored in a node: as an initializer it costs no node (ONNX
// Runtime's loader does the same).
class ConstantNodes : public CppRule {
 public:
  ConstantNodes() : CppRule("cleanup.constant_nodes", "Constant nodes become initializers", 2, {"Constant"}) {}
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    if (!newInitializersAllowed(ctx)) return;
    for (Node* n : ctx.nodesOf("Constant")) {
      if (!inDefaultDomain(*n) || &n->graph() != &ctx.graph() || n->outputs().size() != 1 || !n->output(0)) continue;
      if (n->output(0)->isGraphOutput() || !constantNodeTensor(*n)) continue;
      out.push_back(makeMatch(ctx, {n}, "initializer", -1));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Node* n = m.nodes[0];
    auto t = constantNodeTensor(*n);
    Value* v = n->output(0);
    if (!t || !v) return Status::ok();
    std::string keep = v->name();
    if (auto st = g.renameValue(v, keep + "__graft_constant"); !st) return st;
    t->set_name(keep);
    t->clear_doc_string();
    auto init = g.addInitializer(std::move(*t));
    if (!init) return init.status();
    g.replaceAllUses(v, *init);
    return dropBypassed(g, n);
  }
};

// ----------------------------------------------------------------------------- shape elements

// What is known about one element of a small int64 vector computed from shapes.
struct Elem {
  enum class Kind { Const, Dim, Unknown } kind = Kind::Unknown;
  std::int64_t value = 0;        // Const
  const Value* tensor = nullptr;  // Dim: dim `axis` of `tensor`
  std::int64_t axis = 0;
  std::string param;             // Dim: its symbolic name, if inference gave one
};

struct Elems {
  std::vector<Elem> e;
  bool scalar = false;
};

class ShapeTracer {
 public:
  explicit ShapeTracer(const MatchContext& ctx) : ctx_(ctx) {}

  std::optional<Elems> trace(const Value* v, int depth = 0) {
    if (!v || depth > 24) return std::nullopt;
    if (auto it = memo_.find(v); it != memo_.end()) return it->second;
    auto r = compute(v, depth);
    if (!r) r = ofKnownLength(v);
    memo_[v] = r;
    return r;
  }

  const onnx::TypeProto* type(const Value* v) const { return ctx_.type(v); }

 private:
  std::optional<std::vector<std::int64_t>> constInts(const Value* v) const {
    auto a = constantArray(v);
    if (!a) return std::nullopt;
    if (a->dtype() != onnx::TensorProto::INT64 && a->dtype() != onnx::TensorProto::INT32) return std::nullopt;
    auto d = arrayToDoubles(*a);
    if (!d) return std::nullopt;
    std::vector<std::int64_t> out;
    for (double x : *d) out.push_back(static_cast<std::int64_t>(x));
    return out;
  }

  bool isScalar(const Value* v) const {
    if (auto a = constantArray(v)) return a->shape().empty();
    const auto* t = ctx_.type(v);
    return t && t->has_tensor_type() && t->tensor_type().has_shape() && t->tensor_type().shape().dim_size() == 0;
  }

  std::optional<Elems> compute(const Value* v, int depth) {
    if (v->isConstant()) {
      auto ints = constInts(v);
      if (!ints || ints->size() > 64) return std::nullopt;
      Elems r;
      r.scalar = isScalar(v);
      for (auto x : *ints) r.e.push_back({Elem::Kind::Const, x, nullptr, 0, {}});
      return r;
    }
    Node* n = v->producer();
    if (!n || !inDefaultDomain(*n) || v != n->output(0)) return std::nullopt;
    const std::string& op = n->opType();
    if (op == "Shape") {
      const Value* x = n->input(0);
      const auto* t = x ? ctx_.type(x) : nullptr;
      if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return std::nullopt;
      const auto& shape = t->tensor_type().shape();
      std::int64_t rank = shape.dim_size();
      auto sa = n->attribute("start");
      auto ea = n->attribute("end");
      std::int64_t st = sa ? sa->i() : 0, en = ea ? ea->i() : rank;
      if (st < 0) st += rank;
      if (en < 0) en += rank;
      st = std::clamp<std::int64_t>(st, 0, rank);
      en = std::clamp<std::int64_t>(en, 0, rank);
      Elems r;
      for (std::int64_t k = st; k < en; ++k) {
        const auto& d = shape.dim(static_cast<int>(k));
        if (d.has_dim_value())
          r.e.push_back({Elem::Kind::Const, d.dim_value(), nullptr, 0, {}});
        else
          r.e.push_back({Elem::Kind::Dim, 0, x, k, d.has_dim_param() ? d.dim_param() : std::string()});
      }
      return r;
    }
    if (op == "Identity" || op == "Cast") {
      if (op == "Cast") {
        const auto* to = n->attribute("to");
        if (!to || (to->i() != onnx::TensorProto::INT64 && to->i() != onnx::TensorProto::INT32)) return std::nullopt;
      }
      return trace(n->input(0), depth + 1);
    }
    if (op == "Gather") {
      auto data = trace(n->input(0), depth + 1);
      auto idx = n->input(1) && n->input(1)->isConstant() ? constInts(n->input(1)) : std::nullopt;
      auto axis = attributeOf(n, "axis");
      if (!data || data->scalar || !idx || (axis && axis->i() != 0)) return std::nullopt;
      Elems r;
      r.scalar = isScalar(n->input(1));
      auto size = static_cast<std::int64_t>(data->e.size());
      for (auto i : *idx) {
        if (i < 0) i += size;
        if (i < 0 || i >= size) return std::nullopt;
        r.e.push_back(data->e[static_cast<size_t>(i)]);
      }
      return r;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      auto data = trace(n->input(0), depth + 1);
      if (!data) return std::nullopt;
      // Only the 0-D <-> 1-D step shape vectors take.
      if (op == "Unsqueeze" && !data->scalar) return std::nullopt;
      if (op == "Squeeze" && (data->scalar || data->e.size() != 1)) return std::nullopt;
      data->scalar = op == "Squeeze";
      return data;
    }
    if (op == "Concat") {
      auto axis = attributeOf(n, "axis");
      if (!axis || (axis->i() != 0 && axis->i() != -1)) return std::nullopt;
      Elems r;
      for (const Value* in : n->inputs()) {
        auto part = trace(in, depth + 1);
        if (!part || part->scalar) return std::nullopt;
        r.e.insert(r.e.end(), part->e.begin(), part->e.end());
      }
      return r;
    }
    if (op == "Slice") {
      auto data = trace(n->input(0), depth + 1);
      if (!data || data->scalar) return std::nullopt;
      auto starts = constInts(n->input(1));
      auto ends = constInts(n->input(2));
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
      if (n->inputs().size() > 3 && n->input(3)) {
        auto axes = constInts(n->input(3));
        if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) return std::nullopt;
      }
      if (n->inputs().size() > 4 && n->input(4)) {
        auto steps = constInts(n->input(4));
        if (!steps || steps->size() != 1 || (*steps)[0] != 1) return std::nullopt;
      }
      auto size = static_cast<std::int64_t>(data->e.size());
      std::int64_t s = (*starts)[0], e = (*ends)[0];
      if (s < 0) s += size;
      if (e < 0) e += size;
      s = std::clamp<std::int64_t>(s, 0, size);
      e = std::clamp<std::int64_t>(e, 0, size);
      Elems r;
      for (std::int64_t k = s; k < e; ++k) r.e.push_back(data->e[static_cast<size_t>(k)]);
      return r;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      auto a = trace(n->input(0), depth + 1);
      auto b = trace(n->input(1), depth + 1);
      if (!a || !b) return std::nullopt;
      if (a->e.size() != b->e.size() && a->e.size() != 1 && b->e.size() != 1) return std::nullopt;
      Elems r;
      r.scalar = a->scalar && b->scalar;
      size_t count = std::max(a->e.size(), b->e.size());
      for (size_t k = 0; k < count; ++k) {
        const Elem& x = a->e[a->e.size() == 1 ? 0 : k];
        const Elem& y = b->e[b->e.size() == 1 ? 0 : k];
        Elem z;
        if (x.kind == Elem::Kind::Const && y.kind == Elem::Kind::Const) {
          z.kind = Elem::Kind::Const;
          if (op == "Add") z.value = x.value + y.value;
          if (op == "Sub") z.value = x.value - y.value;
          if (op == "Mul") z.value = x.value * y.value;
          if (op == "Div") {
            if (y.value == 0) return std::nullopt;
            // ONNX integer Div truncates toward zero, as C++ does.
            z.value = x.value / y.value;
          }
        } else if (x.kind == Elem::Kind::Dim && y.kind == Elem::Kind::Const &&
                   ((op == "Mul" || op == "Div") && y.value == 1)) {
          z = x;
        } else if (x.kind == Elem::Kind::Dim && y.kind == Elem::Kind::Const && (op == "Add" || op == "Sub") &&
                   y.value == 0) {
          z = x;
        }
        r.e.push_back(z);
      }
      return r;
    }
    return std::nullopt;
  }

  // A value that cannot be followed but whose length is known (a 0-D or short 1-D int64):
  // its elements are unknown.
  std::optional<Elems> ofKnownLength(const Value* v) const {
    const auto* t = ctx_.type(v);
    if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return std::nullopt;
    const auto et = t->tensor_type().elem_type();
    if (et != onnx::TensorProto::INT64 && et != onnx::TensorProto::INT32) return std::nullopt;
    const auto& s = t->tensor_type().shape();
    Elems r;
    if (s.dim_size() == 0) {
      r.scalar = true;
      r.e.resize(1);
      return r;
    }
    if (s.dim_size() == 1 && s.dim(0).has_dim_value() && s.dim(0).dim_value() <= 64) {
      r.e.resize(static_cast<size_t>(s.dim(0).dim_value()));
      return r;
    }
    return std::nullopt;
  }

  const MatchContext& ctx_;
  std::unordered_map<const Value*, std::optional<Elems>> memo_;
};

onnx::TensorProto int64Tensor(const std::vector<std::int64_t>& values, bool scalar) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  if (!scalar) t.add_dims(static_cast<std::int64_t>(values.size()));
  for (auto v : values) t.add_int64_data(v);
  return t;
}

// A value computed from shapes whose elements are all known (static dims of a partly symbolic
// shape): Gather(Shape(x), 1) of an [N, 3, 224, 224] image is 3. cleanup.shape_chain folds only
// fully static shapes; this takes what is static out of the others.
class StaticDims : public CppRule {
 public:
  StaticDims()
      : CppRule("cleanup.static_dims",
                "Parts of a partly symbolic shape that are static (a Gather or Slice of Shape) become constants", 4,
                {"Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Shape"}) {}
  struct Payload {
    std::vector<std::int64_t> values;
    bool scalar = false;
  };
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    if (!newInitializersAllowed(ctx)) return;
    ShapeTracer tracer(ctx);
    for (const char* op : {"Shape", "Gather", "Slice", "Concat", "Unsqueeze", "Squeeze"}) {
      for (Node* n : ctx.nodesOf(op)) {
        if (!inDefaultDomain(*n) || n->outputs().size() != 1 || !n->output(0) || n->output(0)->isGraphOutput())
          continue;
        // Only nodes that read something not constant (constant ones are cleanup.fold_constants').
        bool computed = std::any_of(n->inputs().begin(), n->inputs().end(), [](const Value* v) { return v && !v->isConstant(); });
        if (!computed) continue;
        const auto* t = ctx.type(n->output(0));
        if (!t || !t->has_tensor_type() || t->tensor_type().elem_type() != onnx::TensorProto::INT64) continue;
        auto elems = tracer.trace(n->output(0));
        if (!elems || elems->e.empty()) continue;
        if (!std::all_of(elems->e.begin(), elems->e.end(), [](const Elem& e) { return e.kind == Elem::Kind::Const; }))
          continue;
        // The whole of a Shape of a static value is cleanup.shape_chain's.
        if (n->opType() == "Shape" && ctx.type(n->input(0)) && staticShape(*ctx.type(n->input(0)))) continue;
        auto payload = std::make_shared<Payload>();
        for (const auto& e : elems->e) payload->values.push_back(e.value);
        payload->scalar = elems->scalar;
        Match m = makeMatch(ctx, {n}, "constant", -1);
        m.payload = payload;
        out.push_back(std::move(m));
      }
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Node* n = m.nodes[0];
    auto payload = std::static_pointer_cast<Payload>(m.payload);
    Value* v = n->output(0);
    std::string keep = v->name();
    if (auto st = g.renameValue(v, keep + "__graft_static"); !st) return st;
    auto t = int64Tensor(payload->values, payload->scalar);
    t.set_name(keep);
    auto init = g.addInitializer(std::move(t));
    if (!init) return init.status();
    g.replaceAllUses(v, *init);
    return dropBypassed(g, n);
  }
};

// Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1], [64])): the computed shape is known
// but for dims Reshape copies (0: dim i of x, when the element is dim i of x or has the same
// symbolic name) or infers (-1, at most one). Reshape then reads a constant, and the chain
// computing the shape goes when nothing else reads it.
class ReshapeShapeChain : public CppRule {
 public:
  ReshapeShapeChain()
      : CppRule("cleanup.reshape_shape",
                "Reshape whose shape is computed from shapes reads a constant shape instead (0 copies a dim, "
                "-1 infers one)",
                4, {"Reshape"}) {}
  struct Payload {
    std::vector<std::int64_t> shape;
  };
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    if (!newInitializersAllowed(ctx)) return;
    ShapeTracer tracer(ctx);
    for (Node* n : ctx.nodesOf("Reshape")) {
      if (!inDefaultDomain(*n) || n->inputs().size() < 2 || !n->input(0) || !n->input(1)) continue;
      if (n->input(1)->isConstant()) continue;
      auto allowZero = attributeOf(n, "allowzero");
      bool zeroCopies = !allowZero || allowZero->i() == 0;
      auto elems = tracer.trace(n->input(1));
      auto fail = [&](const std::string& why) {
        if (misses) {
          NearMiss nm;
          nm.rule = name();
          nm.root = n->id();
          nm.rootName = MatchContext::label(n);
          if (Node* p = n->input(1)->producer()) nm.partial = {n->id(), p->id()};
          nm.depth = 4;
          nm.conditionOnly = true;
          nm.reason = "Reshape at " + MatchContext::label(n) + ": " + why;
          misses->push_back(std::move(nm));
        }
      };
      if (!elems || elems->scalar) {
        fail("the elements of the computed shape '" + n->input(1)->name() + "' cannot be followed");
        continue;
      }
      const Value* data = n->input(0);
      const auto* dt = ctx.type(data);
      const onnx::TensorShapeProto* dshape =
          dt && dt->has_tensor_type() && dt->tensor_type().has_shape() ? &dt->tensor_type().shape() : nullptr;
      std::vector<std::int64_t> shape;
      int inferred = 0;
      for (size_t i = 0; i < elems->e.size(); ++i) {
        const Elem& e = elems->e[i];
        auto copies = [&]() {
          // Element i is dim i of the data: 0 copies it.
          if (!zeroCopies || e.kind != Elem::Kind::Dim) return false;
          if (e.tensor == data && e.axis == static_cast<std::int64_t>(i)) return true;
          if (!dshape || static_cast<int>(i) >= dshape->dim_size() || e.param.empty()) return false;
          const auto& d = dshape->dim(static_cast<int>(i));
          return d.has_dim_param() && d.dim_param() == e.param;
        };
        if (e.kind == Elem::Kind::Const) {
          if (e.value == 0 && !zeroCopies) {
            shape.push_back(0);
          } else if (e.value == -1) {
            ++inferred;
            shape.push_back(-1);
          } else {
            shape.push_back(e.value);
          }
        } else if (copies()) {
          shape.push_back(0);
        } else {
          ++inferred;
          shape.push_back(-1);
        }
      }
      if (inferred > 1) {
        fail(std::to_string(inferred) + " elements of the computed shape are neither constant nor a dim of the data "
             "at the same position (Reshape can infer only one)");
        continue;
      }
      auto payload = std::make_shared<Payload>();
      payload->shape = std::move(shape);
      Match m = makeMatch(ctx, {n}, "Reshape with a constant shape", 0);
      m.payload = payload;
      out.push_back(std::move(m));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext& rc) const override {
    Node* n = m.nodes[0];
    auto payload = std::static_pointer_cast<Payload>(m.payload);
    auto t = int64Tensor(payload->shape, false);
    std::string base = n->input(1)->name() + "_const";
    std::string name = base;
    for (int k = 1; g.findValue(name); ++k) name = base + "_" + std::to_string(k);
    t.set_name(name);
    t.set_doc_string(std::string(kProvenancePrefix) + rc.rule());
    auto init = g.addInitializer(std::move(t));
    if (!init) return init.status();
    return g.setInput(n, 1, *init);
  }
};

// Transpose then Gather of one index along axis a: gather along perm[a] of the untransposed input;
// when the dims left are in order the Transpose goes (an LSTM's last step, y.transpose(0, 1)[:, -1]
// as torch exports it). ONNX Runtime's transpose optimizer removes it too.
class TransposeGather : public CppRule {
 public:
  TransposeGather()
      : CppRule("cleanup.transpose_gather", "Gather of one index after a Transpose reads the untransposed input", 5,
                {"Gather"}) {}
  struct Payload {
    std::int64_t axis = 0;
  };
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    for (Node* g : ctx.nodesOf("Gather")) {
      if (!inDefaultDomain(*g) || g->inputs().size() != 2 || !g->input(0) || !g->input(1)) continue;
      Node* t = g->input(0)->producer();
      if (!t || t->opType() != "Transpose" || !inDefaultDomain(*t) || !t->input(0)) continue;
      const Value* tv = g->input(0);
      if (tv->uses().size() != 1 || tv->isGraphOutput()) continue;
      const auto* perm = t->attribute("perm");
      if (!perm) continue;
      // One index (0-D): the gathered axis disappears.
      const auto* it = ctx.type(g->input(1));
      auto idx = constantArray(g->input(1));
      bool scalar = idx ? idx->shape().empty()
                        : it && it->has_tensor_type() && it->tensor_type().has_shape() &&
                              it->tensor_type().shape().dim_size() == 0;
      if (!scalar) continue;
      std::int64_t rank = perm->ints_size();
      auto axisAttr = attributeOf(g, "axis");
      std::int64_t a = axisAttr ? axisAttr->i() : 0;
      if (a < 0) a += rank;
      if (a < 0 || a >= rank) continue;
      std::int64_t source = perm->ints(static_cast<int>(a));
      // The dims left, in the order the Transpose put them, must be in input order.
      bool inOrder = true;
      std::int64_t last = -1;
      for (std::int64_t k = 0; k < rank; ++k) {
        if (k == a) continue;
        std::int64_t p = perm->ints(static_cast<int>(k));
        if (p < last) inOrder = false;
        last = p;
      }
      if (!inOrder) continue;
      auto payload = std::make_shared<Payload>();
      payload->axis = source;
      Match m = makeMatch(ctx, {g, t}, "Gather", -1);
      m.payload = payload;
      out.push_back(std::move(m));
    }
  }
  Status apply(Graph& graph, const Match& m, RewriteContext&) const override {
    Node* g = m.nodes[0];
    Node* t = m.nodes[1];
    auto payload = std::static_pointer_cast<Payload>(m.payload);
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(payload->axis);
    if (auto st = graph.setInput(g, 0, t->input(0)); !st) return st;
    if (auto st = graph.setAttribute(g, axis); !st) return st;
    return dropBypassed(graph, t);
  }
};

}  // namespace

void registerShapeRules(RuleRegistry& r) {
  r.add("cleanup.transpose_gather", [] { return std::make_shared<TransposeGather>(); });
  r.add("cleanup.cse", [] { return std::make_shared<CommonSubexpressions>(); });
  r.add("cleanup.constant_nodes", [] { return std::make_shared<ConstantNodes>(); });
  r.add("cleanup.static_dims", [] { return std::make_shared<StaticDims>(); });
  r.add("cleanup.reshape_shape", [] { return std::make_shared<ReshapeShapeChain>(); });
}

}  // namespace graft
