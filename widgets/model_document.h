// The open model as the studio holds it: the engine Model plus what the analysis learned
// about it (inferred types, statistics, validation), built off the GUI thread in one piece.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "graft/analysis.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// One node as the node table shows it. Computed in the worker so that nothing on the GUI
// thread is proportional to the model's size.
struct NodeRow {
  Node* node = nullptr;
  int index = 0;            // position in topological order
  std::string displayName;  // the node's name, or "<op_type> #<index>" when it has none
  bool unnamed = false;
  std::string inputs;        // value names, comma separated ("" for an omitted optional input)
  std::string outputs;
  std::string outputTypes;   // "float32[1,64,56,56]" per output, from inference or declaration
  NodeCost cost;
  std::string filterKey;     // lower-case name, op, domain and tensor names, for the filter
};

struct ModelDocument {
  std::string path;
  std::uint64_t fileBytes = 0;
  // Loaded but not analysed yet: types are only the declared ones, statistics, validation and
  // table rows are empty until a background analyseModel is adopted.
  bool analysisPending = false;
  double loadSeconds = 0;      // parse + IR
  double analysisSeconds = 0;  // inference + statistics + validation

  std::unique_ptr<Model> model;
  InferenceResult inference;
  std::string inferenceError;  // when inferShapes failed as a whole (types then only declared)
  Statistics statistics;
  ValidationResult validation;
  std::string orderError;      // set when the graph has a cycle; rows then follow stored order
  std::vector<NodeRow> rows;   // main graph in topological order
  std::unordered_map<NodeId, int> rowOfNode;  // node id -> index into rows

  // Inferred type of a value, else its declared type, else nullptr.
  const onnx::TypeProto* typeOf(const std::string& valueName) const;
  const NodeRow* rowFor(NodeId id) const;
};

// How big a model may be and still be analysed before it is first shown. Below this, inference,
// statistics and validation take a fraction of a second, and the first frame should already
// carry inferred shapes on its edge labels (what a user of a 100-node CNN expects). Above it, the
// graph is drawn from its declared types first and the analyses follow in the background.
inline constexpr std::size_t kAnalyseBeforeShowingNodes = 3000;

// Loads the file and runs the analyses. Progress covers all stages; returning false from
// `progress` cancels (ErrorCode::Cancelled). Meant to run on a worker thread. A model with more
// than `analyseUpTo` nodes (subgraphs included) is returned unanalysed, with analysisPending set.
Result<std::shared_ptr<ModelDocument>> openModelDocument(const std::string& path, const ProgressFn& progress,
                                                         std::size_t analyseUpTo = static_cast<std::size_t>(-1));

// After an edit: the analyses again, run on doc.model into a new document (model left null) so
// a worker can compute them while the GUI still shows the old ones; the model must not be
// edited meanwhile. adoptAnalysis then moves the results into `doc` on the GUI thread.
Result<std::shared_ptr<ModelDocument>> analyseModel(const ModelDocument& doc, const ProgressFn& progress);
void adoptAnalysis(ModelDocument& doc, ModelDocument&& fresh);

}  // namespace graft
