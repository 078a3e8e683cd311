// The generic C++ rules: what a pattern cannot say (folding by the evaluator, shape chains,
// dead code, duplicate weights) and the no-ops converters leave behind.
#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <queue>
#include <unordered_map>

#include "eval/kernel.h"
#include "graft/analysis.h"
#include "rewrite/declared.h"
#include "rewrite/registrars.h"

namespace graft {

namespace {

using detail::attributeOf;
using detail::constantArray;

bool isDefault(const Node& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

std::optional<std::vector<std::int64_t>> dimsOf(const MatchContext& ctx, const Value* v) {
  const auto* t = ctx.type(v);
  if (!t) return std::nullopt;
  return staticShape(*t);
}

std::int32_t dtypeOf(const MatchContext& ctx, const Value* v) {
  if (const auto* t = ctx.type(v); t && t->has_tensor_type()) return t->tensor_type().elem_type();
  if (v && v->isInitializer()) return v->initializer()->dataType();
  return 0;
}

// Whether `from` (a node output about to disappear) can be replaced by `to` everywhere. A graph
// output must keep its name, which works when `to` is an ordinary node output we can rename.
bool canBypass(const Value* from, const Value* to) {
  if (!from || !to) return false;
  if (!from->isGraphOutput()) return true;
  return to->producer() && !to->isGraphOutput() && !to->isGraphInput() && !to->isInitializer() &&
         to->graph().parentNode() == nullptr && &to->graph() == &from->graph();
}

// Consumers of `from` read `to`; when `from` is a graph output, `to` takes its name.
Status bypass(Graph& g, Value* from, Value* to) {
  if (!from->isGraphOutput()) {
    g.replaceAllUses(from, to);
    return Status::ok();
  }
  std::string keep = from->name();
  if (auto st = g.renameValue(from, keep + "__graft_bypassed"); !st) return st;
  g.replaceAllUses(from, to);
  if (auto st = g.renameValue(to, keep); !st) return st;
  return Status::ok();
}

// Removes `node` after its outputs were bypassed, and the value left behind.
Status dropNode(Graph& g, Node* node) {
  // By name: without a journal, removing the node may free its output values.
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

// A node that passes input 0 through unchanged: bypass output 0 to input 0 and drop the node.
class PassThrough : public CppRule {
 public:
  using Test = std::function<bool(const MatchContext&, const Node&)>;
  PassThrough(std::string name, std::string description, std::string op, Test test)
      : CppRule(std::move(name), std::move(description), 5, {op}), op_(std::move(op)), test_(std::move(test)) {}

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    for (Node* n : ctx.nodesOf(op_)) {
      if (!isDefault(*n) || !n->input(0) || !n->output(0)) continue;
      bool extraUsed = false;
      for (size_t o = 1; o < n->outputs().size(); ++o)
        if (Value* v = n->output(o); v && (!v->uses().empty() || v->isGraphOutput())) extraUsed = true;
      if (extraUsed || !canBypass(n->output(0), n->input(0)) || !test_(ctx, *n)) continue;
      out.push_back(makeMatch(ctx, {n}, "removed", -1));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Node* n = m.nodes[0];
    if (auto st = bypass(g, n->output(0), n->input(0)); !st) return st;
    return dropNode(g, n);
  }

 private:
  std::string op_;
  Test test_;
};

bool sameStaticShape(const MatchContext& ctx, const Node& n) {
  auto a = dimsOf(ctx, n.input(0)), b = dimsOf(ctx, n.output(0));
  return a && b && *a == *b;
}

std::optional<std::vector<std::int64_t>> ints(const Value* v) {
  auto a = constantArray(v);
  if (!a) return std::nullopt;
  auto d = arrayToDoubles(*a);
  if (!d) return std::nullopt;
  return std::vector<std::int64_t>(d->begin(), d->end());
}

// Transpose(Transpose(x, p1), p2) = Transpose(x, p1∘p2), or x when that is the identity.
class TransposePair : public CppRule {
 public:
  TransposePair()
      : CppRule("cleanup.transpose_pair", "Two Transposes in a row: cancel, or compose into one", 6, {"Transpose"}) {}
  static std::optional<std::vector<std::int64_t>> perm(const Node& n, const MatchContext& ctx) {
    if (const auto* a = n.attribute("perm")) return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
    auto d = dimsOf(ctx, n.input(0));
    if (!d) return std::nullopt;
    std::vector<std::int64_t> p(d->size());
    std::iota(p.rbegin(), p.rend(), 0);
    return p;
  }
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    for (Node* second : ctx.nodesOf("Transpose")) {
      Node* first = second->input(0) ? second->input(0)->producer() : nullptr;
      if (!first || first->opType() != "Transpose" || !isDefault(*first) || !isDefault(*second)) continue;
      auto p1 = perm(*first, ctx), p2 = perm(*second, ctx);
      if (!p1 || !p2 || p1->size() != p2->size()) continue;
      if (first->output(0)->uses().size() != 1 || first->output(0)->isGraphOutput()) {
        if (misses)
          misses->push_back({name(), second->id(), MatchContext::label(second), {first->id()},
                             "Transpose pair at " + MatchContext::label(second) + ": the first Transpose " +
                                 MatchContext::label(first) + " has a second consumer",
                             8});
        continue;
      }
      std::vector<std::int64_t> composed(p2->size());
      for (size_t i = 0; i < p2->size(); ++i) composed[i] = (*p1)[static_cast<size_t>((*p2)[i])];
      bool identity = true;
      for (size_t i = 0; i < composed.size(); ++i) identity = identity && composed[i] == static_cast<std::int64_t>(i);
      // When the result must keep a graph output's name fed straight by x, one Identity stays.
      bool keepIdentity = identity && !canBypass(second->output(0), first->input(0));
      out.push_back(makeMatch(ctx, {second, first}, identity ? (keepIdentity ? "Identity" : "removed") : "Transpose",
                              identity && !keepIdentity ? -2 : -1));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext& rc) const override {
    Node* second = m.nodes[0];
    Node* first = m.nodes[1];
    auto ctx = MatchContext::create(g);
    if (!ctx) return ctx.status();
    auto p1 = perm(*first, **ctx), p2 = perm(*second, **ctx);
    if (!p1 || !p2) return {ErrorCode::Internal, "transpose permutation unknown"};
    std::vector<std::int64_t> composed(p2->size());
    for (size_t i = 0; i < p2->size(); ++i) composed[i] = (*p1)[static_cast<size_t>((*p2)[i])];
    bool identity = true;
    for (size_t i = 0; i < composed.size(); ++i) identity = identity && composed[i] == static_cast<std::int64_t>(i);
    Value* x = first->input(0);
    if (identity && !canBypass(second->output(0), x)) {
      Value* out = second->output(0);
      std::string keep = out->name();
      if (auto st = g.renameValue(out, keep + "__graft_replaced"); !st) return st;
      Graph::NewNode spec;
      spec.opType = "Identity";
      spec.inputs = {x};
      spec.outputNames = {keep};
      auto id = rc.addNode(g, std::move(spec), second);
      if (!id) return id.status();
      g.replaceAllUses(out, (*id)->output(0));
      if (auto st = dropNode(g, second); !st) return st;
      if (g.findValue(out->name()) == out && out->uses().empty() && !out->isGraphOutput()) (void)g.removeValue(out);
      return dropNode(g, first);
    }
    if (identity) {
      if (auto st = bypass(g, second->output(0), x); !st) return st;
      if (auto st = dropNode(g, second); !st) return st;
      return dropNode(g, first);
    }
    onnx::AttributeProto a;
    a.set_name("perm");
    a.set_type(onnx::AttributeProto::INTS);
    for (auto v : composed) a.add_ints(v);
    if (auto st = g.setAttribute(second, a); !st) return st;
    if (auto st = g.setInput(second, 0, x); !st) return st;
    return dropNode(g, first);
  }
};

bool deterministic(const std::string& op) {
  return op.rfind("Random", 0) != 0 && op != "Bernoulli" && op != "Multinomial";
}

// Folds nodes whose inputs are all constant (or, in shape mode, what hangs off a Shape of a
// static-shaped value) into initializers of the same names, in topological order.
class FoldRule : public CppRule {
 public:
  FoldRule(bool shapeOnly)
      : CppRule(shapeOnly ? "cleanup.shape_chain" : "cleanup.fold_constants",
                shapeOnly ? "Shape of a static-shaped value and what computes on it (Gather, Concat, ...) become constants"
                          : "Nodes computing only on constants are computed once (reference evaluator) and stored",
                shapeOnly ? 4 : 3, {}),
        shapeOnly_(shapeOnly) {}

  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>* misses) const override {
    // Values already folded, as flags by value id (ids are dense): the check runs for every
    // input of every node, and a hash set lookup per input dominated this rule.
    std::vector<char> knownIds;
    size_t knownCount = 0;
    auto isKnown = [&](const Value* v) {
      auto id = static_cast<size_t>(v->id());
      return id < knownIds.size() && knownIds[id];
    };
    auto markKnown = [&](const Value* v) {
      auto id = static_cast<size_t>(v->id());
      if (id >= knownIds.size()) knownIds.resize(std::max(id + 1, knownIds.size() * 2), 0);
      if (!knownIds[id]) ++knownCount;
      knownIds[id] = 1;
    };
    // Only Shapes, nodes reading a constant, and (as folding goes on) nodes reading a folded
    // value can fold: visit those, in topological order, instead of every node of the graph
    // (touching 60,000 nodes to skip them was most of this rule's time). Every other node is
    // skipped by the checks below anyway; a node whose inputs are all omitted would be too,
    // short of `Optional`, which the evaluator does not run.
    const auto& order = ctx.topoOrder();
    std::vector<char> queued(order.size(), 0);
    std::priority_queue<size_t, std::vector<size_t>, std::greater<>> todo;
    auto visit = [&](const Node* n) {
      size_t p = ctx.position(n);  // readers inside subgraphs have none: not folded here
      if (p < order.size() && !queued[p]) {
        queued[p] = 1;
        todo.push(p);
      }
    };
    auto visitReaders = [&](const Value* v) {
      if (v)
        for (const Use& u : v->uses()) visit(u.node);
    };
    for (Node* n : ctx.nodesOf("Shape")) visit(n);
    if (!shapeOnly_) {
      // Readers of every constant in scope: initializers, sparse initializers and Constant
      // outputs of this graph and the graphs around it.
      for (const Graph* g = &ctx.graph(); g; g = g->parentNode() ? &g->parentNode()->graph() : nullptr) {
        for (const Value* v : g->initializers())
          if (v->isConstant()) visitReaders(v);
        for (const auto& sp : g->shell().sparse_initializer())
          if (const Value* v = g->findValue(sp.values().name()); v && v->isConstant()) visitReaders(v);
        auto constantReaders = [&](const Node& c) {
          for (const Value* v : c.outputs())
            if (v && v->isConstant()) visitReaders(v);
        };
        if (g == &ctx.graph()) {
          for (const Node* c : ctx.nodesOf("Constant")) constantReaders(*c);
        } else {
          g->forEachNode([&](const Node& c) {
            if (c.opType() == "Constant") constantReaders(c);
          });
        }
      }
    }
    while (!todo.empty()) {
      Node* n = order[todo.top()];
      todo.pop();
      // Shape mode before the first foldable Shape: only Shape nodes can start a chain.
      if (shapeOnly_ && knownCount == 0 && n->opType() != "Shape") continue;
      // Cheap rejection first (most nodes read a computed value): any other node folds only
      // when every input is already known or constant, which is checked again below.
      if (n->opType() != "Shape" && n->opType() != "Constant" &&
          std::any_of(n->inputs().begin(), n->inputs().end(),
                      [&](const Value* v) { return v && !v->isConstant() && !isKnown(v); }))
        continue;
      if (!n->subgraphs().empty() || !deterministic(n->opType())) continue;
      if (n->opType() == "Constant" && isDefault(*n)) {
        if (!shapeOnly_ && n->output(0)) markKnown(n->output(0));
        continue;
      }
      bool foldable = false;
      if (n->opType() == "Shape" && isDefault(*n) && n->input(0)) {
        foldable = dimsOf(ctx, n->input(0)).has_value();
        if (!foldable && misses && shapeOnly_)
          misses->push_back({name(), n->id(), MatchContext::label(n), {},
                             "Shape at " + MatchContext::label(n) + ": the shape of '" + n->input(0)->name() +
                                 "' is not static",
                             4});
      } else if (!n->inputs().empty()) {
        foldable = std::all_of(n->inputs().begin(), n->inputs().end(),
                               [&](const Value* v) { return !v || isKnown(v) || v->isConstant(); });
        // Shape mode: only what computes on a folded Shape.
        if (shapeOnly_)
          foldable = foldable && std::any_of(n->inputs().begin(), n->inputs().end(),
                                             [&](const Value* v) { return v && isKnown(v); });
        foldable = foldable && isOpSupported(n->opType(), n->domain());
      }
      if (!foldable) continue;
      std::shared_ptr<std::vector<std::int64_t>> shapeDims;
      if (n->opType() == "Shape") shapeDims = std::make_shared<std::vector<std::int64_t>>(*dimsOf(ctx, n->input(0)));
      // The file must not grow: big results stay computed at run time.
      std::uint64_t bytes = 0;
      for (const Value* v : n->outputs())
        if (auto d = dimsOf(ctx, v)) {
          std::uint64_t count = 1;
          for (auto x : *d) count *= static_cast<std::uint64_t>(std::max<std::int64_t>(x, 0));
          bytes += count * std::max<size_t>(dataTypeSize(dtypeOf(ctx, v)), 1);
        }
      if (bytes > kMaxBytes) continue;
      for (const Value* v : n->outputs())
        if (v) {
          markKnown(v);
          visitReaders(v);
        }
      Match m = makeMatch(ctx, {n}, "constant", -1);
      m.payload = shapeDims;
      out.push_back(std::move(m));
    }
  }

  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Node* n = m.nodes[0];
    std::vector<Array> outputs;
    if (n->opType() == "Shape") {
      auto dims = std::static_pointer_cast<std::vector<std::int64_t>>(m.payload);
      std::optional<std::vector<std::int64_t>> d;
      if (dims) d = *dims;
      if (!d) return Status::ok();  // nothing known any more; leave it
      std::int64_t rank = static_cast<std::int64_t>(d->size());
      auto sa = attributeOf(n, "start");
      auto ea = attributeOf(n, "end");
      std::int64_t st = sa ? sa->i() : 0, en = ea && n->attribute("end") ? ea->i() : rank;
      if (st < 0) st += rank;
      if (en < 0) en += rank;
      st = std::clamp<std::int64_t>(st, 0, rank);
      en = std::clamp<std::int64_t>(en, 0, rank);
      Array out = Array::uninitialized(onnx::TensorProto::INT64, {std::max<std::int64_t>(0, en - st)});
      for (std::int64_t k = st; k < en; ++k) out.data<std::int64_t>()[k - st] = (*d)[static_cast<size_t>(k)];
      outputs.push_back(out);
    } else {
      std::vector<Array> inputs;
      for (const Value* v : n->inputs()) {
        if (!v) {
          inputs.emplace_back();
          continue;
        }
        auto a = constantArray(v);
        if (!a) return Status::ok();  // an input is no longer constant; the next round decides
        inputs.push_back(*a);
      }
      auto r = eval::runSingleNode(*n, inputs);
      if (!r) return Status::ok();  // the evaluator refuses: leave the node as it is
      outputs = std::move(*r);
    }
    std::uint64_t bytes = 0;
    for (const auto& a : outputs) bytes += a.bytes();
    if (bytes > kMaxBytes) return Status::ok();
    for (size_t k = 0; k < n->outputs().size() && k < outputs.size(); ++k) {
      Value* v = n->output(k);
      if (!v) continue;
      std::string keep = v->name();
      if (auto st = g.renameValue(v, keep + "__graft_folding"); !st) return st;
      auto init = g.addInitializer(arrayToProto(outputs[k], keep));
      if (!init) return init.status();
      g.replaceAllUses(v, *init);
    }
    return dropNode(g, n);
  }

 private:
  static constexpr std::uint64_t kMaxBytes = 1u << 20;
  bool shapeOnly_;
};

bool sideEffectFree(const Node& n) { return n.subgraphs().empty() || n.opType() == "If"; }

class DeadNodes : public CppRule {
 public:
  DeadNodes() : CppRule("cleanup.dead_nodes", "Nodes whose outputs nothing reads", 2, {}) {}
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    // Whole dead cones at once (a node is dead when all its consumers are dead), outputs first.
    // Dead flags by topological position; readers inside subgraphs have no position and count
    // as live. Until a first dead node is found any reader means "used", so the readers (most
    // of a large graph) are not even looked at.
    const auto& order = ctx.topoOrder();
    std::vector<char> dead(order.size(), 0);
    size_t deadCount = 0;
    auto isDead = [&](const Node* n) {
      size_t p = ctx.position(n);
      return p < order.size() && dead[p];
    };
    for (size_t i = order.size(); i-- > 0;) {
      Node* n = order[i];
      if (!sideEffectFree(*n)) continue;
      bool used = false;
      for (const Value* v : n->outputs()) {
        if (!v) continue;
        if (v->isGraphOutput()) used = true;
        for (const Use& u : v->uses())
          if (deadCount == 0 || !isDead(u.node)) {
            used = true;
            break;
          }
        if (used) break;
      }
      if (!used) {
        dead[i] = 1;
        ++deadCount;
      }
    }
    for (size_t i = 0; i < order.size(); ++i)
      if (dead[i]) out.push_back(makeMatch(ctx, {order[i]}, "removed", -1));
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    // Consumers come later in topological order but are removed by their own matches; erase
    // this node only once nothing reads it (the driver applies in topological order, so retry
    // from the outputs backwards here).
    Node* n = m.nodes[0];
    for (const Value* v : n->outputs())
      if (v && (!v->uses().empty() || v->isGraphOutput())) return Status::ok();
    return dropNode(g, n);
  }
};

class UnusedInitializers : public CppRule {
 public:
  UnusedInitializers() : CppRule("cleanup.unused_initializers", "Initializers nothing reads", 1, {}) {}
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    for (Value* v : ctx.graph().initializers()) {
      if (!v->uses().empty() || v->isGraphOutput() || v->isGraphInput()) continue;
      Match m = makeMatch(ctx, {}, "removed", 0);
      m.values["initializer"] = v;
      m.order = ctx.topoOrder().size();
      out.push_back(std::move(m));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Value* v = m.values.at("initializer");
    if (!v->uses().empty()) return Status::ok();
    if (auto st = g.removeInitializer(v); !st) return st;
    return g.removeValue(v);
  }
};

// Same dtype, dims and bytes: one copy is enough. Constant nodes are compared by their value.
class DuplicateConstants : public CppRule {
 public:
  DuplicateConstants()
      : CppRule("cleanup.duplicate_initializers", "Initializers and Constants with identical values share one copy", 2,
                {}) {}
  // Field by field (no serialization: real models have thousands of weights to compare).
  static bool sameContents(const onnx::TensorProto& a, const onnx::TensorProto& b) {
    auto same = [](const auto& x, const auto& y) {
      return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
    };
    return a.data_type() == b.data_type() && same(a.dims(), b.dims()) && a.raw_data() == b.raw_data() &&
           same(a.float_data(), b.float_data()) && same(a.int32_data(), b.int32_data()) &&
           same(a.int64_data(), b.int64_data()) && same(a.double_data(), b.double_data()) &&
           same(a.uint64_data(), b.uint64_data()) && same(a.string_data(), b.string_data()) &&
           a.data_location() == b.data_location() && a.external_data_size() == 0 && b.external_data_size() == 0;
  }
  // A cheap digest (dtype, dims, FNV-1a of the data) so only likely duplicates are serialized.
  static std::uint64_t digest(const onnx::TensorProto& t) {
    std::uint64_t h = 1469598103934665603ull;
    // Eight bytes per step (weights are large; a byte at a time dominated matching); the
    // digest only picks buckets, equality is still decided by sameContents.
    auto mix = [&](const void* p, size_t n) {
      const auto* b = static_cast<const unsigned char*>(p);
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, b + i, 8);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 32;
      }
      for (; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    std::int32_t dt = t.data_type();
    mix(&dt, sizeof dt);
    for (auto d : t.dims()) mix(&d, sizeof d);
    mix(t.raw_data().data(), t.raw_data().size());
    mix(t.float_data().data(), sizeof(float) * static_cast<size_t>(t.float_data_size()));
    mix(t.int32_data().data(), sizeof(std::int32_t) * static_cast<size_t>(t.int32_data_size()));
    mix(t.int64_data().data(), sizeof(std::int64_t) * static_cast<size_t>(t.int64_data_size()));
    mix(t.double_data().data(), sizeof(double) * static_cast<size_t>(t.double_data_size()));
    for (const auto& s : t.string_data()) mix(s.data(), s.size());
    return h;
  }
  // dtype, dims and field sizes only: tensors with a key no other tensor has cannot have a
  // duplicate, so most weights are never read (equal keys then go through digest + sameContents).
  static std::uint64_t layoutKey(const onnx::TensorProto& t) {
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&](std::uint64_t x) { h = (h ^ x) * 1099511628211ull; };
    mix(static_cast<std::uint64_t>(t.data_type()));
    mix(static_cast<std::uint64_t>(t.dims_size()));
    for (auto d : t.dims()) mix(static_cast<std::uint64_t>(d));
    mix(t.raw_data().size());
    mix(static_cast<std::uint64_t>(t.float_data_size()));
    mix(static_cast<std::uint64_t>(t.int32_data_size()));
    mix(static_cast<std::uint64_t>(t.int64_data_size()));
    mix(static_cast<std::uint64_t>(t.double_data_size()));
    mix(static_cast<std::uint64_t>(t.uint64_data_size()));
    mix(static_cast<std::uint64_t>(t.string_data_size()));
    return h;
  }
  // The first earlier tensor with the same digest and the same contents, or null.
  template <typename T>
  static T* firstEqual(std::unordered_map<std::uint64_t, std::vector<std::pair<const onnx::TensorProto*, T*>>>& seen,
                       const onnx::TensorProto& t, T* self) {
    auto& bucket = seen[digest(t)];
    for (auto& [proto, owner] : bucket)
      if (sameContents(*proto, t)) return owner;
    bucket.emplace_back(&t, self);
    return nullptr;
  }
  // "duplicate", "original": one name table for all matches (a model can have thousands).
  static const std::shared_ptr<const MatchValues::Names>& names() {
    static const auto table = std::make_shared<const MatchValues::Names>(MatchValues::Names{"duplicate", "original"});
    return table;
  }
  void findMatches(const MatchContext& ctx, std::vector<Match>& out, std::vector<NearMiss>*) const override {
    std::unordered_map<std::uint64_t, std::vector<std::pair<const onnx::TensorProto*, Value*>>> seen;
    auto candidate = [](const Value* v) {
      return !v->isGraphInput() && !v->isGraphOutput() && !v->initializer()->isExternal() &&
             v->initializer()->proto().data_location() != onnx::TensorProto::EXTERNAL;
    };
    std::unordered_map<std::uint64_t, int> layouts;
    for (Value* v : ctx.graph().initializers())
      if (candidate(v)) ++layouts[layoutKey(v->initializer()->proto())];
    for (Value* v : ctx.graph().initializers()) {
      if (!candidate(v)) continue;
      const auto& p = v->initializer()->proto();
      if (layouts[layoutKey(p)] < 2) continue;
      Value* first = firstEqual(seen, p, v);
      if (!first) continue;
      Match m = makeMatch(ctx, {}, "shared with '" + first->name() + "'", 0);
      m.values = MatchValues(names(), {v, first});
      m.order = ctx.topoOrder().size();
      out.push_back(std::move(m));
    }
    std::unordered_map<std::uint64_t, std::vector<std::pair<const onnx::TensorProto*, Node*>>> constants;
    auto constTensor = [](const Node* n) -> const onnx::TensorProto* {
      const auto* a = n->attribute("value");
      if (!isDefault(*n) || !a || !a->has_t() || !n->output(0) || n->output(0)->isGraphOutput()) return nullptr;
      return &a->t();
    };
    std::unordered_map<std::uint64_t, int> constLayouts;
    for (Node* n : ctx.nodesOf("Constant"))
      if (const auto* t = constTensor(n)) ++constLayouts[layoutKey(*t)];
    for (Node* n : ctx.nodesOf("Constant")) {
      const auto* a = constTensor(n);
      if (!a || constLayouts[layoutKey(*a)] < 2) continue;
      Node* first = firstEqual(constants, *a, n);
      if (!first) continue;
      Match m = makeMatch(ctx, {n}, "shared with '" + first->output(0)->name() + "'", -1);
      m.values = MatchValues(names(), {n->output(0), first->output(0)});
      out.push_back(std::move(m));
    }
  }
  Status apply(Graph& g, const Match& m, RewriteContext&) const override {
    Value* dup = m.values.at("duplicate");
    Value* orig = m.values.at("original");
    g.replaceAllUses(dup, orig);
    if (Node* p = dup->producer()) return dropNode(g, p);
    if (auto st = g.removeInitializer(dup); !st) return st;
    return g.removeValue(dup);
  }
};

