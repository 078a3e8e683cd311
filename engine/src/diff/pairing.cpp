// Structural hashes, node pairing and anchors (see graft/diff.h). The stages follow XLA's
// hlo_diff: cheap unique-hash pairs first, then pairs spread along edges, then neighbour scores.
#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <string_view>

#include "diff/hash.h"
#include "graft/diff.h"

namespace graft {

using namespace diffdetail;

// ----------------------------------------------------------------------------- hashing helpers

namespace diffdetail {

std::uint64_t hashBytes(std::string_view bytes) {
  // Large tensors are sampled: 256 evenly spaced 32-byte chunks identify weights as well as the
  // whole would, at a fixed cost (values are compared in full where it matters).
  constexpr std::size_t kWhole = 8192, kChunks = 256, kChunk = 32;
  if (bytes.size() <= kWhole) return std::hash<std::string_view>{}(bytes);
  std::uint64_t h = mix(0x51ed27a1u, bytes.size());
  std::size_t stride = (bytes.size() - kChunk) / (kChunks - 1);
  for (std::size_t i = 0; i < kChunks; ++i)
    h = mix(h, std::hash<std::string_view>{}(bytes.substr(i * stride, kChunk)));
  return h;
}

namespace {

template <typename Field>
std::string_view fieldBytes(const Field& f) {
  return {reinterpret_cast<const char*>(f.data()), static_cast<std::size_t>(f.size()) * sizeof(f.Get(0))};
}

std::uint64_t shapeHash(const onnx::TensorProto& t) {
  std::uint64_t h = mix(0x7e115u, static_cast<std::uint64_t>(t.data_type()));
  for (auto d : t.dims()) h = mix(h, static_cast<std::uint64_t>(d));
  return h;
}

std::uint64_t protoDataHash(const onnx::TensorProto& t) {
  if (!t.raw_data().empty()) return hashBytes(t.raw_data());
  if (t.float_data_size()) return hashBytes(fieldBytes(t.float_data()));
  if (t.int32_data_size()) return hashBytes(fieldBytes(t.int32_data()));
  if (t.int64_data_size()) return hashBytes(fieldBytes(t.int64_data()));
  if (t.double_data_size()) return hashBytes(fieldBytes(t.double_data()));
  if (t.uint64_data_size()) return hashBytes(fieldBytes(t.uint64_data()));
  std::uint64_t h = 0x5731u;
  for (const auto& s : t.string_data()) h = mix(h, strHash(s));
  return h;
}

}  // namespace

std::uint64_t weightShapeHash(const Tensor& t) { return shapeHash(t.proto()); }

}  // namespace diffdetail

std::uint64_t tensorContentHash(const onnx::TensorProto& tensor) {
  return mix(shapeHash(tensor), protoDataHash(tensor));
}

std::uint64_t tensorContentHash(const Tensor& tensor) {
  if (tensor.isExternal()) return mix(shapeHash(tensor.proto()), hashBytes(tensor.rawBytes()));
  return tensorContentHash(tensor.proto());
}

namespace {

std::uint64_t subgraphShapeHash(const Graph& g) {
  // Bodies compare by the multiset of their op types (recursively): enough to tell a changed
  // loop body from an unchanged one without pairing inside it.
  std::uint64_t sum = 0;
  g.forEachNode([&](const Node& n) {
    std::uint64_t h = mix(strHash(n.opType()), strHash(n.domain()));
    for (const auto& s : n.subgraphs()) h = mix(h, subgraphShapeHash(*s.graph));
    sum += fmix(h);
  });
  return mix(sum, g.nodeCount());
}

}  // namespace

namespace diffdetail {

std::uint64_t attributeHash(const onnx::AttributeProto& a) {
  std::uint64_t h = mix(strHash(a.name()), static_cast<std::uint64_t>(a.type()));
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: {
      float f = a.f();
      std::uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return mix(h, bits);
    }
    case onnx::AttributeProto::INT: return mix(h, static_cast<std::uint64_t>(a.i()));
    case onnx::AttributeProto::STRING: return mix(h, strHash(a.s()));
    case onnx::AttributeProto::TENSOR: return mix(h, tensorContentHash(a.t()));
    case onnx::AttributeProto::FLOATS: return mix(h, hashBytes(fieldBytes(a.floats())));
    case onnx::AttributeProto::INTS: return mix(h, hashBytes(fieldBytes(a.ints())));
    case onnx::AttributeProto::STRINGS:
      for (const auto& s : a.strings()) h = mix(h, strHash(s));
      return h;
    case onnx::AttributeProto::TENSORS:
      for (const auto& t : a.tensors()) h = mix(h, tensorContentHash(t));
      return h;
    default: return mix(h, strHash(a.ref_attr_name()));
  }
}

std::uint64_t localHash(const Node& n) {
  std::uint64_t h = mix(strHash(n.opType()), strHash(n.domain() == "ai.onnx" ? std::string_view() : n.domain()));
  // Attribute order in the file means nothing: combine them commutatively.
  std::uint64_t attrs = 0;
  for (const auto& a : n.proto().attribute()) attrs += fmix(attributeHash(a));
  h = mix(h, attrs);
  std::uint64_t present = 0;
  for (std::size_t i = 0; i < n.inputs().size() && i < 64; ++i)
    if (n.inputs()[i]) present |= std::uint64_t{1} << i;
  h = mix(mix(h, n.inputs().size()), present);
  h = mix(h, n.outputs().size());
  for (const auto& s : n.subgraphs()) h = mix(mix(h, strHash(s.attribute)), subgraphShapeHash(*s.graph));
  return h;
}

}  // namespace diffdetail

