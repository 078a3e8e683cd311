// `graft-cli check MODEL`: the onnx checker node by node plus shape inference, as a report
// and an exit code a script can branch on (0 valid, 1 invalid).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/analysis.h"
#include "graft/io.h"

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli check MODEL [--json] [--progress]\n"
    "\n"
    "Validate MODEL with the onnx checker (node by node, so every broken node is named) and\n"
    "run shape inference. Prints each problem with its node name and op type.\n"
    "Shape-inference problems on ops the bundled onnx library does not know (custom domains)\n"
    "are warnings; every other problem is an error.\n"
    "\n"
    "Options:\n"
    "  --json      print the report as JSON: {file, valid, errors, warnings, inference_complete,\n"
    "              problems: [{severity, source, node, op_type, message}]}\n"
    "  --progress  show loading progress on stderr\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error, 3 cannot read MODEL.\n";

}  // namespace

int runCheck(std::vector<std::string> args) {
  CommandLine cl("check", kUsage);
  cl.flag("--json");
  cl.flag("--progress");
  if (auto stop = cl.parse(args, {"MODEL"})) return *stop;
  const std::string& path = cl.positionals()[0];

  auto loaded = loadWithProgress(path, cl.has("--progress"));
  if (!loaded) return reportError(loaded.status(), path);
  const Model& model = **loaded;

  ValidationResult validation = validateModel(model);
  Result<InferenceResult> inference = inferShapes(model);
  std::vector<Problem> problems = gatherProblems(model, inference, validation);

  size_t errors = 0, warnings = 0;
  for (const auto& p : problems) {
    if (p.severity == Diagnostic::Severity::Error) ++errors;
    if (p.severity == Diagnostic::Severity::Warning) ++warnings;
  }
  // The checker's own verdict counts even if it attached no diagnostic to it.
  bool valid = errors == 0 && validation.valid;
  bool complete = inference.isOk() && inference->complete;

  if (cl.has("--json")) {
    nlohmann::ordered_json j;
    j["file"] = path;
    j["valid"] = valid;
    j["errors"] = errors;
    j["warnings"] = warnings;
    j["inference_complete"] = complete;
    auto arr = nlohmann::ordered_json::array();
    for (const auto& p : problems)
      arr.push_back({{"severity", severityName(p.severity)},
                     {"source", p.source},
                     {"node", p.node},
                     {"op_type", p.opType},
                     {"message", p.message}});
    j["problems"] = arr;
    std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return valid ? kExitOk : kExitInvalid;
  }

  auto plural = [](size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  std::cout << terminalText(path) << ": " << (valid ? "valid" : "INVALID");
  if (!problems.empty()) std::cout << " (" << problemCounts(problems) << ")";
  std::cout << "\n";
  if (!valid && errors == 0) std::cout << "  error  validation  model: the onnx checker rejected the model\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : problems)
    rows.push_back({severityName(p.severity), p.source, problemPlace(p) + ": " + oneLine(p.message)});
  std::cout << formatTable(rows, "  ");
  std::cout << "  checker: " << (validation.valid ? "passed" : "failed") << "; shape inference: "
            << (!inference.isOk() ? "failed" : complete ? "every value typed" : "some values have no type")
            << "; " << plural(model.totalNodeCount(), "node") << " checked\n";
  return valid ? kExitOk : kExitInvalid;
}

}  // namespace graft::cli
