// Quantization kernels: QuantizeLinear/DequantizeLinear (per tensor and per axis),
// DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearConv, QLinearMatMul (8-bit inputs on
// exact int32 GEMMs with ONNX Runtime's requantization; other types through double), and the
// com.microsoft MatMulNBits and Attention that quantized/fused transformer models use.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <type_traits>

#include "eval/kernel.h"
#include "eval/linalg.h"
#include "eval/onednn_matmul.h"
#include "eval/onednn.h"
#include "eval/simd.h"

namespace graft::eval {

namespace {

// Per-element scale/zero-point lookup: scalar, or 1-D along `axis` of the data.
struct QuantParams {
  std::vector<double> scale, zero;
  std::int64_t axis = 0, inner = 1, dim = 1;
  bool perAxis = false;
  double scaleAt(std::int64_t i) const { return perAxis ? scale[static_cast<std::size_t>((i / inner) % dim)] : scale[0]; }
  double zeroAt(std::int64_t i) const {
    if (zero.empty()) return 0;
    return perAxis ? zero[static_cast<std::size_t>((i / inner) % dim)] : zero[0];
  }
};

Result<QuantParams> quantParams(Context& ctx, const Array& data, std::size_t scaleIdx, std::size_t zeroIdx, std::int64_t axis) {
  QuantParams q;
  auto s = arrayToDoubles(ctx.input(scaleIdx));
  if (!s) return s.status();
  q.scale = s.value();
  if (ctx.hasInput(zeroIdx)) {
    auto z = arrayToDoubles(ctx.input(zeroIdx));
    if (!z) return z.status();
    q.zero = z.value();
  }
  if (q.scale.size() > 1 || ctx.input(scaleIdx).rank() == 1) {
    if (q.scale.size() == 1 && data.rank() == 0) return q;
    if (!normalizeAxis(axis, static_cast<std::int64_t>(data.rank()))) return ctx.fail("axis out of range for " + formatArrayType(data));
    q.perAxis = true;
    q.axis = axis;
    q.dim = data.dim(static_cast<std::size_t>(axis));
    for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < data.rank(); ++d) q.inner *= data.dim(d);
    if (static_cast<std::int64_t>(q.scale.size()) != q.dim) {
      if (q.scale.size() == 1) {
        q.perAxis = false;
        return q;
      }
      return ctx.fail("scale has " + std::to_string(q.scale.size()) + " values but axis " + std::to_string(axis) + " of " +
                      formatArrayType(data) + " has " + std::to_string(q.dim));
    }
  }
  return q;
}

double saturate(double v, std::int32_t dtype) {
  switch (dtype) {
    case kUInt8: return std::clamp(v, 0.0, 255.0);
    case kInt8: return std::clamp(v, -128.0, 127.0);
    case kUInt16: return std::clamp(v, 0.0, 65535.0);
    case kInt16: return std::clamp(v, -32768.0, 32767.0);
    case kInt32: return std::clamp(v, -2147483648.0, 2147483647.0);
    default: return v;
  }
}

Result<Array> quantize(const std::vector<double>& x, const std::vector<std::int64_t>& shape, const QuantParams& q, std::int32_t dtype) {
  Array d = Array::uninitialized(kDouble, shape);
  for (std::int64_t i = 0; i < d.size(); ++i)
    // Divided in float32 as the spec and ONNX Runtime do, so ties round the same way.
    d.data<double>()[i] = saturate(
        std::nearbyint(static_cast<double>(static_cast<float>(x[static_cast<std::size_t>(i)]) / static_cast<float>(q.scaleAt(i)))) + q.zeroAt(i),
        dtype);
  return castArray(d, dtype);
}

std::vector<double> dequantize(const std::vector<double>& x, const QuantParams& q) {
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - q.zeroAt(static_cast<std::int64_t>(i))) * q.scaleAt(static_cast<std::int64_t>(i));
  return out;
}

Array doublesToArray(const std::vector<double>& v, const std::vector<std::int64_t>& shape) {
  Array a = Array::uninitialized(kDouble, shape);
  std::copy(v.begin(), v.end(), a.data<double>());
  return a;
}

// Where element i of x finds its scale and zero point (QuantizeLinear/DequantizeLinear 10..25):
// one for the tensor; one per index along `axis` (1-D scale); or, with block_size (21 on), one
// per block of block_size consecutive indices along `axis` (a scale of x's rank whose `axis`
// dim is ceil(dim / block_size) and whose other dims equal x's).
struct QdqLayout {
  enum Kind { PerTensor, PerAxis, Blocked } kind = PerTensor;
  std::int64_t inner = 1, dim = 1, block = 0, scaleDim = 1;
  std::int64_t index(std::int64_t i) const {
    switch (kind) {
      case PerTensor: return 0;
      case PerAxis: return (i / inner) % dim;
      case Blocked: {
        std::int64_t outer = i / (inner * dim), along = (i / inner) % dim, in = i % inner;
        return (outer * scaleDim + along / block) * inner + in;
      }
    }
    return 0;
  }
};

// y = saturate(round_half_even(x / scale) + zero) for one run of one scale (NaN to 0). Rounding
// without a libm call, and restrict pointers (a byte store may otherwise alias everything), let
// the loop vectorize: after clamping to +-2^22 (far past any 8-bit result; NaN passes through),
// adding and taking away 1.5 * 2^23 leaves the nearest integer under the default rounding mode.
// Compiled for AVX-512 and AVX2 too and picked at load time (the engine's baseline is SSE2, where
// the clamps and the NaN test take several instructions a lane): QDQ models run these between
// every pair of float operators.
template <class T>
inline void quantizeRun(const float* __restrict x, T* __restrict y, std::int64_t n, float scale, float zero, float lo, float hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    float r = x[i] / scale;
    r = std::min(std::max(r, -4194304.0f), 4194304.0f);
    r = (r + 12582912.0f) - 12582912.0f + zero;
    r = r != r ? 0.0f : std::min(hi, std::max(lo, r));
    y[i] = static_cast<T>(r);
  }
}

// y = float(x - zero) * scale for one run of one scale.
template <class T>
inline void dequantizeRun(const T* __restrict x, float* __restrict y, std::int64_t n, float scale, std::int32_t zero) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<std::int32_t>(x[i]) - zero) * scale;
}

