// Elementwise kernels: unary math and activations, binary arithmetic, comparison and logic
// with numpy broadcasting, Where, Clip, Cast, variadic Sum/Mean/Max/Min.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "eval/fast_math.h"
#include "eval/conv_fusion.h"
#include "eval/kernel.h"

namespace graft::eval {

namespace {

constexpr std::int64_t kParallelThreshold = 1 << 15;

// ---------------------------------------------------------------- broadcasting loops

template <typename A, typename B, typename R, typename F>
void binaryLoop(const Array& a, const Array& b, Array& out, F f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  R* po = out.data<R>();
  std::int64_t n = out.size();
  if (a.size() == n && b.size() == n) {
    parallelFor(n, kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) po[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (b.size() == 1 && a.size() == n) {
    B vb = pb[0];
    parallelFor(n, kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) po[i] = f(pa[i], vb);
    });
    return;
  }
  if (a.size() == 1 && b.size() == n) {
    A va = pa[0];
    parallelFor(n, kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) po[i] = f(va, pb[i]);
    });
    return;
  }
  if (n == 0) return;
  const auto& shape = out.shape();
  std::size_t r = shape.size();
  auto sa = broadcastStrides(a.shape(), shape);
  auto sb = broadcastStrides(b.shape(), shape);
  std::int64_t inner = shape[r - 1];
  std::int64_t ia = sa[r - 1], ib = sb[r - 1];
  std::int64_t outer = n / inner;
  // Each outer row is independent: compute its start offsets from the row index.
  parallelFor(outer, std::max<std::int64_t>(1, kParallelThreshold / inner), [&](std::int64_t rs, std::int64_t re) {
  for (std::int64_t row = rs; row < re; ++row) {
    std::int64_t rem = row, offA = 0, offB = 0;
    for (std::size_t d = r - 1; d-- > 0;) {
      std::int64_t idx = rem % shape[d];
      rem /= shape[d];
      offA += idx * sa[d];
      offB += idx * sb[d];
    }
    R* o = po + row * inner;
    const A* xa = pa + offA;
    const B* xb = pb + offB;
    // The common row forms as their own loops, which the compiler vectorizes (bias rows, scalars).
    if (ia == 1 && ib == 1)
      for (std::int64_t j = 0; j < inner; ++j) o[j] = f(xa[j], xb[j]);
    else if (ia == 1 && ib == 0)
      for (std::int64_t j = 0, vb = 0; j < inner; ++j) o[j] = f(xa[j], xb[vb]);
    else if (ia == 0 && ib == 1)
      for (std::int64_t j = 0, va = 0; j < inner; ++j) o[j] = f(xa[va], xb[j]);
    else
      for (std::int64_t j = 0; j < inner; ++j) o[j] = f(xa[j * ia], xb[j * ib]);
  }
  });
}

template <typename T>
T pyMod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T m = std::fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
  } else if constexpr (std::is_signed_v<T>) {
    if (b == 0) return 0;
    T m = static_cast<T>(a % b);
    if (m != 0 && ((m < 0) != (b < 0))) m = static_cast<T>(m + b);
    return m;
  } else {
    return b == 0 ? T(0) : static_cast<T>(a % b);
  }
}

enum class Bin { Add, Sub, Mul, Div, Pow, Mod, FMod, Max, Min, PRelu, BitShiftL, BitShiftR, BitAnd, BitOr, BitXor };

