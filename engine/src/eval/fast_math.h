// exp and erf for float32 without branches or library calls, so the kernels' loops over them
// vectorize (GELU's Erf was a tenth of a BERT run through libm's erff). The eval sources are built
// with -fno-trapping-math (engine/CMakeLists.txt): otherwise GCC keeps the clamps as branches.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace graft::eval {

// Denormal results flushed to zero (and denormal inputs read as zero) on this thread while alive:
// softmax over wide rows of spread-out scores scales probabilities around 1e-39 into denormals,
// each costing a microcode assist (ViT-B/16's Softmax took as long as a third of its MatMuls).
// The values lost are below 1.2e-38.
class FlushDenormals {
 public:
#if defined(__x86_64__) && defined(__SSE__)
  FlushDenormals() : saved_(__builtin_ia32_stmxcsr()) { __builtin_ia32_ldmxcsr(saved_ | 0x8040u); }
  ~FlushDenormals() { __builtin_ia32_ldmxcsr(saved_); }
#else
  FlushDenormals() = default;
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
#if defined(__x86_64__) && defined(__SSE__)
  unsigned saved_;
#endif
};

// exp: Cephes' range reduction and polynomial (about 1 ulp over the float range). erf: its Taylor series below 0.5 (error < 1e-9),
// above it 1 - erfc with Numerical Recipes' erfc (relative error < 1.2e-7), so the absolute error
// stays under 2e-7 everywhere (test_eval compares with std::erf).
// Below ln(FLT_MIN) exp returns 0, not a denormal: exp(-inf) of a masked attention score must be
// exactly 0, and denormal probabilities made every later GEMM on them several times slower.
inline float fastExp(float x) {
  bool underflow = x < -87.3365447504f;
  x = std::min(88.3762626647949f, std::max(-87.3365447504f, x));
  // Round to nearest by the 1.5 * 2^23 trick (a library call otherwise, which stops vectorizing).
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return underflow ? 0.0f : p * scale;
}

inline float fastErf(float x) {
  float a = std::fabs(x);
  float a2 = a * a;
  // 2/sqrt(pi) * (a - a^3/3 + a^5/10 - a^7/42 + a^9/216 - a^11/1320 + a^13/9360)
  float s = 1.0f / 9360.0f;
  s = s * a2 - 1.0f / 1320.0f;
  s = s * a2 + 1.0f / 216.0f;
  s = s * a2 - 1.0f / 42.0f;
  s = s * a2 + 1.0f / 10.0f;
  s = s * a2 - 1.0f / 3.0f;
  s = s * a2 + 1.0f;
  float small = 1.1283791670955126f * a * s;
  float t = 1.0f / (1.0f + 0.5f * a);
  float q = 0.17087277f;
  q = q * t - 0.82215223f;
  q = q * t + 1.48851587f;
  q = q * t - 1.13520398f;
  q = q * t + 0.27886807f;
  q = q * t - 0.18628806f;
  q = q * t + 0.09678418f;
  q = q * t + 0.37409196f;
  q = q * t + 1.00002368f;
  q = q * t - 1.26551223f;
  float large = 1.0f - t * fastExp(q - a2);
  float r = a < 0.5f ? small : large;
  r = a != a ? x : r;  // NaN stays NaN
  return std::copysign(r, x);
}

// The same over rows, built for wider instruction sets too (fast_loops.cpp):
// y = erf(x); y = exp(x - shift); y *= s.
void erfRow(const float* x, float* y, std::int64_t n);
// y = sigmoid(x), within a few ulp of libm's 1 / (1 + exp(-x)) (EfficientNet's and SiLU's Sigmoid
// was half of a float EfficientNet run through libm's expf).
void sigmoidRow(const float* x, float* y, std::int64_t n);
void expShiftRow(const float* x, float shift, float* y, std::int64_t n);
void scaleRow(float* y, float s, std::int64_t n);
// y = softmax(x) over one row.
void softmaxRow(const float* x, float* y, std::int64_t n);
// erf GELU in the operations (and roundings) of its exported form: t = x / c (x * c when
// multiplies), a = erf(t) + 1, then (x * a) * 0.5, or (x * 0.5) * a when halfFirst. y may be x.
void geluRow(const float* x, float* y, std::int64_t n, float c, bool multiplies, bool halfFirst);
// LayerNorm of one row: mean and variance summed in double lanes, then
// y = (x - mean) * (1 / sqrt(var + eps)) [* gamma] [+ beta] in float. y may be x.
void layerNormRow(const float* x, float* y, std::int64_t n, const float* gamma, const float* beta, double eps);

}  // namespace graft::eval
