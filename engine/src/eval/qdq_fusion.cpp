#include "eval/qdq_fusion.h"

#include <algorithm>
#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <string>

#include "eval/kernel.h"
#include "eval/linalg.h"
#include "eval/onednn_matmul.h"
#include "eval/simd.h"

namespace graft::eval {

namespace {

bool plainOp(const Node* n, const char* op) {
  return n && n->opType() == op && (n->domain().empty() || n->domain() == "ai.onnx") && n->subgraphs().empty();
}

// The value of a fixed initializer (not a graph input a caller may override), or nothing.
std::optional<Array> fixed(const Value* v) {
  if (!v || !v->isInitializer() || v->isGraphInput() || v->isSparseInitializer()) return std::nullopt;
  auto a = arrayViewOfTensor(*v->initializer());
  if (!a) return std::nullopt;
  return std::move(a.value());
}

std::int64_t intAttr(const Node& n, const char* name, std::int64_t fallback) {
  const auto* a = n.attribute(name);
  return a ? a->i() : fallback;
}

// A scalar (or one-element) float scale and an 8-bit zero point of the same count, or none.
bool scalarParams(const Node& qdq, std::int32_t& zeroType) {
  auto scale = fixed(qdq.input(1));
  if (!scale || scale->dtype() != kFloat || scale->size() != 1 || !(scale->data<float>()[0] > 0) ||
      !std::isfinite(scale->data<float>()[0]))
    return false;
  if (qdq.inputs().size() < 3 || !qdq.input(2)) {
    zeroType = kUInt8;
    return true;
  }
  auto zero = fixed(qdq.input(2));
  if (!zero || zero->size() != 1 || (zero->dtype() != kUInt8 && zero->dtype() != kInt8)) return false;
  zeroType = zero->dtype();
  return true;
}

bool onlyReader(const Value* v, const Node* reader) {
  return v && !v->isGraphOutput() && v->uses().size() == 1 && v->uses()[0].node == reader;
}

// A 2-D MaxPool whose windows are plain: no dilation, no ceil mode, no indices, explicit pads
// smaller than the kernel (so every window holds an input element).
bool plainMaxPool(const Node& n) {
  if (n.outputs().size() > 1 && n.output(1)) return false;
  const auto* k = n.attribute("kernel_shape");
  if (!k || k->ints_size() != 2 || k->ints(0) < 1 || k->ints(1) < 1) return false;
  if (intAttr(n, "ceil_mode", 0) != 0) return false;
  if (const auto* ap = n.attribute("auto_pad"); ap && !ap->s().empty() && ap->s() != "NOTSET") return false;
  if (const auto* d = n.attribute("dilations"))
    for (auto v : d->ints())
      if (v != 1) return false;
  if (const auto* st = n.attribute("strides"); st && (st->ints_size() != 2 || st->ints(0) < 1 || st->ints(1) < 1)) return false;
  if (const auto* p = n.attribute("pads")) {
    if (p->ints_size() != 4) return false;
    for (int i = 0; i < 4; ++i)
      if (p->ints(i) < 0 || p->ints(i) >= k->ints(i % 2)) return false;
  }
  return true;
}

// head -> [Relu ->] [MaxPool ->] QuantizeLinear with one scale and zero point, each value read
// once (the MaxPool only after a Conv, `pool`): the QuantizeLinear (nullptr when the tail does
// not fit); sets c.relu, c.reluAt, c.pool and c.poolAt. Quantizing is monotone, so the maximum of
// the quantized values is the quantized maximum: the pool can run on the bytes.
const Node* quantizedTail(const Node* head, QdqConv& c, std::unordered_map<const Node*, std::size_t>& at, std::int32_t& yZeroType,
                          bool pool = false) {
  const Node* next = head->output(0) && head->output(0)->uses().size() == 1 ? head->output(0)->uses()[0].node : nullptr;
  if (!onlyReader(head->output(0), next)) return nullptr;
  if (plainOp(next, "Relu")) {
    c.relu = true;
    c.reluAt = at[next];
    const Node* after = next->output(0) && next->output(0)->uses().size() == 1 ? next->output(0)->uses()[0].node : nullptr;
    if (!onlyReader(next->output(0), after)) return nullptr;
    next = after;
  }
  if (pool && plainOp(next, "MaxPool") && at.count(next) && next->output(0) && plainMaxPool(*next)) {
    c.pool = next;
    c.poolAt = at[next];
    const Node* after = next->output(0)->uses().size() == 1 ? next->output(0)->uses()[0].node : nullptr;
    if (!onlyReader(next->output(0), after)) return nullptr;
    next = after;
  }
  if (!plainOp(next, "QuantizeLinear") || next->input(0) == nullptr || next->outputs().size() != 1 || !next->output(0)) return nullptr;
  if (!scalarParams(*next, yZeroType) || intAttr(*next, "block_size", 0) != 0 || intAttr(*next, "saturate", 1) != 1) return nullptr;
  if (const auto* od = next->attribute("output_dtype"); od && od->i() != 0 && od->i() != yZeroType) return nullptr;
  return next;
}

// Positions of the producers of head's first `count` inputs that feed nothing else.
std::vector<std::size_t> feedersOnlyFor(const Node* head, std::size_t count, std::unordered_map<const Node*, std::size_t>& at) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < count && k < head->inputs().size(); ++k) {
    const Value* v = head->input(k);
    if (v && onlyReader(v, head) && at.count(v->producer()) &&
        std::find(out.begin(), out.end(), at[v->producer()]) == out.end())
      out.push_back(at[v->producer()]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A DequantizeLinear's quantized input, scale and zero point (nullptr when it has none).
void quantized(const Node& dq, const Value*& data, const Value*& scale, const Value*& zero) {
  data = dq.input(0);
  scale = dq.input(1);
  zero = dq.inputs().size() >= 3 ? dq.input(2) : nullptr;
}

// The chain's head at position `i` and its [Relu ->] QuantizeLinear tail; false when the tail
// does not fit. The producers of the head's first `inputs` inputs that feed nothing else are
// the nodes a fused run skips before it.
bool chainFrom(const Node* head, std::size_t i, std::size_t inputs, std::unordered_map<const Node*, std::size_t>& at, QdqConv& c) {
  std::int32_t yZeroType = 0;
  const Node* q = quantizedTail(head, c, at, yZeroType, !c.add && !c.unary);
  if (!q) return false;
  c.conv = head;
  c.convAt = i;
  c.quantizeAt = at[q];
  c.skippedBefore = feedersOnlyFor(head, inputs, at);
  c.yScale = q->input(1);
  c.yZero = q->inputs().size() >= 3 ? q->input(2) : nullptr;
  c.y = q->output(0);
  return true;
}

}  // namespace

std::vector<QdqConv> planQdqConvs(const std::vector<Node*>& order) {
  std::vector<QdqConv> out;
  std::unordered_map<const Node*, std::size_t> at;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (!order[i]->subgraphs().empty()) return out;  // values read inside bodies have no uses() here
    at[order[i]] = i;
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* conv = order[i];
    if (!plainOp(conv, "Conv") || conv->inputs().size() < 2 || conv->outputs().size() != 1) continue;
    const Node* dqx = conv->input(0) ? conv->input(0)->producer() : nullptr;
    const Node* dqw = conv->input(1) ? conv->input(1)->producer() : nullptr;
    if (!plainOp(dqx, "DequantizeLinear") || !plainOp(dqw, "DequantizeLinear") || !at.count(dqx)) continue;
    std::int32_t xZeroType = 0;
    if (!scalarParams(*dqx, xZeroType) || intAttr(*dqx, "block_size", 0) != 0) continue;
    // Weights: int8 with zero points 0, one scale per tensor or per output channel (axis 0).
    auto w = fixed(dqw->input(0));
    auto ws = fixed(dqw->input(1));
    if (!w || w->dtype() != kInt8 || w->rank() < 3 || !ws || ws->dtype() != kFloat) continue;
    const std::int64_t M = w->dim(0);
    if (intAttr(*dqw, "block_size", 0) != 0) continue;
    if (ws->size() != 1) {
      std::int64_t axis = intAttr(*dqw, "axis", 1);
      if (axis < 0) axis += static_cast<std::int64_t>(w->rank());
      if (axis != 0 || ws->size() != M || ws->rank() != 1) continue;
    }
    if (dqw->inputs().size() >= 3 && dqw->input(2)) {
      auto wz = fixed(dqw->input(2));
      bool zeros = wz && wz->dtype() == kInt8 && wz->size() == ws->size();
      for (std::int64_t k = 0; zeros && k < wz->size(); ++k) zeros = wz->data<std::int8_t>()[k] == 0;
      if (!zeros) continue;
    }
    auto xs = fixed(dqx->input(1));
    // Bias: DequantizeLinear of int32 at scale x_scale * w_scale (what QLinearConv's B means).
    const Value* bias = nullptr;
    const Value* floatBias = nullptr;
    if (conv->inputs().size() >= 3 && conv->input(2)) {
      // A float bias: an initializer, or one passed through Identity nodes (exporters share
      // equal initializers that way).
      const Value* fb = conv->input(2);
      while (fb && fb->producer() && plainOp(fb->producer(), "Identity") && fb->producer()->inputs().size() == 1)
        fb = fb->producer()->input(0);
      if (auto b = fixed(fb); b && b->dtype() == kFloat && b->size() == M) {
        floatBias = fb;
      }
    }
    if (!floatBias && conv->inputs().size() >= 3 && conv->input(2)) {
      const Node* dqb = conv->input(2)->producer();
      if (!plainOp(dqb, "DequantizeLinear")) continue;
      auto b = fixed(dqb->input(0));
      auto bs = fixed(dqb->input(1));
      if (!b || b->dtype() != kInt32 || b->size() != M || !bs || bs->dtype() != kFloat || (bs->size() != 1 && bs->size() != M))
        continue;
      if (dqb->inputs().size() >= 3 && dqb->input(2)) {
        auto bz = fixed(dqb->input(2));
        bool zeros = bz && bz->dtype() == kInt32;
        for (std::int64_t k = 0; zeros && k < bz->size(); ++k) zeros = bz->data<std::int32_t>()[k] == 0;
        if (!zeros) continue;
      }
      bool matches = true;
      for (std::int64_t m = 0; matches && m < M; ++m) {
        const float want = xs->data<float>()[0] * ws->data<float>()[ws->size() == 1 ? 0 : m];
        const float got = bs->data<float>()[bs->size() == 1 ? 0 : m];
        matches = std::abs(got - want) <= 1e-6f * std::abs(want);
      }
      if (!matches) continue;
      bias = dqb->input(0);
    }
    QdqConv c;
    if (!chainFrom(conv, i, 3, at, c)) continue;
    quantized(*dqx, c.x, c.xScale, c.xZero);
    quantized(*dqw, c.w, c.wScale, c.wZero);
    c.bias = bias;
    c.floatBias = floatBias;
    out.push_back(c);
  }
  // Residual Adds: DequantizeLinear(a) + DequantizeLinear(b) -> [Relu] -> QuantizeLinear, each
  // element computed from the bytes with the same float32 operations as the nodes.
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* add = order[i];
    const bool mul = plainOp(add, "Mul");
    if ((!plainOp(add, "Add") && !mul) || add->inputs().size() != 2 || add->outputs().size() != 1) continue;
    const Node* dqa = add->input(0) ? add->input(0)->producer() : nullptr;
    const Node* dqb = add->input(1) ? add->input(1)->producer() : nullptr;
    std::int32_t aZeroType = 0, bZeroType = 0;
    if (!plainOp(dqa, "DequantizeLinear") || !plainOp(dqb, "DequantizeLinear") || !at.count(dqa) || !at.count(dqb)) continue;
    if (!scalarParams(*dqa, aZeroType) || !scalarParams(*dqb, bZeroType) || intAttr(*dqa, "block_size", 0) != 0 ||
        intAttr(*dqb, "block_size", 0) != 0)
      continue;
    QdqConv c;
    c.add = true;
    c.mul = mul;
    if (!chainFrom(add, i, 2, at, c)) continue;
    quantized(*dqa, c.x, c.xScale, c.xZero);
    quantized(*dqb, c.b, c.bScale, c.bZero);
    out.push_back(c);
  }
  // Elementwise ops of one input between a DequantizeLinear and a QuantizeLinear (a QDQ model's
  // Sigmoid, HardSwish, Tanh, ...): 8 bits in and out, so a table of 256 bytes.
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* op = order[i];
    if (!tableUnaryOp(*op)) continue;
    const Node* dq = op->input(0)->producer();
    std::int32_t xZeroType = 0;
    if (!plainOp(dq, "DequantizeLinear") || !at.count(dq) || !scalarParams(*dq, xZeroType) || intAttr(*dq, "block_size", 0) != 0) continue;
    QdqConv c;
    c.unary = true;
    if (!chainFrom(op, i, 1, at, c)) continue;
    quantized(*dq, c.x, c.xScale, c.xZero);
    out.push_back(c);
  }
  // MatMul by a constant weight: DequantizeLinear(a) x DequantizeLinear(w int8 [K, N], zero points
  // 0, one scale or one per column) [+ a constant float bias row], the output left in float (what
  // a static QDQ transformer's Linear layers are: their outputs go on to reshapes and residuals).
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* mm = order[i];
    if (!plainOp(mm, "MatMul") || mm->inputs().size() != 2 || mm->outputs().size() != 1 || !mm->output(0)) continue;
    const Node* dqa = mm->input(0) ? mm->input(0)->producer() : nullptr;
    const Node* dqw = mm->input(1) ? mm->input(1)->producer() : nullptr;
    std::int32_t aZeroType = 0;
    if (!plainOp(dqa, "DequantizeLinear") || !plainOp(dqw, "DequantizeLinear") || !at.count(dqa)) continue;
    if (!scalarParams(*dqa, aZeroType) || intAttr(*dqa, "block_size", 0) != 0 || intAttr(*dqw, "block_size", 0) != 0) continue;
    auto w = fixed(dqw->input(0));
    auto ws = fixed(dqw->input(1));
    if (!w || w->dtype() != kInt8 || w->rank() != 2 || w->dim(0) > 65536 || !ws || ws->dtype() != kFloat) continue;
    const std::int64_t N = w->dim(1);
    if (ws->size() != 1) {
      std::int64_t axis = intAttr(*dqw, "axis", 1);
      if (axis < 0) axis += 2;
      if (axis != 1 || ws->size() != N || ws->rank() != 1) continue;
    }
    bool usable = true;
    for (std::int64_t k = 0; k < ws->size(); ++k) usable = usable && ws->data<float>()[k] > 0 && std::isfinite(ws->data<float>()[k]);
    if (dqw->inputs().size() >= 3 && dqw->input(2)) {
      auto wz = fixed(dqw->input(2));
      usable = usable && wz && wz->dtype() == kInt8 && wz->size() == ws->size();
      for (std::int64_t k = 0; usable && k < wz->size(); ++k) usable = wz->data<std::int8_t>()[k] == 0;
    }
    if (!usable) continue;
    QdqConv c;
    c.matmul = true;
    c.conv = mm;
    c.convAt = c.quantizeAt = i;
    c.y = mm->output(0);
    // A bias row added right after (the exporter's Linear): Add(MatMul, bias) or Add(bias, MatMul).
    const Value* product = mm->output(0);
    const Node* add = product->uses().size() == 1 && !product->isGraphOutput() ? product->uses()[0].node : nullptr;
    if (plainOp(add, "Add") && add->inputs().size() == 2 && add->outputs().size() == 1 && add->output(0) && at.count(add)) {
      const Value* other = add->input(add->input(0) == product ? 1 : 0);
      if (auto b = fixed(other); b && other != product && b->dtype() == kFloat && b->size() == N && b->rank() >= 1 &&
                                   b->dim(b->rank() - 1) == N) {
        c.floatBias = other;
        c.quantizeAt = at[add];
        c.y = add->output(0);
      }
    }
    c.skippedBefore = feedersOnlyFor(mm, 2, at);
    quantized(*dqa, c.x, c.xScale, c.xZero);
    quantized(*dqw, c.w, c.wScale, c.wZero);
    out.push_back(c);
  }
  // A Mul chain whose b is what a unary chain makes of the Mul's own x.
  for (QdqConv& m : out) {
    if (!m.mul) continue;
    for (const QdqConv& u : out)
      if (u.unary && u.y == m.b && u.x == m.x && u.xScale == m.xScale && u.xZero == m.xZero) m.bFromUnary = u.conv;
  }
  // A DequantizeLinear whose output every reader is a fused chain's head reading it as its
  // quantized input (a block's input read by its first Conv and its residual Add): the fused
  // chains read the bytes, so it need not run either. Each chain lists it to run if it falls back.
  std::unordered_map<const Node*, std::vector<std::size_t>> readers;  // head -> chain index
  for (std::size_t k = 0; k < out.size(); ++k) readers[out[k].conv].push_back(k);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const QdqConv& c = out[k];
    for (std::size_t input = 0; input < (c.add ? 2u : 1u); ++input) {
      const Value* v = c.conv->input(input);
      const Node* dq = v ? v->producer() : nullptr;
      if (!dq || !at.count(dq) || v->isGraphOutput() || v->uses().size() < 2) continue;
      bool allFused = true;
      std::vector<std::size_t> chains;
      for (const Use& u : v->uses()) {
        auto it = readers.find(u.node);
        const bool quantizedInput = it != readers.end() && readsQuantized(out[it->second.front()], static_cast<std::size_t>(u.index));
        allFused = allFused && quantizedInput;
        if (quantizedInput) chains.push_back(it->second.front());
      }
      if (!allFused) continue;
      for (std::size_t chain : chains) {
        auto& before = out[chain].skippedBefore;
        if (std::find(before.begin(), before.end(), at[dq]) == before.end()) {
          before.push_back(at[dq]);
          std::sort(before.begin(), before.end());
        }
      }
    }
  }
  return out;
}

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
// Four 64-byte quarters of the table: bits 0-5 of a byte pick within a quarter, bit 6 between the
// two quarters of a half (vpermi2b), bit 7 between the halves.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void mapBytesVbmi(const std::uint8_t* in, std::uint8_t* out, std::int64_t n,
                                                                        const std::uint8_t* table) {
  const __m512i q0 = _mm512_loadu_si512(table), q1 = _mm512_loadu_si512(table + 64), q2 = _mm512_loadu_si512(table + 128),
                q3 = _mm512_loadu_si512(table + 192);
  for (std::int64_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
    const __m512i x = _mm512_maskz_loadu_epi8(m, in + i);
    const __m512i low = _mm512_permutex2var_epi8(q0, x, q1), high = _mm512_permutex2var_epi8(q2, x, q3);
    _mm512_mask_storeu_epi8(out + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), low, high));
  }
}
#endif

