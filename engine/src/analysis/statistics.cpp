// Statistics: parameters, op histogram, external data, and a FLOP/MAC count per node.
//
// Counting rules (what a "FLOP" is here, so numbers can be compared and checked by hand):
//  - Multiply-accumulate ops (Conv, ConvTranspose, Gemm, MatMul and their integer/QLinear
//    forms): MACs as below, FLOPs = 2 * MACs. Bias additions are not counted; they are one add
//    per output element, negligible next to the MACs, and leaving them out keeps FLOPs = 2*MACs.
//      Conv:          N * M * prod(output spatial) * (C / group) * prod(kernel)
//                     (strides, pads and dilations enter through the output shape)
//      ConvTranspose: N * C * prod(input spatial) * (M / group) * prod(kernel)
//      Gemm:          M * N * K after transA/transB
//      MatMul:        prod(broadcast batch dims) * M * N * K (1-D operands promoted as numpy does)
//      LSTM/GRU/RNN:  seq * batch * (prod(W) + prod(R))  (every step, every direction)
//  - Pooling: one FLOP per window element per output (MaxPool/AveragePool/LpPool: output elements
//    * prod(kernel_shape); global pooling: input elements).
//  - Normalization, per element of the input: BatchNormalization 4 (subtract mean, divide by the
//    standard deviation, scale, shift; the statistics are given); LayerNormalization,
//    InstanceNormalization, GroupNormalization 7 (mean: 1 add; subtract; square; variance: 1 add;
//    divide; scale; shift). LRN: its window size + 3 per element.
//  - Softmax/LogSoftmax/Hardmax: 4 per element (subtract max, exp, sum, divide/log).
//  - QuantizeLinear/DequantizeLinear: 2 per element (scale, zero point), as QDQ models run them.
//  - Elementwise unary, binary and activation ops: 1 per output element (variadic Sum/Max/Min/Mean:
//    inputs - 1 per output element); reductions: 1 per input element.
//  - Data movement (Reshape, Transpose, Gather, Concat, Cast, ...) is known to cost 0 FLOPs.
//  - ONNX Runtime's com.microsoft FusedConv/FusedGemm/FusedMatMul count as the op they fuse;
//    Attention as its QKV projection plus both attention products (softmax 4 per score);
//    SkipLayerNormalization 8 per element, EmbedLayerNormalization 9, Gelu variants 1.
//  - Symbolic dims (batch, sequence) count as 1, so totals are per unit of each.
// Anything else, or a node whose shapes are not static, has an unknown cost.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <set>

#include "analysis/util.h"
#include "graft/analysis.h"

namespace graft {

using namespace analysis_detail;

namespace {

using Shape = std::vector<std::int64_t>;
using TypeMap = std::unordered_map<std::string, onnx::TypeProto>;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Saturating arithmetic: absurd dims must give a huge number, not a wrapped small one.
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > kMax / b) return kMax;
  return a * b;
}
std::uint64_t add(std::uint64_t a, std::uint64_t b) { return a > kMax - b ? kMax : a + b; }

std::uint64_t product(const Shape& s, size_t from = 0, size_t to = std::numeric_limits<size_t>::max()) {
  std::uint64_t p = 1;
  for (size_t i = from; i < s.size() && i < to; ++i) p = mul(p, static_cast<std::uint64_t>(s[i]));
  return p;
}

bool nonNegative(const Shape& s) {
  return std::all_of(s.begin(), s.end(), [](std::int64_t d) { return d >= 0; });
}

const onnx::TypeProto* typeOf(const Value* v, const TypeMap& types) {
  if (!v) return nullptr;
  if (auto it = types.find(v->name()); it != types.end()) return &it->second;
  return v->declaredType();
}

// Set when shapeOf counted a symbolic dim as 1; nodeCost reports it per node.
thread_local bool tSymbolicAsOne = false;

