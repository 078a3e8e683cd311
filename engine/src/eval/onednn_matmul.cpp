// oneDNN's matmul primitive for products with a constant weight (see onednn_matmul.h). On the
// transformer shapes (128-197 rows, 256-3072 columns) the primitive on a packed weight ran
// 80-87 GFLOP/s per core where dnnl_sgemm, which packs both operands on every call, ran 55-76.
// Like the rest of the library use (onednn.cpp), every call is one thread wide and the
// evaluator's pool spreads the column slices.
#include "eval/onednn_matmul.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "eval/kernel.h"
#include "eval/onednn.h"
#include "eval/onednn_internal.h"

namespace graft::eval {

namespace {
thread_local std::shared_ptr<PackedMatmulWeights> tCache;
}

PackedMatmulScope::PackedMatmulScope(std::shared_ptr<PackedMatmulWeights> cache) : previous_(std::move(tCache)) {
  tCache = std::move(cache);
}
PackedMatmulScope::~PackedMatmulScope() { tCache = std::move(previous_); }

#if !defined(GRAFT_HAVE_ONEDNN)

class PackedMatmulWeights {};
std::shared_ptr<PackedMatmulWeights> makePackedMatmulWeights() { return std::make_shared<PackedMatmulWeights>(); }
bool onednnMatmulConstantB(std::int64_t, std::int64_t, std::int64_t, const float*, const float*, bool, const float*, float*) {
  return false;
}
bool onednnInt8MatmulConstantB(std::int64_t, std::int64_t, std::int64_t, const void*, bool, std::int32_t, const std::int8_t*,
                               std::int32_t*) {
  return false;
}
bool onednnInt8MatmulConstantBToFloat(std::int64_t, std::int64_t, std::int64_t, const void*, bool, std::int32_t, const std::int8_t*,
                                      const float*, const float*, float*) {
  return false;
}

#else

namespace {

// One slice's primitive: rows M, inner K, columns n of a row-major C with N columns.
struct SlicePrimitive {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  dnnl::memory::desc src, dst, bias;
};

using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

// The element types of a product: float, or 8-bit (uint8 or int8 A, int8 B, exact int32 C; A's
// zero point is never the library's, see int8Product).
enum class Kind { Float, U8, S8 };

std::shared_ptr<SlicePrimitive> makePrimitive(std::int64_t M, std::int64_t K, std::int64_t n, std::int64_t N, bool bias,
                                              Kind kind = Kind::Float) {
  auto p = std::make_shared<SlicePrimitive>();
  const bool int8 = kind != Kind::Float;
  const dt a = kind == Kind::U8 ? dt::u8 : kind == Kind::Float ? dt::f32 : dt::s8;
  p->src = dnnl::memory::desc(dims{M, K}, a, dims{K, 1});
  // 8-bit: a dense slice (with C's row stride oneDNN 2.6 leaves its brgemm kernels for a slower
  // GEMM), copied into C by the caller.
  p->dst = dnnl::memory::desc(dims{M, n}, int8 ? dt::s32 : dt::f32, dims{int8 ? n : N, 1});
  dnnl::memory::desc anyWeights(dims{K, n}, int8 ? dt::s8 : dt::f32, dnnl::memory::format_tag::any);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (bias) {
    p->bias = dnnl::memory::desc(dims{1, n}, dt::f32, dims{n, 1});
    p->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(p->src, anyWeights, p->bias, p->dst), attr, cpuEngine());
  } else {
    p->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(p->src, anyWeights, p->dst), attr, cpuEngine());
  }
  // The reference implementation is far slower than sgemm: leave such shapes to the caller.
  if (std::string(p->pd.impl_info_str()).rfind("ref", 0) == 0) return nullptr;
  p->prim = dnnl::matmul(p->pd);
  return p;
}

}  // namespace

class PackedMatmulWeights {
 public:
  std::mutex mutex;
  // Primitives by shape (rows, inner, slice columns, all columns, bias); few per model, but the
  // rows follow the input's dims, so the map is bounded.
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool, Kind>, std::shared_ptr<SlicePrimitive>> primitives;
  // Packed slices by (weight address, transposed, first column, columns); each in the layouts
  // the primitives asked for (almost always one).
  std::map<std::tuple<const void*, bool, std::int64_t, std::int64_t>, std::vector<dnnl::memory>> packed;
  // Column sums of int8 weight slices, by the same key (see onednnInt8MatmulConstantB).
  std::map<std::tuple<const void*, bool, std::int64_t, std::int64_t>, std::shared_ptr<const std::vector<std::int32_t>>> sums;

