// ONNX Runtime's com.microsoft ops that its fusions and Graft's rewrites produce (GELU forms,
// Fused Conv/Gemm/MatMul, Skip*/Simplified LayerNorm, Attention, MultiHeadAttention), computed
// as ORT's contrib op spec (docs/ContribOperators.md) defines them, so rewritten models can be
// checked against the original. Half inputs arrive widened to float32 (see KernelInfo).
#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/kernel.h"
#include "eval/linalg.h"

namespace graft::eval {

namespace {

Result<Array> asFloat(const Array& a) {
  if (a.dtype() == kFloat) return a;
  return castArray(a, kFloat);
}

// Sets output `i` as `dtype` (the node's input type), converting from float32.
Status setOutputAs(Context& ctx, std::size_t i, const Array& y, std::int32_t dtype) {
  if (dtype == kFloat || dtype == 0) {
    ctx.setOutput(i, y);
    return Status::ok();
  }
  auto c = castArray(y, dtype);
  if (!c) return c.status();
  ctx.setOutput(i, c.value());
  return Status::ok();
}

// ---------------------------------------------------------------- activations

// The activations ORT fuses into Conv/Gemm (FusedConv: activation_params in the order of
// the standard op's attributes; FusedGemm: activation_alpha/beta/gamma).
struct Activation {
  std::string name;
  double alpha = 0, beta = 0, gamma = 0;
};

Status applyActivation(Context& ctx, const Activation& act, float* p, std::int64_t n) {
  const std::string& a = act.name;
  double al = act.alpha, be = act.beta, ga = act.gamma;
  auto each = [&](auto f) {
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(f(static_cast<double>(p[i])));
  };
  if (a.empty()) return Status::ok();
  if (a == "Relu") each([](double x) { return x > 0 ? x : 0.0; });
  else if (a == "LeakyRelu") each([al](double x) { return x >= 0 ? x : al * x; });
  else if (a == "Tanh") each([](double x) { return std::tanh(x); });
  else if (a == "Sigmoid") each([](double x) { return 1.0 / (1.0 + std::exp(-x)); });
  else if (a == "Clip") each([al, be](double x) { return std::min(std::max(x, al), be); });
  else if (a == "HardSigmoid") each([al, be](double x) { return std::min(1.0, std::max(0.0, al * x + be)); });
  else if (a == "Elu") each([al](double x) { return x >= 0 ? x : al * (std::exp(x) - 1); });
  else if (a == "Selu") each([al, ga](double x) { return x > 0 ? ga * x : ga * al * (std::exp(x) - 1); });
  else if (a == "Softplus") each([](double x) { return std::log1p(std::exp(-std::abs(x))) + std::max(x, 0.0); });
  else if (a == "Softsign") each([](double x) { return x / (1 + std::abs(x)); });
  else if (a == "ThresholdedRelu") each([al](double x) { return x > al ? x : 0.0; });
  else if (a == "ScaledTanh") each([al, be](double x) { return al * std::tanh(be * x); });
  else if (a == "ParametricSoftplus") each([al, be](double x) { return al * (std::log1p(std::exp(-std::abs(be * x))) + std::max(be * x, 0.0)); });
  else return ctx.unsupported("activation '" + a + "' is not supported");
  return Status::ok();
}

// Default parameters of each activation, as the standard ops define them.
Activation defaultActivation(const std::string& name) {
  Activation a{name};
  if (name == "LeakyRelu") a.alpha = 0.01;
  else if (name == "HardSigmoid") a.alpha = 0.2, a.beta = 0.5;
  else if (name == "Elu" || name == "ThresholdedRelu") a.alpha = 1.0;
  else if (name == "Selu") a.alpha = 1.67326319217681884765625, a.gamma = 1.05070102214813232421875;
  else if (name == "Clip") a.alpha = -std::numeric_limits<double>::infinity(), a.beta = std::numeric_limits<double>::infinity();
  else if (name == "ScaledTanh" || name == "ParametricSoftplus") a.alpha = 1.0, a.beta = 1.0;
  return a;
}

// Runs a standard kernel (Conv, Gemm) on this node's inputs; the fused op shares its attributes.
Status runStandard(Context& ctx, const char* op) {
  const KernelInfo* k = findKernel("", op);
  if (!k) return ctx.unsupported(std::string("no ") + op + " kernel");
  return k->fn(ctx);
}

Status fusedConvK(Context& ctx) {
  Activation act = defaultActivation(ctx.attrString("activation"));
  auto params = ctx.attrFloats("activation_params");
  if (!params.empty()) act.alpha = params[0];
  if (params.size() > 1) act.beta = params[1];
  std::vector<Array> keep = ctx.inputs();
  Array z = ctx.hasInput(3) ? ctx.input(3) : Array();
  if (ctx.inputs().size() > 3) ctx.inputs().resize(3);
  if (auto s = runStandard(ctx, "Conv"); !s) return s;
  auto y = asFloat(ctx.outputs()[0]);
  if (!y) return y.status();
  Array out = y.value().clone();
  if (z.valid()) {
    // Z (the residual) is added before the activation.
    if (z.shape() != out.shape()) return ctx.fail("Z " + formatArrayType(z) + " must have the output's shape " + formatArrayType(out));
    auto zf = asFloat(z);
    if (!zf) return zf.status();
    for (std::int64_t i = 0; i < out.size(); ++i) out.data<float>()[i] += zf.value().data<float>()[i];
  }
  if (auto s = applyActivation(ctx, act, out.data<float>(), out.size()); !s) return s;
  return setOutputAs(ctx, 0, out, keep[0].dtype());
}

Status fusedGemmK(Context& ctx) {
  std::string name = ctx.attrString("activation");
  Activation act = defaultActivation(name);
  if (ctx.hasAttr("activation_alpha")) act.alpha = ctx.attrFloat("activation_alpha", 0);
  if (ctx.hasAttr("activation_beta")) act.beta = ctx.attrFloat("activation_beta", 0);
  if (ctx.hasAttr("activation_gamma")) act.gamma = ctx.attrFloat("activation_gamma", 0);
  std::int32_t dtype = ctx.input(0).dtype();
  if (auto s = runStandard(ctx, "Gemm"); !s) return s;
  auto y = asFloat(ctx.outputs()[0]);
  if (!y) return y.status();
  Array out = y.value().clone();
  if (auto s = applyActivation(ctx, act, out.data<float>(), out.size()); !s) return s;
  return setOutputAs(ctx, 0, out, dtype);
}

// Swaps the last two dims (a copy).
Array transposeLast2(const Array& a) {
  std::vector<std::int64_t> shape = a.shape();
  std::size_t r = shape.size();
  std::swap(shape[r - 1], shape[r - 2]);
  Array t = Array::uninitialized(kFloat, shape);
  std::int64_t rows = a.dim(r - 2), cols = a.dim(r - 1), batch = (rows * cols != 0) ? a.size() / (rows * cols) : 0;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) t.data<float>()[b * rows * cols + j * rows + i] = a.data<float>()[b * rows * cols + i * cols + j];
  return t;
}

// FusedMatMul: alpha * op(A) @ op(B) with transA/transB on the last two dims.
Status fusedMatMulK(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  if (ctx.attrInt("transBatchA", 0) || ctx.attrInt("transBatchB", 0)) return ctx.unsupported("transBatchA/transBatchB are not supported");
  auto a = asFloat(ctx.input(0)), b = asFloat(ctx.input(1));
  if (!a || !b) return ctx.fail("A and B must be floating point");
  Array A = a.value(), B = b.value();
  if (ctx.attrInt("transA", 0) && A.rank() >= 2) A = transposeLast2(A);
  if (ctx.attrInt("transB", 0) && B.rank() >= 2) B = transposeLast2(B);
  auto y = matmulArrays(A, B);
  if (!y) return ctx.fail(y.message());
  float alpha = ctx.attrFloat("alpha", 1.0f);
  Array out = y.value();
  if (alpha != 1.0f) {
    out = out.clone();
    for (std::int64_t i = 0; i < out.size(); ++i) out.data<float>()[i] *= alpha;
  }
  return setOutputAs(ctx, 0, out, ctx.input(0).dtype());
}

// ---------------------------------------------------------------- GELU forms

double geluErf(double x) { return 0.5 * x * (1 + std::erf(x * M_SQRT1_2)); }

// BiasGelu: Gelu(A + bias), the exact (erf) form.
Status biasGeluK(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  auto a = asFloat(ctx.input(0)), b = asFloat(ctx.input(1));
  if (!a || !b) return ctx.fail("A and B must be floating point");
  const Array &x = a.value(), &bias = b.value();
  std::int64_t width = bias.size();
  if (x.rank() == 0 || bias.rank() != 1 || x.dim(x.rank() - 1) != width)
    return ctx.fail("bias " + formatArrayType(bias) + " must be 1-D and match the last dim of A " + formatArrayType(x));
  Array y = Array::uninitialized(kFloat, x.shape());
  for (std::int64_t i = 0; i < x.size(); ++i)
    y.data<float>()[i] = static_cast<float>(geluErf(static_cast<double>(x.data<float>()[i]) + bias.data<float>()[i % width]));
  return setOutputAs(ctx, 0, y, ctx.input(0).dtype());
}

// QuickGelu: x * sigmoid(alpha * x).
Status quickGeluK(Context& ctx) {
  auto a = asFloat(ctx.input(0));
  if (!a) return a.status();
  double alpha = ctx.attrFloat("alpha", 1.702f);
  Array y = Array::uninitialized(kFloat, a.value().shape());
  for (std::int64_t i = 0; i < y.size(); ++i) {
    double x = a.value().data<float>()[i];
    y.data<float>()[i] = static_cast<float>(x / (1 + std::exp(-alpha * x)));
  }
  return setOutputAs(ctx, 0, y, ctx.input(0).dtype());
}

// ---------------------------------------------------------------- SkipSimplifiedLayerNormalization

// RMS norm of input + skip (+ bias) over the last axis, times gamma. Outputs: output, mean
// (unused, zeros), inv_std_var, input_skip_bias_sum.
Status skipSimplifiedLayerNormK(Context& ctx) {
  if (auto s = ctx.require(2, "gamma"); !s) return s;
  auto xin = asFloat(ctx.input(0)), skin = asFloat(ctx.input(1)), gin = asFloat(ctx.input(2));
  if (!xin || !skin || !gin) return ctx.fail("input, skip and gamma must be floating point");
  const Array& x = xin.value();
  if (x.rank() < 2) return ctx.fail("input " + formatArrayType(x) + " must be 2-D or 3-D");
  auto shape = broadcastShapes(x.shape(), skin.value().shape());
  if (!shape || shape.value() != x.shape())
    return ctx.fail("skip " + formatArrayType(ctx.input(1)) + " does not broadcast to input " + formatArrayType(x));
  std::int64_t width = x.dim(x.rank() - 1), rows = width ? x.size() / width : 0;
  if (gin.value().size() != width) return ctx.fail("gamma " + formatArrayType(ctx.input(2)) + " must have " + std::to_string(width) + " values");
  Array bias;
  if (ctx.hasInput(3)) {
    auto b = asFloat(ctx.input(3));
    if (!b) return b.status();
    if (b.value().size() != width) return ctx.fail("bias " + formatArrayType(ctx.input(3)) + " must have " + std::to_string(width) + " values");
    bias = b.value();
  }
  double eps = ctx.attrFloat("epsilon", 1e-12f);
  Array sk = expandTo(skin.value(), x.shape());
  Array sum = Array::uninitialized(kFloat, x.shape()), y = Array::uninitialized(kFloat, x.shape());
  std::vector<float> inv(static_cast<std::size_t>(rows));
  const float* g = gin.value().data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (std::int64_t k = 0; k < width; ++k) {
      std::int64_t i = r * width + k;
      float v = x.data<float>()[i] + sk.data<float>()[i] + (bias.valid() ? bias.data<float>()[k] : 0.0f);
      sum.data<float>()[i] = v;
      sq += static_cast<double>(v) * v;
    }
    double iv = 1.0 / std::sqrt(sq / static_cast<double>(width) + eps);
    inv[static_cast<std::size_t>(r)] = static_cast<float>(iv);
    for (std::int64_t k = 0; k < width; ++k) {
      std::int64_t i = r * width + k;
      y.data<float>()[i] = static_cast<float>(sum.data<float>()[i] * iv * g[k]);
    }
  }
  std::int32_t dtype = ctx.input(0).dtype();
  if (auto s = setOutputAs(ctx, 0, y, dtype); !s) return s;
  std::vector<std::int64_t> statShape(x.shape().begin(), x.shape().end() - 1);
  statShape.push_back(1);
  if (ctx.wantsOutput(1)) ctx.setOutput(1, Array(kFloat, statShape));
  if (ctx.wantsOutput(2)) {
    Array s = Array::uninitialized(kFloat, statShape);
    std::copy(inv.begin(), inv.end(), s.data<float>());
    ctx.setOutput(2, s);
  }
  if (ctx.wantsOutput(3))
    if (auto s = setOutputAs(ctx, 3, sum, dtype); !s) return s;
  return Status::ok();
}

