// Copies a Graph into a LayoutGraph: plain indices and strings that a worker can lay out
// while the model stays editable on its own thread.
#include <unordered_map>
#include <unordered_set>

#include "graft/analysis.h"
#include "graft/layout.h"

namespace graft {

namespace {

// Dashed edges mean "the shape is not known": a symbolic dim (batch) counts as known.
bool shapeFullyKnown(const onnx::TypeProto& type) {
  if (type.value_case() != onnx::TypeProto::kTensorType) return false;
  const auto& t = type.tensor_type();
  if (!t.has_shape()) return false;
  for (const auto& d : t.shape().dim())
    if (!d.has_dim_value() && !d.has_dim_param()) return false;
  return true;
}

// True when `graph` is `scope` or nested inside it.
bool inScopeOf(const Graph* graph, const Graph* scope) {
  for (const Graph* g = graph; g; g = g->parentNode() ? &g->parentNode()->graph() : nullptr)
    if (g == scope) return true;
  return false;
}

// Values that a node's subgraph bodies read from `scope` or from graphs enclosing it.
void collectCaptures(const Graph& body, const Graph& scope, std::vector<Value*>& out,
                     std::unordered_set<const Value*>& seen) {
  body.forEachNode([&](const Node& n) {
    for (Value* v : n.inputs()) {
      if (!v || inScopeOf(&v->graph(), &body)) continue;
      // Only values visible from `scope` (its own or outer ones) become edges into the node.
      if (!inScopeOf(&scope, &v->graph())) continue;
      if (seen.insert(v).second) out.push_back(v);
    }
    for (const auto& sg : n.subgraphs()) collectCaptures(*sg.graph, scope, out, seen);
  });
}

}  // namespace

int LayoutGraph::findNode(NodeId id) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].kind == NodeKind::Op && nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

std::vector<std::vector<const Node*>> shapeComputations(const Graph& graph) {
  // Ops that shape arithmetic is made of; a node is part of it when it reads at least one
  // shape value and nothing else but shape values, constants and weights.
  static const std::unordered_set<std::string> kArith = {
      "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Add", "Sub", "Mul", "Div", "Equal", "Where",
      "Reshape", "Identity", "Floor", "Ceil", "Max", "Min", "ReduceProd", "Neg", "Mod", "Less", "Greater", "Not",
      "ConstantOfShape", "Sqrt", "Size"};
  auto topo = graph.topologicalOrder();
  if (!topo) return {};
  std::unordered_map<const Node*, int> member;  // node -> chain (union-find root index)
  std::vector<int> parent;
  auto find = [&](int x) {
    while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    return x;
  };
  auto isConstantInput = [](const Value* v) {
    return v->isInitializer() || (v->producer() && v->producer()->opType() == "Constant" && v->producer()->inputs().empty());
  };
  for (Node* n : topo.value()) {
    const bool standard = n->domain().empty() || n->domain() == "ai.onnx";
    if (!standard || !n->subgraphs().empty()) continue;
    std::vector<int> chains;
    bool ok = true;
    if (n->opType() == "Shape" || n->opType() == "Size") {
      // Reads a real tensor, but only its shape: starts a chain.
    } else if (kArith.count(n->opType())) {
      for (const Value* v : n->inputs()) {
        if (!v || isConstantInput(v)) continue;
        auto it = v->producer() ? member.find(v->producer()) : member.end();
        if (it == member.end()) {
          ok = false;
          break;
        }
        chains.push_back(it->second);
      }
      ok = ok && !chains.empty();
    } else {
      ok = false;
    }
    if (!ok) continue;
    int self = static_cast<int>(parent.size());
    parent.push_back(self);
    for (int c : chains) parent[static_cast<size_t>(find(c))] = self;
    member[n] = self;
  }
  std::unordered_map<int, size_t> slot;
  std::vector<std::vector<const Node*>> out;
  for (Node* n : topo.value()) {
    auto it = member.find(n);
    if (it == member.end()) continue;
    const int root = find(it->second);
    auto [s, inserted] = slot.try_emplace(root, out.size());
    if (inserted) out.emplace_back();
    out[s->second].push_back(n);
  }
  // A lone Shape (or a single op) is no chain worth a box of its own.
  std::erase_if(out, [](const auto& chain) { return chain.size() < 2; });
  return out;
}

bool isFoldableConstant(const Node& node) {
  if (node.opType() != "Constant" || !(node.domain().empty() || node.domain() == "ai.onnx")) return false;
  if (!node.inputs().empty() || node.outputs().size() != 1 || !node.outputs()[0]) return false;
  const Value* v = node.outputs()[0];
  return !v->isGraphOutput() && !v->uses().empty();
}