// ----------------------------------------------------------------------------- hashGraph

namespace {

// What a value read from an enclosing graph is, seen from a body: the same on both sides when the
// enclosing nodes were paired (set by pairBodies); empty: by name.
using OuterIdentity = std::function<std::uint64_t(const Value*)>;

Result<StructuralHashes> hashLevel(const Graph& graph, const OuterIdentity& outer) {
  auto order = graph.topologicalOrder();
  if (!order) return order.status();
  StructuralHashes h;
  h.graph = &graph;
  h.nodes = std::move(order.value());
  const std::size_t n = h.nodes.size();
  h.index.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) h.index.emplace(h.nodes[i], static_cast<std::int32_t>(i));

  // A use inside a subgraph counts as a use by the node that owns the subgraph at this level.
  auto ownerHere = [&](const Node* user) -> std::int32_t {
    while (user && &user->graph() != &graph) user = user->graph().parentNode();
    return user ? h.indexOf(user) : -1;
  };

  // A body's inputs and outputs are formal parameters: by position, since a re-export renames them.
  const bool body = graph.parentNode() != nullptr;
  std::unordered_map<const Value*, std::uint64_t> ioId;
  for (std::size_t k = 0; k < graph.inputs().size(); ++k)
    ioId.emplace(graph.inputs()[k], body ? mix(0x1b0u, k) : strHash(graph.inputs()[k]->name()));
  auto outputId = [&](const Value* v) -> std::uint64_t {
    if (!body) return strHash(v->name());
    for (std::size_t k = 0; k < graph.outputs().size(); ++k)
      if (graph.outputs()[k] == v) return mix(0x1b1u, k);
    return 0;
  };

