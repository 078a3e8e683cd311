// `graft-cli optimize MODEL OUT --backend B`: applies a backend profile to a fixed point, verifies
// every rule's changes (undoing a rule that breaks the model), saves, and shows before/after.
#include <set>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/eval.h"
#include "graft/recipe.h"
#include "graft/rewrite.h"

namespace graft::cli {

namespace {

const char* kUsage =
    "Usage: graft-cli optimize MODEL OUT --backend B [--rules FILE ...] [--only RULE ...] [--skip RULE ...]\n"
    "                          [--no-verify] [--max-rounds N] [--keep-opset] [--through-symlink] [--save-recipe FILE]\n"
    "                          [--json]\n"
    "\n"
    "Apply the rules of backend profile B to MODEL until nothing matches (at most N rounds), and\n"
    "save the result to OUT. After each rule the model must pass the onnx checker and shape\n"
    "inference and, where the reference evaluator can run it, compute the same outputs as MODEL on\n"
    "seeded random inputs; a rule that fails is undone, skipped and reported. Prints node counts\n"
    "per op type and file sizes before and after. Every node a rule creates records the rule in\n"
    "its doc string (\"graft: rule NAME ...\").\n"
    "When the profile names a newer ai.onnx opset than MODEL imports (tensorrt: 17), MODEL is first\n"
    "converted to it with ONNX's version converter and checked to compute the same; if that fails,\n"
    "MODEL keeps its opset and a warning says why.\n"
    "\n"
    "Options:\n"
    "  --backend B     a profile name or a path to a .profile file\n"
    "  --rules FILE    extra rule file (repeatable); its rules apply too\n"
    "  --only RULE     apply only these rules (repeatable or comma-separated)\n"
    "  --skip RULE     do not apply these rules (repeatable or comma-separated)\n"
    "  --no-verify     skip the checks after each rule (faster; not recommended)\n"
    "  --max-rounds N  fixed-point cap (default 16)\n"
    "  --keep-opset    never convert MODEL to the profile's opset\n"
    "  --save-recipe FILE  write every rewrite kept (and the opset conversion) as its own anchored\n"
    "                  step of a recipe (docs/recipes.md) that replays on another export\n"
    "  --json          print {format_version, input, output, backend, applied, rules, node_count:\n"
    "                  {before, after}, file_bytes: {before, after}, opset: {before, after}, ops: [{op, before, after}],\n"
    "                  warnings}\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit codes: 0 saved, 2 usage error, 3 the model, profile or a rule file could not be read,\n"
    "or OUT could not be written.\n";

std::map<std::string, int> opCounts(const Model& m) {
  std::map<std::string, int> c;
  m.graph().forEachNode([&](const Node& n) {
    c[(n.domain().empty() || n.domain() == "ai.onnx" ? std::string() : n.domain() + ":") + n.opType()]++;
  });
  return c;
}

}  // namespace

int runOptimize(std::vector<std::string> args) {
  CommandLine cl("optimize", kUsage);
  cl.option("--backend");
  cl.repeated("--rules", true);
  cl.repeated("--only", true);
  cl.repeated("--skip", true);
  cl.option("--max-rounds");
  cl.flag("--no-verify");
  cl.flag("--keep-opset");
  cl.flag("--through-symlink");
  cl.option("--save-recipe");
  cl.flag("--json");
  if (auto stop = cl.parse(args, {"MODEL", "OUT"})) return *stop;
  if (!cl.has("--backend")) return cl.usageError("--backend is required (e.g. --backend onnxruntime-cpu)");
  ApplyOptions options;
  options.verify = !cl.has("--no-verify");
  options.only = cl.values("--only");
  options.skip = cl.values("--skip");
  if (cl.has("--max-rounds")) {
    try {
      options.maxIterations = std::stoi(cl.value("--max-rounds"));
    } catch (...) {
      return cl.usageError("--max-rounds takes a number");
    }
    if (options.maxIterations < 1) return cl.usageError("--max-rounds must be at least 1");
  }
  const std::string& in = cl.positionals()[0];
  const std::string& out = cl.positionals()[1];
  auto model = loadWithProgress(in, false);
  if (!model) return reportError(model.status(), in);
  int code = kExitOk;
  auto rw = makeRewriter(cl, code);
  if (!rw) return code;
  for (const auto* list : {&options.only, &options.skip})
    for (const auto& r : *list)
      if (!rw->findRule(r)) {
        std::string known;
        for (const auto& rule : rw->rules()) known += (known.empty() ? "" : ", ") + rule->name();
        return cl.usageError("'" + r + "' is not a rule of backend '" + rw->profile().name + "' (its rules: " + known + ")");
      }
  std::error_code ec;
  std::uint64_t bytesBefore = std::filesystem::file_size(in, ec);
  {
    // The row compares like with like: the .onnx plus its external data files, before and after.
    std::set<std::string> files;
    (*model)->forEachGraph([&](const Graph& g) {
      for (const Value* v : g.initializers())
        if (const ExternalRef* ref = v->initializer()->external(); ref && ref->file && files.insert(ref->file->path()).second)
          bytesBefore += ref->file->size();
    });
  }
  auto before = opCounts(**model);
  std::size_t nodesBefore = (*model)->graph().nodeCount();
  std::int64_t opsetBefore = (*model)->opsetVersion("");
  std::string converted;  // "converted ai.onnx opset 13 to 17 ..." for the report
  std::vector<std::string> notes;
  std::int64_t target = rw->profile().opset;
  if (target > opsetBefore && opsetBefore > 0 && !cl.has("--keep-opset")) {
    // The profile's rules may need the newer opset (LayerNormalization at 17): convert first, and
    // keep the conversion only when it computes what the model computed.
    auto up = convertOpset(**model, target);
    std::string why;
    if (!up) {
      why = up.message();
    } else if (options.verify) {
      auto same = verifyModels(**model, *up.value());
      if (!same) why = "it could not be checked: " + same.message();
      else if (same->comparable && !same->withinTolerance) why = "the converted model computes different outputs";
    }
    if (why.empty()) {
      *model = std::move(up.value());
      converted = "converted ai.onnx opset " + std::to_string(opsetBefore) + " to " + std::to_string(target) + " (the profile's opset)";
    } else {
      notes.push_back("kept ai.onnx opset " + std::to_string(opsetBefore) + " (the profile asks for " + std::to_string(target) +
                      "): " + why);
    }
  }
  RecipeRecorder recorder;
  if (!converted.empty()) recorder.add(recipeStepForOpset(target));
  if (cl.has("--save-recipe")) recorder.attach(options, rw->profile().name);
  auto rec = rw->applyAll(**model, options);
  if (!rec) return reportError(rec.status(), in);
  rec->warnings.insert(rec->warnings.begin(), notes.begin(), notes.end());
  SaveOptions saveOptions;
  saveOptions.throughSymlink = cl.has("--through-symlink");
  auto saved = saveModel(**model, out, saveOptions);
  if (!saved) return reportError(saved.status(), out);
  if (cl.has("--save-recipe")) {
    recorder.recipe().description = "graft-cli optimize --backend " + rw->profile().name + " on " + in;
    if (auto st = writeRecipe(recorder.recipe(), cl.value("--save-recipe")); !st)
      return reportError(st, cl.value("--save-recipe"));
  }
  std::uint64_t bytesAfter = saved->modelBytes + saved->externalBytes;
  auto after = opCounts(**model);
  std::size_t nodesAfter = (*model)->graph().nodeCount();
  std::set<std::string> ops;
  for (const auto& [op, n] : before) ops.insert(op);
  for (const auto& [op, n] : after) ops.insert(op);

  if (cl.has("--json")) {
    nlohmann::ordered_json j;
    j["format_version"] = 1;
    j["input"] = in;
    j["output"] = out;
    j["backend"] = rw->profile().name;
    j["applied"] = rec->applied;
    j["rules"] = rec->rules;
    j["node_count"] = {{"before", nodesBefore}, {"after", nodesAfter}};
    j["file_bytes"] = {{"before", bytesBefore}, {"after", bytesAfter}};
    j["opset"] = {{"before", opsetBefore}, {"after", (*model)->opsetVersion("")}};
    j["ops"] = nlohmann::json::array();
    for (const auto& op : ops) {
      int b = before.count(op) ? before[op] : 0, a = after.count(op) ? after[op] : 0;
      j["ops"].push_back({{"op", op}, {"before", b}, {"after", a}});
    }
    j["verified"] = options.verify;
    j["warnings"] = rec->warnings;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "Backend: " << rw->profile().name << "  (" << rec->applied << " rewrites";
  if (!rec->rules.empty()) {
    std::cout << " by ";
    for (size_t i = 0; i < rec->rules.size(); ++i) std::cout << (i ? ", " : "") << rec->rules[i];
  }
  std::cout << ")\n";
  if (!converted.empty()) std::cout << converted << "\n";
  std::cout << "\n";
  std::vector<std::vector<std::string>> rows{{"op", "before", "after", "change"}};
  for (const auto& op : ops) {
    int b = before.count(op) ? before[op] : 0, a = after.count(op) ? after[op] : 0;
    rows.push_back({op, std::to_string(b), std::to_string(a), a == b ? "" : (a > b ? "+" : "") + std::to_string(a - b)});
  }
  auto delta = static_cast<long long>(nodesAfter) - static_cast<long long>(nodesBefore);
  rows.push_back({"nodes", std::to_string(nodesBefore), std::to_string(nodesAfter), delta == 0 ? "" : (delta > 0 ? "+" : "") + std::to_string(delta)});
  rows.push_back({"file size", humanBytes(bytesBefore), humanBytes(bytesAfter), ""});
  std::cout << formatTable(rows, "  ", {1, 2, 3});
  std::cout << "\n"
            << (options.verify ? "Verified after each rule (checker, shape inference, outputs where the evaluator runs)."
                               : "Not verified (--no-verify).")
            << "\nSaved " << out << "\n";
  for (const auto& w : rec->warnings) std::cerr << "graft-cli: optimize: warning: " << oneLine(w) << "\n";
  return kExitOk;
}

}  // namespace graft::cli
