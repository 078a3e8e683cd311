// The quantizing rewrites: static INT8 QDQ placed as the backend profile says, dynamic INT8
// (DynamicQuantizeLinear + MatMulInteger, or com.microsoft.DynamicQuantizeMatMul) and blocked
// weight-only MatMul/Gather (MatMulNBits or opset-21 DequantizeLinear). Each replaced node's output
// keeps its name, which is how error analysis pairs a quantized node with the float one.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "eval/kernel.h"
#include "graft/rewrite.h"
#include "quant/internal.h"
#include "rewrite/library_util.h"

namespace graft::quant {

using library::floatAttr;
using library::freshName;
using library::intAttr;

namespace {

constexpr std::int32_t kFloat = onnx::TensorProto_DataType_FLOAT;
constexpr std::int32_t kInt8 = onnx::TensorProto_DataType_INT8;
constexpr std::int32_t kUInt8 = onnx::TensorProto_DataType_UINT8;
constexpr std::int32_t kInt32 = onnx::TensorProto_DataType_INT32;
constexpr std::int32_t kInt64 = onnx::TensorProto_DataType_INT64;

bool isDefault(const Node& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

onnx::TensorProto tensor(const std::string& name, std::int32_t dtype, const std::vector<std::int64_t>& dims, const void* bytes,
                         std::size_t size) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (auto d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(bytes), size));
  return t;
}

Result<std::vector<float>> floatsOf(const Value* v) {
  auto a = arrayFromTensor(*v->initializer());
  if (!a) return a.status();
  auto f = castArray(a.value(), kFloat);
  if (!f) return f.status();
  const Array& arr = f.value();
  return std::vector<float>(arr.data<float>(), arr.data<float>() + arr.size());
}

bool isFloatInitializer(const Value* v) {
  return v && v->initializer() && v->initializer()->dataType() == kFloat;
}

// Declared or inferred-by-stats element type: a value calibration saw as float, or a float initializer.
bool isFloatActivation(const Value* v, const Calibration* cal) {
  if (!v || v->initializer()) return false;
  if (cal) return cal->stats.count(v->name()) != 0;
  const auto* t = v->declaredType();
  return t && t->has_tensor_type() && t->tensor_type().elem_type() == kFloat;
}

struct Rewriter {
  Model& model;
  Graph& g;
  const QuantizeOptions& o;
  const Calibration* cal;
  QuantizeReport report;
  std::map<const Node*, std::size_t> position;  // stored order of the float graph

  Rewriter(Model& m, const QuantizeOptions& opts, const Calibration* c) : model(m), g(m.graph()), o(opts), cal(c) {
    std::size_t i = 0;
    g.forEachNode([&](const Node& n) { position[&n] = i++; });
  }

  Result<Value*> addInit(onnx::TensorProto t) {
    t.set_name(freshName(g, t.name()));
    return g.addInitializer(std::move(t));
  }

  // Saved with the model: which quantization made a node and which float node it stands for.
  std::string provenance(const std::string& replaced) const {
    const char* mode = o.mode == Mode::Static ? "quant.static" : o.mode == Mode::Dynamic ? "quant.dynamic" : "quant.weight_only";
    return std::string(kProvenancePrefix) + mode + " (replaced " + replaced + ")";
  }

  std::string nodeName(const Node& n) const { return n.name().empty() ? (n.output(0) ? n.output(0)->name() : n.opType()) : n.name(); }

  // ------------------------------------------------------------------ static

  struct QParams {
    float scale = 1;
    std::int32_t zero = 0;
    bool isSigned = false;
  };
  std::map<const Value*, Value*> dqOf;  // float value -> its DequantizeLinear output
  std::map<const Value*, Value*> floatOf;  // DequantizeLinear output -> the float value it stands for
  Value* logical(Value* v) const {
    auto it = floatOf.find(v);
    return it == floatOf.end() ? v : it->second;
  }
  std::map<const Value*, QParams> paramsOf;

  bool signedActs() const { return o.signedOverride ? *o.signedOverride : o.placement.activationsSigned; }

  std::optional<QParams> paramsFor(const std::string& statsName) const {
    if (!cal) return std::nullopt;
    auto it = cal->stats.find(statsName);
    if (it == cal->stats.end()) return std::nullopt;
    auto [lo, hi] = chooseRange(it->second, o.method, o.percentile);
    QParams p;
    p.isSigned = signedActs();
    if (p.isSigned) {
      double amax = std::max(std::abs(lo), std::abs(hi));
      p.scale = amax > 0 ? static_cast<float>(amax / 127.0) : 1.0f;
      p.zero = 0;
    } else {
      double span = hi - lo;
      p.scale = span > 0 ? static_cast<float>(span / 255.0) : 1.0f;
      p.zero = span > 0 ? std::clamp(static_cast<std::int32_t>(std::nearbyint(-lo / static_cast<double>(p.scale))), 0, 255) : 0;
    }
    return p;
  }

  // Q -> DQ on `v` with params p; `readers` (node, input index) read the DQ output from then on.
  Status insertQdq(Value* v, const QParams& p, const std::vector<std::pair<Node*, int>>& readers) {
    Value* dq = nullptr;
    auto it = dqOf.find(v);
    if (it != dqOf.end()) {
      dq = it->second;
    } else {
      std::uint8_t zpByte = p.isSigned ? static_cast<std::uint8_t>(static_cast<std::int8_t>(p.zero)) : static_cast<std::uint8_t>(p.zero);
      auto s = addInit(tensor(v->name() + "_scale", kFloat, {}, &p.scale, 4));
      if (!s) return s.status();
      auto z = addInit(tensor(v->name() + "_zero_point", p.isSigned ? kInt8 : kUInt8, {}, &zpByte, 1));
      if (!z) return z.status();
      // Right before the first reader in the float graph's order, so the file stays topologically sorted.
      const Node* before = nullptr;
      std::size_t best = std::numeric_limits<std::size_t>::max();
      for (const Use& u : v->uses()) {
        auto pit = position.find(u.node);
        std::size_t pos = pit == position.end() ? 0 : pit->second;
        if (pos < best) {
          best = pos;
          before = u.node;
        }
      }
      Graph::NewNode q;
      q.opType = "QuantizeLinear";
      q.name = freshNodeName(g, v->name() + "_QuantizeLinear");
      q.inputs = {v, s.value(), z.value()};
      q.outputNames = {freshName(g, v->name() + "_quantized")};
      auto qn = g.addNode(std::move(q), before);
      if (!qn) return qn.status();
      Graph::NewNode d;
      d.opType = "DequantizeLinear";
      d.name = freshNodeName(g, v->name() + "_DequantizeLinear");
      d.inputs = {qn.value()->output(0), s.value(), z.value()};
      d.outputNames = {freshName(g, v->name() + "_dequantized")};
      auto dn = g.addNode(std::move(d), before);
      if (!dn) return dn.status();
      dq = dn.value()->output(0);
      dqOf[v] = dq;
      floatOf[dq] = v;
      paramsOf[v] = p;
    }
    for (auto [n, i] : readers)
      if (n->input(static_cast<std::size_t>(i)) == v)
        if (auto st = g.setInput(n, static_cast<std::size_t>(i), dq); !st) return st;
    return Status::ok();
  }

