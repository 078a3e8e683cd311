// Smaller ops of opsets 18 to 26 that no other family file holds: GroupNormalization (18, 21),
// BitwiseNot (18), Swish and TensorScatter (24), BitCast (26).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

// GroupNormalization: mean and variance over each group of C / num_groups channels (and all
// spatial positions), then scale and bias per channel (opset 21) or per group (opset 18).
Status groupNormK(Context& ctx) {
  if (auto s = ctx.require(1, "scale"); !s) return s;
  if (auto s = ctx.require(2, "bias"); !s) return s;
  const Array& x = ctx.input(0);
  if (!isFloatType(x.dtype())) return ctx.fail(std::string("X must be a float tensor, not ") + dtypeName(x.dtype()));
  if (x.rank() < 2) return ctx.fail("X " + formatArrayType(x) + " must be at least [N, C]");
  std::int64_t G = ctx.attrInt("num_groups", 0), N = x.dim(0), C = x.dim(1);
  if (G <= 0 || C % G) return ctx.fail("num_groups " + std::to_string(G) + " must divide the " + std::to_string(C) + " channels");
  auto sc = arrayToDoubles(ctx.input(1)), bi = arrayToDoubles(ctx.input(2));
  if (!sc || !bi) return ctx.fail("scale and bias must be numeric");
  const auto &scale = sc.value(), &bias = bi.value();
  auto n = static_cast<std::size_t>(C);
  bool perGroup = scale.size() != n;
  if ((perGroup && scale.size() != static_cast<std::size_t>(G)) || bias.size() != scale.size())
    return ctx.fail("scale and bias must have one value per channel (" + std::to_string(C) + ")");
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  std::int64_t spatial = C ? x.size() / (N * C) : 0, cpg = C / G, groupSize = cpg * spatial;
  auto xv = arrayToDoubles(x);
  if (!xv) return xv.status();
  Array y = Array::uninitialized(kDouble, x.shape());
  const double* in = xv.value().data();
  double* out = y.data<double>();
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t g = 0; g < G; ++g) {
      std::int64_t base = (b * C + g * cpg) * spatial;
      double mean = 0, var = 0;
      for (std::int64_t i = 0; i < groupSize; ++i) mean += in[base + i];
      mean /= static_cast<double>(std::max<std::int64_t>(groupSize, 1));
      for (std::int64_t i = 0; i < groupSize; ++i) var += (in[base + i] - mean) * (in[base + i] - mean);
      var /= static_cast<double>(std::max<std::int64_t>(groupSize, 1));
      double inv = 1.0 / std::sqrt(var + eps);
      for (std::int64_t i = 0; i < groupSize; ++i) {
        auto k = static_cast<std::size_t>(perGroup ? g : g * cpg + i / spatial);
        out[base + i] = (in[base + i] - mean) * inv * scale[k] + bias[k];
      }
    }
  auto c = castArray(y, x.dtype());
  if (!c) return c.status();
  ctx.setOutput(0, c.value());
  return Status::ok();
}

Status bitwiseNotK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (!isIntegerType(x.dtype())) return ctx.fail(std::string("BitwiseNot needs an integer tensor, not ") + dtypeName(x.dtype()));
  Array out = Array::uninitialized(x.dtype(), x.shape());
  // Two's complement: complementing every byte complements the value, whatever its width.
  const auto* s = static_cast<const std::uint8_t*>(x.raw());
  auto* d = static_cast<std::uint8_t*>(out.raw());
  for (std::size_t i = 0; i < x.bytes(); ++i) d[i] = static_cast<std::uint8_t>(~s[i]);
  ctx.setOutput(0, out);
  return Status::ok();
}

// Swish-24: x * sigmoid(alpha * x).
Status swishK(Context& ctx) {
  const Array& x = ctx.input(0);
  double alpha = ctx.attrFloat("alpha", 1.0f);
  Array out = Array::uninitialized(x.dtype(), x.shape());
  GRAFT_DISPATCH_FLOAT(x.dtype(), {
    const T* a = x.data<T>();
    T* y = out.data<T>();
    for (std::int64_t i = 0; i < x.size(); ++i) {
      double v = static_cast<double>(a[i]);
      y[i] = static_cast<T>(v / (1.0 + std::exp(-alpha * v)));
    }
  })
  ctx.setOutput(0, out);
  return Status::ok();
}