  std::shared_ptr<const std::vector<std::int32_t>> columnSums(const std::int8_t* B, std::int64_t n0, std::int64_t n, std::int64_t N, std::int64_t K) {
    auto key = std::make_tuple(static_cast<const void*>(B), false, n0, n);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (auto it = sums.find(key); it != sums.end()) return it->second;
    }
    auto made = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(n), 0);
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t j = 0; j < n; ++j) (*made)[static_cast<std::size_t>(j)] += B[k * N + n0 + j];
    std::lock_guard<std::mutex> lock(mutex);
    return sums.emplace(key, std::move(made)).first->second;
  }

  std::shared_ptr<SlicePrimitive> primitive(std::int64_t M, std::int64_t K, std::int64_t n, std::int64_t N, bool bias, Kind kind = Kind::Float) {
    auto key = std::make_tuple(M, K, n, N, bias, kind);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (auto it = primitives.find(key); it != primitives.end()) return it->second;
    }
    auto p = makePrimitive(M, K, n, N, bias, kind);
    std::lock_guard<std::mutex> lock(mutex);
    if (primitives.size() > 256) primitives.clear();
    primitives[key] = p;
    return p;
  }

  // The slice's weights in `layout`, packed on first use (on the calling thread).
  dnnl::memory weights(const void* B, bool transB, std::int64_t n0, std::int64_t n, std::int64_t N, std::int64_t K,
                       const dnnl::memory::desc& layout) {
    auto key = std::make_tuple(B, transB, n0, n);
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto& m : packed[key])
        if (m.get_desc() == layout) return m;
    }
    ThreadBuffers& ts = threadBuffers();
    const dt type = layout.data_type();
    const std::size_t bytes = type == dt::s8 ? 1 : sizeof(float);
    dnnl::memory::desc user = transB ? dnnl::memory::desc(dims{K, n}, type, dims{1, K}) : dnnl::memory::desc(dims{K, n}, type, dims{N, 1});
    const auto* first = static_cast<const char*>(B) + (transB ? n0 * K : n0) * static_cast<std::int64_t>(bytes);
    dnnl::memory from(user, cpuEngine(), const_cast<char*>(first));
    dnnl::memory to(layout, cpuEngine());
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::reorder::primitive_desc rpd(cpuEngine(), user, cpuEngine(), layout, attr);
    dnnl::memory pad(rpd.scratchpad_desc(), cpuEngine(), ts.pad.get(std::max<std::size_t>(64, rpd.scratchpad_desc().get_size())));
    dnnl::reorder(rpd).execute(ts.stream, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, pad}});
    ts.stream.wait();
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& m : packed[key])  // packed by another thread meanwhile: keep one copy
      if (m.get_desc() == layout) return m;
    packed[key].push_back(to);
    return to;
  }
};

std::shared_ptr<PackedMatmulWeights> makePackedMatmulWeights() { return std::make_shared<PackedMatmulWeights>(); }

namespace {

// C[M,N] (row-major, elements of `cBytes`) = A * B over column slices of whole 64-column blocks:
// one per thread, two per thread when each still has 256 columns or more (a descheduled thread
// then holds back less of the product). `extra` adds a slice's arguments (bias); `after`, if
// set, runs on the slice's columns once they are computed (first column, count).
bool sliced(PackedMatmulWeights& cache, std::int64_t M, std::int64_t N, std::int64_t K, const void* A, const void* B, bool transB, bool bias,
            Kind kind, void* C, std::size_t cBytes,
            const std::function<void(const SlicePrimitive&, std::int64_t, std::unordered_map<int, dnnl::memory>&)>& extra,
            const std::function<void(std::int64_t, std::int64_t, const void*)>& after = {}) {
  int threads = threadCount();
  double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  std::int64_t blocks = (N + 63) / 64;
  std::int64_t want = work < 2e6 ? 1 : (N >= 512 * threads ? 2 * threads : threads);
  std::int64_t count = std::max<std::int64_t>(1, std::min(want, blocks));
  std::int64_t per = (blocks + count - 1) / count * 64;
  count = (N + per - 1) / per;
  try {
    LibraryCall call;
    std::vector<std::shared_ptr<SlicePrimitive>> prims(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t n = std::min(per, N - i * per);
      prims[static_cast<std::size_t>(i)] = cache.primitive(M, K, n, N, bias, kind);
      if (!prims[static_cast<std::size_t>(i)]) return false;
    }
    parallelFor(count, 1, [&](std::int64_t s, std::int64_t e) {
      LibraryCall inner;
      ThreadBuffers& ts = threadBuffers();
      for (std::int64_t i = s; i < e; ++i) {
        const SlicePrimitive& p = *prims[static_cast<std::size_t>(i)];
        std::int64_t n0 = i * per;
        dnnl::memory w = cache.weights(B, transB, n0, std::min(per, N - n0), N, K, p.pd.weights_desc());
        dnnl::memory src(p.src, cpuEngine(), const_cast<void*>(A));
        const bool dense = kind != Kind::Float;
        dnnl::memory dst(p.dst, cpuEngine(),
                         dense ? ts.dst.get(p.dst.get_size()) : static_cast<void*>(static_cast<char*>(C) + n0 * static_cast<std::int64_t>(cBytes)));
        dnnl::memory pad(p.pd.scratchpad_desc(), cpuEngine(), ts.pad.get(std::max<std::size_t>(64, p.pd.scratchpad_desc().get_size())));
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, pad}};
        if (extra) extra(p, n0, args);
        p.prim.execute(ts.stream, args);
        ts.stream.wait();
        if (after) after(n0, std::min(per, N - n0), dense ? dst.get_data_handle() : nullptr);
      }
    });
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

}  // namespace

