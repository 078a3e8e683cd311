// Data-movement kernels (they only move bytes, so they work for every element type):
// Reshape, Transpose, Concat, Split, Slice, Gather*, Scatter*, Pad, Tile, Expand, shape
// arithmetic, Constant*, Range, Trilu, TopK, CumSum, NonZero and friends.
#include <limits>
#include <algorithm>
#include <numeric>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

// Copies one element of `es` bytes (or a string) from src[i] to dst[j].
struct ElemCopier {
  const Array& src;
  Array& dst;
  std::size_t es;
  const std::byte* s;
  std::byte* d;
  bool str;
  ElemCopier(const Array& a, Array& b)
      : src(a), dst(b), es(a.elementSize()), s(static_cast<const std::byte*>(a.raw())),
        d(static_cast<std::byte*>(b.raw())), str(a.dtype() == kString) {}
  void operator()(std::int64_t j, std::int64_t i) const {
    if (str) {
      dst.strings()[static_cast<std::size_t>(j)] = src.strings()[static_cast<std::size_t>(i)];
      return;
    }
    switch (es) {
      case 1: reinterpret_cast<std::uint8_t*>(d)[j] = reinterpret_cast<const std::uint8_t*>(s)[i]; break;
      case 2: reinterpret_cast<std::uint16_t*>(d)[j] = reinterpret_cast<const std::uint16_t*>(s)[i]; break;
      case 4: reinterpret_cast<std::uint32_t*>(d)[j] = reinterpret_cast<const std::uint32_t*>(s)[i]; break;
      case 8: reinterpret_cast<std::uint64_t*>(d)[j] = reinterpret_cast<const std::uint64_t*>(s)[i]; break;
      default: std::memcpy(d + static_cast<std::size_t>(j) * es, s + static_cast<std::size_t>(i) * es, es);
    }
  }
  // Copies n elements from src[i], src[i + step], ... to dst[j..j+n): one typed loop instead of a
  // switch per element (attention's key transpose is all such rows).
  void runStrided(std::int64_t j, std::int64_t i, std::int64_t n, std::int64_t step) const {
    auto loop = [&](auto tag) {
      using W = decltype(tag);
      const W* from = reinterpret_cast<const W*>(s) + i;
      W* to = reinterpret_cast<W*>(d) + j;
      for (std::int64_t k = 0; k < n; ++k) to[k] = from[k * step];
    };
    if (str) {
      for (std::int64_t k = 0; k < n; ++k) (*this)(j + k, i + k * step);
      return;
    }
    switch (es) {
      case 1: loop(std::uint8_t{}); break;
      case 2: loop(std::uint16_t{}); break;
      case 4: loop(std::uint32_t{}); break;
      case 8: loop(std::uint64_t{}); break;
      default:
        for (std::int64_t k = 0; k < n; ++k) (*this)(j + k, i + k * step);
    }
  }
  // Copies n contiguous elements.
  void run(std::int64_t j, std::int64_t i, std::int64_t n) const {
    if (str) {
      for (std::int64_t k = 0; k < n; ++k) (*this)(j + k, i + k);
      return;
    }
    if (n > 0) std::memcpy(d + static_cast<std::size_t>(j) * es, s + static_cast<std::size_t>(i) * es, static_cast<std::size_t>(n) * es);
  }
};