bool haveVbmi() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool yes = !genericSimdRequested() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vbmi");
  return yes;
#else
  return false;
#endif
}

}  // namespace

void mapBytes(const std::uint8_t* in, std::uint8_t* out, std::int64_t n, const std::uint8_t* table) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (haveVbmi()) return mapBytesVbmi(in, out, n, table);
#endif
  std::array<std::uint8_t, 256> t;  // a local copy: stores through out may not alias it
  std::copy(table, table + 256, t.begin());
  for (std::int64_t i = 0; i < n; ++i) out[i] = t[in[i]];
}

bool tableUnaryOp(const Node& op) {
  static const std::unordered_set<std::string> ops = {"Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Relu", "Elu",
                                                      "Selu", "Celu", "Softplus", "Softsign", "Mish", "Gelu", "Erf", "Exp",
                                                      "Neg", "Abs", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "ThresholdedRelu"};
  return (op.domain().empty() || op.domain() == "ai.onnx") && op.subgraphs().empty() && ops.count(op.opType()) &&
         op.inputs().size() == 1 && op.input(0) && op.outputs().size() == 1 && op.output(0);
}

std::vector<const Value*> qdqIntermediates(const QdqConv& c) {
  std::vector<const Value*> v;
  if (c.conv->output(0) != c.y) v.push_back(c.conv->output(0));
  for (std::size_t k = 0; k < (c.add ? 2u : 3u) && k < c.conv->inputs().size(); ++k)
    if (c.conv->input(k)) v.push_back(c.conv->input(k));
  if (c.relu) v.push_back(c.conv->output(0)->uses()[0].node->output(0));
  if (c.pool) v.push_back(c.pool->output(0));
  return v;
}

