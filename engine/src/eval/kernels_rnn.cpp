// Recurrent layers: RNN, GRU, LSTM (forward, reverse, bidirectional; layout 0 and 1;
// sequence_lens; custom activations), computed in float32 with Eigen GEMMs per step.
#include <algorithm>
#include <cmath>

#include "eval/kernel.h"
#include "eval/linalg.h"

namespace graft::eval {

namespace {

struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
  float operator()(float x) const {
    if (name == "Sigmoid") return 1.0f / (1.0f + std::exp(-x));
    if (name == "Tanh") return std::tanh(x);
    if (name == "Relu") return std::max(0.0f, x);
    if (name == "Affine") return alpha * x + beta;
    if (name == "LeakyRelu") return x >= 0 ? x : alpha * x;
    if (name == "ThresholdedRelu") return x > alpha ? x : 0.0f;
    if (name == "ScaledTanh") return alpha * std::tanh(beta * x);
    if (name == "HardSigmoid") return std::max(0.0f, std::min(1.0f, alpha * x + beta));
    if (name == "Elu") return x >= 0 ? x : alpha * (std::exp(x) - 1);
    if (name == "Softsign") return x / (1 + std::abs(x));
    if (name == "Softplus") return std::log1p(std::exp(x));
    return x;
  }
};

bool knownActivation(const std::string& n) {
  static const char* names[] = {"Sigmoid", "Tanh", "Relu", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh",
                                "HardSigmoid", "Elu", "Softsign", "Softplus"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* k) { return n == k; });
}

enum class Cell { Rnn, Gru, Lstm };