// ---------------------------------------------------------------- attention

// Scaled dot-product attention over heads, shared by Attention and MultiHeadAttention.
struct AttentionProblem {
  std::int64_t B = 0, N = 0, S = 0, L = 0, H = 0, Hv = 0;  // L: total key length (past + new)
  float scale = 1;
  Array q, k, v;     // [B, N, S, H], [B, N, L, H], [B, N, L, Hv] float32
  std::vector<float> mask;  // [B, S, L] additive, empty when none
  Array bias;        // attention_bias [B or 1, N or 1, S, L] float32, or invalid
};

// Output [B, S, N * Hv].
Array attend(const AttentionProblem& p) {
  Array out = Array::uninitialized(kFloat, {p.B, p.S, p.N * p.Hv});
  std::int64_t bB = 0, bN = 0;
  if (p.bias.valid()) {
    bB = p.bias.dim(0) == 1 ? 0 : p.N * p.S * p.L;
    bN = p.bias.dim(1) == 1 ? 0 : p.S * p.L;
  }
  parallelFor(p.B * p.N, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> scores(static_cast<std::size_t>(p.S * p.L)), ctxv(static_cast<std::size_t>(p.S * p.Hv));
    for (std::int64_t bn = begin; bn < end; ++bn) {
      std::int64_t b = bn / p.N, n = bn % p.N;
      const float* q = p.q.data<float>() + bn * p.S * p.H;
      const float* k = p.k.data<float>() + bn * p.L * p.H;
      const float* v = p.v.data<float>() + bn * p.L * p.Hv;
      gemm<float>(false, true, p.S, p.L, p.H, q, k, scores.data(), false, p.scale);
      for (std::int64_t i = 0; i < p.S; ++i) {
        float* row = scores.data() + i * p.L;
        if (!p.mask.empty()) {
          const float* m = p.mask.data() + (b * p.S + i) * p.L;
          for (std::int64_t j = 0; j < p.L; ++j) row[j] += m[j];
        }
        if (p.bias.valid()) {
          const float* ab = p.bias.data<float>() + b * bB + n * bN + i * p.L;
          for (std::int64_t j = 0; j < p.L; ++j) row[j] += ab[j];
        }
        float mx = -std::numeric_limits<float>::infinity();
        for (std::int64_t j = 0; j < p.L; ++j) mx = std::max(mx, row[j]);
        double sum = 0;
        for (std::int64_t j = 0; j < p.L; ++j) sum += (row[j] = std::exp(row[j] - mx));
        for (std::int64_t j = 0; j < p.L; ++j) row[j] = static_cast<float>(row[j] / sum);
      }
      gemm<float>(false, false, p.S, p.Hv, p.L, scores.data(), v, ctxv.data(), false, 1.0f);
      for (std::int64_t i = 0; i < p.S; ++i)
        std::copy(ctxv.begin() + i * p.Hv, ctxv.begin() + (i + 1) * p.Hv, out.data<float>() + (b * p.S + i) * p.N * p.Hv + n * p.Hv);
    }
  });
  return out;
}

