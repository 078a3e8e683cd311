// `graft-cli run MODEL`: runs a model on the reference evaluator with given or seeded random
// inputs, prints each output's shape and statistics, and can save the outputs as .npy.
#include <set>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "graft/eval.h"
#include "graft/io.h"

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli run MODEL [--input NAME=FILE.npy|FILE.pb ...] [--seed N] [--dim NAME=VALUE ...]\n"
    "                     [--output-dir DIR] [--threads N] [--json] [--progress]\n"
    "\n"
    "Run MODEL on Graft's reference evaluator (CPU). Inputs not given with --input get seeded\n"
    "random values: floats ~ N(0,1), integers in [0,256) (kept below the table size when they\n"
    "index a Gather), inputs named like masks all 1, bools true. Symbolic dimensions are 1\n"
    "unless set with --dim. Prints each output's type and statistics.\n"
    "\n"
    "Options:\n"
    "  --input NAME=FILE   value for input NAME from a .npy or TensorProto .pb file (repeatable)\n"
    "  --seed N            seed for the random inputs (default 0)\n"
    "  --dim NAME=VALUE    size of a symbolic dimension such as batch or sequence (repeatable)\n"
    "  --output-dir DIR    write one NAME.npy per output (characters outside [A-Za-z0-9_.-] become _);\n"
    "                      types numpy lacks are written decoded: bfloat16, float8, float4 and\n"
    "                      float8e8m0 as float32, int4/int2 as int8, uint4/uint2 as uint8\n"
    "  --threads N         threads for the kernels (default: every core)\n"
    "  --json              print {file, seconds, nodes, peak_bytes, inputs: [{name, type, source}],\n"
    "                      outputs: [{name, type, min, max, mean, std, nan, inf, file}]}\n"
    "  --progress          show progress on stderr\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit codes: 0 success, 2 usage error, 3 the model or an input cannot be read or run.\n";

// Output names in the graph's order (then any other returned value), so collision suffixes
// go to the later outputs, as docs/cli.md says.
std::vector<std::string> order0(const Model& model, const NamedArrays& outputs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Value* v : model.graph().outputs())
    if (outputs.count(v->name()) && seen.insert(v->name()).second) out.push_back(v->name());
  for (const auto& [name, arr] : outputs)
    if (seen.insert(name).second) out.push_back(name);
  return out;
}

std::string safeFileName(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) c = '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream os;
  os << std::setprecision(6) << v;
  return os.str();
}

}  // namespace

