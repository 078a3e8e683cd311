// oneDNN for float Conv and GEMM (see onednn.h). The library's OpenMP threading is not used:
// every call runs one thread wide (OpenMP's team size set to 1 around it) and the evaluator's own
// pool spreads the work, because OpenMP barriers stall for a whole time slice whenever one of the
// team's threads is descheduled, which on a busy desktop made a 2-thread convolution 50x slower.
#include "eval/onednn.h"
#include "eval/simd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "eval/conv_fusion.h"
#include "eval/gemm_block.h"
#include "eval/kernel.h"
#include "eval/linalg.h"
#include "eval/onednn_internal.h"

namespace graft {
namespace eval {

namespace {

std::atomic<bool> gRequested{true};

bool environmentAllows() {
  static const bool allowed = [] {
    if (const char* k = std::getenv("GRAFT_EVAL_KERNELS"); k && std::string_view(k) == "eigen") return false;
    if (genericSimdRequested()) return false;
    return true;
  }();
  return allowed;
}

}  // namespace

bool onednnBuilt() {
#if defined(GRAFT_HAVE_ONEDNN)
  return true;
#else
  return false;
#endif
}

bool onednnEnabled() { return onednnBuilt() && environmentAllows() && gRequested.load(std::memory_order_relaxed); }

void setOnednnRequested(bool requested) { gRequested.store(requested, std::memory_order_relaxed); }

namespace {
thread_local std::shared_ptr<PackedWeights> tPacked;
}

PackedWeightsScope::PackedWeightsScope(std::shared_ptr<PackedWeights> cache) : previous_(std::move(tPacked)) {
  tPacked = std::move(cache);
}
PackedWeightsScope::~PackedWeightsScope() { tPacked = std::move(previous_); }

#if !defined(GRAFT_HAVE_ONEDNN)

class PackedWeights {};
std::shared_ptr<PackedWeights> makePackedWeights() { return std::make_shared<PackedWeights>(); }


bool onednnSgemm(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t, const float*,
                 std::int64_t, float, float*, std::int64_t) {
  return false;
}

bool onednnConv(const ConvShape&, const float*, const float*, bool, const float*, float*, const Epilogue*) { return false; }

bool onednnBf16MatMul(std::int64_t, std::int64_t, std::int64_t, const float*, const void*, bool,
                      const std::function<void(std::int64_t, std::int64_t, float*)>&, float*) {
  return false;
}

bool onednnInt8Conv(const ConvShape&, bool, const void*, std::int32_t, const std::int8_t*, bool, std::int32_t*) { return false; }
bool onednnInt8ConvRequantized(const ConvShape&, bool, const void*, std::int32_t, const std::int8_t*, bool, const Int8Requantize&) {
  return false;
}
bool onednnInt8ConvChannelsLast(const ConvShape&, bool, const void*, std::int32_t, const std::int8_t*, bool, const Int8Requantize&) {
  return false;
}
bool onednnInt8Available() { return false; }

#else

namespace {
std::string libraryName() {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}
}  // namespace

namespace {

}  // namespace

dnnl::engine& cpuEngine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

ThreadBuffers& threadBuffers() {
  thread_local ThreadBuffers b;
  return b;
}

namespace {

dnnl::memory::dims toDims(const std::vector<std::int64_t>& v) { return dnnl::memory::dims(v.begin(), v.end()); }

// A plain (NC<spatial>-order) descriptor with explicit strides: a channel slice of a larger tensor.
dnnl::memory::desc strided(const dnnl::memory::dims& dims, const dnnl::memory::dims& strides) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

// One output-channel slice of a convolution: its primitive and the reorders between the
// evaluator's plain layout and the layouts the primitive chose.
struct SlicePlan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  dnnl::memory::desc userSrc, userWeights, userDst, bias;
  bool reorderSrc = false, reorderWeights = false, reorderDst = false;
  dnnl::reorder srcToBlocked, weightsToBlocked, blockedToDst;
  dnnl::memory::desc srcPad, weightsPad, dstPad;  // the reorders' scratchpads
};

// Slices of output channels (depthwise: each reads only its own input channels), or of output
// rows (group 1: each reorders only the input rows it reads, where channel slices each
// reordered the whole input, and all share one packed copy of the weights).
struct ConvPlan {
  bool byRows = false;
  std::vector<std::int64_t> begin, size;  // first output channel or row, and how many
  std::vector<std::int64_t> inRow;        // by rows: the first input row each slice reads
  std::vector<std::shared_ptr<SlicePlan>> slices;
};

// An activation the primitive applies as it writes (a oneDNN eltwise post-op).
struct PostOp {
  Epilogue::Activation activation = Epilogue::Activation::None;
  float lo = 0, hi = 0;
};

std::string planKey(const ConvShape& s, bool bias, int threads, const PostOp& post = PostOp{}) {
  std::string k;
  auto add = [&](std::int64_t v) {
    k += std::to_string(v);
    k += ',';
  };
  for (auto v : {s.N, s.C, s.M, s.group, std::int64_t(bias), std::int64_t(threads), std::int64_t(post.activation)}) add(v);
  if (post.activation == Epilogue::Activation::Clip) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, &post.lo, 4);
    std::memcpy(&hi, &post.hi, 4);
    add(lo);
    add(hi);
  }
  for (const auto* vec : {&s.in, &s.kernel, &s.strides, &s.dilations, &s.padBegin, &s.padEnd}) {
    k += '|';
    for (auto v : *vec) add(v);
  }
  return k;
}