// out[idx] = src[base + sum(idx[d] * strides[d])]: transpose, slice with steps, broadcast.
Array stridedCopy(const Array& src, std::int64_t base, const std::vector<std::int64_t>& strides,
                  const std::vector<std::int64_t>& shape) {
  Array out = Array::uninitialized(src.dtype(), shape);
  std::int64_t n = out.size();
  if (n == 0) return out;
  ElemCopier cp(src, out);
  std::size_t r = shape.size();
  if (r == 0) {
    cp(0, base);
    return out;
  }
  std::int64_t inner = shape[r - 1], is = strides[r - 1];
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t off = base;
  for (std::int64_t o = 0; o < n; o += inner) {
    if (is == 1)
      cp.run(o, off, inner);
    else
      cp.runStrided(o, off, inner, is);
    for (std::size_t d = r - 1; d-- > 0;) {
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

Status identityK(Context& ctx) {
  ctx.setOutput(0, ctx.input(0));
  return Status::ok();
}

Status dropoutK(Context& ctx) {
  // Inference mode: identity, mask all true. Training mode drops at random, which a
  // reference evaluator cannot reproduce.
  double ratio = ctx.hasInput(1) ? readDouble(ctx.input(1), 0) : ctx.attrFloat("ratio", 0.5f);
  bool training = ctx.hasInput(2) && readIndex(ctx.input(2), 0) != 0;
  if (training && ratio != 0) return ctx.unsupported("Dropout in training mode is random and cannot be evaluated");
  ctx.setOutput(0, ctx.input(0));
  if (ctx.wantsOutput(1)) {
    Array mask(kBool, ctx.input(0).shape());
    std::fill(mask.data<bool>(), mask.data<bool>() + mask.size(), true);
    ctx.setOutput(1, mask);
  }
  return Status::ok();
}

Status constantK(Context& ctx) {
  if (const auto* t = ctx.attrTensor("value")) {
    auto a = arrayFromProto(*t, ctx.node().graph().model().sourceDir());
    if (!a) return ctx.fail(a.message());
    ctx.setOutput(0, a.value());
    return Status::ok();
  }
  if (ctx.hasAttr("value_float")) {
    ctx.setOutput(0, Array::scalar<float>(kFloat, ctx.attrFloat("value_float", 0)));
  } else if (ctx.hasAttr("value_int")) {
    ctx.setOutput(0, Array::scalar<std::int64_t>(kInt64, ctx.attrInt("value_int", 0)));
  } else if (ctx.hasAttr("value_floats")) {
    auto v = ctx.attrFloats("value_floats");
    Array a(kFloat, {static_cast<std::int64_t>(v.size())});
    std::copy(v.begin(), v.end(), a.data<float>());
    ctx.setOutput(0, a);
  } else if (ctx.hasAttr("value_ints")) {
    auto v = ctx.attrInts("value_ints");
    Array a(kInt64, {static_cast<std::int64_t>(v.size())});
    std::copy(v.begin(), v.end(), a.data<std::int64_t>());
    ctx.setOutput(0, a);
  } else if (ctx.hasAttr("value_string")) {
    Array a(kString, {});
    a.strings()[0] = ctx.attrString("value_string");
    ctx.setOutput(0, a);
  } else if (ctx.hasAttr("value_strings")) {
    auto v = ctx.attrStrings("value_strings");
    Array a(kString, {static_cast<std::int64_t>(v.size())});
    a.strings() = v;
    ctx.setOutput(0, a);
  } else {
    return ctx.unsupported("Constant without a dense value (sparse_value) is not supported");
  }
  return Status::ok();
}

Array int64Vector(const std::vector<std::int64_t>& v) {
  Array a = Array::uninitialized(kInt64, {static_cast<std::int64_t>(v.size())});
  std::copy(v.begin(), v.end(), a.data<std::int64_t>());
  return a;
}

Status shapeK(Context& ctx) {
  const auto& s = ctx.input(0).shape();
  auto r = static_cast<std::int64_t>(s.size());
  std::int64_t start = ctx.attrInt("start", 0), end = ctx.attrInt("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<std::int64_t>(start, 0, r);
  end = std::clamp<std::int64_t>(end, 0, r);
  std::vector<std::int64_t> v;
  for (std::int64_t i = start; i < end; ++i) v.push_back(s[static_cast<std::size_t>(i)]);
  ctx.setOutput(0, int64Vector(v));
  return Status::ok();
}

Status sizeK(Context& ctx) {
  ctx.setOutput(0, Array::scalar<std::int64_t>(kInt64, ctx.input(0).size()));
  return Status::ok();
}

Status reshapeK(Context& ctx) {
  if (auto s = ctx.require(1, "shape"); !s) return s;
  const Array& x = ctx.input(0);
  auto shape = toInt64Vector(ctx.input(1));
  bool allowZero = ctx.attrInt("allowzero", 0) != 0;
  std::int64_t known = 1;
  int minus = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (i >= x.rank()) return ctx.fail("shape " + formatShape(shape) + " copies dimension " + std::to_string(i) + " (0) but the input " + formatArrayType(x) + " has no such dimension");
      shape[i] = x.dim(i);
    }
    if (shape[i] == -1) {
      if (minus >= 0) return ctx.fail("shape " + formatShape(shape) + " has more than one -1");
      minus = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (minus >= 0) {
    if (known == 0 || x.size() % known) return ctx.fail("cannot reshape " + formatArrayType(x) + " to " + formatShape(shape));
    shape[static_cast<std::size_t>(minus)] = x.size() / known;
  }
  if (shapeSize(shape) != x.size())
    return ctx.fail("cannot reshape " + formatArrayType(x) + " (" + std::to_string(x.size()) + " elements) to " + formatShape(shape));
  ctx.setOutput(0, x.reshaped(shape));
  return Status::ok();
}

Status flattenK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t axis = ctx.attrInt("axis", 1);
  auto r = static_cast<std::int64_t>(x.rank());
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) return ctx.fail("axis out of range for " + formatArrayType(x));
  std::int64_t a = 1;
  for (std::int64_t i = 0; i < axis; ++i) a *= x.dim(static_cast<std::size_t>(i));
  ctx.setOutput(0, x.reshaped({a, a ? x.size() / a : 0}));
  return Status::ok();
}

std::vector<std::int64_t> axesFrom(Context& ctx, std::size_t inputIndex) {
  if (ctx.hasInput(inputIndex)) return toInt64Vector(ctx.input(inputIndex));
  return ctx.attrInts("axes");
}

Status squeezeK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto axes = axesFrom(ctx, 1);
  auto r = static_cast<std::int64_t>(x.rank());
  std::vector<bool> drop(x.rank(), false);
  if (axes.empty()) {
    for (std::size_t i = 0; i < x.rank(); ++i) drop[i] = x.dim(i) == 1;
  } else {
    for (auto a : axes) {
      if (!normalizeAxis(a, r)) return ctx.fail("axis " + std::to_string(a) + " out of range for " + formatArrayType(x));
      if (x.dim(static_cast<std::size_t>(a)) != 1)
        return ctx.fail("cannot squeeze axis " + std::to_string(a) + " of " + formatArrayType(x) + ": its size is not 1");
      drop[static_cast<std::size_t>(a)] = true;
    }
  }
  std::vector<std::int64_t> shape;
  for (std::size_t i = 0; i < x.rank(); ++i)
    if (!drop[i]) shape.push_back(x.dim(i));
  ctx.setOutput(0, x.reshaped(shape));
  return Status::ok();
}

Status unsqueezeK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto axes = axesFrom(ctx, 1);
  auto r = static_cast<std::int64_t>(x.rank() + axes.size());
  std::vector<bool> ins(static_cast<std::size_t>(r), false);
  for (auto a : axes) {
    if (!normalizeAxis(a, r)) return ctx.fail("axis " + std::to_string(a) + " out of range for " + formatArrayType(x));
    if (ins[static_cast<std::size_t>(a)]) return ctx.fail("axis " + std::to_string(a) + " is named twice");
    ins[static_cast<std::size_t>(a)] = true;
  }
  std::vector<std::int64_t> shape;
  std::size_t k = 0;
  for (std::size_t i = 0; i < ins.size(); ++i) shape.push_back(ins[i] ? 1 : x.dim(k++));
  ctx.setOutput(0, x.reshaped(shape));
  return Status::ok();
}

Status transposeK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto perm = ctx.attrInts("perm");
  std::size_t r = x.rank();
  if (perm.empty())
    for (std::size_t i = 0; i < r; ++i) perm.push_back(static_cast<std::int64_t>(r - 1 - i));
  if (perm.size() != r) return ctx.fail("perm has " + std::to_string(perm.size()) + " entries but the input is " + formatArrayType(x));
  auto cs = contiguousStrides(x.shape());
  std::vector<std::int64_t> shape(r), strides(r);
  for (std::size_t i = 0; i < r; ++i) {
    auto p = static_cast<std::size_t>(perm[i]);
    shape[i] = x.dim(p);
    strides[i] = cs[p];
  }
  ctx.setOutput(0, stridedCopy(x, 0, strides, shape));
  return Status::ok();
}

