// ai.onnx Attention (23, 24) and RotaryEmbedding (23): the transformer blocks ONNX itself
// standardized (the com.microsoft ones live in kernels_contrib.cpp).
#include <cmath>
#include <limits>

#include "eval/kernel.h"
#include "eval/linalg.h"

namespace graft::eval {

namespace {

// [B, T, N * H] -> [B, N, T, H] (the 3-D layout of Attention and RotaryEmbedding).
Array splitHeads(const Array& x, std::int64_t N) {
  std::int64_t B = x.dim(0), T = x.dim(1), H = x.dim(2) / N;
  Array out = Array::uninitialized(kFloat, {B, N, T, H});
  const float* s = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t n = 0; n < N; ++n)
        std::copy(s + ((b * T + t) * N + n) * H, s + ((b * T + t) * N + n + 1) * H, o + ((b * N + n) * T + t) * H);
  return out;
}

// [B, N, T, H] -> [B, T, N * H].
Array mergeHeads(const Array& x) {
  std::int64_t B = x.dim(0), N = x.dim(1), T = x.dim(2), H = x.dim(3);
  Array out = Array::uninitialized(kFloat, {B, T, N * H});
  const float* s = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t t = 0; t < T; ++t)
        std::copy(s + ((b * N + n) * T + t) * H, s + ((b * N + n) * T + t + 1) * H, o + ((b * T + t) * N + n) * H);
  return out;
}

// [B, N, P, H] ++ [B, N, T, H] along the sequence.
Array appendSequence(const Array& past, const Array& cur) {
  std::int64_t B = cur.dim(0), N = cur.dim(1), T = cur.dim(2), H = cur.dim(3), P = past.valid() ? past.dim(2) : 0;
  Array out = Array::uninitialized(kFloat, {B, N, P + T, H});
  for (std::int64_t bn = 0; bn < B * N; ++bn) {
    float* o = out.data<float>() + bn * (P + T) * H;
    if (P) std::copy(past.data<float>() + bn * P * H, past.data<float>() + (bn + 1) * P * H, o);
    std::copy(cur.data<float>() + bn * T * H, cur.data<float>() + (bn + 1) * T * H, o + P * H);
  }
  return out;
}

Result<Array> asFloat(const Array& a) { return a.dtype() == kFloat ? Result<Array>(a) : castArray(a, kFloat); }

