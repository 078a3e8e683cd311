// Helpers shared by the analysis sources: how domains, opsets and node labels are named
// in messages, so inference, schemas and validation explain the same things the same way.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "graft/analysis.h"

namespace graft::analysis_detail {

// "" and "ai.onnx" both name the default domain; the onnx registry only knows "".
inline std::string normalizeDomain(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

inline std::string domainLabel(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx" ? std::string("ai.onnx") : domain;
}

// True when the bundled onnx library has schemas for the domain (ai.onnx, ai.onnx.ml, training).
bool domainKnownToLibrary(const std::string& domain);

// Why the library cannot handle ops of a domain it does not know; "custom domain 'x'" or
// the ONNX Runtime contrib explanation for com.microsoft.
std::string unknownDomainNote(const std::string& domain);

// Completes "not inferred because ..." / "not checked because ..." for an unknown domain.
std::string unknownDomainReason(const std::string& domain);

// "<name>" or "<op_type> #<index>" for unnamed nodes, as Diagnostic::node promises.
inline std::string nodeLabel(const onnx::NodeProto& node, std::size_t index) {
  return node.name().empty() ? node.op_type() + " #" + std::to_string(index) : node.name();
}

// The copy analyses work on: same graph, but no weight bytes beyond small tensors and integer
// vectors (shape inference reads those: Reshape's target shape, tables its data propagation
// gathers from).
Model::ExportOptions analysisExport();

// Opset imports of a ModelProto keyed by normalized domain.
std::unordered_map<std::string, int> opsetImports(const onnx::ModelProto& model);

// Symbolic shape inference (symbolic.cpp): completes the types onnx inferred for a graph
// whose nodes are in topological order, carrying named dims through shape computations.
// Returns how many values it typed or completed.
std::size_t inferSymbolicShapes(const onnx::GraphProto& graph, std::unordered_map<std::string, onnx::TypeProto>& types,
                                int opset);

// A dim param as symbolic inference writes it ("2*sequence+1") evaluated with every symbol
// as 1; other names are 1. Used to count costs per unit of each dynamic dim.
std::optional<std::int64_t> dimParamWithSymbolsAsOne(const std::string& param);

// Removes onnx's "[ShapeInferenceError] " style prefixes and trailing whitespace.
std::string cleanOnnxMessage(std::string message);

// Diagnostics across the pipe of an isolated child (runIsolated): each one a node of a carrier
// graph (name = node, op_type, doc_string = message, domain = severity).
inline void writeDiagnostics(onnx::GraphProto& g, const std::vector<Diagnostic>& problems) {
  for (const auto& d : problems) {
    auto* n = g.add_node();
    n->set_name(d.node);
    n->set_op_type(d.opType);
    n->set_doc_string(d.message);
    n->set_domain(std::to_string(static_cast<int>(d.severity)));
  }
}
inline std::vector<Diagnostic> readDiagnostics(const onnx::GraphProto& g) {
  std::vector<Diagnostic> out;
  for (const auto& n : g.node())
    out.push_back({static_cast<Diagnostic::Severity>(std::atoi(n.domain().c_str())), n.name(), n.op_type(), n.doc_string()});
  return out;
}

}  // namespace graft::analysis_detail