// `s` is the whole convolution (its sizes give the strides of the plain tensors), `win` the part
// this slice computes: `channels` output channels of a window of rows (win.in/out/pads).
std::shared_ptr<SlicePlan> makeSlice(const ConvShape& s, const ConvShape& win, bool depthwise, std::int64_t channels, bool bias,
                                     const PostOp& post) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  std::size_t k = s.in.size();
  std::int64_t inSize = 1, outSize = 1, kSize = 1;
  for (std::size_t i = 0; i < k; ++i) {
    inSize *= s.in[i];
    outSize *= s.out[i];
    kSize *= s.kernel[i];
  }
  auto plan = std::make_shared<SlicePlan>();
  std::int64_t srcC = depthwise ? channels : s.C;
  dnnl::memory::dims srcDims{s.N, srcC}, dstDims{s.N, channels}, srcStrides{s.C * inSize, inSize}, dstStrides{s.M * outSize, outSize};
  for (std::size_t i = 0; i < k; ++i) {
    srcDims.push_back(win.in[i]);
    dstDims.push_back(win.out[i]);
  }
  auto inner = [&](const std::vector<std::int64_t>& sp, dnnl::memory::dims& strides) {
    for (std::size_t i = 0; i < k; ++i) {
      std::int64_t st = 1;
      for (std::size_t j = i + 1; j < k; ++j) st *= sp[j];
      strides.push_back(st);
    }
  };
  inner(s.in, srcStrides);
  inner(s.out, dstStrides);
  plan->userSrc = strided(srcDims, srcStrides);
  plan->userDst = strided(dstDims, dstStrides);
  dnnl::memory::dims wDims;
  if (depthwise) {
    wDims = {channels, 1, 1};
  } else {
    wDims = {channels, s.C};
  }
  for (auto v : s.kernel) wDims.push_back(v);
  static const tag plainW[2][3] = {{tag::oiw, tag::oihw, tag::oidhw}, {tag::goiw, tag::goihw, tag::goidhw}};
  plan->userWeights = dnnl::memory::desc(wDims, dt::f32, plainW[depthwise][k - 1]);
  // oneDNN counts dilation from 0 (no gap) where ONNX counts from 1.
  dnnl::memory::dims dil;
  for (auto d : s.dilations) dil.push_back(d - 1);
  dnnl::memory::desc anySrc(srcDims, dt::f32, tag::any), anyDst(dstDims, dt::f32, tag::any), anyW(wDims, dt::f32, tag::any);
  dnnl::memory::desc biasDesc;
  if (bias) biasDesc = dnnl::memory::desc({channels}, dt::f32, tag::x);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (post.activation != Epilogue::Activation::None) {
    dnnl::post_ops ops;
    if (post.activation == Epilogue::Activation::Relu)
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    else
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, post.lo, post.hi);
    attr.set_post_ops(ops);
  }
  auto& eng = cpuEngine();
  auto desc = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, anySrc,
                                                     anyW, biasDesc, anyDst, toDims(s.strides), dil, toDims(win.padBegin),
                                                     toDims(win.padEnd))
                   : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, anySrc,
                                                     anyW, anyDst, toDims(s.strides), dil, toDims(win.padBegin), toDims(win.padEnd));
  plan->pd = dnnl::convolution_forward::primitive_desc(desc, attr, eng);
  // oneDNN's reference implementations are far slower than im2col + GEMM: leave those shapes to Eigen.
  std::string impl = plan->pd.impl_info_str();
  if (impl.rfind("ref", 0) == 0) return nullptr;
  plan->conv = dnnl::convolution_forward(plan->pd);
  plan->bias = biasDesc;
  dnnl::primitive_attr reorderAttr;
  reorderAttr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  plan->reorderSrc = plan->pd.src_desc() != plan->userSrc;
  plan->reorderWeights = plan->pd.weights_desc() != plan->userWeights;
  plan->reorderDst = plan->pd.dst_desc() != plan->userDst;
  auto makeReorder = [&](const dnnl::memory::desc& from, const dnnl::memory::desc& to, dnnl::reorder& r, dnnl::memory::desc& pad) {
    dnnl::reorder::primitive_desc rpd(eng, from, eng, to, reorderAttr);
    r = dnnl::reorder(rpd);
    pad = rpd.scratchpad_desc();
  };
  if (plan->reorderSrc) makeReorder(plan->userSrc, plan->pd.src_desc(), plan->srcToBlocked, plan->srcPad);
  if (plan->reorderWeights) makeReorder(plan->userWeights, plan->pd.weights_desc(), plan->weightsToBlocked, plan->weightsPad);
  if (plan->reorderDst) makeReorder(plan->pd.dst_desc(), plan->userDst, plan->blockedToDst, plan->dstPad);
  return plan;
}

constexpr std::int64_t kMinPackedOutput = 28 * 28;

// Plans by shape: looked up, or made and kept. A long session sees many shapes and each plan
// holds JIT code, so past 256 the cache starts over (plans are cheap to remake).
template <class Plan>
class PlanCache {
 public:
  std::shared_ptr<Plan> find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(key);
    return it == plans_.end() ? nullptr : it->second;
  }
  bool contains(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return plans_.count(key) > 0;
  }
  std::shared_ptr<Plan> keep(const std::string& key, std::shared_ptr<Plan> plan) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (plans_.size() > 256) plans_.clear();
    plans_[key] = plan;
    return plan;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Plan>> plans_;
};

PlanCache<ConvPlan> gPlans;

// Slices of the output's first spatial axis, one per thread: output rows [o0, o1), the first input
// row `from` they read, and the window they run on (its input rows and the padding it still needs
// on either side). Empty when a slice would read padding only.
struct RowWindow {
  std::int64_t o0 = 0, o1 = 0, from = 0;
  ConvShape win;
};

std::vector<RowWindow> rowWindows(const ConvShape& s, int threads) {
  std::vector<RowWindow> out;
  const std::int64_t rows = s.out[0], per = (rows + threads - 1) / threads;
  const std::int64_t reach = (s.kernel[0] - 1) * s.dilations[0] + 1;
  for (std::int64_t o0 = 0; o0 < rows; o0 += per) {
    RowWindow r;
    r.o0 = o0;
    r.o1 = std::min(rows, o0 + per);
    const std::int64_t fromPadded = o0 * s.strides[0] - s.padBegin[0], toPadded = (r.o1 - 1) * s.strides[0] - s.padBegin[0] + reach;
    r.from = std::max<std::int64_t>(0, fromPadded);
    const std::int64_t to = std::min(s.in[0], toPadded);
    if (to <= r.from) return {};
    r.win = s;
    r.win.in[0] = to - r.from;
    r.win.out[0] = r.o1 - o0;
    r.win.padBegin[0] = r.from - fromPadded;
    r.win.padEnd[0] = toPadded - to;
    out.push_back(std::move(r));
  }
  return out;
}

// Adds a row slice to `plan` (its begin, size, inRow and slices) for each window, with one
// primitive per distinct window from `make`; false when `make` has none for one of them.
template <class Plan, class Make>
bool addRowSlices(Plan& plan, const std::vector<RowWindow>& windows, Make make) {
  std::map<std::vector<std::int64_t>, decltype(make(windows.front().win))> byWindow;
  for (const RowWindow& r : windows) {
    auto& slice = byWindow[{r.win.in[0], r.win.out[0], r.win.padBegin[0], r.win.padEnd[0]}];
    if (!slice) slice = make(r.win);
    if (!slice) return false;
    plan.begin.push_back(r.o0);
    plan.size.push_back(r.o1 - r.o0);
    plan.inRow.push_back(r.from);
    plan.slices.push_back(slice);
  }
  return true;
}

