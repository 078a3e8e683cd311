// Depthwise convolution on NCHW (see depthwise.h). oneDNN's depthwise kernel wants the blocked
// layout, so each call reordered the input there and the output back: three passes over memory
// for work that is one multiply-add per tap. Here each plane is copied once into a zero-padded
// scratch, after which every tap is a multiply-add over an output row that the compiler vectorizes.
#include "eval/depthwise.h"

#include <algorithm>
#include <vector>

#include "eval/conv_fusion.h"
#include "eval/kernel.h"

namespace graft::eval {

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_DEPTHWISE_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRAFT_DEPTHWISE_LOOP
#endif

namespace {

constexpr std::int64_t kMinRow = 28;

struct Plane {
  std::int64_t H, W, OH, OW, KH, KW, SH, SW, PT, PL;
  std::int64_t rows, cols;  // of the zero-padded plane
};

// One channel from its zero-padded plane `q`. The stride is a constant here, so the compiler
// loads every second column with permutes instead of gathers.
template <int SW>
inline __attribute__((always_inline)) void planeRowsImpl(const Plane& p, const float* q, const float* w, float b, float* y) {
  for (std::int64_t oy = 0; oy < p.OH; ++oy) {
    float* out = y + oy * p.OW;
    for (std::int64_t ox = 0; ox < p.OW; ++ox) out[ox] = 0.0f;
    for (std::int64_t i = 0; i < p.KH; ++i) {
      const float* row = q + (oy * p.SH + i) * p.cols;
      for (std::int64_t j = 0; j < p.KW; ++j) {
        const float* in = row + j;
        float wv = w[i * p.KW + j];
        for (std::int64_t ox = 0; ox < p.OW; ++ox) out[ox] = out[ox] + wv * in[SW * ox];
      }
    }
    for (std::int64_t ox = 0; ox < p.OW; ++ox) out[ox] = out[ox] + b;
  }
}

GRAFT_DEPTHWISE_LOOP void planeRows1(const Plane& p, const float* q, const float* w, float b, float* y) {
  planeRowsImpl<1>(p, q, w, b, y);
}
GRAFT_DEPTHWISE_LOOP void planeRows2(const Plane& p, const float* q, const float* w, float b, float* y) {
  planeRowsImpl<2>(p, q, w, b, y);
}

void fillPadded(const Plane& p, const float* x, float* q) {
  for (std::int64_t r = 0; r < p.rows; ++r) {
    float* row = q + r * p.cols;
    std::int64_t src = r - p.PT;
    if (src < 0 || src >= p.H) {
      std::fill(row, row + p.cols, 0.0f);
      continue;
    }
    std::fill(row, row + p.PL, 0.0f);
    std::copy(x + src * p.W, x + (src + 1) * p.W, row + p.PL);
    std::fill(row + p.PL + p.W, row + p.cols, 0.0f);
  }
}

}  // namespace

bool depthwiseConv2d(const ConvShape& s, const float* x, const float* w, const float* bias, float* y, const Epilogue* epilogue) {
  if (s.in.size() != 2 || s.group != s.C || s.group != s.M || s.C <= 1) return false;
  for (std::size_t d = 0; d < 2; ++d)
    if (s.dilations[d] != 1 || s.strides[d] < 1 || s.strides[d] > 2 || s.kernel[d] > 7) return false;
  // Padding past the kernel's reach would only grow the padded scratch (a fuzzed model pads by 2^20).
  for (std::size_t d = 0; d < 2; ++d)
    if (s.padBegin[d] > s.kernel[d] || s.padEnd[d] > s.kernel[d]) return false;
  // Short rows leave most of each vector idle: oneDNN's blocked kernel, 16 channels a vector, wins there.
  if (s.out[1] < kMinRow) return false;
  Plane p{s.in[0], s.in[1], s.out[0], s.out[1], s.kernel[0], s.kernel[1], s.strides[0], s.strides[1], s.padBegin[0], s.padBegin[1], 0, 0};
  // Rows and phase columns the taps reach (beyond the input they are padding, zero).
  p.rows = std::max((p.OH - 1) * p.SH + p.KH, p.H + p.PT);
  p.cols = std::max((p.OW - 1) * p.SW + p.KW, p.W + p.PL);
  std::int64_t planes = s.N * s.C, inSize = p.H * p.W, outSize = p.OH * p.OW;
  const float* residual = epilogue && epilogue->residual ? epilogue->residual->data<float>() : nullptr;
  std::int64_t work = outSize * p.KH * p.KW;
  parallelFor(planes, std::max<std::int64_t>(1, (std::int64_t(1) << 15) / std::max<std::int64_t>(1, work)),
              [&](std::int64_t b, std::int64_t e) {
                thread_local std::vector<float> scratch;
                scratch.resize(static_cast<std::size_t>(p.rows * p.cols));
                for (std::int64_t plane = b; plane < e; ++plane) {
                  std::int64_t c = plane % s.C;
                  fillPadded(p, x + plane * inSize, scratch.data());
                  float* out = y + plane * outSize;
                  (p.SW == 1 ? planeRows1 : planeRows2)(p, scratch.data(), w + c * p.KH * p.KW, bias ? bias[c] : 0.0f, out);
                  if (epilogue) applyEpilogue(*epilogue, out, residual ? residual + plane * outSize : nullptr, outSize);
                }
              });
  return true;
}

}  // namespace graft::eval
