// GEMM blocks for any x86-64 (or other) CPU: Eigen built for the compiler's default target.
#define GRAFT_GEMM_NS generic
#include "eval/gemm_block.inc"
