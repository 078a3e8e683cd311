// GEMM blocks built for AVX2 + FMA (x86-64-v3); engine/CMakeLists.txt compiles only this file
// with -mavx2 -mfma, and gemm() calls it only when the CPU reports both (dispatch in linalg).
//
// Eigen is header-only: its templates, instantiated here with AVX2 code, would otherwise share
// their (weak) symbol names with the baseline instantiations in gemm_block_generic.cpp, and the
// linker would keep one of the two for the whole program. Renaming Eigen's namespace for this file
// keeps the two instantiations apart; after each build, engine/check_avx2_symbols.cmake fails the
// build if this object defines any other weak symbol (say a std:: template Eigen used).
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define Eigen GraftEigenAvx2
#define GRAFT_GEMM_NS avx2
#include "eval/gemm_block.inc"
#endif
