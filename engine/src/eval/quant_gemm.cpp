// Exact integer GEMM for the 8-bit operators (MatMulInteger, ConvInteger, QLinearMatMul,
// QLinearConv): products of zero-point-centred 8-bit values summed in 32 bits, so accumulators
// equal ONNX Runtime's bit for bit (wrapping on overflow as its int32 arithmetic does), and
// ONNX Runtime's requantization of them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "eval/kernel.h"
#include "eval/linalg.h"

namespace graft::eval {

namespace {

constexpr std::int64_t kRows = 4, kCols = 1024;

// C[r, 0:n] = sum_k A[r, k] * B[k, 0:n] for `rows` (<= 4) rows of A; B has row stride ldb, C ldc.
// Built for AVX2 as well as the baseline and picked at load time (function multi-versioning):
// the loop over j becomes 8-wide widening multiplies, and each row of B loaded serves four rows of A.
// Unsigned sums make the int32 wrap-around defined.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void integerBlock(std::int64_t rows, std::int64_t n, std::int64_t K, const std::int16_t* A, std::int64_t lda, const std::int16_t* B,
                  std::int64_t ldb, std::int32_t* C, std::int64_t ldc) {
  std::uint32_t acc[kRows][kCols];
  for (std::int64_t r = 0; r < kRows; ++r)
    for (std::int64_t j = 0; j < n; ++j) acc[r][j] = 0;
  for (std::int64_t k = 0; k < K; ++k) {
    const std::int16_t* b = B + k * ldb;
    std::int32_t a0 = A[k], a1 = rows > 1 ? A[lda + k] : 0, a2 = rows > 2 ? A[2 * lda + k] : 0, a3 = rows > 3 ? A[3 * lda + k] : 0;
    if ((a0 | a1 | a2 | a3) == 0) continue;  // zero-point inputs (padding, ReLU's zeros) add nothing
    for (std::int64_t j = 0; j < n; ++j) {
      std::int32_t bj = b[j];
      acc[0][j] += static_cast<std::uint32_t>(a0 * bj);
      acc[1][j] += static_cast<std::uint32_t>(a1 * bj);
      acc[2][j] += static_cast<std::uint32_t>(a2 * bj);
      acc[3][j] += static_cast<std::uint32_t>(a3 * bj);
    }
  }
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) C[r * ldc + j] = static_cast<std::int32_t>(acc[r][j]);
}

}  // namespace

void integerGemm(std::int64_t M, std::int64_t N, std::int64_t K, const std::int16_t* A, const std::int16_t* B, std::int32_t* C) {
  std::int64_t rowGroups = (M + kRows - 1) / kRows, colBlocks = (N + kCols - 1) / kCols, tasks = rowGroups * colBlocks;
  double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  parallelFor(tasks, work < 1e6 ? tasks : 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      std::int64_t r = (t / colBlocks) * kRows, c = (t % colBlocks) * kCols;
      integerBlock(std::min(kRows, M - r), std::min(kCols, N - c), K, A + r * K, K, B + c, N, C + r * N + c, N);
    }
  });
}

bool isByteInteger(const Array& a) { return a.isTensor() && (a.dtype() == kInt8 || a.dtype() == kUInt8); }

Result<Array> centeredInt16(const Array& a, const Array* zp, std::int64_t axis) {
  std::vector<std::int16_t> zero{0};
  std::int64_t inner = 1, dim = 1;
  if (zp && zp->valid() && zp->size() > 0) {
    if (!isByteInteger(*zp)) return Status(ErrorCode::InvalidArgument, "zero point " + formatArrayType(*zp) + " must be int8 or uint8");
    zero.resize(static_cast<std::size_t>(zp->size()));
    for (std::int64_t i = 0; i < zp->size(); ++i) zero[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(readIndex(*zp, i));
    if (zero.size() > 1) {
      if (!normalizeAxis(axis, static_cast<std::int64_t>(a.rank())) || a.dim(static_cast<std::size_t>(axis)) != zp->size())
        return Status(ErrorCode::InvalidArgument, "zero point " + formatArrayType(*zp) + " does not match " + formatArrayType(a));
      dim = zp->size();
      for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < a.rank(); ++d) inner *= a.dim(d);
    }
  }
  Array out = Array::uninitialized(kInt16, a.shape());
  std::int16_t* o = out.data<std::int16_t>();
  auto fill = [&](const auto* p) {
    if (zero.size() == 1) {
      for (std::int64_t i = 0; i < a.size(); ++i) o[i] = static_cast<std::int16_t>(p[i] - zero[0]);
    } else {
      for (std::int64_t i = 0; i < a.size(); ++i) o[i] = static_cast<std::int16_t>(p[i] - zero[static_cast<std::size_t>((i / inner) % dim)]);
    }
  };
  if (a.dtype() == kUInt8)
    fill(a.data<std::uint8_t>());
  else
    fill(a.data<std::int8_t>());
  return out;
}

