// Linear algebra through Eigen (both cores, the evaluator's own thread pool): MatMul, Gemm, Conv (im2col + GEMM),
// ConvTranspose (GEMM + col2im), and Einsum.
#include <algorithm>
#include <atomic>
#include <limits>
#include <map>


#include "eval/depthwise.h"
#include "eval/conv_fusion.h"
#include "eval/kernel.h"
#include "eval/gemm_block.h"
#include "eval/linalg.h"
#include "eval/simd.h"
#include "eval/onednn.h"
#include "eval/onednn_matmul.h"

namespace graft::eval {


namespace {

bool detectAvx2() {
#if defined(GRAFT_EVAL_AVX2_BLOCKS) && (defined(__GNUC__) || defined(__clang__))
  if (genericSimdRequested()) return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace

bool gemmUsesAvx2() {
  static const bool yes = detectAvx2();
  return yes;
}

// C[M,N] = alpha * op(A) * op(B) (+ C), row-major. Large products are cut into blocks of
// rows or columns handed to the threads dynamically: Eigen's own OpenMP GEMM synchronizes
// its threads many times per product, which stalls badly when a core is busy elsewhere.
template <typename T>
void gemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C,
          bool accumulate, T alpha) {
  // op(A) rows [r0, r1) times op(B) columns [c0, c1).
  bool library = std::is_same_v<T, float> && onednnEnabled();
  auto block = [&](std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1) {
    if constexpr (std::is_same_v<T, float>) {
      // Row-major A is [M,K] (or [K,M] when transposed), B is [K,N] (or [N,K]).
      if (library && onednnSgemm(transA, transB, r1 - r0, c1 - c0, K, alpha, transA ? A + r0 : A + r0 * K, transA ? M : K,
                                 transB ? B + c0 * K : B + c0, transB ? K : N, accumulate ? 1.0f : 0.0f, C + r0 * N + c0, N))
        return;
    }
#if defined(GRAFT_EVAL_AVX2_BLOCKS)
    if (gemmUsesAvx2()) return avx2::gemmBlock<T>(transA, transB, M, N, K, A, B, C, accumulate, alpha, r0, r1, c0, c1);
#endif
    generic::gemmBlock<T>(transA, transB, M, N, K, A, B, C, accumulate, alpha, r0, r1, c0, c1);
  };
  int threads = threadCount();
  double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (threads <= 1 || work < 2e6) {
    block(0, M, 0, N);
    return;
  }
  // Blocks of at least 64 rows/columns, about four per thread.
  bool byRows = M >= N;
  std::int64_t len = byRows ? M : N;
  std::int64_t chunks = std::min<std::int64_t>(4 * threads, std::max<std::int64_t>(1, len / 64));
  std::int64_t step = (len + chunks - 1) / chunks;
  parallelFor(chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t i = c0; i < c1; ++i) {
      std::int64_t s = i * step, e = std::min(len, s + step);
      if (s >= e) continue;
      if (byRows)
        block(s, e, 0, N);
      else
        block(0, M, s, e);
    }
  });
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const float*, const float*, float*, bool, float);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const double*, const double*, double*, bool, double);

namespace {

// ---------------------------------------------------------------- MatMul / Gemm

template <typename T>
void naiveGemm(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      T s = 0;
      for (std::int64_t k = 0; k < K; ++k) s = static_cast<T>(s + A[i * K + k] * B[k * N + j]);
      C[i * N + j] = s;
    }
}

}  // namespace