Status concatK(Context& ctx) {
  std::vector<const Array*> ins;
  for (std::size_t i = 0; i < ctx.inputCount(); ++i)
    if (ctx.hasInput(i)) ins.push_back(&ctx.input(i));
  if (ins.empty()) return ctx.fail("needs at least one input");
  const Array& first = *ins[0];
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(first.rank()))) return ctx.fail("axis out of range for " + formatArrayType(first));
  auto ax = static_cast<std::size_t>(axis);
  std::vector<std::int64_t> shape = first.shape();
  shape[ax] = 0;
  for (const Array* a : ins) {
    if (a->rank() != first.rank() || a->dtype() != first.dtype())
      return ctx.fail("inputs " + formatArrayType(first) + " and " + formatArrayType(*a) + " cannot be concatenated");
    for (std::size_t d = 0; d < first.rank(); ++d)
      if (d != ax && a->dim(d) != first.dim(d))
        return ctx.fail("inputs " + formatArrayType(first) + " and " + formatArrayType(*a) + " differ outside axis " + std::to_string(axis));
    shape[ax] += a->dim(ax);
  }
  Array out = Array::uninitialized(first.dtype(), shape);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= shape[d];
  for (std::size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
  std::int64_t rowOut = shape[ax] * inner, off = 0;
  for (const Array* a : ins) {
    ElemCopier cp(*a, out);
    std::int64_t row = a->dim(ax) * inner;
    for (std::int64_t o = 0; o < outer; ++o) cp.run(o * rowOut + off, o * row, row);
    off += row;
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

Array sliceAxis(const Array& x, std::size_t ax, std::int64_t start, std::int64_t len) {
  auto shape = x.shape();
  shape[ax] = len;
  auto cs = contiguousStrides(x.shape());
  return stridedCopy(x, start * cs[ax], cs, shape);
}

Status splitK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range for " + formatArrayType(x));
  auto ax = static_cast<std::size_t>(axis);
  std::vector<std::int64_t> split = ctx.hasInput(1) ? toInt64Vector(ctx.input(1)) : ctx.attrInts("split");
  std::size_t n = ctx.outputCount();
  std::int64_t dim = x.dim(ax);
  if (split.empty()) {
    auto parts = static_cast<std::int64_t>(ctx.hasAttr("num_outputs") ? ctx.attrInt("num_outputs", 1) : static_cast<std::int64_t>(n));
    if (parts < 1 || parts > std::max<std::int64_t>(dim, 1) + static_cast<std::int64_t>(n))
      return ctx.fail("cannot split " + formatArrayType(x) + " into " + std::to_string(parts) + " parts");
    std::int64_t chunk = (dim + parts - 1) / parts;
    for (std::int64_t i = 0; i < parts; ++i) split.push_back(std::max<std::int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  for (auto v : split)
    if (v < 0) return ctx.fail("split sizes " + formatShape(split) + " include a negative size");
  if (std::accumulate(split.begin(), split.end(), std::int64_t(0)) != dim)
    return ctx.fail("split sizes " + formatShape(split) + " do not add up to " + std::to_string(dim) + " (axis " + std::to_string(axis) + " of " + formatArrayType(x) + ")");
  std::int64_t off = 0;
  for (std::size_t i = 0; i < split.size() && i < n; ++i) {
    ctx.setOutput(i, sliceAxis(x, ax, off, split[i]));
    off += split[i];
  }
  return Status::ok();
}

Status sliceK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::vector<std::int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.attrInts("starts");
    ends = ctx.attrInts("ends");
    axes = ctx.attrInts("axes");
  } else {
    if (auto s = ctx.require(2, "ends"); !s) return s;
    starts = toInt64Vector(ctx.input(1));
    ends = toInt64Vector(ctx.input(2));
    if (ctx.hasInput(3)) axes = toInt64Vector(ctx.input(3));
    if (ctx.hasInput(4)) steps = toInt64Vector(ctx.input(4));
  }
  auto r = static_cast<std::int64_t>(x.rank());
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return ctx.fail("starts, ends, axes and steps have different lengths");
  auto cs = contiguousStrides(x.shape());
  std::vector<std::int64_t> shape = x.shape(), strides = cs;
  std::int64_t base = 0;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    std::int64_t a = axes[i];
    if (!normalizeAxis(a, r)) return ctx.fail("axis " + std::to_string(axes[i]) + " out of range for " + formatArrayType(x));
    auto ax = static_cast<std::size_t>(a);
    std::int64_t dim = x.dim(ax), step = steps[i];
    if (step == 0) return ctx.fail("step 0");
    if (step == std::numeric_limits<std::int64_t>::min()) return ctx.fail("step out of range");
    std::int64_t s = starts[i], e = ends[i];
    if (dim == 0) {
      shape[ax] = 0;
      continue;
    }
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    std::int64_t len;
    if (step > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<std::int64_t>(s, 0, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    shape[ax] = len;
    strides[ax] = cs[ax] * step;
    if (len > 0) base += s * cs[ax];
  }
  ctx.setOutput(0, stridedCopy(x, base, strides, shape));
  return Status::ok();
}

Status gatherK(Context& ctx) {
  if (auto s = ctx.require(1, "indices"); !s) return s;
  const Array &x = ctx.input(0), &idx = ctx.input(1);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range for " + formatArrayType(x));
  auto ax = static_cast<std::size_t>(axis);
  std::vector<std::int64_t> shape(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax));
  shape.insert(shape.end(), idx.shape().begin(), idx.shape().end());
  shape.insert(shape.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(ax) + 1, x.shape().end());
  std::int64_t outer = 1, inner = 1, dim = x.dim(ax);
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.dim(d);
  Array out = Array::uninitialized(x.dtype(), shape);
  ElemCopier cp(x, out);
  std::int64_t n = idx.size();
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t i = readIndex(idx, k);
      if (i < 0) i += dim;
      if (i < 0 || i >= dim)
        return ctx.fail("index " + std::to_string(readIndex(idx, k)) + " is out of range for axis " + std::to_string(axis) + " of size " + std::to_string(dim));
      cp.run((o * n + k) * inner, (o * dim + i) * inner, inner);
    }
  ctx.setOutput(0, out);
  return Status::ok();
}