bool allZero(const std::optional<std::vector<std::int64_t>>& v) {
  return v && std::all_of(v->begin(), v->end(), [](std::int64_t x) { return x == 0; });
}

}  // namespace

void registerCleanupRules(RuleRegistry& r) {
  auto pass = [&](const std::string& name, const std::string& desc, const std::string& op, PassThrough::Test t) {
    r.add(name, [=] { return std::make_shared<PassThrough>(name, desc, op, t); });
  };
  pass("cleanup.identity", "Identity passes its input through", "Identity",
       [](const MatchContext&, const Node&) { return true; });
  pass("cleanup.dropout", "Dropout does nothing at inference (its mask output unused)", "Dropout",
       [](const MatchContext&, const Node& n) {
         // training_mode (opset 12+) must be absent or a constant false.
         if (Value* t = n.input(2)) {
           auto v = ints(t);
           if (!v || !allZero(v)) return false;
         }
         return true;
       });
  pass("cleanup.noop_cast", "Cast to the dtype the value already has", "Cast", [](const MatchContext& ctx, const Node& n) {
    const auto* to = n.attribute("to");
    return to && dtypeOf(ctx, n.input(0)) == to->i();
  });
  pass("cleanup.noop_reshape", "Reshape to the shape the value already has", "Reshape", sameStaticShape);
  pass("cleanup.noop_transpose", "Transpose with the identity permutation", "Transpose",
       [](const MatchContext&, const Node& n) {
         const auto* p = n.attribute("perm");
         if (!p) return false;
         for (int i = 0; i < p->ints_size(); ++i)
           if (p->ints(i) != i) return false;
         return true;
       });
  pass("cleanup.noop_slice", "Slice that keeps the whole tensor", "Slice", sameStaticShape);
  pass("cleanup.noop_expand", "Expand to the shape the value already has", "Expand", sameStaticShape);
  pass("cleanup.noop_pad", "Pad with all pads zero", "Pad", [](const MatchContext&, const Node& n) {
    if (const auto* a = n.attribute("pads"))
      return std::all_of(a->ints().begin(), a->ints().end(), [](std::int64_t x) { return x == 0; });
    return n.input(1) && allZero(ints(n.input(1)));
  });
  r.add("cleanup.transpose_pair", [] { return std::make_shared<TransposePair>(); });
  r.add("cleanup.fold_constants", [] { return std::make_shared<FoldRule>(false); });
  r.add("cleanup.shape_chain", [] { return std::make_shared<FoldRule>(true); });
  r.add("cleanup.dead_nodes", [] { return std::make_shared<DeadNodes>(); });
  r.add("cleanup.unused_initializers", [] { return std::make_shared<UnusedInitializers>(); });
  r.add("cleanup.duplicate_initializers", [] { return std::make_shared<DuplicateConstants>(); });
}

}  // namespace graft
