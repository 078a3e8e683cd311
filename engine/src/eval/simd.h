// What the evaluator's hand-written x86 SIMD loops share: the intrinsics header, and the switch
// (GRAFT_EVAL_SIMD=generic in the environment) that turns every CPU-specific path off, so tests
// and comparisons also reach the baseline blocks and the compiler's clones.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_X86_SIMD 1
// GCC 12's AVX-512 intrinsics start some results from _mm512_undefined_*, which its own
// uninitialized-use warnings then report inside the header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace graft::eval {

// GRAFT_EVAL_SIMD=generic was set (read once).
bool genericSimdRequested();

}  // namespace graft::eval