Result<Array> integerMatmul(const Array& a0, const Array& b0) {
  Array a = a0, b = b0;
  if (a.rank() == 0 || b.rank() == 0) return Status(ErrorCode::InvalidArgument, "MatMul inputs must have rank >= 1");
  bool aVec = a.rank() == 1, bVec = b.rank() == 1;
  if (aVec) a = a.reshaped({1, a.dim(0)});
  if (bVec) b = b.reshaped({b.dim(0), 1});
  std::int64_t M = a.dim(a.rank() - 2), K = a.dim(a.rank() - 1), N = b.dim(b.rank() - 1);
  if (b.dim(b.rank() - 2) != K)
    return Status(ErrorCode::InvalidArgument, "A " + formatArrayType(a0) + " and B " + formatArrayType(b0) + " do not fit: A has " +
                                                  std::to_string(K) + " columns, B has " + std::to_string(b.dim(b.rank() - 2)) + " rows");
  std::vector<std::int64_t> ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  auto batch = broadcastShapes(ba, bb);
  if (!batch) return Status(ErrorCode::InvalidArgument, "batch dimensions: " + batch.message());
  std::vector<std::int64_t> outShape = batch.value(), full = outShape;
  full.push_back(M);
  full.push_back(N);
  Array out = Array::uninitialized(kInt32, full);
  std::int64_t nb = shapeSize(outShape);
  auto sa = broadcastStrides(ba, outShape), sb = broadcastStrides(bb, outShape);
  for (std::int64_t i = 0; i < nb; ++i) {
    std::int64_t oa = 0, ob = 0, rest = i;
    for (std::size_t d = outShape.size(); d-- > 0;) {
      std::int64_t id = rest % outShape[d];
      rest /= outShape[d];
      oa += id * sa[d];
      ob += id * sb[d];
    }
    integerGemm(M, N, K, a.data<std::int16_t>() + oa * M * K, b.data<std::int16_t>() + ob * K * N, out.data<std::int32_t>() + i * M * N);
  }
  if (aVec) full.erase(full.end() - 2);
  if (bVec) full.pop_back();
  return out.reshaped(full);
}

std::int32_t requantizeValue(std::int32_t acc, float multiplier, std::int32_t zero, std::int32_t lo, std::int32_t hi) {
  // float(acc) * multiplier in float32, then clamp and round half to even, as MLAS does.
  float v = static_cast<float>(acc) * multiplier;
  v = std::min(static_cast<float>(hi - zero), std::max(static_cast<float>(lo - zero), v));
  return static_cast<std::int32_t>(std::nearbyint(v)) + zero;
}

// Rows of a convolution's int32 sums turned into bytes, vectorized (AVX-512/AVX2 clones picked at
// load time): rounding half to even is the 1.5 * 2^23 add and subtract, exact for the clamped
// values here (|v| <= 2^22), so the bits equal requantizeValue's and QuantizeLinear's. No
// contraction into fused multiply-adds (GCC's default for C++, in the AVX-512 clone only), so a
// float bias is added after the product is rounded, on every CPU.
namespace {

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_ROW_LOOP __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#else
#define GRAFT_ROW_LOOP
#endif

inline float roundHalfEven(float v) { return (v + 12582912.0f) - 12582912.0f; }

template <class T>
inline void requantizeRowT(const std::int32_t* __restrict acc, std::int32_t bias, float multiplier, std::int32_t zero, std::int32_t lo,
                           T* __restrict y, std::int64_t n) {
  const float low = static_cast<float>(lo - zero), high = static_cast<float>(std::numeric_limits<T>::max() - zero);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto sum = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc[i]) + static_cast<std::uint32_t>(bias));
    float v = static_cast<float>(sum) * multiplier;
    v = std::min(high, std::max(low, v));
    y[i] = static_cast<T>(static_cast<std::int32_t>(roundHalfEven(v)) + zero);
  }
}

template <class T>
inline void quantizeSumsRowT(const std::int32_t* __restrict acc, float scale, float bias, float yScale, float zero, float lo,
                             T* __restrict y, std::int64_t n) {
  const float hi = static_cast<float>(std::numeric_limits<T>::max());
  for (std::int64_t i = 0; i < n; ++i) {
    float q = (static_cast<float>(acc[i]) * scale + bias) / yScale;
    q = std::min(std::max(q, -4194304.0f), 4194304.0f);
    q = roundHalfEven(q) + zero;
    y[i] = static_cast<T>(std::min(hi, std::max(lo, q)));
  }
}

