// Reductions and normalizations: Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax,
// BatchNormalization, LayerNormalization (+ com.microsoft SkipLayerNormalization),
// InstanceNormalization, LRN, MeanVarianceNormalization.
#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/fast_math.h"
#include "eval/kernel.h"

namespace graft::eval {

namespace {

// Which axes a Reduce* node reduces (all when none are given unless noop_with_empty_axes).
Result<std::vector<bool>> reducedAxes(Context& ctx, const Array& x, bool& noop) {
  std::vector<std::int64_t> axes;
  bool fromInput = ctx.hasInput(1);
  if (fromInput)
    axes = toInt64Vector(ctx.input(1));
  else
    axes = ctx.attrInts("axes");
  auto r = static_cast<std::int64_t>(x.rank());
  std::vector<bool> red(x.rank(), axes.empty());
  noop = axes.empty() && ctx.attrInt("noop_with_empty_axes", 0);
  for (auto a : axes) {
    std::int64_t b = a;
    // normalizeAxis lets a scalar have axis 0; a reduction of a scalar has no axis to name.
    if (!normalizeAxis(b, r) || b >= r) return ctx.fail("axis " + std::to_string(a) + " out of range for " + formatArrayType(x));
    red[static_cast<std::size_t>(b)] = true;
  }
  return red;
}

// Walks every input element with the flat index of the output element it reduces into.
template <typename F>
void reduceWalk(const std::vector<std::int64_t>& shape, const std::vector<bool>& red, F f) {
  std::size_t r = shape.size();
  std::vector<std::int64_t> outShape(r);
  for (std::size_t d = 0; d < r; ++d) outShape[d] = red[d] ? 1 : shape[d];
  auto os = contiguousStrides(outShape);
  for (std::size_t d = 0; d < r; ++d)
    if (red[d]) os[d] = 0;
  std::int64_t n = shapeSize(shape);
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t o = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, o);
    for (std::size_t d = r; d-- > 0;) {
      o += os[d];
      if (++idx[d] < shape[d]) break;
      o -= os[d] * shape[d];
      idx[d] = 0;
    }
  }
}

