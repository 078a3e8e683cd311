// oneDNN behind the evaluator's float Conv and GEMM: the library's JIT kernels (AVX2, AVX-512,
// chosen by the library for the CPU at run time), each call one thread wide inside the evaluator's pool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace graft::eval {

// True when the engine was built with oneDNN (CMake option GRAFT_EVAL_ONEDNN, on when the library is found).
bool onednnBuilt();
// True when this process's runs use oneDNN: built in, not switched off by the last run's
// EvalOptions::referenceKernels, nor by GRAFT_EVAL_KERNELS=eigen or GRAFT_EVAL_SIMD=generic in the
// environment. The Eigen kernels are then the fallback and the second reference.
bool onednnEnabled();
// Set by Evaluator::run from its options (process-wide, like the thread count).
void setOnednnRequested(bool requested);

// C[M,N] = alpha * op(A) * op(B) + beta * C, row-major with leading dimensions; one thread.
// False when oneDNN is not in use or refused the call (the caller then uses Eigen).
bool onednnSgemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                 std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);

// A float convolution in NC<spatial> layout (1-3 spatial dims) as the Conv kernel resolved it.
struct ConvShape {
  std::int64_t N = 0, C = 0, M = 0, group = 1;
  std::vector<std::int64_t> in, kernel, out, strides, dilations, padBegin, padEnd;
};

// Weights repacked into oneDNN's blocked layouts, kept for the life of one Evaluator so each
// constant weight tensor is reordered once (keyed by its address, valid while the model lives).
class PackedWeights;
std::shared_ptr<PackedWeights> makePackedWeights();
// Makes `cache` the one convolutions on this thread use (nullptr: repack on every call).
class PackedWeightsScope {
 public:
  explicit PackedWeightsScope(std::shared_ptr<PackedWeights> cache);
  ~PackedWeightsScope();
  PackedWeightsScope(const PackedWeightsScope&) = delete;
  PackedWeightsScope& operator=(const PackedWeightsScope&) = delete;

 private:
  std::shared_ptr<PackedWeights> previous_;
};

struct Epilogue;  // conv_fusion.h

// y = conv(x, w) + bias through oneDNN's convolution primitives, split over output channels among
// the evaluator's threads. Handles group 1 and depthwise (group == C == M); weightsConstant says
// w may be packed once and cached; `epilogue` (may be null; its residual has y's shape) is applied
// as y is written. False when not handled (the caller uses im2col + GEMM).
bool onednnConv(const ConvShape& shape, const float* x, const float* w, bool weightsConstant, const float* bias, float* y,
                const Epilogue* epilogue = nullptr);

// Y[M,N] = A[M,K] * W^T in bfloat16 with float accumulation (AMX or AVX512-BF16 through oneDNN),
// for MatMulNBits whose accuracy_level allows A to be downcast to bf16 (3 or 4). W [N,K] comes from
// `rows(n0, count, out)`, which writes the float rows n0..n0+count-1 (dequantized weights);
// A and W are rounded to bf16 (nearest even). With `constantWeights` the packed bf16 weights are
// kept in the Evaluator's cache under `key` (the first byte of the quantized weights), so the
// 4-bit weights are dequantized once. False when oneDNN is not in use or has no bf16 kernel here.
bool onednnBf16MatMul(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, const void* key, bool constantWeights,
                      const std::function<void(std::int64_t, std::int64_t, float*)>& rows, float* Y);

// True when onednnInt8Conv and its relatives may run here: oneDNN in use on a CPU that multiplies
// bytes into int32 exactly (VNNI or AMX).
bool onednnInt8Available();

// acc (int32, NC<spatial>) = sum over the window of (x - xZero) * w, exactly: an 8-bit convolution
// (x uint8, or int8 with `srcSigned`; w int8 with a zero point of 0; group 1) on oneDNN's int8
// kernels. Padding counts as xZero (QLinearConv and ConvInteger pad with the zero point). Only
// where the CPU multiplies bytes into int32 without intermediate saturation (VNNI or AMX), so
// the sums equal the exact ones; false otherwise, or when the shape is not handled.
bool onednnInt8Conv(const ConvShape& shape, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w,
                    bool weightsConstant, std::int32_t* acc);

// The same convolution requantized by the library into bytes (NC<spatial>, uint8 or int8):
// y = saturate(round_half_even(relu?((acc + bias[m]) * scale[m])) + yZero), computed in float;
// bias in accumulator units. Not bit-exact with ONNX Runtime's QLinearConv (float rounding of the
// bias and the product differ); for QDQ chains whose as-written form is float anyway.
struct Int8Requantize {
  const float* scale = nullptr;  // per output channel
  const float* bias = nullptr;   // per output channel
  std::int32_t yZero = 0;
  bool yUnsigned = true, relu = false;
  void* y = nullptr;
  // Set for ONNX Runtime's exact QLinearConv requantization instead (channels-last form only):
  // the library's int32 sums, then y = saturate(round_half_even(float(acc + intBias[m]) *
  // multiplier[m]) + yZero) as requantizeValue, not below yZero with `relu`.
  const std::int32_t* intBias = nullptr;
  const float* multiplier = nullptr;
};
bool onednnInt8ConvRequantized(const ConvShape& shape, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w,
                               bool weightsConstant, const Int8Requantize& q);

// The requantized convolution on channels-last bytes, 2-D only: x [N, H, W, C] and q.y
// [N, OH, OW, M] (shape still gives the NCHW dimensions). No layout copies: each thread runs a
// window of output rows that reads its input rows in place. Requantized by the library (q.scale,
// q.bias) or exactly (q.multiplier, q.intBias).
bool onednnInt8ConvChannelsLast(const ConvShape& shape, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w,
                                bool weightsConstant, const Int8Requantize& q);

}  // namespace graft::eval