  // Per-channel symmetric int8 weight along `axis`, read through DequantizeLinear.
  Result<std::vector<float>> quantizeWeight(Node* n, int input, int axis, QuantizedNode& qn) {
    Value* w = n->input(static_cast<std::size_t>(input));
    auto vals = floatsOf(w);
    if (!vals) return vals.status();
    auto dims = w->initializer()->dims();
    if (dims.empty()) return Status(ErrorCode::Unsupported, "scalar weight");
    if (axis < 0) axis += static_cast<int>(dims.size());
    std::int64_t C = dims[static_cast<std::size_t>(axis)], inner = 1;
    for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < dims.size(); ++d) inner *= dims[d];
    std::vector<float> scales(static_cast<std::size_t>(C), 0.0f);
    const auto& v = vals.value();
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::size_t c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % C);
      scales[c] = std::max(scales[c], std::abs(v[i]));
    }
    for (auto& s : scales) s = s > 0 ? s / 127.0f : 1.0f;
    std::vector<std::int8_t> q(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::size_t c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % C);
      q[i] = static_cast<std::int8_t>(quantizeValue(v[i], scales[c], 0, -127, 127));
    }
    auto qt = addInit(tensor(w->name() + "_quantized", kInt8, dims, q.data(), q.size()));
    if (!qt) return qt.status();
    auto st = addInit(tensor(w->name() + "_scale", kFloat, {C}, scales.data(), scales.size() * 4));
    if (!st) return st.status();
    std::vector<std::int8_t> zeros(static_cast<std::size_t>(C), 0);
    auto zt = addInit(tensor(w->name() + "_zero_point", kInt8, {C}, zeros.data(), zeros.size()));
    if (!zt) return zt.status();
    Graph::NewNode d;
    d.opType = "DequantizeLinear";
    d.name = freshNodeName(g, w->name() + "_DequantizeLinear");
    d.inputs = {qt.value(), st.value(), zt.value()};
    d.outputNames = {freshName(g, w->name() + "_dequantized")};
    d.attributes = {intAttr("axis", axis)};
    auto dn = g.addNode(std::move(d), n);
    if (!dn) return dn.status();
    if (auto s = g.setInput(n, static_cast<std::size_t>(input), dn.value()->output(0)); !s) return s;
    qn.weightElements += static_cast<std::int64_t>(v.size());
    qn.weightBytesBefore += static_cast<std::int64_t>(v.size() * 4);
    qn.weightBytesAfter += static_cast<std::int64_t>(q.size() + scales.size() * 4 + zeros.size());
    if (w->uses().empty()) library::dropIfUnused(g, w);
    return scales;
  }

  // Bias as int32 at scale x_scale * w_scale[c] (zero point 0), read through DequantizeLinear.
  Status quantizeBias(Node* n, int input, float xScale, const std::vector<float>& wScales, QuantizedNode& qn) {
    Value* b = n->input(static_cast<std::size_t>(input));
    auto vals = floatsOf(b);
    if (!vals) return vals.status();
    const auto& v = vals.value();
    if (v.size() != wScales.size()) return Status::ok();  // broadcast bias: leave it float
    std::vector<float> scales(v.size());
    std::vector<std::int32_t> q(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      scales[i] = xScale * wScales[i];
      double r = std::nearbyint(static_cast<double>(v[i]) / static_cast<double>(scales[i]));
      q[i] = static_cast<std::int32_t>(std::clamp(r, -2147483648.0, 2147483647.0));
    }
    auto qt = addInit(tensor(b->name() + "_quantized", kInt32, {static_cast<std::int64_t>(v.size())}, q.data(), q.size() * 4));
    if (!qt) return qt.status();
    auto st = addInit(tensor(b->name() + "_scale", kFloat, {static_cast<std::int64_t>(v.size())}, scales.data(), scales.size() * 4));
    if (!st) return st.status();
    Graph::NewNode d;
    d.opType = "DequantizeLinear";
    d.name = freshNodeName(g, b->name() + "_DequantizeLinear");
    d.inputs = {qt.value(), st.value()};
    d.outputNames = {freshName(g, b->name() + "_dequantized")};
    d.attributes = {intAttr("axis", 0)};
    auto dn = g.addNode(std::move(d), n);
    if (!dn) return dn.status();
    if (auto s = g.setInput(n, static_cast<std::size_t>(input), dn.value()->output(0)); !s) return s;
    qn.weightBytesBefore += static_cast<std::int64_t>(v.size() * 4);
    qn.weightBytesAfter += static_cast<std::int64_t>(v.size() * 8);
    if (b->uses().empty()) library::dropIfUnused(g, b);
    return Status::ok();
  }

  // A Relu (or Clip from 0) that is the only reader of a quantized op's output: with u8
  // activations its range starts at 0, so the zero point is 0 and QuantizeLinear's saturation
  // is the Relu (ONNX Runtime's quantizer removes it the same way). Returns the removed activation's
  // output name (the float value this node's output now stands for), or "".
  Result<std::string> foldActivation(Node* n) {
    if (!o.placement.removeRelu || signedActs()) return std::string();
    Value* y = n->output(0);
    if (!y || y->uses().size() != 1 || y->isGraphOutput()) return std::string();
    Node* act = y->uses()[0].node;
    if (!isDefault(*act) || o.exclude.count(act->name())) return std::string();
    if (act->opType() == "Clip") {
      double lo = 0;
      if (!act->input(1) || !library::scalarOf(act->input(1), lo) || lo != 0) return std::string();
    } else if (act->opType() != "Relu") {
      return std::string();
    }
    Value* r = act->output(0);
    if (!cal || !cal->stats.count(r->name())) return std::string();
    // Only when the activation's output will be quantized: the Q's saturation is what replaces it.
    if (r->isGraphOutput() || !readByEligible(r)) return std::string();
    std::string floatName = r->name();
    // y takes the activation's output name, so graph outputs and readers keep theirs.
    auto keep = library::takeName(g, r);
    if (!keep) return keep.status();
    std::string yOld = y->name();
    // The Clip's bounds (Constant nodes or initializers) go too once nothing else reads them.
    std::vector<Value*> bounds(act->inputs().begin() + 1, act->inputs().end());
    g.replaceAllUses(r, y);
    g.eraseNode(act);
    library::dropDangling(g, r->name());
    for (Value* b : bounds) library::dropIfUnused(g, b);
    if (auto s = g.renameValue(y, floatName); !s) return s;
    (void)yOld;
    return floatName;
  }

  Status quantizeStaticNode(Node* n) {
    const std::string op = n->opType();
    const auto& pl = o.placement;
    bool sameScale = pl.sameScaleOps.count(op) != 0;
    QuantizedNode qn;
    qn.node = nodeName(*n);
    qn.opType = op;
    qn.form = "QDQ";
    // Which inputs are activations, which are weights.
    std::vector<int> acts;
    int weight = -1, weightAxis = 0, bias = -1;
    if (op == "Conv") {
      acts = {0};
      if (isFloatInitializer(n->input(1)) && n->input(1)->initializer()->dims().size() >= 3) weight = 1, weightAxis = 0;
      if (n->input(2) && isFloatInitializer(n->input(2))) bias = 2;
    } else if (op == "MatMul") {
      acts = {0};
      if (isFloatInitializer(n->input(1)) && n->input(1)->initializer()->dims().size() == 2) weight = 1, weightAxis = 1;
      else if (isFloatActivation(logical(n->input(1)), cal)) acts.push_back(1);
      else return Status(ErrorCode::Unsupported, "its right side is neither a 2-D weight nor an activation");
    } else if (op == "Gemm") {
      const auto* ta = n->attribute("transA");
      if (ta && ta->i() != 0) return Status(ErrorCode::Unsupported, "transA=1");
      acts = {0};
      const auto* tb = n->attribute("transB");
      bool transB = tb && tb->i() != 0;
      if (isFloatInitializer(n->input(1))) weight = 1, weightAxis = transB ? 0 : 1;
      else acts.push_back(1);
      const auto* alpha = n->attribute("alpha");
      const auto* beta = n->attribute("beta");
      if (n->input(2) && isFloatInitializer(n->input(2)) && (!alpha || alpha->f() == 1.0f) && (!beta || beta->f() == 1.0f)) bias = 2;
    } else {
      for (std::size_t i = 0; i < n->inputs().size(); ++i) {
        Value* in = n->input(i);
        if (!in) continue;
        if (op == "Concat" || op == "Add" || op == "Mul" || op == "Sub") {
          if (!isFloatActivation(logical(in), cal)) return Status(ErrorCode::Unsupported, "input '" + in->name() + "' is not a float activation");
          acts.push_back(static_cast<int>(i));
        } else if (i == 0) {
          if (!isFloatActivation(logical(in), cal)) return Status(ErrorCode::Unsupported, "its input is not a float activation");
          acts.push_back(0);
        }
      }
    }
    for (int i : acts) {
      Value* x = logical(n->input(static_cast<std::size_t>(i)));
      if (!isFloatActivation(x, cal)) return Status(ErrorCode::Unsupported, "input '" + (x ? x->name() : "?") + "' is not a float activation");
      if (!dqOf.count(x) && !paramsFor(x->name())) return Status(ErrorCode::Unsupported, "no calibration range for '" + x->name() + "'");
    }
    // A pass-through op quantizes like its input, and only when its input is quantized already.
    if (sameScale && (acts.empty() || !dqOf.count(logical(n->input(static_cast<std::size_t>(acts[0]))))))
      return Status(ErrorCode::Unsupported, "its input is not quantized (a pass-through op follows its input)");
    float xScale = 0;
    for (int i : acts) {
      Value* x = logical(n->input(static_cast<std::size_t>(i)));
      QParams p = dqOf.count(x) ? paramsOf[x] : *paramsFor(x->name());
      if (auto s = insertQdq(x, p, {{n, i}}); !s) return s;
      if (i == acts[0]) xScale = paramsOf[x].scale;
    }
    if (weight >= 0) {
      auto scales = quantizeWeight(n, weight, weightAxis, qn);
      if (!scales) return scales.status();
      if (bias >= 0) {
        // Bias quantization needs one scale per output channel: per-channel weights along the output axis.
        bool outputAxis = op == "Conv" ? weightAxis == 0 : true;
        if (outputAxis)
          if (auto s = quantizeBias(n, bias, xScale, scales.value(), qn); !s) return s;
      }
    }
    std::string floatOut = n->output(0) ? n->output(0)->name() : "";
    if ((pl.quantizeOutputs || sameScale) && n->output(0)) {
      auto folded = foldActivation(n);
      if (!folded) return folded.status();
      Value* y = n->output(0);
      std::string statsName = folded.value().empty() ? y->name() : folded.value();
      if (!y->isGraphOutput() && !y->uses().empty() && (sameScale || readByEligible(y))) {
        std::optional<QParams> p = sameScale ? std::optional<QParams>(paramsOf[logical(n->input(static_cast<std::size_t>(acts[0])))]) : paramsFor(statsName);
        if (p) {
          std::vector<std::pair<Node*, int>> readers;
          for (const Use& u : y->uses()) readers.emplace_back(u.node, u.index);
          if (auto s = insertQdq(y, *p, readers); !s) return s;
        }
      }
      floatOut = statsName;
    }
    qn.output = n->output(0) ? n->output(0)->name() : "";
    // Scored after its own output rounding: with a folded Relu only the DequantizeLinear output
    // carries the clamp, so the raw output would not stand for the float Relu's value.
    if (n->output(0))
      if (auto it = dqOf.find(n->output(0)); it != dqOf.end()) qn.output = it->second->name();
    qn.floatOutput = floatOut;
    report.nodes.push_back(qn);
    return Status::ok();
  }

  // Nodes the static pass will quantize, decided before it changes anything: an output gets its own
  // Q/DQ only when a reader will take it quantized (a QLinear chain can form); otherwise the extra
  // rounding costs accuracy and buys no integer kernel.
  std::set<const Node*> eligible;
  void findEligible(const std::vector<Node*>& order) {
    for (Node* n : order) {
      if (!isDefault(*n) || o.exclude.count(nodeName(*n)) || !n->output(0) || !cal->stats.count(n->output(0)->name())) continue;
      const std::string& op = n->opType();
      if (o.placement.sameScaleOps.count(op)) {
        Node* p = n->input(0) ? n->input(0)->producer() : nullptr;
        if (p && eligible.count(p)) eligible.insert(n);
        continue;
      }
      if (!o.placement.ops.count(op)) continue;
      bool ok = true;
      if (op == "Concat" || op == "Add" || op == "Mul" || op == "Sub")
        for (Value* in : n->inputs()) ok = ok && in && isFloatActivation(in, cal);
      else if (op != "Conv" && op != "MatMul" && op != "Gemm")
        ok = n->input(0) && isFloatActivation(n->input(0), cal);
      if (ok) eligible.insert(n);
    }
    // An elementwise op (Add, Mul, Concat, pools) whose output no quantized op reads is left in
    // float. ONNX Runtime fuses only whole Q -> DQ -> op -> Q chains, so it would run the op in
    // float after DQ anyway; on any backend the int8 would end at the next float op, and the Q/DQ
    // on its inputs cost accuracy (a transformer's residual Adds before LayerNorm: 9 dB on a
    // BERT-style encoder). Decided from the last node back, so a chain of such ops drops whole.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      Node* n = *it;
      const std::string& op = n->opType();
      if (!eligible.count(n) || op == "Conv" || op == "MatMul" || op == "Gemm" || o.placement.sameScaleOps.count(op)) continue;
      if (!n->output(0) || n->output(0)->isGraphOutput() || !feedsEligible(n->output(0), 0)) eligible.erase(n);
    }
  }
  // A quantized reader takes v: directly, or through a Relu/Clip the Q folds away, or through
  // pass-through ops (Reshape, Transpose, MaxPool…) that keep the scale.
  bool feedsEligible(const Value* v, int depth) const {
    if (depth > 8) return false;
    for (const Use& u : v->uses()) {
      const Node* r = u.node;
      if (eligible.count(r) && !o.placement.sameScaleOps.count(r->opType())) return true;
      const std::string& op = r->opType();
      if ((op == "Relu" || op == "Clip" || o.placement.sameScaleOps.count(op)) && r->output(0) && u.index == 0 &&
          feedsEligible(r->output(0), depth + 1))
        return true;
    }
    return false;
  }
  bool readByEligible(const Value* v) const {
    for (const Use& u : v->uses())
      if (eligible.count(u.node)) return true;
    return false;
  }

  Status runStatic() {
    if (!cal) return Status(ErrorCode::InvalidArgument, "static quantization needs a calibration (sample data or the seeded random fallback)");
    auto order = g.topologicalOrder();
    if (!order) return order.status();
    findEligible(order.value());
    for (Node* n : order.value()) {
      if (!isDefault(*n)) continue;
      const std::string& op = n->opType();
      if (!o.placement.ops.count(op) && !o.placement.sameScaleOps.count(op)) continue;
      if (o.exclude.count(nodeName(*n))) {
        report.skipped.push_back(nodeName(*n) + ": excluded");
        continue;
      }
      if (!n->output(0) || !cal->stats.count(n->output(0)->name())) {
        report.skipped.push_back(nodeName(*n) + ": its output is not a float tensor calibration saw");
        continue;
      }
      if (!eligible.count(n) && op != "Conv" && op != "MatMul" && op != "Gemm" &&
          !o.placement.sameScaleOps.count(op)) {
        report.skipped.push_back(nodeName(*n) + ": no quantized op reads its output, so the backend would run it in float");
        continue;
      }
      auto s = quantizeStaticNode(n);
      if (!s) {
        if (s.code() != ErrorCode::Unsupported) return s;
        report.skipped.push_back(nodeName(*n) + ": " + s.message());
      }
    }
    return Status::ok();
  }

  // ------------------------------------------------------------------ dynamic

  struct DynInput {
    Value *q = nullptr, *scale = nullptr, *zero = nullptr;
  };
  std::map<const Value*, DynInput> dynOf;

  Result<DynInput> dynamicInput(Value* x, Node* before) {
    auto it = dynOf.find(x);
    if (it != dynOf.end()) return it->second;
    Graph::NewNode d;
    d.opType = "DynamicQuantizeLinear";
    d.name = freshNodeName(g, x->name() + "_DynamicQuantizeLinear");
    d.inputs = {x};
    d.outputNames = {freshName(g, x->name() + "_quantized"), freshName(g, x->name() + "_scale"), freshName(g, x->name() + "_zero_point")};
    const Node* at = before;
    for (const Use& u : x->uses()) {
      auto a = position.find(u.node), b = position.find(at);
      if (a != position.end() && b != position.end() && a->second < b->second) at = u.node;
    }
    auto dn = g.addNode(std::move(d), at);
    if (!dn) return dn.status();
    DynInput in{dn.value()->output(0), dn.value()->output(1), dn.value()->output(2)};
    dynOf[x] = in;
    return in;
  }

  Status quantizeDynamicNode(Node* n) {
    const std::string op = n->opType();
    Value* a = n->input(0);
    Value* b = n->input(1);
    bool transB = false;
    if (op == "Gemm") {
      const auto* ta = n->attribute("transA");
      const auto* tb = n->attribute("transB");
      const auto* alpha = n->attribute("alpha");
      const auto* beta = n->attribute("beta");
      if ((ta && ta->i()) || (alpha && alpha->f() != 1.0f) || (beta && beta->f() != 1.0f))
        return Status(ErrorCode::Unsupported, "Gemm with transA, alpha or beta");
      transB = tb && tb->i() != 0;
    }
    if (!isFloatInitializer(b) || b->initializer()->dims().size() != 2) return Status(ErrorCode::Unsupported, "its weight is not a 2-D float initializer");
    auto vals = floatsOf(b);
    if (!vals) return vals.status();
    auto dims = b->initializer()->dims();
    std::int64_t K = transB ? dims[1] : dims[0], N = transB ? dims[0] : dims[1];
    std::vector<float> scales(static_cast<std::size_t>(N), 0.0f);
    auto at = [&](std::int64_t k, std::int64_t c) { return vals.value()[static_cast<std::size_t>(transB ? c * K + k : k * N + c)]; };
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t c = 0; c < N; ++c) scales[static_cast<std::size_t>(c)] = std::max(scales[static_cast<std::size_t>(c)], std::abs(at(k, c)));
    for (auto& s : scales) s = s > 0 ? s / 127.0f : 1.0f;
    std::vector<std::int8_t> q(static_cast<std::size_t>(K * N));
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t c = 0; c < N; ++c)
        q[static_cast<std::size_t>(k * N + c)] = static_cast<std::int8_t>(quantizeValue(at(k, c), scales[static_cast<std::size_t>(c)], 0, -127, 127));
    QuantizedNode qn;
    qn.node = nodeName(*n);
    qn.opType = op;
    qn.weightElements = K * N;
    qn.weightBytesBefore = K * N * 4;
    qn.weightBytesAfter = K * N + N * 4 + 1;
    auto bq = addInit(tensor(b->name() + "_quantized", kInt8, {K, N}, q.data(), q.size()));
    if (!bq) return bq.status();
    auto bs = addInit(tensor(b->name() + "_scale", kFloat, {N}, scales.data(), scales.size() * 4));
    if (!bs) return bs.status();
    Value* y = n->output(0);
    auto keep = library::takeName(g, y);
    if (!keep) return keep.status();
    Value* bias = op == "Gemm" ? n->input(2) : nullptr;
    if (o.placement.dynamicContrib) {
      std::vector<std::int8_t> zeros(static_cast<std::size_t>(N), 0);
      auto bz = addInit(tensor(b->name() + "_zero_point", kInt8, {N}, zeros.data(), zeros.size()));
      if (!bz) return bz.status();
      qn.weightBytesAfter += N - 1;
      library::ensureDomain(g, "com.microsoft");
      Graph::NewNode d;
      d.opType = "DynamicQuantizeMatMul";
      d.domain = "com.microsoft";
      d.name = freshNodeName(g, qn.node + "_quant");
      d.inputs = {a, bq.value(), bs.value(), bz.value()};
      if (bias && bias->initializer() && bias->initializer()->dims().size() == 1) d.inputs.push_back(bias), bias = nullptr;
      d.outputNames = {bias ? freshName(g, *keep + "_matmul") : *keep};
      d.docString = provenance(qn.node);
      auto dn = g.addNode(std::move(d), n);
      if (!dn) return dn.status();
      qn.form = "DynamicQuantizeMatMul";
      Value* out = dn.value()->output(0);
      if (bias) {
        Graph::NewNode add;
        add.opType = "Add";
        add.name = freshNodeName(g, qn.node + "_bias");
        add.inputs = {out, bias};
        add.outputNames = {*keep};
        auto an = g.addNode(std::move(add), n);
        if (!an) return an.status();
        out = an.value()->output(0);
      }
      g.replaceAllUses(y, out);
    } else {
      std::int8_t zero = 0;
      auto bz = addInit(tensor(b->name() + "_zero_point", kInt8, {}, &zero, 1));
      if (!bz) return bz.status();
      auto din = dynamicInput(a, n);
      if (!din) return din.status();
      auto addNode = [&](std::string opType, std::vector<Value*> inputs, std::string out, std::vector<onnx::AttributeProto> attrs = {}) -> Result<Value*> {
        Graph::NewNode s;
        s.opType = std::move(opType);
        s.name = freshNodeName(g, qn.node + "_" + s.opType);
        s.inputs = std::move(inputs);
        s.outputNames = {std::move(out)};
        s.attributes = std::move(attrs);
        s.docString = provenance(qn.node);
        auto r = g.addNode(std::move(s), n);
        if (!r) return r.status();
        return r.value()->output(0);
      };
      auto mm = addNode("MatMulInteger", {din->q, bq.value(), din->zero, bz.value()}, freshName(g, *keep + "_int32"));
      if (!mm) return mm.status();
      auto cast = addNode("Cast", {mm.value()}, freshName(g, *keep + "_float"), {intAttr("to", kFloat)});
      if (!cast) return cast.status();
      auto sc = addNode("Mul", {din->scale, bs.value()}, freshName(g, *keep + "_scale"));
      if (!sc) return sc.status();
      auto out = addNode("Mul", {cast.value(), sc.value()}, bias ? freshName(g, *keep + "_matmul") : *keep);
      if (!out) return out.status();
      Value* result = out.value();
      if (bias) {
        auto add = addNode("Add", {result, bias}, *keep);
        if (!add) return add.status();
        result = add.value();
      }
      qn.form = "MatMulInteger";
      g.replaceAllUses(y, result);
    }
    std::string replaced = y->name();
    g.eraseNode(n);
    library::dropDangling(g, replaced);
    library::dropIfUnused(g, b);
    qn.output = *keep;
    qn.floatOutput = *keep;
    report.nodes.push_back(qn);
    return Status::ok();
  }

  Status runDynamic() {
    auto order = g.topologicalOrder();
    if (!order) return order.status();
    for (Node* n : order.value()) {
      if (!isDefault(*n) || (n->opType() != "MatMul" && n->opType() != "Gemm")) continue;
      if (o.exclude.count(nodeName(*n))) {
        report.skipped.push_back(nodeName(*n) + ": excluded");
        continue;
      }
      auto s = quantizeDynamicNode(n);
      if (!s) {
        if (s.code() != ErrorCode::Unsupported) return s;
        report.skipped.push_back(nodeName(*n) + ": " + s.message());
      }
    }
    return Status::ok();
  }

  // ------------------------------------------------------------------ weight-only

  Result<BlockedWeight> blockedFor(const std::vector<float>& w, std::int64_t K, std::int64_t N, const Value* input,
                                   std::vector<float>* inputScale) {
    if (o.weightMethod == WeightMethod::Rtn || !input) return quantizeRtn(w, K, N, o.bits, o.blockSize, o.symmetric);
    if (!cal || !cal->gram.count(input->name()))
      return Status(ErrorCode::InvalidArgument, std::string(o.weightMethod == WeightMethod::Gptq ? "GPTQ" : "AWQ") +
                                                    " needs calibration inputs for '" + input->name() + "' (calibrate with collectGram)");
    std::int64_t rows = cal->gramRows.at(input->name());
    if (o.weightMethod == WeightMethod::Gptq) return quantizeGptq(w, K, N, o.bits, o.blockSize, o.symmetric, cal->gram.at(input->name()), rows);
    return quantizeAwq(w, K, N, o.bits, o.blockSize, o.symmetric, cal->meanAbs.at(input->name()), cal->gram.at(input->name()), rows, *inputScale);
  }

  Status quantizeWeightOnlyMatMul(Node* n) {
    Value* a = n->input(0);
    Value* b = n->input(1);
    if (!isFloatInitializer(b) || b->initializer()->dims().size() != 2) return Status(ErrorCode::Unsupported, "its weight is not a 2-D float initializer");
    auto dims = b->initializer()->dims();
    std::int64_t K = dims[0], N = dims[1];
    auto vals = floatsOf(b);
    if (!vals) return vals.status();
    std::vector<float> inputScale;
    auto bw = blockedFor(vals.value(), K, N, a, &inputScale);
    if (!bw) return bw.status();
    const BlockedWeight& w = bw.value();
    QuantizedNode qn;
    qn.node = nodeName(*n);
    qn.opType = "MatMul";
    qn.weightElements = K * N;
    qn.weightBytesBefore = K * N * 4;
    Value* y = n->output(0);
    auto keep = library::takeName(g, y);
    if (!keep) return keep.status();
    Value* x = a;
    if (!inputScale.empty()) {
      auto st = addInit(tensor(b->name() + "_awq_input_scale", kFloat, {K}, inputScale.data(), inputScale.size() * 4));
      if (!st) return st.status();
      Graph::NewNode m;
      m.opType = "Mul";
      m.name = freshNodeName(g, qn.node + "_awq_scale");
      m.inputs = {a, st.value()};
      m.outputNames = {freshName(g, a->name() + "_awq_scaled")};
      auto mn = g.addNode(std::move(m), n);
      if (!mn) return mn.status();
      x = mn.value()->output(0);
      qn.weightBytesAfter += K * 4;
    }
    Value* out = nullptr;
    if (o.format == BlockedFormat::MatMulNBits) {
      MatMulNBitsTensors t = packMatMulNBits(w);
      auto bt = addInit(tensor(b->name() + "_q4", kUInt8, t.bShape, t.b.data(), t.b.size()));
      if (!bt) return bt.status();
      auto st = addInit(tensor(b->name() + "_scales", kFloat, {static_cast<std::int64_t>(t.scales.size())}, t.scales.data(), t.scales.size() * 4));
      if (!st) return st.status();
      Graph::NewNode m;
      m.opType = "MatMulNBits";
      m.domain = "com.microsoft";
      m.name = freshNodeName(g, qn.node + "_MatMulNBits");
      m.inputs = {x, bt.value(), st.value()};
      if (!t.zeroPoints.empty()) {
        auto zt = addInit(tensor(b->name() + "_zero_points", kUInt8, {static_cast<std::int64_t>(t.zeroPoints.size())}, t.zeroPoints.data(), t.zeroPoints.size()));
        if (!zt) return zt.status();
        m.inputs.push_back(zt.value());
      }
      m.outputNames = {*keep};
      m.attributes = {intAttr("K", K), intAttr("N", N), intAttr("bits", o.bits), intAttr("block_size", o.blockSize)};
      if (o.accuracyLevel > 0) m.attributes.push_back(intAttr("accuracy_level", o.accuracyLevel));
      m.docString = provenance(qn.node);
      library::ensureDomain(g, "com.microsoft");
      auto mn = g.addNode(std::move(m), n);
      if (!mn) return mn.status();
      out = mn.value()->output(0);
      qn.form = "MatMulNBits";
      qn.weightBytesAfter += static_cast<std::int64_t>(t.b.size() + t.scales.size() * 4 + t.zeroPoints.size());
    } else {
      BlockedQdqTensors t = packBlockedQdq(w, b->name());
      auto dt = addInit(t.data);
      if (!dt) return dt.status();
      auto st = addInit(t.scale);
      if (!st) return st.status();
      Graph::NewNode d;
      d.opType = "DequantizeLinear";
      d.name = freshNodeName(g, b->name() + "_DequantizeLinear");
      d.inputs = {dt.value(), st.value()};
      if (t.hasZeroPoint) {
        auto zt = addInit(t.zeroPoint);
        if (!zt) return zt.status();
        d.inputs.push_back(zt.value());
      }
      d.outputNames = {freshName(g, b->name() + "_dequantized")};
      d.attributes = {intAttr("axis", 0), intAttr("block_size", o.blockSize)};
      auto dn = g.addNode(std::move(d), n);
      if (!dn) return dn.status();
      Graph::NewNode m;
      m.opType = "MatMul";
      m.name = freshNodeName(g, qn.node + "_blocked");
      m.inputs = {x, dn.value()->output(0)};
      m.outputNames = {*keep};
      m.docString = provenance(qn.node);
      auto mn = g.addNode(std::move(m), n);
      if (!mn) return mn.status();
      out = mn.value()->output(0);
      qn.form = "DequantizeLinear+MatMul";
      qn.weightBytesAfter += static_cast<std::int64_t>(t.data.raw_data().size() + t.scale.raw_data().size() + t.zeroPoint.raw_data().size());
    }
    g.replaceAllUses(y, out);
    std::string replaced = y->name();
    g.eraseNode(n);
    library::dropDangling(g, replaced);
    library::dropIfUnused(g, b);
    qn.output = *keep;
    qn.floatOutput = *keep;
    report.nodes.push_back(qn);
    return Status::ok();
  }

  // Gather from a [V, D] embedding: blocked along D, read through DequantizeLinear(axis=1, block_size).
  Status quantizeWeightOnlyGather(Node* n) {
    Value* table = n->input(0);
    if (!isFloatInitializer(table) || table->initializer()->dims().size() != 2) return Status(ErrorCode::Unsupported, "its table is not a 2-D float initializer");
    const auto* axis = n->attribute("axis");
    if (axis && axis->i() != 0) return Status(ErrorCode::Unsupported, "Gather along an axis other than 0");
    auto dims = table->initializer()->dims();
    std::int64_t V = dims[0], D = dims[1];
    auto vals = floatsOf(table);
    if (!vals) return vals.status();
    // Blocks run along D: quantize the transpose [D, V] as a [K=D, N=V] weight.
    std::vector<float> t(static_cast<std::size_t>(V * D));
    for (std::int64_t v = 0; v < V; ++v)
      for (std::int64_t d = 0; d < D; ++d) t[static_cast<std::size_t>(d * V + v)] = vals.value()[static_cast<std::size_t>(v * D + d)];
    BlockedWeight w = quantizeRtn(t, D, V, o.bits, o.blockSize, o.symmetric);
    BlockedQdqTensors qt = packBlockedQdq(w, table->name());
    // packBlockedQdq writes [K, N] = [D, V]; the table is [V, D]: transpose data, scale, zero point.
    auto transpose = [&](onnx::TensorProto& tp, std::int64_t rows, std::int64_t cols) {
      int bits = (tp.data_type() == 21 || tp.data_type() == 22) ? 4 : 8;
      std::vector<std::uint8_t> src;
      const std::string& raw = tp.raw_data();
      if (bits == 4)
        for (std::int64_t i = 0; i < rows * cols; ++i) src.push_back((static_cast<std::uint8_t>(raw[static_cast<std::size_t>(i / 2)]) >> ((i % 2) * 4)) & 0xF);
      std::vector<std::uint8_t> dst(static_cast<std::size_t>(rows * cols));
      std::size_t es = bits == 4 ? 1 : (tp.data_type() == kFloat ? 4 : 1);
      if (bits == 4) {
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t c = 0; c < cols; ++c) dst[static_cast<std::size_t>(c * rows + r)] = src[static_cast<std::size_t>(r * cols + c)];
        auto packed = packNibbles(dst);
        tp.set_raw_data(std::string(packed.begin(), packed.end()));
      } else {
        std::string out(raw.size(), '\0');
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t c = 0; c < cols; ++c) std::memcpy(&out[static_cast<std::size_t>(c * rows + r) * es], &raw[static_cast<std::size_t>(r * cols + c) * es], es);
        tp.set_raw_data(out);
      }
      tp.set_dims(0, cols);
      tp.set_dims(1, rows);
    };
    std::int64_t nb = w.blocks();
    transpose(qt.data, D, V);
    transpose(qt.scale, nb, V);
    if (qt.hasZeroPoint) transpose(qt.zeroPoint, nb, V);
    QuantizedNode qn;
    qn.node = nodeName(*n);
    qn.opType = "Gather";
    qn.form = "DequantizeLinear+Gather";
    qn.weightElements = V * D;
    qn.weightBytesBefore = V * D * 4;
    qn.weightBytesAfter = static_cast<std::int64_t>(qt.data.raw_data().size() + qt.scale.raw_data().size() + qt.zeroPoint.raw_data().size());
    auto dt = addInit(qt.data);
    if (!dt) return dt.status();
    auto st = addInit(qt.scale);
    if (!st) return st.status();
    Graph::NewNode d;
    d.opType = "DequantizeLinear";
    d.name = freshNodeName(g, table->name() + "_DequantizeLinear");
    d.inputs = {dt.value(), st.value()};
    if (qt.hasZeroPoint) {
      auto zt = addInit(qt.zeroPoint);
      if (!zt) return zt.status();
      d.inputs.push_back(zt.value());
    }
    d.outputNames = {freshName(g, table->name() + "_dequantized")};
    d.attributes = {intAttr("axis", 1), intAttr("block_size", o.blockSize)};
    auto dn = g.addNode(std::move(d), n);
    if (!dn) return dn.status();
    // Every reader of the table (a tied LM head reads it too) reads the dequantized one.
    std::vector<std::pair<Node*, int>> readers;
    for (const Use& u : table->uses())
      if (u.node != dn.value()) readers.emplace_back(u.node, u.index);
    for (auto [r, i] : readers)
      if (auto s = g.setInput(r, static_cast<std::size_t>(i), dn.value()->output(0)); !s) return s;
    library::dropIfUnused(g, table);
    qn.output = n->output(0)->name();
    qn.floatOutput = qn.output;
    report.nodes.push_back(qn);
    return Status::ok();
  }

  Status runWeightOnly() {
    if (o.format == BlockedFormat::Qdq || o.includeGather)
      if (auto s = ensureOpset21(model); !s) return s;
    auto order = g.topologicalOrder();
    if (!order) return order.status();
    std::size_t i = 0, count = order.value().size();
    for (Node* n : order.value()) {
      if (!reportProgress(o.progress, static_cast<double>(i++) / static_cast<double>(count), "quantizing weights"))
        return Status(ErrorCode::Cancelled, "quantization cancelled");
      if (!isDefault(*n)) continue;
      bool gather = n->opType() == "Gather" && o.includeGather;
      if (n->opType() != "MatMul" && !gather) continue;
      if (o.exclude.count(nodeName(*n))) {
        report.skipped.push_back(nodeName(*n) + ": excluded");
        continue;
      }
      auto s = gather ? quantizeWeightOnlyGather(n) : quantizeWeightOnlyMatMul(n);
      if (!s) {
        if (s.code() != ErrorCode::Unsupported) return s;
        report.skipped.push_back(nodeName(*n) + ": " + s.message());
      }
    }
    return Status::ok();
  }
};