std::vector<Array> qdqConvInputs(const QdqConv& c, const Array& x, const std::function<const Array*(const Value*)>& constant) {
  auto zeroOf = [&](const Value* v, std::int32_t type) {
    if (v) return *constant(v);
    Array z(type, {});
    return z;  // Array(type, shape) is zero-filled
  };
  const Array* xZero = c.xZero ? constant(c.xZero) : nullptr;
  const std::int32_t xType = xZero ? xZero->dtype() : kUInt8;
  if (!x.isTensor() || x.dtype() != xType) return {};
  std::vector<Array> in{x, *constant(c.xScale), zeroOf(c.xZero, xType), *constant(c.w), *constant(c.wScale), zeroOf(c.wZero, kInt8),
                        *constant(c.yScale), zeroOf(c.yZero, kUInt8)};
  if (c.bias) in.push_back(*constant(c.bias));
  // QLinearConv wants w_zero_point with w_scale's count; a zero point of 0 for every channel.
  if (in[5].size() != in[4].size()) in[5] = Array(kInt8, in[4].shape());
  return in;
}

std::vector<Array> qdqConvIntegerInputs(const QdqConv& c, const Array& x, const std::function<const Array*(const Value*)>& constant) {
  const Array* xZero = c.xZero ? constant(c.xZero) : nullptr;
  const std::int32_t xType = xZero ? xZero->dtype() : kUInt8;
  if (!x.isTensor() || x.dtype() != xType) return {};
  return {x, *constant(c.w), xZero ? *xZero : Array(kUInt8, {}), Array(kInt8, {})};
}