  h.local.resize(n);
  h.producers.resize(n);
  h.consumers.resize(n);
  // Per input (flat, from inputStart[i]): what it is when no node here produces it (graph input
  // by name, weight, outer value). Per consumer (flat, from useStart[i]): which output it reads.
  std::vector<std::size_t> inputStart(n + 1, 0), useStart(n + 1, 0);
  std::vector<std::uint64_t> sourceUp, sourceShape;
  std::vector<std::uint32_t> useOutput;
  sourceUp.reserve(n * 2);
  sourceShape.reserve(n * 2);
  useOutput.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    const Node& node = *h.nodes[i];
    h.local[i] = localHash(node);
    auto& prod = h.producers[i];
    prod.resize(node.inputs().size());
    inputStart[i] = sourceUp.size();
    for (std::size_t s = 0; s < node.inputs().size(); ++s) {
      const Value* v = node.inputs()[s];
      std::uint64_t up = 0, shape = 0;
      std::int32_t p = v && v->producer() ? h.indexOf(v->producer()) : -1;
      if (!v) {
        up = shape = 0x0a17u;
      } else if (p >= 0) {
        prod[s] = {p, v->producerOutput()};
      } else if (v->isGraphInput() && &v->graph() == &graph) {
        up = shape = mix(0x1a7u, ioId.at(v));
      } else if (const Tensor* t = v->initializer()) {
        up = mix(0x3e1u, tensorContentHash(*t));
        shape = mix(0x3e1u, weightShapeHash(*t));
      } else {
        up = shape = mix(0x0e7u, outer ? outer(v) : strHash(v->name()));
      }
      sourceUp.push_back(up);
      sourceShape.push_back(shape);
    }
    useStart[i] = useOutput.size();
    for (std::size_t k = 0; k < node.outputs().size(); ++k) {
      const Value* v = node.outputs()[k];
      if (!v) continue;
      for (const Use& u : v->uses()) {
        std::int32_t c = &u.node->graph() == &graph ? h.indexOf(u.node) : ownerHere(u.node);
        if (c < 0) continue;
        h.consumers[i].push_back({c, &u.node->graph() == &graph ? u.index : -1});
        useOutput.push_back(static_cast<std::uint32_t>(k));
      }
    }
  }
  inputStart[n] = sourceUp.size();
  useStart[n] = useOutput.size();
  h.up.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t x = h.local[i];
    for (std::size_t s = 0; s < h.producers[i].size(); ++s) {
      const HashEdge& e = h.producers[i][s];
      x = mix(x, e.node >= 0 ? mix(h.up[e.node], static_cast<std::uint64_t>(e.port)) : sourceUp[inputStart[i] + s]);
    }
    h.up[i] = x;
  }
  h.down.resize(n);
  for (std::size_t r = n; r-- > 0;) {
    const Node& node = *h.nodes[r];
    std::uint64_t x = h.local[r];
    const auto& cons = h.consumers[r];
    std::size_t t = 0;
    for (std::size_t k = 0; k < node.outputs().size(); ++k) {
      const Value* v = node.outputs()[k];
      if (!v) continue;
      std::uint64_t uses = 0;
      // Consumers were recorded output by output, so those of output k are the next ones.
      for (; t < cons.size() && useOutput[useStart[r] + t] == k; ++t)
        uses += fmix(mix(h.down[cons[t].node], static_cast<std::uint64_t>(cons[t].port < 0 ? 0 : cons[t].port)));
      x = mix(mix(x, k), uses);
      if (v->isGraphOutput() && &v->graph() == &graph) x = mix(x, mix(0x0e7u, outputId(v)));
    }
    h.down[r] = x;
  }
  // Weisfeiler-Lehman rounds over the undirected neighbourhood, weights by shape only.
  std::vector<std::uint64_t> cur(n), next(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t x = h.local[i];
    for (std::size_t s = 0; s < h.producers[i].size(); ++s)
      x = mix(x, h.producers[i][s].node >= 0 ? 0x9d0u : sourceShape[inputStart[i] + s]);
    cur[i] = x;
  }
  for (int round = 0; round < kNeighbourhoodRadius; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t x = cur[i];
      for (std::size_t s = 0; s < h.producers[i].size(); ++s) {
        const HashEdge& e = h.producers[i][s];
        if (e.node >= 0) x = mix(x, mix(cur[e.node], static_cast<std::uint64_t>(e.port) * 131 + s));
      }
      std::uint64_t users = 0;
      for (const HashEdge& e : h.consumers[i]) users += fmix(mix(cur[e.node], static_cast<std::uint64_t>(e.port + 1)));
      next[i] = mix(x, users);
    }
    std::swap(cur, next);
  }
  h.neighbourhood = std::move(cur);
  return h;
}

}  // namespace

Result<StructuralHashes> hashGraph(const Graph& graph) { return hashLevel(graph, {}); }

// ----------------------------------------------------------------------------- pairing

namespace {

bool sameOp(const Node& a, const Node& b) {
  auto dom = [](const Node& n) -> std::string_view { return n.domain() == "ai.onnx" ? std::string_view() : n.domain(); };
  return a.opType() == b.opType() && dom(a) == dom(b);
}

// Hash → index when the hash occurs once among the candidates, kDuplicate otherwise.
constexpr std::int32_t kDuplicate = -2;

// Graph inputs or outputs of A and B that correspond: by name in a model's main graph, by position
// in a body (its inputs and outputs are formal parameters).
std::vector<std::pair<const Value*, const Value*>> correspondingIo(const std::vector<Value*>& a, const std::vector<Value*>& b) {
  std::vector<std::pair<const Value*, const Value*>> out;
  const bool body = (!a.empty() && a.front()->graph().parentNode()) || (!b.empty() && b.front()->graph().parentNode());
  if (body) {
    for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) out.emplace_back(a[k], b[k]);
    return out;
  }
  std::unordered_map<std::string_view, const Value*> byName;
  for (const Value* v : b) byName.emplace(v->name(), v);
  for (const Value* v : a)
    if (auto it = byName.find(v->name()); it != byName.end()) out.emplace_back(v, it->second);
  return out;
}

