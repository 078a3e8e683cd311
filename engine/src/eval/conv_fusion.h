// Conv fusion: a Conv whose output only feeds an Add of a residual and/or a Relu or Clip hands that
// work to the Conv kernel as an Epilogue, so the activation is written once instead of two or three times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "graft/eval.h"
#include "graft/ir.h"

namespace graft::eval {

// What a Conv applies to its float output after the bias, in this order: y += residual (same
// shape as y), then the activation. Relu is `y > 0 ? y : 0` and Clip `y < lo ? lo : (y > hi ? hi : y)`,
// the formulas of the Relu and Clip kernels, so a fused run gives the unfused run's bits.
struct Epilogue {
  enum class Activation { None, Relu, Clip };
  const Array* residual = nullptr;
  Activation activation = Activation::None;
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
};

// y[i] = activation(y[i] + residual[i]) for i in [0, n); residual may be null (then no sum).
void applyEpilogue(const Epilogue& e, float* y, const float* residual, std::int64_t n);
// The standalone activations at memory speed (AVX-512/AVX2 clones); y may be x.
void reluFloat(const float* x, float* y, std::int64_t n);
void clipFloat(const float* x, float* y, std::int64_t n, float lo, float hi);

// A Conv at plan position `conv` whose output goes on to an Add (position `add`, the residual is
// its input `residualInput`) and/or a Relu/Clip (position `activation`); npos where absent.
struct ConvFusion {
  static constexpr std::size_t npos = ~std::size_t(0);
  std::size_t add = npos, activation = npos;
  int residualInput = -1;
  bool any() const { return add != npos || activation != npos; }
  std::size_t last() const { return activation != npos ? activation : add; }
};

// For each position of `order` (a graph's nodes in the order they run), the nodes its Conv can
// take over: each intermediate value has that one reader, is no graph output, and the residual
// is computed before the Conv runs. Empty entries elsewhere.
std::vector<ConvFusion> planConvFusions(const std::vector<Node*>& order);

// The Epilogue of a planned fusion with the Clip bounds and residual as this run has them (found
// through `lookup`); false when this run cannot fuse (a bound or the residual not yet computed, or
// not float32).
bool makeEpilogue(const ConvFusion& f, const std::vector<Node*>& order, const std::function<const Array*(const Value*)>& lookup,
                  std::int64_t clipOpset, Epilogue& out);

}  // namespace graft::eval