// A tensor shape whose every dim is a number or a named symbol, with the symbols as 1.
std::optional<Shape> symbolicAsOne(const onnx::TypeProto& t) {
  if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return std::nullopt;
  Shape s;
  for (const auto& d : t.tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0)
      s.push_back(d.dim_value());
    else if (d.has_dim_param() && !d.dim_param().empty() && d.dim_param().rfind("unk__", 0) != 0)
      s.push_back(dimParamWithSymbolsAsOne(d.dim_param()).value_or(1));
    // onnx names dims it could not infer "unk__N": unknown, not a batch to count as 1.
    else
      return std::nullopt;
  }
  return s;
}

std::optional<Shape> shapeOf(const Value* v, const TypeMap& types) {
  if (!v) return std::nullopt;
  if (const auto* t = typeOf(v, types)) {
    if (auto s = staticShape(*t)) return s;
    if (auto s = symbolicAsOne(*t)) {
      tSymbolicAsOne = true;
      return s;
    }
  }
  if (const Tensor* init = v->initializer()) {
    Shape dims = init->dims();
    if (nonNegative(dims)) return dims;
  }
  return std::nullopt;
}

std::int64_t attrInt(const Node& node, std::string_view name, std::int64_t def) {
  const auto* a = node.attribute(name);
  return a && a->type() == onnx::AttributeProto::INT ? a->i() : def;
}

