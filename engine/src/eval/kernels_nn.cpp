// Pooling (Max/Average/Lp, global) and resampling (Resize, Upsample) over N-D inputs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

// ---------------------------------------------------------------- pooling

struct PoolGeometry {
  std::vector<std::int64_t> in, kernel, out, strides, dilations, padBegin, padEnd;
};

Status poolGeometry(Context& ctx, const Array& x, PoolGeometry& g) {
  std::size_t k = x.rank() - 2;
  g.in.assign(x.shape().begin() + 2, x.shape().end());
  g.kernel = ctx.attrInts("kernel_shape");
  if (g.kernel.size() != k) return ctx.fail("kernel_shape " + formatShape(g.kernel) + " does not match input " + formatArrayType(x));
  g.strides = ctx.attrInts("strides");
  g.dilations = ctx.attrInts("dilations");
  auto pads = ctx.attrInts("pads");
  if (g.strides.empty()) g.strides.assign(k, 1);
  if (g.dilations.empty()) g.dilations.assign(k, 1);
  if (pads.empty()) pads.assign(2 * k, 0);
  g.padBegin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(k));
  g.padEnd.assign(pads.begin() + static_cast<std::ptrdiff_t>(k), pads.end());
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  bool ceilMode = ctx.attrInt("ceil_mode", 0) != 0;
  g.out.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    std::int64_t ek = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      g.out[i] = (g.in[i] + g.strides[i] - 1) / g.strides[i];
      std::int64_t total = std::max<std::int64_t>(0, (g.out[i] - 1) * g.strides[i] + ek - g.in[i]);
      g.padBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.padEnd[i] = total - g.padBegin[i];
    } else if (autoPad == "VALID") {
      g.padBegin[i] = g.padEnd[i] = 0;
      g.out[i] = (g.in[i] - ek) / g.strides[i] + 1;
      if (ceilMode) g.out[i] = (g.in[i] - ek + g.strides[i] - 1) / g.strides[i] + 1;
    } else {
      std::int64_t span = g.in[i] + g.padBegin[i] + g.padEnd[i] - ek;
      g.out[i] = (ceilMode ? (span + g.strides[i] - 1) / g.strides[i] : span / g.strides[i]) + 1;
      // A window must start inside the input or the leading padding.
      if (ceilMode && (g.out[i] - 1) * g.strides[i] >= g.in[i] + g.padBegin[i]) --g.out[i];
    }
    if (g.out[i] <= 0) return ctx.fail("kernel " + formatShape(g.kernel) + " does not fit input " + formatArrayType(x));
  }
  return Status::ok();
}

enum class Pool { Max, Avg, Lp };

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_POOL_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRAFT_POOL_LOOP
#endif

// 2-D max pooling of one plane in two passes, each a loop over an output row that the compiler
// vectorizes: the maximum over each window's columns for every input row, then over its rows.
// The per-window loop takes a window's first element, then any later one that is greater (in
// row-major order): a NaN counts only as the first element, and of equal values the first wins.
// The passes skip NaNs and keep the first of equals, and a last pass puts back the NaN of windows
// that start with one, so the bits are the same.
struct MaxPlane {
  std::int64_t H, W, OH, OW, KH, KW, SH, SW, PT, PL;
};

template <int SW>
inline __attribute__((always_inline)) void maxPlaneImpl(const MaxPlane& g, const float* x, float* tmp, float* y) {
  // Outputs whose column window lies inside the row: [lo, hi).
  std::int64_t lo = std::min(g.OW, (g.PL + SW - 1) / SW);
  std::int64_t hi = std::max(lo, std::min(g.OW, g.W - g.KW + g.PL >= 0 ? (g.W - g.KW + g.PL) / SW + 1 : 0));
  for (std::int64_t h = 0; h < g.H; ++h) {
    const float* r = x + h * g.W;
    float* t = tmp + h * g.OW;
    for (std::int64_t ow = 0; ow < g.OW; ++ow) {
      if (ow == lo) ow = hi;
      if (ow >= g.OW) break;
      std::int64_t w0 = ow * SW - g.PL, ws = std::max<std::int64_t>(w0, 0), we = std::min(w0 + g.KW, g.W);
      float m = r[ws];
      for (std::int64_t w = ws + 1; w < we; ++w) m = r[w] > m || m != m ? r[w] : m;
      t[ow] = m;
    }
    for (std::int64_t j = 0; j < g.KW; ++j) {
      const float* c = r + j - g.PL;
      if (j == 0)
        for (std::int64_t ow = lo; ow < hi; ++ow) t[ow] = c[ow * SW];
      else
        for (std::int64_t ow = lo; ow < hi; ++ow) t[ow] = c[ow * SW] > t[ow] || t[ow] != t[ow] ? c[ow * SW] : t[ow];
    }
  }
  for (std::int64_t oh = 0; oh < g.OH; ++oh) {
    std::int64_t h0 = oh * g.SH - g.PT, hs = std::max<std::int64_t>(h0, 0), he = std::min(h0 + g.KH, g.H);
    float* out = y + oh * g.OW;
    const float* first = tmp + hs * g.OW;
    for (std::int64_t ow = 0; ow < g.OW; ++ow) out[ow] = first[ow];
    for (std::int64_t h = hs + 1; h < he; ++h) {
      const float* t = tmp + h * g.OW;
      for (std::int64_t ow = 0; ow < g.OW; ++ow) out[ow] = t[ow] > out[ow] || out[ow] != out[ow] ? t[ow] : out[ow];
    }
    const float* top = x + hs * g.W;
    for (std::int64_t ow = 0; ow < g.OW; ++ow) {
      float f = top[std::max<std::int64_t>(ow * SW - g.PL, 0)];
      if (f != f) out[ow] = f;
    }
  }
}

