// Hash helpers shared by the diff sources: 64-bit mixing, and the pieces a node's local hash is
// built from, so the report can tell which part of a node changed.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "graft/ir.h"

namespace graft::diffdetail {

// MurmurHash3's finalizer: every input bit reaches every output bit.
inline std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  return fmix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 12) + (h >> 4)));
}

inline std::uint64_t strHash(std::string_view s) { return std::hash<std::string_view>{}(s); }

std::uint64_t hashBytes(std::string_view bytes);
std::uint64_t attributeHash(const onnx::AttributeProto& attribute);
std::uint64_t localHash(const Node& node);
std::uint64_t weightShapeHash(const Tensor& tensor);

}  // namespace graft::diffdetail
