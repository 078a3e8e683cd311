// What can be learned about a model without running it: shape/type inference, op schemas
// and docs, statistics (parameters, FLOPs/MACs, memory) and validation by the onnx checker.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// A problem tied to a place in the model. node is empty for model-level problems.
struct Diagnostic {
  enum class Severity { Info, Warning, Error };
  Severity severity = Severity::Error;
  std::string node;     // node name (or "<op_type> #<index>" when unnamed)
  std::string opType;
  std::string message;
};

// ---------------------------------------------------------------- inference

struct InferenceResult {
  // Inferred (or declared) type for each value name of the main graph; values the
  // inference could not type are absent.
  std::unordered_map<std::string, onnx::TypeProto> types;
  // Nodes where inference failed or that it could not handle (unknown op, opset newer
  // than the library, custom domain); inference carries on past them.
  std::vector<Diagnostic> problems;
  bool complete = false;  // true when every node output got a type
};

// Runs onnx shape inference for the model's opsets on a copy (the model is not edited).
Result<InferenceResult> inferShapes(const Model& model, const ProgressFn& progress = {});

// "float32[1,3,224,224]", "int64[batch,?]", "seq(float32[?])"; "?" for unknown.
std::string formatType(const onnx::TypeProto& type);
// Static dims when the type is a tensor with all dims known.
std::optional<std::vector<std::int64_t>> staticShape(const onnx::TypeProto& type);

// ---------------------------------------------------------------- schemas

struct OpDoc {
  bool known = false;          // a schema is registered for it (the onnx library's, or Graft's for opsets 18-26)
  std::string opType, domain;  // domain "" is the default ONNX domain
  int sinceVersion = 0;
  bool deprecated = false;
  std::string doc;
  struct Formal {
    std::string name, typeStr, description;
    bool optional = false, variadic = false;
  };
  std::vector<Formal> inputs, outputs;
  struct Attr {
    std::string name, type, description, defaultValue;
    bool required = false;
  };
  std::vector<Attr> attributes;
  struct TypeConstraint {
    std::string param, description;
    std::vector<std::string> allowed;
  };
  std::vector<TypeConstraint> typeConstraints;
  // Why known is false: "custom domain 'com.example'", "opset 27 is newer than Graft knows (max 26)".
  std::string note;
};

// The schema for op_type in domain at the given opset version (the model's import).
OpDoc describeOp(const std::string& opType, const std::string& domain, std::int64_t opsetVersion);
OpDoc describeNode(const Node& node);
// Highest opset version known for a domain ("" = ai.onnx: 26 with Graft's own schemas, see schema.h).
int maxKnownOpset(const std::string& domain);

// ---------------------------------------------------------------- statistics

struct NodeCost {
  std::uint64_t macs = 0;
  std::uint64_t flops = 0;  // 2*MACs for multiply-accumulate ops, one per element otherwise
  bool known = false;       // false when shapes were missing or the op is not counted
  // Symbolic dims (a dynamic batch or sequence length) were counted as 1, so the cost is
  // per unit of each: most exported models have a dynamic batch, and "unknown" helps nobody.
  bool symbolicAsOne = false;
};

struct Statistics {
  std::size_t nodeCount = 0;       // main graph
  std::size_t totalNodeCount = 0;  // including subgraphs
  std::map<std::string, std::size_t> opHistogram;  // "Conv", "com.microsoft:Attention"
  std::uint64_t parameters = 0;                    // elements in initializers (all graphs)
  std::uint64_t parameterBytes = 0;
  std::map<std::string, std::uint64_t> parametersByType;       // dtype name -> elements
  std::map<std::string, std::uint64_t> parameterBytesByType;   // dtype name -> bytes
  std::uint64_t initializerCount = 0;
  std::uint64_t externalBytes = 0;
  std::vector<std::string> externalFiles;
  std::uint64_t macs = 0;
  std::uint64_t flops = 0;
  std::size_t nodesWithUnknownCost = 0;
  std::size_t nodesWithSymbolicDims = 0;  // counted with symbolic dims = 1 (NodeCost::symbolicAsOne)
  std::unordered_map<NodeId, NodeCost> perNode;
  // Bytes of all activations whose shape is static (a rough memory figure).
  std::uint64_t activationBytes = 0;
};

// types: from inferShapes (may be null; then only declared types are used).
Statistics computeStatistics(const Model& model, const InferenceResult* types = nullptr);
NodeCost nodeCost(const Node& node, const std::unordered_map<std::string, onnx::TypeProto>& types);

// ---------------------------------------------------------------- validation

struct ValidationResult {
  bool valid = true;
  std::vector<Diagnostic> problems;  // errors tied to node names where the checker allows
};

// The onnx checker, node by node, so several errors come out at once and each names its node.
ValidationResult validateModel(const Model& model);

// What a rewrite or an edit must not leave behind: errors of the onnx checker and of shape
// inference on the whole model (ops of domains the library does not know are not errors).
// Tagged with where they come from: "the onnx checker rejects ..." / "shape inference fails ...".
// `inferred` (optional) receives the inference result, for callers that look further.
std::vector<Diagnostic> structuralProblems(const Model& model, InferenceResult* inferred = nullptr);

}  // namespace graft