Result<Array> matmulArrays(const Array& a0, const Array& b0) {
  Array a = a0, b = b0;
  if (a.dtype() != b.dtype())
    return Status(ErrorCode::InvalidArgument, std::string("A is ") + dtypeName(a.dtype()) + " but B is " + dtypeName(b.dtype()));
  if (a.rank() == 0 || b.rank() == 0) return Status(ErrorCode::InvalidArgument, "MatMul inputs must have rank >= 1");
  bool aVec = a.rank() == 1, bVec = b.rank() == 1;
  if (aVec) a = a.reshaped({1, a.dim(0)});
  if (bVec) b = b.reshaped({b.dim(0), 1});
  std::int64_t M = a.dim(a.rank() - 2), K = a.dim(a.rank() - 1), K2 = b.dim(b.rank() - 2), N = b.dim(b.rank() - 1);
  if (K != K2)
    return Status(ErrorCode::InvalidArgument, "A " + formatArrayType(a0) + " and B " + formatArrayType(b0) +
                                                  " do not fit: A has " + std::to_string(K) + " columns, B has " + std::to_string(K2) + " rows");
  std::vector<std::int64_t> ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  auto batch = broadcastShapes(ba, bb);
  if (!batch) return Status(ErrorCode::InvalidArgument, "batch dimensions: " + batch.message());
  std::vector<std::int64_t> outShape = batch.value();
  std::int64_t nb = shapeSize(outShape);
  std::vector<std::int64_t> full = outShape;
  full.push_back(M);
  full.push_back(N);
  Array out = Array::uninitialized(a.dtype(), full);
  auto run = [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    // B shared by every batch: one tall GEMM.
    if (b.rank() == 2 && shapeSize(ba) == nb) {
      if constexpr (std::is_floating_point_v<T>)
        gemm<T>(false, false, nb * M, N, K, pa, pb, po, false, T(1));
      else
        naiveGemm<T>(nb * M, N, K, pa, pb, po);
      return Status::ok();
    }
    auto sa = broadcastStrides(ba, outShape), sb = broadcastStrides(bb, outShape);
    auto one = [&](std::int64_t i) {
      std::int64_t oa = 0, ob = 0, rest = i;
      for (std::size_t d = outShape.size(); d-- > 0;) {
        std::int64_t id = rest % outShape[d];
        rest /= outShape[d];
        oa += id * sa[d];
        ob += id * sb[d];
      }
      if constexpr (std::is_floating_point_v<T>)
        gemm<T>(false, false, M, N, K, pa + oa * M * K, pb + ob * K * N, po + i * M * N, false, T(1));
      else
        naiveGemm<T>(M, N, K, pa + oa * M * K, pb + ob * K * N, po + i * M * N);
    };
    // Attention's per-head products are small (gemm keeps them on one thread): share the heads
    // among the threads instead.
    double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    if (nb > 1 && work < 2e6 && threadCount() > 1)
      parallelFor(nb, std::max<std::int64_t>(1, static_cast<std::int64_t>(2e5 / std::max(1.0, work))),
                  [&](std::int64_t b0, std::int64_t b1) {
                    for (std::int64_t i = b0; i < b1; ++i) one(i);
                  });
    else
      for (std::int64_t i = 0; i < nb; ++i) one(i);
    return Status::ok();
  };
  Status s;
  switch (a.dtype()) {
    case kFloat: s = run(float{}); break;
    case kDouble: s = run(double{}); break;
    case kInt32: s = run(std::int32_t{}); break;
    case kInt64: s = run(std::int64_t{}); break;
    case kUInt32: s = run(std::uint32_t{}); break;
    case kUInt64: s = run(std::uint64_t{}); break;
    default: return Status(ErrorCode::Unsupported, std::string("MatMul of ") + dtypeName(a.dtype()) + " is not supported");
  }
  if (!s) return s;
  std::vector<std::int64_t> finalShape = outShape;
  if (!aVec) finalShape.push_back(M);
  if (!bVec) finalShape.push_back(N);
  return out.reshaped(finalShape);
}

namespace {

Status matmulK(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  const Array &a = ctx.input(0), &b = ctx.input(1);
  // A weight: every row of A times the packed constant (transformers' projections and MLPs).
  if (a.dtype() == kFloat && b.dtype() == kFloat && b.rank() == 2 && a.rank() >= 2 && ctx.inputIsConstant(1) &&
      a.dim(a.rank() - 1) == b.dim(0)) {
    std::vector<std::int64_t> shape = a.shape();
    std::int64_t K = shape.back(), N = b.dim(1), M = a.size() / std::max<std::int64_t>(1, K);
    shape.back() = N;
    Array out = Array::uninitialized(kFloat, shape);
    if (onednnMatmulConstantB(M, N, K, a.data<float>(), b.data<float>(), false, nullptr, out.data<float>())) {
      ctx.setOutput(0, out);
      return Status::ok();
    }
  }
  auto r = matmulArrays(a, b);
  if (!r) return ctx.fail(r.message());
  ctx.setOutput(0, r.value());
  return Status::ok();
}

Status gemmK(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  const Array &a = ctx.input(0), &b = ctx.input(1);
  bool ta = ctx.attrInt("transA", 0), tb = ctx.attrInt("transB", 0);
  double alpha = ctx.attrFloat("alpha", 1.0f), beta = ctx.attrFloat("beta", 1.0f);
  if (a.rank() != 2 || b.rank() != 2) return ctx.fail("A " + formatArrayType(a) + " and B " + formatArrayType(b) + " must be 2-D");
  std::int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1);
  std::int64_t K2 = tb ? b.dim(1) : b.dim(0), N = tb ? b.dim(0) : b.dim(1);
  if (K != K2)
    return ctx.fail("A " + formatArrayType(a) + (ta ? " (transposed)" : "") + " and B " + formatArrayType(b) + (tb ? " (transposed)" : "") +
                    " do not fit: inner sizes " + std::to_string(K) + " and " + std::to_string(K2));
  Array out = Array::uninitialized(a.dtype(), {M, N});
  bool haveC = ctx.hasInput(2) && beta != 0;
  if (haveC) {
    auto cs = broadcastShapes(ctx.input(2).shape(), {M, N});
    if (!cs || cs.value() != std::vector<std::int64_t>{M, N})
      return ctx.fail("C " + formatArrayType(ctx.input(2)) + " does not broadcast to [" + std::to_string(M) + "," + std::to_string(N) + "]");
  }
  // A constant weight with at most a bias row: the packed product, bias added by the library.
  if (a.dtype() == kFloat && b.dtype() == kFloat && !ta && alpha == 1.0 && ctx.inputIsConstant(1) &&
      (!haveC || (beta == 1.0 && ctx.input(2).dtype() == kFloat && ctx.input(2).size() == N &&
                  (ctx.input(2).rank() == 1 || (ctx.input(2).rank() == 2 && ctx.input(2).dim(0) == 1))))) {
    if (onednnMatmulConstantB(M, N, K, a.data<float>(), b.data<float>(), tb, haveC ? ctx.input(2).data<float>() : nullptr,
                              out.data<float>())) {
      ctx.setOutput(0, out);
      return Status::ok();
    }
  }
  GRAFT_DISPATCH_FLOAT(a.dtype(), {
    T* o = out.data<T>();
    if (haveC) {
      Array c = expandTo(ctx.input(2), {M, N});
      const T* pc = c.data<T>();
      for (std::int64_t i = 0; i < M * N; ++i) o[i] = static_cast<T>(beta * pc[i]);
    }
    gemm<T>(ta, tb, M, N, K, a.data<T>(), b.data<T>(), o, haveC, static_cast<T>(alpha));
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

// ---------------------------------------------------------------- Conv

struct ConvGeometry {
  std::vector<std::int64_t> in, kernel, out, strides, dilations, padBegin, padEnd;
  std::int64_t inSize = 1, outSize = 1, kernelSize = 1;
};

Status convGeometry(Context& ctx, const std::vector<std::int64_t>& inSpatial, const std::vector<std::int64_t>& kernel,
                    ConvGeometry& g) {
  std::size_t k = inSpatial.size();
  g.in = inSpatial;
  g.kernel = kernel;
  g.strides = ctx.attrInts("strides");
  g.dilations = ctx.attrInts("dilations");
  auto pads = ctx.attrInts("pads");
  if (g.strides.empty()) g.strides.assign(k, 1);
  if (g.dilations.empty()) g.dilations.assign(k, 1);
  if (pads.empty()) pads.assign(2 * k, 0);
  if (g.strides.size() != k || g.dilations.size() != k || pads.size() != 2 * k)
    return ctx.fail("strides/dilations/pads do not match the " + std::to_string(k) + " spatial dimensions");
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  g.padBegin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(k));
  g.padEnd.assign(pads.begin() + static_cast<std::ptrdiff_t>(k), pads.end());
  g.out.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    std::int64_t ek = (kernel[i] - 1) * g.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      g.out[i] = (inSpatial[i] + g.strides[i] - 1) / g.strides[i];
      std::int64_t total = std::max<std::int64_t>(0, (g.out[i] - 1) * g.strides[i] + ek - inSpatial[i]);
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
    } else {
      if (autoPad == "VALID") g.padBegin[i] = g.padEnd[i] = 0;
      g.out[i] = (inSpatial[i] + g.padBegin[i] + g.padEnd[i] - ek) / g.strides[i] + 1;
    }
    if (g.out[i] <= 0)
      return ctx.fail("kernel " + formatShape(kernel) + " does not fit the input spatial size " + formatShape(inSpatial));
    g.inSize *= inSpatial[i];
    g.outSize *= g.out[i];
    g.kernelSize *= kernel[i];
  }
  return Status::ok();
}