int runRun(std::vector<std::string> args) {
  CommandLine cl("run", kUsage);
  cl.repeated("--input");
  cl.repeated("--dim");
  cl.option("--seed");
  cl.option("--output-dir");
  cl.option("--threads");
  cl.flag("--json");
  cl.flag("--progress");
  if (auto stop = cl.parse(args, 1, 1)) return *stop;
  const std::string& path = cl.positionals()[0];
  std::map<std::string, std::int64_t> dims;
  std::string error;
  if (!parseDims(cl.values("--dim"), dims, error)) return cl.usageError(error);
  std::uint64_t seed = 0;
  int threads = 0;
  try {
    if (cl.has("--seed")) seed = std::stoull(cl.value("--seed"));
    if (cl.has("--threads")) threads = std::stoi(cl.value("--threads"));
  } catch (const std::exception&) {
    return cl.usageError("--seed and --threads take non-negative integers");
  }

  auto loaded = loadWithProgress(path, cl.has("--progress"));
  if (!loaded) return reportError(loaded.status(), path);
  const Model& model = **loaded;

  NamedArrays inputs;
  std::map<std::string, std::string> source;
  for (const auto& spec : cl.values("--input")) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) return cl.usageError("--input expects NAME=FILE, got '" + spec + "'");
    std::string name = spec.substr(0, eq), file = spec.substr(eq + 1);
    auto a = readArrayFile(file);
    if (!a) return reportError(a.status(), file);
    inputs[name] = a.value();
    source[name] = file;
  }
  auto random = randomInputs(model, seed, dims);
  for (const auto& spec : modelInputs(model)) {
    if (inputs.count(spec.name)) continue;
    if (!random) return reportError(random.status(), path);
    inputs[spec.name] = random.value().at(spec.name);
    source[spec.name] = "random (seed " + std::to_string(seed) + ")";
  }

  auto evaluator = Evaluator::create(model);
  if (!evaluator) return reportError(evaluator.status(), path);
  EvalOptions options;
  options.threads = threads;
  options.progress = stderrProgress(cl.has("--progress"));
  auto outputs = evaluator.value()->run(inputs, options);
  if (!outputs) return reportError(outputs.status(), path);
  const EvalStats& stats = evaluator.value()->lastStats();

  std::map<std::string, std::string> written;
  if (cl.has("--output-dir")) {
    std::filesystem::path dir = cl.value("--output-dir");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return reportError("cannot create the output folder: " + ec.message(), dir.string());
    // Sanitised names can collide ("a/b" and "a_b"): the first keeps its name, later ones get
    // "-1", "-2", ... so no output overwrites another (docs/cli.md).
    std::set<std::string> used;
    for (const auto& name : order0(model, outputs.value())) {
      const Array& arr = outputs.value().at(name);
      std::string stem = safeFileName(name), candidate = stem;
      for (int k = 1; used.count(candidate); ++k) candidate = stem + "-" + std::to_string(k);
      used.insert(candidate);
      std::string file = (dir / (candidate + ".npy")).string();
      if (auto s = writeNpy(file, arr); !s) return reportError(s, file);
      written[name] = file;
    }
  }

  // Outputs in the graph's order.
  std::vector<std::string> order;
  for (const Value* v : model.graph().outputs()) order.push_back(v->name());
  if (cl.has("--json")) {
    nlohmann::ordered_json j;
    j["file"] = path;
    j["seconds"] = stats.seconds;
    j["nodes"] = stats.nodesRun;
    j["peak_bytes"] = stats.peakBytes;
    j["inputs"] = nlohmann::json::array();
    for (const auto& [name, arr] : inputs)
      j["inputs"].push_back({{"name", name}, {"type", formatArrayType(arr)}, {"source", source[name]}});
    j["outputs"] = nlohmann::json::array();
    for (const auto& name : order) {
      const Array& a = outputs.value().at(name);
      ArrayStats st = arrayStats(a);
      nlohmann::ordered_json o;
      o["name"] = name;
      o["type"] = formatArrayType(a);
      o["min"] = st.min;
      o["max"] = st.max;
      o["mean"] = st.mean;
      o["std"] = st.std;
      o["nan"] = st.nanCount;
      o["inf"] = st.infCount;
      if (written.count(name)) o["file"] = written[name];
      j["outputs"].push_back(o);
    }
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << path << ": ran " << stats.nodesRun << " nodes in " << number(stats.seconds) << " s (peak activations "
            << humanBytes(stats.peakBytes) << ")\n\nInputs:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, arr] : inputs) rows.push_back({name, formatArrayType(arr), source[name]});
  std::cout << formatTable(rows, "  ");
  std::cout << "\nOutputs:\n";
  rows = {{"name", "type", "min", "max", "mean", "std"}};
  for (const auto& name : order) {
    const Array& a = outputs.value().at(name);
    ArrayStats st = arrayStats(a);
    std::vector<std::string> row{name, formatArrayType(a), number(st.min), number(st.max), number(st.mean), number(st.std)};
    if (st.nanCount) row.push_back(std::to_string(st.nanCount) + " NaN");
    if (written.count(name)) row.push_back("-> " + written[name]);
    rows.push_back(row);
  }
  std::cout << formatTable(rows, "  ", {2, 3, 4, 5});
  return kExitOk;
}

}  // namespace graft::cli