// Returns the plan for this shape (nullptr when oneDNN has no fast kernel for it).
std::shared_ptr<ConvPlan> convPlan(const ConvShape& s, bool depthwise, bool bias, int threads, const PostOp& post) {
  std::string key = planKey(s, bias, threads, post);
  if (gPlans.contains(key)) return gPlans.find(key);
  auto plan = std::make_shared<ConvPlan>();
  if (!depthwise && threads > 1 && s.out[0] >= 2 * threads) {
    auto windows = rowWindows(s, threads);
    plan->byRows = !windows.empty();
    if (plan->byRows && !addRowSlices(*plan, windows, [&](const ConvShape& win) { return makeSlice(s, win, false, s.M, bias, post); }))
      plan = nullptr;
  }
  // Slices of whole 16-channel blocks (AVX-512 blocking), one per thread.
  std::int64_t blocks = (s.M + 15) / 16;
  std::int64_t count = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, blocks));
  std::int64_t per = (blocks + count - 1) / count * 16;
  std::map<std::int64_t, std::shared_ptr<SlicePlan>> bySize;
  for (std::int64_t b = 0; plan && !plan->byRows && b < s.M; b += per) {
    std::int64_t n = std::min(per, s.M - b);
    auto& slice = bySize[n];
    if (!slice) slice = makeSlice(s, s, depthwise, n, bias, post);
    if (!slice) {
      plan = nullptr;
      break;
    }
    plan->begin.push_back(b);
    plan->size.push_back(n);
    plan->slices.push_back(slice);
  }
  return gPlans.keep(key, plan);
}

}  // namespace

// Constant weights repacked per slice, keyed by the address of the slice's first weight and the
// packed layout (the same tensor may feed convolutions of different shapes).
class PackedWeights {
 public:
  dnnl::memory find(const void* weights, const dnnl::memory::desc& packed) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto range = map_.equal_range(weights);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second.get_desc() == packed) return it->second;
    return {};
  }
  // Keeps m, or the copy another thread packed meanwhile (row slices of one convolution start at
  // once and all miss on the first run; keeping every copy doubled the packed weights), and
  // returns the one kept.
  // Per output channel, the sum of a constant int8 weight's values (M rows of `perRow`), computed
  // once: a pointwise int8 convolution takes its input's zero point off through it.
  std::shared_ptr<const std::vector<std::int64_t>> rowSums(const std::int8_t* w, std::int64_t M, std::int64_t perRow) {
    const auto key = std::make_tuple(static_cast<const void*>(w), M, perRow);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = sums_.find(key); it != sums_.end()) return it->second;
    }
    auto made = std::make_shared<std::vector<std::int64_t>>(computeRowSums(w, M, perRow));
    std::lock_guard<std::mutex> lock(mutex_);
    return sums_.emplace(key, std::move(made)).first->second;
  }
  static std::vector<std::int64_t> computeRowSums(const std::int8_t* w, std::int64_t M, std::int64_t perRow) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(M), 0);
    for (std::int64_t m = 0; m < M; ++m)
      for (std::int64_t c = 0; c < perRow; ++c) out[static_cast<std::size_t>(m)] += w[m * perRow + c];
    return out;
  }

  dnnl::memory add(const void* weights, dnnl::memory m) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto range = map_.equal_range(weights);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second.get_desc() == m.get_desc()) return it->second;
    map_.emplace(weights, m);
    return m;
  }

 private:
  std::mutex mutex_;
  std::unordered_multimap<const void*, dnnl::memory> map_;
  std::map<std::tuple<const void*, std::int64_t, std::int64_t>, std::shared_ptr<const std::vector<std::int64_t>>> sums_;
};

std::shared_ptr<PackedWeights> makePackedWeights() { return std::make_shared<PackedWeights>(); }

bool onednnSgemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
                 std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  if (!onednnEnabled()) return false;
  LibraryCall call;
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) == dnnl_success;
}