std::optional<Shape> attrInts(const Node& node, std::string_view name) {
  const auto* a = node.attribute(name);
  if (!a || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
  return Shape(a->ints().begin(), a->ints().end());
}

NodeCost macCost(std::uint64_t macs) { return {macs, mul(2, macs), true}; }
NodeCost flopCost(std::uint64_t flops) { return {0, flops, true}; }

// Conv-like: X [N, C, spatial...], W [M, C/group, kernel...], Y [N, M, out spatial...].
std::optional<NodeCost> convCost(const Node& node, const TypeMap& types, size_t wIdx) {
  auto w = shapeOf(node.input(wIdx), types);
  auto y = shapeOf(node.output(0), types);
  if (!w || !y || w->size() < 2 || y->size() < 2 || w->size() != y->size()) return std::nullopt;
  // W's second dim already is C / group.
  std::uint64_t macs = mul(product(*y), product(*w, 1));
  return macCost(macs);
}

std::optional<NodeCost> convTransposeCost(const Node& node, const TypeMap& types) {
  auto x = shapeOf(node.input(0), types);
  auto w = shapeOf(node.input(1), types);
  if (!x || !w || x->size() < 2 || w->size() != x->size()) return std::nullopt;
  // W is [C, M/group, kernel...]: every input element is multiplied with M/group * prod(kernel) weights.
  std::uint64_t macs = mul(product(*x), product(*w, 1));
  return macCost(macs);
}

std::optional<NodeCost> gemmCost(const Node& node, const TypeMap& types) {
  auto a = shapeOf(node.input(0), types);
  auto b = shapeOf(node.input(1), types);
  if (!a || !b || a->size() != 2 || b->size() != 2) return std::nullopt;
  const bool ta = attrInt(node, "transA", 0) != 0, tb = attrInt(node, "transB", 0) != 0;
  std::uint64_t m = static_cast<std::uint64_t>(ta ? (*a)[1] : (*a)[0]);
  std::uint64_t k = static_cast<std::uint64_t>(ta ? (*a)[0] : (*a)[1]);
  std::uint64_t n = static_cast<std::uint64_t>(tb ? (*b)[0] : (*b)[1]);
  return macCost(mul(mul(m, n), k));
}

std::optional<NodeCost> matMulCost(const Node& node, const TypeMap& types, size_t aIdx, size_t bIdx,
                                   bool transposes = false) {
  auto a = shapeOf(node.input(aIdx), types);
  auto b = shapeOf(node.input(bIdx), types);
  if (!a || !b || a->empty() || b->empty()) return std::nullopt;
  Shape sa = *a, sb = *b;
  if (transposes) {
    // ONNX Runtime's FusedMatMul reads its operands transposed: trans swaps the last two dims,
    // transBatch moves the first dim into the row position.
    auto reorder = [](const Shape& raw, bool trans, bool transBatch) {
      const size_t r = raw.size();
      if (r < 2) return raw;
      Shape out(raw.begin() + (transBatch ? 1 : 0),
                raw.begin() + static_cast<std::ptrdiff_t>(transBatch ? r - 1 : r - 2));
      const size_t rowOf = transBatch ? 0 : r - 2;
      out.push_back(raw[trans ? r - 1 : rowOf]);
      out.push_back(raw[trans ? rowOf : r - 1]);
      return out;
    };
    sa = reorder(sa, attrInt(node, "transA", 0) != 0, attrInt(node, "transBatchA", 0) != 0);
    sb = reorder(sb, attrInt(node, "transB", 0) != 0, attrInt(node, "transBatchB", 0) != 0);
  }
  // numpy promotion: a 1-D left operand is a row, a 1-D right operand a column.
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const std::uint64_t m = static_cast<std::uint64_t>(sa[sa.size() - 2]);
  const std::uint64_t k = static_cast<std::uint64_t>(sa.back());
  const std::uint64_t n = static_cast<std::uint64_t>(sb.back());
  std::uint64_t batch = 1;
  const size_t ra = sa.size() - 2, rb = sb.size() - 2, r = std::max(ra, rb);
  for (size_t i = 0; i < r; ++i) {
    std::int64_t da = i < r - ra ? 1 : sa[i - (r - ra)];
    std::int64_t db = i < r - rb ? 1 : sb[i - (r - rb)];
    batch = mul(batch, static_cast<std::uint64_t>(std::max(da, db)));
  }
  return macCost(mul(mul(batch, m), mul(n, k)));
}

// ONNX Runtime's Attention: input [B, S, in], weights [in, 3*hidden]. The QKV projection,
// then Q*K^T and softmax(..)*V over all heads (2 * B * S * S * hidden MACs), softmax as above.
std::optional<NodeCost> attentionCost(const Node& node, const TypeMap& types) {
  auto x = shapeOf(node.input(0), types);
  auto w = shapeOf(node.input(1), types);
  if (!x || !w || x->size() != 3 || w->size() != 2) return std::nullopt;
  const auto b = static_cast<std::uint64_t>((*x)[0]), s = static_cast<std::uint64_t>((*x)[1]);
  const auto in = static_cast<std::uint64_t>((*w)[0]), qkv = static_cast<std::uint64_t>((*w)[1]);
  std::uint64_t heads = static_cast<std::uint64_t>(std::max<std::int64_t>(attrInt(node, "num_heads", 1), 1));
  const std::uint64_t macs = add(mul(mul(b, s), mul(in, qkv)), mul(mul(2, mul(b, s)), mul(s, qkv / 3)));
  NodeCost c = macCost(macs);
  c.flops = add(c.flops, mul(4, mul(mul(b, heads), mul(s, s))));
  return c;
}

// LSTM, GRU, RNN: X [seq, batch, input] (layout 0), W [dirs, gates*hidden, input], R [dirs,
// gates*hidden, hidden]: every step multiplies the input by W and the state by R, per direction.
// The gate nonlinearities and the elementwise state update are not counted (like bias adds).
std::optional<NodeCost> recurrentCost(const Node& node, const TypeMap& types) {
  auto x = shapeOf(node.input(0), types);
  auto w = shapeOf(node.input(1), types);
  auto r = shapeOf(node.input(2), types);
  if (!x || !w || !r || x->size() != 3 || w->size() != 3 || r->size() != 3) return std::nullopt;
  const bool batchFirst = attrInt(node, "layout", 0) != 0;
  const auto seq = static_cast<std::uint64_t>(batchFirst ? (*x)[1] : (*x)[0]);
  const auto batch = static_cast<std::uint64_t>(batchFirst ? (*x)[0] : (*x)[1]);
  const std::uint64_t perStep = add(product(*w), product(*r));  // dirs * gates*hidden * (input + hidden)
  return macCost(mul(mul(seq, batch), perStep));
}

const std::set<std::string>& unaryOps() {
  static const std::set<std::string> ops = {"Abs",
                                            "Acos",
                                            "Acosh",
                                            "Asin",
                                            "Asinh",
                                            "Atan",
                                            "Atanh",
                                            "Ceil",
                                            "Celu",
                                            "Clip",
                                            "Cos",
                                            "Cosh",
                                            "Elu",
                                            "Erf",
                                            "Exp",
                                            "Floor",
                                            "Gelu",
                                            "HardSigmoid",
                                            "HardSwish",
                                            "IsInf",
                                            "IsNaN",
                                            "LeakyRelu",
                                            "Log",
                                            "Mish",
                                            "Neg",
                                            "Not",
                                            "Reciprocal",
                                            "Relu",
                                            "Round",
                                            "Selu",
                                            "Shrink",
                                            "Sigmoid",
                                            "Sign",
                                            "Sin",
                                            "Sinh",
                                            "Softplus",
                                            "Softsign",
                                            "Sqrt",
                                            "Tan",
                                            "Tanh",
                                            "ThresholdedRelu",
                                            "BitwiseNot"};
  return ops;
}

const std::set<std::string>& binaryOps() {
  static const std::set<std::string> ops = {"Add",
                                            "Sub",
                                            "Mul",
                                            "Div",
                                            "Pow",
                                            "Mod",
                                            "PRelu",
                                            "And",
                                            "Or",
                                            "Xor",
                                            "Equal",
                                            "Greater",
                                            "GreaterOrEqual",
                                            "Less",
                                            "LessOrEqual",
                                            "BitShift",
                                            "BitwiseAnd",
                                            "BitwiseOr",
                                            "BitwiseXor",
                                            "Where"};
  return ops;
}

const std::set<std::string>& variadicOps() {
  static const std::set<std::string> ops = {"Sum", "Max", "Min", "Mean"};
  return ops;
}

const std::set<std::string>& reduceOps() {
  static const std::set<std::string> ops = {"ReduceSum",       "ReduceMean",      "ReduceMax", "ReduceMin",
                                            "ReduceProd",      "ReduceL1",        "ReduceL2",  "ReduceLogSum",
                                            "ReduceLogSumExp", "ReduceSumSquare", "ArgMax",    "ArgMin"};
  return ops;
}

// Ops that only move, reinterpret or describe data: they cost no arithmetic.
const std::set<std::string>& movementOps() {
  static const std::set<std::string> ops = {"Reshape",
                                            "Transpose",
                                            "Squeeze",
                                            "Unsqueeze",
                                            "Flatten",
                                            "Identity",
                                            "Concat",
                                            "Split",
                                            "Slice",
                                            "Gather",
                                            "GatherElements",
                                            "GatherND",
                                            "Scatter",
                                            "ScatterElements",
                                            "ScatterND",
                                            "Shape",
                                            "Size",
                                            "Constant",
                                            "ConstantOfShape",
                                            "Cast",
                                            "CastLike",
                                            "Pad",
                                            "Expand",
                                            "Tile",
                                            "Dropout",
                                            "DepthToSpace",
                                            "SpaceToDepth",
                                            "Compress",
                                            "NonZero",
                                            "OneHot",
                                            "Range",
                                            "EyeLike",
                                            "Optional",
                                            "OptionalGetElement",
                                            "OptionalHasElement",
                                            "SequenceAt",
                                            "SequenceConstruct",
                                            "SequenceEmpty",
                                            "SequenceErase",
                                            "SequenceInsert",
                                            "SequenceLength",
                                            "SplitToSequence",
                                            "ConcatFromSequence",
                                            "If",
                                            "Loop",
                                            "Scan",
                                            "ReverseSequence",
                                            "Trilu"};
  return ops;
}

}  // namespace

