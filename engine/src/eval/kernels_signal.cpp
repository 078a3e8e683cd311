// Window functions (Hann, Hamming, Blackman), Det and DFT (17, 20).
#include <algorithm>
#include <cmath>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

template <int kind>  // 0 Hann, 1 Hamming, 2 Blackman
Status windowK(Context& ctx) {
  std::int64_t size = readIndex(ctx.input(0), 0);
  if (size < 0) return ctx.fail("size must not be negative");
  bool periodic = ctx.attrInt("periodic", 1) != 0;
  auto dtype = static_cast<std::int32_t>(ctx.attrInt("output_datatype", kFloat));
  double n = static_cast<double>(periodic ? size : size - 1);
  Array w = Array::uninitialized(kDouble, {size});
  for (std::int64_t i = 0; i < size; ++i) {
    double x = n > 0 ? 2 * M_PI * static_cast<double>(i) / n : 0.0;
    double v;
    if (kind == 0) v = 0.5 - 0.5 * std::cos(x);
    else if (kind == 1) v = 25.0 / 46.0 - (1 - 25.0 / 46.0) * std::cos(x);
    else v = 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x);
    w.data<double>()[i] = v;
  }
  auto c = castArray(w, dtype);
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Status detK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) return ctx.fail("input " + formatArrayType(x) + " must end in a square matrix");
  std::int64_t n = x.dim(x.rank() - 1), count = n ? x.size() / (n * n) : 0;
  auto v = arrayToDoubles(x);
  if (!v) return v.status();
  std::vector<std::int64_t> shape(x.shape().begin(), x.shape().end() - 2);
  Array out = Array::uninitialized(kDouble, shape);
  for (std::int64_t m = 0; m < count; ++m) {
    std::vector<double> a(v.value().begin() + m * n * n, v.value().begin() + (m + 1) * n * n);
    double det = 1;
    for (std::int64_t c = 0; c < n; ++c) {
      std::int64_t p = c;
      for (std::int64_t r = c + 1; r < n; ++r)
        if (std::abs(a[static_cast<std::size_t>(r * n + c)]) > std::abs(a[static_cast<std::size_t>(p * n + c)])) p = r;
      if (a[static_cast<std::size_t>(p * n + c)] == 0) {
        det = 0;
        break;
      }
      if (p != c) {
        for (std::int64_t k = 0; k < n; ++k) std::swap(a[static_cast<std::size_t>(p * n + k)], a[static_cast<std::size_t>(c * n + k)]);
        det = -det;
      }
      double piv = a[static_cast<std::size_t>(c * n + c)];
      det *= piv;
      for (std::int64_t r = c + 1; r < n; ++r) {
        double f = a[static_cast<std::size_t>(r * n + c)] / piv;
        for (std::int64_t k = c; k < n; ++k) a[static_cast<std::size_t>(r * n + k)] -= f * a[static_cast<std::size_t>(c * n + k)];
      }
    }
    out.data<double>()[m] = det;
  }
  auto c = castArray(out, x.dtype());
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

// DFT: input [batch, ..., n, 1 (real) or 2 (complex)], transformed along `axis` (attribute in
// opset 17, default 1; input 2 in opset 20, default -2), zero-padded or cut to dft_length;
// onesided keeps the n/2 + 1 non-redundant bins; the inverse divides by n. Output complex.
Status dftK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto r = static_cast<std::int64_t>(x.rank());
  if (r < 2 || (x.dim(x.rank() - 1) != 1 && x.dim(x.rank() - 1) != 2))
    return ctx.fail("input " + formatArrayType(x) + " must end in a dimension of 1 (real) or 2 (complex)");
  std::int64_t axis = ctx.opset() >= 20 ? (ctx.hasInput(2) ? readIndex(ctx.input(2), 0) : -2) : ctx.attrInt("axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r - 1) return ctx.fail("axis " + std::to_string(axis) + " is not a signal axis of " + formatArrayType(x));
  bool inverse = ctx.attrInt("inverse", 0) != 0, onesided = ctx.attrInt("onesided", 0) != 0;
  bool complexIn = x.dim(x.rank() - 1) == 2;
  auto ax = static_cast<std::size_t>(axis);
  std::int64_t n = x.dim(ax);
  std::int64_t len = ctx.hasInput(1) && ctx.input(1).size() ? readIndex(ctx.input(1), 0) : n;
  if (len <= 0) return ctx.fail("dft_length must be positive");
  std::int64_t bins = onesided ? len / 2 + 1 : len;
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d + 1 < x.rank(); ++d) inner *= x.dim(d);
  auto xv = arrayToDoubles(x);
  if (!xv) return xv.status();
  std::vector<std::int64_t> shape = x.shape();
  shape[ax] = bins;
  shape.back() = 2;
  Array out = Array::uninitialized(kDouble, shape);
  double* o = out.data<double>();
  std::int64_t cin = complexIn ? 2 : 1;
  const double sign = inverse ? 1.0 : -1.0, pi = 3.14159265358979323846;
  for (std::int64_t a = 0; a < outer; ++a)
    for (std::int64_t c = 0; c < inner; ++c)
      for (std::int64_t k = 0; k < bins; ++k) {
        double re = 0, im = 0;
        for (std::int64_t t = 0; t < std::min(n, len); ++t) {
          const double* v = xv.value().data() + ((a * n + t) * inner + c) * cin;
          double angle = sign * 2 * pi * static_cast<double>((k * t) % len) / static_cast<double>(len);
          double cr = std::cos(angle), ci = std::sin(angle), xr = v[0], xi = complexIn ? v[1] : 0.0;
          re += xr * cr - xi * ci;
          im += xr * ci + xi * cr;
        }
        if (inverse) {
          re /= static_cast<double>(len);
          im /= static_cast<double>(len);
        }
        double* y = o + ((a * bins + k) * inner + c) * 2;
        y[0] = re;
        y[1] = im;
      }
  auto res = castArray(out, x.dtype());
  if (!res) return res.status();
  ctx.setOutput(0, res.value());
  return Status::ok();
}

}  // namespace

void registerSignalKernels() {
  registerKernel("", "DFT", dftK);
  registerKernel("", "HannWindow", windowK<0>);
  registerKernel("", "HammingWindow", windowK<1>);
  registerKernel("", "BlackmanWindow", windowK<2>);
  registerKernel("", "Det", detK);
}

}  // namespace graft::eval