// col[(c*kernelSize + kpos), opos] = x[c, ipos] (0 outside).
template <typename T>
void im2col(const T* x, std::int64_t C, const ConvGeometry& g, T* col) {
  std::size_t k = g.in.size();
  if (k == 2) {
    std::int64_t H = g.in[0], W = g.in[1], kh = g.kernel[0], kw = g.kernel[1], oh = g.out[0], ow = g.out[1];
    std::int64_t sh = g.strides[0], sw = g.strides[1], dh = g.dilations[0], dw = g.dilations[1], ph = g.padBegin[0], pw = g.padBegin[1];
    // One channel per chunk when the copy is big enough to share.
    std::int64_t grain = C * kh * kw * oh * ow > (1 << 16) ? 1 : C;
    parallelFor(C, grain, [&](std::int64_t cs, std::int64_t ce) {
    for (std::int64_t c = cs; c < ce; ++c)
      for (std::int64_t i = 0; i < kh; ++i)
        for (std::int64_t j = 0; j < kw; ++j) {
          T* row = col + ((c * kh + i) * kw + j) * oh * ow;
          const T* plane = x + c * H * W;
          for (std::int64_t y = 0; y < oh; ++y) {
            std::int64_t iy = y * sh - ph + i * dh;
            T* r = row + y * ow;
            if (iy < 0 || iy >= H) {
              std::fill(r, r + ow, T(0));
              continue;
            }
            const T* src = plane + iy * W;
            std::int64_t ix = -pw + j * dw;
            if (sw == 1) {
              for (std::int64_t xo = 0; xo < ow; ++xo, ++ix) r[xo] = (ix >= 0 && ix < W) ? src[ix] : T(0);
            } else {
              for (std::int64_t xo = 0; xo < ow; ++xo, ix += sw) r[xo] = (ix >= 0 && ix < W) ? src[ix] : T(0);
            }
          }
        }
    });
    return;
  }
  std::vector<std::int64_t> kidx(k), oidx(k);
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t kp = 0; kp < g.kernelSize; ++kp) {
      std::int64_t rem = kp;
      for (std::size_t d = k; d-- > 0;) {
        kidx[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      T* row = col + (c * g.kernelSize + kp) * g.outSize;
      std::fill(oidx.begin(), oidx.end(), 0);
      for (std::int64_t op = 0; op < g.outSize; ++op) {
        std::int64_t off = 0;
        bool inside = true;
        for (std::size_t d = 0; d < k; ++d) {
          std::int64_t ip = oidx[d] * g.strides[d] - g.padBegin[d] + kidx[d] * g.dilations[d];
          if (ip < 0 || ip >= g.in[d]) {
            inside = false;
            break;
          }
          off = off * g.in[d] + ip;
        }
        row[op] = inside ? x[c * g.inSize + off] : T(0);
        for (std::size_t d = k; d-- > 0;) {
          if (++oidx[d] < g.out[d]) break;
          oidx[d] = 0;
        }
      }
    }
}

// Y[M,P] = W[M,K] X[K,P], plus bias per row and then the epilogue (residual at Y's offsets), on
// oneDNN's sgemm in blocks of about 128 KiB of output, each finished by the thread that computed it
// while it is in cache: as a second pass, bias and activation read a pointwise convolution's whole
// output back from memory. False when oneDNN refused (nothing usable was written).
bool sgemmConvBlocks(std::int64_t M, std::int64_t P, std::int64_t K, const float* W, const float* X, float* Y, const float* bias,
                     const Epilogue* e, const float* residual) {
  std::int64_t threads = threadCount();
  bool single = threads <= 1 || static_cast<double>(M) * static_cast<double>(P) * static_cast<double>(K) < 2e6;
  // Columns (pixels) when there are enough for every thread, else rows (output channels).
  bool byCols = single || P >= 128 * threads;
  std::int64_t len = byCols ? P : M, step = len;
  if (!single) {
    step = byCols ? std::max<std::int64_t>(64, (32768 / std::max<std::int64_t>(1, M)) / 16 * 16)
                  : std::max<std::int64_t>(16, (len + 4 * threads - 1) / (4 * threads));
    step = std::min(step, std::max<std::int64_t>(16, (len + 2 * threads - 1) / (2 * threads)));
  }
  std::int64_t chunks = (len + step - 1) / step;
  std::atomic<bool> refused{false};
  parallelFor(chunks, 1, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1 && !refused; ++b) {
      std::int64_t s = b * step, e1 = std::min(len, s + step);
      std::int64_t r0 = byCols ? 0 : s, r1 = byCols ? M : e1, c0 = byCols ? s : 0, c1 = byCols ? e1 : P;
      if (!onednnSgemm(false, false, r1 - r0, c1 - c0, K, 1.0f, W + r0 * K, K, X + c0, P, 0.0f, Y + r0 * P + c0, P)) {
        refused = true;
        return;
      }
      for (std::int64_t m = r0; m < r1; ++m) {
        float* row = Y + m * P + c0;
        if (bias) {
          float bm = bias[m];
          for (std::int64_t i = 0; i < c1 - c0; ++i) row[i] += bm;
        }
        if (e) applyEpilogue(*e, row, residual ? residual + m * P + c0 : nullptr, c1 - c0);
      }
    }
  });
  return !refused;
}