GRAFT_POOL_LOOP void maxPlane1(const MaxPlane& g, const float* x, float* tmp, float* y) { maxPlaneImpl<1>(g, x, tmp, y); }
GRAFT_POOL_LOOP void maxPlane2(const MaxPlane& g, const float* x, float* tmp, float* y) { maxPlaneImpl<2>(g, x, tmp, y); }

template <Pool kind>
Status poolK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (x.rank() < 3) return ctx.fail("input " + formatArrayType(x) + " must be N-D with N >= 3");
  PoolGeometry g;
  if (auto s = poolGeometry(ctx, x, g); !s) return s;
  std::size_t k = g.in.size();
  bool includePad = ctx.attrInt("count_include_pad", 0) != 0;
  double p = static_cast<double>(ctx.attrInt("p", 2));
  bool colMajor = ctx.attrInt("storage_order", 0) != 0;
  std::int64_t N = x.dim(0), C = x.dim(1), inSize = shapeSize(g.in), outSize = shapeSize(g.out), kSize = shapeSize(g.kernel);
  std::vector<std::int64_t> outShape{N, C};
  outShape.insert(outShape.end(), g.out.begin(), g.out.end());
  Array y = Array::uninitialized(x.dtype(), outShape);
  Array ind;
  bool wantIdx = kind == Pool::Max && ctx.wantsOutput(1);
  if (wantIdx) ind = Array::uninitialized(kInt64, outShape);
  auto inStrides = contiguousStrides(g.in);
  // 2-D float Max/Average pooling without dilation or indices (every CNN's stem and head):
  // window bounds clamped per output instead of testing each tap.
  if (k == 2 && kind != Pool::Lp && !wantIdx && x.dtype() == kFloat && g.dilations[0] == 1 && g.dilations[1] == 1) {
    const float* px = x.data<float>();
    float* py = y.data<float>();
    std::int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
    // Every window starts inside the input (the geometry guarantees a window starts inside the
    // input or the leading padding; with padding no larger than the kernel it reaches the input).
    if (kind == Pool::Max && g.strides[1] <= 2 && g.padBegin[0] < g.kernel[0] && g.padBegin[1] < g.kernel[1] &&
        g.padEnd[0] < g.kernel[0] && g.padEnd[1] < g.kernel[1]) {
      MaxPlane mp{H, W, OH, OW, g.kernel[0], g.kernel[1], g.strides[0], g.strides[1], g.padBegin[0], g.padBegin[1]};
      parallelFor(N * C, N * C * outSize * kSize > (1 << 16) ? 1 : N * C, [&](std::int64_t ns, std::int64_t ne) {
        thread_local std::vector<float> tmp;
        tmp.resize(static_cast<std::size_t>(H * OW));
        for (std::int64_t nc = ns; nc < ne; ++nc)
          (mp.SW == 1 ? maxPlane1 : maxPlane2)(mp, px + nc * inSize, tmp.data(), py + nc * outSize);
      });
      ctx.setOutput(0, y);
      return Status::ok();
    }
    parallelFor(N * C, N * C * outSize * kSize > (1 << 16) ? 1 : N * C, [&](std::int64_t ns, std::int64_t ne) {
      for (std::int64_t nc = ns; nc < ne; ++nc) {
        const float* plane = px + nc * inSize;
        float* out = py + nc * outSize;
        for (std::int64_t oh = 0; oh < OH; ++oh) {
          std::int64_t h0 = oh * g.strides[0] - g.padBegin[0], h1 = h0 + g.kernel[0];
          std::int64_t hs = std::max<std::int64_t>(h0, 0), he = std::min(h1, H);
          std::int64_t padH = std::min(h1, H + g.padEnd[0]) - h0;
          for (std::int64_t ow = 0; ow < OW; ++ow) {
            std::int64_t w0 = ow * g.strides[1] - g.padBegin[1], w1 = w0 + g.kernel[1];
            std::int64_t ws = std::max<std::int64_t>(w0, 0), we = std::min(w1, W);
            float r;
            if (kind == Pool::Max) {
              float m = -std::numeric_limits<float>::infinity();
              bool any = false;
              for (std::int64_t h = hs; h < he; ++h)
                for (std::int64_t w = ws; w < we; ++w) {
                  float v = plane[h * W + w];
                  if (v > m || !any) m = v;
                  any = true;
                }
              r = m;
            } else {
              double acc = 0;
              for (std::int64_t h = hs; h < he; ++h)
                for (std::int64_t w = ws; w < we; ++w) acc += static_cast<double>(plane[h * W + w]);
              std::int64_t count = includePad ? padH * (std::min(w1, W + g.padEnd[1]) - w0) : (he - hs) * (we - ws);
              r = static_cast<float>(acc / static_cast<double>(std::max<std::int64_t>(1, count)));
            }
            out[oh * OW + ow] = r;
          }
        }
      }
    });
    ctx.setOutput(0, y);
    return Status::ok();
  }
  GRAFT_DISPATCH_NUMERIC(x.dtype(), {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::int64_t grain = N * C * outSize * kSize > (1 << 16) ? 1 : N * C;
    parallelFor(N * C, grain, [&](std::int64_t ns, std::int64_t ne) {
    std::vector<std::int64_t> oidx(k, 0), kidx(k, 0);
    for (std::int64_t nc = ns; nc < ne; ++nc) {
      std::fill(oidx.begin(), oidx.end(), 0);
      const T* plane = px + nc * inSize;
      for (std::int64_t o = 0; o < outSize; ++o) {
        double acc = kind == Pool::Max ? -std::numeric_limits<double>::infinity() : 0.0;
        std::int64_t best = -1, count = 0, padCount = 0;
        std::fill(kidx.begin(), kidx.end(), 0);
        for (std::int64_t kp = 0; kp < kSize; ++kp) {
          std::int64_t off = 0, colOff = 0, colStride = 1;
          bool inside = true, inPadded = true;
          for (std::size_t d = 0; d < k; ++d) {
            std::int64_t ip = oidx[d] * g.strides[d] - g.padBegin[d] + kidx[d] * g.dilations[d];
            if (ip < -g.padBegin[d] || ip >= g.in[d] + g.padEnd[d]) inPadded = false;
            if (ip < 0 || ip >= g.in[d]) inside = false;
            off += ip * inStrides[d];
            colOff += ip * colStride;
            colStride *= g.in[d];
          }
          if (inPadded) ++padCount;
          if (inside) {
            double v = static_cast<double>(plane[off]);
            ++count;
            if (kind == Pool::Max) {
              if (v > acc || best < 0) {
                acc = v;
                best = colMajor ? colOff : off;
              }
            } else if (kind == Pool::Avg) {
              acc += v;
            } else {
              acc += std::pow(std::abs(v), p);
            }
          }
          for (std::size_t d = k; d-- > 0;) {
            if (++kidx[d] < g.kernel[d]) break;
            kidx[d] = 0;
          }
        }
        double r = acc;
        if (kind == Pool::Avg) r = acc / static_cast<double>(std::max<std::int64_t>(1, includePad ? padCount : count));
        if (kind == Pool::Lp) r = std::pow(acc, 1.0 / p);
        py[nc * outSize + o] = static_cast<T>(r);
        if (wantIdx) ind.data<std::int64_t>()[nc * outSize + o] = nc * inSize + best;
        for (std::size_t d = k; d-- > 0;) {
          if (++oidx[d] < g.out[d]) break;
          oidx[d] = 0;
        }
      }
    }
    });
  })
  ctx.setOutput(0, y);
  if (wantIdx) ctx.setOutput(1, ind);
  return Status::ok();
}