// Iterates over every index of `shape`, calling f(flatIndex, multiIndex).
template <typename F>
void forEachIndex(const std::vector<std::int64_t>& shape, F f) {
  std::int64_t n = shapeSize(shape);
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, idx);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

Status gatherElementsK(Context& ctx) {
  if (auto s = ctx.require(1, "indices"); !s) return s;
  const Array &x = ctx.input(0), &idx = ctx.input(1);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
  auto ax = static_cast<std::size_t>(axis);
  if (idx.rank() != x.rank()) return ctx.fail("indices and data must have the same rank");
  // Off the axis an output index is also a data index: indices may not be longer than data there
  // (a [3,2] index into [0,5] data read past the data).
  for (std::size_t d = 0; d < x.rank(); ++d)
    if (d != ax && idx.dim(d) > x.dim(d))
      return ctx.fail("indices " + formatArrayType(idx) + " are longer than data " + formatArrayType(x) + " in dimension " +
                      std::to_string(d) + ", which is not the axis");
  Array out = Array::uninitialized(x.dtype(), idx.shape());
  ElemCopier cp(x, out);
  auto cs = contiguousStrides(x.shape());
  Status bad;
  forEachIndex(idx.shape(), [&](std::int64_t i, const std::vector<std::int64_t>& m) {
    std::int64_t k = readIndex(idx, i);
    if (k < 0) k += x.dim(ax);
    if (k < 0 || k >= x.dim(ax)) {
      bad = ctx.fail("index out of range");
      return;
    }
    std::int64_t off = 0;
    for (std::size_t d = 0; d < m.size(); ++d) off += (d == ax ? k : m[d]) * cs[d];
    cp(i, off);
  });
  if (!bad) return bad;
  ctx.setOutput(0, out);
  return Status::ok();
}

template <typename T>
T mulT(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) return a && b;
  else return static_cast<T>(a * b);
}

Status scatterElementsK(Context& ctx) {
  if (auto s = ctx.require(2, "updates"); !s) return s;
  const Array &x = ctx.input(0), &idx = ctx.input(1), &upd = ctx.input(2);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
  auto ax = static_cast<std::size_t>(axis);
  // indices and updates have one shape and data's rank; off the axis an index walks data's own
  // dims, so they may not be longer there (a 1x2x65535 index on 1x5 data wrote out of bounds).
  if (idx.rank() != x.rank() || upd.shape() != idx.shape() || upd.dtype() != x.dtype())
    return ctx.fail("indices " + formatArrayType(idx) + " and updates " + formatArrayType(upd) +
                    " need one shape, of the rank of data " + formatArrayType(x));
  for (std::size_t d = 0; d < x.rank(); ++d)
    if (d != ax && idx.dim(d) > x.dim(d))
      return ctx.fail("indices " + formatArrayType(idx) + " are longer than data " + formatArrayType(x) + " in dim " + std::to_string(d));
  std::string red = ctx.attrString("reduction", "none");
  Array out = x.clone();
  auto cs = contiguousStrides(x.shape());
  Status bad;
  GRAFT_DISPATCH_ALL(x.dtype(), {
    T* o = out.data<T>();
    const T* u = upd.data<T>();
    forEachIndex(idx.shape(), [&](std::int64_t i, const std::vector<std::int64_t>& m) {
      std::int64_t k = readIndex(idx, i);
      if (k < 0) k += x.dim(ax);
      if (k < 0 || k >= x.dim(ax)) {
        bad = ctx.fail("index out of range");
        return;
      }
      std::int64_t off = 0;
      for (std::size_t d = 0; d < m.size(); ++d) off += (d == ax ? k : m[d]) * cs[d];
      if (red == "add") o[off] = static_cast<T>(o[off] + u[i]);
      else if (red == "mul") o[off] = mulT(o[off], u[i]);
      else if (red == "max") o[off] = std::max(o[off], u[i]);
      else if (red == "min") o[off] = std::min(o[off], u[i]);
      else o[off] = u[i];
    });
  })
  if (!bad) return bad;
  ctx.setOutput(0, out);
  return Status::ok();
}