bool onednnConv(const ConvShape& s, const float* x, const float* w, bool weightsConstant, const float* bias, float* y,
                const Epilogue* epilogue) {
  if (!onednnEnabled() || s.in.empty() || s.in.size() > 3) return false;
  bool depthwise = s.group > 1 && s.group == s.C && s.group == s.M;
  if (s.group != 1 && !depthwise) return false;
  // Small outputs (ResNet's last two stages) have the largest weights: packing them too took
  // ResNet-50's peak memory from 141 to 155 MiB above baseline (ONNX Runtime: 152) for 1.5% less
  // CPU time, so those go to im2col + sgemm, which reads the weights where they are.
  std::int64_t outPixels = 1;
  for (auto v : s.out) outPixels *= v;
  if (!depthwise && outPixels < kMinPackedOutput) return false;
  // Padding beyond the (dilated) kernel's reach only adds zeros the kernel never needs, and
  // oneDNN's brgemm convolution builds tables per padded position when its primitive is made:
  // a 3x3 Conv padded by 2^20 columns took 2 GiB there (kept with the cached plan), and 0.1 s
  // and 100 MiB through im2col + GEMM. Real models pad at most by the kernel's extent.
  for (std::size_t i = 0; i < s.in.size(); ++i) {
    const std::int64_t reach = (s.kernel[i] - 1) * s.dilations[i] + 1;
    if (s.padBegin[i] > reach || s.padEnd[i] > reach) return false;
  }
  std::shared_ptr<PackedWeights> cache = weightsConstant ? tPacked : nullptr;
  int threads = threadCount();
  // A lone activation is a post-op of the primitive; after a residual sum it runs in the slice's
  // epilogue loop, while the slice is still in cache.
  PostOp post;
  const float* residual = nullptr;
  if (epilogue && epilogue->residual) {
    residual = epilogue->residual->data<float>();
  } else if (epilogue) {
    post = {epilogue->activation, epilogue->lo, epilogue->hi};
  }
  std::shared_ptr<ConvPlan> plan;
  try {
    LibraryCall call;
    plan = convPlan(s, depthwise, bias != nullptr, threads, post);
  } catch (const dnnl::error&) {
    return false;
  }
  if (!plan) return false;
  std::int64_t kSize = 1, inSize = 1, outSize = 1;
  for (std::size_t i = 0; i < s.in.size(); ++i) {
    kSize *= s.kernel[i];
    inSize *= s.in[i];
    outSize *= s.out[i];
  }
  // The blocked copies and the primitive's scratchpad are memory the evaluator's budget does not
  // see as arrays: a convolution whose working set would not fit what the budget leaves goes to
  // im2col + GEMM, whose buffers are budgeted arrays (and fail with the budget's message).
  std::uint64_t working = 0;
  for (const auto& slice : plan->slices) {
    const SlicePlan& p = *slice;
    std::uint64_t need = p.pd.scratchpad_desc().get_size();
    if (p.reorderSrc) need += p.pd.src_desc().get_size() + p.srcPad.get_size();
    if (p.reorderDst) need += p.pd.dst_desc().get_size() + p.dstPad.get_size();
    if (p.reorderWeights) need += p.pd.weights_desc().get_size() + p.weightsPad.get_size();
    working += need;
  }
  if (liveArrayBytes() + working > evalMemoryBudget()) return false;
  auto& eng = cpuEngine();
  auto runSlice = [&](std::size_t i) {
    LibraryCall call;
    const SlicePlan& p = *plan->slices[i];
    // Channel slices start at output channel c0, row slices at output row r0 (input row inRow).
    std::int64_t c0 = plan->byRows ? 0 : plan->begin[i], r0 = plan->byRows ? plan->begin[i] : 0;
    std::int64_t inRowSize = inSize / s.in[0], outRowSize = outSize / s.out[0];
    ThreadBuffers& tb = threadBuffers();
    const float* srcPtr = plan->byRows ? x + plan->inRow[i] * inRowSize : depthwise ? x + c0 * inSize : x;
    const float* wPtr = w + c0 * (depthwise ? 1 : s.C) * kSize;
    dnnl::memory userSrc(p.userSrc, eng, const_cast<float*>(srcPtr));
    dnnl::memory userDst(p.userDst, eng, y + c0 * outSize + r0 * outRowSize);
    dnnl::memory src = userSrc, dst = userDst, weights;
    auto scratchpad = [&](const dnnl::memory::desc& d) { return dnnl::memory(d, eng, tb.pad.get(std::max<std::size_t>(64, d.get_size()))); };
    if (p.reorderSrc) {
      src = dnnl::memory(p.pd.src_desc(), eng, tb.src.get(p.pd.src_desc().get_size()));
      p.srcToBlocked.execute(tb.stream, {{DNNL_ARG_FROM, userSrc}, {DNNL_ARG_TO, src},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad(p.srcPad)}});
    }
    dnnl::memory userW(p.userWeights, eng, const_cast<float*>(wPtr));
    if (!p.reorderWeights) {
      weights = userW;
    } else if (cache) {
      weights = cache->find(wPtr, p.pd.weights_desc());
      if (!weights) {
        weights = dnnl::memory(p.pd.weights_desc(), eng);
        p.weightsToBlocked.execute(tb.stream, {{DNNL_ARG_FROM, userW}, {DNNL_ARG_TO, weights},
                                               {DNNL_ARG_SCRATCHPAD, scratchpad(p.weightsPad)}});
        weights = cache->add(wPtr, weights);
      }
    } else {
      weights = dnnl::memory(p.pd.weights_desc(), eng, tb.weights.get(p.pd.weights_desc().get_size()));
      p.weightsToBlocked.execute(tb.stream, {{DNNL_ARG_FROM, userW}, {DNNL_ARG_TO, weights},
                                             {DNNL_ARG_SCRATCHPAD, scratchpad(p.weightsPad)}});
    }
    if (p.reorderDst) dst = dnnl::memory(p.pd.dst_desc(), eng, tb.dst.get(p.pd.dst_desc().get_size()));
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst},
                                               {DNNL_ARG_SCRATCHPAD, scratchpad(p.pd.scratchpad_desc())}};
    if (bias) args[DNNL_ARG_BIAS] = dnnl::memory(p.bias, eng, const_cast<float*>(bias + c0));
    p.conv.execute(tb.stream, args);
    if (p.reorderDst)
      p.blockedToDst.execute(tb.stream, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, userDst},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad(p.dstPad)}});
    tb.stream.wait();
    if (residual && plan->byRows) {
      for (std::int64_t plane = 0; plane < s.N * s.M; ++plane) {
        std::int64_t off = plane * outSize + r0 * outRowSize;
        applyEpilogue(*epilogue, y + off, residual + off, plan->size[i] * outRowSize);
      }
    } else if (residual) {
      for (std::int64_t n = 0; n < s.N; ++n) {
        std::int64_t off = (n * s.M + c0) * outSize;
        applyEpilogue(*epilogue, y + off, residual + off, plan->size[i] * outSize);
      }
    }
    tb.trim();
  };
  try {
    parallelFor(static_cast<std::int64_t>(plan->slices.size()), 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) runSlice(static_cast<std::size_t>(i));
    });
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}


// ---------------------------------------------------------------- bf16 matmul (MatMulNBits)

namespace {

// Round to nearest even, as oneDNN's own f32 -> bf16 conversion does (NaN kept a NaN).
inline std::uint16_t toBf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

struct Bf16Plan {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul mm;
};

std::mutex gBf16Mutex;
std::unordered_map<std::string, std::shared_ptr<Bf16Plan>> gBf16Plans;

// The plan for rows of A [Ms, K] times packed weights [K, N] into dense rows of Y [Ms, N]
// (a dense destination: with a strided one oneDNN leaves its AMX kernels for a plain GEMM).
std::shared_ptr<Bf16Plan> bf16Plan(std::int64_t Ms, std::int64_t K, std::int64_t N) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const std::string key = std::to_string(Ms) + "," + std::to_string(K) + "," + std::to_string(N);
  {
    std::lock_guard<std::mutex> lock(gBf16Mutex);
    if (auto it = gBf16Plans.find(key); it != gBf16Plans.end()) return it->second;
  }
  auto plan = std::make_shared<Bf16Plan>();
  dnnl::memory::desc src({Ms, K}, dt::bf16, tag::ab), weights({K, N}, dt::bf16, tag::any), dst({Ms, N}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  plan->pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, cpuEngine());
  // Only oneDNN's bf16 kernels (AMX, AVX512-BF16); where the CPU has neither, the float path is faster.
  const std::string impl = plan->pd.impl_info_str();
  if (impl.find("bf16") == std::string::npos && impl.find("amx") == std::string::npos)
    plan = nullptr;
  else
    plan->mm = dnnl::matmul(plan->pd);
  std::lock_guard<std::mutex> lock(gBf16Mutex);
  if (gBf16Plans.size() > 256) gBf16Plans.clear();
  gBf16Plans[key] = plan;
  return plan;
}

}  // namespace

