// The diff report over a pairing: same/changed pairs, fused and split groups (from rewrite
// provenance and from the shape of what is left unpaired), added/removed nodes, weights, model fields.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>

#include "diff/hash.h"
#include "graft/diff.h"
#include "graft/rewrite.h"

namespace graft {

using namespace diffdetail;

const char* diffStatusName(DiffStatus status) {
  switch (status) {
    case DiffStatus::Same: return "same";
    case DiffStatus::Changed: return "changed";
    case DiffStatus::Added: return "added";
    case DiffStatus::Removed: return "removed";
    case DiffStatus::Fused: return "fused";
    case DiffStatus::Split: return "split";
  }
  return "same";
}

std::string scopeOfName(const std::string& name) {
  if (name.empty() || name[0] != '/') return {};
  size_t slash = name.rfind('/');
  return slash == 0 ? std::string() : name.substr(0, slash);
}

bool ModelDiff::identical() const {
  const auto& s = summary;
  return s.changed == 0 && s.added == 0 && s.removed == 0 && s.fused == 0 && s.split == 0 && s.weightsChanged == 0 &&
         s.weightsAdded == 0 && s.weightsRemoved == 0 && s.modelChanges == 0;
}

namespace {

std::string num(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string num(std::int64_t v) { return std::to_string(v); }

std::string shortList(const std::string& open, const std::vector<std::string>& items, const std::string& close) {
  std::string s = open;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k == 16) {
      s += ", …";
      break;
    }
    s += (k ? ", " : "") + items[k];
  }
  return s + close;
}

std::string dimsText(const google::protobuf::RepeatedField<std::int64_t>& dims) {
  std::vector<std::string> d;
  for (auto x : dims) d.push_back(std::to_string(x));
  return shortList("[", d, "]");
}

std::string tensorText(const onnx::TensorProto& t) {
  return std::string(dataTypeName(t.data_type())) + dimsText(t.dims());
}

// What an attribute holds, short enough for one line of a change list.
std::string attributeText(const onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: return num(static_cast<double>(a.f()));
    case onnx::AttributeProto::INT: return num(static_cast<std::int64_t>(a.i()));
    case onnx::AttributeProto::STRING: return "\"" + a.s().substr(0, 60) + "\"";
    case onnx::AttributeProto::FLOATS: {
      std::vector<std::string> v;
      for (float f : a.floats()) v.push_back(num(static_cast<double>(f)));
      return shortList("[", v, "]");
    }
    case onnx::AttributeProto::INTS: {
      std::vector<std::string> v;
      for (auto i : a.ints()) v.push_back(num(static_cast<std::int64_t>(i)));
      return shortList("[", v, "]");
    }
    case onnx::AttributeProto::STRINGS: {
      std::vector<std::string> v;
      for (const auto& s : a.strings()) v.push_back("\"" + s.substr(0, 30) + "\"");
      return shortList("[", v, "]");
    }
    case onnx::AttributeProto::TENSOR: return "tensor " + tensorText(a.t());
    case onnx::AttributeProto::TENSORS: return std::to_string(a.tensors_size()) + " tensors";
    default: return a.ref_attr_name().empty() ? "(value)" : "@" + a.ref_attr_name();
  }
}

std::string typeText(const onnx::TypeProto& t) {
  if (!t.has_tensor_type()) return "(not a tensor)";
  const auto& tt = t.tensor_type();
  std::string s = dataTypeName(tt.elem_type());
  if (!tt.has_shape()) return s;
  std::vector<std::string> d;
  for (const auto& dim : tt.shape().dim())
    d.push_back(dim.has_dim_value() ? std::to_string(dim.dim_value()) : (dim.has_dim_param() ? dim.dim_param() : "?"));
  return s + shortList("[", d, "]");
}

std::string opLabel(const Node& n) {
  return (n.domain().empty() || n.domain() == "ai.onnx" ? std::string() : n.domain() + ".") + n.opType();
}