// The same with x * (1 / scale) in place of the division (several times faster): that product
// is within 2^-22 of the quotient, relatively, so both round to the same integer unless the
// product lies within twice that of a tie (k + 1/2). Returns false, having written y, when some
// element of the run is that close; the caller then redoes the run with the division.
template <class T>
inline bool quantizeRunByReciprocal(const float* __restrict x, T* __restrict y, std::int64_t n, float reciprocal, float zero, float lo,
                                    float hi) {
  // A NaN counts as near a tie (the comparison fails), so its run is redone by the exact loop,
  // which maps it to 0; this loop then needs no test of its own for it.
  int nearTie = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    float r = x[i] * reciprocal;
    r = std::min(std::max(r, -4194304.0f), 4194304.0f);
    const float nearest = (r + 12582912.0f) - 12582912.0f;
    nearTie |= !(0.5f - std::abs(r - nearest) > std::abs(r) * 4.76837158e-7f);  // 2^-21
    r = std::min(hi, std::max(lo, nearest + zero));
    y[i] = static_cast<T>(static_cast<std::int32_t>(r));
  }
  return nearTie == 0;
}

// Runs of 256 by reciprocal (ByReciprocal: a functor calling quantizeRunByReciprocal or a kernel
// with the same contract), each redone by the division when it reports an element near a tie.
struct ByReciprocal {
  template <class T>
  bool operator()(const float* x, T* y, std::int64_t n, float reciprocal, float zero, float lo, float hi) const {
    return quantizeRunByReciprocal(x, y, n, reciprocal, zero, lo, hi);
  }
};
template <class T, class Fast = ByReciprocal>
inline void quantizeRunChecked(const float* __restrict x, T* __restrict y, std::int64_t n, float scale, float zero, float lo, float hi,
                               Fast fast = {}) {
  const float reciprocal = 1.0f / scale;
  // A reciprocal that is not a normal float (a huge or tiny scale) gives no such bound.
  if (!(std::abs(reciprocal) >= 1.17549435e-38f && std::abs(reciprocal) <= 1e37f)) return quantizeRun(x, y, n, scale, zero, lo, hi);
  constexpr std::int64_t kChunk = 256;
  for (std::int64_t i = 0; i < n; i += kChunk) {
    const std::int64_t m = std::min(kChunk, n - i);
    if (!fast(x + i, y + i, m, reciprocal, zero, lo, hi)) quantizeRun(x + i, y + i, m, scale, zero, lo, hi);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_QDQ_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#define GRAFT_QDQ_AVX512 1

// GRAFT_EVAL_SIMD=generic (as for the GEMM blocks) leaves these to the compiler's clones, so the
// tests run both.
bool hasAvx512() {
  static const bool yes = !genericSimdRequested() && __builtin_cpu_supports("avx512f");
  return yes;
}

// quantizeRunByReciprocal in 16-lane AVX-512 (GCC's AVX-512 clone of that loop runs 8 lanes wide
// and spills its constants; this is about 4x faster, and it is what dynamic quantization and every
// QuantizeLinear outside a fused chain spend their time in). The same operations in the same
// order, so the same bytes and the same near-tie verdict: the clamps keep a NaN (vmaxps and vminps
// return their second operand when either is NaN), roundscale to nearest even is the magic-number
// rounding for |r| <= 2^22, and a NaN fails the ordered comparison, so its run is redone.
template <class T>
__attribute__((target("avx512f"))) bool quantizeRunByReciprocal16(const float* x, T* y, std::int64_t n, float reciprocal, float zero,
                                                                  float lo, float hi) {
  const __m512 r16 = _mm512_set1_ps(reciprocal), top = _mm512_set1_ps(4194304.0f), bottom = _mm512_set1_ps(-4194304.0f),
               z = _mm512_set1_ps(zero), l = _mm512_set1_ps(lo), h = _mm512_set1_ps(hi), half = _mm512_set1_ps(0.5f),
               tolerance = _mm512_set1_ps(4.76837158e-7f);
  __mmask16 far = 0xffff;
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 r = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), r16);
    r = _mm512_min_ps(top, _mm512_max_ps(bottom, r));
    const __m512 nearest = _mm512_roundscale_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 gap = _mm512_sub_ps(half, _mm512_abs_ps(_mm512_sub_ps(r, nearest)));
    const __m512 bound = _mm512_mul_ps(_mm512_abs_ps(r), tolerance);
    far &= static_cast<__mmask16>(_mm512_cmp_ps_mask(gap, bound, _CMP_GT_OQ) | static_cast<__mmask16>(~m));
    const __m512i q = _mm512_cvttps_epi32(_mm512_min_ps(h, _mm512_max_ps(l, _mm512_add_ps(nearest, z))));
    if constexpr (std::is_same_v<T, std::uint8_t>)
      _mm512_mask_cvtusepi32_storeu_epi8(y + i, m, q);
    else
      _mm512_mask_cvtsepi32_storeu_epi8(y + i, m, q);
  }
  return far == 0xffff;
}
struct ByReciprocal16 {
  template <class T>
  bool operator()(const float* x, T* y, std::int64_t n, float reciprocal, float zero, float lo, float hi) const {
    return quantizeRunByReciprocal16(x, y, n, reciprocal, zero, lo, hi);
  }
};
#else
#define GRAFT_QDQ_LOOP
#endif

GRAFT_QDQ_LOOP void quantizeRunU8Wide(const float* x, std::uint8_t* y, std::int64_t n, float scale, float zero) {
  quantizeRunChecked(x, y, n, scale, zero, 0.0f, 255.0f);
}
GRAFT_QDQ_LOOP void quantizeRunS8Wide(const float* x, std::int8_t* y, std::int64_t n, float scale, float zero) {
  quantizeRunChecked(x, y, n, scale, zero, -128.0f, 127.0f);
}
void quantizeRunU8(const float* x, std::uint8_t* y, std::int64_t n, float scale, float zero) {
#if defined(GRAFT_QDQ_AVX512)
  if (hasAvx512()) return quantizeRunChecked(x, y, n, scale, zero, 0.0f, 255.0f, ByReciprocal16{});
#endif
  quantizeRunU8Wide(x, y, n, scale, zero);
}
void quantizeRunS8(const float* x, std::int8_t* y, std::int64_t n, float scale, float zero) {
#if defined(GRAFT_QDQ_AVX512)
  if (hasAvx512()) return quantizeRunChecked(x, y, n, scale, zero, -128.0f, 127.0f, ByReciprocal16{});
#endif
  quantizeRunS8Wide(x, y, n, scale, zero);
}
GRAFT_QDQ_LOOP void dequantizeRunU8(const std::uint8_t* x, float* y, std::int64_t n, float scale, std::int32_t zero) {
  dequantizeRun(x, y, n, scale, zero);
}
GRAFT_QDQ_LOOP void dequantizeRunS8(const std::int8_t* x, float* y, std::int64_t n, float scale, std::int32_t zero) {
  dequantizeRun(x, y, n, scale, zero);
}
void quantizeRun(const float* x, std::uint8_t* y, std::int64_t n, float scale, float zero) { quantizeRunU8(x, y, n, scale, zero); }
void quantizeRun(const float* x, std::int8_t* y, std::int64_t n, float scale, float zero) { quantizeRunS8(x, y, n, scale, zero); }
void dequantizeRun(const std::uint8_t* x, float* y, std::int64_t n, float scale, std::int32_t zero) { dequantizeRunU8(x, y, n, scale, zero); }
void dequantizeRun(const std::int8_t* x, float* y, std::int64_t n, float scale, std::int32_t zero) { dequantizeRunS8(x, y, n, scale, zero); }

