// Prepare-time fusion: chains of nodes an exporter writes out op by op (LayerNorm as
// ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div-Mul-Add, erf GELU, a MatMul with its bias, the scaled
// and masked Softmax of attention; GELU also in its tanh form) found when the runner plans a graph and evaluated as one kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graft/eval.h"
#include "graft/ir.h"
#include "graft/result.h"

namespace graft::eval {

struct FusedChain {
  enum class Kind { LayerNorm, Gelu, MatMulBias, MatMulBiasGelu, Softmax };
  Kind kind = Kind::Gelu;
  // Members in topological order; only the last one's output (the chain's) is seen outside:
  // every other member output has all its uses inside the chain and is no graph output.
  std::vector<const Node*> nodes;
  // What the kernel reads, by role (see fusion.cpp); nullptr for an absent optional one.
  std::vector<const Value*> inputs;
  const Value* output = nullptr;
  // LayerNorm: epsilon and the reduced axis as written; GELU: the constant x is divided by
  // (multiplied with when geluMultiplies) before erf, and whether 0.5 multiplies x first;
  // Softmax: a scalar input divides (or multiplies) the scores, then a mask is added or selected.
  double epsilon = 0;
  std::int64_t axis = -1;
  float geluConstant = 0;
  bool geluMultiplies = false, geluHalfFirst = false;
  // The tanh form: 0.5 * x * (1 + tanh(geluConstant * (x + 0.044715 * x^3))), x^3 as x * (x * x).
  bool geluTanh = false;
  float geluCubic = 0;
  bool scaleDivides = true, hasScale = false, maskByWhere = false, whereFillIsX = true;
  const char* name() const;
};

// A scalar constant behind a value (an initializer, or a Constant node's output), if it is one.
using ScalarOf = std::function<std::optional<double>(const Value*)>;
// The chains of `order` (a graph's topological order), none sharing a node; opset is the
// default domain's (Softmax's default axis).
std::vector<FusedChain> findFusedChains(const std::vector<Node*>& order, const ScalarOf& scalarOf, std::int64_t opset);

// Evaluates a chain on its inputs (by role, as in FusedChain::inputs; `constant[i]` says input i
// is one of the evaluator's constants). False when these arrays do not fit the fused kernel
// (shapes, types, no library); the runner then runs the member nodes one by one instead.
Result<bool> runFusedChain(const FusedChain& chain, const std::vector<Array>& inputs, const std::vector<bool>& constant,
                           Array& out);

}  // namespace graft::eval