// Attribute, op type, input arity and declared output changes of a pair. Weight-like values
// (a Constant's value) are left to the weight list.
std::vector<std::string> pairChanges(const Node& a, const Node& b, bool sameLocal) {
  std::vector<std::string> out;
  if (sameLocal) {
    // Equal local hashes: op, attributes and arity agree; only declarations can differ.
    for (std::size_t k = 0; k < a.outputs().size() && k < b.outputs().size(); ++k) {
      const onnx::TypeProto* ta = a.outputs()[k] ? a.outputs()[k]->declaredType() : nullptr;
      const onnx::TypeProto* tb = b.outputs()[k] ? b.outputs()[k]->declaredType() : nullptr;
      if (!ta || !tb) continue;
      std::string x = typeText(*ta), y = typeText(*tb);
      if (x != y) out.push_back("output " + std::to_string(k) + " type: " + x + " → " + y);
    }
    return out;
  }
  if (opLabel(a) != opLabel(b)) out.push_back("op type: " + opLabel(a) + " → " + opLabel(b));
  bool constant = a.opType() == "Constant" && b.opType() == "Constant";
  std::map<std::string, const onnx::AttributeProto*> aa, bb;
  for (const auto& x : a.proto().attribute()) aa[x.name()] = &x;
  for (const auto& x : b.proto().attribute()) bb[x.name()] = &x;
  for (const auto& [name, x] : aa) {
    auto it = bb.find(name);
    if (it == bb.end()) {
      out.push_back("attribute " + name + " removed (was " + attributeText(*x) + ")");
      continue;
    }
    if (attributeHash(*x) == attributeHash(*it->second)) continue;
    if (constant && x->type() == it->second->type()) continue;  // a changed constant is a weight change
    out.push_back("attribute " + name + ": " + attributeText(*x) + " → " + attributeText(*it->second));
  }
  for (const auto& [name, y] : bb)
    if (!aa.count(name)) out.push_back("attribute " + name + " added (" + attributeText(*y) + ")");
  auto present = [](const Node& n) {
    return static_cast<std::size_t>(std::count_if(n.inputs().begin(), n.inputs().end(), [](const Value* v) { return v; }));
  };
  if (present(a) != present(b)) out.push_back("inputs: " + std::to_string(present(a)) + " → " + std::to_string(present(b)));
  if (a.outputs().size() != b.outputs().size())
    out.push_back("outputs: " + std::to_string(a.outputs().size()) + " → " + std::to_string(b.outputs().size()));
  for (std::size_t k = 0; k < a.outputs().size() && k < b.outputs().size(); ++k) {
    const Value* va = a.outputs()[k];
    const Value* vb = b.outputs()[k];
    const onnx::TypeProto* ta = va ? va->declaredType() : nullptr;
    const onnx::TypeProto* tb = vb ? vb->declaredType() : nullptr;
    if (!ta || !tb) continue;  // a missing declaration is not a change of the node
    std::string x = typeText(*ta), y = typeText(*tb);
    if (x != y) out.push_back("output " + std::to_string(k) + " type: " + x + " → " + y);
  }
  for (std::size_t s = 0; s < a.subgraphs().size() && s < b.subgraphs().size(); ++s) {
    const Graph& ga = *a.subgraphs()[s].graph;
    const Graph& gb = *b.subgraphs()[s].graph;
    // Bodies are compared as a whole: node count and op types.
    std::multiset<std::string> oa, ob;
    ga.forEachNode([&](const Node& n) { oa.insert(opLabel(n)); });
    gb.forEachNode([&](const Node& n) { ob.insert(opLabel(n)); });
    if (oa != ob)
      out.push_back("subgraph " + a.subgraphs()[s].attribute + ": " + std::to_string(ga.nodeCount()) + " → " +
                    std::to_string(gb.nodeCount()) + " nodes");
  }
  return out;
}

// B's module scope, else A's: a re-export that flattened the names still groups by A's modules.
std::string pairScope(const Node& a, const Node& b) {
  std::string s = scopeOfName(b.name());
  return s.empty() ? scopeOfName(a.name()) : s;
}

// Nodes of a graph and of every body inside it.
std::size_t countNodes(const Graph& g) {
  std::size_t n = g.nodeCount();
  g.forEachNode([&](const Node& node) {
    for (const auto& sub : node.subgraphs()) n += countNodes(*sub.graph);
  });
  return n;
}

std::string bodyScope(const Node& n, const std::string& ownerScope) {
  std::string s = scopeOfName(n.name());
  return s.empty() ? ownerScope : s;
}

void appendBodyEntries(const NodePairing& p, const std::vector<Node*>& ownersA, const std::vector<Node*>& ownersB,
                       const std::string& scope, std::vector<NodeDiff>& out);