// Elements in a row that share one scale and zero point, as the unit the fast QDQ loops split
// among threads: a per-tensor scale's tensor in chunks of 32K (one span was one thread), a per-axis
// scale's inner run, or one element for blocked scales.
std::int64_t oneScaleSpan(const QdqLayout& lay, std::int64_t size) {
  if (lay.kind == QdqLayout::PerTensor) return std::max<std::int64_t>(1, std::min<std::int64_t>(size, 1 << 15));
  return lay.kind == QdqLayout::PerAxis ? std::max<std::int64_t>(1, lay.inner) : 1;
}

Result<QdqLayout> qdqLayout(Context& ctx, const Array& x, std::size_t scaleIdx, std::size_t zeroIdx) {
  const Array& scale = ctx.input(scaleIdx);
  std::int64_t axis = ctx.attrInt("axis", 1), block = ctx.attrInt("block_size", 0);
  QdqLayout l;
  // The same values as the scale ([1] and [] both count as one value for the tensor).
  if (ctx.hasInput(zeroIdx) && ctx.input(zeroIdx).size() != scale.size())
    return ctx.fail("zero point " + formatArrayType(ctx.input(zeroIdx)) + " must have the scale's shape " + formatShape(scale.shape()));
  if (block < 0) return ctx.fail("block_size must not be negative");
  bool scalar = scale.rank() == 0 || (scale.rank() == 1 && scale.size() == 1 && block == 0 && x.rank() == 0);
  if (scalar && block == 0) return l;
  std::int64_t rank = static_cast<std::int64_t>(x.rank());
  if (!normalizeAxis(axis, rank) || rank == 0)
    return ctx.fail("axis " + std::to_string(ctx.attrInt("axis", 1)) + " is out of range for " + formatArrayType(x));
  auto ax = static_cast<std::size_t>(axis);
  l.dim = x.dim(ax);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) l.inner *= x.dim(d);
  if (block == 0) {
    if (scale.rank() != 1 || scale.size() != l.dim) {
      if (scale.size() == 1) return l;  // a one-element scale counts as per tensor
      return ctx.fail("scale " + formatArrayType(scale) + " must be a scalar or have " + std::to_string(l.dim) +
                      " values (axis " + std::to_string(axis) + " of " + formatArrayType(x) + ")");
    }
    l.kind = QdqLayout::PerAxis;
    return l;
  }
  std::int64_t blocks = (l.dim + block - 1) / block;
  bool ok = scale.rank() == x.rank();
  for (std::size_t d = 0; ok && d < x.rank(); ++d) ok = scale.dim(d) == (d == ax ? blocks : x.dim(d));
  if (!ok)
    return ctx.fail("blocked scale " + formatArrayType(scale) + " must match " + formatArrayType(x) + " with dim " +
                    std::to_string(axis) + " = ceil(" + std::to_string(l.dim) + " / block_size " + std::to_string(block) +
                    ") = " + std::to_string(blocks));
  l.kind = QdqLayout::Blocked;
  l.block = block;
  l.scaleDim = blocks;
  return l;
}

Status quantizeLinearK(Context& ctx) {
  if (auto s = ctx.require(1, "y_scale"); !s) return s;
  const Array& x = ctx.input(0);
  auto outputDtype = static_cast<std::int32_t>(ctx.attrInt("output_dtype", 0));
  if (ctx.hasInput(2) && outputDtype && outputDtype != ctx.input(2).dtype())
    return ctx.fail(std::string("output_dtype ") + dtypeName(outputDtype) + " differs from the zero point's type " +
                    dtypeName(ctx.input(2).dtype()));
  std::int32_t dtype = ctx.hasInput(2) ? ctx.input(2).dtype() : outputDtype ? outputDtype : kUInt8;
  bool integer = isIntegerType(dtype);
  if (!integer && !(isNarrowFloat(dtype) && elementSizeOf(dtype) == 1))
    return ctx.unsupported(std::string("quantizing to ") + dtypeName(dtype) + " is not supported");
  auto l = qdqLayout(ctx, x, 1, 2);
  if (!l) return l.status();
  if ((dtype == kUInt8 || dtype == kInt8) && x.dtype() == kFloat && ctx.input(1).dtype() == kFloat &&
      (!ctx.hasInput(2) || isByteInteger(ctx.input(2)))) {
    // float32 to 8 bits (QDQ activations): x / scale in float32, half to even, plus the zero
    // point, saturated (NaN to 0), as the double path below; over runs of one scale.
    const QdqLayout& lay = l.value();
    const float* sc = ctx.input(1).data<float>();
    std::vector<float> zero(static_cast<std::size_t>(ctx.input(1).size()), 0.0f);
    if (ctx.hasInput(2))
      for (std::size_t i = 0; i < zero.size(); ++i) zero[i] = static_cast<float>(readIndex(ctx.input(2), static_cast<std::int64_t>(i)));
    Array out = Array::uninitialized(dtype, x.shape());
    const float* xs = x.data<float>();
    auto run = [&](auto* y) {
      const std::int64_t span = oneScaleSpan(lay, x.size());
      const std::int64_t spans = (x.size() + span - 1) / span;
      parallelFor(spans, std::max<std::int64_t>(1, (1 << 15) / span), [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t sp = s0; sp < s1; ++sp) {
          std::int64_t b = sp * span, e = std::min(x.size(), b + span);
          auto k = static_cast<std::size_t>(lay.index(b));
          float scale = sc[k], z = zero[k];
          quantizeRun(xs + b, y + b, e - b, scale, z);
        }
      });
    };
    if (dtype == kUInt8)
      run(out.data<std::uint8_t>());
    else
      run(out.data<std::int8_t>());
    ctx.setOutput(0, out);
    return Status::ok();
  }
  auto xv = arrayToDoubles(x);
  auto sv = arrayToDoubles(ctx.input(1));
  if (!xv || !sv) return ctx.fail("x and y_scale must be numeric");
  std::vector<double> zv;
  if (ctx.hasInput(2)) {
    auto z = arrayToDoubles(ctx.input(2));
    if (!z) return z.status();
    zv = z.value();
  }
  IntegerRange range = integerRange(dtype);
  auto lo = static_cast<double>(range.lo), hi = static_cast<double>(range.hi);
  Array d = Array::uninitialized(kDouble, x.shape());
  double* y = d.data<double>();
  const std::vector<double>& xs = xv.value();
  const std::vector<double>& ss = sv.value();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    auto k = static_cast<std::size_t>(l.value().index(i));
    // Divided in float32 as the spec and ONNX Runtime do, so ties round the same way.
    float q = static_cast<float>(xs[static_cast<std::size_t>(i)]) / static_cast<float>(ss[k]);
    double zero = zv.empty() ? 0.0 : zv[k];
    if (integer) {
      double r = std::nearbyint(static_cast<double>(q)) + zero;
      y[i] = std::isnan(r) ? 0.0 : std::clamp(r, lo, hi);
    } else {
      y[i] = static_cast<double>(q + static_cast<float>(zero));
    }
  }
  CastOptions co;
  co.saturate = ctx.attrInt("saturate", 1) != 0;
  co.wrapNarrowIntegers = false;
  auto out = castArray(d, dtype, co);
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

