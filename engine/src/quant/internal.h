// Inside the quant concept: the weight quantizers shared by the rewrite and the tests' references.
#pragma once

#include <string>
#include <vector>

#include "graft/quant.h"

namespace graft::quant {

// w is [K, N] row-major.
Result<BlockedWeight> quantizeGptq(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                   bool symmetric, const std::vector<double>& gram, std::int64_t rows);
Result<BlockedWeight> quantizeAwq(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                  bool symmetric, const std::vector<double>& meanAbs, const std::vector<double>& gram, std::int64_t rows,
                                  std::vector<float>& inputScale);

// A node name not used in the graph yet (ONNX Runtime refuses two nodes of the same name).
inline std::string freshNodeName(const Graph& g, const std::string& base) {
  if (!g.findNodeByName(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!g.findNodeByName(n)) return n;
  }
}

// Moves a model to opset 21 (blocked DequantizeLinear, 4-bit types) where that is exact.
Status ensureOpset21(Model& model);

}  // namespace graft::quant