// Every node of a body (and of the bodies inside it) as added or removed: its owner has no partner
// with a body there.
void appendWholeBody(const Graph& g, DiffStatus status, const std::string& scope, std::vector<NodeDiff>& out) {
  auto order = g.topologicalOrder();
  for (Node* n : order ? order.value() : g.nodes()) {
    NodeDiff e;
    e.status = status;
    (status == DiffStatus::Removed ? e.a : e.b) = {n};
    e.op = opLabel(*n);
    e.scope = bodyScope(*n, scope);
    std::string inner = e.scope;
    out.push_back(std::move(e));
    for (const auto& sub : n->subgraphs()) appendWholeBody(*sub.graph, status, inner, out);
  }
}

// The entries of one paired body: pairs (same or changed) and added nodes in B's order, then the
// removed ones in A's order; each followed by its own bodies' entries.
void appendPairedBody(const NodePairing& body, const std::string& scope, std::vector<NodeDiff>& out) {
  for (std::size_t j = 0; j < body.b.nodes.size(); ++j) {
    Node* y = body.b.nodes[j];
    std::int32_t i = body.bToA[j];
    NodeDiff e;
    e.b = {y};
    e.scope = bodyScope(*y, scope);
    if (i >= 0) {
      Node* x = body.a.nodes[static_cast<std::size_t>(i)];
      e.a = {x};
      e.op = opLabel(*x) == opLabel(*y) ? opLabel(*y) : opLabel(*x) + " → " + opLabel(*y);
      e.changes = pairChanges(*x, *y, body.a.local[static_cast<std::size_t>(i)] == body.b.local[j]);
      e.status = e.changes.empty() ? DiffStatus::Same : DiffStatus::Changed;
    } else {
      e.status = DiffStatus::Added;
      e.op = opLabel(*y);
    }
    std::vector<Node*> ownersA = e.a, ownersB = e.b;
    std::string inner = e.scope;
    out.push_back(std::move(e));
    appendBodyEntries(body, ownersA, ownersB, inner, out);
  }
  for (std::size_t i = 0; i < body.a.nodes.size(); ++i) {
    if (body.aToB[i] >= 0) continue;
    Node* x = body.a.nodes[i];
    NodeDiff e;
    e.status = DiffStatus::Removed;
    e.a = {x};
    e.op = opLabel(*x);
    e.scope = bodyScope(*x, scope);
    std::string inner = e.scope;
    out.push_back(std::move(e));
    appendBodyEntries(body, {x}, {}, inner, out);
  }
}

void appendBodyEntries(const NodePairing& p, const std::vector<Node*>& ownersA, const std::vector<Node*>& ownersB,
                       const std::string& scope, std::vector<NodeDiff>& out) {
  auto paired = [&](const Graph* g, bool sideA) {
    for (const auto& body : p.bodies)
      if ((sideA ? body.pairing->a.graph : body.pairing->b.graph) == g) return true;
    return false;
  };
  for (const auto& body : p.bodies) {
    bool ownsA = std::find(ownersA.begin(), ownersA.end(), body.ownerA) != ownersA.end();
    bool ownsB = std::find(ownersB.begin(), ownersB.end(), body.ownerB) != ownersB.end();
    if (ownsA && ownsB) appendPairedBody(*body.pairing, scope, out);
  }
  for (const Node* n : ownersA)
    for (const auto& sub : n->subgraphs())
      if (!paired(sub.graph.get(), true)) appendWholeBody(*sub.graph, DiffStatus::Removed, scope, out);
  for (const Node* n : ownersB)
    for (const auto& sub : n->subgraphs())
      if (!paired(sub.graph.get(), false)) appendWholeBody(*sub.graph, DiffStatus::Added, scope, out);
}

class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void unite(std::size_t x, std::size_t y) { parent_[find(x)] = find(y); }

 private:
  std::vector<std::size_t> parent_;
};

// "graft: rule fuse.gelu (replaced /a/Div, /a/Erf, Mul producing 'y')" → the rule and the labels.
std::pair<std::string, std::vector<std::string>> provenanceLabels(const Node& node) {
  std::string rule = provenanceOf(node);
  if (rule.empty()) return {};
  const std::string& doc = node.proto().doc_string();
  std::string line = doc.substr(0, doc.find('\n'));
  std::vector<std::string> labels;
  size_t open = line.find(" (replaced ");
  if (open != std::string::npos && line.back() == ')') {
    std::string list = line.substr(open + 11, line.size() - open - 12);
    size_t start = 0;
    for (;;) {
      size_t comma = list.find(", ", start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item != "...") labels.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 2;
    }
  }
  return {rule, labels};
}