// [B, T, N * H] rows (with `rowStride` floats per row, starting at `offset`) plus optional
// bias -> [B, N, T, H].
Array toHeads(const float* src, std::int64_t rowStride, std::int64_t offset, std::int64_t B, std::int64_t T, std::int64_t N,
              std::int64_t H, const float* bias) {
  Array out = Array::uninitialized(kFloat, {B, N, T, H});
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t) {
      const float* row = src + (b * T + t) * rowStride + offset;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t h = 0; h < H; ++h) o[((b * N + n) * T + t) * H + h] = row[n * H + h] + (bias ? bias[n * H + h] : 0.0f);
    }
  return out;
}

// [B, N, P, H] past and [B, N, T, H] new -> [B, N, P + T, H].
Array concatSeq(const Array& past, const Array& cur) {
  std::int64_t B = cur.dim(0), N = cur.dim(1), T = cur.dim(2), H = cur.dim(3), P = past.valid() ? past.dim(2) : 0;
  Array out = Array::uninitialized(kFloat, {B, N, P + T, H});
  for (std::int64_t bn = 0; bn < B * N; ++bn) {
    float* o = out.data<float>() + bn * (P + T) * H;
    if (P) std::copy(past.data<float>() + bn * P * H, past.data<float>() + (bn + 1) * P * H, o);
    std::copy(cur.data<float>() + bn * T * H, cur.data<float>() + (bn + 1) * T * H, o + P * H);
  }
  return out;
}