Array quantizeConvSums(const Array& acc, const QdqConv& c, const std::function<const Array*(const Value*)>& constant) {
  const Array& ws = *constant(c.wScale);
  const float xs = constant(c.xScale)->data<float>()[0], ys = constant(c.yScale)->data<float>()[0];
  const Array* yZero = c.yZero ? constant(c.yZero) : nullptr;
  const bool u8 = !yZero || yZero->dtype() == kUInt8;
  const float zero = yZero ? static_cast<float>(u8 ? yZero->data<std::uint8_t>()[0] : yZero->data<std::int8_t>()[0]) : 0.0f;
  // A Relu between Conv and QuantizeLinear: nothing below the zero point.
  const float lo = c.relu ? zero : u8 ? 0.0f : -128.0f;
  const float* bias = c.floatBias ? constant(c.floatBias)->data<float>() : nullptr;
  const std::int64_t M = acc.dim(1), plane = acc.size() / std::max<std::int64_t>(1, acc.dim(0) * M);
  Array y = Array::uninitialized(u8 ? kUInt8 : kInt8, acc.shape());
  parallelFor(acc.dim(0) * M, std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(1, plane)), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t m = r % M;
      const float s = xs * ws.data<float>()[ws.size() == 1 ? 0 : m], b = bias ? bias[m] : 0.0f;
      const std::int32_t* a = acc.data<std::int32_t>() + r * plane;
      if (u8)
        quantizeSumsRow(a, s, b, ys, zero, lo, y.data<std::uint8_t>() + r * plane, plane);
      else
        quantizeSumsRow(a, s, b, ys, zero, lo, y.data<std::int8_t>() + r * plane, plane);
    }
  });
  return y;
}