const Node* nodeOfLabel(const Graph& g, const std::string& label) {
  if (const Node* n = g.findNodeByName(label)) return n;
  size_t p = label.find(" producing '");
  if (p != std::string::npos && label.back() == '\'') {
    const Value* v = g.findValue(label.substr(p + 12, label.size() - p - 13));
    if (v && v->producer() && &v->producer()->graph() == &g) return v->producer();
  }
  return nullptr;
}

bool sameBytes(const Tensor& a, const Tensor& b) {
  std::string_view ra = a.rawBytes(), rb = b.rawBytes();
  if (!ra.empty() || !rb.empty()) {
    if (!ra.empty() && !rb.empty()) return ra == rb;
  }
  // At least one side stores typed fields: compare as arrays.
  auto xa = arrayFromTensor(a);
  auto xb = arrayFromTensor(b);
  if (!xa || !xb) return false;
  if (xa->dtype() == onnx::TensorProto::STRING) return xa->strings() == xb->strings();
  return xa->bytes() == xb->bytes() && std::memcmp(xa->raw(), xb->raw(), xa->bytes()) == 0;
}

void compareWeightValues(WeightDiff& w, const Tensor& a, const Tensor& b) {
  auto xa = arrayViewOfTensor(a);
  auto xb = arrayViewOfTensor(b);
  if (!xa || !xb) {
    w.note = !xa ? xa.message() : xb.message();
    return;
  }
  auto da = arrayToDoubles(xa.value());
  auto db = arrayToDoubles(xb.value());
  if (!da || !db) {
    w.note = "not numeric";
    return;
  }
  const auto& x = da.value();
  const auto& y = db.value();
  double dot = 0, nx = 0, ny = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    double d = std::abs(x[i] - y[i]);
    if (std::isnan(d)) continue;
    w.maxAbs = std::max(w.maxAbs, d);
    w.maxRel = std::max(w.maxRel, d / std::max(std::abs(x[i]), 1e-12));
    dot += x[i] * y[i];
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  w.cosine = (nx == 0 && ny == 0) ? 1.0 : (nx == 0 || ny == 0 ? 0.0 : dot / std::sqrt(nx * ny));
}

void diffWeight(WeightDiff& w, const Tensor& a, const Tensor& b, bool compareValues) {
  w.type = tensorText(a.proto());
  std::string tb = tensorText(b.proto());
  if (w.type != tb) {
    w.status = DiffStatus::Changed;
    w.type += " → " + tb;
    w.note = "dtype or shape changed";
    return;
  }
  bool same = compareValues ? sameBytes(a, b) : tensorContentHash(a) == tensorContentHash(b);
  if (same) return;
  w.status = DiffStatus::Changed;
  if (compareValues) compareWeightValues(w, a, b);
}

