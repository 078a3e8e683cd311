// Image-geometry kernels: GridSample (16, 20: N-D, linear/nearest/cubic), AffineGrid (20),
// Col2Im and CenterCropPad (18), RoiAlign (16), DeformConv (19).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

// -------------------------------------------------------------- GridSample

struct Sampler {
  std::vector<std::int64_t> dims;  // spatial dims of one image plane
  std::vector<double> lo, hi;      // borders for reflection
  enum Padding { Zeros, Border, Reflection } padding = Zeros;

  // Reflects x into [lo, hi] by the nearer border until inside.
  static double reflect(double x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
      double dx = lo - x;
      auto n = static_cast<std::int64_t>(dx / range);
      double r = dx - static_cast<double>(n) * range;
      return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
      double dx = x - hi;
      auto n = static_cast<std::int64_t>(dx / range);
      double r = dx - static_cast<double>(n) * range;
      return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
  }

  // The value at integer coordinates with the padding rule; plane is row-major over dims.
  double at(const double* plane, const std::vector<std::int64_t>& idx) const {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      std::int64_t i = idx[d];
      if (i < 0 || i >= dims[d]) {
        if (padding == Zeros) return 0;
        if (padding == Border) i = std::clamp<std::int64_t>(i, 0, dims[d] - 1);
        else i = std::clamp<std::int64_t>(static_cast<std::int64_t>(reflect(static_cast<double>(i), lo[d], hi[d])), 0, dims[d] - 1);
      }
      off = off * dims[d] + i;
    }
    return plane[off];
  }
};

