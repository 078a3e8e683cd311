// Inside the evaluator: the GEMM and MatMul that several kernel families share (Eigen).
#pragma once

#include <cstdint>

#include "graft/eval.h"
#include "graft/result.h"
#include "eval/onednn.h"

namespace graft::eval {

// C[M,N] = alpha * op(A) * op(B) (+ C when accumulate); row-major, contiguous.
template <typename T>
void gemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C,
          bool accumulate, T alpha);

class Context;
// Conv with the node's attributes (strides, pads, dilations, group, auto_pad); float/double.
Status convolve(Context& ctx, const Array& x, const Array& w, const Array* bias, Array& y);

// numpy matmul semantics (1-D promotion, batch broadcasting).
Result<Array> matmulArrays(const Array& a, const Array& b);

// ---- exact 8-bit integer products (quant_gemm.cpp), as ONNX Runtime computes them

// C[M,N] = A[M,K] * B[K,N] of zero-point-centred values (int16, |v| <= 255), int32 accumulation
// that wraps like ONNX Runtime's.
void integerGemm(std::int64_t M, std::int64_t N, std::int64_t K, const std::int16_t* A, const std::int16_t* B, std::int32_t* C);
bool isByteInteger(const Array& a);
// a - zero point as int16; zp (int8/uint8) holds one value, or one per index along `axis` of a.
Result<Array> centeredInt16(const Array& a, const Array* zp, std::int64_t axis);
// numpy matmul of centred int16 arrays into int32.
Result<Array> integerMatmul(const Array& a, const Array& b);
// acc [.., N] int32 = (A - aZero) x B, exactly, on the kernel library's int8 product: A uint8 or
// int8 [.., K] with one zero point (or none), B a constant 2-D int8 [K, N] whose zero points
// are all 0. False when that does not apply (or the library is not in use; see
// onednnInt8MatmulConstantB); the caller then uses integerMatmul.
bool int8ProductLibrary(const Array& A, const Array* aZero, const Array& B, const Array* bZero, bool bConstant, Array& acc);
// Whether int8ProductLibrary's conditions on its arrays hold (before asking the library).
bool int8ProductApplies(const Array& A, const Array* aZero, const Array& B, const Array* bZero, bool bConstant);
// QuantizeLinear's uint8 loop: y = saturate(round_half_even(x / scale) + zero), NaN to 0.
void quantizeToUint8(const float* x, std::uint8_t* y, std::int64_t n, float scale, float zero);
// DynamicQuantizeLinear's parameters for x, in float32 as the spec's reference and ONNX Runtime
// compute them: the range of x and 0 (NaNs skipped), scale = (max - min) / 255, zero point =
// round_half_even(clamp(-min / scale, 0, 255)); scale 0 (x all zeros) has zero point 0.
struct DynamicQuantization {
  float scale = 0, zero = 0;
};
DynamicQuantization dynamicQuantization(const float* x, std::int64_t n);
// x quantized with those parameters (a scale of 0 divides by 1), on the evaluator's threads.
void dynamicQuantize(const float* x, std::uint8_t* y, std::int64_t n, const DynamicQuantization& q);
// Conv (the node's attributes) of centred int16 x and w into int32 (padding is the zero point: 0).
Status convolveInteger(Context& ctx, const Array& x, const Array& w, Array& y);
// The same int32 sums for 8-bit x (uint8 or int8, one zero point xZero) and int8 w (zero point
// 0, group 1) through the kernel library's int8 convolution, where that is exact (onednn.h);
// false when it does not apply, and the caller uses convolveInteger.
bool convolveInteger8Library(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant, Array& y);
// The 8-bit convolution requantized by the kernel library into bytes (onednnInt8ConvRequantized):
// y = saturate(round(relu?((acc + bias[m]) * scale[m])) + yZero); false when it does not apply.
bool convolveInteger8LibraryRequantized(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant,
                                        const std::vector<float>& scale, const std::vector<float>& bias, std::int32_t yZero,
                                        bool yUnsigned, bool relu, Array& y);
// The same on channels-last bytes (x [N, H, W, C], y [N, OH, OW, M], 2-D only), requantized as
// `q` says (its y is set here); see onednnInt8ConvChannelsLast.
bool convolveInteger8ChannelsLast(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant,
                                  const Int8Requantize& q, Array& y);
// ONNX Runtime's requantization: float(acc) * multiplier in float32 (the multiplier being
// a_scale * b_scale / y_scale, also in float32), rounded half to even, plus the zero point,
// saturated to [lo, hi].
std::int32_t requantizeValue(std::int32_t acc, float multiplier, std::int32_t zero, std::int32_t lo, std::int32_t hi);
// y[i] = requantizeValue(acc[i] + bias (wrapping), multiplier, zero, lo, type max) over a row,
// vectorized; lo above the type's minimum (the zero point) also applies a Relu.
void requantizeRow(const std::int32_t* acc, std::int32_t bias, float multiplier, std::int32_t zero, std::int32_t lo, std::uint8_t* y,
                   std::int64_t n);
void requantizeRow(const std::int32_t* acc, std::int32_t bias, float multiplier, std::int32_t zero, std::int32_t lo, std::int8_t* y,
                   std::int64_t n);
// Channels-last pixels: y[p, m] = requantizeValue(acc[p, m] + bias[m] (wrapping), multiplier[m], zero, lo, type max).
void requantizeChannels(const std::int32_t* acc, const std::int32_t* bias, const float* multiplier, std::int32_t zero, std::int32_t lo,
                        std::uint8_t* y, std::int64_t channels, std::int64_t pixels);
void requantizeChannels(const std::int32_t* acc, const std::int32_t* bias, const float* multiplier, std::int32_t zero, std::int32_t lo,
                        std::int8_t* y, std::int64_t channels, std::int64_t pixels);
// y[i] = QuantizeLinear(float(acc[i]) * scale + bias) with yScale and zero (float32 division,
// half to even, saturated to [lo, type max]) over a row, vectorized.
void quantizeSumsRow(const std::int32_t* acc, float scale, float bias, float yScale, float zero, float lo, std::uint8_t* y, std::int64_t n);
void quantizeSumsRow(const std::int32_t* acc, float scale, float bias, float yScale, float zero, float lo, std::int8_t* y, std::int64_t n);

}  // namespace graft::eval