std::uint64_t initializerBytes(const Model& m) {
  std::uint64_t total = 0;
  for (const Value* v : m.graph().initializers())
    if (v->initializer()) total += v->initializer()->storedBytes();
  return total;
}

}  // namespace

// Opset 21 for blocked DequantizeLinear and 4-bit types. Moving an opset-13..20 model there is exact
// for every op but the reductions whose `axes` became an input in 18; those are rewritten.
Status ensureOpset21(Model& model) {
  std::int64_t v = model.opsetVersion("");
  if (v >= 21) return Status::ok();
  if (v < 13)
    return Status(ErrorCode::Unsupported, "the blocked DequantizeLinear encoding needs opset 21 and this model is at opset " + std::to_string(v) +
                                              "; convert it to 13 or later first (graft-cli convert --opset 13), or use --format matmulnbits");
  static const std::set<std::string> kAxesToInput = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                                                     "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  static const std::set<std::string> kChanged = {"GroupNormalization", "DFT", "GridSample", "Col2Im", "Scan"};
  Graph& g = model.graph();
  std::string blocker;
  g.forEachNode([&](const Node& n) {
    if (isDefault(n) && kChanged.count(n.opType())) blocker = n.opType();
  });
  if (!blocker.empty())
    return Status(ErrorCode::Unsupported, "the blocked DequantizeLinear encoding needs opset 21, and this model's " + blocker +
                                              " changed meaning since opset " + std::to_string(v) + "; use --format matmulnbits");
  for (Node* n : g.nodes()) {
    if (!isDefault(*n) || !kAxesToInput.count(n->opType()) || v >= 18) continue;
    const auto* axes = n->attribute("axes");
    if (!axes) continue;
    std::vector<std::int64_t> a(axes->ints().begin(), axes->ints().end());
    onnx::TensorProto t = tensor(freshName(g, (n->name().empty() ? n->opType() : n->name()) + "_axes"), kInt64,
                                 {static_cast<std::int64_t>(a.size())}, a.data(), a.size() * 8);
    auto av = g.addInitializer(std::move(t));
    if (!av) return av.status();
    if (auto s = g.removeAttribute(n, "axes"); !s) return s;
    if (n->inputs().size() < 2)
      if (auto s = g.setInput(n, 1, av.value()); !s) return s;
  }
  model.setOpsetImport("", 21);
  // Opset 21 needs IR version 10 (4-bit types).
  if (model.shell().ir_version() < 10) model.mutableShell().set_ir_version(10);
  return Status::ok();
}