template <typename T>
Status convTyped(Context& ctx, const Array& x, const Array& w, const Array* bias, Array& y, bool weightsConstant) {
  std::int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0);
  std::int64_t group = ctx.attrInt("group", 1);
  std::vector<std::int64_t> inSpatial(x.shape().begin() + 2, x.shape().end());
  std::vector<std::int64_t> kernel(w.shape().begin() + 2, w.shape().end());
  if (ctx.hasAttr("kernel_shape") && ctx.attrInts("kernel_shape") != kernel)
    return ctx.fail("kernel_shape " + formatShape(ctx.attrInts("kernel_shape")) + " differs from W " + formatArrayType(w));
  if (group <= 0 || C % group || M % group || w.dim(1) * group != C)
    return ctx.fail("input X " + formatArrayType(x) + " has " + std::to_string(C) + " channels but W " + formatArrayType(w) +
                    " expects " + std::to_string(w.dim(1) * group) + " (group " + std::to_string(group) + ")");
  ConvGeometry g;
  if (auto s = convGeometry(ctx, inSpatial, kernel, g); !s) return s;
  std::vector<std::int64_t> outShape{N, M};
  outShape.insert(outShape.end(), g.out.begin(), g.out.end());
  y = Array::uninitialized(x.dtype(), outShape);
  std::int64_t cg = C / group, mg = M / group, kdim = cg * g.kernelSize;
  bool pointwise = g.kernelSize == 1 && std::all_of(g.strides.begin(), g.strides.end(), [](auto s) { return s == 1; }) &&
                   std::all_of(g.padBegin.begin(), g.padBegin.end(), [](auto p) { return p == 0; }) &&
                   std::all_of(g.padEnd.begin(), g.padEnd.end(), [](auto p) { return p == 0; });
  // The Add/Relu/Clip the runner fused into this Conv (float32 only; a residual that would
  // broadcast is left to the Add kernel).
  const Epilogue* epilogue = nullptr;
  if constexpr (std::is_same_v<T, float>) {
    const Epilogue* e = ctx.epilogue();
    if (e && (!e->residual || e->residual->shape() == outShape)) epilogue = e;
    // Pointwise convolutions are one GEMM each (no im2col), which oneDNN's sgemm runs faster
    // than its convolution primitive plus the reorders to and from its blocked layout.
    if (!pointwise && onednnEnabled()) {
      ConvShape shape{N, C, M, group, g.in, g.kernel, g.out, g.strides, g.dilations, g.padBegin, g.padEnd};
      if (group > 1 && group == C && group == M &&
          depthwiseConv2d(shape, x.data<T>(), w.data<T>(), bias ? bias->data<T>() : nullptr, y.data<T>(), epilogue)) {
        if (epilogue) ctx.markEpilogueApplied();
        return Status::ok();
      }
      if (onednnConv(shape, x.data<T>(), w.data<T>(), weightsConstant, bias ? bias->data<T>() : nullptr, y.data<T>(), epilogue)) {
        if (epilogue) ctx.markEpilogueApplied();
        return Status::ok();
      }
    }
  }
  // im2col scratch (an Array so the evaluator's buffer pool recycles it; never zero-filled).
  Array colArray = pointwise ? Array() : Array::uninitialized(x.dtype(), {kdim * g.outSize});
  T* colData = pointwise ? nullptr : colArray.data<T>();
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  const T* pb = bias ? bias->data<T>() : nullptr;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t gi = 0; gi < group; ++gi) {
      const T* xin = px + (n * C + gi * cg) * g.inSize;
      const T* cols = xin;
      if (!pointwise) {
        im2col<T>(xin, cg, g, colData);
        cols = colData;
      }
      std::int64_t off = (n * M + gi * mg) * g.outSize;
      T* yout = py + off;
      const float* residual = epilogue && epilogue->residual ? epilogue->residual->data<float>() + off : nullptr;
      if constexpr (std::is_same_v<T, float>)
        if (onednnEnabled() &&
            sgemmConvBlocks(mg, g.outSize, kdim, pw + gi * mg * kdim, cols, yout, pb ? pb + gi * mg : nullptr, epilogue, residual))
          continue;
      gemm<T>(false, false, mg, g.outSize, kdim, pw + gi * mg * kdim, cols, yout, false, T(1));
      if (!pb && !epilogue) continue;
      // Bias and epilogue row by row, while the row is in cache.
      parallelFor(mg, std::max<std::int64_t>(1, (std::int64_t(1) << 14) / std::max<std::int64_t>(1, g.outSize)),
                  [&](std::int64_t rs, std::int64_t re) {
                    for (std::int64_t m = rs; m < re; ++m) {
                      T* p = yout + m * g.outSize;
                      if (pb) {
                        T b = pb[gi * mg + m];
                        for (std::int64_t i = 0; i < g.outSize; ++i) p[i] += b;
                      }
                      if constexpr (std::is_same_v<T, float>)
                        if (epilogue) applyEpilogue(*epilogue, p, residual ? residual + m * g.outSize : nullptr, g.outSize);
                    }
                  });
    }
  if (epilogue) ctx.markEpilogueApplied();
  return Status::ok();
}

}  // namespace