bool onednnBf16MatMul(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, const void* key, bool constantWeights,
                      const std::function<void(std::int64_t, std::int64_t, float*)>& rows, float* Y) {
  if (!onednnEnabled() || M <= 0 || N <= 0 || K <= 0) return false;
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  // Row slices of A and Y, one per thread, all sharing one packed copy of the weights.
  const std::int64_t count = std::max<std::int64_t>(1, std::min<std::int64_t>(threadCount(), (M + 15) / 16));
  const std::int64_t per = (M + count - 1) / count;
  std::vector<std::shared_ptr<Bf16Plan>> plans;
  auto& eng = cpuEngine();
  try {
    LibraryCall call;
    for (std::int64_t m0 = 0; m0 < M; m0 += per) {
      auto plan = bf16Plan(std::min(per, M - m0), K, N);
      // Slices of different heights must agree on the packed layout, or the weights would be packed twice.
      if (!plan || (!plans.empty() && plan->pd.weights_desc() != plans.front()->pd.weights_desc())) return false;
      plans.push_back(std::move(plan));
    }
  } catch (const dnnl::error&) {
    return false;
  }
  const dnnl::memory::desc packed = plans.front()->pd.weights_desc();
  std::shared_ptr<PackedWeights> cache = constantWeights && key ? tPacked : nullptr;
  dnnl::memory weights = cache ? cache->find(key, packed) : dnnl::memory();
  // The working set: A in bf16, the scratchpads, and unless cached the float rows and their packing.
  std::uint64_t working = static_cast<std::uint64_t>(M * K) * 2;
  for (const auto& p : plans) working += p->pd.scratchpad_desc().get_size();
  if (!weights) working += static_cast<std::uint64_t>(N * K) * sizeof(float) + packed.get_size();
  if (liveArrayBytes() + working > evalMemoryBudget()) return false;
  try {
    if (!weights) {
      std::vector<float> floatRows(static_cast<std::size_t>(N * K));
      parallelFor(N, 16, [&](std::int64_t n0, std::int64_t n1) { rows(n0, n1 - n0, floatRows.data() + n0 * K); });
      LibraryCall call;
      ThreadBuffers& tb = threadBuffers();
      dnnl::memory user(dnnl::memory::desc({K, N}, dt::f32, tag::ba), eng, floatRows.data());
      weights = dnnl::memory(packed, eng);
      dnnl::reorder(user, weights).execute(tb.stream, user, weights);
      tb.stream.wait();
      if (cache) weights = cache->add(key, weights);
    }
    std::vector<std::uint16_t> a16(static_cast<std::size_t>(M * K));
    parallelFor(M * K, 1 << 14, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) a16[static_cast<std::size_t>(i)] = toBf16(A[i]);
    });
    parallelFor(static_cast<std::int64_t>(plans.size()), 1, [&](std::int64_t s0, std::int64_t s1) {
      for (std::int64_t s = s0; s < s1; ++s) {
        LibraryCall call;
        const Bf16Plan& p = *plans[static_cast<std::size_t>(s)];
        const std::int64_t m0 = s * per;
        ThreadBuffers& tb = threadBuffers();
        const dnnl::memory::desc& padDesc = p.pd.scratchpad_desc();
        dnnl::memory pad(padDesc, eng, tb.pad.get(std::max<std::size_t>(64, padDesc.get_size())));
        dnnl::memory src(p.pd.src_desc(), eng, a16.data() + m0 * K), dst(p.pd.dst_desc(), eng, Y + m0 * N);
        p.mm.execute(tb.stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, pad}});
        tb.stream.wait();
        tb.trim();
      }
    });
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}


// ---------------------------------------------------------------- int8 convolution

namespace {

// VNNI and AMX add byte products into int32 directly; AVX-512 and AVX2 without them go through
// 16-bit pair sums that saturate, so their results would depend on the CPU.
bool exactInt8Isa() {
  static const bool exact = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core_vnni || isa == dnnl::cpu_isa::avx512_core_bf16 ||
           isa == dnnl::cpu_isa::avx512_core_amx || isa == dnnl::cpu_isa::avx2_vnni;
  }();
  return exact;
}

}  // namespace

bool onednnInt8Available() { return onednnEnabled() && exactInt8Isa(); }

