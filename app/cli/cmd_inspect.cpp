// `graft-cli inspect MODEL [--json]`: everything the engine can say about a model without
// running it. The JSON form is a stable, documented schema (docs/cli.md); change it only by
// adding keys, and bump kInspectFormatVersion when a key changes meaning.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "graft/analysis.h"
#include "graft/io.h"

namespace graft::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kInspectFormatVersion = 1;

const char* kUsage =
    "Usage: graft-cli inspect MODEL [--json] [--progress]\n"
    "\n"
    "Show what MODEL contains: IR version, producer, opsets, inputs and outputs with dtype\n"
    "and shape (declared, else inferred), node count, op histogram, parameters, FLOPs and\n"
    "MACs, initializer bytes, external data files, metadata and the problems found by the\n"
    "onnx checker and shape inference.\n"
    "\n"
    "Options:\n"
    "  --json      print one JSON object instead (schema in docs/cli.md)\n"
    "  --progress  show loading progress on stderr\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit codes: 0 inspected (even when problems were found), 2 usage error, 3 cannot read MODEL.\n";

// Type and shape of a graph input or output: declared when the model says, else inferred.
struct IoInfo {
  std::string name;
  const onnx::TypeProto* type = nullptr;  // what the shape below comes from
  const onnx::TypeProto* declared = nullptr;
  std::string shapeSource;  // "declared", "inferred" or "unknown"
  bool initializer = false;
};

const onnx::TensorShapeProto* shapeOf(const onnx::TypeProto& t) {
  if (t.has_tensor_type()) return t.tensor_type().has_shape() ? &t.tensor_type().shape() : nullptr;
  if (t.has_sparse_tensor_type())
    return t.sparse_tensor_type().has_shape() ? &t.sparse_tensor_type().shape() : nullptr;
  return nullptr;
}

IoInfo describeIo(const Value& v, const InferenceResult* inferred) {
  IoInfo info;
  info.name = v.name();
  info.initializer = v.isInitializer();
  info.declared = v.declaredType();
  const onnx::TypeProto* guess = nullptr;
  if (inferred) {
    auto it = inferred->types.find(v.name());
    if (it != inferred->types.end()) guess = &it->second;
  }
  if (info.declared && shapeOf(*info.declared)) {
    info.type = info.declared;
    info.shapeSource = "declared";
  } else if (guess && shapeOf(*guess)) {
    info.type = guess;
    info.shapeSource = "inferred";
  } else {
    info.type = info.declared ? info.declared : guess;
    info.shapeSource = "unknown";
  }
  return info;
}

Json dtypeJson(const onnx::TypeProto* t) {
  if (!t) return nullptr;
  if (t->has_tensor_type()) {
    if (!t->tensor_type().has_elem_type() || t->tensor_type().elem_type() == 0) return nullptr;
    return dataTypeName(t->tensor_type().elem_type());
  }
  // Sequences, maps, optionals and sparse tensors: the readable type says it best.
  return formatType(*t);
}

Json shapeJson(const onnx::TypeProto* t) {
  const onnx::TensorShapeProto* s = t ? shapeOf(*t) : nullptr;
  if (!s) return nullptr;
  Json dims = Json::array();
  for (const auto& d : s->dim()) {
    if (d.has_dim_value()) dims.push_back(d.dim_value());
    else if (d.has_dim_param() && !d.dim_param().empty()) dims.push_back(d.dim_param());
    else dims.push_back(nullptr);
  }
  return dims;
}

std::string typeText(const onnx::TypeProto* t) { return t ? formatType(*t) : "?"; }

struct Report {
  std::string path;
  std::uintmax_t fileBytes = 0;
  const Model* model = nullptr;
  Result<InferenceResult> inference{ErrorCode::Internal, "not run"};
  ValidationResult validation;
  Statistics stats;
  std::vector<IoInfo> inputs, outputs;
  std::vector<Problem> problems;
  size_t functionCount = 0;
};

