// The float32 row loops transformer models spend their non-GEMM time in (GELU's Erf, Softmax
// over attention scores), compiled for AVX-512 and AVX2 as well as the baseline and picked when
// the program loads (function multi-versioning): the engine is built for baseline x86-64, where
// they run 4 lanes wide. Each clone computes the same bits on every run (the sums are left in
// order), but not the same bits as the others: GCC contracts multiply-adds into fused ones by
// default in C++, which only the AVX-512 clone has, so its results can differ in the last place.
// Compiled without contraction, BERT- and GPT-style models ran 3-5% slower, so it stays.
#include "eval/fast_math.h"

namespace graft::eval {

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_WIDE_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRAFT_WIDE_LOOP
#endif

GRAFT_WIDE_LOOP void erfRow(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = fastErf(x[i]);
}

// 1 / (1 + e^-x) through e = exp(-|x|), which never overflows: 1 / (1 + e) for x >= 0 and
// e / (1 + e) below. NaN stays NaN (fastExp's clamps would turn it into a number).
GRAFT_WIDE_LOOP void sigmoidRow(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float e = fastExp(-std::fabs(v));
    const float s = 1.0f / (1.0f + e);
    y[i] = v != v ? v : v >= 0.0f ? s : e * s;
  }
}

GRAFT_WIDE_LOOP void expShiftRow(const float* x, float shift, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = fastExp(x[i] - shift);
}

GRAFT_WIDE_LOOP void scaleRow(float* y, float s, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = y[i] * s;
}

// Softmax of one row: the maximum in eight lanes (NaNs skipped unless the first element is one,
// as a serial `x > max` scan does), exp(x - max), the sum in four double lanes, the scaling.
GRAFT_WIDE_LOOP void softmaxRow(const float* x, float* y, std::int64_t n) {
  float lane[8];
  for (float& l : lane) l = x[0];
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) lane[l] = x[k + l] > lane[l] ? x[k + l] : lane[l];
  for (; k < n; ++k) lane[0] = x[k] > lane[0] ? x[k] : lane[0];
  float m = lane[0];
  for (int l = 1; l < 8; ++l) m = lane[l] > m ? lane[l] : m;
  for (std::int64_t i = 0; i < n; ++i) y[i] = fastExp(x[i] - m);
  double sum[4] = {0, 0, 0, 0};
  for (k = 0; k + 4 <= n; k += 4)
    for (int l = 0; l < 4; ++l) sum[l] += static_cast<double>(y[k + l]);
  for (; k < n; ++k) sum[0] += static_cast<double>(y[k]);
  float scale = static_cast<float>(1.0 / ((sum[0] + sum[1]) + (sum[2] + sum[3])));
  for (std::int64_t i = 0; i < n; ++i) y[i] = y[i] * scale;
}

GRAFT_WIDE_LOOP void geluRow(const float* x, float* y, std::int64_t n, float c, bool multiplies, bool halfFirst) {
  // One loop per form, so each vectorizes without a select per element.
  if (multiplies && halfFirst)
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] * 0.5f) * (fastErf(x[i] * c) + 1.0f);
  else if (multiplies)
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] * (fastErf(x[i] * c) + 1.0f)) * 0.5f;
  else if (halfFirst)
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] * 0.5f) * (fastErf(x[i] / c) + 1.0f);
  else
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] * (fastErf(x[i] / c) + 1.0f)) * 0.5f;
}

GRAFT_WIDE_LOOP void layerNormRow(const float* x, float* y, std::int64_t n, const float* gamma, const float* beta, double eps) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += static_cast<double>(x[k + l]);
  for (; k < n; ++k) s[0] += static_cast<double>(x[k]);
  double mean = (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) / static_cast<double>(n);
  double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (k = 0; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) {
      double d = static_cast<double>(x[k + l]) - mean;
      v[l] += d * d;
    }
  for (; k < n; ++k) {
    double d = static_cast<double>(x[k]) - mean;
    v[0] += d * d;
  }
  double var = (((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))) / static_cast<double>(n);
  const float m = static_cast<float>(mean), inv = static_cast<float>(1.0 / std::sqrt(var + eps));
  if (gamma && beta)
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * inv * gamma[i] + beta[i];
  else if (gamma)
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * inv * gamma[i];
  else
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * inv;
}

}  // namespace graft::eval
