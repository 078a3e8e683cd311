// What the evaluator's oneDNN callers share (onednn.cpp, onednn_matmul.cpp): the guard around
// every library call, the one CPU engine, and each thread's stream and reusable buffers.
#pragma once

#if defined(GRAFT_HAVE_ONEDNN)
#include <omp.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <cstdlib>
#include <new>

#include <oneapi/dnnl/dnnl.hpp>

namespace graft::eval {

// Around every library call on this thread: OpenMP team size 1 (restored after, so the host
// program's own OpenMP use on the thread keeps its setting), and denormal floats flushed to zero.
// Softmax over masked scores leaves probabilities around 1e-40 that then enter the next GEMM, and
// each denormal operand costs a microcode assist: without the flush a GPT-style decoder spent 2.4x
// the time in sgemm. The difference in results is below 1e-38 per product.
class LibraryCall {
 public:
  LibraryCall() : previous_(omp_get_max_threads()) {
    if (previous_ != 1) omp_set_num_threads(1);
#if defined(__x86_64__)
    mxcsr_ = _mm_getcsr();
    _mm_setcsr(mxcsr_ | kFlushToZero | kDenormalsAreZero);
#endif
  }
  ~LibraryCall() {
#if defined(__x86_64__)
    _mm_setcsr(mxcsr_);
#endif
    if (previous_ != 1) omp_set_num_threads(previous_);
  }
  LibraryCall(const LibraryCall&) = delete;
  LibraryCall& operator=(const LibraryCall&) = delete;

 private:
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  int previous_;
  unsigned mxcsr_ = 0;
};

dnnl::engine& cpuEngine();

// A growing 64-byte aligned buffer per thread and purpose (blocked activations, weights of a
// non-constant tensor, the primitive's scratchpad): allocated once, not per call. A buffer that
// grew past kKeptScratch for one unusual call is given back after it (trim), so one huge
// convolution does not leave a worker thread holding gigabytes for the rest of the process (the
// model fuzzer's worker stayed at 2 GiB after a Conv padded to a million columns).
inline constexpr std::size_t kKeptScratch = std::size_t(64) << 20;

class Scratch {
 public:
  void* get(std::size_t bytes) {
    if (bytes > capacity_) {
      std::free(data_);
      capacity_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, capacity_);
      if (!data_) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
    }
    return data_;
  }
  void trim() {
    if (capacity_ <= kKeptScratch) return;
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  ~Scratch() { std::free(data_); }

 private:
  void* data_ = nullptr;
  std::size_t capacity_ = 0;
};

struct ThreadBuffers {
  Scratch src, dst, weights, pad;
  dnnl::stream stream{cpuEngine()};
  void trim() {
    for (Scratch* s : {&src, &dst, &weights, &pad}) s->trim();
  }
};
ThreadBuffers& threadBuffers();

}  // namespace graft::eval
#endif