template <Pool kind>
Status globalPoolK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (x.rank() < 3) return ctx.fail("input " + formatArrayType(x) + " must be N-D with N >= 3");
  std::int64_t N = x.dim(0), C = x.dim(1), inner = (N * C != 0) ? x.size() / (N * C) : 0;
  std::vector<std::int64_t> shape(x.rank(), 1);
  shape[0] = N;
  shape[1] = C;
  double p = static_cast<double>(ctx.attrInt("p", 2));
  Array y = Array::uninitialized(x.dtype(), shape);
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    const T* px = x.data<T>();
    for (std::int64_t i = 0; i < N * C; ++i) {
      const T* q = px + i * inner;
      double acc = kind == Pool::Max ? -std::numeric_limits<double>::infinity() : 0.0;
      for (std::int64_t j = 0; j < inner; ++j) {
        if (kind == Pool::Max) acc = std::max(acc, static_cast<double>(q[j]));
        else if (kind == Pool::Avg) acc += static_cast<double>(q[j]);
        else acc += std::pow(std::abs(static_cast<double>(q[j])), p);
      }
      if (kind == Pool::Avg) acc /= static_cast<double>(inner);
      if (kind == Pool::Lp) acc = std::pow(acc, 1.0 / p);
      y.data<T>()[i] = static_cast<T>(acc);
    }
  })
  ctx.setOutput(0, y);
  return Status::ok();
}