Status convolveInteger(Context& ctx, const Array& x, const Array& w, Array& y) {
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.fail("input X " + formatArrayType(x) + " and W " + formatArrayType(w) + " must both be N-D with N >= 3");
  std::int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), group = ctx.attrInt("group", 1);
  std::vector<std::int64_t> inSpatial(x.shape().begin() + 2, x.shape().end()), kernel(w.shape().begin() + 2, w.shape().end());
  if (group <= 0 || C % group || M % group || w.dim(1) * group != C)
    return ctx.fail("input X " + formatArrayType(x) + " has " + std::to_string(C) + " channels but W " + formatArrayType(w) +
                    " expects " + std::to_string(w.dim(1) * group) + " (group " + std::to_string(group) + ")");
  ConvGeometry g;
  if (auto s = convGeometry(ctx, inSpatial, kernel, g); !s) return s;
  std::vector<std::int64_t> outShape{N, M};
  outShape.insert(outShape.end(), g.out.begin(), g.out.end());
  y = Array::uninitialized(kInt32, outShape);
  std::int64_t cg = C / group, mg = M / group, kdim = cg * g.kernelSize;
  Array col = Array::uninitialized(kInt16, {kdim * g.outSize});
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t gi = 0; gi < group; ++gi) {
      im2col<std::int16_t>(x.data<std::int16_t>() + (n * C + gi * cg) * g.inSize, cg, g, col.data<std::int16_t>());
      integerGemm(mg, g.outSize, kdim, w.data<std::int16_t>() + gi * mg * kdim, col.data<std::int16_t>(),
                  y.data<std::int32_t>() + (n * M + gi * mg) * g.outSize);
    }
  return Status::ok();
}

namespace {

// The geometry and output shape (NC<spatial>) of an 8-bit group-1 convolution the library may
// take; x's dimensions in NC<spatial> order (xShape).
bool int8ConvShape(Context& ctx, const Array& x, const std::vector<std::int64_t>& xShape, const Array& w, ConvShape& shape,
                   std::vector<std::int64_t>& outShape, bool groups = false) {
  const std::int64_t group = ctx.attrInt("group", 1);
  if (xShape.size() < 3 || xShape.size() > 5 || w.rank() != xShape.size() || w.dtype() != kInt8 || group < 1 || (group != 1 && !groups))
    return false;
  if (x.dtype() != kUInt8 && x.dtype() != kInt8) return false;
  const std::int64_t N = xShape[0], C = xShape[1], M = w.dim(0);
  if (w.dim(1) * group != C || M % group != 0) return false;
  std::vector<std::int64_t> inSpatial(xShape.begin() + 2, xShape.end()), kernel(w.shape().begin() + 2, w.shape().end());
  ConvGeometry g;
  if (!convGeometry(ctx, inSpatial, kernel, g)) return false;
  outShape = {N, M};
  outShape.insert(outShape.end(), g.out.begin(), g.out.end());
  shape = ConvShape{N, C, M, group, g.in, g.kernel, g.out, g.strides, g.dilations, g.padBegin, g.padEnd};
  return true;
}

}  // namespace