Status dequantizeLinearK(Context& ctx) {
  if (auto s = ctx.require(1, "x_scale"); !s) return s;
  const Array& x = ctx.input(0);
  auto l = qdqLayout(ctx, x, 1, 2);
  if (!l) return l.status();
  auto outputDtype = static_cast<std::int32_t>(ctx.attrInt("output_dtype", 0));
  std::int32_t dtype = outputDtype ? outputDtype : ctx.input(1).dtype();
  if (dtype == kFloat8E8M0 && !outputDtype)
    return ctx.fail("a float8e8m0 x_scale needs output_dtype (the result cannot be float8e8m0)");
  if (dtype == kFloat && isByteInteger(x) && ctx.input(1).dtype() == kFloat && (!ctx.hasInput(2) || isByteInteger(ctx.input(2)))) {
    // 8-bit to float32 (QDQ models' weights and activations): float(x - zero) * scale in float32,
    // which is what the double path below rounds to, over runs of one scale.
    const QdqLayout& lay = l.value();
    const float* sc = ctx.input(1).data<float>();
    std::vector<std::int32_t> zero(static_cast<std::size_t>(ctx.input(1).size()), 0);
    if (ctx.hasInput(2))
      for (std::size_t i = 0; i < zero.size(); ++i) zero[i] = static_cast<std::int32_t>(readIndex(ctx.input(2), static_cast<std::int64_t>(i)));
    Array out = Array::uninitialized(kFloat, x.shape());
    float* y = out.data<float>();
    auto run = [&](const auto* xs) {
      const std::int64_t span = oneScaleSpan(lay, x.size());
      const std::int64_t spans = (x.size() + span - 1) / span;
      parallelFor(spans, std::max<std::int64_t>(1, (1 << 15) / span), [&](std::int64_t s0, std::int64_t s1) {
        for (std::int64_t sp = s0; sp < s1; ++sp) {
          std::int64_t b = sp * span, e = std::min(x.size(), b + span);
          auto k = static_cast<std::size_t>(lay.index(b));
          float scale = sc[k];
          std::int32_t z = zero[k];
          dequantizeRun(xs + b, y + b, e - b, scale, z);
        }
      });
    };
    if (x.dtype() == kUInt8)
      run(x.data<std::uint8_t>());
    else
      run(x.data<std::int8_t>());
    ctx.setOutput(0, out);
    return Status::ok();
  }
  auto xv = arrayToDoubles(x);
  auto sv = arrayToDoubles(ctx.input(1));
  if (!xv || !sv) return ctx.fail("x and x_scale must be numeric");
  std::vector<double> zv;
  if (ctx.hasInput(2)) {
    auto z = arrayToDoubles(ctx.input(2));
    if (!z) return z.status();
    zv = z.value();
  }
  Array d = Array::uninitialized(kDouble, x.shape());
  double* y = d.data<double>();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    auto k = static_cast<std::size_t>(l.value().index(i));
    double zero = zv.empty() ? 0.0 : zv[k];
    y[i] = static_cast<double>(static_cast<float>(xv.value()[static_cast<std::size_t>(i)] - zero) * static_cast<float>(sv.value()[k]));
  }
  auto out = castArray(d, dtype);
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

Status dynamicQuantizeLinearK(Context& ctx) {
  // The spec and ONNX Runtime compute the range, scale and zero point in float32.
  auto x = castArray(ctx.input(0), kFloat);
  if (!x) return x.status();
  const DynamicQuantization q = dynamicQuantization(x.value().data<float>(), x.value().size());
  Array y = Array::uninitialized(kUInt8, x.value().shape());
  dynamicQuantize(x.value().data<float>(), y.data<std::uint8_t>(), y.size(), q);
  ctx.setOutput(0, y);
  ctx.setOutput(1, Array::scalar<float>(kFloat, q.scale));
  ctx.setOutput(2, Array::scalar<std::uint8_t>(kUInt8, static_cast<std::uint8_t>(q.zero)));
  return Status::ok();
}

// Integer data minus zero point, as double (exact for 8-bit products).
Result<Array> centered(const Array& a, const Array* zp, std::int64_t axisForVector) {
  auto v = arrayToDoubles(a);
  if (!v) return v.status();
  std::vector<double> out = v.value();
  if (zp && zp->valid()) {
    auto z = arrayToDoubles(*zp);
    if (!z) return z.status();
    const auto& zv = z.value();
    if (zv.size() == 1) {
      for (double& x : out) x -= zv[0];
    } else {
      // Per-row of A (axis -2) or per-column of B (axis -1), or per output channel of W (axis 0).
      std::int64_t ax = axisForVector;
      normalizeAxis(ax, static_cast<std::int64_t>(a.rank()));
      std::int64_t inner = 1, dim = a.dim(static_cast<std::size_t>(ax));
      for (std::size_t d = static_cast<std::size_t>(ax) + 1; d < a.rank(); ++d) inner *= a.dim(d);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] -= zv[static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % dim)];
    }
  }
  return doublesToArray(out, a.shape());
}

// ---- 8-bit inputs: exact int32 accumulation (quant_gemm.cpp), as ONNX Runtime computes them.

const Array* optionalInput(Context& ctx, std::size_t i) { return ctx.hasInput(i) ? &ctx.input(i) : nullptr; }

// Scale input i as float32 values: one, or `count` (per row / column / output channel).
Result<std::vector<float>> scales(Context& ctx, std::size_t i, std::int64_t count, const char* what) {
  const Array& a = ctx.input(i);
  if (a.dtype() != kFloat) return ctx.fail(std::string(what) + " " + formatArrayType(a) + " must be float32 here");
  if (a.size() != 1 && a.size() != count)
    return ctx.fail(std::string(what) + " " + formatArrayType(a) + " must hold 1 or " + std::to_string(count) + " values");
  return std::vector<float>(a.data<float>(), a.data<float>() + a.size());
}