class Pairer {
 public:
  explicit Pairer(NodePairing& p) : p_(p), A_(p.a), B_(p.b) {
    p_.aToB.assign(A_.nodes.size(), -1);
    p_.bToA.assign(B_.nodes.size(), -1);
  }

  void pair(std::int32_t i, std::int32_t j) {
    if (p_.aToB[i] >= 0 || p_.bToA[j] >= 0) return;
    p_.aToB[i] = j;
    p_.bToA[j] = i;
    queue_.push_back(i);
  }

  // Unique-hash stage over the still unpaired nodes.
  template <typename KeyFn>
  void uniqueStage(KeyFn key) {
    std::unordered_map<std::uint64_t, std::int32_t> inB;
    inB.reserve(B_.nodes.size());
    for (std::int32_t j = 0; j < static_cast<std::int32_t>(B_.nodes.size()); ++j) {
      if (p_.bToA[j] >= 0) continue;
      auto [it, fresh] = inB.emplace(key(B_, j), j);
      if (!fresh) it->second = kDuplicate;
    }
    std::unordered_map<std::uint64_t, std::int32_t> inA;
    inA.reserve(A_.nodes.size());
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(A_.nodes.size()); ++i) {
      if (p_.aToB[i] >= 0) continue;
      auto [it, fresh] = inA.emplace(key(A_, i), i);
      if (!fresh) it->second = kDuplicate;
    }
    for (const auto& [k, i] : inA) {
      if (i < 0) continue;
      auto it = inB.find(k);
      if (it != inB.end() && it->second >= 0 && sameOp(*A_.nodes[i], *B_.nodes[it->second])) pair(i, it->second);
    }
    propagate();
  }

  // Nodes that kept their name (an optimizer's untouched nodes): unique names on both sides, same op.
  // After the structural stages, so a name never overrides structure, only fills in for it.
  void nameStage() {
    std::unordered_map<std::string_view, std::int32_t> inB;
    for (std::int32_t j = 0; j < static_cast<std::int32_t>(B_.nodes.size()); ++j) {
      const std::string& name = B_.nodes[j]->name();
      if (name.empty()) continue;
      auto [it, fresh] = inB.emplace(name, p_.bToA[j] >= 0 ? kDuplicate : j);
      if (!fresh) it->second = kDuplicate;
    }
    std::unordered_map<std::string_view, std::int32_t> inA;
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(A_.nodes.size()); ++i) {
      const std::string& name = A_.nodes[i]->name();
      if (name.empty()) continue;
      auto [it, fresh] = inA.emplace(name, p_.aToB[i] >= 0 ? kDuplicate : i);
      if (!fresh) it->second = kDuplicate;
    }
    for (const auto& [name, i] : inA) {
      if (i < 0) continue;
      auto it = inB.find(name);
      if (it != inB.end() && it->second >= 0 && sameOp(*A_.nodes[i], *B_.nodes[it->second])) pair(i, it->second);
    }
    propagate();
  }

  // Spreads pairs along edges: the producers at the same input slot, and consumers that are the
  // only unpaired candidate of their op at their slot on both sides.
  void propagate() {
    while (!queue_.empty()) {
      std::int32_t i = queue_.front();
      queue_.pop_front();
      std::int32_t j = p_.aToB[i];
      const auto& pa = A_.producers[i];
      const auto& pb = B_.producers[j];
      for (std::size_t s = 0; s < pa.size() && s < pb.size(); ++s) {
        std::int32_t x = pa[s].node, y = pb[s].node;
        if (x < 0 || y < 0 || p_.aToB[x] >= 0 || p_.bToA[y] >= 0) continue;
        if (pa[s].port == pb[s].port && sameOp(*A_.nodes[x], *B_.nodes[y])) pair(x, y);
      }
      spreadToConsumers(i, j);
    }
  }

  void spreadToConsumers(std::int32_t i, std::int32_t j) {
    const Node& na = *A_.nodes[i];
    const Node& nb = *B_.nodes[j];
    for (std::size_t k = 0; k < na.outputs().size() && k < nb.outputs().size(); ++k) {
      const Value* va = na.outputs()[k];
      const Value* vb = nb.outputs()[k];
      if (!va || !vb) continue;
      if (va->uses().size() == 1 && vb->uses().size() == 1) {
        std::int32_t x = A_.indexOf(va->uses()[0].node), y = B_.indexOf(vb->uses()[0].node);
        if (x >= 0 && y >= 0 && va->uses()[0].index == vb->uses()[0].index && sameOp(*A_.nodes[x], *B_.nodes[y]))
          pair(x, y);
        continue;
      }
      spreadFromValue(va, vb);
    }
  }

  // Last stage: each unpaired node of A looks at the unpaired nodes of B adjacent to the partners
  // of its paired neighbours, and takes the one most neighbours agree on (mutually best).
  void scoreStage() {
    const std::int32_t na = static_cast<std::int32_t>(A_.nodes.size());
    std::vector<std::pair<std::int32_t, int>> best(na, {-1, 0});
    std::unordered_map<std::int32_t, int> score;
    for (std::int32_t i = 0; i < na; ++i) {
      if (p_.aToB[i] >= 0) continue;
      score.clear();
      const auto& prod = A_.producers[i];
      for (std::size_t s = 0; s < prod.size(); ++s) {
        if (prod[s].node < 0) continue;
        std::int32_t pbj = p_.aToB[prod[s].node];
        if (pbj < 0) continue;
        for (const HashEdge& c : B_.consumers[pbj])
          if (p_.bToA[c.node] < 0 && c.port == static_cast<std::int32_t>(s)) score[c.node] += 2;
      }
      for (const HashEdge& c : A_.consumers[i]) {
        std::int32_t cbj = p_.aToB[c.node];
        if (cbj < 0 || c.port < 0) continue;
        const auto& bp = B_.producers[cbj];
        if (static_cast<std::size_t>(c.port) < bp.size()) {
          std::int32_t y = bp[c.port].node;
          if (y >= 0 && p_.bToA[y] < 0) score[y] += 2;
        }
      }
      int top = 0;
      std::int32_t arg = -1;
      bool tie = false;
      for (const auto& [y, sc0] : score) {
        int sc = sc0 + (sameOp(*A_.nodes[i], *B_.nodes[y]) ? 3 : 0) + (A_.local[i] == B_.local[y] ? 1 : 0);
        if (sc > top) {
          top = sc;
          arg = y;
          tie = false;
        } else if (sc == top) {
          tie = true;
        }
      }
      // A different op type needs evidence from two sides (e.g. its input and its consumer).
      if (arg >= 0 && !tie && top >= 4) best[i] = {arg, top};
    }
    // Mutual check: no other node of A chose the same node of B with an equal or higher score.
    std::unordered_map<std::int32_t, std::pair<std::int32_t, int>> chosen;
    for (std::int32_t i = 0; i < na; ++i) {
      if (best[i].first < 0) continue;
      auto [it, fresh] = chosen.emplace(best[i].first, std::make_pair(i, best[i].second));
      if (!fresh) {
        if (best[i].second > it->second.second) it->second = {i, best[i].second};
        else if (best[i].second == it->second.second) it->second.first = -1;
      }
    }
    for (const auto& [y, c] : chosen)
      if (c.first >= 0) pair(c.first, y);
    propagate();
  }

  void outputsByName() {
    for (const auto& [va, vb] : correspondingIo(A_.graph->outputs(), B_.graph->outputs())) {
      if (!va->producer() || !vb->producer() || va->producerOutput() != vb->producerOutput()) continue;
      std::int32_t i = A_.indexOf(va->producer()), j = B_.indexOf(vb->producer());
      if (i >= 0 && j >= 0 && sameOp(*va->producer(), *vb->producer())) pair(i, j);
    }
    propagate();
  }

  // Consumers of graph inputs that are alone with their (slot, op) on both sides.
  void inputsByName() {
    for (const auto& [va, vb] : correspondingIo(A_.graph->inputs(), B_.graph->inputs())) spreadFromValue(va, vb);
    propagate();
  }

  // Users of two corresponding values that are alone with their (slot, op) among the unpaired
  // users on both sides. Sorted vectors rather than maps: this runs once per pair.
  void spreadFromValue(const Value* va, const Value* vb) {
    auto collect = [](const Value* v, const StructuralHashes& side, const std::vector<std::int32_t>& map,
                      std::vector<std::pair<std::uint64_t, std::int32_t>>& c) {
      c.clear();
      for (const Use& u : v->uses()) {
        std::int32_t x = side.indexOf(u.node);
        if (x < 0 || map[x] >= 0) continue;
        c.emplace_back(mix(mix(strHash(u.node->opType()), strHash(u.node->domain())), u.index), x);
      }
      std::sort(c.begin(), c.end());
      // The same node reading the value twice at one slot cannot happen; equal keys are ambiguous.
      for (std::size_t k = 0; k + 1 < c.size(); ++k)
        if (c[k].first == c[k + 1].first) c[k].second = c[k + 1].second = kDuplicate;
    };
    collect(va, A_, p_.aToB, ca_);
    if (ca_.empty()) return;
    collect(vb, B_, p_.bToA, cb_);
    std::size_t y = 0;
    for (const auto& [key, x] : ca_) {
      while (y < cb_.size() && cb_[y].first < key) ++y;
      if (x >= 0 && y < cb_.size() && cb_[y].first == key && cb_[y].second >= 0) pair(x, cb_[y].second);
    }
  }

 private:
  NodePairing& p_;
  const StructuralHashes& A_;
  const StructuralHashes& B_;
  std::deque<std::int32_t> queue_;
  std::vector<std::pair<std::uint64_t, std::int32_t>> ca_, cb_;
};