static NodeCost nodeCostImpl(const Node& node, const std::unordered_map<std::string, onnx::TypeProto>& types);

NodeCost nodeCost(const Node& node, const std::unordered_map<std::string, onnx::TypeProto>& types) {
  tSymbolicAsOne = false;
  NodeCost c = nodeCostImpl(node, types);
  c.symbolicAsOne = c.known && tSymbolicAsOne;
  return c;
}

NodeCost nodeCostImpl(const Node& node, const std::unordered_map<std::string, onnx::TypeProto>& types) {
  const std::string& op = node.opType();
  const std::string domain = normalizeDomain(node.domain());
  std::optional<NodeCost> cost;
  auto outElems = [&]() -> std::optional<std::uint64_t> {
    auto s = shapeOf(node.output(0), types);
    if (!s || !nonNegative(*s)) return std::nullopt;
    return product(*s);
  };
  auto inElems = [&]() -> std::optional<std::uint64_t> {
    auto s = shapeOf(node.input(0), types);
    if (!s || !nonNegative(*s)) return std::nullopt;
    return product(*s);
  };
  auto perOutput = [&](std::uint64_t factor) -> std::optional<NodeCost> {
    if (auto e = outElems()) return flopCost(mul(*e, factor));
    return std::nullopt;
  };
  auto perInput = [&](std::uint64_t factor) -> std::optional<NodeCost> {
    if (auto e = inElems()) return flopCost(mul(*e, factor));
    return std::nullopt;
  };

  if (domain.empty()) {
    if (op == "Conv" || op == "ConvInteger") {
      cost = convCost(node, types, 1);
    } else if (op == "QLinearConv") {
      cost = convCost(node, types, 3);
    } else if (op == "ConvTranspose") {
      cost = convTransposeCost(node, types);
    } else if (op == "Gemm") {
      cost = gemmCost(node, types);
    } else if (op == "MatMul" || op == "MatMulInteger") {
      cost = matMulCost(node, types, 0, 1);
    } else if (op == "QLinearMatMul") {
      cost = matMulCost(node, types, 0, 3);
    } else if (op == "LSTM" || op == "GRU" || op == "RNN") {
      cost = recurrentCost(node, types);
    } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
      if (auto k = attrInts(node, "kernel_shape"); k && nonNegative(*k)) cost = perOutput(product(*k));
    } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
      cost = perInput(1);
    } else if (op == "BatchNormalization") {
      cost = perInput(4);
    } else if (op == "LayerNormalization" || op == "InstanceNormalization" || op == "GroupNormalization") {
      cost = perInput(7);
    } else if (op == "LRN") {
      cost = perInput(static_cast<std::uint64_t>(std::max<std::int64_t>(attrInt(node, "size", 1), 1)) + 3);
    } else if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
      cost = perInput(4);
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      cost = perOutput(2);
    } else if (op == "Resize" || op == "Upsample") {
      // An image's H and W: nearest copies; linear weighs 4 taps, cubic 16 (a multiply and an add each).
      const onnx::AttributeProto* m = node.attribute("mode");
      const std::string mode = m ? m->s() : "nearest";
      cost = mode == "nearest" ? flopCost(0) : perOutput(mode == "cubic" ? 32 : 8);
    } else if (unaryOps().count(op) || binaryOps().count(op)) {
      cost = perOutput(1);
    } else if (variadicOps().count(op)) {
      size_t n = std::max<size_t>(node.inputs().size(), 2);
      cost = perOutput(n - 1);
    } else if (reduceOps().count(op)) {
      cost = perInput(1);
    } else if (movementOps().count(op)) {
      cost = flopCost(0);
    }
  } else if (domain == "com.microsoft") {
    // ONNX Runtime's fusions of the ops above count as what they fuse (activation not counted).
    if (op == "FusedConv")
      cost = convCost(node, types, 1);
    else if (op == "FusedGemm")
      cost = gemmCost(node, types);
    else if (op == "FusedMatMul")
      cost = matMulCost(node, types, 0, 1, true);
    else if (op == "Gelu" || op == "FastGelu" || op == "BiasGelu" || op == "QuickGelu" || op == "BiasAdd")
      cost = perOutput(1);
    else if (op == "SkipLayerNormalization" || op == "SkipSimplifiedLayerNormalization")
      cost = perInput(8);  // the skip addition, then a LayerNormalization
    else if (op == "LayerNormalization" || op == "SimplifiedLayerNormalization")
      cost = perInput(7);
    else if (op == "EmbedLayerNormalization")
      cost = perOutput(9);  // word + position (+ segment) embeddings added, then normalized
    else if (op == "Attention")
      cost = attentionCost(node, types);
  }
  return cost.value_or(NodeCost{});
}

