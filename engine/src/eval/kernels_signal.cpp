// Window functions (Hann, Hamming, Blackman) and Det.
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

}  // namespace

void registerSignalKernels() {
  registerKernel("", "HannWindow", windowK<0>);
  registerKernel("", "HammingWindow", windowK<1>);
  registerKernel("", "BlackmanWindow", windowK<2>);
  registerKernel("", "Det", detK);
}

}  // namespace graft::eval
