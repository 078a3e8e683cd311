// Sequence and optional kernels (opsets 11 and 15 on): building, reading, splitting into and
// concatenating from sequences; wrapping a value as an optional and testing or taking it.
#include <cstring>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

Status requireSequence(const Context& ctx, std::size_t i) {
  if (!ctx.hasInput(i) || !ctx.input(i).isSequence())
    return ctx.fail("input " + std::to_string(i) + " must be a sequence" + (ctx.hasInput(i) ? ", not " + formatArrayType(ctx.input(i)) : ""));
  return Status::ok();
}

// A position into a sequence of n items (negative from the end); `insert` allows n itself.
Result<std::size_t> position(const Context& ctx, std::size_t input, std::size_t n, bool insert) {
  if (!ctx.hasInput(input)) return insert ? n : n - 1;
  std::int64_t p = readIndex(ctx.input(input), 0), len = static_cast<std::int64_t>(n);
  if (p < 0) p += len;
  if (p < 0 || p > len || (!insert && p == len))
    return ctx.fail("position " + std::to_string(readIndex(ctx.input(input), 0)) + " is outside a sequence of " + std::to_string(n));
  return static_cast<std::size_t>(p);
}

// The [begin, end) slice of x along axis.
Array sliceAxis(const Array& x, std::size_t axis, std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> shape = x.shape();
  shape[axis] = end - begin;
  Array out = Array::uninitialized(x.dtype(), shape);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (std::size_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  std::int64_t dim = x.dim(axis), len = end - begin;
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t k = 0; k < len * inner; ++k) {
      std::int64_t src = (o * dim + begin) * inner + k, dst = o * len * inner + k;
      if (x.dtype() == kString)
        out.strings()[static_cast<std::size_t>(dst)] = x.strings()[static_cast<std::size_t>(src)];
      else
        std::memcpy(static_cast<std::byte*>(out.raw()) + static_cast<std::size_t>(dst) * x.elementSize(),
                    static_cast<const std::byte*>(x.raw()) + static_cast<std::size_t>(src) * x.elementSize(), x.elementSize());
    }
  return out;
}

Status sequenceConstructK(Context& ctx) {
  std::vector<Array> items;
  for (std::size_t i = 0; i < ctx.inputCount(); ++i) {
    if (!ctx.hasInput(i)) continue;
    if (!items.empty() && ctx.input(i).dtype() != items[0].dtype()) return ctx.fail("all inputs must have one element type");
    items.push_back(ctx.input(i));
  }
  std::int32_t dt = items.empty() ? kFloat : items[0].dtype();
  ctx.setOutput(0, Array::sequence(dt, std::move(items)));
  return Status::ok();
}

Status sequenceEmptyK(Context& ctx) {
  ctx.setOutput(0, Array::sequence(static_cast<std::int32_t>(ctx.attrInt("dtype", kFloat)), {}));
  return Status::ok();
}

Status sequenceAtK(Context& ctx) {
  if (auto s = requireSequence(ctx, 0); !s) return s;
  if (auto s = ctx.require(1, "position"); !s) return s;
  const auto& items = ctx.input(0).items();
  if (items.empty()) return ctx.fail("the sequence is empty");
  auto p = position(ctx, 1, items.size(), false);
  if (!p) return p.status();
  ctx.setOutput(0, items[p.value()]);
  return Status::ok();
}

Status sequenceInsertK(Context& ctx) {
  if (auto s = requireSequence(ctx, 0); !s) return s;
  if (auto s = ctx.require(1, "tensor"); !s) return s;
  std::vector<Array> items = ctx.input(0).items();
  auto p = position(ctx, 2, items.size(), true);
  if (!p) return p.status();
  items.insert(items.begin() + static_cast<std::ptrdiff_t>(p.value()), ctx.input(1));
  ctx.setOutput(0, Array::sequence(ctx.input(1).dtype(), std::move(items)));
  return Status::ok();
}

Status sequenceEraseK(Context& ctx) {
  if (auto s = requireSequence(ctx, 0); !s) return s;
  std::vector<Array> items = ctx.input(0).items();
  if (items.empty()) return ctx.fail("the sequence is empty");
  auto p = position(ctx, 1, items.size(), false);
  if (!p) return p.status();
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(p.value()));
  ctx.setOutput(0, Array::sequence(ctx.input(0).dtype(), std::move(items)));
  return Status::ok();
}

Status sequenceLengthK(Context& ctx) {
  if (auto s = requireSequence(ctx, 0); !s) return s;
  ctx.setOutput(0, Array::scalar<std::int64_t>(kInt64, static_cast<std::int64_t>(ctx.input(0).items().size())));
  return Status::ok();
}