std::shared_ptr<const LayoutGraph> snapshotGraph(const Graph& graph, const NodeSizer& sizer,
                                                 const TypeLookup& typeOf, const SnapshotOptions& options) {
  auto out = std::make_shared<LayoutGraph>();
  out->graph = &graph;
  out->revision = graph.model().revision();

  std::vector<Node*> order;
  if (auto topo = graph.topologicalOrder()) {
    order = std::move(topo.value());
  } else {
    out->orderError = topo.message();
    order = graph.nodes();
  }
  // Shape computations: one box per chain, standing at the chain's last node.
  std::unordered_map<const Node*, const std::vector<const Node*>*> chainOfRep;
  std::vector<std::vector<const Node*>> chains;
  if (options.collapseShapeComputations) {
    chains = shapeComputations(graph);
    std::unordered_set<const Node*> hidden;
    for (const auto& c : chains) {
      chainOfRep[c.back()] = &c;
      for (size_t k = 0; k + 1 < c.size(); ++k) hidden.insert(c[k]);
    }
    std::erase_if(order, [&](Node* n) { return hidden.count(n) != 0; });
  }
  std::unordered_set<const Value*> folded;
  if (options.foldConstants) {
    std::erase_if(order, [&](Node* n) {
      if (!isFoldableConstant(*n)) return false;
      folded.insert(n->outputs()[0]);
      return true;
    });
  }

  std::unordered_map<const Value*, int> valueIndex;
  valueIndex.reserve(order.size() * 2);
  auto indexOf = [&](Value* v) -> int {
    if (!v) return -1;
    auto [it, inserted] = valueIndex.try_emplace(v, static_cast<int>(out->values.size()));
    if (inserted) {
      LayoutGraph::Value lv;
      lv.name = v->name();
      lv.id = v->id();
      lv.initializer = v->isInitializer() || v->isSparseInitializer() || folded.count(v) != 0;
      if (typeOf) {
        if (const onnx::TypeProto* t = typeOf(*v)) {
          lv.type = formatType(*t);
          lv.shapeKnown = shapeFullyKnown(*t);
        }
      }
      out->values.push_back(std::move(lv));
    }
    return it->second;
  };

  // Graph inputs first (initializers listed as inputs stay badges), then outer values.
  for (Value* v : graph.inputs()) {
    if (v->isInitializer()) continue;
    LayoutGraph::Node n;
    n.kind = LayoutGraph::NodeKind::Input;
    n.name = v->name();
    int vi = indexOf(v);
    n.outputs.push_back(vi);
    out->values[vi].producer = static_cast<int>(out->nodes.size());
    out->nodes.push_back(std::move(n));
  }

  std::vector<std::vector<Value*>> captures(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    std::unordered_set<const Value*> seen;
    for (const auto& sg : order[i]->subgraphs()) collectCaptures(*sg.graph, graph, captures[i], seen);
  }

  // Values read from enclosing graphs (inside a subgraph body) get an input box each, unless
  // they are the outer graph's initializers (badges like any other weight).
  auto addOuter = [&](Value* v) {
    if (!v || &v->graph() == &graph || valueIndex.count(v) || v->isInitializer()) return;
    LayoutGraph::Node n;
    n.kind = LayoutGraph::NodeKind::Outer;
    n.name = v->name();
    int vi = indexOf(v);
    n.outputs.push_back(vi);
    out->values[vi].producer = static_cast<int>(out->nodes.size());
    out->nodes.push_back(std::move(n));
  };
  for (size_t i = 0; i < order.size(); ++i) {
    for (Value* v : order[i]->inputs()) addOuter(v);
    for (Value* v : captures[i]) addOuter(v);
  }

  // Outputs get their indices before consumers look them up, so a node's inputs that come
  // later in a cyclic (stored) order still resolve to the producer.
  size_t firstOp = out->nodes.size();
  for (size_t i = 0; i < order.size(); ++i) {
    for (size_t k = 0; k < order[i]->outputs().size(); ++k) {
      if (Value* v = order[i]->outputs()[k]) out->values[indexOf(v)].producer = static_cast<int>(firstOp + i);
    }
    if (auto c = chainOfRep.find(order[i]); c != chainOfRep.end())
      for (const Node* m : *c->second)
        for (Value* v : m->outputs())
          if (v) out->values[indexOf(v)].producer = static_cast<int>(firstOp + i);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const Node& node = *order[i];
    LayoutGraph::Node n;
    n.kind = LayoutGraph::NodeKind::Op;
    n.id = node.id();
    n.name = node.name();
    n.opType = node.opType();
    n.domain = node.domain();
    n.hasSubgraphs = !node.subgraphs().empty();
    int self = static_cast<int>(out->nodes.size());
    if (auto c = chainOfRep.find(&node); c != chainOfRep.end()) {
      // The chain's box reads what its nodes read from outside it, and shows the values
      // that leave it; the values inside it are not drawn.
      const auto& members = *c->second;
      std::unordered_set<const Node*> inChain(members.begin(), members.end());
      std::unordered_set<const Value*> seenIn;
      for (const Node* m : members)
        for (Value* v : m->inputs()) {
          if (!v || (v->producer() && inChain.count(v->producer())) || !seenIn.insert(v).second) continue;
          int vi = indexOf(v);
          n.inputs.push_back(vi);
          out->values[vi].consumers.push_back(self);
        }
      for (const Node* m : members)
        for (Value* v : m->outputs()) {
          if (!v) continue;
          bool leaves = v->isGraphOutput();
          for (const Use& u : v->uses()) leaves = leaves || !inChain.count(u.node);
          if (leaves) n.outputs.push_back(indexOf(v));
        }
      n.collapsed = static_cast<int>(members.size());
      n.size = sizer ? sizer(node) : LayoutSize{90, 36};
      out->nodes.push_back(std::move(n));
      continue;
    }
    for (Value* v : node.inputs()) {
      int vi = indexOf(v);
      n.inputs.push_back(vi);
      if (vi >= 0) out->values[vi].consumers.push_back(self);
    }
    for (Value* v : captures[i]) {
      int vi = indexOf(v);
      n.inputs.push_back(vi);
      out->values[vi].consumers.push_back(self);
    }
    for (Value* v : node.outputs()) n.outputs.push_back(indexOf(v));
    n.size = sizer ? sizer(node) : LayoutSize{90, 36};
    out->nodes.push_back(std::move(n));
  }

  for (Value* v : graph.outputs()) {
    LayoutGraph::Node n;
    n.kind = LayoutGraph::NodeKind::Output;
    n.name = v->name();
    int self = static_cast<int>(out->nodes.size());
    int vi = indexOf(v);
    n.inputs.push_back(vi);
    out->values[vi].consumers.push_back(self);
    out->nodes.push_back(std::move(n));
  }

  // Inputs and outputs are sized here; the caller's sizer only knows ops.
  for (auto& n : out->nodes) {
    if (n.kind == LayoutGraph::NodeKind::Op) continue;
    double w = 24 + 6.5 * static_cast<double>(n.name.size());
    n.size = {std::clamp(w, 60.0, 260.0), 28};
  }
  return out;
}