Status gatherNDK(Context& ctx) {
  if (auto s = ctx.require(1, "indices"); !s) return s;
  const Array &x = ctx.input(0), &idx = ctx.input(1);
  const std::int64_t bAttr = ctx.attrInt("batch_dims", 0);
  std::size_t q = idx.rank();
  if (q == 0 || x.rank() == 0) return ctx.fail("data and indices need rank 1 or more");
  if (bAttr < 0 || static_cast<std::size_t>(bAttr) >= std::min(q, x.rank()))
    return ctx.fail("batch_dims " + std::to_string(bAttr) + " is out of range");
  auto b = static_cast<std::size_t>(bAttr);
  auto k = static_cast<std::size_t>(idx.dim(q - 1));
  if (k == 0 || b + k > x.rank())
    return ctx.fail("index tuples of length " + std::to_string(k) + " do not fit " + formatArrayType(x) +
                    " with batch_dims " + std::to_string(b));
  for (std::size_t d = 0; d < b; ++d)
    if (idx.dim(d) != x.dim(d)) return ctx.fail("batch dims of data and indices differ");
  std::vector<std::int64_t> shape(idx.shape().begin(), idx.shape().end() - 1);
  std::int64_t inner = 1;
  for (std::size_t d = b + k; d < x.rank(); ++d) {
    shape.push_back(x.dim(d));
    inner *= x.dim(d);
  }
  Array out = Array::uninitialized(x.dtype(), shape);
  ElemCopier cp(x, out);
  auto cs = contiguousStrides(x.shape());
  std::int64_t batch = 1;
  for (std::size_t d = 0; d < b; ++d) batch *= idx.dim(d);
  std::int64_t tuples = batch ? idx.size() / static_cast<std::int64_t>(k) / batch : 0;
  std::int64_t xBatch = batch ? x.size() / batch : 0;
  for (std::int64_t bi = 0; bi < batch; ++bi)
    for (std::int64_t t = 0; t < tuples; ++t) {
      std::int64_t off = bi * xBatch;
      for (std::size_t j = 0; j < k; ++j) {
        std::int64_t v = readIndex(idx, (bi * tuples + t) * static_cast<std::int64_t>(k) + static_cast<std::int64_t>(j));
        if (v < 0) v += x.dim(b + j);
        if (v < 0 || v >= x.dim(b + j))
          return ctx.fail("index " + std::to_string(readIndex(idx, (bi * tuples + t) * static_cast<std::int64_t>(k) +
                                                                      static_cast<std::int64_t>(j))) +
                          " is out of range for axis " + std::to_string(b + j) + " of " + formatArrayType(x));
        off += v * cs[b + j];
      }
      cp.run((bi * tuples + t) * inner, off, inner);
    }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status scatterNDK(Context& ctx) {
  if (auto s = ctx.require(2, "updates"); !s) return s;
  const Array &x = ctx.input(0), &idx = ctx.input(1), &upd = ctx.input(2);
  std::size_t q = idx.rank();
  if (q == 0) return ctx.fail("indices need rank 1 or more");
  auto k = static_cast<std::size_t>(idx.dim(q - 1));
  if (k == 0 || k > x.rank())
    return ctx.fail("index tuples of length " + std::to_string(k) + " do not fit " + formatArrayType(x));
  if (upd.dtype() != x.dtype()) return ctx.fail("updates and data have different element types");
  // updates must be indices.shape[:-1] + data.shape[k:]: every write then has a source.
  std::vector<std::int64_t> want(idx.shape().begin(), idx.shape().end() - 1);
  want.insert(want.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(k), x.shape().end());
  if (upd.shape() != want)
    return ctx.fail("updates are " + formatArrayType(upd) + " but must be " + formatShape(want) + " for indices " +
                    formatArrayType(idx) + " into " + formatArrayType(x));
  std::int64_t inner = 1;
  for (std::size_t d = k; d < x.rank(); ++d) inner *= x.dim(d);
  std::string red = ctx.attrString("reduction", "none");
  Array out = x.clone();
  auto cs = contiguousStrides(x.shape());
  std::int64_t tuples = idx.size() / static_cast<std::int64_t>(std::max<std::size_t>(k, 1));
  GRAFT_DISPATCH_ALL(x.dtype(), {
    T* o = out.data<T>();
    const T* u = upd.data<T>();
    for (std::int64_t t = 0; t < tuples; ++t) {
      std::int64_t off = 0;
      for (std::size_t j = 0; j < k; ++j) {
        const std::int64_t given = readIndex(idx, t * static_cast<std::int64_t>(k) + static_cast<std::int64_t>(j));
        std::int64_t v = given < 0 ? given + x.dim(j) : given;
        // The model chooses these: unchecked, they choose the offset of a heap write.
        if (v < 0 || v >= x.dim(j))
          return ctx.fail("index " + std::to_string(given) + " is out of range for axis " + std::to_string(j) + " of " +
                          formatArrayType(x));
        off += v * cs[j];
      }
      for (std::int64_t e = 0; e < inner; ++e) {
        T& dst = o[off + e];
        T src = u[t * inner + e];
        if (red == "add") dst = static_cast<T>(dst + src);
        else if (red == "mul") dst = mulT(dst, src);
        else if (red == "max") dst = std::max(dst, src);
        else if (red == "min") dst = std::min(dst, src);
        else dst = src;
      }
    }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

Status expandK(Context& ctx) {
  if (auto s = ctx.require(1, "shape"); !s) return s;
  const Array& x = ctx.input(0);
  auto shape = broadcastShapes(x.shape(), toInt64Vector(ctx.input(1)));
  if (!shape) return ctx.fail(shape.message());
  ctx.setOutput(0, expandTo(x, shape.value()));
  return Status::ok();
}

Status tileK(Context& ctx) {
  if (auto s = ctx.require(1, "repeats"); !s) return s;
  const Array& x = ctx.input(0);
  auto reps = toInt64Vector(ctx.input(1));
  if (reps.size() != x.rank()) return ctx.fail("repeats has " + std::to_string(reps.size()) + " entries but the input is " + formatArrayType(x));
  std::vector<std::int64_t> shape(x.rank());
  for (std::size_t i = 0; i < x.rank(); ++i) shape[i] = x.dim(i) * reps[i];
  Array out = Array::uninitialized(x.dtype(), shape);
  ElemCopier cp(x, out);
  auto cs = contiguousStrides(x.shape());
  forEachIndex(shape, [&](std::int64_t i, const std::vector<std::int64_t>& m) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < m.size(); ++d) off += (m[d] % x.dim(d)) * cs[d];
    cp(i, off);
  });
  ctx.setOutput(0, out);
  return Status::ok();
}

Status padK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::string mode = ctx.attrString("mode", "constant");
  std::vector<std::int64_t> pads;
  double value = 0;
  std::size_t r = x.rank();
  if (ctx.opset() < 11) {
    pads = ctx.attrInts(ctx.hasAttr("pads") ? "pads" : "paddings");
    value = ctx.attrFloat("value", 0);
  } else {
    if (auto s = ctx.require(1, "pads"); !s) return s;
    pads = toInt64Vector(ctx.input(1));
    if (ctx.hasInput(2) && ctx.input(2).size()) value = readDouble(ctx.input(2), 0);
    if (ctx.hasInput(3)) {
      auto axes = toInt64Vector(ctx.input(3));
      if (pads.size() != 2 * axes.size())
        return ctx.fail("pads has " + std::to_string(pads.size()) + " entries for " + std::to_string(axes.size()) + " axes");
      std::vector<std::int64_t> full(2 * r, 0);
      for (std::size_t i = 0; i < axes.size(); ++i) {
        std::int64_t a = axes[i];
        if (!normalizeAxis(a, static_cast<std::int64_t>(r))) return ctx.fail("axis out of range");
        full[static_cast<std::size_t>(a)] = pads[i];
        full[static_cast<std::size_t>(a) + r] = pads[i + axes.size()];
      }
      pads = full;
    }
  }
  if (pads.size() != 2 * r) return ctx.fail("pads has " + std::to_string(pads.size()) + " entries; " + formatArrayType(x) + " needs " + std::to_string(2 * r));
  std::vector<std::int64_t> shape(r);
  for (std::size_t i = 0; i < r; ++i) {
    if (std::abs(pads[i]) > (std::int64_t(1) << 40) || std::abs(pads[i + r]) > (std::int64_t(1) << 40))
      return ctx.fail("pads " + formatShape(pads) + " are out of range");
    shape[i] = x.dim(i) + pads[i] + pads[i + r];
    if (shape[i] < 0) return ctx.fail("pads make a negative dimension");
  }
  Array out = Array::uninitialized(x.dtype(), shape);
  if (x.dtype() == kString) return ctx.unsupported("Pad of strings");
  // Fill value in the element type.
  Array fill = Array::scalar<double>(kDouble, value);
  auto fv = castArray(fill, x.dtype());
  if (!fv) return fv.status();
  ElemCopier cp(x, out);
  ElemCopier cf(fv.value(), out);
  auto cs = contiguousStrides(x.shape());
  bool anyEmpty = x.size() == 0;
  Status bad;
  forEachIndex(shape, [&](std::int64_t i, const std::vector<std::int64_t>& m) {
    std::int64_t off = 0;
    bool outside = false;
    for (std::size_t d = 0; d < r; ++d) {
      std::int64_t s = m[d] - pads[d], n = x.dim(d);
      if (s < 0 || s >= n) {
        if (mode == "constant" || anyEmpty) {
          outside = true;
          break;
        }
        if (mode == "edge") {
          s = std::clamp<std::int64_t>(s, 0, n - 1);
        } else if (mode == "reflect") {
          if (n == 1) {
            s = 0;
          } else {
            std::int64_t period = 2 * (n - 1);
            s = ((s % period) + period) % period;
            if (s >= n) s = period - s;
          }
        } else if (mode == "wrap") {
          s = ((s % n) + n) % n;
        } else {
          bad = ctx.unsupported("pad mode '" + mode + "'");
          return;
        }
      }
      off += s * cs[d];
    }
    if (outside)
      cf(i, 0);
    else
      cp(i, off);
  });
  if (!bad) return bad;
  ctx.setOutput(0, out);
  return Status::ok();
}

Status constantOfShapeK(Context& ctx) {
  auto shape = toInt64Vector(ctx.input(0));
  Array value = Array::scalar<float>(kFloat, 0.0f);
  if (const auto* t = ctx.attrTensor("value")) {
    auto a = arrayFromProto(*t);
    if (!a) return ctx.fail(a.message());
    value = a.value();
  }
  ctx.setOutput(0, expandTo(value.reshaped({}), shape));
  return Status::ok();
}

Status rangeK(Context& ctx) {
  if (auto s = ctx.require(2, "delta"); !s) return s;
  const Array& start = ctx.input(0);
  double s0 = readDouble(start, 0), lim = readDouble(ctx.input(1), 0), d = readDouble(ctx.input(2), 0);
  if (d == 0) return ctx.fail("delta is 0");
  const double count = std::ceil((lim - s0) / d);
  if (!(count < 9.0e15))  // also NaN; past 2^53 the count itself is not exact
    return ctx.fail("Range from " + std::to_string(s0) + " to " + std::to_string(lim) + " by " + std::to_string(d) +
                    " would have " + (std::isnan(count) ? std::string("an undefined number of") : "about " + std::to_string(count)) +
                    " elements");
  auto n = static_cast<std::int64_t>(std::max(0.0, count));
  Array out = Array::uninitialized(start.dtype(), {n});
  GRAFT_DISPATCH_NUMERIC(start.dtype(), {
    T* o = out.data<T>();
    T v = start.data<T>()[0], step = ctx.input(2).data<T>()[0];
    for (std::int64_t i = 0; i < n; ++i) {
      o[i] = v;
      v = static_cast<T>(v + step);
    }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

Status eyeLikeK(Context& ctx) {
  const Array& x = ctx.input(0);
  // The 1s go at [i, i + k] of a matrix: any other rank (a [4,5,0] input held no element at all)
  // would put them outside the array.
  if (x.rank() != 2) return ctx.fail("input " + formatArrayType(x) + " must be 2-D");
  auto dt = static_cast<std::int32_t>(ctx.attrInt("dtype", x.dtype()));
  std::int64_t k = ctx.attrInt("k", 0);
  Array out(kDouble, x.shape());
  for (std::int64_t i = 0; i < x.dim(0); ++i) {
    std::int64_t j = i + k;
    if (j >= 0 && j < x.dim(1)) out.data<double>()[i * x.dim(1) + j] = 1;
  }
  auto c = castArray(out, dt);
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Status oneHotK(Context& ctx) {
  if (auto s = ctx.require(2, "values"); !s) return s;
  const Array &idx = ctx.input(0), &values = ctx.input(2);
  auto depth = static_cast<std::int64_t>(readDouble(ctx.input(1), 0));
  std::int64_t axis = ctx.attrInt("axis", -1);
  auto r = static_cast<std::int64_t>(idx.rank()) + 1;
  if (!normalizeAxis(axis, r)) return ctx.fail("axis out of range");
  std::vector<std::int64_t> shape = idx.shape();
  shape.insert(shape.begin() + axis, depth);
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= idx.dim(static_cast<std::size_t>(d));
  for (std::size_t d = static_cast<std::size_t>(axis); d < idx.rank(); ++d) inner *= idx.dim(d);
  Array out = Array::uninitialized(values.dtype(), shape);
  ElemCopier cp(values, out);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t c = 0; c < depth; ++c)
      for (std::int64_t i = 0; i < inner; ++i) {
        std::int64_t v = static_cast<std::int64_t>(readDouble(idx, o * inner + i));
        if (v < 0) v += depth;
        cp((o * depth + c) * inner + i, v == c ? 1 : 0);
      }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status triluK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (x.rank() < 2) return ctx.fail("needs an input of rank 2 or more, not " + formatArrayType(x));
  if (ctx.hasInput(1) && ctx.input(1).size() != 1) return ctx.fail("k must hold one value, not " + formatArrayType(ctx.input(1)));
  std::int64_t k = ctx.hasInput(1) ? readIndex(ctx.input(1), 0) : 0;
  bool upper = ctx.attrInt("upper", 1) != 0;
  Array out = x.clone();
  std::size_t r = x.rank();
  std::int64_t rows = x.dim(r - 2), cols = x.dim(r - 1), mats = rows * cols != 0 ? x.size() / (rows * cols) : 0;
  std::size_t es = x.elementSize();
  auto* o = static_cast<std::byte*>(out.raw());
  for (std::int64_t m = 0; m < mats; ++m)
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) {
        bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) std::memset(o + static_cast<std::size_t>((m * rows + i) * cols + j) * es, 0, es);
      }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status depthToSpaceK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t b = ctx.attrInt("blocksize", 1);
  bool crd = ctx.attrString("mode", "DCR") == "CRD";
  if (x.rank() != 4) return ctx.fail("needs a 4-D input");
  std::int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  // b * b must divide C (and must not overflow, which an empty C alone would not rule out).
  if (b < 1 || b > 3037000499 || (C > 0 && (b > C || C % (b * b) != 0)))
    return ctx.fail("blocksize " + std::to_string(b) + " does not fit " + formatArrayType(x) + ": its square must divide the " +
                    std::to_string(C) + " channels");
  const std::int64_t c2 = C / (b * b);
  // Reshape to 6-D, transpose, reshape.
  std::vector<std::int64_t> s6 = crd ? std::vector<std::int64_t>{N, c2, b, b, H, W} : std::vector<std::int64_t>{N, b, b, c2, H, W};
  std::vector<std::int64_t> perm = crd ? std::vector<std::int64_t>{0, 1, 4, 2, 5, 3} : std::vector<std::int64_t>{0, 3, 4, 1, 5, 2};
  auto cs = contiguousStrides(s6);
  std::vector<std::int64_t> shape(6), strides(6);
  for (std::size_t i = 0; i < 6; ++i) {
    shape[i] = s6[static_cast<std::size_t>(perm[i])];
    strides[i] = cs[static_cast<std::size_t>(perm[i])];
  }
  ctx.setOutput(0, stridedCopy(x, 0, strides, shape).reshaped({N, c2, H * b, W * b}));
  return Status::ok();
}

Status spaceToDepthK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t b = ctx.attrInt("blocksize", 1);
  if (x.rank() != 4) return ctx.fail("needs a 4-D input");
  std::int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  // b must divide H and W, and C * b * b (the output's channels) must not overflow.
  std::int64_t channels = 0;
  if (b < 1 || b > 3037000499 || (H > 0 && (b > H || H % b != 0)) || (W > 0 && (b > W || W % b != 0)) ||
      __builtin_mul_overflow(C, b * b, &channels))
    return ctx.fail("blocksize " + std::to_string(b) + " does not fit " + formatArrayType(x) + ": it must divide the height " +
                    std::to_string(H) + " and the width " + std::to_string(W));
  std::vector<std::int64_t> s6{N, C, H / b, b, W / b, b};
  std::vector<std::int64_t> perm{0, 3, 5, 1, 2, 4};
  auto cs = contiguousStrides(s6);
  std::vector<std::int64_t> shape(6), strides(6);
  for (std::size_t i = 0; i < 6; ++i) {
    shape[i] = s6[static_cast<std::size_t>(perm[i])];
    strides[i] = cs[static_cast<std::size_t>(perm[i])];
  }
  ctx.setOutput(0, stridedCopy(x, 0, strides, shape).reshaped({N, channels, H / b, W / b}));
  return Status::ok();
}

Status nonZeroK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::vector<std::int64_t> hits;
  for (std::int64_t i = 0; i < x.size(); ++i)
    if (readDouble(x, i) != 0) hits.push_back(i);
  auto r = static_cast<std::int64_t>(x.rank());
  auto n = static_cast<std::int64_t>(hits.size());
  Array out = Array::uninitialized(kInt64, {r, n});
  auto cs = contiguousStrides(x.shape());
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t rem = hits[static_cast<std::size_t>(k)];
    for (std::int64_t d = 0; d < r; ++d) {
      out.data<std::int64_t>()[d * n + k] = rem / cs[static_cast<std::size_t>(d)];
      rem %= cs[static_cast<std::size_t>(d)];
    }
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status compressK(Context& ctx) {
  if (auto s = ctx.require(1, "condition"); !s) return s;
  Array x = ctx.input(0);
  const Array& cond = ctx.input(1);
  if (!ctx.hasAttr("axis")) x = x.reshaped({x.size()});
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
  auto ax = static_cast<std::size_t>(axis);
  std::vector<std::int64_t> keep;
  for (std::int64_t i = 0; i < std::min(cond.size(), x.dim(ax)); ++i)
    if (readIndex(cond, i)) keep.push_back(i);
  std::vector<std::int64_t> shape = x.shape();
  shape[ax] = static_cast<std::int64_t>(keep.size());
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.dim(d);
  Array out = Array::uninitialized(x.dtype(), shape);
  ElemCopier cp(x, out);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::size_t k = 0; k < keep.size(); ++k)
      cp.run((o * static_cast<std::int64_t>(keep.size()) + static_cast<std::int64_t>(k)) * inner, (o * x.dim(ax) + keep[k]) * inner, inner);
  ctx.setOutput(0, out);
  return Status::ok();
}

