// Float products with a constant right-hand side (a MatMul or Gemm weight) on oneDNN's matmul
// primitive, the weight packed once per Evaluator into the primitive's blocked layout.
#pragma once

#include <cstdint>
#include <memory>

namespace graft::eval {

// Packed weights of one Evaluator, keyed by the weight's address (valid while the model lives).
class PackedMatmulWeights;
std::shared_ptr<PackedMatmulWeights> makePackedMatmulWeights();
// Makes `cache` the one products on this thread use (nullptr: no packing, the caller's sgemm).
class PackedMatmulScope {
 public:
  explicit PackedMatmulScope(std::shared_ptr<PackedMatmulWeights> cache);
  ~PackedMatmulScope();
  PackedMatmulScope(const PackedMatmulScope&) = delete;
  PackedMatmulScope& operator=(const PackedMatmulScope&) = delete;

 private:
  std::shared_ptr<PackedMatmulWeights> previous_;
};

// C[M,N] = A[M,K] * op(B) (+ bias[N] on every row), row-major, where B ([K,N], or [N,K] when
// transB) is one of the evaluator's constants. Split over column slices among the evaluator's
// threads, each slice's weights packed on first use. False when oneDNN is not in use, no cache is
// active, or the library refused (the caller then computes the product itself, bias included).
bool onednnMatmulConstantB(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, const float* B, bool transB,
                           const float* bias, float* C);

// C[M,N] = sum over k of (A[m,k] - aZero) * B[k,n], exactly in int32: A uint8 (int8 with
// aSigned), B a constant int8 [K,N] with a zero point of 0, on oneDNN's int8 matmul (VNNI/AMX
// only, where byte products sum into int32 without saturating; see onednnInt8Available). Sliced and
// packed as the float product. False when not available or refused.
bool onednnInt8MatmulConstantB(std::int64_t M, std::int64_t N, std::int64_t K, const void* A, bool aSigned, std::int32_t aZero,
                               const std::int8_t* B, std::int32_t* C);
// The same product finished in float as each slice is done: Y[m,n] = float(sum) * scale[n]
// (+ bias[n] when bias is not null), without the int32 array in between.
bool onednnInt8MatmulConstantBToFloat(std::int64_t M, std::int64_t N, std::int64_t K, const void* A, bool aSigned, std::int32_t aZero,
                                      const std::int8_t* B, const float* scale, const float* bias, float* Y);

}  // namespace graft::eval