void pairValues(NodePairing& p) {
  auto link = [&](const Value* a, const Value* b) {
    if (!a || !b) return;
    if (p.valuesAtoB.count(a) || p.valuesBtoA.count(b)) return;
    p.valuesAtoB.emplace(a, b);
    p.valuesBtoA.emplace(b, a);
  };
  const Graph& ga = *p.a.graph;
  const Graph& gb = *p.b.graph;
  p.valuesAtoB.reserve(p.a.nodes.size() * 2);
  p.valuesBtoA.reserve(p.b.nodes.size() * 2);
  for (const auto& [va, vb] : correspondingIo(ga.inputs(), gb.inputs())) link(va, vb);
  for (const auto& [va, vb] : correspondingIo(ga.outputs(), gb.outputs())) link(va, vb);
  for (std::size_t i = 0; i < p.a.nodes.size(); ++i) {
    std::int32_t j = p.aToB[i];
    if (j < 0) continue;
    const Node& na = *p.a.nodes[i];
    const Node& nb = *p.b.nodes[j];
    for (std::size_t k = 0; k < na.outputs().size() && k < nb.outputs().size(); ++k) link(na.outputs()[k], nb.outputs()[k]);
    for (std::size_t s = 0; s < na.inputs().size() && s < nb.inputs().size(); ++s) {
      const Value* va = na.inputs()[s];
      const Value* vb = nb.inputs()[s];
      if (va && vb && va->isInitializer() && vb->isInitializer()) link(va, vb);
    }
  }
  // Weights no paired node reads at the same slot: by unique content, then by name.
  std::unordered_map<std::uint64_t, const Value*> inB;
  for (const Value* v : gb.initializers()) {
    if (p.valuesBtoA.count(v)) continue;
    auto [it, fresh] = inB.emplace(tensorContentHash(*v->initializer()), v);
    if (!fresh) it->second = nullptr;
  }
  std::unordered_map<std::uint64_t, const Value*> inA;
  for (const Value* v : ga.initializers()) {
    if (p.valuesAtoB.count(v)) continue;
    auto [it, fresh] = inA.emplace(tensorContentHash(*v->initializer()), v);
    if (!fresh) it->second = nullptr;
  }
  for (const auto& [h, va] : inA)
    if (auto it = inB.find(h); va && it != inB.end() && it->second) link(va, it->second);
  for (const Value* va : ga.initializers()) {
    if (p.valuesAtoB.count(va)) continue;
    const Value* vb = gb.findValue(va->name());
    if (vb && vb->isInitializer()) link(va, vb);
  }
}

}  // namespace