std::vector<std::pair<std::string, std::size_t>> sortedHistogram(const std::map<std::string, std::size_t>& h) {
  std::vector<std::pair<std::string, std::size_t>> ops(h.begin(), h.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return ops;
}

Json ioJson(const std::vector<IoInfo>& list) {
  Json arr = Json::array();
  for (const auto& io : list) {
    arr.push_back({{"name", io.name},
                   {"dtype", dtypeJson(io.type)},
                   {"shape", shapeJson(io.type)},
                   {"type", io.type ? Json(formatType(*io.type)) : Json(nullptr)},
                   {"shape_source", io.shapeSource},
                   {"initializer", io.initializer}});
  }
  return arr;
}

Json toJson(const Report& r) {
  const auto& m = r.model->shell();
  const auto& s = r.stats;
  Json j;
  j["format_version"] = kInspectFormatVersion;
  j["file"] = r.path;
  j["file_bytes"] = r.fileBytes;
  j["ir_version"] = m.ir_version();
  j["producer"] = {{"name", m.producer_name()}, {"version", m.producer_version()}};
  j["domain"] = m.domain();
  j["model_version"] = m.model_version();
  j["doc_string"] = m.doc_string();
  Json opsets = Json::object();
  for (const auto& o : m.opset_import()) opsets[displayDomain(o.domain())] = o.version();
  j["opsets"] = opsets;
  j["inputs"] = ioJson(r.inputs);
  j["outputs"] = ioJson(r.outputs);
  j["node_count"] = s.nodeCount;
  j["total_node_count"] = s.totalNodeCount;
  j["function_count"] = r.functionCount;
  Json hist = Json::object();
  for (const auto& [op, n] : sortedHistogram(s.opHistogram)) hist[op] = n;
  j["op_histogram"] = hist;
  Json byType = Json::object();
  for (const auto& [dtype, count] : s.parametersByType) {
    auto b = s.parameterBytesByType.find(dtype);
    byType[dtype] = {{"count", count}, {"bytes", b == s.parameterBytesByType.end() ? 0 : b->second}};
  }
  j["parameters"] = {{"count", s.parameters}, {"bytes", s.parameterBytes}, {"by_dtype", byType}};
  j["initializer_count"] = s.initializerCount;
  j["initializer_bytes"] = s.parameterBytes;
  j["flops"] = s.flops;
  j["macs"] = s.macs;
  j["nodes_with_unknown_cost"] = s.nodesWithUnknownCost;
  j["nodes_with_symbolic_dims"] = s.nodesWithSymbolicDims;
  j["activation_bytes"] = s.activationBytes;
  j["external_data"] = {{"files", s.externalFiles}, {"bytes", s.externalBytes}};
  Json meta = Json::object();
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  j["metadata"] = meta;
  j["inference_complete"] = r.inference.isOk() && r.inference->complete;
  Json problems = Json::array();
  bool valid = true;
  for (const auto& p : r.problems) {
    if (p.severity == Diagnostic::Severity::Error) valid = false;
    problems.push_back({{"severity", severityName(p.severity)},
                        {"source", p.source},
                        {"node", p.node},
                        {"op_type", p.opType},
                        {"message", p.message}});
  }
  j["valid"] = valid;
  j["problems"] = problems;
  return j;
}

// Inputs and outputs share one name column (nameWidth) so their types line up.
void printIo(std::ostream& out, const char* title, const std::vector<IoInfo>& list, size_t nameWidth) {
  std::vector<std::string> backed;
  std::ostringstream rows;
  for (const auto& io : list) {
    if (io.initializer) {
      backed.push_back(io.name);
      continue;
    }
    std::string name = "  " + terminalText(io.name, 256);
    name.resize(std::max(name.size(), nameWidth + 4), ' ');
    rows << name << terminalText(typeText(io.type), 1024) << (io.shapeSource == "inferred" ? "  (inferred)" : "") << "\n";
  }
  out << title << (rows.str().empty() ? "  none" : "") << "\n" << rows.str();
  if (!backed.empty()) {
    // Old exporters list every weight as an input too; naming them all would bury the real ones.
    out << "  + " << backed.size() << " input" << (backed.size() == 1 ? "" : "s") << " with an initializer";
    if (backed.size() <= 4) {
      out << ":";
      for (const auto& b : backed) out << " " << terminalText(b, 256);
    }
    out << "\n";
  }
}

// One label column for the whole report, so the values line up down the page.
constexpr size_t kLabelWidth = 17;

void line(std::ostream& out, const std::string& label, const std::string& value) {
  std::string l = label;
  if (l.size() < kLabelWidth) l.resize(kLabelWidth, ' ');
  else l += "  ";
  out << l << terminalText(value) << "\n";
}

// "  Conv              12": sub-rows under a label, counts right-aligned in one column.
void subRows(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t w = 0;
  for (const auto& r : rows) w = std::max(w, r.second.size());
  for (const auto& [name, value] : rows) {
    std::string l = "  " + terminalText(name, 256);
    if (l.size() < kLabelWidth) l.resize(kLabelWidth, ' ');
    else l += "  ";
    out << l << std::string(w - value.size(), ' ') << value << "\n";
  }
}

void printHuman(std::ostream& out, const Report& r) {
  const auto& m = r.model->shell();
  const auto& s = r.stats;
  out << terminalText(r.path) << "  (" << humanBytes(r.fileBytes) << ")\n\n";

  line(out, "IR version", std::to_string(m.ir_version()));
  std::string producer = m.producer_name().empty() ? "-" : m.producer_name();
  if (!m.producer_version().empty()) producer += " " + m.producer_version();
  line(out, "Producer", producer);
  if (!m.domain().empty()) line(out, "Domain", m.domain());
  if (m.model_version() != 0) line(out, "Model version", std::to_string(m.model_version()));
  std::string opsets;
  for (const auto& o : m.opset_import())
    opsets += (opsets.empty() ? "" : ", ") + displayDomain(o.domain()) + " " + std::to_string(o.version());
  line(out, "Opsets", opsets.empty() ? "none" : opsets);
  if (!m.doc_string().empty()) {
    std::string doc = oneLine(m.doc_string());
    if (doc.size() > 100) doc = doc.substr(0, 97) + "...";
    line(out, "Doc", doc);
  }
  if (r.functionCount) line(out, "Functions", std::to_string(r.functionCount));
  if (m.metadata_props_size()) {
    out << "Metadata\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : m.metadata_props()) {
      std::string v = oneLine(p.value());
      if (v.size() > 100) v = v.substr(0, 97) + "...";
      rows.push_back({p.key(), v});
    }
    out << formatTable(rows, "  ");
  }
  out << "\n";

  size_t nameWidth = 0;
  for (const auto* list : {&r.inputs, &r.outputs})
    for (const auto& io : *list)
      if (!io.initializer) nameWidth = std::max(nameWidth, io.name.size());
  printIo(out, "Inputs", r.inputs, nameWidth);
  printIo(out, "Outputs", r.outputs, nameWidth);
  out << "\n";

  std::string nodes = withThousands(s.nodeCount);
  if (s.totalNodeCount != s.nodeCount) nodes += " (" + withThousands(s.totalNodeCount) + " with subgraphs)";
  line(out, "Nodes", nodes);
  std::vector<std::pair<std::string, std::string>> ops;
  for (const auto& [op, n] : sortedHistogram(s.opHistogram)) ops.push_back({op, withThousands(n)});
  subRows(out, ops);

  line(out, "Parameters", withThousands(s.parameters) + " (" + humanBytes(s.parameterBytes) + ")");
  std::vector<std::pair<std::string, std::string>> byType;
  for (const auto& [dtype, count] : s.parametersByType) {
    auto b = s.parameterBytesByType.find(dtype);
    byType.push_back(
        {dtype, withThousands(count) + " (" + humanBytes(b == s.parameterBytesByType.end() ? 0 : b->second) + ")"});
  }
  if (byType.size() > 1) subRows(out, byType);
  line(out, "Initializers", withThousands(s.initializerCount) + " (" + humanBytes(s.parameterBytes) + ")");
  if (s.externalFiles.empty()) {
    line(out, "External data", "none");
  } else {
    std::string files;
    for (const auto& f : s.externalFiles) files += (files.empty() ? "" : ", ") + f;
    line(out, "External data", humanBytes(s.externalBytes) + " in " + files);
  }
  std::string compute = humanCount(s.flops, "FLOPs") + ", " + humanCount(s.macs, "MACs");
  if (s.flops >= 1000) compute += " (" + withThousands(s.flops) + " FLOPs)";
  if (s.nodesWithUnknownCost)
    compute += "; unknown for " + withThousands(s.nodesWithUnknownCost) + " node" +
               (s.nodesWithUnknownCost == 1 ? "" : "s");
  if (s.nodesWithSymbolicDims) compute += "; symbolic dims (e.g. batch) counted as 1";
  line(out, "Compute", compute);
  if (s.activationBytes) line(out, "Activations", humanBytes(s.activationBytes) + " (static shapes only)");
  line(out, "Shape inference", !r.inference.isOk()      ? "failed"
                               : r.inference->complete ? "complete"
                                                       : "partial (some values have no type)");
  out << "\n";

  line(out, "Problems", r.problems.empty() ? "none" : problemCounts(r.problems));
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.problems)
    rows.push_back({severityName(p.severity), p.source, problemPlace(p) + ": " + oneLine(p.message)});
  out << formatTable(rows, "  ");
}

}  // namespace

