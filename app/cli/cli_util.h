// Shared plumbing of the graft-cli subcommands: option parsing with --help, exit codes,
// one-line errors, loading with optional progress, and number/byte formatting.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graft/analysis.h"
#include "graft/io.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"
#include "graft/rewrite.h"

namespace graft::cli {

// Documented in docs/cli.md; scripts rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitInvalid = 1,  // check: the model breaks ONNX rules
  kExitUsage = 2,    // bad command line
  kExitError = 3,    // could not read, parse or write (the message says what and where)
};

// Options of one subcommand, parsed in one place for every command. Accepts `--name value`,
// `--name=value` and `--` (end of options); -h/--help anywhere prints the usage to stdout.
class CommandLine {
 public:
  CommandLine(std::string command, std::string usage);

  void flag(std::string name);    // --name
  void option(std::string name);  // --name VALUE
  // --name VALUE, any number of times (--rules, --dim); with commaSeparated, each value is also
  // split at commas ("--only a,b --only c" is a, b, c) and empty parts are dropped.
  void repeated(std::string name, bool commaSeparated = false);

  // Parses args; `positionals` names the required arguments in order ("MODEL"; "IN", "OUT"),
  // for messages such as "missing the OUT argument". Returns an exit code when the command must
  // stop right away (help printed: 0; usage error printed to stderr: 2), nullopt to go on.
  std::optional<int> parse(const std::vector<std::string>& args, const std::vector<std::string>& positionals);
  // Same with a count range (unnamed, the last maxPositionals - minPositionals are optional).
  std::optional<int> parse(const std::vector<std::string>& args, size_t minPositionals, size_t maxPositionals);

  bool has(const std::string& name) const { return given_.count(name) != 0; }
  const std::string& value(const std::string& name) const { return given_.at(name); }
  // A repeated option's values in the order given (empty when it was not given).
  const std::vector<std::string>& values(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Prints "graft-cli: <command>: <message> (see 'graft-cli <command> --help')"; returns 2.
  int usageError(const std::string& message) const;
  const std::string& command() const { return command_; }

 private:
  // required: how to name each missing positional ("the OUT argument").
  std::optional<int> parseImpl(const std::vector<std::string>& args, const std::vector<std::string>& required,
                               size_t maxPositionals);

  enum class Kind { Flag, Option, Repeated, RepeatedList };

  std::string command_;
  std::string usage_;
  std::map<std::string, Kind> known_;
  std::map<std::string, std::string> given_;
  std::map<std::string, std::vector<std::string>> repeatedGiven_;
  std::vector<std::string> positionals_;
};

// "batch=4" -> dims["batch"] = 4 for each --dim value; false with a message when one is malformed.
bool parseDims(const std::vector<std::string>& specs, std::map<std::string, std::int64_t>& dims, std::string& error);

// A progress callback drawing one updating line on stderr; empty when not shown (--progress).
ProgressFn stderrProgress(bool show);

// The rewriter for `--backend B` and the --rules files (match, optimize), or nullopt after
// printing why not (`code` is then the exit code).
std::optional<Rewriter> makeRewriter(const CommandLine& cl, int& code);

// Collapses a (possibly multi-line) message into one line.
std::string oneLine(std::string_view text);

// Text from a model as it may reach a terminal: control characters (C0, DEL, UTF-8-encoded C1)
// become \xHH / \u00HH, and text past maxBytes is cut with a note of the full length.
std::string terminalText(std::string_view text, std::size_t maxBytes = 4096);

// Prints "graft-cli: <message>" as one line on stderr, prefixed with `where` (a path) when the
// message does not already name it. Returns kExitError.
int reportError(const Status& status, const std::string& where = {});
int reportError(const std::string& message, const std::string& where = {});

// loadModel with an optional progress line on stderr (only when asked for).
Result<std::unique_ptr<Model>> loadWithProgress(const std::string& path, bool showProgress);

// A problem found in a model, with where it came from. Both inspect and check list these.
struct Problem {
  Diagnostic::Severity severity = Diagnostic::Severity::Error;
  std::string source;  // "validation" or "inference"
  std::string node;
  std::string opType;
  std::string message;
};

// Validation problems as reported; inference problems on ops the bundled onnx library does not
// know (custom domains) become warnings, since inference cannot be expected to handle them.
// A failed inference run as a whole is an error.
std::vector<Problem> gatherProblems(const Model& model, const Result<InferenceResult>& inference,
                                    const ValidationResult& validation);
const char* severityName(Diagnostic::Severity severity);
// "1 error, 2 warnings, 1 info" (only the non-zero parts); empty when there are none.
std::string problemCounts(const std::vector<Problem>& problems);
// "node 'conv1' (Conv)", "model"
std::string problemPlace(const Problem& problem);

// 11689512 -> "11,689,512"
std::string withThousands(std::uint64_t n);
// 1536 -> "1.5 KiB", 100 -> "100 B"
std::string humanBytes(std::uint64_t bytes);
// (1820000000, "FLOPs") -> "1.82 GFLOPs"; (216, "FLOPs") -> "216 FLOPs"
std::string humanCount(std::uint64_t n, const std::string& unit);
// "4096", "4K", "4KiB", "1M", "2G" (binary multiples); nullopt when not a size
std::optional<std::uint64_t> parseSize(std::string_view text);

// Left-aligned text columns separated by two spaces; columns listed in rightAligned are
// right-aligned (numbers). Every line starts with `indent`.
std::string formatTable(const std::vector<std::vector<std::string>>& rows, const std::string& indent,
                        const std::vector<size_t>& rightAligned = {});

// Domain as shown to users: "" -> "ai.onnx".
std::string displayDomain(const std::string& domain);

}  // namespace graft::cli
