// com.microsoft.DynamicQuantizeMatMul: A quantized to uint8 at run time exactly as
// DynamicQuantizeLinear does, times int8/uint8 B with per-tensor or per-column scale and zero
// point, plus an optional bias; what quant's dynamic mode writes for ONNX Runtime's CPU provider.
#include <algorithm>
#include <cmath>

#include "eval/kernel.h"
#include "eval/linalg.h"
#include "eval/onednn_matmul.h"

namespace graft::eval {

namespace {

Status dynamicQuantizeMatMulK(Context& ctx) {
  if (auto s = ctx.require(2, "b_scale"); !s) return s;
  auto a = castArray(ctx.input(0), kFloat);
  if (!a) return a.status();
  const Array& A = a.value();
  const Array& B = ctx.input(1);
  if (B.rank() != 2 || (B.dtype() != kInt8 && B.dtype() != kUInt8)) return ctx.fail("B must be a 2-D int8 or uint8 tensor, not " + formatArrayType(B));
  std::int64_t K = B.dim(0), N = B.dim(1);
  if (A.rank() < 1 || A.dim(A.rank() - 1) != K) return ctx.fail("A " + formatArrayType(A) + " must have K=" + std::to_string(K) + " columns");
  auto bs = arrayToDoubles(ctx.input(2));
  if (!bs) return bs.status();
  std::vector<double> bz(1, 0.0);
  if (ctx.hasInput(3)) {
    auto z = arrayToDoubles(ctx.input(3));
    if (!z) return z.status();
    bz = z.value();
  }
  auto perColumn = [&](const std::vector<double>& v, std::int64_t n) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(n)]; };
  if ((bs.value().size() != 1 && static_cast<std::int64_t>(bs.value().size()) != N) || (bz.size() != 1 && static_cast<std::int64_t>(bz.size()) != N))
    return ctx.fail("b_scale and b_zero_point must be scalars or have N=" + std::to_string(N) + " values");
  // A in bytes, exactly as DynamicQuantizeLinear makes them.
  const float* pa = A.data<float>();
  // Rows from A's shape, not A.size() / K: K may be 0 (an empty sum: the bias alone).
  const std::int64_t total = A.size(), M = shapeSize(std::vector<std::int64_t>(A.shape().begin(), A.shape().end() - 1));
  const DynamicQuantization q = dynamicQuantization(pa, total);
  const float scale = q.scale, zp = q.zero;
  Array Aq = Array::uninitialized(kUInt8, {M, K});
  dynamicQuantize(pa, Aq.data<std::uint8_t>(), total, q);
  Array zeroA(kUInt8, {});
  zeroA.data<std::uint8_t>()[0] = static_cast<std::uint8_t>(zp);
  std::vector<std::int64_t> shape = A.shape();
  shape.back() = N;
  Array Y = Array::uninitialized(kFloat, shape);
  std::vector<float> bias;
  if (ctx.hasInput(4)) {
    auto b = arrayToDoubles(ctx.input(4));
    if (!b) return b.status();
    if (static_cast<std::int64_t>(b.value().size()) != N) return ctx.fail("bias must have N=" + std::to_string(N) + " values");
    for (double v : b.value()) bias.push_back(static_cast<float>(v));
  }
  std::vector<float> columnScale(static_cast<std::size_t>(N));
  for (std::int64_t n = 0; n < N; ++n) columnScale[static_cast<std::size_t>(n)] = scale * static_cast<float>(perColumn(bs.value(), n));
  // The exact int32 sums: the kernel library's int8 product for a symmetric int8 constant B,
  // finished in float slice by slice; or the int16 GEMM (uint8 B, zero points, or B computed at
  // run time), then the same finish.
  const Array* bZero = ctx.hasInput(3) ? &ctx.input(3) : nullptr;
  if (int8ProductApplies(Aq, &zeroA, B, bZero, ctx.inputIsConstant(1)) &&
      onednnInt8MatmulConstantBToFloat(M, N, K, Aq.raw(), false, static_cast<std::int32_t>(zp), B.data<std::int8_t>(), columnScale.data(),
                                       bias.empty() ? nullptr : bias.data(), Y.data<float>())) {
    ctx.setOutput(0, Y);
    return Status::ok();
  }
  auto ac = centeredInt16(Aq, &zeroA, -2);
  if (!ac) return ctx.fail(ac.message());
  auto bc = centeredInt16(B, bZero, -1);
  if (!bc) return ctx.fail("b_zero_point: " + bc.message());
  auto acc = integerMatmul(ac.value(), bc.value());
  if (!acc) return ctx.fail(acc.message());
  float* py = Y.data<float>();
  const std::int32_t* pacc = acc.value().data<std::int32_t>();
  parallelFor(M, std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(1, N)), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t i = r0; i < r1; ++i)
      for (std::int64_t n = 0; n < N; ++n)
        py[i * N + n] = static_cast<float>(pacc[i * N + n]) * columnScale[static_cast<std::size_t>(n)] + (bias.empty() ? 0.0f : bias[static_cast<std::size_t>(n)]);
  });
  ctx.setOutput(0, Y);
  return Status::ok();
}

}  // namespace

void registerQuantDynamicKernels() { registerKernel("com.microsoft", "DynamicQuantizeMatMul", dynamicQuantizeMatMulK); }

}  // namespace graft::eval