Node* NodePairing::partnerInB(const Node* nodeOfA) const {
  if (!nodeOfA) return nullptr;
  if (&nodeOfA->graph() == a.graph) {
    std::int32_t i = a.indexOf(nodeOfA);
    return i >= 0 && aToB[i] >= 0 ? b.nodes[aToB[i]] : nullptr;
  }
  for (const Body& body : bodies)
    if (Node* n = body.pairing->partnerInB(nodeOfA)) return n;
  return nullptr;
}

Node* NodePairing::partnerInA(const Node* nodeOfB) const {
  if (!nodeOfB) return nullptr;
  if (&nodeOfB->graph() == b.graph) {
    std::int32_t j = b.indexOf(nodeOfB);
    return j >= 0 && bToA[j] >= 0 ? a.nodes[bToA[j]] : nullptr;
  }
  for (const Body& body : bodies)
    if (Node* n = body.pairing->partnerInA(nodeOfB)) return n;
  return nullptr;
}

std::size_t NodePairing::pairedCount() const {
  return static_cast<std::size_t>(std::count_if(aToB.begin(), aToB.end(), [](std::int32_t j) { return j >= 0; }));
}

namespace {

// The staged pairing of one graph level (hashes already in p.a and p.b).
void pairLevel(NodePairing& p) {
  Pairer pairer(p);
  pairer.outputsByName();
  pairer.uniqueStage([](const StructuralHashes& h, std::int32_t i) { return mix(h.up[i], h.down[i]); });
  pairer.uniqueStage([](const StructuralHashes& h, std::int32_t i) { return h.up[i]; });
  pairer.uniqueStage([](const StructuralHashes& h, std::int32_t i) { return h.down[i]; });
  pairer.inputsByName();
  pairer.nameStage();
  pairer.uniqueStage([](const StructuralHashes& h, std::int32_t i) { return h.neighbourhood[i]; });
  pairer.uniqueStage([](const StructuralHashes& h, std::int32_t i) { return h.local[i]; });
  for (int round = 0; round < 3; ++round) {
    std::size_t before = p.pairedCount();
    pairer.scoreStage();
    if (p.pairedCount() == before) break;
  }
  pairValues(p);
}

// A value a body reads from the level of `p`: the same identity on both sides when its producer
// there is paired (the upstream cone hash, which a rename does not change), else its name.
OuterIdentity outerIdentity(const StructuralHashes& level, bool sideA, const NodePairing& p) {
  return [&level, sideA, &p](const Value* v) -> std::uint64_t {
    const Node* producer = v->producer();
    std::int32_t i = producer ? level.indexOf(producer) : -1;
    if (i >= 0 && (sideA ? p.aToB[i] : p.bToA[i]) >= 0) {
      // Paired producers can still differ upstream (a changed attribute): use A's hash on both.
      std::int32_t ia = sideA ? i : p.bToA[i];
      return mix(p.a.up[ia], static_cast<std::uint64_t>(v->producerOutput()));
    }
    if (const Tensor* t = v->initializer()) return tensorContentHash(*t);
    return strHash(v->name());
  };
}

// Pairs the bodies of paired nodes, recursively.
Status pairBodies(NodePairing& p) {
  for (std::size_t i = 0; i < p.a.nodes.size(); ++i) {
    std::int32_t j = p.aToB[i];
    if (j < 0) continue;
    Node* na = p.a.nodes[i];
    Node* nb = p.b.nodes[j];
    for (const auto& sa : na->subgraphs()) {
      for (const auto& sb : nb->subgraphs()) {
        if (sa.attribute != sb.attribute || sa.index != sb.index) continue;
        auto ha = hashLevel(*sa.graph, outerIdentity(p.a, true, p));
        auto hb = hashLevel(*sb.graph, outerIdentity(p.b, false, p));
        // A body with a cycle stays unpaired: its nodes are reported removed and added.
        if (!ha || !hb) continue;
        auto body = std::make_shared<NodePairing>();
        body->a = std::move(ha.value());
        body->b = std::move(hb.value());
        pairLevel(*body);
        if (Status st = pairBodies(*body); !st) return st;
        p.bodies.push_back({na, nb, sa.attribute, sa.index, std::move(body)});
      }
    }
  }
  return {};
}

}  // namespace