Status maxUnpoolK(Context& ctx) {
  if (auto s = ctx.require(1, "I"); !s) return s;
  const Array &x = ctx.input(0), &ind = ctx.input(1);
  std::size_t k = x.rank() - 2;
  // Indices refer to the shape MaxPool would have unpooled to; an explicit output_shape
  // larger than that pads at the end.
  auto kernel = ctx.attrInts("kernel_shape"), strides = ctx.attrInts("strides"), pads = ctx.attrInts("pads");
  if (strides.empty()) strides.assign(k, 1);
  if (pads.empty()) pads.assign(2 * k, 0);
  if (kernel.size() != k) return ctx.fail("kernel_shape does not match input " + formatArrayType(x));
  std::vector<std::int64_t> natural{x.dim(0), x.dim(1)};
  for (std::size_t i = 0; i < k; ++i) natural.push_back((x.dim(i + 2) - 1) * strides[i] + kernel[i] - pads[i] - pads[i + k]);
  Array y(x.dtype(), natural);
  std::size_t es = x.elementSize();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    std::int64_t j = readIndex(ind, i);
    if (j < 0 || j >= y.size()) return ctx.fail("index " + std::to_string(j) + " is out of range for output " + formatArrayType(y));
    std::memcpy(static_cast<std::byte*>(y.raw()) + static_cast<std::size_t>(j) * es,
                static_cast<const std::byte*>(x.raw()) + static_cast<std::size_t>(i) * es, es);
  }
  if (ctx.hasInput(2)) {
    auto outShape = toInt64Vector(ctx.input(2));
    if (outShape != natural) {
      if (outShape.size() != natural.size()) return ctx.fail("output_shape " + formatShape(outShape) + " has the wrong rank");
      Array big(x.dtype(), outShape);
      auto cs = contiguousStrides(outShape);
      std::vector<std::int64_t> idx(natural.size(), 0);
      for (std::int64_t i = 0; i < y.size(); ++i) {
        std::int64_t off = 0;
        bool inside = true;
        for (std::size_t d = 0; d < idx.size(); ++d) {
          if (idx[d] >= outShape[d]) inside = false;
          off += idx[d] * cs[d];
        }
        if (inside)
          std::memcpy(static_cast<std::byte*>(big.raw()) + static_cast<std::size_t>(off) * es,
                      static_cast<const std::byte*>(y.raw()) + static_cast<std::size_t>(i) * es, es);
        for (std::size_t d = idx.size(); d-- > 0;) {
          if (++idx[d] < natural[d]) break;
          idx[d] = 0;
        }
      }
      y = big;
    }
  }
  ctx.setOutput(0, y);
  return Status::ok();
}

// ---------------------------------------------------------------- Resize

struct Tap {
  std::int64_t index;
  double weight;
};

double cubicWeight(double s, double a) {
  s = std::abs(s);
  if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
  if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  return 0;
}