// The additive mask [B, S, L] from ORT's mask formats: 1-D [B] key lengths (right padding),
// 1-D [2B] end then start positions, 2-D [B, L] and 3-D [B, S, L] raw masks (0 = masked);
// then causal masking (key j > past + i) when unidirectional.
Status buildMask(Context& ctx, const Array* m, bool causal, std::int64_t B, std::int64_t S, std::int64_t L, std::int64_t past,
                 float filter, std::vector<float>& mask) {
  if (!m && !causal) return Status::ok();
  mask.assign(static_cast<std::size_t>(B * S * L), 0.0f);
  if (m) {
    bool ok = true;
    if (m->rank() == 1 && (m->dim(0) == B || m->dim(0) == 2 * B)) {
      for (std::int64_t b = 0; b < B; ++b) {
        std::int64_t endPos = readIndex(*m, b), startPos = m->dim(0) == 2 * B ? std::min(readIndex(*m, B + b), L) : 0;
        for (std::int64_t i = 0; i < S; ++i)
          for (std::int64_t j = 0; j < L; ++j)
            if (j >= endPos || j < startPos) mask[static_cast<std::size_t>((b * S + i) * L + j)] = filter;
      }
    } else if (m->rank() == 2 && m->dim(0) == B && m->dim(1) == L) {
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t i = 0; i < S; ++i)
          for (std::int64_t j = 0; j < L; ++j)
            if (readIndex(*m, b * L + j) <= 0) mask[static_cast<std::size_t>((b * S + i) * L + j)] = filter;
    } else if (m->rank() == 3 && m->dim(0) == B && m->dim(1) == S && m->dim(2) == L) {
      for (std::int64_t i = 0; i < B * S * L; ++i)
        if (readIndex(*m, i) <= 0) mask[static_cast<std::size_t>(i)] = filter;
    } else {
      ok = false;
    }
    if (!ok)
      return ctx.unsupported("mask " + formatArrayType(*m) + " is not a supported mask format ([B], [2B], [B, " + std::to_string(L) +
                             "] or [B, " + std::to_string(S) + ", " + std::to_string(L) + "] with B=" + std::to_string(B) + ")");
  }
  if (causal)
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t i = 0; i < S; ++i)
        for (std::int64_t j = past + i + 1; j < L; ++j) mask[static_cast<std::size_t>((b * S + i) * L + j)] += filter;
  return Status::ok();
}