int runInspect(std::vector<std::string> args) {
  CommandLine cl("inspect", kUsage);
  cl.flag("--json");
  cl.flag("--progress");
  if (auto stop = cl.parse(args, {"MODEL"})) return *stop;
  const std::string& path = cl.positionals()[0];

  auto loaded = loadWithProgress(path, cl.has("--progress"));
  if (!loaded) return reportError(loaded.status(), path);
  const Model& model = **loaded;

  Report r;
  r.path = path;
  std::error_code ec;
  r.fileBytes = std::filesystem::file_size(path, ec);
  if (ec) r.fileBytes = 0;
  r.model = &model;
  r.inference = inferShapes(model);
  r.validation = validateModel(model);
  r.stats = computeStatistics(model, r.inference.isOk() ? &r.inference.value() : nullptr);
  const InferenceResult* inferred = r.inference.isOk() ? &r.inference.value() : nullptr;
  for (const Value* v : model.graph().inputs()) r.inputs.push_back(describeIo(*v, inferred));
  for (const Value* v : model.graph().outputs()) r.outputs.push_back(describeIo(*v, inferred));
  r.problems = gatherProblems(model, r.inference, r.validation);
  r.functionCount = static_cast<size_t>(model.shell().functions_size());

  if (cl.has("--json")) {
    // Invalid UTF-8 in doc strings or names must not abort the dump: replace it.
    std::cout << toJson(r).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    printHuman(std::cout, r);
  }
  return kExitOk;
}

}  // namespace graft::cli