namespace {

// No contraction of a * b + c into one fused multiply-add (GCC's default in C++): the nodes run
// as written round the products and the sum separately, and so must these loops.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GRAFT_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#define GRAFT_ADD_LOOP __attribute__((target_clones("avx512f", "avx2", "default"))) GRAFT_NO_CONTRACT
#else
#define GRAFT_NO_CONTRACT
#define GRAFT_ADD_LOOP
#endif

// The nodes' own float32 steps per element: float(a - za) * sa, the same for b, their sum, then
// QuantizeLinear's division, half-to-even rounding (1.5 * 2^23 after a clamp), zero point and
// saturation; so the bytes equal the unfused run's. A Relu before the QuantizeLinear is lo = zy:
// quantizing max(v, 0) gives max(q, zy).
GRAFT_ADD_LOOP void addRowU8(const std::uint8_t* __restrict a, const std::uint8_t* __restrict b, std::uint8_t* __restrict y, std::int64_t n,
                             float sa, std::int32_t za, float sb, std::int32_t zb, float ys, float zy, float lo) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(static_cast<std::int32_t>(a[i]) - za) * sa + static_cast<float>(static_cast<std::int32_t>(b[i]) - zb) * sb;
    float q = v / ys;
    q = std::min(std::max(q, -4194304.0f), 4194304.0f);
    q = (q + 12582912.0f) - 12582912.0f + zy;
    q = std::min(255.0f, std::max(lo, q));
    y[i] = static_cast<std::uint8_t>(static_cast<std::int32_t>(q));
  }
}

// The same bytes with the division replaced by a multiplication and one correction step
// (Markstein: q0 = v * r with r = 1 / y_scale, then q0 + (v - q0 * y_scale) * r with fused
// multiply-adds), about three times faster. That gives the correctly rounded quotient for nearly
// every v; runQdqAdd uses it only for parameters where it was checked to give the same bytes as
// addRowU8 for all 65,536 pairs of input bytes.
#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_FAST_ADD 1
__attribute__((target("avx512f,avx512bw,fma"))) GRAFT_NO_CONTRACT void addRowU8Reciprocal(const std::uint8_t* __restrict a, const std::uint8_t* __restrict b,
                                                                       std::uint8_t* __restrict y, std::int64_t n, float sa, std::int32_t za,
                                                                       float sb, std::int32_t zb, float ys, float r, float zy, float lo) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(static_cast<std::int32_t>(a[i]) - za) * sa + static_cast<float>(static_cast<std::int32_t>(b[i]) - zb) * sb;
    const float q0 = v * r;
    float q = __builtin_fmaf(__builtin_fmaf(-q0, ys, v), r, q0);
    q = std::min(std::max(q, -4194304.0f), 4194304.0f);
    q = (q + 12582912.0f) - 12582912.0f + zy;
    q = std::min(255.0f, std::max(lo, q));
    y[i] = static_cast<std::uint8_t>(static_cast<std::int32_t>(q));
  }
}