template <Cell cell>
Status recurrentK(Context& ctx) {
  if (auto s = ctx.require(2, "R"); !s) return s;
  const int gates = cell == Cell::Lstm ? 4 : (cell == Cell::Gru ? 3 : 1);
  auto toFloat = [&](std::size_t i) -> Result<Array> { return castArray(ctx.input(i), kFloat); };
  std::int32_t outType = ctx.input(0).dtype();
  auto xr = toFloat(0), wr = toFloat(1), rr = toFloat(2);
  if (!xr || !wr || !rr) return ctx.fail("X, W and R must be floating point");
  Array x = xr.value(), w = wr.value(), r = rr.value();
  bool batchFirst = ctx.attrInt("layout", 0) != 0;
  if (x.rank() != 3) return ctx.fail("X " + formatArrayType(x) + " must be 3-D");
  std::int64_t S = batchFirst ? x.dim(1) : x.dim(0), B = batchFirst ? x.dim(0) : x.dim(1), I = x.dim(2);
  std::string direction = ctx.attrString("direction", "forward");
  std::int64_t D = direction == "bidirectional" ? 2 : 1;
  std::int64_t H = ctx.attrInt("hidden_size", r.dim(2));
  if (w.rank() != 3 || w.dim(0) != D || w.dim(1) != gates * H || w.dim(2) != I)
    return ctx.fail("W " + formatArrayType(w) + " does not match X " + formatArrayType(x) + " with hidden_size " + std::to_string(H));
  if (r.rank() != 3 || r.dim(0) != D || r.dim(1) != gates * H || r.dim(2) != H)
    return ctx.fail("R " + formatArrayType(r) + " does not match hidden_size " + std::to_string(H));
  float clip = ctx.attrFloat("clip", 0.0f);
  bool linearBeforeReset = ctx.attrInt("linear_before_reset", 0) != 0;
  bool inputForget = ctx.attrInt("input_forget", 0) != 0;

  // Activations: per direction f, g, h (as many as the cell uses).
  int perDir = cell == Cell::Lstm ? 3 : (cell == Cell::Gru ? 2 : 1);
  auto names = ctx.attrStrings("activations");
  auto alphas = ctx.attrFloats("activation_alpha"), betas = ctx.attrFloats("activation_beta");
  std::vector<Activation> acts;
  for (std::int64_t d = 0; d < D; ++d)
    for (int k = 0; k < perDir; ++k) {
      Activation a;
      auto idx = static_cast<std::size_t>(d * perDir + k);
      if (idx < names.size()) {
        a.name = names[idx];
      } else {
        a.name = cell == Cell::Rnn ? "Tanh" : (k == 0 ? "Sigmoid" : "Tanh");
      }
      if (!knownActivation(a.name)) return ctx.unsupported("activation '" + a.name + "'");
      // Defaults as ONNX Runtime uses for the parameterised activations.
      a.alpha = idx < alphas.size() ? alphas[idx] : (a.name == "LeakyRelu" ? 0.01f : (a.name == "HardSigmoid" ? 0.2f : 1.0f));
      a.beta = idx < betas.size() ? betas[idx] : (a.name == "HardSigmoid" ? 0.5f : 0.0f);
      acts.push_back(a);
    }

  Array bias(kFloat, {D, 2 * gates * H});
  if (ctx.hasInput(3)) {
    auto b = castArray(ctx.input(3), kFloat);
    if (!b) return b.status();
    bias = b.value();
  }
  std::vector<std::int64_t> lens(static_cast<std::size_t>(B), S);
  if (ctx.hasInput(4))
    for (std::int64_t b = 0; b < B; ++b) lens[static_cast<std::size_t>(b)] = readIndex(ctx.input(4), b);
  Array h0(kFloat, {D, B, H}), c0(kFloat, {D, B, H}), peep(kFloat, {D, 3 * H});
  auto loadState = [&](std::size_t i, Array& dst) -> Status {
    if (!ctx.hasInput(i)) return Status::ok();
    auto a = castArray(ctx.input(i), kFloat);
    if (!a) return a.status();
    dst = a.value();
    if (batchFirst && dst.rank() == 3) {  // [B, D, H] -> [D, B, H]
      Array t = Array::uninitialized(kFloat, {D, B, H});
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t d = 0; d < D; ++d)
          std::copy_n(dst.data<float>() + (b * D + d) * H, H, t.data<float>() + (d * B + b) * H);
      dst = t;
    }
    return Status::ok();
  };
  if (auto s = loadState(5, h0); !s) return s;
  if (cell == Cell::Lstm) {
    if (auto s = loadState(6, c0); !s) return s;
    if (ctx.hasInput(7)) {
      auto p = castArray(ctx.input(7), kFloat);
      if (!p) return p.status();
      peep = p.value();
    }
  }
  // X as [S, B, I].
  Array xs = x;
  if (batchFirst) {
    xs = Array::uninitialized(kFloat, {S, B, I});
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t t = 0; t < S; ++t) std::copy_n(x.data<float>() + (b * S + t) * I, I, xs.data<float>() + (t * B + b) * I);
  }
  Array Y(kFloat, {S, D, B, H}), Yh(kFloat, {D, B, H}), Yc(kFloat, {D, B, H});
  std::vector<float> xw(static_cast<std::size_t>(S * B * gates * H)), hr(static_cast<std::size_t>(B * gates * H));
  std::vector<float> hPrev(static_cast<std::size_t>(B * H)), cPrev(static_cast<std::size_t>(B * H));
  std::vector<float> hNew(static_cast<std::size_t>(B * H)), cNew(static_cast<std::size_t>(B * H));
  std::vector<float> gruRhIn(static_cast<std::size_t>(B * H)), gruRh(static_cast<std::size_t>(B * H));
  auto clipv = [&](float v) { return clip > 0 ? std::clamp(v, -clip, clip) : v; };
  for (std::int64_t d = 0; d < D; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    const float* W = w.data<float>() + d * gates * H * I;
    const float* R = r.data<float>() + d * gates * H * H;
    const float* Wb = bias.data<float>() + d * 2 * gates * H;
    const float* Rb = Wb + gates * H;
    const float* P = peep.data<float>() + d * 3 * H;
    const Activation& f = acts[static_cast<std::size_t>(d * perDir)];
    const Activation& g = acts[static_cast<std::size_t>(d * perDir + (perDir > 1 ? 1 : 0))];
    const Activation& hA = acts[static_cast<std::size_t>(d * perDir + (perDir > 2 ? 2 : 0))];
    // All input projections at once: [S*B, I] x W^T -> [S*B, gates*H].
    gemm<float>(false, true, S * B, gates * H, I, xs.data<float>(), W, xw.data(), false, 1.0f);
    std::copy_n(h0.data<float>() + d * B * H, B * H, hPrev.begin());
    std::copy_n(c0.data<float>() + d * B * H, B * H, cPrev.begin());
    for (std::int64_t step = 0; step < S; ++step) {
      std::int64_t t = reverse ? S - 1 - step : step;
      gemm<float>(false, true, B, gates * H, H, hPrev.data(), R, hr.data(), false, 1.0f);
      if (cell == Cell::Gru && !linearBeforeReset) {
        // (r . h_prev) R_h^T for the whole batch: r needs this step's gates first.
        for (std::int64_t b = 0; b < B; ++b)
          for (std::int64_t j = 0; j < H; ++j) {
            const float* xg = xw.data() + (t * B + b) * gates * H;
            const float* hg = hr.data() + b * gates * H;
            auto bj = static_cast<std::size_t>(b * H + j);
            gruRhIn[bj] = f(clipv(xg[H + j] + hg[H + j] + Wb[H + j] + Rb[H + j])) * hPrev[bj];
          }
        gemm<float>(false, true, B, H, H, gruRhIn.data(), R + 2 * H * H, gruRh.data(), false, 1.0f);
      }
      for (std::int64_t b = 0; b < B; ++b) {
        bool active = t < lens[static_cast<std::size_t>(b)];
        const float* xg = xw.data() + (t * B + b) * gates * H;
        const float* hg = hr.data() + b * gates * H;
        for (std::int64_t j = 0; j < H; ++j) {
          auto bj = static_cast<std::size_t>(b * H + j);
          if (!active) {
            hNew[bj] = hPrev[bj];
            cNew[bj] = cPrev[bj];
            continue;
          }
          if constexpr (cell == Cell::Rnn) {
            hNew[bj] = f(clipv(xg[j] + hg[j] + Wb[j] + Rb[j]));
          } else if constexpr (cell == Cell::Gru) {
            float z = f(clipv(xg[j] + hg[j] + Wb[j] + Rb[j]));
            float rg = f(clipv(xg[H + j] + hg[H + j] + Wb[H + j] + Rb[H + j]));
            float hh;
            if (linearBeforeReset) {
              hh = g(clipv(xg[2 * H + j] + rg * (hg[2 * H + j] + Rb[2 * H + j]) + Wb[2 * H + j]));
            } else {
              float acc = gruRh[bj];
              hh = g(clipv(xg[2 * H + j] + acc + Rb[2 * H + j] + Wb[2 * H + j]));
            }
            hNew[bj] = (1 - z) * hh + z * hPrev[bj];
          } else {
            float i = f(clipv(xg[j] + hg[j] + Wb[j] + Rb[j] + P[j] * cPrev[bj]));
            float fg = f(clipv(xg[2 * H + j] + hg[2 * H + j] + Wb[2 * H + j] + Rb[2 * H + j] + P[2 * H + j] * cPrev[bj]));
            if (inputForget) fg = 1 - i;
            float c = g(clipv(xg[3 * H + j] + hg[3 * H + j] + Wb[3 * H + j] + Rb[3 * H + j]));
            float C = fg * cPrev[bj] + i * c;
            float o = f(clipv(xg[H + j] + hg[H + j] + Wb[H + j] + Rb[H + j] + P[H + j] * C));
            cNew[bj] = C;
            hNew[bj] = o * hA(C);
          }
        }
        float* y = Y.data<float>() + ((t * D + d) * B + b) * H;
        for (std::int64_t j = 0; j < H; ++j) y[j] = active ? hNew[static_cast<std::size_t>(b * H + j)] : 0.0f;
      }
      std::swap(hPrev, hNew);
      std::swap(cPrev, cNew);
    }
    std::copy(hPrev.begin(), hPrev.end(), Yh.data<float>() + d * B * H);
    std::copy(cPrev.begin(), cPrev.end(), Yc.data<float>() + d * B * H);
  }
  auto emit = [&](std::size_t idx, Array a) -> Status {
    if (!ctx.wantsOutput(idx)) return Status::ok();
    if (batchFirst) {
      if (a.rank() == 4) {  // [S, D, B, H] -> [B, S, D, H]
        Array t = Array::uninitialized(kFloat, {B, S, D, H});
        for (std::int64_t s = 0; s < S; ++s)
          for (std::int64_t d = 0; d < D; ++d)
            for (std::int64_t b = 0; b < B; ++b)
              std::copy_n(a.data<float>() + ((s * D + d) * B + b) * H, H, t.data<float>() + ((b * S + s) * D + d) * H);
        a = t;
      } else {  // [D, B, H] -> [B, D, H]
        Array t = Array::uninitialized(kFloat, {B, D, H});
        for (std::int64_t d = 0; d < D; ++d)
          for (std::int64_t b = 0; b < B; ++b) std::copy_n(a.data<float>() + (d * B + b) * H, H, t.data<float>() + (b * D + d) * H);
        a = t;
      }
    }
    auto c = castArray(a, outType);
    if (!c) return c.status();
    ctx.setOutput(idx, c.value());
    return Status::ok();
  };
  if (auto s = emit(0, Y); !s) return s;
  if (auto s = emit(1, Yh); !s) return s;
  if (cell == Cell::Lstm)
    if (auto s = emit(2, Yc); !s) return s;
  return Status::ok();
}

}  // namespace

void registerRnnKernels() {
  registerKernel("", "RNN", recurrentK<Cell::Rnn>);
  registerKernel("", "GRU", recurrentK<Cell::Gru>);
  registerKernel("", "LSTM", recurrentK<Cell::Lstm>);
}

}  // namespace graft::eval