void cubicCoeffs(double x, double c[4]) {
  const double a = -0.75;
  x = std::abs(x);
  c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

Status gridSampleK(Context& ctx) {
  if (auto s = ctx.require(1, "grid"); !s) return s;
  const Array &X = ctx.input(0), &grid = ctx.input(1);
  if (X.rank() < 3 || grid.rank() != X.rank() || grid.dim(grid.rank() - 1) != static_cast<std::int64_t>(X.rank() - 2) ||
      grid.dim(0) != X.dim(0))
    return ctx.fail("grid " + formatArrayType(grid) + " does not fit X " + formatArrayType(X) +
                    " (expected [N, spatial..., " + std::to_string(X.rank() - 2) + "])");
  std::string mode = ctx.attrString("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  if (mode == "bilinear") mode = "linear";
  if (mode == "bicubic") mode = "cubic";
  if (mode != "linear" && mode != "nearest" && mode != "cubic") return ctx.fail("unknown mode '" + mode + "'");
  std::string padding = ctx.attrString("padding_mode", "zeros");
  bool align = ctx.attrInt("align_corners", 0) != 0;
  std::size_t D = X.rank() - 2;
  Sampler sp;
  sp.dims.assign(X.shape().begin() + 2, X.shape().end());
  // Border and reflection padding clamp into [0, dim - 1]: an empty plane has nothing to clamp to.
  for (auto d : sp.dims)
    if (d < 1) return ctx.fail("X " + formatArrayType(X) + " has an empty spatial dim; there is nothing to sample");
  sp.padding = padding == "border" ? Sampler::Border : padding == "reflection" ? Sampler::Reflection : Sampler::Zeros;
  for (std::size_t d = 0; d < D; ++d) {
    sp.lo.push_back(align ? 0.0 : -0.5);
    sp.hi.push_back(align ? static_cast<double>(sp.dims[d]) - 1 : static_cast<double>(sp.dims[d]) - 0.5);
  }
  auto xv = arrayToDoubles(X);
  auto gv = arrayToDoubles(grid);
  if (!xv || !gv) return ctx.fail("X and grid must be numeric");
  std::int64_t N = X.dim(0), C = X.dim(1), plane = shapeSize(sp.dims);
  std::vector<std::int64_t> outSpatial(grid.shape().begin() + 1, grid.shape().end() - 1);
  std::int64_t points = shapeSize(outSpatial);
  std::vector<std::int64_t> yShape = {N, C};
  yShape.insert(yShape.end(), outSpatial.begin(), outSpatial.end());
  Array Y = Array::uninitialized(kDouble, yShape);
  double* y = Y.data<double>();
  std::vector<double> x(D);
  std::vector<std::int64_t> base(D), idx(D);
  int taps = mode == "cubic" ? 4 : mode == "linear" ? 2 : 1;
  std::vector<std::vector<double>> w(D, std::vector<double>(4));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t p = 0; p < points; ++p) {
      const double* g = gv.value().data() + (n * points + p) * static_cast<std::int64_t>(D);
      for (std::size_t d = 0; d < D; ++d) {
        // The grid's last axis lists coordinates innermost first (x, y[, z]).
        double v = g[D - 1 - d], len = static_cast<double>(sp.dims[d]);
        double c = align ? (v + 1) / 2.0 * (len - 1) : ((v + 1) * len - 1) / 2.0;
        if (mode == "nearest") c = std::nearbyint(c);  // half to even in every rank, as the opset-20 tests expect
        if (c < sp.lo[d] || c > sp.hi[d]) {
          if (sp.padding == Sampler::Border) c = std::clamp(c, 0.0, len - 1);
          else if (sp.padding == Sampler::Reflection) c = Sampler::reflect(c, sp.lo[d], sp.hi[d]);
        }
        x[d] = c;
        if (mode == "nearest") {
          base[d] = static_cast<std::int64_t>(c);
          w[d][0] = 1;
        } else {
          double f = std::floor(c);
          base[d] = static_cast<std::int64_t>(f) - (mode == "cubic" ? 1 : 0);
          if (mode == "linear") {
            w[d][0] = 1 - (c - f);
            w[d][1] = c - f;
          } else {
            cubicCoeffs(c - f, w[d].data());
          }
        }
      }
      std::int64_t corners = 1;
      for (std::size_t d = 0; d < D; ++d) corners *= taps;
      for (std::int64_t c = 0; c < C; ++c) {
        const double* img = xv.value().data() + (n * C + c) * plane;
        double sum = 0;
        for (std::int64_t k = 0; k < corners; ++k) {
          double weight = 1;
          std::int64_t r = k;
          for (std::size_t d = D; d-- > 0;) {
            auto t = static_cast<std::size_t>(r % taps);
            r /= taps;
            idx[d] = base[d] + static_cast<std::int64_t>(t);
            weight *= w[d][t];
          }
          if (weight != 0) sum += weight * sp.at(img, idx);
        }
        y[(n * C + c) * points + p] = sum;
      }
    }
  auto out = castArray(Y, X.dtype());
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

// AffineGrid-20: for theta [N, 2, 3] (or [N, 3, 4]) and size [N, C, H, W] (or [N, C, D, H, W]),
// the grid [N, H, W, 2] (or [N, D, H, W, 3]) of theta times the normalized base coordinates.
Status affineGridK(Context& ctx) {
  if (auto s = ctx.require(1, "size"); !s) return s;
  const Array& theta = ctx.input(0);
  auto size = toInt64Vector(ctx.input(1));
  bool align = ctx.attrInt("align_corners", 0) != 0;
  std::size_t D = size.size() >= 2 ? size.size() - 2 : 0;
  if ((D != 2 && D != 3) || theta.rank() != 3 || theta.dim(0) != size[0] || theta.dim(1) != static_cast<std::int64_t>(D) ||
      theta.dim(2) != static_cast<std::int64_t>(D + 1))
    return ctx.fail("theta " + formatArrayType(theta) + " and size " + formatArrayType(ctx.input(1)) +
                    " must be [N, 2, 3] with [N, C, H, W] or [N, 3, 4] with [N, C, D, H, W]");
  auto tv = arrayToDoubles(theta);
  if (!tv) return tv.status();
  std::int64_t N = size[0];
  std::vector<std::int64_t> spatial(size.begin() + 2, size.end());
  std::vector<std::int64_t> shape = {N};
  shape.insert(shape.end(), spatial.begin(), spatial.end());
  shape.push_back(static_cast<std::int64_t>(D));
  Array out = Array::uninitialized(kDouble, shape);
  double* o = out.data<double>();
  auto coord = [&](std::int64_t i, std::int64_t len) {
    if (len <= 1) return 0.0;
    return align ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(len - 1)
                 : (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(len) - 1.0;
  };
  std::int64_t points = shapeSize(spatial);
  std::vector<double> base(D + 1);
  for (std::int64_t n = 0; n < N; ++n) {
    const double* t = tv.value().data() + n * static_cast<std::int64_t>(D * (D + 1));
    for (std::int64_t p = 0; p < points; ++p) {
      // Base coordinates innermost first: (x, y[, z], 1).
      std::int64_t r = p;
      for (std::size_t d = D; d-- > 0;) {
        base[D - 1 - d] = coord(r % spatial[d], spatial[d]);
        r /= spatial[d];
      }
      base[D] = 1;
      for (std::size_t i = 0; i < D; ++i) {
        double v = 0;
        for (std::size_t j = 0; j <= D; ++j) v += t[i * (D + 1) + j] * base[j];
        o[(n * points + p) * static_cast<std::int64_t>(D) + static_cast<std::int64_t>(i)] = v;
      }
    }
  }
  auto c = castArray(out, theta.dtype());
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

// Col2Im-18: sums the columns [N, C * prod(block), L] back into images [N, C, image_shape...].
Status col2ImK(Context& ctx) {
  if (auto s = ctx.require(2, "block_shape"); !s) return s;
  const Array& x = ctx.input(0);
  auto image = toInt64Vector(ctx.input(1)), block = toInt64Vector(ctx.input(2));
  std::size_t D = image.size();
  if (block.size() != D || D == 0 || x.rank() != 3) return ctx.fail("image_shape and block_shape must have one entry per spatial dim; input must be [N, C*K, L]");
  auto dil = ctx.attrInts("dilations"), pads = ctx.attrInts("pads"), strides = ctx.attrInts("strides");
  if (dil.empty()) dil.assign(D, 1);
  if (pads.empty()) pads.assign(2 * D, 0);
  if (strides.empty()) strides.assign(D, 1);
  if (dil.size() != D || pads.size() != 2 * D || strides.size() != D) return ctx.fail("dilations/pads/strides do not match the spatial rank");
  std::int64_t K = shapeSize(block);
  if (K <= 0 || x.dim(1) % K) return ctx.fail("input dim 1 (" + std::to_string(x.dim(1)) + ") must divide by prod(block_shape) " + std::to_string(K));
  std::vector<std::int64_t> cols(D);
  for (std::size_t d = 0; d < D; ++d) {
    if (strides[d] <= 0) return ctx.fail("strides must be positive");
    cols[d] = (image[d] + pads[d] + pads[d + D] - (dil[d] * (block[d] - 1) + 1)) / strides[d] + 1;
  }
  std::int64_t L = shapeSize(cols), N = x.dim(0), C = x.dim(1) / K, plane = shapeSize(image);
  if (x.dim(2) != L) return ctx.fail("input has " + std::to_string(x.dim(2)) + " blocks but the shapes give " + std::to_string(L));
  auto xv = arrayToDoubles(x);
  if (!xv) return xv.status();
  std::vector<std::int64_t> shape = {N, C};
  shape.insert(shape.end(), image.begin(), image.end());
  Array out(kDouble, shape);
  double* o = out.data<double>();
  std::vector<std::int64_t> kidx(D), cidx(D);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t k = 0; k < K; ++k) {
        std::int64_t r = k;
        for (std::size_t d = D; d-- > 0;) {
          kidx[d] = r % block[d];
          r /= block[d];
        }
        for (std::int64_t l = 0; l < L; ++l) {
          r = l;
          for (std::size_t d = D; d-- > 0;) {
            cidx[d] = r % cols[d];
            r /= cols[d];
          }
          std::int64_t off = 0;
          bool inside = true;
          for (std::size_t d = 0; d < D && inside; ++d) {
            std::int64_t i = cidx[d] * strides[d] - pads[d] + kidx[d] * dil[d];
            inside = i >= 0 && i < image[d];
            off = off * image[d] + i;
          }
          if (inside) o[(n * C + c) * plane + off] += xv.value()[static_cast<std::size_t>(((n * C + c) * K + k) * L + l)];
        }
      }
  auto res = castArray(out, x.dtype());
  if (!res) return res.status();
  ctx.setOutput(0, res.value());
  return Status::ok();
}

// CenterCropPad-18: crops or zero-pads each listed axis to the given length, centred (the
// extra element of an odd difference goes to the end).
Status centerCropPadK(Context& ctx) {
  if (auto s = ctx.require(1, "shape"); !s) return s;
  const Array& x = ctx.input(0);
  auto target = toInt64Vector(ctx.input(1));
  auto r = static_cast<std::int64_t>(x.rank());
  std::vector<std::int64_t> axes = ctx.attrInts("axes");
  if (axes.empty())
    for (std::int64_t a = 0; a < r; ++a) axes.push_back(a);
  if (axes.size() != target.size()) return ctx.fail("shape has " + std::to_string(target.size()) + " entries for " + std::to_string(axes.size()) + " axes");
  std::vector<std::int64_t> outShape = x.shape(), srcStart(x.rank(), 0), dstStart(x.rank(), 0), copyLen = x.shape();
  for (std::size_t i = 0; i < axes.size(); ++i) {
    std::int64_t a = axes[i];
    if (!normalizeAxis(a, r)) return ctx.fail("axis " + std::to_string(axes[i]) + " out of range for " + formatArrayType(x));
    auto ax = static_cast<std::size_t>(a);
    std::int64_t dim = x.dim(ax), want = target[i];
    if (want < 0) return ctx.fail("shape entries must not be negative");
    outShape[ax] = want;
    if (want < dim) {
      srcStart[ax] = (dim - want) / 2;
      copyLen[ax] = want;
    } else if (want > dim) {
      dstStart[ax] = (want - dim) / 2;
    }
  }
  Array out(x.dtype(), outShape);
  std::int64_t count = shapeSize(copyLen);
  std::size_t es = x.elementSize();
  auto srcStrides = contiguousStrides(x.shape()), dstStrides = contiguousStrides(outShape);
  std::vector<std::int64_t> idx(x.rank(), 0);
  for (std::int64_t k = 0; k < count; ++k) {
    std::int64_t rem = k, s = 0, d = 0;
    for (std::size_t a = x.rank(); a-- > 0;) {
      idx[a] = rem % copyLen[a];
      rem /= copyLen[a];
      s += (idx[a] + srcStart[a]) * srcStrides[a];
      d += (idx[a] + dstStart[a]) * dstStrides[a];
    }
    if (x.dtype() == kString)
      out.strings()[static_cast<std::size_t>(d)] = x.strings()[static_cast<std::size_t>(s)];
    else
      std::memcpy(static_cast<std::byte*>(out.raw()) + static_cast<std::size_t>(d) * es,
                  static_cast<const std::byte*>(x.raw()) + static_cast<std::size_t>(s) * es, es);
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

// Bilinear value of an [H, W] plane at (y, x): 0 outside [-1, H] x [-1, W], edges clamped.
// RoiAlign's variant (deformable convolution uses its own, below).
struct RoiSample {
  double w[4] = {0, 0, 0, 0};
  std::int64_t at[4] = {0, 0, 0, 0};
  bool valid = false;
};

RoiSample roiSample(double y, double x, std::int64_t H, std::int64_t W) {
  RoiSample s;
  if (y < -1.0 || y > static_cast<double>(H) || x < -1.0 || x > static_cast<double>(W)) return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  std::int64_t yl = static_cast<std::int64_t>(y), xl = static_cast<std::int64_t>(x), yh, xh;
  if (yl >= H - 1) {
    yh = yl = H - 1;
    y = static_cast<double>(yl);
  } else {
    yh = yl + 1;
  }
  if (xl >= W - 1) {
    xh = xl = W - 1;
    x = static_cast<double>(xl);
  } else {
    xh = xl + 1;
  }
  double ly = y - static_cast<double>(yl), lx = x - static_cast<double>(xl), hy = 1 - ly, hx = 1 - lx;
  s.w[0] = hy * hx, s.w[1] = hy * lx, s.w[2] = ly * hx, s.w[3] = ly * lx;
  s.at[0] = yl * W + xl, s.at[1] = yl * W + xh, s.at[2] = yh * W + xl, s.at[3] = yh * W + xh;
  s.valid = true;
  return s;
}

Status roiAlignK(Context& ctx) {
  if (auto s = ctx.require(1, "rois"); !s) return s;
  if (auto s = ctx.require(2, "batch_indices"); !s) return s;
  const Array &X = ctx.input(0), &rois = ctx.input(1);
  if (X.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 4) return ctx.fail("X must be [N, C, H, W] and rois [R, 4]");
  auto batch = toInt64Vector(ctx.input(2));
  std::int64_t R = rois.dim(0), C = X.dim(1), H = X.dim(2), W = X.dim(3);
  if (static_cast<std::int64_t>(batch.size()) != R) return ctx.fail("batch_indices must have one entry per roi");
  std::int64_t oh = ctx.attrInt("output_height", 1), ow = ctx.attrInt("output_width", 1), ratio = ctx.attrInt("sampling_ratio", 0);
  double scale = ctx.attrFloat("spatial_scale", 1.0f);
  bool isMax = ctx.attrString("mode", "avg") == "max";
  bool halfPixel = ctx.attrString("coordinate_transformation_mode", ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel") == "half_pixel";
  auto xv = arrayToDoubles(X), rv = arrayToDoubles(rois);
  if (!xv || !rv) return ctx.fail("X and rois must be numeric");
  Array Y = Array::uninitialized(kDouble, {R, C, oh, ow});
  double* y = Y.data<double>();
  double offset = halfPixel ? 0.5 : 0.0;
  for (std::int64_t r = 0; r < R; ++r) {
    std::int64_t b = batch[static_cast<std::size_t>(r)];
    if (b < 0 || b >= X.dim(0)) return ctx.fail("batch index " + std::to_string(b) + " is out of range");
    const double* roi = rv.value().data() + r * 4;
    double x1 = roi[0] * scale - offset, y1 = roi[1] * scale - offset, x2 = roi[2] * scale - offset, y2 = roi[3] * scale - offset;
    double rw = x2 - x1, rh = y2 - y1;
    if (!halfPixel) {
      rw = std::max(rw, 1.0);
      rh = std::max(rh, 1.0);
    }
    double bh = rh / static_cast<double>(oh), bw = rw / static_cast<double>(ow);
    std::int64_t gh = ratio > 0 ? ratio : static_cast<std::int64_t>(std::ceil(rh / static_cast<double>(oh)));
    std::int64_t gw = ratio > 0 ? ratio : static_cast<std::int64_t>(std::ceil(rw / static_cast<double>(ow)));
    double count = static_cast<double>(std::max<std::int64_t>(gh * gw, 1));
    for (std::int64_t c = 0; c < C; ++c) {
      const double* plane = xv.value().data() + (b * C + c) * H * W;
      for (std::int64_t ph = 0; ph < oh; ++ph)
        for (std::int64_t pw = 0; pw < ow; ++pw) {
          double acc = 0;
          bool first = true;
          for (std::int64_t iy = 0; iy < gh; ++iy) {
            double yy = y1 + static_cast<double>(ph) * bh + (static_cast<double>(iy) + 0.5) * bh / static_cast<double>(gh);
            for (std::int64_t ix = 0; ix < gw; ++ix) {
              double xx = x1 + static_cast<double>(pw) * bw + (static_cast<double>(ix) + 0.5) * bw / static_cast<double>(gw);
              RoiSample s = roiSample(yy, xx, H, W);
              if (isMax) {
                double m = 0;
                if (s.valid) {
                  m = s.w[0] * plane[s.at[0]];
                  for (int k = 1; k < 4; ++k) m = std::max(m, s.w[k] * plane[s.at[k]]);
                }
                acc = first ? m : std::max(acc, m);
                first = false;
              } else if (s.valid) {
                for (int k = 0; k < 4; ++k) acc += s.w[k] * plane[s.at[k]];
              }
            }
          }
          y[((r * C + c) * oh + ph) * ow + pw] = isMax ? acc : acc / count;
        }
    }
  }
  auto out = castArray(Y, X.dtype());
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

// DeformConv-19 (2-D): each kernel tap samples X bilinearly at its position plus a learned
// offset (zero outside the image), optionally weighted by a mask, then a grouped convolution.
Status deformConvK(Context& ctx) {
  if (auto s = ctx.require(1, "W"); !s) return s;
  if (auto s = ctx.require(2, "offset"); !s) return s;
  const Array &X = ctx.input(0), &Wt = ctx.input(1), &off = ctx.input(2);
  if (X.rank() != 4 || Wt.rank() != 4 || off.rank() != 4) return ctx.unsupported("only 2-D DeformConv (4-D X, W, offset) is supported");
  std::int64_t N = X.dim(0), C = X.dim(1), H = X.dim(2), Wd = X.dim(3), OC = Wt.dim(0), kh = Wt.dim(2), kw = Wt.dim(3);
  std::int64_t group = ctx.attrInt("group", 1), og = ctx.attrInt("offset_group", 1);
  auto strides = ctx.attrInts("strides"), pads = ctx.attrInts("pads"), dil = ctx.attrInts("dilations");
  if (strides.empty()) strides = {1, 1};
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (dil.empty()) dil = {1, 1};
  if (group <= 0 || og <= 0 || C % group || OC % group || C % og || Wt.dim(1) != C / group)
    return ctx.fail("W " + formatArrayType(Wt) + " does not fit X " + formatArrayType(X) + " with group " + std::to_string(group));
  std::int64_t OH = (H + pads[0] + pads[2] - (dil[0] * (kh - 1) + 1)) / strides[0] + 1;
  std::int64_t OW = (Wd + pads[1] + pads[3] - (dil[1] * (kw - 1) + 1)) / strides[1] + 1;
  std::int64_t K = kh * kw;
  if (off.dim(0) != N || off.dim(1) != og * 2 * K || off.dim(2) != OH || off.dim(3) != OW)
    return ctx.fail("offset " + formatArrayType(off) + " must be [" + std::to_string(N) + ", " + std::to_string(og * 2 * K) + ", " +
                    std::to_string(OH) + ", " + std::to_string(OW) + "]");
  auto xv = arrayToDoubles(X), wv = arrayToDoubles(Wt), ov = arrayToDoubles(off);
  if (!xv || !wv || !ov) return ctx.fail("inputs must be numeric");
  std::vector<double> bias(static_cast<std::size_t>(OC), 0.0), mask;
  if (ctx.hasInput(3)) {
    auto b = arrayToDoubles(ctx.input(3));
    if (!b || b.value().size() != bias.size()) return ctx.fail("B must have one value per output channel");
    bias = b.value();
  }
  if (ctx.hasInput(4)) {
    auto m = arrayToDoubles(ctx.input(4));
    if (!m || static_cast<std::int64_t>(m.value().size()) != N * og * K * OH * OW) return ctx.fail("mask must be [N, offset_group * kH * kW, oH, oW]");
    mask = m.value();
  }
  // Sampled columns [C * K, OH * OW] per image, then W [OC, C/group * K] times them per group.
  std::int64_t P = OH * OW, cpg = C / og;
  std::vector<double> cols(static_cast<std::size_t>(C * K * P));
  Array Y = Array::uninitialized(kDouble, {N, OC, OH, OW});
  double* y = Y.data<double>();
  for (std::int64_t n = 0; n < N; ++n) {
    for (std::int64_t c = 0; c < C; ++c) {
      std::int64_t g = c / cpg;
      const double* plane = xv.value().data() + (n * C + c) * H * Wd;
      for (std::int64_t k = 0; k < K; ++k)
        for (std::int64_t p = 0; p < P; ++p) {
          std::int64_t oy = p / OW, ox = p % OW, ky = k / kw, kx = k % kw;
          std::int64_t oi = ((n * og + g) * 2 * K + 2 * k) * P + p;
          double sy = static_cast<double>(oy * strides[0] - pads[0] + ky * dil[0]) + ov.value()[static_cast<std::size_t>(oi)];
          double sx = static_cast<double>(ox * strides[1] - pads[1] + kx * dil[1]) + ov.value()[static_cast<std::size_t>(oi + P)];
          double v = 0;
          if (sy > -1 && sy < static_cast<double>(H) && sx > -1 && sx < static_cast<double>(Wd)) {
            auto y0 = static_cast<std::int64_t>(std::floor(sy)), x0 = static_cast<std::int64_t>(std::floor(sx));
            double ly = sy - static_cast<double>(y0), lx = sx - static_cast<double>(x0);
            auto px = [&](std::int64_t yy, std::int64_t xx) {
              return yy >= 0 && yy < H && xx >= 0 && xx < Wd ? plane[yy * Wd + xx] : 0.0;
            };
            v = (1 - ly) * (1 - lx) * px(y0, x0) + (1 - ly) * lx * px(y0, x0 + 1) + ly * (1 - lx) * px(y0 + 1, x0) + ly * lx * px(y0 + 1, x0 + 1);
          }
          if (!mask.empty()) v *= mask[static_cast<std::size_t>(((n * og + g) * K + k) * P + p)];
          cols[static_cast<std::size_t>((c * K + k) * P + p)] = v;
        }
    }
    std::int64_t icpg = C / group, ocpg = OC / group;
    for (std::int64_t o = 0; o < OC; ++o) {
      std::int64_t g = o / ocpg;
      for (std::int64_t p = 0; p < P; ++p) {
        double acc = bias[static_cast<std::size_t>(o)];
        for (std::int64_t ic = 0; ic < icpg; ++ic)
          for (std::int64_t k = 0; k < K; ++k)
            acc += wv.value()[static_cast<std::size_t>((o * icpg + ic) * K + k)] *
                   cols[static_cast<std::size_t>(((g * icpg + ic) * K + k) * P + p)];
        y[(n * OC + o) * P + p] = acc;
      }
    }
  }
  auto out = castArray(Y, X.dtype());
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

}  // namespace

void registerImageKernels() {
  registerKernel("", "GridSample", gridSampleK);
  registerKernel("", "AffineGrid", affineGridK);
  registerKernel("", "Col2Im", col2ImK);
  registerKernel("", "CenterCropPad", centerCropPadK, true);
  registerKernel("", "RoiAlign", roiAlignK);
  registerKernel("", "DeformConv", deformConvK);
}

}  // namespace graft::eval