bool convolveInteger8Library(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant, Array& y) {
  ConvShape shape;
  std::vector<std::int64_t> outShape;
  if (!int8ConvShape(ctx, x, x.shape(), w, shape, outShape)) return false;
  Array out = Array::uninitialized(kInt32, outShape);
  if (!onednnInt8Conv(shape, x.dtype() == kInt8, x.raw(), xZero, w.data<std::int8_t>(), weightsConstant, out.data<std::int32_t>()))
    return false;
  y = std::move(out);
  return true;
}

bool convolveInteger8LibraryRequantized(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant,
                                        const std::vector<float>& scale, const std::vector<float>& bias, std::int32_t yZero,
                                        bool yUnsigned, bool relu, Array& y) {
  ConvShape shape;
  std::vector<std::int64_t> outShape;
  if (!int8ConvShape(ctx, x, x.shape(), w, shape, outShape)) return false;
  if (static_cast<std::int64_t>(scale.size()) != shape.M || static_cast<std::int64_t>(bias.size()) != shape.M) return false;
  Array out = Array::uninitialized(yUnsigned ? kUInt8 : kInt8, outShape);
  Int8Requantize q;
  q.scale = scale.data();
  q.bias = bias.data();
  q.yZero = yZero;
  q.yUnsigned = yUnsigned;
  q.relu = relu;
  q.y = out.raw();
  if (!onednnInt8ConvRequantized(shape, x.dtype() == kInt8, x.raw(), xZero, w.data<std::int8_t>(), weightsConstant, q)) return false;
  y = std::move(out);
  return true;
}

bool convolveInteger8ChannelsLast(Context& ctx, const Array& x, std::int32_t xZero, const Array& w, bool weightsConstant,
                                  const Int8Requantize& q, Array& y) {
  if (x.rank() != 4) return false;
  ConvShape shape;
  std::vector<std::int64_t> outShape;
  if (!int8ConvShape(ctx, x, {x.dim(0), x.dim(3), x.dim(1), x.dim(2)}, w, shape, outShape, true)) return false;
  Array out = Array::uninitialized(q.yUnsigned ? kUInt8 : kInt8, {outShape[0], outShape[2], outShape[3], outShape[1]});
  Int8Requantize into = q;
  into.y = out.raw();
  if (!onednnInt8ConvChannelsLast(shape, x.dtype() == kInt8, x.raw(), xZero, w.data<std::int8_t>(), weightsConstant, into)) return false;
  y = std::move(out);
  return true;
}

Status convolve(Context& ctx, const Array& x, const Array& w, const Array* bias, Array& y) {
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.fail("input X " + formatArrayType(x) + " and W " + formatArrayType(w) + " must both be N-D with N >= 3");
  if (x.dtype() != w.dtype()) return ctx.fail("X is " + formatArrayType(x) + " but W is " + formatArrayType(w));
  GRAFT_DISPATCH_FLOAT(x.dtype(), return convTyped<T>(ctx, x, w, bias, y, false))
  return Status::ok();
}

namespace {

Status convK(Context& ctx) {
  if (auto s = ctx.require(1, "W"); !s) return s;
  const Array &x = ctx.input(0), &w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.fail("input X " + formatArrayType(x) + " and W " + formatArrayType(w) + " must both be N-D with N >= 3");
  if (x.dtype() != w.dtype()) return ctx.fail("X is " + formatArrayType(x) + " but W is " + formatArrayType(w));
  const Array* bias = ctx.hasInput(2) ? &ctx.input(2) : nullptr;
  if (bias && bias->size() != w.dim(0))
    return ctx.fail("B " + formatArrayType(*bias) + " must have one value per output channel (" + std::to_string(w.dim(0)) + ")");
  Array y;
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    if (auto s = convTyped<T>(ctx, x, w, bias, y, ctx.inputIsConstant(1)); !s) return s;
  })
  ctx.setOutput(0, y);
  return Status::ok();
}