// TensorScatter-24: writes `update` into a copy of the cache along `axis`, per batch row from
// write_indices[b] (0 by default), wrapping around the cache length in "circular" mode.
Status tensorScatterK(Context& ctx) {
  if (auto s = ctx.require(1, "update"); !s) return s;
  const Array &cache = ctx.input(0), &update = ctx.input(1);
  std::string mode = ctx.attrString("mode", "linear");
  if (mode != "linear" && mode != "circular") return ctx.fail("mode must be 'linear' or 'circular', not '" + mode + "'");
  std::int64_t axis = ctx.attrInt("axis", -2);
  if (!normalizeAxis(axis, static_cast<std::int64_t>(cache.rank())) || cache.rank() < 2 || axis == 0)
    return ctx.fail("axis " + std::to_string(ctx.attrInt("axis", -2)) + " does not name a sequence axis of " + formatArrayType(cache));
  auto ax = static_cast<std::size_t>(axis);
  if (update.dtype() != cache.dtype() || update.rank() != cache.rank())
    return ctx.fail("update " + formatArrayType(update) + " does not fit past_cache " + formatArrayType(cache));
  for (std::size_t d = 0; d < cache.rank(); ++d)
    if (d == ax ? update.dim(d) > cache.dim(d) : update.dim(d) != cache.dim(d))
      return ctx.fail("update " + formatArrayType(update) + " does not fit past_cache " + formatArrayType(cache));
  std::int64_t B = cache.dim(0), maxLen = cache.dim(ax), len = update.dim(ax);
  std::vector<std::int64_t> start(static_cast<std::size_t>(B), 0);
  if (ctx.hasInput(2)) {
    start = toInt64Vector(ctx.input(2));
    if (static_cast<std::int64_t>(start.size()) != B) return ctx.fail("write_indices must hold one index per batch row");
  }
  Array out = cache.clone();
  std::int64_t prefix = 1, inner = 1;
  for (std::size_t d = 1; d < ax; ++d) prefix *= cache.dim(d);
  for (std::size_t d = ax + 1; d < cache.rank(); ++d) inner *= cache.dim(d);
  std::size_t es = cache.elementSize(), rowBytes = static_cast<std::size_t>(inner) * es;
  const auto* u = static_cast<const std::uint8_t*>(update.raw());
  auto* o = static_cast<std::uint8_t*>(out.raw());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t p = 0; p < prefix; ++p)
      for (std::int64_t t = 0; t < len; ++t) {
        std::int64_t at = start[static_cast<std::size_t>(b)] + t;
        if (mode == "circular") at = ((at % maxLen) + maxLen) % maxLen;
        if (at < 0 || at >= maxLen)
          return ctx.fail("write index " + std::to_string(at) + " of batch row " + std::to_string(b) + " is past the cache length " +
                          std::to_string(maxLen));
        std::int64_t outer = b * prefix + p;
        std::memcpy(o + static_cast<std::size_t>((outer * maxLen + at) * inner) * es,
                    u + static_cast<std::size_t>((outer * len + t) * inner) * es, rowBytes);
      }
  ctx.setOutput(0, out);
  return Status::ok();
}

// BitCast-26: the same bytes seen as another type of the same width.
Status bitCastK(Context& ctx) {
  const Array& x = ctx.input(0);
  auto to = static_cast<std::int32_t>(ctx.attrInt("to", 0));
  if (x.dtype() == kString || to == kString || elementSizeOf(to) == 0)
    return ctx.fail(std::string("cannot bit-cast ") + dtypeName(x.dtype()) + " to " + dtypeName(to));
  if (elementTypeInfo(to).bits != elementTypeInfo(x.dtype()).bits)
    return ctx.fail(std::string("BitCast needs types of the same width: ") + dtypeName(x.dtype()) + " has " +
                    std::to_string(elementTypeInfo(x.dtype()).bits) + " bits, " + dtypeName(to) + " " +
                    std::to_string(elementTypeInfo(to).bits));
  Array out = x.clone().relabeled(to);
  // bool holds 0 or 1 only: any other byte reads as true.
  if (to == kBool)
    for (std::int64_t i = 0; i < out.size(); ++i) out.data<std::uint8_t>()[i] = out.data<std::uint8_t>()[i] != 0;
  ctx.setOutput(0, out);
  return Status::ok();
}

}  // namespace

void registerNewerKernels() {
  registerKernel("", "GroupNormalization", groupNormK, true);
  registerKernel("", "BitwiseNot", bitwiseNotK, true);
  registerKernel("", "Swish", swishK);
  registerKernel("", "TensorScatter", tensorScatterK, true);
  registerKernel("", "BitCast", bitCastK, true);
}

}  // namespace graft::eval