// Attention-23/24: softmax(Q K^T * scale + bias) V per head, with grouped KV heads, a bool or
// additive mask (padded to the total key length), causal masking aligned to the last query,
// a key/value cache, softcap, and the scores at a chosen stage as a 4th output.
Status onnxAttentionK(Context& ctx) {
  if (auto s = ctx.require(1, "K"); !s) return s;
  if (auto s = ctx.require(2, "V"); !s) return s;
  std::int32_t dtype = ctx.input(0).dtype();
  auto q0 = asFloat(ctx.input(0)), k0 = asFloat(ctx.input(1)), v0 = asFloat(ctx.input(2));
  if (!q0 || !k0 || !v0) return ctx.fail("Q, K and V must be float tensors");
  Array Q = q0.value(), K = k0.value(), V = v0.value();
  std::size_t rank = Q.rank();
  if ((rank != 3 && rank != 4) || K.rank() != rank || V.rank() != rank)
    return ctx.fail("Q, K and V must all be 3-D or all 4-D, not " + formatArrayType(Q) + ", " + formatArrayType(K) + ", " + formatArrayType(V));
  if (rank == 3) {
    std::int64_t qh = ctx.attrInt("q_num_heads", 0), kvh = ctx.attrInt("kv_num_heads", 0);
    if (qh <= 0 || kvh <= 0) return ctx.fail("3-D Q, K, V need the q_num_heads and kv_num_heads attributes");
    if (Q.dim(2) % qh || K.dim(2) % kvh || V.dim(2) % kvh)
      return ctx.fail("hidden sizes of Q, K, V must divide by q_num_heads / kv_num_heads");
    Q = splitHeads(Q, qh);
    K = splitHeads(K, kvh);
    V = splitHeads(V, kvh);
  }
  std::int64_t B = Q.dim(0), Nq = Q.dim(1), S = Q.dim(2), H = Q.dim(3), Nkv = K.dim(1), Hv = V.dim(3);
  if (K.dim(0) != B || V.dim(0) != B || V.dim(1) != Nkv || K.dim(3) != H || V.dim(2) != K.dim(2))
    return ctx.fail("K " + formatArrayType(K) + " and V " + formatArrayType(V) + " do not fit Q " + formatArrayType(Q));
  if (Nkv == 0 || Nq % Nkv) return ctx.fail("q_num_heads " + std::to_string(Nq) + " must be a multiple of kv_num_heads " + std::to_string(Nkv));
  Array pastK, pastV;
  if (ctx.hasInput(4) != ctx.hasInput(5)) return ctx.fail("past_key and past_value must be given together");
  if (ctx.hasInput(4)) {
    auto pk = asFloat(ctx.input(4)), pv = asFloat(ctx.input(5));
    if (!pk || !pv) return ctx.fail("past_key/past_value must be float tensors");
    pastK = pk.value();
    pastV = pv.value();
    if (pastK.rank() != 4 || pastK.dim(0) != B || pastK.dim(1) != Nkv || pastK.dim(3) != H || pastV.rank() != 4 ||
        pastV.dim(2) != pastK.dim(2) || pastV.dim(3) != Hv)
      return ctx.fail("past_key " + formatArrayType(pastK) + " / past_value " + formatArrayType(pastV) + " do not fit K and V");
  }
  std::int64_t P = pastK.valid() ? pastK.dim(2) : 0;
  Array presentK = appendSequence(pastK, K), presentV = appendSequence(pastV, V);
  std::int64_t L = presentK.dim(2);

  // Additive bias [B?, N?, S, L] from the mask (padded with "masked" up to L).
  Array maskF;
  std::vector<std::int64_t> maskStrides(4, 0);
  if (ctx.hasInput(3)) {
    const Array& m = ctx.input(3);
    if (m.rank() < 2 || m.rank() > 4 || m.dim(m.rank() - 1) > L)
      return ctx.fail("attn_mask " + formatArrayType(m) + " must be 2-D to 4-D with at most " + std::to_string(L) + " keys");
    std::vector<std::int64_t> shape = m.shape();
    std::int64_t ml = shape.back();
    shape.back() = L;
    maskF = Array::uninitialized(kFloat, shape);
    auto mv = arrayToDoubles(m);
    if (!mv) return mv.status();
    bool isBool = m.dtype() == kBool;
    float inf = std::numeric_limits<float>::infinity();
    std::int64_t rows = L ? maskF.size() / L : 0;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < L; ++j) {
        float v = -inf;
        if (j < ml) {
          double x = mv.value()[static_cast<std::size_t>(r * ml + j)];
          v = isBool ? (x != 0 ? 0.0f : -inf) : static_cast<float>(x);
        }
        maskF.data<float>()[r * L + j] = v;
      }
    std::vector<std::int64_t> full = {B, Nq, S, L};
    auto bs = broadcastShapes(shape, full);
    if (!bs || bs.value() != full) return ctx.fail("attn_mask " + formatArrayType(m) + " does not broadcast to " + formatShape(full));
    maskStrides = broadcastStrides(shape, full);
  }
  std::vector<std::int64_t> nonpad;
  if (ctx.hasInput(6)) {
    nonpad = toInt64Vector(ctx.input(6));
    if (static_cast<std::int64_t>(nonpad.size()) != B) return ctx.fail("nonpad_kv_seqlen must hold one length per batch");
  }
  bool causal = ctx.attrInt("is_causal", 0) != 0;
  float scale = ctx.hasAttr("scale") ? ctx.attrFloat("scale", 1) : 1.0f / std::sqrt(static_cast<float>(H));
  float softcap = ctx.attrFloat("softcap", 0);
  std::int64_t mode = ctx.attrInt("qk_matmul_output_mode", 0);
  // Opset 23 capped the scores after adding the bias; 24 caps first, so -inf stays masked.
  bool capFirst = ctx.opset() >= 24;
  bool wantQk = ctx.wantsOutput(3);

  Array Y = Array::uninitialized(kFloat, {B, Nq, S, Hv});
  Array QK;
  if (wantQk) QK = Array::uninitialized(kFloat, {B, Nq, S, L});
  std::int64_t group = Nq / Nkv;
  parallelFor(B * Nq, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> scores(static_cast<std::size_t>(S * L));
    for (std::int64_t bn = begin; bn < end; ++bn) {
      std::int64_t b = bn / Nq, n = bn % Nq, kvn = b * Nkv + n / group;
      const float* q = Q.data<float>() + bn * S * H;
      const float* k = presentK.data<float>() + kvn * L * H;
      const float* v = presentV.data<float>() + kvn * L * Hv;
      gemm<float>(false, true, S, L, H, q, k, scores.data(), false, scale);
      float* qk = wantQk ? QK.data<float>() + bn * S * L : nullptr;
      auto cap = [&](float* row) {
        if (softcap > 0)
          for (std::int64_t j = 0; j < L; ++j) row[j] = softcap * std::tanh(row[j] / softcap);
      };
      std::int64_t offset = P;
      if (!pastK.valid() && !nonpad.empty()) offset = nonpad[static_cast<std::size_t>(b)] - S;
      for (std::int64_t i = 0; i < S; ++i) {
        float* row = scores.data() + i * L;
        if (capFirst) cap(row);
        if (qk && (mode == 0 || (mode == 1 && capFirst))) std::copy(row, row + L, qk + i * L);
        for (std::int64_t j = 0; j < L; ++j) {
          float add = 0;
          if (maskF.valid())
            add += maskF.data<float>()[b * maskStrides[0] + n * maskStrides[1] + i * maskStrides[2] + j * maskStrides[3]];
          if (causal && j > i + offset) add = -std::numeric_limits<float>::infinity();
          if (!nonpad.empty() && j >= nonpad[static_cast<std::size_t>(b)]) add = -std::numeric_limits<float>::infinity();
          row[j] += add;
        }
        if (qk && ((mode == 1 && !capFirst) || (mode == 2 && capFirst))) std::copy(row, row + L, qk + i * L);
        if (!capFirst) cap(row);
        if (qk && mode == 2 && !capFirst) std::copy(row, row + L, qk + i * L);
        // Softmax; a row with every key masked has no distribution (NaN, as the reference).
        float mx = -std::numeric_limits<float>::infinity();
        for (std::int64_t j = 0; j < L; ++j) mx = std::max(mx, row[j]);
        double sum = 0;
        for (std::int64_t j = 0; j < L; ++j) sum += (row[j] = std::exp(row[j] - mx));
        for (std::int64_t j = 0; j < L; ++j) row[j] = static_cast<float>(row[j] / sum);
        if (qk && mode == 3) std::copy(row, row + L, qk + i * L);
      }
      gemm<float>(false, false, S, Hv, L, scores.data(), v, Y.data<float>() + bn * S * Hv, false, 1.0f);
    }
  });
  Array out = rank == 3 ? mergeHeads(Y) : Y;
  auto setAs = [&](std::size_t i, const Array& a) -> Status {
    if (!ctx.wantsOutput(i)) return Status::ok();
    auto c = castArray(a, dtype);
    if (!c) return c.status();
    ctx.setOutput(i, c.value());
    return Status::ok();
  };
  if (auto s = setAs(0, out); !s) return s;
  if (auto s = setAs(1, presentK); !s) return s;
  if (auto s = setAs(2, presentV); !s) return s;
  if (wantQk)
    if (auto s = setAs(3, QK); !s) return s;
  return Status::ok();
}