enum class Red { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

template <Red op>
Status reduceK(Context& ctx) {
  const Array& x = ctx.input(0);
  bool noop = false;
  auto redR = reducedAxes(ctx, x, noop);
  if (!redR) return redR.status();
  if (noop) {
    ctx.setOutput(0, x);
    return Status::ok();
  }
  const auto& red = redR.value();
  bool keep = ctx.attrInt("keepdims", 1) != 0;
  std::vector<std::int64_t> keptShape, outShape;
  std::int64_t count = 1;
  for (std::size_t d = 0; d < x.rank(); ++d) {
    keptShape.push_back(red[d] ? 1 : x.dim(d));
    if (red[d])
      count *= x.dim(d);
    else
      outShape.push_back(x.dim(d));
  }
  std::int64_t m = shapeSize(keptShape);
  // Trailing axes of a float tensor (LayerNorm's mean over the last axis, pooling over H×W):
  // contiguous rows, reduced in place without widening the whole tensor to doubles.
  std::size_t firstRed = x.rank();
  while (firstRed > 0 && red[firstRed - 1]) --firstRed;
  bool trailing = firstRed < x.rank() && std::none_of(red.begin(), red.begin() + static_cast<std::ptrdiff_t>(firstRed), [](bool b) { return b; });
  if constexpr (op == Red::Sum || op == Red::Mean || op == Red::Max || op == Red::Min || op == Red::SumSquare) {
    if (trailing && (x.dtype() == kFloat || x.dtype() == kDouble) && count > 0) {
      Array out = Array::uninitialized(x.dtype(), keep ? keptShape : outShape);
      GRAFT_DISPATCH_FLOAT(x.dtype(), {
        const T* in = x.data<T>();
        T* o = out.data<T>();
        parallelFor(m, std::max<std::int64_t>(1, (1 << 15) / count), [&](std::int64_t r0, std::int64_t r1) {
          for (std::int64_t r = r0; r < r1; ++r) {
            const T* p = in + r * count;
            if constexpr (op == Red::Max || op == Red::Min) {
              T best = p[0];
              for (std::int64_t k = 0; k < count; ++k) {
                T a = p[k];
                if (std::isnan(a) || std::isnan(best)) {
                  best = std::numeric_limits<T>::quiet_NaN();
                  break;
                }
                best = op == Red::Max ? std::max(best, a) : std::min(best, a);
              }
              o[r] = best;
            } else {
              double acc = 0;
              for (std::int64_t k = 0; k < count; ++k)
                acc += op == Red::SumSquare ? static_cast<double>(p[k]) * static_cast<double>(p[k]) : static_cast<double>(p[k]);
              if (op == Red::Mean) acc /= static_cast<double>(count);
              o[r] = static_cast<T>(acc);
            }
          }
        });
      })
      ctx.setOutput(0, out);
      return Status::ok();
    }
  }
  double init = 0;
  if (op == Red::Max) init = -std::numeric_limits<double>::infinity();
  if (op == Red::Min) init = std::numeric_limits<double>::infinity();
  if (op == Red::Prod) init = 1;
  std::vector<double> acc(static_cast<std::size_t>(m), init);
  auto vals = arrayToDoubles(x);
  if (!vals) return ctx.fail(vals.message());
  const auto& v = vals.value();
  std::vector<double> mx;
  if (op == Red::LogSumExp) {
    mx.assign(static_cast<std::size_t>(m), -std::numeric_limits<double>::infinity());
    reduceWalk(x.shape(), red, [&](std::int64_t i, std::int64_t o) {
      mx[static_cast<std::size_t>(o)] = std::max(mx[static_cast<std::size_t>(o)], v[static_cast<std::size_t>(i)]);
    });
  }
  reduceWalk(x.shape(), red, [&](std::int64_t i, std::int64_t o) {
    double a = v[static_cast<std::size_t>(i)];
    double& s = acc[static_cast<std::size_t>(o)];
    switch (op) {
      case Red::Sum: case Red::Mean: case Red::LogSum: s += a; break;
      case Red::Max: s = std::isnan(a) || a > s ? a : s; break;
      case Red::Min: s = std::isnan(a) || a < s ? a : s; break;
      case Red::Prod: s *= a; break;
      case Red::L1: s += std::abs(a); break;
      case Red::L2: case Red::SumSquare: s += a * a; break;
      case Red::LogSumExp: s += std::exp(a - mx[static_cast<std::size_t>(o)]); break;
    }
  });
  for (std::int64_t o = 0; o < m; ++o) {
    double& s = acc[static_cast<std::size_t>(o)];
    if (op == Red::Mean) s /= static_cast<double>(count);
    if (op == Red::L2) s = std::sqrt(s);
    if (op == Red::LogSum) s = std::log(s);
    if (op == Red::LogSumExp) s = std::log(s) + mx[static_cast<std::size_t>(o)];
  }
  Array d = Array::uninitialized(kDouble, keep ? keptShape : outShape);
  std::copy(acc.begin(), acc.end(), d.data<double>());
  auto out = castArray(d, x.dtype());
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

template <bool isMax>
Status argK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range for " + formatArrayType(x));
  bool keep = ctx.attrInt("keepdims", 1) != 0, last = ctx.attrInt("select_last_index", 0) != 0;
  auto ax = static_cast<std::size_t>(axis);
  std::int64_t outer = 1, inner = 1, dim = x.dim(ax);
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.dim(d);
  auto shape = x.shape();
  if (keep)
    shape[ax] = 1;
  else
    shape.erase(shape.begin() + axis);
  Array out = Array::uninitialized(kInt64, shape);
  GRAFT_DISPATCH_NUMERIC(x.dtype(), {
    const T* in = x.data<T>();
    for (std::int64_t a = 0; a < outer; ++a)
      for (std::int64_t c = 0; c < inner; ++c) {
        std::int64_t best = 0;
        T bv = in[a * dim * inner + c];
        for (std::int64_t k = 1; k < dim; ++k) {
          T v = in[(a * dim + k) * inner + c];
          bool better = isMax ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
          if (better) {
            bv = v;
            best = k;
          }
        }
        out.data<std::int64_t>()[a * inner + c] = best;
      }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

enum class Sm { Softmax, LogSoftmax, Hardmax };

// Softmax's row loops: the float ones built for wider instruction sets too (fast_loops.cpp).
template <typename T>
void expRow(const T* p, T m, T* q, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    expShiftRow(p, m, q, n);
  else
    for (std::int64_t k = 0; k < n; ++k) q[k] = static_cast<T>(std::exp(p[k] - m));
}
template <typename T>
bool softmaxRowOf(const T* p, T* q, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (n <= 0) return false;
    softmaxRow(p, q, n);
    return true;
  } else {
    return false;
  }
}
template <typename T>
void scaleRowOf(T* q, T s, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    scaleRow(q, s, n);
  else
    for (std::int64_t k = 0; k < n; ++k) q[k] = static_cast<T>(q[k] * s);
}
template <Sm op>
Status softmaxK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto r = static_cast<std::int64_t>(x.rank());
  bool legacy = ctx.opset() < 13;
  std::int64_t axis = ctx.attrInt("axis", legacy ? 1 : -1);
  if (!normalizeAxis(axis, r)) return ctx.fail("axis out of range for " + formatArrayType(x));
  std::int64_t outer = 1, dim = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= x.dim(static_cast<std::size_t>(d));
  if (legacy) {
    dim = outer ? x.size() / outer : 0;
  } else {
    dim = x.dim(static_cast<std::size_t>(axis));
    for (std::int64_t d = axis + 1; d < r; ++d) inner *= x.dim(static_cast<std::size_t>(d));
  }
  Array out = Array::uninitialized(x.dtype(), x.shape());
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallelFor(outer, outer * inner * dim > (1 << 15) ? std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(1, dim * inner)) : outer,
                [&](std::int64_t as, std::int64_t ae) {
    FlushDenormals flush;
    for (std::int64_t a = as; a < ae; ++a)
      for (std::int64_t c = 0; c < inner; ++c) {
        const T* p = in + a * dim * inner + c;
        T* q = o + a * dim * inner + c;
        if (op == Sm::Softmax && inner == 1 && softmaxRowOf(p, q, dim)) continue;
        T m = p[0];
        std::int64_t arg = 0;
        for (std::int64_t k = 1; k < dim; ++k)
          if (p[k * inner] > m) {
            m = p[k * inner];
            arg = k;
          }
        if (op == Sm::Hardmax) {
          for (std::int64_t k = 0; k < dim; ++k) q[k * inner] = k == arg ? T(1) : T(0);
          continue;
        }
        double sum = 0;
        if (op == Sm::Softmax && inner == 1) {
          // Rows along the last axis (attention scores): one exp per element, in the element type.
          if constexpr (std::is_same_v<T, float>) {
            expRow(p, m, q, dim);
            for (std::int64_t k = 0; k < dim; ++k) sum += static_cast<double>(q[k]);
          } else {
            for (std::int64_t k = 0; k < dim; ++k) {
              T e = static_cast<T>(std::exp(p[k] - m));
              q[k] = e;
              sum += static_cast<double>(e);
            }
          }
          T scale = static_cast<T>(1.0 / sum);
          scaleRowOf(q, scale, dim);
          continue;
        }
        for (std::int64_t k = 0; k < dim; ++k) sum += std::exp(static_cast<double>(p[k * inner] - m));
        if (op == Sm::Softmax) {
          for (std::int64_t k = 0; k < dim; ++k) q[k * inner] = static_cast<T>(std::exp(static_cast<double>(p[k * inner] - m)) / sum);
        } else {
          double ls = std::log(sum);
          for (std::int64_t k = 0; k < dim; ++k) q[k * inner] = static_cast<T>(static_cast<double>(p[k * inner] - m) - ls);
        }
      }
    });
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

// Normalizes rows of `width` contiguous elements; gamma/beta are per column (may be empty).
template <typename T>
void normalizeRows(const T* x, T* y, std::int64_t rows, std::int64_t width, const T* gamma, const T* beta, double eps,
                   double* meanOut, double* invOut, bool simplified = false) {
  parallelFor(rows, rows * width > (1 << 15) ? 1 : rows, [&](std::int64_t rs, std::int64_t re) {
  for (std::int64_t r = rs; r < re; ++r) {
    const T* p = x + r * width;
    T* q = y + r * width;
    double mean = 0, var = 0;
    if (!simplified) {
      for (std::int64_t k = 0; k < width; ++k) mean += static_cast<double>(p[k]);
      mean /= static_cast<double>(width);
    }
    for (std::int64_t k = 0; k < width; ++k) {
      double d = static_cast<double>(p[k]) - mean;
      var += d * d;
    }
    var /= static_cast<double>(width);
    double inv = 1.0 / std::sqrt(var + eps);
    for (std::int64_t k = 0; k < width; ++k) {
      double v = (static_cast<double>(p[k]) - mean) * inv;
      if (gamma) v *= static_cast<double>(gamma[k]);
      if (beta) v += static_cast<double>(beta[k]);
      q[k] = static_cast<T>(v);
    }
    if (meanOut) meanOut[r] = mean;
    if (invOut) invOut[r] = inv;
  }
  });
}

Status layerNormImpl(Context& ctx, bool simplified) {
  if (auto s = ctx.require(1, "Scale"); !s) return s;
  const Array& x = ctx.input(0);
  std::int64_t axis = ctx.attrInt("axis", -1);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range for " + formatArrayType(x));
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  std::vector<std::int64_t> normShape(x.shape().begin() + axis, x.shape().end());
  std::int64_t width = shapeSize(normShape), rows = width ? x.size() / width : 0;
  auto scaleC = castArray(ctx.input(1), x.dtype());
  if (!scaleC) return scaleC.status();
  auto bs = broadcastShapes(scaleC.value().shape(), normShape);
  if (!bs || bs.value() != normShape)
    return ctx.fail("Scale " + formatArrayType(ctx.input(1)) + " does not fit the normalized shape " + formatShape(normShape));
  Array scale = expandTo(scaleC.value(), normShape);
  Array bias;
  if (ctx.hasInput(2)) {
    auto b = castArray(ctx.input(2), x.dtype());
    if (!b) return b.status();
    bias = expandTo(b.value(), normShape);
  }
  Array y = Array::uninitialized(x.dtype(), x.shape());
  std::vector<double> mean(static_cast<std::size_t>(rows)), inv(static_cast<std::size_t>(rows));
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    normalizeRows<T>(x.data<T>(), y.data<T>(), rows, width, scale.data<T>(), bias.valid() ? bias.data<T>() : nullptr, eps,
                     mean.data(), inv.data(), simplified);
  })
  ctx.setOutput(0, y);
  std::vector<std::int64_t> statShape(x.shape().begin(), x.shape().begin() + axis);
  statShape.resize(x.rank(), 1);
  auto stashType = static_cast<std::int32_t>(ctx.attrInt("stash_type", kFloat));
  // LayerNormalization outputs (Y, Mean, InvStdDev); SimplifiedLayerNormalization has no
  // mean: its second output is inv_std_var.
  for (int k = 1; k <= 2; ++k) {
    if (!ctx.wantsOutput(static_cast<std::size_t>(k))) continue;
    bool wantMean = k == 1 && !simplified;
    Array s = Array::uninitialized(kDouble, statShape);
    std::copy((wantMean ? mean : inv).begin(), (wantMean ? mean : inv).end(), s.data<double>());
    auto c = castArray(s, stashType == kDouble ? kDouble : kFloat);
    if (!c) return c.status();
    ctx.setOutput(static_cast<std::size_t>(k), c.value());
  }
  return Status::ok();
}