template <typename T>
Status convTransposeTyped(Context& ctx, const Array& x, const Array& w, const Array* bias, Array& y) {
  std::int64_t N = x.dim(0), C = x.dim(1), group = ctx.attrInt("group", 1);
  if (w.dim(0) != C) return ctx.fail("input X " + formatArrayType(x) + " has " + std::to_string(C) + " channels but W " + formatArrayType(w) + " expects " + std::to_string(w.dim(0)));
  if (group < 1 || C % group != 0)
    return ctx.fail("group " + std::to_string(group) + " must divide the " + std::to_string(C) + " input channels");
  std::int64_t mg = w.dim(1), M = mg * group, cg = C / group;
  std::size_t k = x.rank() - 2;
  std::vector<std::int64_t> in(x.shape().begin() + 2, x.shape().end()), kernel(w.shape().begin() + 2, w.shape().end());
  auto strides = ctx.attrInts("strides"), dil = ctx.attrInts("dilations"), pads = ctx.attrInts("pads");
  auto outPad = ctx.attrInts("output_padding"), outShapeAttr = ctx.attrInts("output_shape");
  if (strides.empty()) strides.assign(k, 1);
  if (dil.empty()) dil.assign(k, 1);
  if (outPad.empty()) outPad.assign(k, 0);
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  if (pads.empty()) pads.assign(2 * k, 0);
  std::vector<std::int64_t> out(k);
  if (outShapeAttr.size() > k) outShapeAttr.erase(outShapeAttr.begin(), outShapeAttr.end() - static_cast<std::ptrdiff_t>(k));
  for (std::size_t i = 0; i < k; ++i) {
    std::int64_t ek = (kernel[i] - 1) * dil[i] + 1;
    std::int64_t full = strides[i] * (in[i] - 1) + outPad[i] + ek;
    if (!outShapeAttr.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      out[i] = !outShapeAttr.empty() ? outShapeAttr[i] : in[i] * strides[i];
      std::int64_t total = std::max<std::int64_t>(0, full - out[i]);
      if (autoPad == "SAME_UPPER") {
        pads[i] = total / 2;
        pads[i + k] = total - total / 2;
      } else {
        pads[i] = total - total / 2;
        pads[i + k] = total / 2;
      }
    } else {
      out[i] = full - pads[i] - pads[i + k];
    }
  }
  std::int64_t inSize = shapeSize(in), outSize = shapeSize(out), kSize = shapeSize(kernel);
  std::vector<std::int64_t> yShape{N, M};
  yShape.insert(yShape.end(), out.begin(), out.end());
  y = Array(x.dtype(), yShape);
  Array colArray = Array::uninitialized(x.dtype(), {mg * kSize * inSize});  // GEMM writes all of it
  T* colData = colArray.data<T>();
  std::vector<std::int64_t> kidx(k), iidx(k);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t gi = 0; gi < group; ++gi) {
      // col[mg*kSize, inSize] = W_g^T [mg*kSize, cg] * X_g [cg, inSize]
      gemm<T>(true, false, mg * kSize, inSize, cg, w.data<T>() + gi * cg * mg * kSize, x.data<T>() + (n * C + gi * cg) * inSize,
              colData, false, T(1));
      T* yb = y.data<T>() + (n * M + gi * mg) * outSize;
      for (std::int64_t m = 0; m < mg; ++m)
        for (std::int64_t kp = 0; kp < kSize; ++kp) {
          std::int64_t rem = kp;
          for (std::size_t d = k; d-- > 0;) {
            kidx[d] = rem % kernel[d];
            rem /= kernel[d];
          }
          const T* row = colData + (m * kSize + kp) * inSize;
          std::fill(iidx.begin(), iidx.end(), 0);
          for (std::int64_t ip = 0; ip < inSize; ++ip) {
            std::int64_t off = 0;
            bool inside = true;
            for (std::size_t d = 0; d < k; ++d) {
              std::int64_t o = iidx[d] * strides[d] - pads[d] + kidx[d] * dil[d];
              if (o < 0 || o >= out[d]) {
                inside = false;
                break;
              }
              off = off * out[d] + o;
            }
            if (inside) yb[m * outSize + off] += row[ip];
            for (std::size_t d = k; d-- > 0;) {
              if (++iidx[d] < in[d]) break;
              iidx[d] = 0;
            }
          }
        }
    }
  if (bias)
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t m = 0; m < M; ++m) {
        T* p = y.data<T>() + (n * M + m) * outSize;
        for (std::int64_t i = 0; i < outSize; ++i) p[i] += bias->data<T>()[m];
      }
  return Status::ok();
}

Status convTransposeK(Context& ctx) {
  if (auto s = ctx.require(1, "W"); !s) return s;
  const Array &x = ctx.input(0), &w = ctx.input(1);
  if (x.rank() < 3 || w.rank() != x.rank()) return ctx.fail("X " + formatArrayType(x) + " and W " + formatArrayType(w) + " must both be N-D with N >= 3");
  const Array* bias = ctx.hasInput(2) ? &ctx.input(2) : nullptr;
  Array y;
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    if (auto s = convTransposeTyped<T>(ctx, x, w, bias, y); !s) return s;
  })
  ctx.setOutput(0, y);
  return Status::ok();
}

// ---------------------------------------------------------------- Einsum

// The most operand reads one Einsum may take (see the check in einsumK): some minutes of work.
constexpr std::int64_t kMaxEinsumReads = std::int64_t(1) << 33;