// The common Resize (float32, every dim but the last two kept as it is: an image's H and W
// scaled, as in YOLO's and FPN's upsampling and segmentation heads) straight from the float data,
// plane by plane on the evaluator's threads, with the per-dim taps below. Each output is the sum
// the general loop forms, in its order and in double (taps of weight 0 skipped, starting from
// +0.0, weights multiplied as that loop multiplies them: the kept dims' weights are 1), then
// rounded to float once: the same bits. A YOLO-style 2x nearest upsampling of [1, 128, 16, 16]
// took 3.5 ms in the general loop (a double per element, an odometer over every output).
// False when it does not apply.
bool resizePlanes(Context& ctx, const Array& x, const std::vector<std::vector<std::vector<Tap>>>& taps,
                  const std::vector<std::int64_t>& sizes) {
  const std::size_t r = x.rank();
  if (x.dtype() != kFloat || r < 2) return false;
  for (std::size_t d = 0; d < r; ++d)
    for (std::int64_t o = 0; o < sizes[d]; ++o) {
      const auto& t = taps[d][static_cast<std::size_t>(o)];
      if (t.empty() || t[0].index < 0) return false;  // outside the input: the extrapolation value
      if (d + 2 < r && (sizes[d] != x.dim(d) || t.size() != 1 || t[0].index != o || t[0].weight != 1.0)) return false;
    }
  const std::int64_t H = x.dim(r - 2), W = x.dim(r - 1), OH = sizes[r - 2], OW = sizes[r - 1];
  std::int64_t planes = 1;
  for (std::size_t d = 0; d + 2 < r; ++d) planes *= sizes[d];
  Array y = Array::uninitialized(kFloat, sizes);
  const float* in = x.data<float>();
  float* out = y.data<float>();
  const auto& th = taps[r - 2];
  const auto& tw = taps[r - 1];
  parallelFor(planes * OH, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, OW)), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t row = r0; row < r1; ++row) {
      const std::int64_t p = row / OH, oh = row % OH;
      const float* plane = in + p * H * W;
      float* o = out + row * OW;
      const auto& hs = th[static_cast<std::size_t>(oh)];
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        const auto& ws = tw[static_cast<std::size_t>(ow)];
        double acc = 0;
        for (const Tap& a : hs)
          for (const Tap& b : ws) {
            const double w = a.weight * b.weight;
            if (w != 0) acc += w * static_cast<double>(plane[a.index * W + b.index]);
          }
        o[ow] = static_cast<float>(acc);
      }
    }
  });
  ctx.setOutput(0, y);
  return true;
}