Status layerNormK(Context& ctx) { return layerNormImpl(ctx, false); }
Status simplifiedLayerNormK(Context& ctx) { return layerNormImpl(ctx, true); }

// com.microsoft SkipLayerNormalization: LayerNorm(input + skip + bias) over the last axis.
Status skipLayerNormK(Context& ctx) {
  if (auto s = ctx.require(2, "gamma"); !s) return s;
  const Array &x = ctx.input(0), &skip = ctx.input(1);
  auto shape = broadcastShapes(x.shape(), skip.shape());
  if (!shape || shape.value() != x.shape()) return ctx.fail("input " + formatArrayType(x) + " and skip " + formatArrayType(skip) + " do not match");
  if (x.dtype() != kFloat) return ctx.unsupported("SkipLayerNormalization needs float32 input");
  std::int64_t width = x.dim(x.rank() - 1), rows = width ? x.size() / width : 0;
  Array sum = Array::uninitialized(kFloat, x.shape());
  Array sk = expandTo(skip, x.shape());
  const float* bias = ctx.hasInput(4) ? ctx.input(4).data<float>() : nullptr;
  for (std::int64_t i = 0; i < x.size(); ++i)
    sum.data<float>()[i] = x.data<float>()[i] + sk.data<float>()[i] + (bias ? bias[i % width] : 0.0f);
  Array y = Array::uninitialized(kFloat, x.shape());
  std::vector<double> mean(static_cast<std::size_t>(rows)), inv(static_cast<std::size_t>(rows));
  normalizeRows<float>(sum.data<float>(), y.data<float>(), rows, width, ctx.input(2).data<float>(),
                       ctx.hasInput(3) ? ctx.input(3).data<float>() : nullptr, ctx.attrFloat("epsilon", 1e-12f), mean.data(),
                       inv.data());
  ctx.setOutput(0, y);
  std::vector<std::int64_t> statShape(x.shape().begin(), x.shape().end() - 1);
  statShape.push_back(1);
  for (int k = 1; k <= 2; ++k) {
    if (!ctx.wantsOutput(static_cast<std::size_t>(k))) continue;
    Array s = Array::uninitialized(kFloat, statShape);
    const auto& src = k == 1 ? mean : inv;
    for (std::size_t i = 0; i < src.size(); ++i) s.data<float>()[i] = static_cast<float>(src[i]);
    ctx.setOutput(static_cast<std::size_t>(k), s);
  }
  if (ctx.wantsOutput(3)) ctx.setOutput(3, sum);
  return Status::ok();
}