// CumSum, and CumProd (opset 26) with the same attributes.
template <bool Product>
Status cumulativeK(Context& ctx) {
  if (auto s = ctx.require(1, "axis"); !s) return s;
  const Array& x = ctx.input(0);
  std::int64_t axis = readIndex(ctx.input(1), 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
  bool exclusive = ctx.attrInt("exclusive", 0), reverse = ctx.attrInt("reverse", 0);
  auto ax = static_cast<std::size_t>(axis);
  std::int64_t outer = 1, inner = 1, dim = x.dim(ax);
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.dim(d);
  Array out = Array::uninitialized(x.dtype(), x.shape());
  GRAFT_DISPATCH_NUMERIC(x.dtype(), {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for (std::int64_t a = 0; a < outer; ++a)
      for (std::int64_t c = 0; c < inner; ++c) {
        T acc = Product ? 1 : 0;
        for (std::int64_t k = 0; k < dim; ++k) {
          std::int64_t kk = reverse ? dim - 1 - k : k;
          std::int64_t off = (a * dim + kk) * inner + c;
          if (exclusive) o[off] = acc;
          acc = static_cast<T>(Product ? acc * in[off] : acc + in[off]);
          if (!exclusive) o[off] = acc;
        }
      }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

Status topKK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t k = ctx.hasInput(1) ? readIndex(ctx.input(1), 0) : ctx.attrInt("k", 1);
  std::int64_t axis = ctx.attrInt("axis", -1);
  bool largest = ctx.attrInt("largest", 1) != 0;
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank()))) return ctx.fail("axis out of range");
  auto ax = static_cast<std::size_t>(axis);
  std::int64_t outer = 1, inner = 1, dim = x.dim(ax);
  if (k > dim) return ctx.fail("k = " + std::to_string(k) + " is larger than axis size " + std::to_string(dim));
  for (std::size_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.dim(d);
  auto shape = x.shape();
  shape[ax] = k;
  Array vals = Array::uninitialized(x.dtype(), shape), idxs = Array::uninitialized(kInt64, shape);
  GRAFT_DISPATCH_NUMERIC(x.dtype(), {
    const T* in = x.data<T>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(dim));
    for (std::int64_t a = 0; a < outer; ++a)
      for (std::int64_t c = 0; c < inner; ++c) {
        std::iota(order.begin(), order.end(), 0);
        auto at = [&](std::int64_t i) { return in[(a * dim + i) * inner + c]; };
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t p, std::int64_t q) {
          return largest ? at(p) > at(q) : at(p) < at(q);
        });
        for (std::int64_t i = 0; i < k; ++i) {
          std::int64_t off = (a * k + i) * inner + c;
          vals.data<T>()[off] = at(order[static_cast<std::size_t>(i)]);
          idxs.data<std::int64_t>()[off] = order[static_cast<std::size_t>(i)];
        }
      }
  })
  ctx.setOutput(0, vals);
  ctx.setOutput(1, idxs);
  return Status::ok();
}

