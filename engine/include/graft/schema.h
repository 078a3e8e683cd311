// Operator schemas past what the bundled onnx library (1.12: ai.onnx up to opset 17, IR 8) knows:
// Graft registers its own schemas for opsets 18–26 and the newer element types into onnx's registry.
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <string>
#include <vector>

namespace graft::schema {

// Highest ai.onnx opset and IR version Graft checks, infers and documents (ONNX Runtime 1.30's).
inline constexpr int kMaxOnnxOpset = 26;
inline constexpr int kMaxIrVersion = 13;
// What the onnx library defines on its own; schemas above it are Graft's.
inline constexpr int kLibraryMaxOnnxOpset = 17;
inline constexpr int kLibraryMaxIrVersion = 8;

// Registers the element types FLOAT8E4M3FN (17) … INT2 (26) with the library's type strings and
// the ai.onnx schemas of opsets 18–26 with its OpSchemaRegistry. Idempotent and thread-safe;
// every engine entry point that reads the registry calls it first.
void ensureRegistered();

// True for a schema Graft registered (ai.onnx, since version above the library's).
bool isGraftSchema(const std::string& opType, const std::string& domain, int sinceVersion);

// The type string onnx uses for an element type ("float8e4m3fn"), "" when unknown.
std::string elementTypeString(int dataType);

// What the onnx checker does not look at but a schema of opset 18+ states: input and output
// types within the type constraints (and one type per constraint), attribute values within
// their allowed set. typeOf returns the known type of a value or null. Each string is one
// broken rule, phrased for a user ("input 'X' is int64, but GroupNormalization-21 allows …").
std::vector<std::string> checkNodeRules(const onnx::NodeProto& node, int opsetVersion,
                                        const std::function<const onnx::TypeProto*(const std::string&)>& typeOf);

}  // namespace graft::schema