Status batchNormK(Context& ctx) {
  if (auto s = ctx.require(4, "var"); !s) return s;
  const Array& x = ctx.input(0);
  double eps = ctx.attrFloat("epsilon", 1e-5f), momentum = ctx.attrFloat("momentum", 0.9f);
  bool training = ctx.attrInt("training_mode", 0) != 0;
  std::int64_t N = x.dim(0), C = x.rank() > 1 ? x.dim(1) : 1;
  std::int64_t inner = (N * C != 0) ? x.size() / (N * C) : 0;
  auto get = [&](std::size_t i) { return arrayToDoubles(ctx.input(i)); };
  auto scale = get(1), bias = get(2), mean = get(3), var = get(4);
  if (!scale || !bias || !mean || !var) return ctx.fail("scale, B, mean and var must be numeric");
  auto xs = arrayToDoubles(x);
  if (!xs) return xs.status();
  const auto& xv = xs.value();
  std::vector<double> m = mean.value(), v = var.value();
  // All four per-channel inputs: a var of 0 values was read past its end (fuzz crash).
  for (const auto* p : {&scale.value(), &bias.value(), &m, &v})
    if (static_cast<std::int64_t>(p->size()) != C)
      return ctx.fail("scale, B, mean and var need one value per channel: one of them has " + std::to_string(p->size()) +
                      " values but the input " + formatArrayType(x) + " has " + std::to_string(C) + " channels");
  std::vector<double> useM = m, useV = v;
  if (training) {
    for (std::int64_t c = 0; c < C; ++c) {
      double s = 0, sq = 0;
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t i = 0; i < inner; ++i) {
          double a = xv[static_cast<std::size_t>((n * C + c) * inner + i)];
          s += a;
          sq += a * a;
        }
      double cnt = static_cast<double>(N * inner);
      useM[static_cast<std::size_t>(c)] = s / cnt;
      useV[static_cast<std::size_t>(c)] = sq / cnt - (s / cnt) * (s / cnt);
    }
  }
  Array y = Array::uninitialized(kDouble, x.shape());
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c) {
      auto cc = static_cast<std::size_t>(c);
      double k = scale.value()[cc] / std::sqrt(useV[cc] + eps), b = bias.value()[cc] - useM[cc] * k;
      for (std::int64_t i = 0; i < inner; ++i) {
        auto off = static_cast<std::size_t>((n * C + c) * inner + i);
        y.data<double>()[off] = xv[off] * k + b;
      }
    }
  auto yc = castArray(y, x.dtype());
  if (!yc) return yc.status();
  ctx.setOutput(0, yc.value());
  if (training) {
    for (int k = 1; k <= 2; ++k) {
      if (!ctx.wantsOutput(static_cast<std::size_t>(k))) continue;
      Array r = Array::uninitialized(kDouble, {C});
      for (std::int64_t c = 0; c < C; ++c) {
        auto cc = static_cast<std::size_t>(c);
        r.data<double>()[c] = k == 1 ? m[cc] * momentum + useM[cc] * (1 - momentum) : v[cc] * momentum + useV[cc] * (1 - momentum);
      }
      auto rc = castArray(r, ctx.input(3).dtype());
      if (!rc) return rc.status();
      ctx.setOutput(static_cast<std::size_t>(k), rc.value());
    }
  }
  return Status::ok();
}