Placement placementFor(const Profile& profile) {
  Placement p;
  p.backend = profile.name;
  auto it = profile.quantize.find("ops");
  if (it != profile.quantize.end()) p.ops = {it->second.begin(), it->second.end()};
  it = profile.quantize.find("same-scale-ops");
  if (it != profile.quantize.end()) p.sameScaleOps = {it->second.begin(), it->second.end()};
  auto flag = [&](const char* key, const char* yes) {
    auto f = profile.quantize.find(key);
    return f != profile.quantize.end() && !f->second.empty() && f->second[0] == yes;
  };
  p.quantizeOutputs = flag("outputs", "yes");
  p.removeRelu = flag("fold-relu", "yes");
  p.activationsSigned = flag("activations", "s8");
  p.dynamicContrib = flag("dynamic", "com.microsoft");
  return p;
}

Status checkOptions(const Model& model, const QuantizeOptions& o) {
  if (o.mode == Mode::WeightOnly) {
    if (o.bits != 4 && o.bits != 8) return Status(ErrorCode::InvalidArgument, "--bits " + std::to_string(o.bits) + ": weight-only quantization writes 4 or 8 bits");
    if (o.blockSize < 16 || o.blockSize > 256 || (o.blockSize & (o.blockSize - 1)))
      return Status(ErrorCode::InvalidArgument, "block size " + std::to_string(o.blockSize) +
                                                    " is out of range: use a power of two from 16 to 256 (MatMulNBits accepts those)");
  }
  bool any = false;
  model.graph().forEachNode([&](const Node& n) {
    if (!isDefault(n)) return;
    const std::string& op = n.opType();
    switch (o.mode) {
      case Mode::Static: any |= o.placement.ops.count(op) != 0; break;
      case Mode::Dynamic: any |= (op == "MatMul" || op == "Gemm") && isFloatInitializer(n.input(1)); break;
      case Mode::WeightOnly:
        any |= (op == "MatMul" && isFloatInitializer(n.input(1))) || (o.includeGather && op == "Gather" && isFloatInitializer(n.input(0)));
        break;
    }
  });
  if (!any) {
    const char* what = o.mode == Mode::Static ? "ops the backend profile quantizes (e.g. Conv, MatMul, Gemm)"
                       : o.mode == Mode::Dynamic ? "MatMul or Gemm with a constant weight"
                                                 : (o.includeGather ? "MatMul with a constant 2-D weight, or Gather from a constant table" : "MatMul with a constant 2-D weight");
    return Status(ErrorCode::InvalidArgument, std::string("the model has nothing to quantize in this mode: no ") + what);
  }
  return Status::ok();
}

