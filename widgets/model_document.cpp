#include "model_document.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "graft/io.h"

namespace graft {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Maps a stage's own 0..1 progress into [from, to] of the whole open.
ProgressFn stageProgress(const ProgressFn& progress, double from, double to) {
  if (!progress) return {};
  return [progress, from, to](double fraction, std::string_view stage) {
    double f = fraction < 0 ? -1.0 : from + std::clamp(fraction, 0.0, 1.0) * (to - from);
    return progress(f, stage);
  };
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Status cancelled(const char* what = "Opening the model was cancelled.") { return {ErrorCode::Cancelled, what}; }

const onnx::TypeProto* typeIn(const ModelDocument& doc, const Model& model, const std::string& name) {
  if (auto it = doc.inference.types.find(name); it != doc.inference.types.end()) return &it->second;
  if (const Value* v = model.graph().findValue(name)) return v->declaredType();
  return nullptr;
}

// The analyses of `model` into `doc` (inference, statistics, validation, table rows).
Status analyseInto(ModelDocument& doc, const Model& model, const ProgressFn& progress,
                   const char* what = "Opening the model was cancelled.") {
  auto analysisStart = Clock::now();
  if (!reportProgress(progress, 0.55, "Inferring shapes")) return cancelled(what);
  auto stageStart = Clock::now();
  auto inferred = inferShapes(model, stageProgress(progress, 0.55, 0.8));
  spdlog::debug("Shape inference: {:.2f} s", secondsSince(stageStart));
  if (inferred) {
    doc.inference = std::move(inferred.value());
  } else if (inferred.status().code() == ErrorCode::Cancelled) {
    return inferred.status();
  } else {
    // The model is still worth showing with its declared types; the problem is reported.
    doc.inferenceError = inferred.message();
    spdlog::warn("Shape inference failed: {}", inferred.message());
  }

  if (!reportProgress(progress, 0.8, "Computing statistics")) return cancelled(what);
  stageStart = Clock::now();
  doc.statistics = computeStatistics(model, inferred ? &doc.inference : nullptr);
  spdlog::debug("Statistics: {:.2f} s", secondsSince(stageStart));

  if (!reportProgress(progress, 0.9, "Validating")) return cancelled(what);
  stageStart = Clock::now();
  doc.validation = validateModel(model);
  spdlog::debug("Validation: {:.2f} s", secondsSince(stageStart));

  if (!reportProgress(progress, 0.97, "Preparing the node table")) return cancelled(what);
  const Graph& graph = model.graph();
  std::vector<Node*> order;
  if (auto topo = graph.topologicalOrder()) {
    order = std::move(topo.value());
  } else {
    doc.orderError = topo.message();
    order = graph.nodes();
  }
  // Unnamed nodes are called "<op_type> #<stored index>", as the analysis names them.
  std::unordered_map<const Node*, int> storedIndex;
  {
    int i = 0;
    graph.forEachNode([&](const Node& n) { storedIndex[&n] = i++; });
  }

  doc.rows.reserve(order.size());
  doc.rowOfNode.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    Node* n = order[i];
    NodeRow row;
    row.node = n;
    row.index = static_cast<int>(i);
    row.unnamed = n->name().empty();
    row.displayName = row.unnamed ? n->opType() + " #" + std::to_string(storedIndex[n]) : n->name();
    auto join = [](std::string& out, const std::string& s) {
      if (!out.empty()) out += ", ";
      out += s;
    };
    std::string key = lower(row.displayName) + '\n' + lower(n->opType()) + '\n' + lower(n->domain());
    for (const Value* v : n->inputs()) {
      if (!v) continue;
      join(row.inputs, v->name());
      key += '\n' + lower(v->name());
    }
    for (const Value* v : n->outputs()) {
      if (!v) continue;
      join(row.outputs, v->name());
      key += '\n' + lower(v->name());
      const onnx::TypeProto* t = typeIn(doc, model, v->name());
      join(row.outputTypes, t ? formatType(*t) : std::string("?"));
    }
    row.filterKey = std::move(key);
    if (auto it = doc.statistics.perNode.find(n->id()); it != doc.statistics.perNode.end()) row.cost = it->second;
    doc.rowOfNode.emplace(n->id(), row.index);
    doc.rows.push_back(std::move(row));
  }
  doc.analysisSeconds = secondsSince(analysisStart);
  spdlog::info("Analysed {} nodes in {:.2f} s ({} problems)", doc.rows.size(), doc.analysisSeconds,
               doc.inference.problems.size() + doc.validation.problems.size());
  if (!reportProgress(progress, 1.0, "Done")) return cancelled(what);
  return Status::ok();
}

}  // namespace

const onnx::TypeProto* ModelDocument::typeOf(const std::string& valueName) const {
  if (auto it = inference.types.find(valueName); it != inference.types.end()) return &it->second;
  if (model) {
    if (const Value* v = model->graph().findValue(valueName)) {
      if (const onnx::TypeProto* t = v->declaredType()) return t;
    }
  }
  return nullptr;
}

const NodeRow* ModelDocument::rowFor(NodeId id) const {
  auto it = rowOfNode.find(id);
  return it == rowOfNode.end() ? nullptr : &rows[static_cast<size_t>(it->second)];
}

Result<std::shared_ptr<ModelDocument>> openModelDocument(const std::string& path, const ProgressFn& progress,
                                                         std::size_t analyseUpTo) {
  auto doc = std::make_shared<ModelDocument>();
  doc->path = path;
  std::error_code ec;
  doc->fileBytes = std::filesystem::file_size(path, ec);
  if (ec) doc->fileBytes = 0;

  auto start = Clock::now();
  if (!reportProgress(progress, 0.0, "Reading the model")) return cancelled();
  auto loaded = loadModel(path, LoadOptions{}, stageProgress(progress, 0.0, 0.55));
  if (!loaded) return loaded.status();
  doc->model = std::move(loaded.value());
  doc->loadSeconds = secondsSince(start);

  std::size_t nodes = 0;
  std::as_const(*doc->model).forEachGraph([&](const Graph& g) { nodes += g.nodeCount(); });
  if (nodes > analyseUpTo) {
    doc->analysisPending = true;
    spdlog::info("{} nodes: showing the declared types first, analysing in the background", nodes);
    if (!reportProgress(progress, 1.0, "Done")) return cancelled();
    return doc;
  }
  if (auto st = analyseInto(*doc, *doc->model, progress); !st) return st;
  return doc;
}

Result<std::shared_ptr<ModelDocument>> analyseModel(const ModelDocument& doc, const ProgressFn& progress) {
  auto fresh = std::make_shared<ModelDocument>();
  if (!doc.model) return Status(ErrorCode::InvalidArgument, "There is no model to analyse: open one first.");
  if (auto st = analyseInto(*fresh, *doc.model, progress, "Analysing the model was cancelled."); !st) return st;
  return fresh;
}

void adoptAnalysis(ModelDocument& doc, ModelDocument&& fresh) {
  doc.analysisPending = false;
  doc.analysisSeconds = fresh.analysisSeconds;
  doc.inference = std::move(fresh.inference);
  doc.inferenceError = std::move(fresh.inferenceError);
  doc.statistics = std::move(fresh.statistics);
  doc.validation = std::move(fresh.validation);
  doc.orderError = std::move(fresh.orderError);
  doc.rows = std::move(fresh.rows);
  doc.rowOfNode = std::move(fresh.rowOfNode);
}

}  // namespace graft