Status reverseSequenceK(Context& ctx) {
  if (auto s = ctx.require(1, "sequence_lens"); !s) return s;
  const Array &x = ctx.input(0), &lens = ctx.input(1);
  const std::int64_t batchAttr = ctx.attrInt("batch_axis", 1), timeAttr = ctx.attrInt("time_axis", 0);
  // The spec allows axes 0 and 1 only; the model's values index m[] and the strides below.
  if (x.rank() < 2 || (batchAttr != 0 && batchAttr != 1) || (timeAttr != 0 && timeAttr != 1) || batchAttr == timeAttr)
    return ctx.fail("batch_axis " + std::to_string(batchAttr) + " and time_axis " + std::to_string(timeAttr) +
                    " must be 0 and 1 (in either order) for " + formatArrayType(x));
  auto batchAxis = static_cast<std::size_t>(batchAttr);
  auto timeAxis = static_cast<std::size_t>(timeAttr);
  if (lens.size() != x.dim(batchAxis))
    return ctx.fail("sequence_lens " + formatArrayType(lens) + " must have one length per batch entry (" +
                    std::to_string(x.dim(batchAxis)) + ")");
  for (std::int64_t b = 0; b < lens.size(); ++b)
    if (readIndex(lens, b) < 0 || readIndex(lens, b) > x.dim(timeAxis))
      return ctx.fail("sequence length " + std::to_string(readIndex(lens, b)) + " is outside 0.." +
                      std::to_string(x.dim(timeAxis)));
  Array out = Array::uninitialized(x.dtype(), x.shape());
  ElemCopier cp(x, out);
  auto cs = contiguousStrides(x.shape());
  forEachIndex(x.shape(), [&](std::int64_t i, const std::vector<std::int64_t>& m) {
    std::int64_t len = readIndex(lens, m[batchAxis]);
    std::int64_t t = m[timeAxis];
    std::int64_t src = i;
    if (t < len) src = i + ((len - 1 - t) - t) * cs[timeAxis];
    cp(i, src);
  });
  ctx.setOutput(0, out);
  return Status::ok();
}

}  // namespace