Result<NodePairing> pairModels(const Model& a, const Model& b, const PairOptions& options) {
  if (!reportProgress(options.progress, 0.0, "hashing the first model")) return Status{ErrorCode::Cancelled, "diff cancelled"};
  auto ha = hashGraph(a.graph());
  if (!ha) return Status{ha.status().code(), "first model: " + ha.message()};
  if (!reportProgress(options.progress, 0.3, "hashing the second model")) return Status{ErrorCode::Cancelled, "diff cancelled"};
  auto hb = hashGraph(b.graph());
  if (!hb) return Status{hb.status().code(), "second model: " + hb.message()};
  NodePairing p;
  p.a = std::move(ha.value());
  p.b = std::move(hb.value());
  if (!reportProgress(options.progress, 0.6, "pairing nodes")) return Status{ErrorCode::Cancelled, "diff cancelled"};
  pairLevel(p);
  if (!reportProgress(options.progress, 0.9, "pairing subgraph bodies")) return Status{ErrorCode::Cancelled, "diff cancelled"};
  if (Status st = pairBodies(p); !st) return st;
  reportProgress(options.progress, 1.0, "paired");
  return p;
}

// ----------------------------------------------------------------------------- anchors

NodeAnchor anchorOf(const StructuralHashes& hashes, const Node& node) {
  NodeAnchor a;
  a.opType = node.opType();
  a.domain = node.domain() == "ai.onnx" ? std::string() : node.domain();
  a.name = node.name();
  std::int32_t i = hashes.indexOf(&node);
  if (i >= 0) {
    a.neighbourhood = hashes.neighbourhood[i];
    a.up = hashes.up[i];
    a.down = hashes.down[i];
  }
  return a;
}