// y (the dtype of the output zero point) = requantized int32 accumulators; multiplier(i) and the
// optional int32 bias per element index.
template <typename Q, typename Mult>
Array requantizeArray(const Array& acc, std::int32_t zero, Mult multiplier) {
  Array y = Array::uninitialized(std::is_same_v<Q, std::uint8_t> ? kUInt8 : kInt8, acc.shape());
  constexpr std::int32_t lo = std::numeric_limits<Q>::min(), hi = std::numeric_limits<Q>::max();
  const std::int32_t* a = acc.data<std::int32_t>();
  Q* o = y.data<Q>();
  parallelFor(acc.size(), 1 << 14, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) o[i] = static_cast<Q>(requantizeValue(a[i], multiplier(i), zero, lo, hi));
  });
  return y;
}

Result<Array> requantizeTo(Context& ctx, const Array& acc, std::size_t zeroIdx, const std::function<float(std::int64_t)>& multiplier) {
  const Array& z = ctx.input(zeroIdx);
  if (!isByteInteger(z) || z.size() != 1) return ctx.fail("y_zero_point " + formatArrayType(z) + " must be one int8 or uint8 value");
  auto zero = static_cast<std::int32_t>(readIndex(z, 0));
  if (z.dtype() == kUInt8) return requantizeArray<std::uint8_t>(acc, zero, multiplier);
  return requantizeArray<std::int8_t>(acc, zero, multiplier);
}

// True when every element of an optional zero point is 0.
bool allZero(const Array* z) {
  if (!z) return true;
  if (!isByteInteger(*z)) return false;
  for (std::int64_t i = 0; i < z->size(); ++i)
    if (readIndex(*z, i) != 0) return false;
  return true;
}

}  // namespace

bool int8ProductApplies(const Array& A, const Array* aZero, const Array& B, const Array* bZero, bool bConstant) {
  if (!bConstant || B.rank() != 2 || B.dtype() != kInt8 || !allZero(bZero) || (A.dtype() != kUInt8 && A.dtype() != kInt8) || A.rank() < 1)
    return false;
  if (aZero && (aZero->size() != 1 || aZero->dtype() != A.dtype())) return false;
  return A.dim(A.rank() - 1) == B.dim(0) && B.dim(0) <= 65536;  // int32 sums of 255 * 128 products stay exact
}

bool int8ProductLibrary(const Array& A, const Array* aZero, const Array& B, const Array* bZero, bool bConstant, Array& acc) {
  if (!int8ProductApplies(A, aZero, B, bZero, bConstant)) return false;
  const std::int64_t K = B.dim(0), N = B.dim(1);
  const std::int64_t M = A.size() / std::max<std::int64_t>(1, K);
  std::vector<std::int64_t> shape = A.shape();
  shape.back() = N;
  Array out = Array::uninitialized(kInt32, shape);
  const auto zero = aZero ? static_cast<std::int32_t>(readIndex(*aZero, 0)) : 0;
  if (!onednnInt8MatmulConstantB(M, N, K, A.raw(), A.dtype() == kInt8, zero, B.data<std::int8_t>(), out.data<std::int32_t>())) return false;
  acc = std::move(out);
  return true;
}

void quantizeToUint8(const float* x, std::uint8_t* y, std::int64_t n, float scale, float zero) { quantizeRunU8(x, y, n, scale, zero); }

namespace {

// The smallest and largest of x and 0 over one run (NaNs skipped: each comparison keeps the
// running value when x is NaN).
void rangeRun(const float* x, std::int64_t n, float& lo, float& hi) {
#if defined(GRAFT_QDQ_AVX512)
  if (hasAvx512()) {
    // Lanes past the end load as 0, which the range includes anyway.
    auto wide = [](const float* p, std::int64_t count, float& l, float& h) __attribute__((target("avx512f"))) {
      __m512 lo16 = _mm512_setzero_ps(), hi16 = lo16;
      for (std::int64_t i = 0; i < count; i += 16) {
        const __mmask16 m = count - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (count - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, p + i);
        lo16 = _mm512_min_ps(v, lo16);
        hi16 = _mm512_max_ps(v, hi16);
      }
      l = _mm512_reduce_min_ps(lo16);
      h = _mm512_reduce_max_ps(hi16);
    };
    return wide(x, n, lo, hi);
  }
#endif
  // Sixteen running minima and maxima (so the loop vectorizes), then theirs.
  float los[16] = {}, his[16] = {};
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) {
      los[j] = std::min(los[j], x[i + j]);
      his[j] = std::max(his[j], x[i + j]);
    }
  lo = 0;
  hi = 0;
  for (; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  for (int j = 0; j < 16; ++j) {
    lo = std::min(lo, los[j]);
    hi = std::max(hi, his[j]);
  }
}

}  // namespace

DynamicQuantization dynamicQuantization(const float* x, std::int64_t n) {
  float lo = 0, hi = 0;
  std::mutex mutex;
  parallelFor(n, 1 << 16, [&](std::int64_t b, std::int64_t e) {
    float l = 0, h = 0;
    rangeRun(x + b, e - b, l, h);
    std::lock_guard<std::mutex> lock(mutex);
    lo = std::min(lo, l);
    hi = std::max(hi, h);
  });
  DynamicQuantization q;
  q.scale = (hi - lo) / 255.0f;
  // ONNX Runtime's order of min and max, so an infinite range (-inf / inf is NaN) gets zero point
  // 255 as there, not a NaN cast to a byte.
  q.zero = q.scale == 0 ? 0.0f : std::nearbyint(std::max(0.0f, std::min(255.0f, 0.0f - lo / q.scale)));
  return q;
}

void dynamicQuantize(const float* x, std::uint8_t* y, std::int64_t n, const DynamicQuantization& q) {
  const float divisor = q.scale == 0 ? 1.0f : q.scale;
  parallelFor(n, 1 << 15, [&](std::int64_t b, std::int64_t e) { quantizeRunU8(x + b, y + b, e - b, divisor, q.zero); });
}