// Whether addRowU8Reciprocal gives addRowU8's bytes for every pair of input bytes with these
// parameters (checked once per parameter set and remembered).
bool reciprocalAddExact(float sa, std::int32_t za, float sb, std::int32_t zb, float ys, float zy, float lo) {
  static const bool cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma");
  if (!cpu) return false;
  static std::mutex mutex;
  static std::map<std::array<float, 7>, bool> known;
  const std::array<float, 7> key{sa, static_cast<float>(za), sb, static_cast<float>(zb), ys, zy, lo};
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = known.find(key); it != known.end()) return it->second;
  }
  std::vector<std::uint8_t> a(65536), b(65536), slow(65536), fast(65536);
  for (int i = 0; i < 65536; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i >> 8);
    b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i & 255);
  }
  addRowU8(a.data(), b.data(), slow.data(), 65536, sa, za, sb, zb, ys, zy, lo);
  addRowU8Reciprocal(a.data(), b.data(), fast.data(), 65536, sa, za, sb, zb, ys, 1.0f / ys, zy, lo);
  const bool exact = slow == fast;
  std::lock_guard<std::mutex> lock(mutex);
  if (known.size() > 4096) known.clear();
  known[key] = exact;
  return exact;
}
#endif

}  // namespace

bool runQdqAdd(const QdqConv& c, const Array& a, const Array& b, const std::function<const Array*(const Value*)>& constant, Array& y) {
  // uint8 throughout (what static QDQ writes for activations), one shape for a and b.
  auto zeroOf = [&](const Value* v) -> std::optional<float> {
    if (!v) return 0.0f;
    const Array* z = constant(v);
    if (z->dtype() != kUInt8) return std::nullopt;
    return static_cast<float>(z->data<std::uint8_t>()[0]);
  };
  auto za = zeroOf(c.xZero), zb = zeroOf(c.bZero), zy = zeroOf(c.yZero);
  if (!za || !zb || !zy || a.dtype() != kUInt8 || b.dtype() != kUInt8 || a.shape() != b.shape()) return false;
  const float sa = constant(c.xScale)->data<float>()[0], sb = constant(c.bScale)->data<float>()[0], ys = constant(c.yScale)->data<float>()[0];
  y = Array::uninitialized(kUInt8, a.shape());
  const std::uint8_t *pa = a.data<std::uint8_t>(), *pb = b.data<std::uint8_t>();
  std::uint8_t* py = y.data<std::uint8_t>();
  const auto iza = static_cast<std::int32_t>(*za), izb = static_cast<std::int32_t>(*zb);
  const float lo = c.relu ? *zy : 0.0f;
#if defined(GRAFT_FAST_ADD)
  if (reciprocalAddExact(sa, iza, sb, izb, ys, *zy, lo)) {
    const float r = 1.0f / ys;
    parallelFor(a.size(), 1 << 15, [&](std::int64_t s, std::int64_t e) {
      addRowU8Reciprocal(pa + s, pb + s, py + s, e - s, sa, iza, sb, izb, ys, r, *zy, lo);
    });
    return true;
  }
#endif
  parallelFor(a.size(), 1 << 15, [&](std::int64_t s, std::int64_t e) { addRowU8(pa + s, pb + s, py + s, e - s, sa, iza, sb, izb, ys, *zy, lo); });
  return true;
}

bool runQdqMatMul(const QdqConv& c, const Array& a, const std::function<const Array*(const Value*)>& constant, Array& y) {
  const Array* aZero = c.xZero ? constant(c.xZero) : nullptr;
  const std::int32_t aType = aZero ? aZero->dtype() : kUInt8;
  const Array& w = *constant(c.w);
  const std::int64_t K = w.dim(0), N = w.dim(1);
  if (!a.isTensor() || a.dtype() != aType || a.rank() < 2 || a.dim(a.rank() - 1) != K) return false;
  const std::int64_t M = a.size() / std::max<std::int64_t>(1, K);
  const std::int32_t zero = aZero ? static_cast<std::int32_t>(aType == kUInt8 ? aZero->data<std::uint8_t>()[0] : aZero->data<std::int8_t>()[0]) : 0;
  const float sa = constant(c.xScale)->data<float>()[0];
  const Array& ws = *constant(c.wScale);
  std::vector<float> scale(static_cast<std::size_t>(N));
  for (std::int64_t n = 0; n < N; ++n) scale[static_cast<std::size_t>(n)] = sa * ws.data<float>()[ws.size() == 1 ? 0 : n];
  std::vector<std::int64_t> shape = a.shape();
  shape.back() = N;
  Array out = Array::uninitialized(kFloat, shape);
  if (!onednnInt8MatmulConstantBToFloat(M, N, K, a.raw(), aType == kInt8, zero, w.data<std::int8_t>(), scale.data(),
                                        c.floatBias ? constant(c.floatBias)->data<float>() : nullptr, out.data<float>()))
    return false;
  y = std::move(out);
  return true;
}