Result<AnchorMatch> resolveAnchor(const StructuralHashes& h, const NodeAnchor& anchor) {
  std::vector<std::int32_t> sameOpType, byName, byCones, byHood;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(h.nodes.size()); ++i) {
    const Node& n = *h.nodes[i];
    std::string_view dom = n.domain() == "ai.onnx" ? std::string_view() : n.domain();
    if (n.opType() != anchor.opType || dom != anchor.domain) continue;
    bool cones = h.up[i] == anchor.up && h.down[i] == anchor.down;
    bool hood = h.neighbourhood[i] == anchor.neighbourhood;
    bool named = !anchor.name.empty() && n.name() == anchor.name;
    if (named) byName.push_back(i);
    if (cones) byCones.push_back(i);
    if (hood) byHood.push_back(i);
    if (named && (hood || h.up[i] == anchor.up || h.down[i] == anchor.down)) return AnchorMatch{h.nodes[i], "name and structure"};
  }
  if (byCones.size() == 1) return AnchorMatch{h.nodes[byCones[0]], "structure"};
  if (byHood.size() == 1) return AnchorMatch{h.nodes[byHood[0]], "neighbourhood"};
  if (byHood.size() > 1) {
    std::vector<std::int32_t> narrowed;
    for (std::int32_t i : byHood)
      if (h.nodes[i]->name() == anchor.name || h.up[i] == anchor.up || h.down[i] == anchor.down) narrowed.push_back(i);
    if (narrowed.size() == 1) return AnchorMatch{h.nodes[narrowed[0]], "neighbourhood and name or cone"};
  }
  if (byName.size() == 1) return AnchorMatch{h.nodes[byName[0]], "name"};
  std::string what = anchor.opType + (anchor.name.empty() ? std::string() : " '" + anchor.name + "'");
  if (byHood.size() > 1 || byName.size() > 1)
    return Status{ErrorCode::InvalidArgument,
                  "the " + what + " node matches " + std::to_string(std::max(byHood.size(), byName.size())) +
                      " nodes equally well; select the node again"};
  return Status{ErrorCode::NotFound, "no " + what + " node with the same structure or name in this model; select the node again"};
}

Result<AnchorMatch> resolveAnchor(const NodePairing& pairing, const NodeAnchor& anchorOnA) {
  auto inA = resolveAnchor(pairing.a, anchorOnA);
  if (inA) {
    if (Node* b = pairing.partnerInB(inA->node)) return AnchorMatch{b, "paired (" + inA->how + " in the first model)"};
  }
  return resolveAnchor(pairing.b, anchorOnA);
}

}  // namespace graft
