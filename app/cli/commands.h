// The subcommands of graft-cli, one table that main() dispatches through and prints in --help.
// To add one: write cmd_<name>.cpp with `int run<Name>(std::vector<std::string>)`, declare it here, add a row.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace graft::cli {

struct Command {
  const char* name;
  const char* summary;  // one line for `graft-cli --help`
  // args: everything after the subcommand name. Returns the process exit code (see ExitCode).
  // Each command answers `--help`/`-h` itself, so `graft-cli help <name>` calls run({"--help"}).
  int (*run)(std::vector<std::string> args);
};

int runInspect(std::vector<std::string> args);
int runCheck(std::vector<std::string> args);
int runConvert(std::vector<std::string> args);
int runRun(std::vector<std::string> args);
int runVerify(std::vector<std::string> args);
int runMatch(std::vector<std::string> args);
int runOptimize(std::vector<std::string> args);
int runEdit(std::vector<std::string> args);
int runRecipe(std::vector<std::string> args);
int runDiff(std::vector<std::string> args);
int runQuantize(std::vector<std::string> args);

inline constexpr Command kCommands[] = {
    {"inspect", "Show what a model contains: I/O, ops, parameters, FLOPs, problems (--json)", runInspect},
    {"check", "Validate a model (onnx checker + shape inference); exit 1 when invalid", runCheck},
    {"convert", "Re-save a model with its weights inline or in an external data file", runConvert},
    {"run", "Run a model on the reference evaluator with given or seeded random inputs", runRun},
    {"verify", "Run two models on the same inputs and compare outputs; exit 1 when they differ", runVerify},
    {"match", "Show where a backend profile's rules match, what it fuses itself and what blocks it", runMatch},
    {"optimize", "Apply a backend profile's rewrites, verify each rule, save, and show before/after", runOptimize},
    {"edit", "Edit by hand: delete, rename, attributes, input shapes, outputs, weights; each checked", runEdit},
    {"recipe", "Replay a recipe of edits and rewrites on another export (apply), or list one (show)", runRecipe},
    {"diff", "Compare two models node by node (paired by structure): changes, fusions, weights (--numeric)", runDiff},
    {"quantize", "Quantize to INT8 (static or dynamic) or blocked 4/8-bit weights; score per node on held-back data", runQuantize},
};

inline const Command* findCommand(std::string_view name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace graft::cli