namespace {

struct Int8Slice {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  dnnl::memory::desc userSrc, userWeights, userDst;
  // Reorders with the caller's scratchpad: slices of one size share these primitives, and a
  // library-held scratchpad would then be written by two threads at once.
  dnnl::reorder srcIn, weightsIn, dstOut;
  dnnl::memory::desc srcPad, weightsPad, dstPad;
};

struct Int8Plan {
  std::vector<std::int64_t> begin;
  std::vector<std::shared_ptr<Int8Slice>> slices;
};

PlanCache<Int8Plan> gInt8Plans;

// out: 0 int32 sums; 1 uint8 / 2 int8 requantized by the library (runtime per-channel scales,
// float bias in accumulator units, a runtime output zero point, a Relu when `relu`).
std::shared_ptr<Int8Slice> makeInt8Slice(const ConvShape& s, bool srcSigned, std::int64_t channels, int out, bool relu,
                                         std::int32_t reluFloor, const float* scales, bool srcZero = true) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const std::size_t k = s.in.size();
  static const tag plainAct[3] = {tag::ncw, tag::nchw, tag::ncdhw}, lastAct[3] = {tag::nwc, tag::nhwc, tag::ndhwc},
                   plainW[3] = {tag::oiw, tag::oihw, tag::oidhw}, groupedW[3] = {tag::goiw, tag::goihw, tag::goidhw};
  std::int64_t outSize = 1;
  for (auto v : s.out) outSize *= v;
  // Grouped (depthwise among them): ONNX's [M, C/G, k...] weights are oneDNN's [G, M/G, C/G, k...].
  const bool grouped = s.group > 1;
  dnnl::memory::dims srcDims{s.N, s.C}, dstDims{s.N, channels},
      wDims = grouped ? dnnl::memory::dims{s.group, channels / s.group, s.C / s.group} : dnnl::memory::dims{channels, s.C};
  for (std::size_t i = 0; i < k; ++i) {
    srcDims.push_back(s.in[i]);
    dstDims.push_back(s.out[i]);
    wDims.push_back(s.kernel[i]);
  }
  const dt srcType = srcSigned ? dt::s8 : dt::u8;
  // Channels last in and out: oneDNN's int8 kernels (AMX, VNNI) want them, and with channels-first
  // activations it falls back to a reference loop hundreds of times slower.
  const dt dstType = out == 0 ? dt::s32 : out == 1 ? dt::u8 : dt::s8;
  dnnl::memory::desc src(srcDims, srcType, lastAct[k - 1]), dst(dstDims, dstType, lastAct[k - 1]),
      weights(wDims, dt::s8, tag::any);
  dnnl::memory::dims dil, strides(s.strides.begin(), s.strides.end()), padL(s.padBegin.begin(), s.padBegin.end()),
      padR(s.padEnd.begin(), s.padEnd.end());
  for (auto d : s.dilations) dil.push_back(d - 1);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  // Without a source zero point (activations after a Relu have none) oneDNN needs no
  // compensation and may pick its brgemm kernels.
  if (srcZero) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::memory::desc bias;
  if (out != 0) {
    // dst = saturate(round(post-ops((acc + bias) * scale))): the library's requantization. The
    // output zero point rides in the bias (bias + zero / scale: adding an integer before rounding
    // is adding it after), because oneDNN 2.6 has no int8 kernel with both zero points; a Relu is
    // then a clip at the zero point. The scales are part of the primitive (its AMX kernels take
    // no runtime scales), so such plans are keyed by them: one per convolution of a model.
    attr.set_output_scales(1 << 1, std::vector<float>(scales, scales + channels));
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, static_cast<float>(reluFloor), out == 1 ? 255.0f : 127.0f);
      attr.set_post_ops(ops);
    }
    bias = dnnl::memory::desc({channels}, dt::f32, tag::x);
  }
  auto slice = std::make_shared<Int8Slice>();
  slice->pd = out == 0 ? dnnl::convolution_forward::primitive_desc(
                             dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                                             weights, dst, strides, dil, padL, padR),
                             attr, cpuEngine())
                       : dnnl::convolution_forward::primitive_desc(
                             dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                                             weights, bias, dst, strides, dil, padL, padR),
                             attr, cpuEngine());
  const std::string impl = slice->pd.impl_info_str();
  if (impl.rfind("ref", 0) == 0) return nullptr;
  slice->conv = dnnl::convolution_forward(slice->pd);
  slice->userSrc = dnnl::memory::desc(srcDims, srcType, plainAct[k - 1]);
  slice->userWeights = dnnl::memory::desc(wDims, dt::s8, grouped ? groupedW[k - 1] : plainW[k - 1]);
  // The slice's channels of the whole NC<spatial> int32 result.
  dnnl::memory::dims dstStrides{s.M * outSize, outSize};
  for (std::size_t i = 0; i < k; ++i) {
    std::int64_t st = 1;
    for (std::size_t j = i + 1; j < k; ++j) st *= s.out[j];
    dstStrides.push_back(st);
  }
  slice->userDst = dnnl::memory::desc(dstDims, dstType, dstStrides);
  dnnl::primitive_attr reorderAttr;
  reorderAttr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto makeReorder = [&](const dnnl::memory::desc& from, const dnnl::memory::desc& to, dnnl::reorder& r, dnnl::memory::desc& pad) {
    dnnl::reorder::primitive_desc rpd(cpuEngine(), from, cpuEngine(), to, reorderAttr);
    r = dnnl::reorder(rpd);
    pad = rpd.scratchpad_desc();
  };
  makeReorder(slice->userSrc, slice->pd.src_desc(), slice->srcIn, slice->srcPad);
  makeReorder(slice->userWeights, slice->pd.weights_desc(), slice->weightsIn, slice->weightsPad);
  makeReorder(slice->pd.dst_desc(), slice->userDst, slice->dstOut, slice->dstPad);
  return slice;
}

std::shared_ptr<Int8Plan> int8Plan(const ConvShape& s, bool srcSigned, int threads, int out, bool relu, std::int32_t reluFloor,
                                   const float* scales) {
  std::string key = planKey(s, srcSigned, threads) + "|" + std::to_string(out) + (relu ? "r" + std::to_string(reluFloor) : "");
  if (scales) key.append(reinterpret_cast<const char*>(scales), static_cast<std::size_t>(s.M) * sizeof(float));
  if (gInt8Plans.contains(key)) return gInt8Plans.find(key);
  auto plan = std::make_shared<Int8Plan>();
  const std::int64_t blocks = (s.M + 15) / 16;
  const std::int64_t count = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, blocks));
  const std::int64_t per = (blocks + count - 1) / count * 16;
  std::map<std::int64_t, std::shared_ptr<Int8Slice>> bySize;
  for (std::int64_t b = 0; b < s.M; b += per) {
    const std::int64_t n = std::min(per, s.M - b);
    // Slices of one size share a primitive unless their scales are part of it.
    auto& slice = bySize[scales ? -1 - b : n];
    if (!slice) slice = makeInt8Slice(s, srcSigned, n, out, relu, reluFloor, scales ? scales + b : nullptr);
    if (!slice) {
      plan = nullptr;
      break;
    }
    plan->begin.push_back(b);
    plan->slices.push_back(slice);
  }
  return gInt8Plans.keep(key, plan);
}

}  // namespace