Statistics computeStatistics(const Model& model, const InferenceResult* inferred) {
  Statistics st;
  static const TypeMap kNoTypes;
  const TypeMap& types = inferred ? inferred->types : kNoTypes;
  const Graph& main = model.graph();
  st.nodeCount = main.nodeCount();
  std::set<std::string> files;

  model.forEachGraph([&](const Graph& graph) {
    graph.forEachNode([&](const Node& node) {
      ++st.totalNodeCount;
      const std::string domain = normalizeDomain(node.domain());
      ++st.opHistogram[domain.empty() ? node.opType() : domain + ":" + node.opType()];
      NodeCost cost = nodeCost(node, types);
      if (cost.known) {
        if (cost.symbolicAsOne) ++st.nodesWithSymbolicDims;
        st.macs = add(st.macs, cost.macs);
        st.flops = add(st.flops, cost.flops);
      } else {
        ++st.nodesWithUnknownCost;
      }
      st.perNode[node.id()] = cost;
    });
    for (const Value* v : graph.initializers()) {
      const Tensor* t = v->initializer();
      if (!t) continue;
      ++st.initializerCount;
      const std::string dtype = dataTypeName(t->dataType());
      const std::uint64_t n = t->elementCount();
      std::uint64_t bytes = t->storedBytes();
      if (const ExternalRef* ext = t->external()) {
        st.externalBytes = add(st.externalBytes, ext->length);
        files.insert(ext->location);
      } else if (t->proto().data_location() == onnx::TensorProto::EXTERNAL) {
        // Built in memory or loaded without attaching the bytes: the proto still says where they are.
        std::uint64_t length = 0;
        for (const auto& kv : t->proto().external_data()) {
          if (kv.key() == "location") files.insert(kv.value());
          if (kv.key() == "length") length = std::strtoull(kv.value().c_str(), nullptr, 10);
        }
        if (bytes == 0) bytes = length ? length : mul(n, dataTypeSize(t->dataType()));
        st.externalBytes = add(st.externalBytes, bytes);
      }
      st.parameters = add(st.parameters, n);
      st.parameterBytes = add(st.parameterBytes, bytes);
      st.parametersByType[dtype] = add(st.parametersByType[dtype], n);
      st.parameterBytesByType[dtype] = add(st.parameterBytesByType[dtype], bytes);
    }
  });
  // Sparse initializers stay in the graph's shell: count their stored values.
  model.forEachGraph([&](const Graph& graph) {
    for (const auto& sp : graph.shell().sparse_initializer()) {
      ++st.initializerCount;
      Tensor values(sp.values());
      const std::string dtype = dataTypeName(values.dataType());
      st.parameters = add(st.parameters, values.elementCount());
      st.parameterBytes = add(st.parameterBytes, values.storedBytes());
      st.parametersByType[dtype] = add(st.parametersByType[dtype], values.elementCount());
      st.parameterBytesByType[dtype] = add(st.parameterBytesByType[dtype], values.storedBytes());
    }
  });
  st.externalFiles.assign(files.begin(), files.end());

  // Activations: graph inputs that are not weights, and outputs of nodes other than Constant.
  std::set<std::string> seen;
  auto count = [&](const Value* v) {
    if (!v || v->isInitializer() || !seen.insert(v->name()).second) return;
    const onnx::TypeProto* t = typeOf(v, types);
    if (!t || !t->has_tensor_type()) return;
    auto s = staticShape(*t);
    if (!s) return;
    st.activationBytes = add(st.activationBytes, mul(product(*s), dataTypeSize(t->tensor_type().elem_type())));
  };
  for (const Value* v : main.inputs()) count(v);
  main.forEachNode([&](const Node& node) {
    if (node.opType() == "Constant" && normalizeDomain(node.domain()).empty()) return;
    for (const Value* v : node.outputs()) count(v);
  });
  return st;
}

}  // namespace graft
