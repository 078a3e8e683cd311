// Inside the evaluator: the GEMM and MatMul that several kernel families share (Eigen).
#pragma once

#include <cstdint>

#include "graft/eval.h"
#include "graft/result.h"

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

}  // namespace graft::eval