namespace {

// A slice's weights in the layout its primitive chose: packed once per constant tensor (cache),
// or into this thread's buffer on every call.
dnnl::memory int8Weights(const Int8Slice& p, const std::int8_t* w, PackedWeights* cache, ThreadBuffers& tb) {
  auto& eng = cpuEngine();
  dnnl::memory weights = cache ? cache->find(w, p.pd.weights_desc()) : dnnl::memory();
  if (weights) return weights;
  dnnl::memory userW(p.userWeights, eng, const_cast<std::int8_t*>(w));
  weights = cache ? dnnl::memory(p.pd.weights_desc(), eng) : dnnl::memory(p.pd.weights_desc(), eng, tb.weights.get(p.pd.weights_desc().get_size()));
  dnnl::memory pad(p.weightsPad, eng, tb.pad.get(std::max<std::size_t>(64, p.weightsPad.get_size())));
  p.weightsIn.execute(tb.stream, {{DNNL_ARG_FROM, userW}, {DNNL_ARG_TO, weights}, {DNNL_ARG_SCRATCHPAD, pad}});
  if (cache) weights = cache->add(w, weights);
  return weights;
}

// The library's bias for a requantized convolution: the float bias in accumulator units with the
// output zero point folded in (see makeInt8Slice).
std::vector<float> biasWithZero(const Int8Requantize& q, std::int64_t M) {
  std::vector<float> out(static_cast<std::size_t>(M));
  for (std::int64_t m = 0; m < M; ++m) out[static_cast<std::size_t>(m)] = q.bias[m] + static_cast<float>(q.yZero) / q.scale[m];
  return out;
}

bool int8Reachable(const ConvShape& s, bool groups = false) {
  if (!onednnInt8Available() || s.in.empty() || s.in.size() > 3) return false;
  if (s.group != 1 && (!groups || s.group < 1 || s.C % s.group != 0 || s.M % s.group != 0)) return false;
  // As for float convolutions: padding beyond the kernel's reach makes oneDNN build huge tables.
  for (std::size_t i = 0; i < s.in.size(); ++i) {
    const std::int64_t reach = (s.kernel[i] - 1) * s.dilations[i] + 1;
    if (s.padBegin[i] > reach || s.padEnd[i] > reach) return false;
  }
  return true;
}

// The int8 convolution for both outputs: int32 sums into acc, or (q != nullptr) bytes
// requantized by the library into q->y.
bool runInt8Conv(const ConvShape& s, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w, bool weightsConstant,
                 std::int32_t* acc, const Int8Requantize* q) {
  if (!int8Reachable(s)) return false;
  std::shared_ptr<Int8Plan> plan;
  try {
    LibraryCall call;
    plan = int8Plan(s, srcSigned, threadCount(), q ? (q->yUnsigned ? 1 : 2) : 0, q && q->relu, q ? q->yZero : 0, q ? q->scale : nullptr);
  } catch (const dnnl::error&) {
    return false;
  }
  if (!plan) return false;
  std::int64_t kSize = 1;
  for (auto v : s.kernel) kSize *= v;
  std::uint64_t working = 0;
  for (const auto& slice : plan->slices)
    working += slice->pd.src_desc().get_size() + slice->pd.dst_desc().get_size() + slice->pd.weights_desc().get_size() +
               slice->pd.scratchpad_desc().get_size();
  if (liveArrayBytes() + working > evalMemoryBudget()) return false;
  std::shared_ptr<PackedWeights> cache = weightsConstant ? tPacked : nullptr;
  auto& eng = cpuEngine();
  // x to channels-last once for all slices (they read the same input), on this thread.
  const Int8Slice& first = *plan->slices.front();
  std::vector<std::uint8_t> lastX(first.pd.src_desc().get_size());
  try {
    LibraryCall call;
    ThreadBuffers& tb = threadBuffers();
    dnnl::memory userSrc(first.userSrc, eng, const_cast<void*>(x)), src(first.pd.src_desc(), eng, lastX.data());
    dnnl::memory pad(first.srcPad, eng, tb.pad.get(std::max<std::size_t>(64, first.srcPad.get_size())));
    first.srcIn.execute(tb.stream, {{DNNL_ARG_FROM, userSrc}, {DNNL_ARG_TO, src}, {DNNL_ARG_SCRATCHPAD, pad}});
    tb.stream.wait();
  } catch (const dnnl::error&) {
    return false;
  }
  std::int32_t zero = xZero;
  const std::vector<float> bias = q ? biasWithZero(*q, s.M) : std::vector<float>();
  try {
    parallelFor(static_cast<std::int64_t>(plan->slices.size()), 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        LibraryCall call;
        const Int8Slice& p = *plan->slices[static_cast<std::size_t>(i)];
        const std::int64_t c0 = plan->begin[static_cast<std::size_t>(i)];
        ThreadBuffers& tb = threadBuffers();
        auto scratchpad = [&](const dnnl::memory::desc& d) { return dnnl::memory(d, eng, tb.pad.get(std::max<std::size_t>(64, d.get_size()))); };
        if (p.pd.src_desc() != first.pd.src_desc()) throw dnnl::error(dnnl_invalid_arguments, "slices disagree on the input layout");
        dnnl::memory src(p.pd.src_desc(), eng, lastX.data());
        dnnl::memory weights = int8Weights(p, w + c0 * s.C * kSize, cache.get(), tb);
        dnnl::memory dst(p.pd.dst_desc(), eng, tb.dst.get(p.pd.dst_desc().get_size()));
        dnnl::memory pad = scratchpad(p.pd.scratchpad_desc());
        dnnl::memory zp({{1}, dnnl::memory::data_type::s32, dnnl::memory::format_tag::x}, eng, &zero);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst},
                                                   {DNNL_ARG_SCRATCHPAD, pad}, {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zp}};
        const std::int64_t channels = p.pd.dst_desc().dims()[1];
        if (q) {
          args[DNNL_ARG_BIAS] =
              dnnl::memory({{channels}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x}, eng, const_cast<float*>(bias.data()) + c0);
        }
        p.conv.execute(tb.stream, args);
        std::int64_t outSize = 1;
        for (auto v : s.out) outSize *= v;
        void* outPtr = q ? static_cast<void*>(static_cast<std::uint8_t*>(q->y) + c0 * outSize) : static_cast<void*>(acc + c0 * outSize);
        dnnl::memory out(p.userDst, eng, outPtr);
        p.dstOut.execute(tb.stream, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, out}, {DNNL_ARG_SCRATCHPAD, scratchpad(p.dstPad)}});
        tb.stream.wait();
        tb.trim();
      }
    });
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

}  // namespace

namespace {

// Row slices of a channels-last int8 convolution: each thread's window of output rows, sharing
// the weights (packed once for all windows of the same packed layout).
struct Int8RowPlan {
  std::vector<std::int64_t> begin, size, inRow;
  std::vector<std::shared_ptr<Int8Slice>> slices;
};

PlanCache<Int8RowPlan> gInt8RowPlans;

std::shared_ptr<Int8RowPlan> int8RowPlan(const ConvShape& s, bool srcSigned, bool srcZero, int threads, int out, bool relu,
                                         std::int32_t reluFloor, const float* scales) {
  std::string key = planKey(s, srcSigned, threads) + "|rows" + std::to_string(out) + (srcZero ? "z" : "") +
                    (relu ? "r" + std::to_string(reluFloor) : "");
  if (scales) key.append(reinterpret_cast<const char*>(scales), static_cast<std::size_t>(s.M) * sizeof(float));
  if (gInt8RowPlans.contains(key)) return gInt8RowPlans.find(key);
  ConvShape image = s;
  image.N = 1;
  std::vector<RowWindow> windows;
  if (threads > 1 && s.N < threads && s.out[0] >= 2 * threads) windows = rowWindows(image, threads);
  if (windows.empty()) windows.push_back(RowWindow{0, s.out[0], 0, image});  // whole images, one per thread
  auto plan = std::make_shared<Int8RowPlan>();
  if (!addRowSlices(*plan, windows, [&](const ConvShape& win) { return makeInt8Slice(win, srcSigned, s.M, out, relu, reluFloor, scales, srcZero); }))
    plan = nullptr;
  return gInt8RowPlans.keep(key, plan);
}

}  // namespace