template <typename T>
Status arith(Context& ctx, const Array& a, const Array& b, Array& out, Bin op) {
  switch (op) {
    case Bin::Add: binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x + y); }); break;
    case Bin::Sub: binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x - y); }); break;
    case Bin::Mul: binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x * y); }); break;
    case Bin::Div:
      if constexpr (std::is_floating_point_v<T>)
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x / y); });
      else
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return y == 0 ? T(0) : static_cast<T>(x / y); });
      break;
    case Bin::Pow:
      // Squares (LayerNorm's variance, RMSNorm) and cubes (tanh GELU) by multiplication: the
      // same value as pow for these exponents, at a fraction of the cost.
      if constexpr (std::is_floating_point_v<T>) {
        if (b.size() == 1 && a.size() == out.size()) {
          T e = b.data<T>()[0];
          if (e == T(2)) {
            binaryLoop<T, T, T>(a, b, out, [](T x, T) { return static_cast<T>(x * x); });
            break;
          }
          if (e == T(3)) {
            binaryLoop<T, T, T>(a, b, out, [](T x, T) { return static_cast<T>(x * x * x); });
            break;
          }
          if (e == T(1)) {
            binaryLoop<T, T, T>(a, b, out, [](T x, T) { return x; });
            break;
          }
        }
      }
      if constexpr (std::is_same_v<T, float>)
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return std::pow(x, y); });
      else
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) {
          return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
        });
      break;
    case Bin::Mod: binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return pyMod<T>(x, y); }); break;
    case Bin::FMod:
      if constexpr (std::is_floating_point_v<T>)
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return std::fmod(x, y); });
      else
        binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return y == 0 ? T(0) : static_cast<T>(x % y); });
      break;
    case Bin::Max:
      binaryLoop<T, T, T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_floating_point_v<T>)
          if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
        return std::max(x, y);
      });
      break;
    case Bin::Min:
      binaryLoop<T, T, T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_floating_point_v<T>)
          if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
        return std::min(x, y);
      });
      break;
    case Bin::PRelu: binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return x < 0 ? static_cast<T>(x * y) : x; }); break;
    case Bin::BitShiftL:
    case Bin::BitShiftR:
    case Bin::BitAnd:
    case Bin::BitOr:
    case Bin::BitXor:
      if constexpr (std::is_integral_v<T>) {
        if (op == Bin::BitShiftL) binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(y >= T(sizeof(T) * 8) ? 0 : x << y); });
        if (op == Bin::BitShiftR) binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(y >= T(sizeof(T) * 8) ? 0 : x >> y); });
        if (op == Bin::BitAnd) binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x & y); });
        if (op == Bin::BitOr) binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x | y); });
        if (op == Bin::BitXor) binaryLoop<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x ^ y); });
      } else {
        return ctx.fail("bitwise operations need integer inputs");
      }
      break;
  }
  return Status::ok();
}

Status binaryArith(Context& ctx, const Array& a0, const Array& b0, Bin op, Array& out) {
  Array a = a0, b = b0;
  if (a.dtype() != b.dtype()) {
    if (op != Bin::Pow && op != Bin::PRelu)
      return ctx.fail(std::string("inputs have different element types (") + dtypeName(a.dtype()) + " and " +
                      dtypeName(b.dtype()) + ")");
    auto c = castArray(b, a.dtype());
    if (!c) return c.status();
    b = c.value();
  }
  auto shape = broadcastShapes(a.shape(), b.shape());
  if (!shape) return ctx.fail(shape.message());
  out = Array::uninitialized(a.dtype(), shape.value());
  GRAFT_DISPATCH_NUMERIC(a.dtype(), return arith<T>(ctx, a, b, out, op))
  return Status::ok();
}