bool onednnMatmulConstantB(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, const float* B, bool transB,
                           const float* bias, float* C) {
  std::shared_ptr<PackedMatmulWeights> cache = tCache;
  if (!cache || !onednnEnabled() || M <= 0 || N <= 0 || K <= 0) return false;
  return sliced(*cache, M, N, K, A, B, transB, bias != nullptr, Kind::Float, C, sizeof(float),
                [&](const SlicePrimitive& p, std::int64_t n0, std::unordered_map<int, dnnl::memory>& args) {
                  if (bias) args[DNNL_ARG_BIAS] = dnnl::memory(p.bias, cpuEngine(), const_cast<float*>(bias + n0));
                });
}

namespace {

// The exact int8 product, each slice handed to `write` (its int32 sums, dense [M, n], first
// column n0, and per column the amount to take off). A's zero point is not given to the library:
// with one, oneDNN 2.6 leaves its packed brgemm kernels for a GEMM that adds the compensation in a
// scalar loop (12% of a dynamic INT8 BERT's run). The sums without it, minus aZero times each
// column's sum of B (kept with the packed weights), are the same int32 values (wrapping alike).
bool int8Product(std::int64_t M, std::int64_t N, std::int64_t K, const void* A, bool aSigned, std::int32_t aZero, const std::int8_t* B,
                 const std::function<void(const std::int32_t*, std::int64_t, std::int64_t, const std::uint32_t*)>& write) {
  std::shared_ptr<PackedMatmulWeights> cache = tCache;
  if (!cache || !onednnInt8Available() || M <= 0 || N <= 0 || K <= 0) return false;
  return sliced(*cache, M, N, K, A, B, false, false, aSigned ? Kind::S8 : Kind::U8, nullptr, 0, {},
                [&](std::int64_t n0, std::int64_t n, const void* slice) {
                  std::vector<std::uint32_t> correction(static_cast<std::size_t>(n), 0);
                  if (aZero != 0) {
                    auto sums = cache->columnSums(B, n0, n, N, K);
                    for (std::int64_t j = 0; j < n; ++j)
                      correction[static_cast<std::size_t>(j)] = static_cast<std::uint32_t>(aZero) * static_cast<std::uint32_t>((*sums)[static_cast<std::size_t>(j)]);
                  }
                  write(static_cast<const std::int32_t*>(slice), n0, n, correction.data());
                });
}

}  // namespace

bool onednnInt8MatmulConstantB(std::int64_t M, std::int64_t N, std::int64_t K, const void* A, bool aSigned, std::int32_t aZero,
                               const std::int8_t* B, std::int32_t* C) {
  return int8Product(M, N, K, A, aSigned, aZero, B, [&](const std::int32_t* from, std::int64_t n0, std::int64_t n, const std::uint32_t* off) {
    for (std::int64_t m = 0; m < M; ++m) {
      std::int32_t* row = C + m * N + n0;
      const std::int32_t* in = from + m * n;
      for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<std::int32_t>(static_cast<std::uint32_t>(in[j]) - off[j]);
    }
  });
}

namespace {

// Rows of a float result: (sum - off) * scale (+ bias), rounded after the product and after
// the sum as the nodes written out do (no contraction into a fused multiply-add). Compiled for
// AVX-512 and AVX2 as well: at the baseline's four lanes this was a tenth of a dynamically
// quantized ViT's time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#endif
void finishRows(const std::int32_t* __restrict in, const std::uint32_t* __restrict off, const float* __restrict s,
                const float* __restrict b, float* __restrict y, std::int64_t rows, std::int64_t n, std::int64_t stride) {
  for (std::int64_t m = 0; m < rows; ++m) {
    const std::int32_t* __restrict from = in + m * n;
    float* __restrict row = y + m * stride;
    if (b) {
      for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<float>(static_cast<std::int32_t>(static_cast<std::uint32_t>(from[j]) - off[j])) * s[j] + b[j];
    } else {
      for (std::int64_t j = 0; j < n; ++j) row[j] = static_cast<float>(static_cast<std::int32_t>(static_cast<std::uint32_t>(from[j]) - off[j])) * s[j];
    }
  }
}

}  // namespace

bool onednnInt8MatmulConstantBToFloat(std::int64_t M, std::int64_t N, std::int64_t K, const void* A, bool aSigned, std::int32_t aZero,
                                      const std::int8_t* B, const float* scale, const float* bias, float* Y) {
  return int8Product(M, N, K, A, aSigned, aZero, B, [&](const std::int32_t* from, std::int64_t n0, std::int64_t n, const std::uint32_t* off) {
    finishRows(from, off, scale + n0, bias ? bias + n0 : nullptr, Y + n0, M, n, N);
  });
}

#endif

}  // namespace graft::eval