// SplitToSequence: pieces of `split` (a scalar chunk length or a list of lengths) along axis,
// or length-1 pieces (squeezed unless keepdims) when split is absent.
Status splitToSequenceK(Context& ctx) {
  const Array& x = ctx.input(0);
  std::int64_t axis = ctx.attrInt("axis", 0);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(x.rank())) || x.rank() == 0)
    return ctx.fail("axis out of range for " + formatArrayType(x));
  auto ax = static_cast<std::size_t>(axis);
  std::int64_t dim = x.dim(ax);
  std::vector<std::int64_t> lengths;
  bool squeeze = false;
  if (!ctx.hasInput(1)) {
    lengths.assign(static_cast<std::size_t>(dim), 1);
    squeeze = ctx.attrInt("keepdims", 1) == 0;
  } else if (ctx.input(1).rank() == 0) {
    std::int64_t chunk = readIndex(ctx.input(1), 0);
    if (chunk <= 0) return ctx.fail("split must be positive");
    for (std::int64_t at = 0; at < dim; at += chunk) lengths.push_back(std::min(chunk, dim - at));
  } else {
    lengths = toInt64Vector(ctx.input(1));
    std::int64_t sum = 0;
    for (auto l : lengths) {
      if (l < 0) return ctx.fail("split lengths must not be negative");
      sum += l;
    }
    if (sum != dim) return ctx.fail("split lengths add up to " + std::to_string(sum) + ", not " + std::to_string(dim));
  }
  std::vector<Array> items;
  std::int64_t at = 0;
  for (auto l : lengths) {
    Array piece = sliceAxis(x, ax, at, at + l);
    at += l;
    if (squeeze) {
      std::vector<std::int64_t> shape = piece.shape();
      shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(ax));
      piece = piece.reshaped(shape);
    }
    items.push_back(piece);
  }
  ctx.setOutput(0, Array::sequence(x.dtype(), std::move(items)));
  return Status::ok();
}

// ConcatFromSequence: the items joined along axis, or stacked on a new axis (new_axis = 1).
Status concatFromSequenceK(Context& ctx) {
  if (auto s = requireSequence(ctx, 0); !s) return s;
  const auto& items = ctx.input(0).items();
  if (items.empty()) return ctx.fail("cannot concatenate an empty sequence");
  bool stack = ctx.attrInt("new_axis", 0) != 0;
  std::int64_t axis = ctx.attrInt("axis", 0);
  auto rank = static_cast<std::int64_t>(items[0].rank()) + (stack ? 1 : 0);
  if (!normalizeAxis(axis, rank)) return ctx.fail("axis out of range");
  auto ax = static_cast<std::size_t>(axis);
  std::vector<Array> parts;
  for (const Array& a : items) {
    std::vector<std::int64_t> shape = a.shape();
    if (stack) shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(ax), 1);
    parts.push_back(a.reshaped(shape));
  }
  std::vector<std::int64_t> shape = parts[0].shape();
  shape[ax] = 0;
  for (const Array& p : parts) {
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (d != ax && (p.rank() != shape.size() || p.dim(d) != shape[d]))
        return ctx.fail("sequence items " + formatArrayType(parts[0]) + " and " + formatArrayType(p) + " cannot be joined on axis " + std::to_string(axis));
    shape[ax] += p.dim(ax);
  }
  Array out = Array::uninitialized(parts[0].dtype(), shape);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= shape[d];
  for (std::size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
  std::size_t es = out.elementSize();
  std::int64_t offset = 0;
  for (const Array& p : parts) {
    std::int64_t run = p.dim(ax) * inner;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t k = 0; k < run; ++k) {
        std::int64_t dst = o * shape[ax] * inner + offset + k, src = o * run + k;
        if (out.dtype() == kString)
          out.strings()[static_cast<std::size_t>(dst)] = p.strings()[static_cast<std::size_t>(src)];
        else
          std::memcpy(static_cast<std::byte*>(out.raw()) + static_cast<std::size_t>(dst) * es,
                      static_cast<const std::byte*>(p.raw()) + static_cast<std::size_t>(src) * es, es);
      }
    offset += run;
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

Status optionalK(Context& ctx) {
  if (ctx.hasInput(0)) {
    ctx.setOutput(0, Array::optional(ctx.input(0).dtype(), ctx.input(0)));
    return Status::ok();
  }
  const auto* type = ctx.node().attribute("type");
  std::int32_t dt = 0;
  if (type && type->has_tp()) {
    const auto& tp = type->tp();
    if (tp.has_tensor_type()) dt = tp.tensor_type().elem_type();
    else if (tp.has_sequence_type() && tp.sequence_type().elem_type().has_tensor_type())
      dt = tp.sequence_type().elem_type().tensor_type().elem_type();
  }
  ctx.setOutput(0, Array::optional(dt, std::nullopt));
  return Status::ok();
}

// An absent input, an empty optional: false. A tensor or sequence: true.
Status optionalHasElementK(Context& ctx) {
  bool has = ctx.hasInput(0) && (!ctx.input(0).isOptional() || !ctx.input(0).items().empty());
  ctx.setOutput(0, Array::scalar<bool>(kBool, has));
  return Status::ok();
}

Status optionalGetElementK(Context& ctx) {
  if (!ctx.hasInput(0)) return ctx.fail("the input is absent");
  const Array& x = ctx.input(0);
  if (!x.isOptional()) {
    ctx.setOutput(0, x);
    return Status::ok();
  }
  if (x.items().empty()) return ctx.fail("the optional is empty");
  ctx.setOutput(0, x.items()[0]);
  return Status::ok();
}

}  // namespace

void registerSequenceKernels() {
  registerKernel("", "SequenceConstruct", sequenceConstructK, true);
  registerKernel("", "SequenceEmpty", sequenceEmptyK, true);
  registerKernel("", "SequenceAt", sequenceAtK, true);
  registerKernel("", "SequenceInsert", sequenceInsertK, true);
  registerKernel("", "SequenceErase", sequenceEraseK, true);
  registerKernel("", "SequenceLength", sequenceLengthK, true);
  registerKernel("", "SplitToSequence", splitToSequenceK, true);
  registerKernel("", "ConcatFromSequence", concatFromSequenceK, true);
  registerKernel("", "Optional", optionalK, true);
  registerKernel("", "OptionalHasElement", optionalHasElementK, true);
  registerKernel("", "OptionalGetElement", optionalGetElementK, true);
}

}  // namespace graft::eval
