// Blocked weight quantization of a [K, N] matrix along K: round-to-nearest (symmetric or
// asymmetric) and GPTQ, which quantizes one input channel at a time and spreads each rounding
// error over the channels not yet quantized, weighted by the inverse Hessian X^T X of the calibration inputs.
#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "quant/internal.h"

namespace graft::quant {

namespace {

struct BlockParams {
  float scale = 1;
  int zero = 0;
};

// The MLAS convention: asymmetric ranges always contain 0 (so the zero point is representable);
// symmetric ones use absmax / (2^(bits-1) - 1) around the default zero point.
BlockParams blockParams(const double* values, std::int64_t count, std::int64_t stride, int bits, bool symmetric) {
  int qmax = (1 << bits) - 1;
  BlockParams p;
  if (symmetric) {
    double amax = 0;
    for (std::int64_t i = 0; i < count; ++i) amax = std::max(amax, std::abs(values[i * stride]));
    p.zero = 1 << (bits - 1);
    p.scale = amax > 0 ? static_cast<float>(amax / ((1 << (bits - 1)) - 1)) : 1.0f;
    return p;
  }
  double lo = 0, hi = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, values[i * stride]);
    hi = std::max(hi, values[i * stride]);
  }
  if (hi - lo <= 0) {
    p.scale = 1;
    p.zero = 0;
    return p;
  }
  p.scale = static_cast<float>((hi - lo) / qmax);
  p.zero = std::clamp(static_cast<int>(std::nearbyint(-lo / static_cast<double>(p.scale))), 0, qmax);
  return p;
}

}  // namespace

BlockedWeight quantizeRtn(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize, bool symmetric) {
  BlockedWeight out;
  out.K = K;
  out.N = N;
  out.bits = bits;
  out.blockSize = blockSize;
  std::int64_t nb = out.blocks();
  int qmax = (1 << bits) - 1;
  out.q.resize(static_cast<std::size_t>(N * K));
  out.scales.resize(static_cast<std::size_t>(N * nb));
  if (!symmetric) out.zeros.resize(static_cast<std::size_t>(N * nb));
  std::vector<double> col(static_cast<std::size_t>(K));
  for (std::int64_t n = 0; n < N; ++n) {
    for (std::int64_t k = 0; k < K; ++k) col[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k * N + n)];
    for (std::int64_t b = 0; b < nb; ++b) {
      std::int64_t k0 = b * blockSize, k1 = std::min(K, k0 + blockSize);
      BlockParams p = blockParams(col.data() + k0, k1 - k0, 1, bits, symmetric);
      out.scales[static_cast<std::size_t>(n * nb + b)] = p.scale;
      if (!symmetric) out.zeros[static_cast<std::size_t>(n * nb + b)] = static_cast<std::uint8_t>(p.zero);
      for (std::int64_t k = k0; k < k1; ++k)
        out.q[static_cast<std::size_t>(n * K + k)] =
            static_cast<std::uint8_t>(quantizeValue(static_cast<float>(col[static_cast<std::size_t>(k)]), p.scale, p.zero, 0, qmax));
    }
  }
  return out;
}

Result<BlockedWeight> quantizeGptq(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                   bool symmetric, const std::vector<double>& gram, std::int64_t rows) {
  if (static_cast<std::int64_t>(gram.size()) != K * K || rows <= 0)
    return Status(ErrorCode::InvalidArgument, "GPTQ needs the calibration inputs of this MatMul (no Hessian was collected)");
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Mat H = Eigen::Map<const Mat>(gram.data(), K, K) * (2.0 / static_cast<double>(rows));
  Mat W(N, K);  // one row per output column, as GPTQ's papers write it
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t n = 0; n < N; ++n) W(n, k) = w[static_cast<std::size_t>(k * N + n)];
  for (std::int64_t k = 0; k < K; ++k)
    if (H(k, k) == 0) {  // an input channel calibration never saw: nothing to protect
      H(k, k) = 1;
      W.col(k).setZero();
    }
  double damp = 0.01 * H.diagonal().mean();
  H.diagonal().array() += damp;
  // U: the upper Cholesky factor of H^-1; row i holds how the error of channel i spreads to later ones.
  Eigen::LLT<Mat> llt(H);
  if (llt.info() != Eigen::Success) return Status(ErrorCode::Internal, "GPTQ: the Hessian is not positive definite");
  Mat Hinv = llt.solve(Mat::Identity(K, K));
  Eigen::LLT<Mat> llt2(Hinv);
  if (llt2.info() != Eigen::Success) return Status(ErrorCode::Internal, "GPTQ: the inverse Hessian is not positive definite");
  Mat U = llt2.matrixU();

  BlockedWeight out;
  out.K = K;
  out.N = N;
  out.bits = bits;
  out.blockSize = blockSize;
  std::int64_t nb = out.blocks();
  int qmax = (1 << bits) - 1;
  out.q.resize(static_cast<std::size_t>(N * K));
  out.scales.resize(static_cast<std::size_t>(N * nb));
  if (!symmetric) out.zeros.resize(static_cast<std::size_t>(N * nb));
  std::vector<BlockParams> params(static_cast<std::size_t>(N));
  Eigen::VectorXd err(N);
  for (std::int64_t k = 0; k < K; ++k) {
    if (k % blockSize == 0) {
      // Block parameters from the weights as updated so far (the group's own channels).
      std::int64_t b = k / blockSize, k1 = std::min(K, k + blockSize);
      for (std::int64_t n = 0; n < N; ++n) {
        params[static_cast<std::size_t>(n)] = blockParams(&W(n, k), k1 - k, 1, bits, symmetric);
        out.scales[static_cast<std::size_t>(n * nb + b)] = params[static_cast<std::size_t>(n)].scale;
        if (!symmetric) out.zeros[static_cast<std::size_t>(n * nb + b)] = static_cast<std::uint8_t>(params[static_cast<std::size_t>(n)].zero);
      }
    }
    double d = U(k, k);
    for (std::int64_t n = 0; n < N; ++n) {
      const BlockParams& p = params[static_cast<std::size_t>(n)];
      int q = quantizeValue(static_cast<float>(W(n, k)), p.scale, p.zero, 0, qmax);
      out.q[static_cast<std::size_t>(n * K + k)] = static_cast<std::uint8_t>(q);
      double deq = static_cast<double>(q - p.zero) * p.scale;
      err(n) = (W(n, k) - deq) / d;
    }
    if (k + 1 < K) W.rightCols(K - k - 1).noalias() -= err * U.row(k).tail(K - k - 1);
  }
  return out;
}

