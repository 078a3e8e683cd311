// The GEMM block kernels gemm() hands to its threads, one build per instruction set
// (gemm_block.inc); gemm() picks the AVX2/FMA build when the CPU has it.
#pragma once

#include <cstdint>

namespace graft::eval {

#define GRAFT_GEMM_BLOCK_DECL(NS)                                                                                          \
  namespace NS {                                                                                                           \
  template <typename T>                                                                                                    \
  void gemmBlock(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C, \
                 bool accumulate, T alpha, std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1);          \
  }
GRAFT_GEMM_BLOCK_DECL(generic)
GRAFT_GEMM_BLOCK_DECL(avx2)
#undef GRAFT_GEMM_BLOCK_DECL

// True when gemm() uses the AVX2/FMA blocks: built in (x86-64 with GCC/Clang) and the CPU has both.
// GRAFT_EVAL_SIMD=generic in the environment forces the baseline blocks (for comparisons).
bool gemmUsesAvx2();

}  // namespace graft::eval