Status instanceNormK(Context& ctx) {
  if (auto s = ctx.require(2, "B"); !s) return s;
  const Array& x = ctx.input(0);
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  std::int64_t N = x.dim(0), C = x.dim(1), inner = (N * C != 0) ? x.size() / (N * C) : 0;
  auto scale = arrayToDoubles(ctx.input(1)), bias = arrayToDoubles(ctx.input(2));
  if (!scale || !bias) return ctx.fail("scale and B must be numeric");
  // One scale and one bias per channel (a shorter B was read past its end).
  if (static_cast<std::int64_t>(scale.value().size()) != C || static_cast<std::int64_t>(bias.value().size()) != C)
    return ctx.fail("scale " + formatArrayType(ctx.input(1)) + " and B " + formatArrayType(ctx.input(2)) + " must each hold one value per channel (" +
                    std::to_string(C) + ")");
  Array y = Array::uninitialized(x.dtype(), x.shape());
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t c = 0; c < C; ++c) {
        std::vector<T> g(static_cast<std::size_t>(inner), static_cast<T>(scale.value()[static_cast<std::size_t>(c)]));
        std::vector<T> b(static_cast<std::size_t>(inner), static_cast<T>(bias.value()[static_cast<std::size_t>(c)]));
        // One row of `inner` elements with per-channel (constant) gamma/beta.
        normalizeRows<T>(x.data<T>() + (n * C + c) * inner, y.data<T>() + (n * C + c) * inner, 1, inner, g.data(), b.data(), eps,
                         nullptr, nullptr);
      }
  })
  ctx.setOutput(0, y);
  return Status::ok();
}