bool qdqLibraryRequantization(const QdqConv& c, const std::function<const Array*(const Value*)>& constant, std::vector<float>& scale,
                              std::vector<float>& bias, std::int32_t& yZero, bool& yUnsigned) {
  const Array& ws = *constant(c.wScale);
  const Array& w = *constant(c.w);
  const std::int64_t M = w.dim(0);
  const float xs = constant(c.xScale)->data<float>()[0], ys = constant(c.yScale)->data<float>()[0];
  const Array* zero = c.yZero ? constant(c.yZero) : nullptr;
  yUnsigned = !zero || zero->dtype() == kUInt8;
  yZero = zero ? static_cast<std::int32_t>(yUnsigned ? zero->data<std::uint8_t>()[0] : zero->data<std::int8_t>()[0]) : 0;
  const float* b = c.floatBias ? constant(c.floatBias)->data<float>() : nullptr;
  scale.resize(static_cast<std::size_t>(M));
  bias.resize(static_cast<std::size_t>(M));
  for (std::int64_t m = 0; m < M; ++m) {
    const float s = xs * ws.data<float>()[ws.size() == 1 ? 0 : m];
    if (!(s > 0) || !std::isfinite(s / ys)) return false;
    scale[static_cast<std::size_t>(m)] = s / ys;
    bias[static_cast<std::size_t>(m)] = b ? b[m] / s : 0.0f;
  }
  return true;
}

void qdqExactRequantization(const QdqConv& c, const std::function<const Array*(const Value*)>& constant, std::vector<float>& multiplier,
                            const std::int32_t*& bias, std::int32_t& yZero, bool& yUnsigned) {
  const Array& ws = *constant(c.wScale);
  const std::int64_t M = constant(c.w)->dim(0);
  const float xs = constant(c.xScale)->data<float>()[0], ys = constant(c.yScale)->data<float>()[0];
  const Array* zero = c.yZero ? constant(c.yZero) : nullptr;
  yUnsigned = !zero || zero->dtype() == kUInt8;
  yZero = zero ? static_cast<std::int32_t>(yUnsigned ? zero->data<std::uint8_t>()[0] : zero->data<std::int8_t>()[0]) : 0;
  bias = c.bias ? constant(c.bias)->data<std::int32_t>() : nullptr;
  multiplier.resize(static_cast<std::size_t>(M));
  for (std::int64_t m = 0; m < M; ++m) multiplier[static_cast<std::size_t>(m)] = xs * ws.data<float>()[ws.size() == 1 ? 0 : m] / ys;
}

namespace {

#if defined(__SSE2__)
// dst[c * dstStride + r] = src[r * srcStride + c] for a 16 x 16 block of bytes: four rounds of
// interleaving (bytes, 16-bit pairs, 32-bit quads, 64-bit halves), 64 instructions for 256 bytes
// where the scalar loop moved one byte at a time (a third of an INT8 EfficientNet's run).
inline void transpose16x16(const std::uint8_t* src, std::int64_t srcStride, std::uint8_t* dst, std::int64_t dstStride) {
  __m128i a[16], b[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * srcStride));
  for (int k = 0; k < 8; ++k) {
    b[2 * k] = _mm_unpacklo_epi8(a[2 * k], a[2 * k + 1]);
    b[2 * k + 1] = _mm_unpackhi_epi8(a[2 * k], a[2 * k + 1]);
  }
  for (int m = 0; m < 4; ++m)
    for (int h = 0; h < 2; ++h) {
      a[4 * m + h] = _mm_unpacklo_epi16(b[4 * m + h], b[4 * m + 2 + h]);
      a[4 * m + 2 + h] = _mm_unpackhi_epi16(b[4 * m + h], b[4 * m + 2 + h]);
    }
  for (int p = 0; p < 2; ++p)
    for (int k = 0; k < 4; ++k) {
      b[8 * p + k] = _mm_unpacklo_epi32(a[8 * p + k], a[8 * p + 4 + k]);
      b[8 * p + 4 + k] = _mm_unpackhi_epi32(a[8 * p + k], a[8 * p + 4 + k]);
    }
  // b[j] (and b[8 + j] for rows 8-15) now holds columns 8h + 4q + 2e and the one after it, with
  // j = h + 2q + 4e.
  for (int j = 0; j < 8; ++j) {
    const int c = 8 * (j & 1) + 4 * ((j >> 1) & 1) + 2 * ((j >> 2) & 1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + c * dstStride), _mm_unpacklo_epi64(b[j], b[8 + j]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (c + 1) * dstStride), _mm_unpackhi_epi64(b[j], b[8 + j]));
  }
}
#endif