template <class T>
inline void requantizeChannelsT(const std::int32_t* __restrict acc, const std::int32_t* bias, const float* __restrict multiplier,
                                std::int32_t zero, std::int32_t lo, T* __restrict y, std::int64_t n, std::int64_t pixels) {
  const float low = static_cast<float>(lo - zero), high = static_cast<float>(std::numeric_limits<T>::max() - zero);
  // The bias and multipliers repeated over as many pixels as make 256 values or more: the pixels
  // then go through one flat loop in chunks of that length, which vectorizes even when a pixel has
  // only 16 or 24 channels (MobileNet's), and has no test for a missing bias.
  const std::int64_t reps = std::max<std::int64_t>(1, (256 + n - 1) / n), chunk = reps * n;
  std::vector<std::int32_t> b(static_cast<std::size_t>(chunk));
  std::vector<float> m(static_cast<std::size_t>(chunk));
  for (std::int64_t r = 0; r < reps; ++r)
    for (std::int64_t i = 0; i < n; ++i) {
      b[static_cast<std::size_t>(r * n + i)] = bias ? bias[i] : 0;
      m[static_cast<std::size_t>(r * n + i)] = multiplier[i];
    }
  const std::int32_t* __restrict pb = b.data();
  const float* __restrict pm = m.data();
  const std::int64_t total = pixels * n;
  for (std::int64_t off = 0; off < total; off += chunk) {
    const std::int64_t len = std::min(chunk, total - off);
    const std::int32_t* __restrict a = acc + off;
    T* __restrict out = y + off;
    for (std::int64_t i = 0; i < len; ++i) {
      const auto sum = static_cast<std::int32_t>(static_cast<std::uint32_t>(a[i]) + static_cast<std::uint32_t>(pb[i]));
      float v = static_cast<float>(sum) * pm[i];
      v = std::min(high, std::max(low, v));
      out[i] = static_cast<T>(static_cast<std::int32_t>(roundHalfEven(v)) + zero);
    }
  }
}

GRAFT_ROW_LOOP void requantizeChannelsU8(const std::int32_t* acc, const std::int32_t* bias, const float* m, std::int32_t zero, std::int32_t lo,
                                         std::uint8_t* y, std::int64_t n, std::int64_t pixels) {
  requantizeChannelsT(acc, bias, m, zero, lo, y, n, pixels);
}
GRAFT_ROW_LOOP void requantizeChannelsS8(const std::int32_t* acc, const std::int32_t* bias, const float* m, std::int32_t zero, std::int32_t lo,
                                         std::int8_t* y, std::int64_t n, std::int64_t pixels) {
  requantizeChannelsT(acc, bias, m, zero, lo, y, n, pixels);
}

GRAFT_ROW_LOOP void requantizeRowU8(const std::int32_t* acc, std::int32_t bias, float m, std::int32_t zero, std::int32_t lo, std::uint8_t* y,
                                    std::int64_t n) {
  requantizeRowT(acc, bias, m, zero, lo, y, n);
}
GRAFT_ROW_LOOP void requantizeRowS8(const std::int32_t* acc, std::int32_t bias, float m, std::int32_t zero, std::int32_t lo, std::int8_t* y,
                                    std::int64_t n) {
  requantizeRowT(acc, bias, m, zero, lo, y, n);
}
GRAFT_ROW_LOOP void quantizeSumsRowU8(const std::int32_t* acc, float s, float b, float ys, float zero, float lo, std::uint8_t* y,
                                      std::int64_t n) {
  quantizeSumsRowT(acc, s, b, ys, zero, lo, y, n);
}
GRAFT_ROW_LOOP void quantizeSumsRowS8(const std::int32_t* acc, float s, float b, float ys, float zero, float lo, std::int8_t* y,
                                      std::int64_t n) {
  quantizeSumsRowT(acc, s, b, ys, zero, lo, y, n);
}

}  // namespace

void requantizeRow(const std::int32_t* acc, std::int32_t bias, float multiplier, std::int32_t zero, std::int32_t lo, std::uint8_t* y,
                   std::int64_t n) {
  requantizeRowU8(acc, bias, multiplier, zero, lo, y, n);
}
void requantizeRow(const std::int32_t* acc, std::int32_t bias, float multiplier, std::int32_t zero, std::int32_t lo, std::int8_t* y,
                   std::int64_t n) {
  requantizeRowS8(acc, bias, multiplier, zero, lo, y, n);
}
void requantizeChannels(const std::int32_t* acc, const std::int32_t* bias, const float* multiplier, std::int32_t zero, std::int32_t lo,
                        std::uint8_t* y, std::int64_t channels, std::int64_t pixels) {
  requantizeChannelsU8(acc, bias, multiplier, zero, lo, y, channels, pixels);
}
void requantizeChannels(const std::int32_t* acc, const std::int32_t* bias, const float* multiplier, std::int32_t zero, std::int32_t lo,
                        std::int8_t* y, std::int64_t channels, std::int64_t pixels) {
  requantizeChannelsS8(acc, bias, multiplier, zero, lo, y, channels, pixels);
}
void quantizeSumsRow(const std::int32_t* acc, float scale, float bias, float yScale, float zero, float lo, std::uint8_t* y, std::int64_t n) {
  quantizeSumsRowU8(acc, scale, bias, yScale, zero, lo, y, n);
}
void quantizeSumsRow(const std::int32_t* acc, float scale, float bias, float yScale, float zero, float lo, std::int8_t* y, std::int64_t n) {
  quantizeSumsRowS8(acc, scale, bias, yScale, zero, lo, y, n);
}

}  // namespace graft::eval