Status attentionBias(Context& ctx, std::size_t index, const AttentionProblem& p, Array& out) {
  if (!ctx.hasInput(index)) return Status::ok();
  auto a = asFloat(ctx.input(index));
  if (!a) return a.status();
  const Array& ab = a.value();
  if (ab.rank() != 4 || (ab.dim(0) != 1 && ab.dim(0) != p.B) || (ab.dim(1) != 1 && ab.dim(1) != p.N) || ab.dim(2) != p.S || ab.dim(3) != p.L)
    return ctx.fail("attention_bias " + formatArrayType(ctx.input(index)) + " must be [B or 1, N or 1, " + std::to_string(p.S) + ", " +
                    std::to_string(p.L) + "]");
  out = ab;
  return Status::ok();
}

// com.microsoft Attention: packed QKV projection of `input`, optional past state (2, B, N, P, H)
// and present output, mask_index formats of buildMask, attention_bias.
Status attentionK(Context& ctx) {
  if (auto s = ctx.require(1, "weights"); !s) return s;
  if (ctx.hasInput(6) || ctx.attrInt("past_present_share_buffer", 0)) return ctx.unsupported("past_present_share_buffer is not supported");
  if (ctx.attrInt("do_rotary", 0)) return ctx.unsupported("do_rotary is not supported");
  auto xin = asFloat(ctx.input(0)), win = asFloat(ctx.input(1));
  if (!xin || !win) return ctx.fail("input and weights must be floating point");
  const Array &x = xin.value(), &w = win.value();
  if (x.rank() != 3 || w.rank() != 2) return ctx.fail("input " + formatArrayType(x) + " must be [batch, sequence, hidden] and weights 2-D");
  std::int64_t B = x.dim(0), S = x.dim(1), Hin = x.dim(2), heads = ctx.attrInt("num_heads", 0);
  if (heads <= 0) return ctx.fail("num_heads must be positive");
  auto sizes = ctx.attrInts("qkv_hidden_sizes");
  std::int64_t total = w.dim(1);
  std::int64_t hq = sizes.size() == 3 ? sizes[0] : total / 3, hk = sizes.size() == 3 ? sizes[1] : total / 3,
               hv = sizes.size() == 3 ? sizes[2] : total / 3;
  if (w.dim(0) != Hin || hq + hk + hv != total || hq != hk || hq % heads || hv % heads)
    return ctx.fail("weights " + formatArrayType(w) + " do not fit input " + formatArrayType(x) + " with " + std::to_string(heads) + " heads");
  Array qkv = Array::uninitialized(kFloat, {B * S, total});
  gemm<float>(false, false, B * S, total, Hin, x.data<float>(), w.data<float>(), qkv.data<float>(), false, 1.0f);
  const float* bias = nullptr;
  Array biasArr;
  if (ctx.hasInput(2)) {
    auto b = asFloat(ctx.input(2));
    if (!b) return b.status();
    if (b.value().size() != total) return ctx.fail("bias " + formatArrayType(ctx.input(2)) + " must have " + std::to_string(total) + " values");
    biasArr = b.value();
    bias = biasArr.data<float>();
  }
  AttentionProblem p;
  p.B = B, p.N = heads, p.S = S, p.H = hq / heads, p.Hv = hv / heads;
  p.q = toHeads(qkv.data<float>(), total, 0, B, S, heads, p.H, bias);
  Array k = toHeads(qkv.data<float>(), total, hq, B, S, heads, p.H, bias ? bias + hq : nullptr);
  Array v = toHeads(qkv.data<float>(), total, hq + hk, B, S, heads, p.Hv, bias ? bias + hq + hk : nullptr);
  std::int64_t P = 0;
  if (ctx.hasInput(4)) {
    auto pin = asFloat(ctx.input(4));
    if (!pin) return pin.status();
    const Array& past = pin.value();
    if (past.rank() != 5 || past.dim(0) != 2 || past.dim(1) != B || past.dim(2) != heads || past.dim(4) != p.H || p.H != p.Hv)
      return ctx.fail("past " + formatArrayType(past) + " must be [2, " + std::to_string(B) + ", " + std::to_string(heads) + ", past, " +
                      std::to_string(p.H) + "]");
    P = past.dim(3);
    std::int64_t half = past.size() / 2;
    Array pk = Array::uninitialized(kFloat, {B, heads, P, p.H}), pv = Array::uninitialized(kFloat, {B, heads, P, p.H});
    std::copy(past.data<float>(), past.data<float>() + half, pk.data<float>());
    std::copy(past.data<float>() + half, past.data<float>() + 2 * half, pv.data<float>());
    k = concatSeq(pk, k);
    v = concatSeq(pv, v);
  }
  p.k = k, p.v = v, p.L = P + S;
  float scale = ctx.attrFloat("scale", 0.0f);
  p.scale = scale != 0 ? scale : 1.0f / std::sqrt(static_cast<float>(p.H));
  float filter = ctx.attrFloat("mask_filter_value", -10000.0f);
  if (auto s = buildMask(ctx, ctx.hasInput(3) ? &ctx.input(3) : nullptr, ctx.attrInt("unidirectional", 0) != 0, B, S, p.L, P, filter, p.mask); !s)
    return s;
  if (auto s = attentionBias(ctx, 5, p, p.bias); !s) return s;
  std::int32_t dtype = ctx.input(0).dtype();
  if (auto s = setOutputAs(ctx, 0, attend(p), dtype); !s) return s;
  if (ctx.wantsOutput(1)) {
    Array present = Array::uninitialized(kFloat, {2, B, heads, p.L, p.H});
    std::copy(p.k.data<float>(), p.k.data<float>() + p.k.size(), present.data<float>());
    std::copy(p.v.data<float>(), p.v.data<float>() + p.v.size(), present.data<float>() + p.k.size());
    if (auto s = setOutputAs(ctx, 1, present, dtype); !s) return s;
  }
  return Status::ok();
}