void modelFieldChanges(const Model& a, const Model& b, std::vector<std::string>& out) {
  auto ioChanges = [&](const std::vector<Value*>& va, const std::vector<Value*>& vb, const char* what, bool skipWeights) {
    std::map<std::string, const Value*> ma, mb;
    for (const Value* v : va)
      if (!(skipWeights && v->isInitializer())) ma[v->name()] = v;
    for (const Value* v : vb)
      if (!(skipWeights && v->isInitializer())) mb[v->name()] = v;
    for (const auto& [name, v] : ma) {
      auto it = mb.find(name);
      if (it == mb.end()) {
        out.push_back(std::string(what) + " '" + name + "' removed");
        continue;
      }
      const onnx::TypeProto* ta = v->declaredType();
      const onnx::TypeProto* tb = it->second->declaredType();
      std::string x = ta ? typeText(*ta) : "(undeclared)", y = tb ? typeText(*tb) : "(undeclared)";
      if (x != y) out.push_back(std::string(what) + " '" + name + "': " + x + " → " + y);
    }
    for (const auto& [name, v] : mb)
      if (!ma.count(name)) out.push_back(std::string(what) + " '" + name + "' added");
  };
  ioChanges(a.graph().inputs(), b.graph().inputs(), "graph input", true);
  ioChanges(a.graph().outputs(), b.graph().outputs(), "graph output", false);
  std::map<std::string, std::int64_t> oa, ob;
  auto dom = [](const std::string& d) { return d.empty() || d == "ai.onnx" ? std::string("ai.onnx") : d; };
  for (const auto& o : a.shell().opset_import()) oa[dom(o.domain())] = o.version();
  for (const auto& o : b.shell().opset_import()) ob[dom(o.domain())] = o.version();
  for (const auto& [d, v] : oa) {
    auto it = ob.find(d);
    if (it == ob.end()) out.push_back("opset " + d + " " + std::to_string(v) + " removed");
    else if (it->second != v) out.push_back("opset " + d + ": " + std::to_string(v) + " → " + std::to_string(it->second));
  }
  for (const auto& [d, v] : ob)
    if (!oa.count(d)) out.push_back("opset " + d + " " + std::to_string(v) + " added");
  const auto& sa = a.shell();
  const auto& sb = b.shell();
  if (sa.ir_version() != sb.ir_version())
    out.push_back("IR version: " + std::to_string(sa.ir_version()) + " → " + std::to_string(sb.ir_version()));
  if (sa.producer_name() != sb.producer_name() || sa.producer_version() != sb.producer_version())
    out.push_back("producer: " + sa.producer_name() + " " + sa.producer_version() + " → " + sb.producer_name() + " " +
                  sb.producer_version());
  std::map<std::string, std::string> ma, mb;
  for (const auto& p : sa.metadata_props()) ma[p.key()] = p.value();
  for (const auto& p : sb.metadata_props()) mb[p.key()] = p.value();
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) out.push_back("metadata '" + k + "' removed");
    else if (it->second != v) out.push_back("metadata '" + k + "': \"" + v.substr(0, 60) + "\" → \"" + it->second.substr(0, 60) + "\"");
  }
  for (const auto& [k, v] : mb)
    if (!ma.count(k)) out.push_back("metadata '" + k + "' added");
  if (sa.doc_string() != sb.doc_string()) out.push_back("model doc string changed");
}

}  // namespace