bool onednnInt8ConvChannelsLast(const ConvShape& s, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w,
                                bool weightsConstant, const Int8Requantize& q) {
  if (s.in.size() != 2 || !int8Reachable(s, true)) return false;
  const bool exact = q.multiplier != nullptr;
  // A 1x1 convolution without padding reads no padded input, so its input's zero point can come off
  // through the bias: sum((x - z) * w) = sum(x * w) - z * (sum of the channel's weights). Given to
  // oneDNN instead, a zero point keeps it from its brgemm kernels, on older AMX kernels that query
  // the CPU with cpuid on every call (trapped by a VM). Exact for int32 biases; a float bias in
  // accumulator units takes the same integer (rounded once).
  bool pointwise = xZero != 0;
  for (std::size_t i = 0; pointwise && i < s.kernel.size(); ++i)
    pointwise = s.kernel[i] == 1 && s.padBegin[i] == 0 && s.padEnd[i] == 0;
  std::vector<std::int32_t> foldedInt;
  std::vector<float> foldedFloat;
  const std::int32_t* intBias = q.intBias;
  Int8Requantize folded = q;
  if (pointwise) {
    const std::int64_t perChannel = s.C / s.group;
    const std::shared_ptr<const std::vector<std::int64_t>> sums =
        weightsConstant && tPacked ? tPacked->rowSums(w, s.M, perChannel)
                                   : std::make_shared<const std::vector<std::int64_t>>(PackedWeights::computeRowSums(w, s.M, perChannel));
    for (std::int64_t m = 0; m < s.M; ++m) {
      const std::int64_t sum = (*sums)[static_cast<std::size_t>(m)];
      const auto off = static_cast<std::uint32_t>(static_cast<std::int64_t>(xZero) * sum);
      if (exact)
        foldedInt.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(q.intBias ? q.intBias[m] : 0) - off));
      else
        foldedFloat.push_back(static_cast<float>(static_cast<double>(q.bias[m]) - static_cast<double>(xZero) * static_cast<double>(sum)));
    }
    if (exact)
      intBias = foldedInt.data();
    else
      folded.bias = foldedFloat.data();
    xZero = 0;
  }
  std::shared_ptr<Int8RowPlan> plan;
  try {
    LibraryCall call;
    plan = int8RowPlan(s, srcSigned, xZero != 0, threadCount(), exact ? 0 : q.yUnsigned ? 1 : 2, !exact && q.relu, q.yZero,
                       exact ? nullptr : q.scale);
  } catch (const dnnl::error&) {
    return false;
  }
  if (!plan) return false;
  std::uint64_t working = 0;
  for (const auto& slice : plan->slices)
    working += slice->pd.scratchpad_desc().get_size() + (exact ? slice->pd.dst_desc().get_size() : 0);
  if (liveArrayBytes() + working > evalMemoryBudget()) return false;
  std::shared_ptr<PackedWeights> cache = weightsConstant ? tPacked : nullptr;
  auto& eng = cpuEngine();
  std::int32_t zero = xZero;
  const std::vector<float> bias = exact ? std::vector<float>() : biasWithZero(folded, s.M);
  const std::int64_t inRow = s.in[1] * s.C, outRow = s.out[1] * s.M, inImage = s.in[0] * inRow, outImage = s.out[0] * outRow;
  const std::int64_t windows = static_cast<std::int64_t>(plan->slices.size());
  const std::int32_t lo = q.relu ? q.yZero : q.yUnsigned ? 0 : -128;
  try {
    parallelFor(s.N * windows, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        LibraryCall call;
        const std::int64_t n = i / windows;
        const auto k = static_cast<std::size_t>(i % windows);
        const Int8Slice& p = *plan->slices[k];
        ThreadBuffers& tb = threadBuffers();
        const auto* srcPtr = static_cast<const std::uint8_t*>(x) + n * inImage + plan->inRow[k] * inRow;
        auto* dstPtr = static_cast<std::uint8_t*>(q.y) + n * outImage + plan->begin[k] * outRow;
        dnnl::memory src(p.pd.src_desc(), eng, const_cast<std::uint8_t*>(srcPtr));
        dnnl::memory weights = int8Weights(p, w, cache.get(), tb);
        dnnl::memory dst(p.pd.dst_desc(), eng, exact ? tb.dst.get(p.pd.dst_desc().get_size()) : static_cast<void*>(dstPtr));
        dnnl::memory pad(p.pd.scratchpad_desc(), eng, tb.pad.get(std::max<std::size_t>(64, p.pd.scratchpad_desc().get_size())));
        dnnl::memory zp({{1}, dnnl::memory::data_type::s32, dnnl::memory::format_tag::x}, eng, &zero);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst},
                                                   {DNNL_ARG_SCRATCHPAD, pad}};
        if (zero != 0) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp;
        if (!exact)
          args[DNNL_ARG_BIAS] = dnnl::memory({{s.M}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x}, eng, const_cast<float*>(bias.data()));
        p.conv.execute(tb.stream, args);
        tb.stream.wait();
        if (exact) {
          // The exact sums, pixel by pixel (channels contiguous), requantized as QLinearConv.
          const auto* acc = static_cast<const std::int32_t*>(dst.get_data_handle());
          const std::int64_t pixels = plan->size[k] * s.out[1];
          if (q.yUnsigned)
            requantizeChannels(acc, intBias, q.multiplier, q.yZero, lo, dstPtr, s.M, pixels);
          else
            requantizeChannels(acc, intBias, q.multiplier, q.yZero, lo, reinterpret_cast<std::int8_t*>(dstPtr), s.M, pixels);
        }
        tb.trim();
      }
    });
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

bool onednnInt8Conv(const ConvShape& s, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w, bool weightsConstant,
                    std::int32_t* acc) {
  return runInt8Conv(s, srcSigned, x, xZero, w, weightsConstant, acc, nullptr);
}

bool onednnInt8ConvRequantized(const ConvShape& s, bool srcSigned, const void* x, std::int32_t xZero, const std::int8_t* w,
                               bool weightsConstant, const Int8Requantize& q) {
  return runInt8Conv(s, srcSigned, x, xZero, w, weightsConstant, nullptr, &q);
}
#endif

}  // namespace eval

const char* evalKernelLibrary() {
#if defined(GRAFT_HAVE_ONEDNN)
  static const std::string name = eval::libraryName();
  if (eval::onednnEnabled()) return name.c_str();
#endif
  return eval::gemmUsesAvx2() ? "Eigen (AVX2/FMA)" : "Eigen (baseline x86-64)";
}

}  // namespace graft