Status lrnK(Context& ctx) {
  const Array& x = ctx.input(0);
  double alpha = ctx.attrFloat("alpha", 1e-4f), beta = ctx.attrFloat("beta", 0.75f), bias = ctx.attrFloat("bias", 1.0f);
  std::int64_t size = ctx.attrInt("size", 1);
  std::int64_t N = x.dim(0), C = x.dim(1), inner = (N * C != 0) ? x.size() / (N * C) : 0;
  auto xs = arrayToDoubles(x);
  if (!xs) return xs.status();
  const auto& v = xs.value();
  Array y = Array::uninitialized(kDouble, x.shape());
  std::int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (std::int64_t k = std::max<std::int64_t>(0, c - lo); k <= std::min(C - 1, c + hi); ++k) {
          double a = v[static_cast<std::size_t>((n * C + k) * inner + i)];
          sq += a * a;
        }
        auto off = static_cast<std::size_t>((n * C + c) * inner + i);
        y.data<double>()[off] = v[off] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta);
      }
  auto yc = castArray(y, x.dtype());
  if (!yc) return yc.status();
  ctx.setOutput(0, yc.value());
  return Status::ok();
}

Status mvnK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto axes = ctx.hasAttr("axes") ? ctx.attrInts("axes") : std::vector<std::int64_t>{0, 2, 3};
  std::vector<bool> red(x.rank(), false);
  for (auto a : axes) {
    if (!normalizeAxis(a, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
    red[static_cast<std::size_t>(a)] = true;
  }
  std::int64_t m = 1, count = 1;
  for (std::size_t d = 0; d < x.rank(); ++d) {
    if (red[d]) count *= x.dim(d);
    else m *= x.dim(d);
  }
  auto xs = arrayToDoubles(x);
  if (!xs) return xs.status();
  const auto& v = xs.value();
  std::vector<double> s(static_cast<std::size_t>(m), 0), sq(static_cast<std::size_t>(m), 0);
  reduceWalk(x.shape(), red, [&](std::int64_t i, std::int64_t o) {
    s[static_cast<std::size_t>(o)] += v[static_cast<std::size_t>(i)];
    sq[static_cast<std::size_t>(o)] += v[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
  });
  Array y = Array::uninitialized(kDouble, x.shape());
  reduceWalk(x.shape(), red, [&](std::int64_t i, std::int64_t o) {
    auto oo = static_cast<std::size_t>(o);
    double mean = s[oo] / static_cast<double>(count), var = sq[oo] / static_cast<double>(count) - mean * mean;
    y.data<double>()[i] = (v[static_cast<std::size_t>(i)] - mean) / (std::sqrt(std::max(var, 0.0)) + 1e-9);
  });
  auto yc = castArray(y, x.dtype());
  if (!yc) return yc.status();
  ctx.setOutput(0, yc.value());
  return Status::ok();
}

// NegativeLogLikelihoodLoss over log-probabilities [N, C, d...] (shared with
// SoftmaxCrossEntropyLoss).
Status nllLoss(Context& ctx, const std::vector<double>& logp, const std::vector<std::int64_t>& shape, const Array& target,
               const Array* weight, std::int32_t dtype) {
  std::string reduction = ctx.attrString("reduction", "mean");
  bool hasIgnore = ctx.hasAttr("ignore_index");
  std::int64_t ignore = ctx.attrInt("ignore_index", 0);
  if (shape.size() < 2) return ctx.fail("input must be [N, C, ...]");
  std::int64_t N = shape[0], C = shape[1], inner = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
  if (target.size() != N * inner) return ctx.fail("target " + formatArrayType(target) + " does not match input " + formatShape(shape));
  std::vector<double> w;
  if (weight) {
    auto wv = arrayToDoubles(*weight);
    if (!wv) return wv.status();
    w = wv.value();
    if (static_cast<std::int64_t>(w.size()) != C)
      return ctx.fail("weight " + formatArrayType(*weight) + " must have one value per class (" + std::to_string(C) + ")");
  }
  std::vector<double> loss(static_cast<std::size_t>(N * inner));
  double wsum = 0;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t i = 0; i < inner; ++i) {
      std::int64_t t = readIndex(target, n * inner + i);
      auto k = static_cast<std::size_t>(n * inner + i);
      if (hasIgnore && t == ignore) {
        loss[k] = 0;
        continue;
      }
      if (t < 0 || t >= C) return ctx.fail("target class " + std::to_string(t) + " is out of range [0, " + std::to_string(C) + ")");
      double wt = w.empty() ? 1.0 : w[static_cast<std::size_t>(t)];
      loss[k] = -logp[static_cast<std::size_t>((n * C + t) * inner + i)] * wt;
      wsum += wt;
    }
  Array out;
  if (reduction == "none") {
    std::vector<std::int64_t> outShape{N};
    outShape.insert(outShape.end(), shape.begin() + 2, shape.end());
    out = Array::uninitialized(kDouble, outShape);
    std::copy(loss.begin(), loss.end(), out.data<double>());
  } else {
    double total = 0;
    for (double l : loss) total += l;
    if (reduction == "mean") total = wsum != 0 ? total / wsum : 0.0;
    out = Array::scalar<double>(kDouble, total);
  }
  auto c = castArray(out, dtype);
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Status nllLossK(Context& ctx) {
  if (auto s = ctx.require(1, "target"); !s) return s;
  auto v = arrayToDoubles(ctx.input(0));
  if (!v) return v.status();
  return nllLoss(ctx, v.value(), ctx.input(0).shape(), ctx.input(1), ctx.hasInput(2) ? &ctx.input(2) : nullptr, ctx.input(0).dtype());
}

Status softmaxCrossEntropyK(Context& ctx) {
  if (auto s = ctx.require(1, "labels"); !s) return s;
  const Array& x = ctx.input(0);
  auto v = arrayToDoubles(x);
  if (!v) return v.status();
  if (x.rank() < 2) return ctx.fail("scores must be [N, C, ...]");
  std::int64_t N = x.dim(0), C = x.dim(1), inner = N && C ? x.size() / (N * C) : 0;
  std::vector<double> logp(v.value().size());
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t i = 0; i < inner; ++i) {
      double m = -std::numeric_limits<double>::infinity(), sum = 0;
      for (std::int64_t c = 0; c < C; ++c) m = std::max(m, v.value()[static_cast<std::size_t>((n * C + c) * inner + i)]);
      for (std::int64_t c = 0; c < C; ++c) sum += std::exp(v.value()[static_cast<std::size_t>((n * C + c) * inner + i)] - m);
      double ls = std::log(sum) + m;
      for (std::int64_t c = 0; c < C; ++c) {
        auto k = static_cast<std::size_t>((n * C + c) * inner + i);
        logp[k] = v.value()[k] - ls;
      }
    }
  if (auto s = nllLoss(ctx, logp, x.shape(), ctx.input(1), ctx.hasInput(2) ? &ctx.input(2) : nullptr, x.dtype()); !s) return s;
  if (ctx.wantsOutput(1)) {
    Array lp = Array::uninitialized(kDouble, x.shape());
    std::copy(logp.begin(), logp.end(), lp.data<double>());
    auto c = castArray(lp, x.dtype());
    if (!c) return c.status();
    ctx.setOutput(1, c.value());
  }
  return Status::ok();
}

}  // namespace