Result<QuantizeReport> quantizeModel(Model& model, const QuantizeOptions& options, const Calibration* calibration) {
  if (auto s = checkOptions(model, options); !s) return s;
  std::uint64_t before = initializerBytes(model);
  // A private journal: a failure halfway puts the model back as it was.
  EditJournal local;
  bool own = model.activeJournal() == nullptr;
  if (own)
    if (auto s = model.beginJournal(&local); !s) return s;
  Rewriter r(model, options, calibration);
  Status s;
  switch (options.mode) {
    case Mode::Static: s = r.runStatic(); break;
    case Mode::Dynamic: s = r.runDynamic(); break;
    case Mode::WeightOnly: s = r.runWeightOnly(); break;
  }
  if (s && r.report.nodes.empty())
    s = Status(ErrorCode::InvalidArgument, "nothing was quantized" + (r.report.skipped.empty() ? std::string() : " (" + r.report.skipped.front() + ")"));
  if (own) {
    model.endJournal();
    if (!s) model.undoJournal(local);
  }
  if (!s) return s;
  r.report.bytesBefore = before;
  r.report.bytesAfter = initializerBytes(model);
  return std::move(r.report);
}

Result<std::unique_ptr<Model>> cloneModel(const Model& model) {
  Model::ExportOptions eo;
  eo.onTensor = [](const Tensor& t, onnx::TensorProto& p) {
    if (!t.isExternal()) return;
    std::string_view raw = t.rawBytes();
    p.clear_external_data();
    p.set_data_location(onnx::TensorProto::DEFAULT);
    p.set_raw_data(std::string(raw));
  };
  auto m = Model::fromProto(model.toProto(eo));
  if (!m) return m.status();
  m.value()->setSource(model.sourcePath(), model.sourceDir());
  return std::move(m.value());
}

}  // namespace graft::quant