template <Bin op>
Status binaryKernel(Context& ctx) {
  if (auto s = ctx.require(0, "A"); !s) return s;
  if (auto s = ctx.require(1, "B"); !s) return s;
  Bin real = op;
  if (op == Bin::Mod && ctx.attrInt("fmod", 0)) real = Bin::FMod;
  if (op == Bin::BitShiftL && ctx.attrString("direction") == "RIGHT") real = Bin::BitShiftR;
  if (op == Bin::Mod && !ctx.attrInt("fmod", 0) && isFloatType(ctx.input(0).dtype())) real = Bin::Mod;
  Array b = ctx.input(1);
  const Array& a = ctx.input(0);
  if (op == Bin::PRelu && b.rank() == 1 && a.rank() >= 2 && b.size() == a.dim(1) && b.size() != a.dim(a.rank() - 1)) {
    // Old exporters give a per-channel slope [C] meant for axis 1.
    std::vector<std::int64_t> shape(a.rank() - 1, 1);
    shape[0] = b.size();
    b = b.reshaped(shape);
  }
  Array out;
  if (auto s = binaryArith(ctx, a, b, real, out); !s) return s;
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

template <Bin op>
Status variadicKernel(Context& ctx) {
  if (ctx.inputCount() == 0) return ctx.fail("needs at least one input");
  Array acc = ctx.input(0);
  for (std::size_t i = 1; i < ctx.inputCount(); ++i) {
    Array out;
    if (auto s = binaryArith(ctx, acc, ctx.input(i), op, out); !s) return s;
    acc = std::move(out);
  }
  ctx.setOutput(0, acc);
  return Status::ok();
}

Status meanKernel(Context& ctx) {
  if (auto s = variadicKernel<Bin::Add>(ctx); !s) return s;
  Array sum = ctx.outputs()[0];
  Array n = Array(sum.dtype(), {});
  if (sum.dtype() == kFloat)
    *n.data<float>() = static_cast<float>(ctx.inputCount());
  else if (sum.dtype() == kDouble)
    *n.data<double>() = static_cast<double>(ctx.inputCount());
  else
    return ctx.unsupported("Mean needs float inputs");
  Array out;
  if (auto s = binaryArith(ctx, sum, n, Bin::Div, out); !s) return s;
  ctx.setOutput(0, out);
  return Status::ok();
}

// ---------------------------------------------------------------- comparison and logic

enum class Cmp { Eq, Lt, Gt, Le, Ge };

Status compareKernelImpl(Context& ctx, Cmp op) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  Array a = ctx.input(0), b = ctx.input(1);
  if (a.dtype() != b.dtype()) return ctx.fail("inputs have different element types");
  auto shape = broadcastShapes(a.shape(), b.shape());
  if (!shape) return ctx.fail(shape.message());
  Array out = Array::uninitialized(kBool, shape.value());
  if (a.dtype() == kString) {
    if (op != Cmp::Eq) return ctx.unsupported("strings only compare for equality");
    Array ea = expandTo(a, shape.value()), eb = expandTo(b, shape.value());
    for (std::int64_t i = 0; i < out.size(); ++i)
      out.data<bool>()[i] = ea.strings()[static_cast<std::size_t>(i)] == eb.strings()[static_cast<std::size_t>(i)];
    ctx.setOutput(0, out);
    return Status::ok();
  }
  GRAFT_DISPATCH_ALL(a.dtype(), {
    switch (op) {
      case Cmp::Eq: binaryLoop<T, T, bool>(a, b, out, [](T x, T y) { return x == y; }); break;
      case Cmp::Lt: binaryLoop<T, T, bool>(a, b, out, [](T x, T y) { return x < y; }); break;
      case Cmp::Gt: binaryLoop<T, T, bool>(a, b, out, [](T x, T y) { return x > y; }); break;
      case Cmp::Le: binaryLoop<T, T, bool>(a, b, out, [](T x, T y) { return x <= y; }); break;
      case Cmp::Ge: binaryLoop<T, T, bool>(a, b, out, [](T x, T y) { return x >= y; }); break;
    }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}
template <Cmp op>
Status compareKernel(Context& ctx) {
  return compareKernelImpl(ctx, op);
}

template <int op>  // 0 and, 1 or, 2 xor
Status logicKernel(Context& ctx) {
  if (auto s = ctx.require(1, "B"); !s) return s;
  const Array &a = ctx.input(0), &b = ctx.input(1);
  if (a.dtype() != kBool || b.dtype() != kBool) return ctx.fail("logical operations need bool inputs");
  auto shape = broadcastShapes(a.shape(), b.shape());
  if (!shape) return ctx.fail(shape.message());
  Array out = Array::uninitialized(kBool, shape.value());
  if (op == 0) binaryLoop<bool, bool, bool>(a, b, out, [](bool x, bool y) { return x && y; });
  if (op == 1) binaryLoop<bool, bool, bool>(a, b, out, [](bool x, bool y) { return x || y; });
  if (op == 2) binaryLoop<bool, bool, bool>(a, b, out, [](bool x, bool y) { return x != y; });
  ctx.setOutput(0, out);
  return Status::ok();
}

Status notKernel(Context& ctx) {
  const Array& a = ctx.input(0);
  if (a.dtype() != kBool) return ctx.fail("Not needs a bool input");
  Array out = Array::uninitialized(kBool, a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) out.data<bool>()[i] = !a.data<bool>()[i];
  ctx.setOutput(0, out);
  return Status::ok();
}

// Where over broadcast operands row by row, elements moved as unsigned words of their size, without
// materializing the broadcast inputs: a causal mask [1,1,S,S] over scores [1,H,S,S] took a tenth of a
// GPT-style decoder's run through three expanded copies and a per-element index read.
template <typename W>
void whereLoop(const Array& c, const Array& x, const Array& y, Array& out) {
  const auto& shape = out.shape();
  std::int64_t n = out.size();
  if (n == 0) return;
  std::size_t r = shape.size();
  const auto* pc = static_cast<const std::uint8_t*>(c.raw());  // bytes, in case one is neither 0 nor 1
  const W* px = static_cast<const W*>(x.raw());
  const W* py = static_cast<const W*>(y.raw());
  W* po = static_cast<W*>(out.raw());
  std::int64_t inner = r ? shape[r - 1] : 1;
  auto sc = broadcastStrides(c.shape(), shape), sx = broadcastStrides(x.shape(), shape), sy = broadcastStrides(y.shape(), shape);
  std::int64_t ic = r ? sc[r - 1] : 0, ix = r ? sx[r - 1] : 0, iy = r ? sy[r - 1] : 0;
  std::int64_t outer = n / inner;
  parallelFor(outer, std::max<std::int64_t>(1, kParallelThreshold / inner), [&](std::int64_t rs, std::int64_t re) {
    for (std::int64_t row = rs; row < re; ++row) {
      std::int64_t rem = row, oc = 0, ox = 0, oy = 0;
      for (std::size_t d = r - 1; r > 0 && d-- > 0;) {
        std::int64_t idx = rem % shape[d];
        rem /= shape[d];
        oc += idx * sc[d];
        ox += idx * sx[d];
        oy += idx * sy[d];
      }
      W* o = po + row * inner;
      const std::uint8_t* rc = pc + oc;
      const W* rx = px + ox;
      const W* ry = py + oy;
      if (ic == 1 && ix == 0 && iy == 1) {  // a mask choosing between a fill value and the scores
        W v = rx[0];
        for (std::int64_t j = 0; j < inner; ++j) o[j] = rc[j] ? v : ry[j];
      } else if (ic == 1 && ix == 1 && iy == 0) {
        W v = ry[0];
        for (std::int64_t j = 0; j < inner; ++j) o[j] = rc[j] ? rx[j] : v;
      } else if (ic == 1 && ix == 1 && iy == 1) {
        for (std::int64_t j = 0; j < inner; ++j) o[j] = rc[j] ? rx[j] : ry[j];
      } else {
        for (std::int64_t j = 0; j < inner; ++j) o[j] = rc[j * ic] ? rx[j * ix] : ry[j * iy];
      }
    }
  });
}

Status whereKernel(Context& ctx) {
  if (auto s = ctx.require(2, "Y"); !s) return s;
  const Array &c = ctx.input(0), &x = ctx.input(1), &y = ctx.input(2);
  if (x.dtype() != y.dtype()) return ctx.fail("X and Y have different element types");
  auto s1 = broadcastShapes(c.shape(), x.shape());
  if (!s1) return ctx.fail(s1.message());
  auto s2 = broadcastShapes(s1.value(), y.shape());
  if (!s2) return ctx.fail(s2.message());
  const auto& shape = s2.value();
  if (x.dtype() != kString && c.dtype() == kBool) {
    Array out = Array::uninitialized(x.dtype(), shape);
    switch (x.elementSize()) {
      case 1: whereLoop<std::uint8_t>(c, x, y, out); break;
      case 2: whereLoop<std::uint16_t>(c, x, y, out); break;
      case 4: whereLoop<std::uint32_t>(c, x, y, out); break;
      case 8: whereLoop<std::uint64_t>(c, x, y, out); break;
      default: return ctx.unsupported(std::string("Where of ") + dtypeName(x.dtype()) + " is not supported");
    }
    ctx.setOutput(0, out);
    return Status::ok();
  }
  Array ec = expandTo(c, shape), ex = expandTo(x, shape), ey = expandTo(y, shape);
  Array out = Array::uninitialized(x.dtype(), shape);
  if (x.dtype() == kString) {
    for (std::int64_t i = 0; i < out.size(); ++i) {
      auto k = static_cast<std::size_t>(i);
      out.strings()[k] = readIndex(ec, i) ? ex.strings()[k] : ey.strings()[k];
    }
  } else {
    std::size_t es = x.elementSize();
    const auto* px = static_cast<const std::byte*>(ex.raw());
    const auto* py = static_cast<const std::byte*>(ey.raw());
    auto* po = static_cast<std::byte*>(out.raw());
    for (std::int64_t i = 0; i < out.size(); ++i) {
      auto off = static_cast<std::size_t>(i) * es;
      std::memcpy(po + off, (readIndex(ec, i) ? px : py) + off, es);
    }
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

// ---------------------------------------------------------------- unary

template <typename F>
Status unaryFloat(Context& ctx, F f) {
  const Array& a = ctx.input(0);
  Array out = Array::uninitialized(a.dtype(), a.shape());
  std::int64_t n = a.size();
  GRAFT_DISPATCH_FLOAT(a.dtype(), {
    const T* x = a.data<T>();
    T* y = out.data<T>();
    parallelFor(n, kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) y[i] = static_cast<T>(f(x[i]));
    });
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

template <typename F>
Status unaryNumeric(Context& ctx, F f) {
  const Array& a = ctx.input(0);
  Array out = Array::uninitialized(a.dtype(), a.shape());
  std::int64_t n = a.size();
  GRAFT_DISPATCH_NUMERIC(a.dtype(), {
    const T* x = a.data<T>();
    T* y = out.data<T>();
    parallelFor(n, kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
      for (std::int64_t i = s; i < e; ++i) y[i] = static_cast<T>(f(x[i]));
    });
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

#define UNARY_FLOAT(NAME, EXPR)                                          \
  Status NAME(Context& ctx) {                                            \
    return unaryFloat(ctx, [](auto x) { using V = decltype(x); (void)sizeof(V); return EXPR; }); \
  }

UNARY_FLOAT(expK, std::exp(x))
UNARY_FLOAT(logK, std::log(x))
UNARY_FLOAT(sqrtK, std::sqrt(x))
UNARY_FLOAT(reciprocalK, V(1) / x)
UNARY_FLOAT(sinK, std::sin(x))
UNARY_FLOAT(cosK, std::cos(x))
UNARY_FLOAT(tanK, std::tan(x))
UNARY_FLOAT(asinK, std::asin(x))
UNARY_FLOAT(acosK, std::acos(x))
UNARY_FLOAT(atanK, std::atan(x))
UNARY_FLOAT(sinhK, std::sinh(x))
UNARY_FLOAT(coshK, std::cosh(x))
UNARY_FLOAT(asinhK, std::asinh(x))
UNARY_FLOAT(acoshK, std::acosh(x))
UNARY_FLOAT(atanhK, std::atanh(x))
// float32 through a vectorized row loop (fast_math.h), other float types element by element.
template <typename F>
Status unaryFloatRows(Context& ctx, void (*row)(const float*, float*, std::int64_t), F f) {
  if (ctx.input(0).dtype() != kFloat) return unaryFloat(ctx, f);
  const Array& a = ctx.input(0);
  Array out = Array::uninitialized(kFloat, a.shape());
  const float* x = a.data<float>();
  float* y = out.data<float>();
  parallelFor(a.size(), kParallelThreshold, [&](std::int64_t s, std::int64_t e) { row(x + s, y + s, e - s); });
  ctx.setOutput(0, out);
  return Status::ok();
}

Status erfK(Context& ctx) {
  return unaryFloatRows(ctx, erfRow, [](auto x) { return std::erf(x); });
}
UNARY_FLOAT(ceilK, std::ceil(x))
UNARY_FLOAT(floorK, std::floor(x))
UNARY_FLOAT(roundK, std::nearbyint(x))
Status sigmoidK(Context& ctx) {
  return unaryFloatRows(ctx, sigmoidRow, [](auto x) {
    using V = decltype(x);
    return x >= 0 ? V(1) / (V(1) + std::exp(-x)) : std::exp(x) / (V(1) + std::exp(x));
  });
}
UNARY_FLOAT(tanhK, std::tanh(x))
UNARY_FLOAT(softplusK, x > V(20) ? x : std::log1p(std::exp(x)))
UNARY_FLOAT(softsignK, x / (V(1) + std::abs(x)))
UNARY_FLOAT(hardSwishK, x * std::max(V(0), std::min(V(1), x / V(6) + V(0.5))))
UNARY_FLOAT(mishK, x * std::tanh(x > V(20) ? x : std::log1p(std::exp(x))))

Status absK(Context& ctx) {
  return unaryNumeric(ctx, [](auto x) {
    using V = decltype(x);
    if constexpr (std::is_unsigned_v<V>) return x;
    else return static_cast<V>(x < 0 ? -x : x);
  });
}
Status negK(Context& ctx) {
  return unaryNumeric(ctx, [](auto x) { return static_cast<decltype(x)>(-x); });
}
Status signK(Context& ctx) {
  return unaryNumeric(ctx, [](auto x) {
    using V = decltype(x);
    if constexpr (std::is_floating_point_v<V>)
      if (std::isnan(x)) return x;
    return static_cast<V>(x > V(0) ? 1 : (x < V(0) ? -1 : 0));
  });
}
// Float Relu and Clip at memory speed: wide loops (fusion.cpp), both threads, and in the input's
// buffer when this node held its last reference (a MobileNetV2 run spent 18% of its time in Clip).
Status floatActivation(Context& ctx, float lo, float hi, bool relu) {
  Array& a = ctx.inputs()[0];
  Array out = a.ownsBufferAlone() ? a : Array::uninitialized(kFloat, a.shape());
  const float* x = a.data<float>();
  float* y = out.data<float>();
  parallelFor(a.size(), kParallelThreshold, [&](std::int64_t s, std::int64_t e) {
    if (relu) reluFloat(x + s, y + s, e - s);
    else clipFloat(x + s, y + s, e - s, lo, hi);
  });
  ctx.setOutput(0, std::move(out));
  return Status::ok();
}

Status reluK(Context& ctx) {
  if (ctx.input(0).dtype() == kFloat) return floatActivation(ctx, 0, 0, true);
  return unaryNumeric(ctx, [](auto x) { return x > decltype(x)(0) ? x : decltype(x)(0); });
}

Status eluK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 1.0f);
  return unaryFloat(ctx, [alpha](auto x) { using V = decltype(x); return x >= 0 ? x : static_cast<V>(alpha * (std::exp(double(x)) - 1)); });
}
Status celuK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 1.0f);
  return unaryFloat(ctx, [alpha](auto x) {
    using V = decltype(x);
    return static_cast<V>(std::max(0.0, double(x)) + std::min(0.0, alpha * (std::exp(double(x) / alpha) - 1)));
  });
}
Status seluK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 1.67326319217681884765625f);
  double gamma = ctx.attrFloat("gamma", 1.05070102214813232421875f);
  return unaryFloat(ctx, [alpha, gamma](auto x) {
    using V = decltype(x);
    return static_cast<V>(x > 0 ? gamma * double(x) : gamma * (alpha * std::exp(double(x)) - alpha));
  });
}
Status leakyReluK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 0.01f);
  return unaryFloat(ctx, [alpha](auto x) { using V = decltype(x); return x >= 0 ? x : static_cast<V>(alpha * x); });
}
Status thresholdedReluK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 1.0f);
  return unaryFloat(ctx, [alpha](auto x) { using V = decltype(x); return double(x) > alpha ? x : V(0); });
}
Status hardSigmoidK(Context& ctx) {
  double alpha = ctx.attrFloat("alpha", 0.2f), beta = ctx.attrFloat("beta", 0.5f);
  return unaryFloat(ctx, [alpha, beta](auto x) {
    using V = decltype(x);
    return static_cast<V>(std::max(0.0, std::min(1.0, alpha * double(x) + beta)));
  });
}
Status shrinkK(Context& ctx) {
  double bias = ctx.attrFloat("bias", 0.0f), lambd = ctx.attrFloat("lambd", 0.5f);
  return unaryNumeric(ctx, [bias, lambd](auto x) {
    using V = decltype(x);
    double v = static_cast<double>(x);
    return static_cast<V>(v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0));
  });
}
Status geluK(Context& ctx) {
  // ai.onnx Gelu (approximate attr) and com.microsoft Gelu (exact).
  bool tanhApprox = ctx.attrString("approximate", "none") == "tanh";
  if (tanhApprox)
    return unaryFloat(ctx, [](auto x) {
      using V = decltype(x);
      double v = double(x);
      return static_cast<V>(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
    });
  return unaryFloat(ctx, [](auto x) {
    using V = decltype(x);
    return static_cast<V>(0.5 * double(x) * (1 + std::erf(double(x) * M_SQRT1_2)));
  });
}
Status fastGeluK(Context& ctx) {
  // com.microsoft FastGelu: optional bias added first, then the tanh approximation.
  if (ctx.hasInput(1)) {
    Array out;
    if (auto s = binaryArith(ctx, ctx.input(0), ctx.input(1), Bin::Add, out); !s) return s;
    ctx.inputs()[0] = out;
  }
  return unaryFloat(ctx, [](auto x) {
    using V = decltype(x);
    double v = double(x);
    return static_cast<V>(0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
  });
}

Status isNanK(Context& ctx) {
  const Array& a = ctx.input(0);
  Array out = Array::uninitialized(kBool, a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) out.data<bool>()[i] = std::isnan(readDouble(a, i));
  ctx.setOutput(0, out);
  return Status::ok();
}
Status isInfK(Context& ctx) {
  const Array& a = ctx.input(0);
  bool neg = ctx.attrInt("detect_negative", 1), pos = ctx.attrInt("detect_positive", 1);
  Array out = Array::uninitialized(kBool, a.shape());
  for (std::int64_t i = 0; i < a.size(); ++i) {
    double v = readDouble(a, i);
    out.data<bool>()[i] = std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg));
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status clipK(Context& ctx) {
  const Array& a = ctx.input(0);
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (ctx.opset() < 11) {
    lo = ctx.attrFloat("min", -std::numeric_limits<float>::max());
    hi = ctx.attrFloat("max", std::numeric_limits<float>::max());
  } else {
    if (ctx.hasInput(1) && ctx.input(1).size()) lo = readDouble(ctx.input(1), 0);
    if (ctx.hasInput(2) && ctx.input(2).size()) hi = readDouble(ctx.input(2), 0);
  }
  if (a.dtype() == kFloat)
    return floatActivation(ctx, std::isinf(lo) ? std::numeric_limits<float>::lowest() : static_cast<float>(lo),
                           std::isinf(hi) ? std::numeric_limits<float>::max() : static_cast<float>(hi), false);
  Array out = Array::uninitialized(a.dtype(), a.shape());
  GRAFT_DISPATCH_NUMERIC(a.dtype(), {
    const T* x = a.data<T>();
    T* y = out.data<T>();
    T l = std::isinf(lo) ? std::numeric_limits<T>::lowest() : static_cast<T>(lo);
    T h = std::isinf(hi) ? std::numeric_limits<T>::max() : static_cast<T>(hi);
    for (std::int64_t i = 0; i < a.size(); ++i) y[i] = x[i] < l ? l : (x[i] > h ? h : x[i]);
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

// Cast's attributes: saturate (float8/float4, opset 19), round_mode (e8m0, opset 24); from
// opset 25 4- and 2-bit integers wrap like the wider ones where 21..24 clamped.
CastOptions castOptions(const Context& ctx) {
  CastOptions o;
  o.saturate = ctx.attrInt("saturate", 1) != 0;
  std::string mode = ctx.attrString("round_mode", "up");
  o.e8m0Rounding = mode == "down" ? E8M0Rounding::Down : mode == "nearest" ? E8M0Rounding::Nearest : E8M0Rounding::Up;
  o.wrapNarrowIntegers = ctx.opset() >= 25;
  return o;
}

Status castK(Context& ctx) {
  auto to = static_cast<std::int32_t>(ctx.attrInt("to", 0));
  auto c = castArray(ctx.input(0), to, castOptions(ctx));
  if (!c) return ctx.fail(c.message());
  ctx.setOutput(0, c.value());
  return Status::ok();
}
Status castLikeK(Context& ctx) {
  if (auto s = ctx.require(1, "target_type"); !s) return s;
  auto c = castArray(ctx.input(0), ctx.input(1).dtype(), castOptions(ctx));
  if (!c) return ctx.fail(c.message());
  ctx.setOutput(0, c.value());
  return Status::ok();
}

}  // namespace

void registerElementwiseKernels() {
  registerKernel("", "Add", binaryKernel<Bin::Add>);
  registerKernel("", "Sub", binaryKernel<Bin::Sub>);
  registerKernel("", "Mul", binaryKernel<Bin::Mul>);
  registerKernel("", "Div", binaryKernel<Bin::Div>);
  registerKernel("", "Pow", binaryKernel<Bin::Pow>);
  registerKernel("", "Mod", binaryKernel<Bin::Mod>);
  registerKernel("", "PRelu", binaryKernel<Bin::PRelu>);
  registerKernel("", "BitShift", binaryKernel<Bin::BitShiftL>);
  registerKernel("", "BitwiseAnd", binaryKernel<Bin::BitAnd>);
  registerKernel("", "BitwiseOr", binaryKernel<Bin::BitOr>);
  registerKernel("", "BitwiseXor", binaryKernel<Bin::BitXor>);
  registerKernel("", "Sum", variadicKernel<Bin::Add>);
  registerKernel("", "Max", variadicKernel<Bin::Max>);
  registerKernel("", "Min", variadicKernel<Bin::Min>);
  registerKernel("", "Mean", meanKernel);
  registerKernel("", "Equal", compareKernel<Cmp::Eq>);
  registerKernel("", "Less", compareKernel<Cmp::Lt>);
  registerKernel("", "Greater", compareKernel<Cmp::Gt>);
  registerKernel("", "LessOrEqual", compareKernel<Cmp::Le>);
  registerKernel("", "GreaterOrEqual", compareKernel<Cmp::Ge>);
  registerKernel("", "And", logicKernel<0>);
  registerKernel("", "Or", logicKernel<1>);
  registerKernel("", "Xor", logicKernel<2>);
  registerKernel("", "Not", notKernel);
  registerKernel("", "Where", whereKernel);
  registerKernel("", "Exp", expK);
  registerKernel("", "Log", logK);
  registerKernel("", "Sqrt", sqrtK);
  registerKernel("", "Reciprocal", reciprocalK);
  registerKernel("", "Sin", sinK);
  registerKernel("", "Cos", cosK);
  registerKernel("", "Tan", tanK);
  registerKernel("", "Asin", asinK);
  registerKernel("", "Acos", acosK);
  registerKernel("", "Atan", atanK);
  registerKernel("", "Sinh", sinhK);
  registerKernel("", "Cosh", coshK);
  registerKernel("", "Asinh", asinhK);
  registerKernel("", "Acosh", acoshK);
  registerKernel("", "Atanh", atanhK);
  registerKernel("", "Erf", erfK);
  registerKernel("", "Ceil", ceilK);
  registerKernel("", "Floor", floorK);
  registerKernel("", "Round", roundK);
  registerKernel("", "Sigmoid", sigmoidK);
  registerKernel("", "Tanh", tanhK);
  registerKernel("", "Softplus", softplusK);
  registerKernel("", "Softsign", softsignK);
  registerKernel("", "HardSwish", hardSwishK);
  registerKernel("", "Mish", mishK);
  registerKernel("", "Abs", absK);
  registerKernel("", "Neg", negK);
  registerKernel("", "Sign", signK);
  registerKernel("", "Relu", reluK);
  registerKernel("", "Elu", eluK);
  registerKernel("", "Celu", celuK);
  registerKernel("", "Selu", seluK);
  registerKernel("", "LeakyRelu", leakyReluK);
  registerKernel("", "ThresholdedRelu", thresholdedReluK);
  registerKernel("", "HardSigmoid", hardSigmoidK);
  registerKernel("", "Shrink", shrinkK);
  registerKernel("", "Gelu", geluK);
  registerKernel("com.microsoft", "Gelu", geluK);
  registerKernel("com.microsoft", "FastGelu", fastGeluK);
  registerKernel("", "IsNaN", isNanK, true);
  registerKernel("", "IsInf", isInfK, true);
  registerKernel("", "Clip", clipK);
  registerKernel("", "Cast", castK, true);
  registerKernel("", "CastLike", castLikeK, true);
}

}  // namespace graft::eval