Status resizeImpl(Context& ctx, const Array& x, std::vector<double> scales, std::vector<std::int64_t> sizes, const std::vector<double>& roi,
                  std::string mode, const std::string& coordMode) {
  std::size_t r = x.rank();
  bool fromSizes = !sizes.empty();
  if (!sizes.empty() && scales.size() == r && sizes.size() == r) {
    // Both: sizes from keep_aspect_ratio_policy, coordinates from its one scale.
    fromSizes = false;
  } else if (!sizes.empty()) {
    if (sizes.size() != r) return ctx.fail("sizes " + formatShape(sizes) + " does not match input " + formatArrayType(x));
    scales.resize(r);
    for (std::size_t d = 0; d < r; ++d) scales[d] = x.dim(d) ? static_cast<double>(sizes[d]) / static_cast<double>(x.dim(d)) : 1.0;
  } else {
    if (scales.size() != r) return ctx.fail("scales has " + std::to_string(scales.size()) + " entries but the input is " + formatArrayType(x));
    for (std::size_t d = 0; d < r; ++d) {
      const double size = std::floor(static_cast<double>(x.dim(d)) * scales[d]);
      if (!(scales[d] > 0) || !(size < 9.0e15))
        return ctx.fail("scale " + std::to_string(scales[d]) + " for dim " + std::to_string(d) + " of " +
                        formatArrayType(x) + " is not a positive size factor");
      sizes.push_back(static_cast<std::int64_t>(size));
    }
  }
  // The model chooses the scales: the per-dim tap tables below are built before the output is
  // allocated (and charged), so an output dim is bounded here first.
  for (std::size_t d = 0; d < r; ++d)
    if (sizes[d] < 0 || sizes[d] > (std::int64_t(1) << 24))
      return ctx.fail("output dim " + std::to_string(d) + " would be " + std::to_string(sizes[d]) +
                      "; the evaluator's Resize stops at 2^24 per dim");
  std::string nearestMode = ctx.attrString("nearest_mode", ctx.opset() < 11 || ctx.node().opType() == "Upsample" ? "floor" : "round_prefer_floor");
  double a = ctx.attrFloat("cubic_coeff_a", -0.75f);
  bool excludeOutside = ctx.attrInt("exclude_outside", 0) != 0;
  double extrapolation = ctx.attrFloat("extrapolation_value", 0.0f);
  bool antialias = ctx.attrInt("antialias", 0) != 0;
  if (mode == "bilinear" || mode == "trilinear") mode = "linear";
  // Per dim, per output coordinate: taps (or -1 index for "outside": extrapolation value).
  std::vector<std::vector<std::vector<Tap>>> taps(r);
  for (std::size_t d = 0; d < r; ++d) {
    std::int64_t in = x.dim(d), out = sizes[d];
    double s = scales[d];
    // The spec's length_resized: in*scale unrounded when scales are given.
    double lenOut = fromSizes ? static_cast<double>(out) : static_cast<double>(in) * s;
    taps[d].resize(static_cast<std::size_t>(out));
    for (std::int64_t o = 0; o < out; ++o) {
      double xo = static_cast<double>(o), xi;
      if (coordMode == "half_pixel") xi = (xo + 0.5) / s - 0.5;
      else if (coordMode == "pytorch_half_pixel") xi = lenOut > 1 ? (xo + 0.5) / s - 0.5 : 0.0;
      else if (coordMode == "align_corners") xi = lenOut == 1 ? 0.0 : xo * static_cast<double>(in - 1) / (lenOut - 1);
      else if (coordMode == "asymmetric") xi = xo / s;
      else if (coordMode == "tf_half_pixel_for_nn") xi = (xo + 0.5) / s;
      else if (coordMode == "half_pixel_symmetric") {
        // half_pixel about the centre of the input, for when the integer output size is not in * scale.
        double offset = static_cast<double>(in) / 2.0 * (1.0 - static_cast<double>(out) / (static_cast<double>(in) * s));
        xi = offset + (xo + 0.5) / s - 0.5;
      }
      else if (coordMode == "tf_crop_and_resize") {
        double st = roi.size() == 2 * r ? roi[d] : 0.0, en = roi.size() == 2 * r ? roi[d + r] : 1.0;
        xi = lenOut > 1 ? st * static_cast<double>(in - 1) + xo * (en - st) * static_cast<double>(in - 1) / (lenOut - 1)
                     : 0.5 * (st + en) * static_cast<double>(in - 1);
        if (xi < 0 || xi > static_cast<double>(in - 1)) {
          taps[d][static_cast<std::size_t>(o)].push_back({-1, 0});
          continue;
        }
      } else {
        return ctx.unsupported("coordinate_transformation_mode '" + coordMode + "'");
      }
      auto& t = taps[d][static_cast<std::size_t>(o)];
      auto clampI = [&](std::int64_t i) { return std::clamp<std::int64_t>(i, 0, in - 1); };
      if (antialias && (mode == "linear" || mode == "cubic")) {
        // Opset 18 antialias: the filter widens by 1/scale when downsampling. Taps sit at
        // base + i with the fraction in (0, 1] (the left pixel is preferred), edges repeated.
        double sc = std::min(s, 1.0), fl = std::floor(xi), ratio = xi == fl ? 1.0 : xi - fl;
        auto base = static_cast<std::int64_t>(xi - ratio);
        auto start = static_cast<std::int64_t>(std::floor((mode == "linear" ? -1.0 : -2.0) / sc) + 1);
        std::int64_t n = 2 - 2 * start;
        double total = 0;
        for (std::int64_t k = 0; k < n; ++k) {
          double arg = std::abs((static_cast<double>(start + k) - ratio) * sc), w;
          if (mode == "linear") w = std::clamp(1 - arg, 0.0, 1.0);
          else w = arg <= 1 ? ((a + 2) * arg - (a + 3)) * arg * arg + 1 : arg < 2 ? ((a * arg - 5 * a) * arg + 8 * a) * arg - 4 * a : 0.0;
          std::int64_t idx = base + start + k;
          if (excludeOutside && (idx < 0 || idx >= in)) w = 0;
          total += w;
          t.push_back({clampI(idx), w});
        }
        if (total != 0)
          for (auto& tp : t) tp.weight /= total;
      } else if (mode == "nearest") {
        double f;
        if (nearestMode == "round_prefer_ceil") f = std::floor(xi + 0.5);
        else if (nearestMode == "floor") f = std::floor(xi);
        else if (nearestMode == "ceil") f = std::ceil(xi);
        else f = (xi - std::floor(xi) == 0.5) ? std::floor(xi) : std::round(xi);
        t.push_back({clampI(static_cast<std::int64_t>(f)), 1.0});
      } else if (mode == "linear") {
        double cx = std::clamp(xi, 0.0, static_cast<double>(in - 1));
        auto i0 = static_cast<std::int64_t>(std::floor(cx));
        double w = cx - static_cast<double>(i0);
        t.push_back({clampI(i0), 1 - w});
        if (w != 0) t.push_back({clampI(i0 + 1), w});
      } else if (mode == "cubic") {
        auto i0 = static_cast<std::int64_t>(std::floor(xi));
        double frac = xi - static_cast<double>(i0), total = 0;
        for (int k = -1; k <= 2; ++k) {
          double w = cubicWeight(static_cast<double>(k) - frac, a);
          std::int64_t idx = i0 + k;
          if (excludeOutside && (idx < 0 || idx >= in)) w = 0;
          total += w;
          t.push_back({clampI(idx), w});
        }
        if (excludeOutside && total != 0)
          for (auto& tp : t) tp.weight /= total;
      } else {
        return ctx.unsupported("resize mode '" + mode + "'");
      }
      // Taps of weight 0 (a cubic or linear tap on an unscaled dim, where the source coordinate is
      // a whole number) add nothing: dropped, a 4-D cubic over [N, C, H, W] with N and C kept
      // reads 16 taps an output, not 256.
      if (t.size() > 1) {
        std::vector<Tap> kept;
        for (const Tap& tp : t)
          if (tp.weight != 0) kept.push_back(tp);
        if (!kept.empty()) t = std::move(kept);
      }
    }
  }
  // Every output element sums the product of its taps over all dims (4^4 for a 4-D cubic): like
  // Einsum, the work can dwarf the output's size, so it is bounded too (2^31 tap reads, a few
  // seconds; a 2048x2048 cubic upsampling of 3 channels takes 2^27.6).
  {
    double work = 1;
    for (std::size_t d = 0; d < r; ++d) {
      std::size_t most = 1;
      for (const auto& t : taps[d]) most = std::max(most, t.size());
      work *= static_cast<double>(sizes[d]) * static_cast<double>(most);
    }
    if (work > 2147483648.0)
      return ctx.unsupported("resizing " + formatArrayType(x) + " to " + formatShape(sizes) + " in mode '" + mode +
                             "' would take more than 2^31 tap reads; the evaluator's Resize stops there");
  }
  if (resizePlanes(ctx, x, taps, sizes)) return Status::ok();
  auto xs = arrayToDoubles(x);
  if (!xs) return xs.status();
  const auto& v = xs.value();
  Array y = Array::uninitialized(kDouble, sizes);
  auto cs = contiguousStrides(x.shape());
  std::vector<std::int64_t> oidx(r, 0);
  std::vector<std::size_t> tk(r, 0);
  for (std::int64_t o = 0; o < y.size(); ++o) {
    bool outside = false;
    for (std::size_t d = 0; d < r; ++d)
      if (taps[d][static_cast<std::size_t>(oidx[d])][0].index < 0) outside = true;
    double acc = 0;
    if (outside) {
      acc = extrapolation;
    } else {
      // Product over dims of each dim's taps.
      std::fill(tk.begin(), tk.end(), 0);
      while (true) {
        double w = 1;
        std::int64_t off = 0;
        for (std::size_t d = 0; d < r; ++d) {
          const Tap& t = taps[d][static_cast<std::size_t>(oidx[d])][tk[d]];
          w *= t.weight;
          off += t.index * cs[d];
        }
        if (w != 0) acc += w * v[static_cast<std::size_t>(off)];
        std::size_t d = r;
        while (d-- > 0) {
          if (++tk[d] < taps[d][static_cast<std::size_t>(oidx[d])].size()) break;
          tk[d] = 0;
        }
        if (d == static_cast<std::size_t>(-1)) break;
      }
    }
    y.data<double>()[o] = acc;
    for (std::size_t d = r; d-- > 0;) {
      if (++oidx[d] < sizes[d]) break;
      oidx[d] = 0;
    }
  }
  if (isIntegerType(x.dtype()))
    for (std::int64_t i = 0; i < y.size(); ++i) y.data<double>()[i] = std::nearbyint(y.data<double>()[i]);
  auto c = castArray(y, x.dtype());
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

std::vector<double> doubles(const Array& a) {
  auto v = arrayToDoubles(a);
  return v ? v.value() : std::vector<double>{};
}

Status resizeK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::string mode = ctx.attrString("mode", "nearest");
  if (ctx.opset() < 11) {
    if (auto s = ctx.require(1, "scales"); !s) return s;
    return resizeImpl(ctx, x, doubles(ctx.input(1)), {}, {}, mode, "asymmetric");
  }
  std::vector<double> roi, scales;
  std::vector<std::int64_t> sizes;
  if (ctx.hasInput(1)) roi = doubles(ctx.input(1));
  if (ctx.hasInput(2)) scales = doubles(ctx.input(2));
  if (ctx.hasInput(3)) sizes = toInt64Vector(ctx.input(3));
  if (!sizes.empty()) scales.clear();
  if (scales.empty() && sizes.empty()) return ctx.fail("one of scales and sizes must be given");
  // Opset 18: roi, scales and sizes may list only `axes`; the other axes keep their size.
  std::vector<std::int64_t> axes = ctx.attrInts("axes");
  auto r = static_cast<std::int64_t>(x.rank());
  if (!axes.empty()) {
    std::size_t n = axes.size();
    if ((!scales.empty() && scales.size() != n) || (!sizes.empty() && sizes.size() != n) || (!roi.empty() && roi.size() != 2 * n))
      return ctx.fail("roi, scales and sizes must have one entry per axis in 'axes' (" + std::to_string(n) + ")");
    std::vector<double> fullScales(static_cast<std::size_t>(r), 1.0), fullRoi;
    std::vector<std::int64_t> fullSizes(x.shape());
    if (!roi.empty()) {
      fullRoi.assign(static_cast<std::size_t>(2 * r), 0.0);
      for (std::int64_t d = 0; d < r; ++d) fullRoi[static_cast<std::size_t>(r + d)] = 1.0;
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t a = axes[i];
      if (!normalizeAxis(a, r)) return ctx.fail("axis " + std::to_string(axes[i]) + " out of range for " + formatArrayType(x));
      auto ax = static_cast<std::size_t>(a);
      if (!scales.empty()) fullScales[ax] = scales[i];
      if (!sizes.empty()) fullSizes[ax] = sizes[i];
      if (!roi.empty()) {
        fullRoi[ax] = roi[i];
        fullRoi[ax + static_cast<std::size_t>(r)] = roi[i + n];
      }
    }
    if (!scales.empty()) scales = fullScales;
    if (!sizes.empty()) sizes = fullSizes;
    roi = fullRoi;
  } else {
    for (std::int64_t d = 0; d < r; ++d) axes.push_back(d);
  }
  // keep_aspect_ratio_policy (opset 18, with sizes): one scale for every listed axis, the
  // largest that fits inside (not_larger) or the smallest that covers (not_smaller) the sizes.
  std::string policy = ctx.attrString("keep_aspect_ratio_policy", "stretch");
  if (!sizes.empty() && policy != "stretch") {
    if (policy != "not_larger" && policy != "not_smaller") return ctx.fail("unknown keep_aspect_ratio_policy '" + policy + "'");
    double scale = policy == "not_larger" ? std::numeric_limits<double>::infinity() : 0.0;
    for (std::int64_t a : axes) {
      if (a < 0) a += r;
      auto ax = static_cast<std::size_t>(a);
      double sc = static_cast<double>(sizes[ax]) / static_cast<double>(std::max<std::int64_t>(x.dim(ax), 1));
      scale = policy == "not_larger" ? std::min(scale, sc) : std::max(scale, sc);
    }
    scales.assign(static_cast<std::size_t>(r), 1.0);
    for (std::int64_t a : axes) {
      if (a < 0) a += r;
      auto ax = static_cast<std::size_t>(a);
      scales[ax] = scale;
      sizes[ax] = static_cast<std::int64_t>(std::nearbyint(scale * static_cast<double>(x.dim(ax))));
    }
    return resizeImpl(ctx, x, scales, sizes, roi, mode, ctx.attrString("coordinate_transformation_mode", "half_pixel"));
  }
  return resizeImpl(ctx, x, scales, sizes, roi, mode, ctx.attrString("coordinate_transformation_mode", "half_pixel"));
}

Status upsampleK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::string mode = ctx.attrString("mode", "nearest");
  std::vector<double> scales;
  if (ctx.hasInput(1)) scales = doubles(ctx.input(1));
  else
    for (float f : ctx.attrFloats("scales")) scales.push_back(f);
  return resizeImpl(ctx, x, scales, {}, {}, mode, "asymmetric");
}

}  // namespace

void registerNnKernels() {
  registerKernel("", "MaxPool", poolK<Pool::Max>);
  registerKernel("", "AveragePool", poolK<Pool::Avg>);
  registerKernel("", "LpPool", poolK<Pool::Lp>);
  registerKernel("", "GlobalMaxPool", globalPoolK<Pool::Max>);
  registerKernel("", "GlobalAveragePool", globalPoolK<Pool::Avg>);
  registerKernel("", "GlobalLpPool", globalPoolK<Pool::Lp>);
  registerKernel("", "MaxUnpool", maxUnpoolK);
  registerKernel("", "Resize", resizeK);
  registerKernel("", "Upsample", upsampleK);
}

}  // namespace graft::eval