Result<BlockedWeight> quantizeAwq(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                  bool symmetric, const std::vector<double>& meanAbs, const std::vector<double>& gram, std::int64_t rows,
                                  std::vector<float>& inputScale) {
  // AWQ: scale input channel k by s_k = mean|x_k|^alpha before rounding (salient channels get finer
  // steps), fold 1/s_k back into the dequantized weights; alpha is searched on the calibration
  // Gram matrix (output error = trace((W - Wq)^T X^T X (W - Wq))). The scaled weights are what
  // the encodings store, so the caller must multiply the MatMul's input by 1/s (inputScale).
  if (static_cast<std::int64_t>(meanAbs.size()) != K || static_cast<std::int64_t>(gram.size()) != K * K)
    return Status(ErrorCode::InvalidArgument, "AWQ needs the calibration inputs of this MatMul");
  double best = std::numeric_limits<double>::infinity();
  BlockedWeight bestW;
  std::vector<float> bestS;
  for (int step = 0; step <= 10; ++step) {
    double alpha = step / 10.0;
    std::vector<float> s(static_cast<std::size_t>(K));
    double meanS = 0;
    for (std::int64_t k = 0; k < K; ++k) {
      s[static_cast<std::size_t>(k)] = static_cast<float>(std::pow(std::max(meanAbs[static_cast<std::size_t>(k)] / static_cast<double>(rows), 1e-8), alpha));
      meanS += std::log(s[static_cast<std::size_t>(k)]);
    }
    meanS = std::exp(meanS / static_cast<double>(K));
    for (auto& v : s) v = static_cast<float>(v / meanS);
    std::vector<float> ws(w.size());
    for (std::int64_t k = 0; k < K; ++k)
      for (std::int64_t n = 0; n < N; ++n) ws[static_cast<std::size_t>(k * N + n)] = w[static_cast<std::size_t>(k * N + n)] * s[static_cast<std::size_t>(k)];
    BlockedWeight q = quantizeRtn(ws, K, N, bits, blockSize, symmetric);
    std::vector<float> deq = q.dequantized();
    // error per column: e^T G e with e_k = w_k - deq_k / s_k
    double total = 0;
    std::vector<double> e(static_cast<std::size_t>(K));
    for (std::int64_t n = 0; n < N; ++n) {
      for (std::int64_t k = 0; k < K; ++k)
        e[static_cast<std::size_t>(k)] = w[static_cast<std::size_t>(k * N + n)] - deq[static_cast<std::size_t>(k * N + n)] / s[static_cast<std::size_t>(k)];
      for (std::int64_t i = 0; i < K; ++i) {
        double gi = 0;
        const double* row = gram.data() + i * K;
        for (std::int64_t j = 0; j < K; ++j) gi += row[j] * e[static_cast<std::size_t>(j)];
        total += e[static_cast<std::size_t>(i)] * gi;
      }
    }
    if (total < best) {
      best = total;
      bestW = std::move(q);
      bestS = s;
    }
  }
  inputScale.resize(static_cast<std::size_t>(K));
  for (std::int64_t k = 0; k < K; ++k) inputScale[static_cast<std::size_t>(k)] = 1.0f / bestS[static_cast<std::size_t>(k)];
  return bestW;
}

}  // namespace graft::quant