namespace {

Status matMulInteger8(Context& ctx) {
  // Exact int32 sums on the kernel library's int8 product when B is a symmetric int8 constant.
  if (Array acc; ctx.input(1).rank() == 2 && int8ProductLibrary(ctx.input(0), optionalInput(ctx, 2), ctx.input(1), optionalInput(ctx, 3),
                                                                ctx.inputIsConstant(1), acc)) {
    ctx.setOutput(0, acc);
    return Status::ok();
  }
  auto a = centeredInt16(ctx.input(0), optionalInput(ctx, 2), -2);
  if (!a) return ctx.fail("a_zero_point: " + a.message());
  auto b = centeredInt16(ctx.input(1), optionalInput(ctx, 3), -1);
  if (!b) return ctx.fail("b_zero_point: " + b.message());
  auto y = integerMatmul(a.value(), b.value());
  if (!y) return ctx.fail(y.message());
  ctx.setOutput(0, y.value());
  return Status::ok();
}

Status qlinearMatMul8(Context& ctx) {
  const Array &A = ctx.input(0), &B = ctx.input(3);
  std::int64_t M = A.rank() >= 2 ? A.dim(A.rank() - 2) : 1, N = B.rank() >= 2 ? B.dim(B.rank() - 1) : 1;
  auto sa = scales(ctx, 1, M, "a_scale");
  auto sb = scales(ctx, 4, N, "b_scale");
  auto sy = scales(ctx, 6, 1, "y_scale");
  if (!sa) return sa.status();
  if (!sb) return sb.status();
  if (!sy) return sy.status();
  Result<Array> acc = Array();
  if (Array sums; !(B.rank() == 2 && int8ProductLibrary(A, optionalInput(ctx, 2), B, optionalInput(ctx, 5), ctx.inputIsConstant(3), sums))) {
    auto a = centeredInt16(A, optionalInput(ctx, 2), -2);
    if (!a) return ctx.fail("a_zero_point: " + a.message());
    auto b = centeredInt16(B, optionalInput(ctx, 5), -1);
    if (!b) return ctx.fail("b_zero_point: " + b.message());
    acc = integerMatmul(a.value(), b.value());
    if (!acc) return ctx.fail(acc.message());
  } else {
    acc = std::move(sums);
  }
  const auto &va = sa.value(), &vb = sb.value();
  float ys = sy.value()[0];
  std::int64_t cols = acc.value().rank() >= 1 && B.rank() >= 2 ? N : 1, rows = A.rank() >= 2 ? M : 1;
  auto y = requantizeTo(ctx, acc.value(), 7, [&](std::int64_t i) {
    float as = va.size() == 1 ? va[0] : va[static_cast<std::size_t>((i / cols) % rows)];
    float bs = vb.size() == 1 ? vb[0] : vb[static_cast<std::size_t>(i % cols)];
    return as * bs / ys;
  });
  if (!y) return y.status();
  ctx.setOutput(0, y.value());
  return Status::ok();
}

Status convInteger8(Context& ctx, bool qlinear) {
  // ConvInteger: x, w, x_zero_point, w_zero_point. QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B.
  std::size_t xi = 0, wi = qlinear ? 3 : 1, xz = qlinear ? 2 : 2, wz = qlinear ? 5 : 3;
  const Array &X = ctx.input(xi), &W = ctx.input(wi);
  Array acc;
  // The kernel library's int8 convolution (VNNI/AMX) when its sums are exact: one zero point for
  // x, int8 weights with zero points of 0 (symmetric, as static QDQ writes them).
  const Array* xZero = optionalInput(ctx, xz);
  const Array* wZero = optionalInput(ctx, wz);
  bool wSymmetric = W.dtype() == kInt8 && (!wZero || (isByteInteger(*wZero) && [&] {
                      for (std::int64_t i = 0; i < wZero->size(); ++i)
                        if (readIndex(*wZero, i) != 0) return false;
                      return true;
                    }()));
  bool library = wSymmetric && (!xZero || (isByteInteger(*xZero) && xZero->size() == 1 && xZero->dtype() == X.dtype())) &&
                 convolveInteger8Library(ctx, X, xZero ? static_cast<std::int32_t>(readIndex(*xZero, 0)) : 0, W,
                                         ctx.inputIsConstant(wi), acc);
  if (!library) {
    auto x = centeredInt16(X, xZero, 1);
    if (!x) return ctx.fail("x_zero_point: " + x.message());
    auto w = centeredInt16(W, wZero, 0);
    if (!w) return ctx.fail("w_zero_point: " + w.message());
    if (auto s = convolveInteger(ctx, x.value(), w.value(), acc); !s) return s;
  }
  if (!qlinear) {
    ctx.setOutput(0, acc);
    return Status::ok();
  }
  std::int64_t M = W.dim(0), spatial = acc.size() / std::max<std::int64_t>(1, acc.dim(0) * M);
  auto sx = scales(ctx, 1, 1, "x_scale");
  auto sw = scales(ctx, 4, M, "w_scale");
  auto sy = scales(ctx, 6, 1, "y_scale");
  if (!sx) return sx.status();
  if (!sw) return sw.status();
  if (!sy) return sy.status();
  const Array* bias = nullptr;
  if (ctx.hasInput(8)) {
    bias = &ctx.input(8);
    if (bias->dtype() != kInt32 || bias->size() != M) return ctx.fail("B " + formatArrayType(*bias) + " must be int32 with one value per output channel");
  }
  const Array& z = ctx.input(7);
  if (!isByteInteger(z) || z.size() != 1) return ctx.fail("y_zero_point " + formatArrayType(z) + " must be one int8 or uint8 value");
  const auto zero = static_cast<std::int32_t>(readIndex(z, 0));
  // Row by row (one output channel of one image): bias, multiplier x_scale * w_scale / y_scale in
  // float32, ONNX Runtime's rounding and saturation.
  Array y = Array::uninitialized(z.dtype(), acc.shape());
  const std::int64_t rows = acc.size() / std::max<std::int64_t>(1, spatial);
  parallelFor(rows, std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(1, spatial)), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t m = r % M;
      const float mult = sx.value()[0] * sw.value()[sw.value().size() == 1 ? 0 : static_cast<std::size_t>(m)] / sy.value()[0];
      const std::int32_t b = bias ? bias->data<std::int32_t>()[m] : 0;
      const std::int32_t* a = acc.data<std::int32_t>() + r * spatial;
      if (z.dtype() == kUInt8)
        requantizeRow(a, b, mult, zero, 0, y.data<std::uint8_t>() + r * spatial, spatial);
      else
        requantizeRow(a, b, mult, zero, -128, y.data<std::int8_t>() + r * spatial, spatial);
    }
  });
  ctx.setOutput(0, y);
  return Status::ok();
}