void registerShapeKernels() {
  registerKernel("", "Identity", identityK, true);
  registerKernel("", "Dropout", dropoutK, true);
  registerKernel("", "Constant", constantK, true);
  registerKernel("", "Shape", shapeK, true);
  registerKernel("", "Size", sizeK, true);
  registerKernel("", "Reshape", reshapeK, true);
  registerKernel("", "Flatten", flattenK, true);
  registerKernel("", "Squeeze", squeezeK, true);
  registerKernel("", "Unsqueeze", unsqueezeK, true);
  registerKernel("", "Transpose", transposeK, true);
  registerKernel("", "Concat", concatK, true);
  registerKernel("", "Split", splitK, true);
  registerKernel("", "Slice", sliceK, true);
  registerKernel("", "Gather", gatherK, true);
  registerKernel("", "GatherElements", gatherElementsK, true);
  registerKernel("", "GatherND", gatherNDK, true);
  registerKernel("", "ScatterElements", scatterElementsK);
  registerKernel("", "Scatter", scatterElementsK);
  registerKernel("", "ScatterND", scatterNDK);
  registerKernel("", "Expand", expandK, true);
  registerKernel("", "Tile", tileK, true);
  registerKernel("", "Pad", padK);
  registerKernel("", "ConstantOfShape", constantOfShapeK, true);
  registerKernel("", "Range", rangeK);
  registerKernel("", "EyeLike", eyeLikeK);
  registerKernel("", "OneHot", oneHotK, true);
  registerKernel("", "Trilu", triluK, true);
  registerKernel("", "DepthToSpace", depthToSpaceK, true);
  registerKernel("", "SpaceToDepth", spaceToDepthK, true);
  registerKernel("", "NonZero", nonZeroK);
  registerKernel("", "Compress", compressK, true);
  registerKernel("", "CumSum", cumulativeK<false>);
  registerKernel("", "CumProd", cumulativeK<true>);
  registerKernel("", "TopK", topKK);
  registerKernel("", "ReverseSequence", reverseSequenceK, true);
}

}  // namespace graft::eval