// RotaryEmbedding-23: rotates the first rotary_embedding_dim values of every head by the
// position's angle; pairs are (i, i + half) or, interleaved, (2i, 2i + 1). X is [B, N, S, H]
// or [B, S, N * H]; cos/sin are [B, S, half] or, with position_ids [B, S], [max_pos, half].
Status rotaryEmbeddingK(Context& ctx) {
  if (auto s = ctx.require(1, "cos_cache"); !s) return s;
  if (auto s = ctx.require(2, "sin_cache"); !s) return s;
  std::int32_t dtype = ctx.input(0).dtype();
  auto x0 = asFloat(ctx.input(0)), c0 = asFloat(ctx.input(1)), s0 = asFloat(ctx.input(2));
  if (!x0 || !c0 || !s0) return ctx.fail("X, cos_cache and sin_cache must be float tensors");
  const Array& X = x0.value();
  const Array &cosC = c0.value(), &sinC = s0.value();
  std::int64_t B, N, S, H;
  bool threeD = X.rank() == 3;
  if (threeD) {
    N = ctx.attrInt("num_heads", 0);
    if (N <= 0 || X.dim(2) % N) return ctx.fail("3-D input " + formatArrayType(X) + " needs num_heads dividing its hidden size");
    B = X.dim(0), S = X.dim(1), H = X.dim(2) / N;
  } else if (X.rank() == 4) {
    B = X.dim(0), N = X.dim(1), S = X.dim(2), H = X.dim(3);
  } else {
    return ctx.fail("X must be 3-D or 4-D, not " + formatArrayType(X));
  }
  std::int64_t R = ctx.attrInt("rotary_embedding_dim", 0);
  if (R == 0) R = H;
  if (R > H || R % 2) return ctx.fail("rotary_embedding_dim " + std::to_string(R) + " must be even and at most the head size " + std::to_string(H));
  std::int64_t half = R / 2;
  bool interleaved = ctx.attrInt("interleaved", 0) != 0;
  // The caches' last dim holds at least rotary_embedding_dim / 2 angles (the first ones are used).
  std::vector<std::int64_t> pos;
  std::int64_t width = cosC.rank() ? cosC.dim(cosC.rank() - 1) : 0;
  if (ctx.hasInput(3)) {
    pos = toInt64Vector(ctx.input(3));
    if (static_cast<std::int64_t>(pos.size()) != B * S) return ctx.fail("position_ids must be [batch, sequence]");
    if (cosC.rank() != 2 || width < half || sinC.shape() != cosC.shape())
      return ctx.fail("cos_cache/sin_cache must be [max_position, " + std::to_string(half) + "]");
    for (auto p : pos)
      if (p < 0 || p >= cosC.dim(0)) return ctx.fail("position id " + std::to_string(p) + " is outside the cache");
  } else if (cosC.rank() != 3 || cosC.dim(0) != B || cosC.dim(1) != S || width < half || sinC.shape() != cosC.shape()) {
    return ctx.fail("without position_ids, cos_cache/sin_cache must be [" + std::to_string(B) + ", " + std::to_string(S) + ", " +
                    std::to_string(half) + "]");
  }
  Array Y = X.clone();
  const float* x = X.data<float>();
  float* y = Y.data<float>();
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t s = 0; s < S; ++s) {
      std::int64_t row = pos.empty() ? b * S + s : pos[static_cast<std::size_t>(b * S + s)];
      const float* c = cosC.data<float>() + row * width;
      const float* sn = sinC.data<float>() + row * width;
      for (std::int64_t n = 0; n < N; ++n) {
        std::int64_t base = threeD ? (b * S + s) * N * H + n * H : ((b * N + n) * S + s) * H;
        for (std::int64_t i = 0; i < half; ++i) {
          std::int64_t i1 = interleaved ? 2 * i : i, i2 = interleaved ? 2 * i + 1 : i + half;
          float x1 = x[base + i1], x2 = x[base + i2];
          y[base + i1] = c[i] * x1 - sn[i] * x2;
          y[base + i2] = sn[i] * x1 + c[i] * x2;
        }
      }
    }
  auto out = castArray(Y, dtype);
  if (!out) return out.status();
  ctx.setOutput(0, out.value());
  return Status::ok();
}

}  // namespace

void registerAttentionKernels() {
  registerKernel("", "Attention", onnxAttentionK);
  registerKernel("", "RotaryEmbedding", rotaryEmbeddingK);
}

}  // namespace graft::eval