// com.microsoft MultiHeadAttention: separate (already projected) query/key/value in
// [B, T, D] form, packed KV [B, L, N, 2, H], packed QKV [B, S, N, 3, H] or BNSH key/value;
// optional bias, key_padding_mask, attention_bias, past_key/past_value.
Status multiHeadAttentionK(Context& ctx) {
  if (ctx.hasInput(8) || ctx.hasInput(9)) return ctx.unsupported("past_sequence_length/cache_indirection are not supported");
  if (ctx.wantsOutput(3)) return ctx.unsupported("the qk output is not supported");
  std::int64_t N = ctx.attrInt("num_heads", 0);
  if (N <= 0) return ctx.fail("num_heads must be positive");
  std::vector<Array> in(8);
  for (std::size_t i = 0; i < 8; ++i)
    if (ctx.hasInput(i) && i != 4) {
      auto f = asFloat(ctx.input(i));
      if (!f) return f.status();
      in[i] = f.value();
    }
  const Array& query = in[0];
  if (query.rank() != 3 && query.rank() != 5) return ctx.fail("query " + formatArrayType(query) + " must be [B, S, D] or packed [B, S, N, 3, H]");
  std::int64_t B = query.dim(0), S = query.dim(1);
  AttentionProblem p;
  p.B = B, p.N = N, p.S = S;
  const float* bias = in[3].valid() ? in[3].data<float>() : nullptr;
  Array k, v;
  bool kvBnsh = false;
  if (query.rank() == 5) {
    if (query.dim(2) != N || query.dim(3) != 3) return ctx.fail("packed QKV " + formatArrayType(query) + " must be [B, S, N, 3, H]");
    p.H = p.Hv = query.dim(4);
    std::int64_t D = N * p.H, stride = 3 * D;
    // Per token the layout is [N][3][H]: gather each of q/k/v into [B, S, N*H] first.
    Array sep[3];
    for (int c = 0; c < 3; ++c) {
      sep[c] = Array::uninitialized(kFloat, {B, S, D});
      for (std::int64_t t = 0; t < B * S; ++t)
        for (std::int64_t n = 0; n < N; ++n)
          std::copy(query.data<float>() + t * stride + (n * 3 + c) * p.H, query.data<float>() + t * stride + (n * 3 + c + 1) * p.H,
                    sep[c].data<float>() + t * D + n * p.H);
    }
    p.q = toHeads(sep[0].data<float>(), D, 0, B, S, N, p.H, bias);
    k = toHeads(sep[1].data<float>(), D, 0, B, S, N, p.H, bias ? bias + D : nullptr);
    v = toHeads(sep[2].data<float>(), D, 0, B, S, N, p.H, bias ? bias + 2 * D : nullptr);
  } else {
    std::int64_t D = query.dim(2);
    if (D % N) return ctx.fail("query hidden size " + std::to_string(D) + " is not a multiple of num_heads " + std::to_string(N));
    p.H = D / N;
    p.q = toHeads(query.data<float>(), D, 0, B, S, N, p.H, bias);
    const Array &key = in[1], &value = in[2];
    if (!key.valid()) return ctx.fail("key is required unless query is packed QKV");
    if (key.rank() == 5) {
      if (key.dim(0) != B || key.dim(2) != N || key.dim(3) != 2 || key.dim(4) != p.H)
        return ctx.fail("packed KV " + formatArrayType(key) + " must be [B, L, N, 2, H]");
      std::int64_t L = key.dim(1);
      p.Hv = p.H;
      Array sep[2];
      for (int c = 0; c < 2; ++c) {
        sep[c] = Array::uninitialized(kFloat, {B, L, D});
        for (std::int64_t t = 0; t < B * L; ++t)
          for (std::int64_t n = 0; n < N; ++n)
            std::copy(key.data<float>() + t * 2 * D + (n * 2 + c) * p.H, key.data<float>() + t * 2 * D + (n * 2 + c + 1) * p.H,
                      sep[c].data<float>() + t * D + n * p.H);
      }
      k = toHeads(sep[0].data<float>(), D, 0, B, L, N, p.H, bias ? bias + D : nullptr);
      v = toHeads(sep[1].data<float>(), D, 0, B, L, N, p.H, bias ? bias + 2 * D : nullptr);
    } else if (key.rank() == 4) {
      // Already in heads (cross attention reusing projected K/V): no bias applies.
      if (!value.valid() || value.rank() != 4 || key.dim(0) != B || key.dim(1) != N || key.dim(3) != p.H || value.dim(2) != key.dim(2))
        return ctx.fail("key " + formatArrayType(key) + " and value must be [B, N, L, H]");
      k = key, v = value, p.Hv = value.dim(3), kvBnsh = true;
    } else if (key.rank() == 3) {
      if (!value.valid() || value.rank() != 3 || key.dim(0) != B || key.dim(2) != D || value.dim(1) != key.dim(1))
        return ctx.fail("key " + formatArrayType(key) + " and value must be [B, L, D] with D=" + std::to_string(D));
      std::int64_t L = key.dim(1), Dv = value.dim(2);
      if (Dv % N) return ctx.fail("value hidden size " + std::to_string(Dv) + " is not a multiple of num_heads");
      p.Hv = Dv / N;
      k = toHeads(key.data<float>(), D, 0, B, L, N, p.H, bias ? bias + D : nullptr);
      v = toHeads(value.data<float>(), Dv, 0, B, L, N, p.Hv, bias ? bias + 2 * D : nullptr);
    } else {
      return ctx.fail("key " + formatArrayType(key) + " has an unsupported shape");
    }
  }
  std::int64_t P = 0;
  if (in[6].valid() || in[7].valid()) {
    if (kvBnsh) return ctx.unsupported("past_key/past_value with BNSH key/value are not supported");
    if (!in[6].valid() || !in[7].valid()) return ctx.fail("past_key and past_value must be given together");
    if (in[6].rank() != 4 || in[6].dim(0) != B || in[6].dim(1) != N || in[6].dim(3) != p.H || in[7].rank() != 4 || in[7].dim(2) != in[6].dim(2))
      return ctx.fail("past_key " + formatArrayType(in[6]) + " and past_value must be [B, N, past, H]");
    P = in[6].dim(2);
    k = concatSeq(in[6], k);
    v = concatSeq(in[7], v);
  }
  p.k = k, p.v = v, p.L = k.dim(2);
  float scale = ctx.attrFloat("scale", 0.0f);
  p.scale = scale != 0 ? scale : 1.0f / std::sqrt(static_cast<float>(p.H));
  float filter = ctx.attrFloat("mask_filter_value", -10000.0f);
  if (auto s = buildMask(ctx, ctx.hasInput(4) ? &ctx.input(4) : nullptr, ctx.attrInt("unidirectional", 0) != 0, B, S, p.L, P, filter, p.mask); !s)
    return s;
  if (in[5].valid()) {
    const Array& ab = in[5];
    if (ab.rank() != 4 || (ab.dim(0) != 1 && ab.dim(0) != B) || (ab.dim(1) != 1 && ab.dim(1) != N) || ab.dim(2) != S || ab.dim(3) != p.L)
      return ctx.fail("attention_bias " + formatArrayType(ab) + " must be [B or 1, N or 1, " + std::to_string(S) + ", " + std::to_string(p.L) + "]");
    p.bias = ab;
  }
  std::int32_t dtype = ctx.input(0).dtype();
  if (auto s = setOutputAs(ctx, 0, attend(p), dtype); !s) return s;
  if (ctx.wantsOutput(1))
    if (auto s = setOutputAs(ctx, 1, p.k, dtype); !s) return s;
  if (ctx.wantsOutput(2))
    if (auto s = setOutputAs(ctx, 2, p.v, dtype); !s) return s;
  return Status::ok();
}

}  // namespace

void registerContribKernels() {
  registerKernel("com.microsoft", "FusedConv", fusedConvK);
  registerKernel("com.microsoft", "FusedGemm", fusedGemmK);
  registerKernel("com.microsoft", "FusedMatMul", fusedMatMulK);
  registerKernel("com.microsoft", "BiasGelu", biasGeluK);
  registerKernel("com.microsoft", "QuickGelu", quickGeluK);
  registerKernel("com.microsoft", "SkipSimplifiedLayerNormalization", skipSimplifiedLayerNormK);
  registerKernel("com.microsoft", "Attention", attentionK, true);
  registerKernel("com.microsoft", "MultiHeadAttention", multiHeadAttentionK, true);
}

}  // namespace graft::eval