// ---------------------------------------------------------------- categories

OpCategory opCategory(const std::string& opType, const std::string& domain) {
  static const std::unordered_map<std::string, OpCategory> table = [] {
    std::unordered_map<std::string, OpCategory> t;
    auto put = [&](OpCategory c, std::initializer_list<const char*> ops) {
      for (const char* op : ops) t.emplace(op, c);
    };
    put(OpCategory::Convolution,
        {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool",
         "GlobalLpPool", "MaxUnpool", "MaxRoiPool", "RoiAlign", "DeformConv", "Col2Im"});
    put(OpCategory::Normalization,
        {"BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
         "LpNormalization", "LRN", "MeanVarianceNormalization", "SimplifiedLayerNormalization",
         "SkipLayerNormalization", "SkipSimplifiedLayerNormalization", "EmbedLayerNormalization", "Dropout"});
    put(OpCategory::Activation,
        {"Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "Tanh", "Softmax",
         "LogSoftmax", "Softplus", "Softsign", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "HardSwish", "Mish",
         "ThresholdedRelu", "Hardmax", "Shrink", "Erf", "Clip"});
    put(OpCategory::Shape,
        {"Reshape", "Transpose", "Shape", "Size", "Gather", "GatherElements", "GatherND", "Scatter", "ScatterND",
         "ScatterElements", "Concat", "Split", "SplitToSequence", "Slice", "Squeeze", "Unsqueeze", "Flatten",
         "Expand", "Tile", "Pad", "Identity", "Cast", "CastLike", "Resize", "Upsample", "DepthToSpace",
         "SpaceToDepth", "Range", "Compress", "ReverseSequence", "Trilu", "OneHot", "NonZero", "EyeLike",
         "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert",
         "SequenceLength", "ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement"});
    put(OpCategory::Quantization,
        {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
         "MatMulInteger", "ConvInteger", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu",
         "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat", "QLinearSoftmax", "QGemm",
         "QAttention", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "MatMulNBits", "DequantizeBFP",
         "QuantizeBFP", "MatMulBnb4", "GatherBlockQuantized"});
    put(OpCategory::ControlFlow, {"If", "Loop", "Scan", "SequenceMap"});
    put(OpCategory::Constant, {"Constant", "ConstantOfShape"});
    return t;
  }();
  bool standard = domain.empty() || domain == "ai.onnx";
  auto it = table.find(opType);
  // Quantization reads the same in any domain (com.microsoft:QGemm); any other op of a
  // custom domain is marked as custom, even when it shares a name with a standard op.
  if (it != table.end() && (standard || it->second == OpCategory::Quantization)) return it->second;
  if (domain == "ai.onnx.ml") return OpCategory::Other;
  if (!standard) return OpCategory::Custom;
  return OpCategory::Math;
}

const char* opCategoryName(OpCategory category) {
  switch (category) {
    case OpCategory::Convolution: return "convolution";
    case OpCategory::Normalization: return "normalization";
    case OpCategory::Activation: return "activation";
    case OpCategory::Shape: return "tensor shape";
    case OpCategory::Math: return "math";
    case OpCategory::Quantization: return "quantization";
    case OpCategory::ControlFlow: return "control flow";
    case OpCategory::Constant: return "constant";
    case OpCategory::Custom: return "custom domain";
    case OpCategory::Other: return "other";
  }
  return "other";
}

}  // namespace graft