// [outer, rows, cols] -> [outer, cols, rows] for bytes, in tiles, over the evaluator's threads.
Array transposeBytes(const Array& a, std::int64_t outer, std::int64_t rows, std::int64_t cols, std::vector<std::int64_t> shape) {
  Array out = Array::uninitialized(a.dtype(), std::move(shape));
  const auto* src = static_cast<const std::uint8_t*>(a.raw());
  auto* dst = static_cast<std::uint8_t*>(out.raw());
  constexpr std::int64_t kTile = 64;
  const std::int64_t rowTiles = (rows + kTile - 1) / kTile;
  parallelFor(outer * rowTiles, std::max<std::int64_t>(1, (1 << 14) / (kTile * std::max<std::int64_t>(1, cols))), [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t o = t / rowTiles, r0 = (t % rowTiles) * kTile, r1 = std::min(rows, r0 + kTile);
      const std::uint8_t* s = src + o * rows * cols;
      std::uint8_t* d = dst + o * rows * cols;
      for (std::int64_t c0 = 0; c0 < cols; c0 += kTile) {
        const std::int64_t c1 = std::min(cols, c0 + kTile);
        std::int64_t r = r0;
#if defined(__SSE2__)
        for (; r + 16 <= r1; r += 16) {
          std::int64_t c = c0;
          for (; c + 16 <= c1; c += 16) transpose16x16(s + r * cols + c, cols, d + c * rows + r, rows);
          for (; c < c1; ++c)
            for (std::int64_t i = r; i < r + 16; ++i) d[c * rows + i] = s[i * cols + c];
        }
#endif
        for (; r < r1; ++r)
          for (std::int64_t c = c0; c < c1; ++c) d[c * rows + r] = s[r * cols + c];
      }
    }
  });
  return out;
}

}  // namespace

Array bytesToChannelsLast(const Array& a) {
  return transposeBytes(a, a.dim(0), a.dim(1), a.dim(2) * a.dim(3), {a.dim(0), a.dim(2), a.dim(3), a.dim(1)});
}

Array bytesToChannelsFirst(const Array& a) {
  return transposeBytes(a, a.dim(0), a.dim(1) * a.dim(2), a.dim(3), {a.dim(0), a.dim(3), a.dim(1), a.dim(2)});
}

namespace {

template <class T>
void maxPoolChannelsLast(const T* x, T* y, std::int64_t N, std::int64_t H, std::int64_t W, std::int64_t C, std::int64_t OH, std::int64_t OW,
                         const std::int64_t k[2], const std::int64_t st[2], const std::int64_t pad[2]) {
  parallelFor(N * OH, 1, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t n = r / OH, oh = r % OH;
      const std::int64_t h0 = std::max<std::int64_t>(0, oh * st[0] - pad[0]), h1 = std::min(H, oh * st[0] - pad[0] + k[0]);
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        const std::int64_t w0 = std::max<std::int64_t>(0, ow * st[1] - pad[1]), w1 = std::min(W, ow * st[1] - pad[1] + k[1]);
        T* __restrict out = y + ((n * OH + oh) * OW + ow) * C;
        std::copy_n(x + ((n * H + h0) * W + w0) * C, C, out);
        for (std::int64_t h = h0; h < h1; ++h)
          for (std::int64_t w = w0; w < w1; ++w) {
            const T* __restrict in = x + ((n * H + h) * W + w) * C;
            for (std::int64_t ch = 0; ch < C; ++ch) out[ch] = std::max(out[ch], in[ch]);
          }
      }
    }
  });
}

}  // namespace

bool maxPoolBytesChannelsLast(const Node& pool, const Array& x, Array& y) {
  if (x.rank() != 4 || x.elementSize() != 1) return false;
  const auto* ks = pool.attribute("kernel_shape");
  const auto* st = pool.attribute("strides");
  const auto* pd = pool.attribute("pads");
  const std::int64_t k[2] = {ks->ints(0), ks->ints(1)}, s[2] = {st ? st->ints(0) : 1, st ? st->ints(1) : 1},
                     begin[2] = {pd ? pd->ints(0) : 0, pd ? pd->ints(1) : 0}, end[2] = {pd ? pd->ints(2) : 0, pd ? pd->ints(3) : 0};
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const std::int64_t OH = (H + begin[0] + end[0] - k[0]) / s[0] + 1, OW = (W + begin[1] + end[1] - k[1]) / s[1] + 1;
  if (H + begin[0] + end[0] < k[0] || W + begin[1] + end[1] < k[1] || OH <= 0 || OW <= 0) return false;
  y = Array::uninitialized(x.dtype(), {N, OH, OW, C});
  if (x.dtype() == kUInt8)
    maxPoolChannelsLast(x.data<std::uint8_t>(), y.data<std::uint8_t>(), N, H, W, C, OH, OW, k, s, begin);
  else if (x.dtype() == kInt8)
    maxPoolChannelsLast(x.data<std::int8_t>(), y.data<std::int8_t>(), N, H, W, C, OH, OW, k, s, begin);
  else
    return false;
  return true;
}

void applyQuantizedRelu(Array& y, const Array& yZero) {
  const std::int64_t n = y.size();
  if (y.dtype() == kUInt8) {
    const std::uint8_t z = yZero.data<std::uint8_t>()[0];
    std::uint8_t* p = y.data<std::uint8_t>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = p[i] < z ? z : p[i];
  } else {
    const std::int8_t z = yZero.data<std::int8_t>()[0];
    std::int8_t* p = y.data<std::int8_t>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = p[i] < z ? z : p[i];
  }
}

}  // namespace graft::eval