Status einsumK(Context& ctx) {
  std::string eq = ctx.attrString("equation");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  std::string lhs = eq, rhs;
  bool explicitOut = false;
  if (auto p = eq.find("->"); p != std::string::npos) {
    lhs = eq.substr(0, p);
    rhs = eq.substr(p + 2);
    explicitOut = true;
  }
  std::vector<std::string> terms;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= lhs.size(); ++i)
    if (i == lhs.size() || lhs[i] == ',') {
      terms.push_back(lhs.substr(start, i - start));
      start = i + 1;
    }
  if (terms.size() != ctx.inputCount()) return ctx.fail("equation '" + eq + "' names " + std::to_string(terms.size()) + " operands but the node has " + std::to_string(ctx.inputCount()));
  // Ellipsis: replaced by labels outside ASCII, which no equation can use (letters only).
  std::size_t ellRank = 0;
  for (std::size_t t = 0; t < terms.size(); ++t)
    if (terms[t].find("...") != std::string::npos) {
      if (terms[t].size() - 3 > ctx.input(t).rank())
        return ctx.fail("term '" + terms[t] + "' has more labels than operand " + std::to_string(t) + " (" +
                        formatArrayType(ctx.input(t)) + ") has dims");
      ellRank = std::max(ellRank, ctx.input(t).rank() - (terms[t].size() - 3));
    }
  if (ellRank > 100) return ctx.fail("'...' stands for " + std::to_string(ellRank) + " dims; at most 100 are supported");
  std::string ellLabels;
  for (std::size_t i = 0; i < ellRank; ++i) ellLabels += static_cast<char>(0x80 + i);
  for (std::size_t t = 0; t < terms.size(); ++t)
    if (auto p = terms[t].find("..."); p != std::string::npos) {
      std::size_t r = ctx.input(t).rank() - (terms[t].size() - 3);
      terms[t] = terms[t].substr(0, p) + ellLabels.substr(ellRank - r) + terms[t].substr(p + 3);
    }
  std::map<char, std::int64_t> dims;
  std::map<char, int> counts;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    if (terms[t].size() != ctx.input(t).rank())
      return ctx.fail("operand " + std::to_string(t) + " is " + formatArrayType(ctx.input(t)) + " but the equation gives it labels '" + terms[t] + "'");
    for (std::size_t i = 0; i < terms[t].size(); ++i) {
      char c = terms[t][i];
      std::int64_t d = ctx.input(t).dim(i);
      auto it = dims.find(c);
      if (it != dims.end() && it->second != d && it->second != 1 && d != 1) return ctx.fail("label '" + std::string(1, c) + "' has sizes " + std::to_string(it->second) + " and " + std::to_string(d));
      dims[c] = it == dims.end() ? d : std::max(it->second, d);
      counts[c]++;
    }
  }
  if (explicitOut) {
    if (auto p = rhs.find("..."); p != std::string::npos) rhs = rhs.substr(0, p) + ellLabels + rhs.substr(p + 3);
  } else {
    rhs = ellLabels;
    for (auto& [c, n] : counts)
      if (n == 1 && ellLabels.find(c) == std::string::npos) rhs += c;
  }
  std::string sumLabels;
  for (auto& [c, d] : dims)
    if (rhs.find(c) == std::string::npos) sumLabels += c;
  std::string all = rhs + sumLabels;
  std::vector<std::int64_t> allDims;
  for (char c : all) allDims.push_back(dims[c]);
  // Per operand, the stride of each label of `all` (0 when absent or broadcast).
  std::vector<std::vector<std::int64_t>> strides(terms.size(), std::vector<std::int64_t>(all.size(), 0));
  std::vector<std::vector<double>> vals;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    auto cs = contiguousStrides(ctx.input(t).shape());
    for (std::size_t i = 0; i < terms[t].size(); ++i) {
      std::size_t pos = all.find(terms[t][i]);
      if (ctx.input(t).dim(i) != 1) strides[t][pos] += cs[i];
    }
    auto v = arrayToDoubles(ctx.input(t));
    if (!v) return v.status();
    vals.push_back(std::move(v.value()));
  }
  std::vector<std::int64_t> outShape(allDims.begin(), allDims.begin() + static_cast<std::ptrdiff_t>(rhs.size()));
  std::int64_t outN = shapeSize(outShape);
  std::vector<std::int64_t> sumShape(allDims.begin() + static_cast<std::ptrdiff_t>(rhs.size()), allDims.end());
  std::int64_t sumN = shapeSize(sumShape);
  // Every output element sums over every combination of the summed labels, reading each operand
  // once per combination: the work is the product of all label sizes times the operands, which
  // a model makes astronomical with tiny inputs (a run that would not end for hours). Refused
  // beyond a bound a real model does not come near on this kernel.
  const auto terms64 = static_cast<std::int64_t>(terms.size());
  const bool tooMuch = outN > 0 && sumN > 0 &&
                       (outN == std::numeric_limits<std::int64_t>::max() ||
                        sumN == std::numeric_limits<std::int64_t>::max() || sumN > kMaxEinsumReads / outN ||
                        outN * sumN > kMaxEinsumReads / terms64);
  if (tooMuch)
    return ctx.unsupported("equation '" + eq + "' would read its operands more than 2^33 times (" +
                           std::to_string(outN) + " output elements, each a sum of " + std::to_string(sumN) +
                           " products); the evaluator's Einsum stops there");
  Array out = Array::uninitialized(kDouble, outShape);
  std::vector<std::int64_t> idx(all.size(), 0);
  for (std::int64_t o = 0; o < outN; ++o) {
    double acc = 0;
    std::int64_t rem = o;
    for (std::size_t d = rhs.size(); d-- > 0;) {
      idx[d] = rem % allDims[d];
      rem /= allDims[d];
    }
    for (std::int64_t s = 0; s < sumN; ++s) {
      std::int64_t r2 = s;
      for (std::size_t d = all.size(); d-- > rhs.size();) {
        idx[d] = r2 % allDims[d];
        r2 /= allDims[d];
      }
      double prod = 1;
      for (std::size_t t = 0; t < terms.size(); ++t) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < all.size(); ++d) off += idx[d] * strides[t][d];
        prod *= vals[t][static_cast<std::size_t>(off)];
      }
      acc += prod;
    }
    out.data<double>()[o] = acc;
  }
  auto c = castArray(out, ctx.input(0).dtype());
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

}  // namespace

void registerLinalgKernels() {
  registerKernel("", "MatMul", matmulK);
  registerKernel("", "Gemm", gemmK);
  registerKernel("", "Conv", convK);
  registerKernel("", "ConvTranspose", convTransposeK);
  registerKernel("", "Einsum", einsumK);
}

}  // namespace graft::eval