Result<ModelDiff> diffModels(const Model& a, const Model& b, const DiffOptions& options) {
  ProgressFn pairProgress;
  if (options.progress)
    pairProgress = [&](double f, std::string_view stage) { return options.progress(f * 0.6, stage); };
  auto pairing = pairModels(a, b, {pairProgress});
  if (!pairing) return pairing.status();
  ModelDiff d;
  d.pairing = std::move(pairing.value());
  NodePairing& p = d.pairing;
  const std::size_t na = p.a.nodes.size(), nb = p.b.nodes.size();
  if (!reportProgress(options.progress, 0.6, "grouping what changed")) return Status{ErrorCode::Cancelled, "diff cancelled"};

  // Fused groups from rewrite provenance: a node made by a rule names the nodes it replaced. Such
  // a node is taken out of any pair, so the group holds the whole rewrite.
  // Union-find over A's nodes [0, na) and B's [na, na+nb).
  UnionFind uf(na + nb);
  std::vector<char> grouped(na + nb, 0);
  std::map<std::size_t, std::string> ruleOf;  // B index → rule
  std::map<std::string, std::vector<std::int32_t>> byDoc;
  for (std::int32_t j = 0; j < static_cast<std::int32_t>(nb); ++j) {
    auto [rule, labels] = provenanceLabels(*p.b.nodes[j]);
    if (rule.empty()) continue;
    std::vector<std::int32_t> partsInA;
    for (const auto& l : labels) {
      const Node* n = nodeOfLabel(*p.a.graph, l);
      std::int32_t i = n ? p.a.indexOf(n) : -1;
      if (i >= 0) partsInA.push_back(i);
    }
    // A rule that left the node as it was (or a name that means another node now) is no group.
    if (partsInA.empty()) continue;
    ruleOf[j] = rule;
    byDoc[p.b.nodes[j]->proto().doc_string()].push_back(j);
    for (std::int32_t i : partsInA) {
      std::int32_t partner = p.aToB[i];
      // Parts whose partner is an untouched node of B stay paired (the rule kept them).
      if (partner >= 0 && partner != j && provenanceOf(*p.b.nodes[partner]).empty()) continue;
      if (partner >= 0) p.bToA[partner] = -1;
      p.aToB[i] = -1;
      uf.unite(i, na + j);
      grouped[i] = 1;
    }
    if (p.bToA[j] >= 0) {
      p.aToB[p.bToA[j]] = -1;
      p.bToA[j] = -1;
    }
    grouped[na + j] = 1;
  }
  for (const auto& [doc, js] : byDoc)
    for (std::size_t k = 1; k < js.size(); ++k) uf.unite(na + js[0], na + js[k]);

  // What is left unpaired forms groups: unpaired neighbours on one side belong together, and
  // unpaired nodes of A and B that sit at the same port of a paired node belong together. Groups
  // a rewrite recorded stay as recorded (free = unpaired and in no such group).
  auto freeA = [&](std::int32_t i) { return i >= 0 && p.aToB[i] < 0 && !grouped[i]; };
  auto freeB = [&](std::int32_t j) { return j >= 0 && p.bToA[j] < 0 && !grouped[na + j]; };
  for (std::size_t i = 0; i < na; ++i) {
    if (!freeA(static_cast<std::int32_t>(i))) continue;
    for (const HashEdge& e : p.a.producers[i])
      if (freeA(e.node)) uf.unite(i, e.node);
  }
  for (std::size_t j = 0; j < nb; ++j) {
    if (!freeB(static_cast<std::int32_t>(j))) continue;
    for (const HashEdge& e : p.b.producers[j])
      if (freeB(e.node)) uf.unite(na + j, na + e.node);
  }
  for (std::size_t i = 0; i < na; ++i) {
    std::int32_t j = p.aToB[i];
    if (j < 0) continue;
    const auto& pa = p.a.producers[i];
    const auto& pb = p.b.producers[j];
    for (std::size_t s = 0; s < pa.size() && s < pb.size(); ++s) {
      std::int32_t x = pa[s].node, y = pb[s].node;
      if (freeA(x) && freeB(y)) uf.unite(x, na + y);
    }
    // Unpaired readers of the same output on both sides.
    std::vector<std::int32_t> ra, rb;
    for (const HashEdge& e : p.a.consumers[i])
      if (freeA(e.node)) ra.push_back(e.node);
    for (const HashEdge& e : p.b.consumers[j])
      if (freeB(e.node)) rb.push_back(e.node);
    if (!ra.empty() && !rb.empty()) {
      for (std::int32_t x : ra) uf.unite(x, ra[0]);
      for (std::int32_t y : rb) uf.unite(na + y, ra[0]);
    }
  }

  auto collect = [&] {
    std::map<std::size_t, std::pair<std::vector<std::int32_t>, std::vector<std::int32_t>>> g;
    for (std::size_t i = 0; i < na; ++i)
      if (p.aToB[i] < 0) g[uf.find(i)].first.push_back(static_cast<std::int32_t>(i));
    for (std::size_t j = 0; j < nb; ++j)
      if (p.bToA[j] < 0) g[uf.find(na + j)].second.push_back(static_cast<std::int32_t>(j));
    return g;
  };
  auto groups = collect();
  // Nodes of A that vanished next to a recorded rewrite (its constants, the parts past the eight
  // names a record keeps, or what an earlier rewrite made that a later one replaced) belong to the
  // rewrite they share the most edges with.
  bool absorbed = false;
  for (auto& [root, g] : groups) {
    if (!g.second.empty() || g.first.empty() || grouped[g.first[0]]) continue;
    std::map<std::size_t, int> near;
    for (std::int32_t i : g.first) {
      for (const HashEdge& e : p.a.producers[i])
        if (e.node >= 0 && grouped[e.node]) ++near[uf.find(e.node)];
      for (const HashEdge& e : p.a.consumers[i])
        if (grouped[e.node]) ++near[uf.find(e.node)];
    }
    if (near.empty()) continue;
    auto best = std::max_element(near.begin(), near.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
    uf.unite(root, best->first);
    absorbed = true;
  }
  if (absorbed) groups = collect();

  // Entries with a sort key: B's topological position, removed ones just after the partner of
  // the paired node before them in A.
  std::vector<std::pair<double, NodeDiff>> entries;
  entries.reserve(nb + 16);
  std::vector<double> keyOfA(na, -1);
  {
    double last = -0.5;
    for (std::size_t i = 0; i < na; ++i) {
      if (p.aToB[i] >= 0) last = p.aToB[i];
      keyOfA[i] = last + 0.25 + 0.5 * static_cast<double>(i) / static_cast<double>(na + 1);
    }
  }
  for (std::size_t i = 0; i < na; ++i) {
    std::int32_t j = p.aToB[i];
    if (j < 0) continue;
    const Node& x = *p.a.nodes[i];
    const Node& y = *p.b.nodes[j];
    NodeDiff e;
    e.a = {p.a.nodes[i]};
    e.b = {p.b.nodes[j]};
    e.op = opLabel(x) == opLabel(y) ? opLabel(y) : opLabel(x) + " → " + opLabel(y);
    e.changes = pairChanges(x, y, p.a.local[i] == p.b.local[j]);
    e.status = e.changes.empty() ? DiffStatus::Same : DiffStatus::Changed;
    e.scope = pairScope(x, y);
    entries.emplace_back(static_cast<double>(j), std::move(e));
  }
  for (auto& [root, g] : groups) {
    auto& [ga, gb] = g;
    NodeDiff e;
    for (std::int32_t i : ga) e.a.push_back(p.a.nodes[i]);
    for (std::int32_t j : gb) e.b.push_back(p.b.nodes[j]);
    // Every rule that made a node of the group, in B's order (rewrites next to each other merge).
    std::string rule;
    std::set<std::string> rules;
    for (std::int32_t j : gb)
      if (auto it = ruleOf.find(j); it != ruleOf.end() && rules.insert(it->second).second)
        rule += (rule.empty() ? "" : ", ") + it->second;
    double key = !gb.empty() ? static_cast<double>(*std::min_element(gb.begin(), gb.end())) : keyOfA[ga[0]];
    if (ga.empty()) {
      // Several new nodes next to each other are still each added on their own.
      for (std::int32_t j : gb) {
        NodeDiff one;
        one.status = DiffStatus::Added;
        one.b = {p.b.nodes[j]};
        one.op = opLabel(*p.b.nodes[j]);
        one.scope = scopeOfName(p.b.nodes[j]->name());
        entries.emplace_back(static_cast<double>(j), std::move(one));
      }
      continue;
    }
    if (gb.empty()) {
      for (std::int32_t i : ga) {
        NodeDiff one;
        one.status = DiffStatus::Removed;
        one.a = {p.a.nodes[i]};
        one.op = opLabel(*p.a.nodes[i]);
        one.scope = scopeOfName(p.a.nodes[i]->name());
        entries.emplace_back(keyOfA[i], std::move(one));
      }
      continue;
    }
    if (ga.size() == 1 && gb.size() == 1 && rule.empty()) {
      // One node for one node: a pair whose op type changed, not a group.
      const Node& x = *e.a[0];
      const Node& y = *e.b[0];
      e.status = DiffStatus::Changed;
      e.op = opLabel(x) == opLabel(y) ? opLabel(y) : opLabel(x) + " → " + opLabel(y);
      e.changes = pairChanges(x, y, false);
      if (e.changes.empty()) e.changes.push_back("inputs come from other nodes");
      e.scope = pairScope(x, y);
      entries.emplace_back(key, std::move(e));
      continue;
    }
    e.status = ga.size() >= gb.size() ? DiffStatus::Fused : DiffStatus::Split;
    e.rule = rule;
    std::vector<std::string> opsA, opsB;
    for (const Node* n : e.a) opsA.push_back(opLabel(*n));
    for (const Node* n : e.b) opsB.push_back(opLabel(*n));
    auto joined = [](const std::vector<std::string>& ops) {
      std::string s;
      for (std::size_t k = 0; k < ops.size() && k < 8; ++k) s += (k ? "+" : "") + ops[k];
      if (ops.size() > 8) s += "+…";
      return s;
    };
    e.op = joined(opsA) + " → " + joined(opsB);
    e.changes.push_back(std::to_string(ga.size()) + " node" + (ga.size() == 1 ? "" : "s") + " → " + std::to_string(gb.size()) +
                        " node" + (gb.size() == 1 ? "" : "s") + (rule.empty() ? std::string() : " (rule " + rule + ")"));
    e.scope = pairScope(*e.a[0], *e.b[0]);
    entries.emplace_back(key, std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  d.nodes.reserve(entries.size());
  for (auto& [key, e] : entries) {
    // The nodes inside an entry's subgraph bodies follow it.
    std::vector<Node*> ownersA = e.a, ownersB = e.b;
    std::string scope = e.scope;
    d.nodes.push_back(std::move(e));
    appendBodyEntries(p, ownersA, ownersB, scope, d.nodes);
  }
  for (std::size_t k = 0; k < d.nodes.size(); ++k) {
    for (const Node* n : d.nodes[k].a) d.entryOf[n] = k;
    for (const Node* n : d.nodes[k].b) d.entryOf[n] = k;
  }

  if (!reportProgress(options.progress, 0.7, "comparing weights")) return Status{ErrorCode::Cancelled, "diff cancelled"};
  // Weights: initializers, and the values of Constant nodes (a changed constant is a weight change).
  std::vector<WeightDiff> changed, same;
  std::set<const Value*> seenB;
  const auto& initA = p.a.graph->initializers();
  for (std::size_t k = 0; k < initA.size(); ++k) {
    const Value* va = initA[k];
    WeightDiff w;
    w.a = va;
    auto it = p.valuesAtoB.find(va);
    if (it == p.valuesAtoB.end() || !it->second->isInitializer()) {
      w.status = DiffStatus::Removed;
      w.type = tensorText(va->initializer()->proto());
      changed.push_back(std::move(w));
      continue;
    }
    w.b = it->second;
    seenB.insert(w.b);
    diffWeight(w, *va->initializer(), *w.b->initializer(), options.compareWeights);
    (w.status == DiffStatus::Same ? same : changed).push_back(std::move(w));
    if (k % 256 == 0 &&
        !reportProgress(options.progress, 0.7 + 0.25 * static_cast<double>(k) / static_cast<double>(initA.size()), "comparing weights"))
      return Status{ErrorCode::Cancelled, "diff cancelled"};
  }
  for (const Value* vb : p.b.graph->initializers()) {
    if (seenB.count(vb)) continue;
    WeightDiff w;
    w.status = DiffStatus::Added;
    w.b = vb;
    w.type = tensorText(vb->initializer()->proto());
    changed.push_back(std::move(w));
  }
  for (std::size_t i = 0; i < na; ++i) {
    std::int32_t j = p.aToB[i];
    if (j < 0) continue;
    const Node& x = *p.a.nodes[i];
    const Node& y = *p.b.nodes[j];
    if (x.opType() != "Constant" || y.opType() != "Constant" || x.proto().attribute_size() != 1 || y.proto().attribute_size() != 1)
      continue;
    const auto& ax = x.proto().attribute(0);
    const auto& ay = y.proto().attribute(0);
    if (ax.name() != ay.name() || attributeHash(ax) == attributeHash(ay)) continue;
    WeightDiff w;
    w.status = DiffStatus::Changed;
    w.a = x.outputs().empty() ? nullptr : x.outputs()[0];
    w.b = y.outputs().empty() ? nullptr : y.outputs()[0];
    w.type = attributeText(ax);
    if (ax.type() == onnx::AttributeProto::TENSOR && ay.type() == onnx::AttributeProto::TENSOR) {
      Tensor ta(ax.t()), tb(ay.t());
      w.type = tensorText(ax.t());
      if (w.type != tensorText(ay.t())) w.type += " → " + tensorText(ay.t());
      else compareWeightValues(w, ta, tb);
    } else {
      w.type += " → " + attributeText(ay);
    }
    changed.push_back(std::move(w));
  }
  d.weights = std::move(changed);
  for (auto& w : same) d.weights.push_back(std::move(w));

  modelFieldChanges(a, b, d.modelChanges);

  // Summary and per-scope counts.
  DiffSummary& s = d.summary;
  s.nodesA = countNodes(a.graph());
  s.nodesB = countNodes(b.graph());
  std::map<std::string, ScopeCounts> scopes;
  for (const auto& e : d.nodes) {
    ScopeCounts& c = scopes[e.scope];
    c.scope = e.scope;
    switch (e.status) {
      case DiffStatus::Same: ++s.same, ++c.same; ++s.pairedNodes; break;
      case DiffStatus::Changed: ++s.changed, ++c.changed; ++s.pairedNodes; break;
      case DiffStatus::Added: ++s.added, ++c.added; break;
      case DiffStatus::Removed: ++s.removed, ++c.removed; break;
      case DiffStatus::Fused: ++s.fused, ++c.fused; break;
      case DiffStatus::Split: ++s.split, ++c.split; break;
    }
  }
  for (auto& [k, c] : scopes) d.scopes.push_back(c);
  for (const auto& w : d.weights) {
    switch (w.status) {
      case DiffStatus::Same: ++s.weightsSame; break;
      case DiffStatus::Added: ++s.weightsAdded; break;
      case DiffStatus::Removed: ++s.weightsRemoved; break;
      default: ++s.weightsChanged; break;
    }
  }
  s.modelChanges = d.modelChanges.size();
  reportProgress(options.progress, 1.0, "compared");
  return d;
}

}  // namespace graft