Status matMulIntegerK(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  if (isByteInteger(ctx.input(0)) && isByteInteger(ctx.input(1))) return matMulInteger8(ctx);
  auto a = centered(ctx.input(0), ctx.hasInput(2) ? &ctx.input(2) : nullptr, -2);
  auto b = centered(ctx.input(1), ctx.hasInput(3) ? &ctx.input(3) : nullptr, -1);
  if (!a || !b) return ctx.fail("A and B must be integer tensors");
  auto y = matmulArrays(a.value(), b.value());
  if (!y) return ctx.fail(y.message());
  auto c = castArray(y.value(), kInt32);
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Status convIntegerK(Context& ctx) {
  if (auto s = ctx.require(1, "w"); !s) return s;
  if (isByteInteger(ctx.input(0)) && isByteInteger(ctx.input(1))) return convInteger8(ctx, false);
  auto x = centered(ctx.input(0), ctx.hasInput(2) ? &ctx.input(2) : nullptr, 0);
  auto w = centered(ctx.input(1), ctx.hasInput(3) ? &ctx.input(3) : nullptr, 0);
  if (!x || !w) return ctx.fail("x and w must be integer tensors");
  Array y;
  if (auto s = convolve(ctx, x.value(), w.value(), nullptr, y); !s) return s;
  auto c = castArray(y, kInt32);
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Result<Array> dequantizeInput(Context& ctx, std::size_t data, std::size_t scale, std::size_t zero, std::int64_t axis) {
  const Array& x = ctx.input(data);
  auto q = quantParams(ctx, x, scale, zero, axis);
  if (!q) return q.status();
  auto v = arrayToDoubles(x);
  if (!v) return v.status();
  return doublesToArray(dequantize(v.value(), q.value()), x.shape());
}

Status requantizeOutput(Context& ctx, const Array& y, std::size_t scale, std::size_t zero) {
  auto q = quantParams(ctx, y, scale, zero, 1);
  if (!q) return q.status();
  auto v = arrayToDoubles(y);
  if (!v) return v.status();
  auto out = quantize(v.value(), y.shape(), q.value(), ctx.hasInput(zero) ? ctx.input(zero).dtype() : kUInt8);
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

Status qlinearConvK(Context& ctx) {
  if (auto s = ctx.require(7, "y_zero_point"); !s) return s;
  if (isByteInteger(ctx.input(0)) && isByteInteger(ctx.input(3)) && isByteInteger(ctx.input(7))) return convInteger8(ctx, true);
  auto x = dequantizeInput(ctx, 0, 1, 2, 1);
  auto w = dequantizeInput(ctx, 3, 4, 5, 0);
  if (!x) return x.status();
  if (!w) return w.status();
  Array bias;
  if (ctx.hasInput(8)) {
    // Bias is int32 at scale x_scale * w_scale (per output channel).
    auto b = arrayToDoubles(ctx.input(8));
    auto xs = arrayToDoubles(ctx.input(1)), ws = arrayToDoubles(ctx.input(4));
    if (!b || !xs || !ws) return ctx.fail("bias and scales must be numeric");
    std::vector<double> bv = b.value();
    for (std::size_t i = 0; i < bv.size(); ++i) bv[i] *= xs.value()[0] * ws.value()[ws.value().size() == 1 ? 0 : i];
    bias = doublesToArray(bv, ctx.input(8).shape());
  }
  Array y;
  if (auto s = convolve(ctx, x.value(), w.value(), bias.valid() ? &bias : nullptr, y); !s) return s;
  return requantizeOutput(ctx, y, 6, 7);
}

Status qlinearMatMulK(Context& ctx) {
  if (auto s = ctx.require(7, "y_zero_point"); !s) return s;
  if (isByteInteger(ctx.input(0)) && isByteInteger(ctx.input(3)) && isByteInteger(ctx.input(7))) return qlinearMatMul8(ctx);
  auto a = dequantizeInput(ctx, 0, 1, 2, -2);
  auto b = dequantizeInput(ctx, 3, 4, 5, -1);
  if (!a) return a.status();
  if (!b) return b.status();
  auto y = matmulArrays(a.value(), b.value());
  if (!y) return ctx.fail(y.message());
  return requantizeOutput(ctx, y.value(), 6, 7);
}

// MatMulNBits' optional bias (input 5), then Y in A's element type.
Status finishNBits(Context& ctx, Array& Y, std::int64_t M, std::int64_t N) {
  if (ctx.hasInput(5)) {
    auto bias = castArray(ctx.input(5), kFloat);
    if (!bias) return bias.status();
    if (bias.value().size() != N) return ctx.fail("bias " + formatArrayType(ctx.input(5)) + " must have N=" + std::to_string(N) + " values");
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t n = 0; n < N; ++n) Y.data<float>()[i * N + n] += bias.value().data<float>()[n];
  }
  auto out = castArray(Y, ctx.input(0).dtype());
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

// com.microsoft MatMulNBits: B is [N, k_blocks, blob] of packed `bits`-bit weights (low bits
// first), scales [N * k_blocks], optional packed uint8 (or float) zero points.
Status matMulNBitsK(Context& ctx) {
  if (auto s = ctx.require(2, "scales"); !s) return s;
  std::int64_t K = ctx.attrInt("K", 0), N = ctx.attrInt("N", 0), bits = ctx.attrInt("bits", 4), block = ctx.attrInt("block_size", 32);
  if (K <= 0 || N <= 0 || block <= 0 || (bits != 4 && bits != 8 && bits != 2))
    return ctx.fail("attributes K, N, bits, block_size are missing or unsupported");
  const Array& packed = ctx.input(1);
  std::int64_t kBlocks = (K + block - 1) / block, blob = block * bits / 8;
  if (packed.dtype() != kUInt8 || packed.size() < N * kBlocks * blob)
    return ctx.fail("B " + formatArrayType(packed) + " does not hold N=" + std::to_string(N) + " x K=" + std::to_string(K) + " " + std::to_string(bits) + "-bit weights");
  auto scales = arrayToDoubles(ctx.input(2));
  if (!scales) return scales.status();
  std::vector<double> zeros;
  bool packedZeros = false;
  if (ctx.hasInput(3)) {
    packedZeros = ctx.input(3).dtype() == kUInt8;
    auto z = arrayToDoubles(ctx.input(3));
    if (!z) return z.status();
    zeros = z.value();
  }
  const std::uint8_t* pb = packed.data<std::uint8_t>();
  std::int64_t perByte = 8 / bits, mask = (1 << bits) - 1, zpBytesPerRow = (kBlocks * bits + 7) / 8;
  double defaultZero = static_cast<double>(1 << (bits - 1));
  // g_idx (act-order quantization) maps each k to its scale/zero-point group; by default
  // k belongs to group k / block_size.
  std::vector<std::int64_t> group(static_cast<std::size_t>(K));
  for (std::int64_t k = 0; k < K; ++k) group[static_cast<std::size_t>(k)] = k / block;
  if (ctx.hasInput(4)) {
    const Array& g = ctx.input(4);
    if (g.size() != K) return ctx.fail("g_idx " + formatArrayType(g) + " must have K=" + std::to_string(K) + " entries");
    for (std::int64_t k = 0; k < K; ++k) {
      std::int64_t v = readIndex(g, k);
      if (v < 0 || v >= kBlocks) return ctx.fail("g_idx[" + std::to_string(k) + "] = " + std::to_string(v) + " is not a block index");
      group[static_cast<std::size_t>(k)] = v;
    }
  }
  if (static_cast<std::int64_t>(scales.value().size()) < N * kBlocks)
    return ctx.fail("scales " + formatArrayType(ctx.input(2)) + " must have N * k_blocks = " + std::to_string(N * kBlocks) + " values");
  const std::uint8_t* zpBytes = packedZeros ? ctx.input(3).data<std::uint8_t>() : nullptr;
  // Row n of W (the weights of output column n) dequantized into w[0:K].
  bool plainGroups = !ctx.hasInput(4) && (zeros.empty() || packedZeros);
  auto dequantizeRow = [&](std::int64_t n, float* w) {
    if (plainGroups) {
      // Block by block: one scale and zero point each, then a loop the compiler vectorizes.
      // (q - zero) * scale is exact in double, so float arithmetic rounds it the same way.
      for (std::int64_t b = 0; b < kBlocks; ++b) {
        auto scale = static_cast<float>(scales.value()[static_cast<std::size_t>(n * kBlocks + b)]);
        std::int32_t zero = static_cast<std::int32_t>(defaultZero);
        if (packedZeros) zero = (zpBytes[n * zpBytesPerRow + (b * bits) / 8] >> ((b * bits) % 8)) & static_cast<std::int32_t>(mask);
        const std::uint8_t* bytes = pb + (n * kBlocks + b) * blob;
        std::int64_t k0 = b * block, len = std::min(block, K - k0);
        float* out = w + k0;
        if (bits == 4) {
          for (std::int64_t kk = 0; kk + 1 < len; kk += 2) {
            std::int32_t byte = bytes[kk / 2];
            out[kk] = static_cast<float>((byte & 15) - zero) * scale;
            out[kk + 1] = static_cast<float>((byte >> 4) - zero) * scale;
          }
          if (len % 2) out[len - 1] = static_cast<float>((bytes[(len - 1) / 2] & 15) - zero) * scale;
        } else {
          for (std::int64_t kk = 0; kk < len; ++kk)
            out[kk] = static_cast<float>(((bytes[kk / perByte] >> ((kk % perByte) * bits)) & mask) - zero) * scale;
        }
      }
      return;
    }
    for (std::int64_t k = 0; k < K; ++k) {
      std::int64_t b = group[static_cast<std::size_t>(k)];
      double scale = scales.value()[static_cast<std::size_t>(n * kBlocks + b)];
      double zero = defaultZero;
      if (!zeros.empty()) {
        if (packedZeros) {
          std::int64_t byte = n * zpBytesPerRow + (b * bits) / 8, shift = (b * bits) % 8;
          zero = static_cast<double>((static_cast<std::int64_t>(zpBytes[byte]) >> shift) & mask);
        } else {
          zero = zeros[static_cast<std::size_t>(n * kBlocks + b)];
        }
      }
      std::int64_t kb = k / block, kk = k % block;
      std::int64_t byte = (n * kBlocks + kb) * blob + kk / perByte, shift = (kk % perByte) * bits;
      double q = static_cast<double>((pb[byte] >> shift) & mask);
      w[k] = packedZeros || zeros.empty() ? static_cast<float>((q - zero) * scale) : static_cast<float>(q * scale - zero * scale);
    }
  };
  auto a = castArray(ctx.input(0), kFloat);
  if (!a) return a.status();
  const Array& A = a.value();
  if (A.dim(A.rank() - 1) != K) return ctx.fail("A " + formatArrayType(ctx.input(0)) + " must have K=" + std::to_string(K) + " columns");
  std::vector<std::int64_t> shape = A.shape();
  shape.back() = N;
  Array Y = Array::uninitialized(kFloat, shape);
  std::int64_t M = A.size() / K;
  // Dequantize-in-GEMM: each task dequantizes a panel of 64 weight rows into a small buffer and
  // multiplies it at once (oneDNN sgemm), so the float weights never exist whole, the 4-bit bytes
  // are read once per run, and the dequantization is shared among the threads.
  constexpr std::int64_t kPanel = 64;
  // accuracy_level 3 (bf16) or 4 (int8) lets A be computed at lower precision than float: A and
  // the dequantized weights are rounded to bf16 and multiplied with float accumulation (AMX), the
  // bf16 weights packed once per Evaluator. bf16 keeps 8 significant bits, more than the int8 that
  // ONNX Runtime uses for A at level 4, and the weights' 4-bit error dwarfs both.
  const std::int64_t accuracy = ctx.attrInt("accuracy_level", 0);
  if (accuracy >= 3 &&
      onednnBf16MatMul(M, N, K, A.data<float>(), pb, ctx.inputIsConstant(1) && ctx.inputIsConstant(2) && (!ctx.hasInput(3) || ctx.inputIsConstant(3)) && !ctx.hasInput(4),
                       [&](std::int64_t n0, std::int64_t count, float* out) {
                         for (std::int64_t n = 0; n < count; ++n) dequantizeRow(n0 + n, out + n * K);
                       },
                       Y.data<float>())) {
    return finishNBits(ctx, Y, M, N);
  }
  bool fused = onednnEnabled();
  if (fused) {
    std::int64_t panels = (N + kPanel - 1) / kPanel;
    std::atomic<bool> refused{false};
    parallelFor(panels, 1, [&](std::int64_t p0, std::int64_t p1) {
      std::vector<float> panel(static_cast<std::size_t>(kPanel * K));
      for (std::int64_t p = p0; p < p1; ++p) {
        std::int64_t n0 = p * kPanel, nb = std::min(kPanel, N - n0);
        for (std::int64_t n = 0; n < nb; ++n) dequantizeRow(n0 + n, panel.data() + n * K);
        if (!onednnSgemm(false, true, M, nb, K, 1.0f, A.data<float>(), K, panel.data(), K, 0.0f, Y.data<float>() + n0, N)) refused = true;
      }
    });
    fused = !refused;
  }
  if (!fused) {
    Array W = Array::uninitialized(kFloat, {N, K});
    parallelFor(N, 16, [&](std::int64_t n0, std::int64_t n1) {
      for (std::int64_t n = n0; n < n1; ++n) dequantizeRow(n, W.data<float>() + n * K);
    });
    gemm<float>(false, true, M, N, K, A.data<float>(), W.data<float>(), Y.data<float>(), false, 1.0f);
  }
  return finishNBits(ctx, Y, M, N);
}

}  // namespace

void registerQuantKernels() {
  registerKernel("", "QuantizeLinear", quantizeLinearK, true);
  registerKernel("", "DequantizeLinear", dequantizeLinearK, true);
  registerKernel("", "DynamicQuantizeLinear", dynamicQuantizeLinearK);
  registerKernel("", "MatMulInteger", matMulIntegerK);
  registerKernel("", "ConvInteger", convIntegerK);
  registerKernel("", "QLinearConv", qlinearConvK);
  registerKernel("", "QLinearMatMul", qlinearMatMulK);
  registerKernel("com.microsoft", "MatMulNBits", matMulNBitsK, true);
  registerKernel("com.microsoft", "QuantizeLinear", quantizeLinearK, true);
  registerKernel("com.microsoft", "DequantizeLinear", dequantizeLinearK, true);
}

}  // namespace graft::eval