void registerReduceKernels() {
  registerKernel("", "NegativeLogLikelihoodLoss", nllLossK);
  registerKernel("", "SoftmaxCrossEntropyLoss", softmaxCrossEntropyK);
  registerKernel("", "RMSNormalization", simplifiedLayerNormK);  // opset 23: X, scale; axis, epsilon, stash_type
  registerKernel("", "ReduceSum", reduceK<Red::Sum>);
  registerKernel("", "ReduceMean", reduceK<Red::Mean>);
  registerKernel("", "ReduceMax", reduceK<Red::Max>);
  registerKernel("", "ReduceMin", reduceK<Red::Min>);
  registerKernel("", "ReduceProd", reduceK<Red::Prod>);
  registerKernel("", "ReduceL1", reduceK<Red::L1>);
  registerKernel("", "ReduceL2", reduceK<Red::L2>);
  registerKernel("", "ReduceLogSum", reduceK<Red::LogSum>);
  registerKernel("", "ReduceLogSumExp", reduceK<Red::LogSumExp>);
  registerKernel("", "ReduceSumSquare", reduceK<Red::SumSquare>);
  registerKernel("", "ArgMax", argK<true>);
  registerKernel("", "ArgMin", argK<false>);
  registerKernel("", "Softmax", softmaxK<Sm::Softmax>);
  registerKernel("", "LogSoftmax", softmaxK<Sm::LogSoftmax>);
  registerKernel("", "Hardmax", softmaxK<Sm::Hardmax>);
  registerKernel("", "LayerNormalization", layerNormK);
  registerKernel("com.microsoft", "LayerNormalization", layerNormK);
  // ONNX Runtime registers its RMSNorm in the ONNX domain (its fusions emit it there).
  registerKernel("", "SimplifiedLayerNormalization", simplifiedLayerNormK);
  registerKernel("com.microsoft", "SimplifiedLayerNormalization", simplifiedLayerNormK);
  registerKernel("com.microsoft", "SkipLayerNormalization", skipLayerNormK);
  registerKernel("", "BatchNormalization", batchNormK);
  registerKernel("", "InstanceNormalization", instanceNormK);
  registerKernel("", "LRN", lrnK);
  registerKernel("", "MeanVarianceNormalization", mvnK);
}

}  // namespace graft::eval
