// com.microsoft.DynamicQuantizeMatMul: A quantized to uint8 at run time exactly as
// DynamicQuantizeLinear does, times int8/uint8 B with per-tensor or per-column scale and zero
// point, plus an optional bias; what quant's dynamic mode writes for ONNX Runtime's CPU provider.
#include <algorithm>
#include <cmath>

#include "eval/kernel.h"
#include "eval/linalg.h"

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
  // DynamicQuantizeLinear's parameters, computed in float32 as the spec does.
  const float* pa = A.data<float>();
  float lo = 0, hi = 0;
  for (std::int64_t i = 0; i < A.size(); ++i) {
    lo = std::min(lo, pa[i]);
    hi = std::max(hi, pa[i]);
  }
  float scale = (hi - lo) / 255.0f;
  float zp = scale == 0 ? 0.0f : std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f);
  float div = scale == 0 ? 1.0f : scale;
  std::int64_t M = A.size() / K;
  // The integer products summed in double: exact, as MatMulInteger's int32 accumulation is.
  Array Aq = Array::uninitialized(kDouble, {M, K});
  for (std::int64_t i = 0; i < A.size(); ++i)
    Aq.data<double>()[i] = static_cast<double>(std::clamp(std::nearbyint(pa[i] / div) + zp, 0.0f, 255.0f) - zp);
  Array Bc = Array::uninitialized(kDouble, {K, N});
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t n = 0; n < N; ++n) {
      double q = B.dtype() == kInt8 ? B.data<std::int8_t>()[k * N + n] : B.data<std::uint8_t>()[k * N + n];
      Bc.data<double>()[k * N + n] = q - perColumn(bz, n);
    }
  std::vector<std::int64_t> shape = A.shape();
  shape.back() = N;
  Array acc = Array::uninitialized(kDouble, {M, N});
  gemm<double>(false, false, M, N, K, Aq.data<double>(), Bc.data<double>(), acc.data<double>(), false, 1.0);
  Array Y = Array::uninitialized(kFloat, shape);
  std::vector<double> bias;
  if (ctx.hasInput(4)) {
    auto b = arrayToDoubles(ctx.input(4));
    if (!b) return b.status();
    bias = b.value();
    if (static_cast<std::int64_t>(bias.size()) != N) return ctx.fail("bias must have N=" + std::to_string(N) + " values");
  }
  float* py = Y.data<float>();
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t n = 0; n < N; ++n) {
      float s = scale * static_cast<float>(perColumn(bs.value(), n));
      py[i * N + n] = static_cast<float>(acc.data<double>()[i * N + n]) * s + (bias.empty() ? 0.0f : static_cast<float>(bias[static_cast<std::size_t>(n)]));
    }
  ctx.setOutput(0, Y);
  return Status::ok();
}

}  // namespace

void registerQuantDynamicKernels() { registerKernel("com.microsoft", "DynamicQuantizeMatMul", dynamicQuantizeMatMulK); }

}  // namespace graft::eval
