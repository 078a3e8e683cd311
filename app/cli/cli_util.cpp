#include "cli_util.h"

#include "graft/numbers.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace graft::cli {

// ---------------------------------------------------------------- command line

CommandLine::CommandLine(std::string command, std::string usage)
    : command_(std::move(command)), usage_(std::move(usage)) {}

void CommandLine::flag(std::string name) { known_[std::move(name)] = Kind::Flag; }
void CommandLine::option(std::string name) { known_[std::move(name)] = Kind::Option; }
void CommandLine::repeated(std::string name, bool commaSeparated) {
  known_[std::move(name)] = commaSeparated ? Kind::RepeatedList : Kind::Repeated;
}

const std::vector<std::string>& CommandLine::values(const std::string& name) const {
  static const std::vector<std::string> none;
  auto it = repeatedGiven_.find(name);
  return it == repeatedGiven_.end() ? none : it->second;
}

std::optional<int> CommandLine::parse(const std::vector<std::string>& args, size_t minPositionals,
                                      size_t maxPositionals) {
  std::vector<std::string> names;
  for (size_t i = 0; i < minPositionals; ++i)
    names.push_back(minPositionals == 1 ? "the MODEL argument"
                                        : "argument " + std::to_string(i + 1) + " of " + std::to_string(minPositionals));
  return parseImpl(args, names, maxPositionals);
}

std::optional<int> CommandLine::parse(const std::vector<std::string>& args,
                                      const std::vector<std::string>& positionals) {
  std::vector<std::string> names;
  for (const auto& p : positionals) names.push_back("the " + p + " argument");
  return parseImpl(args, names, positionals.size());
}

std::optional<int> CommandLine::parseImpl(const std::vector<std::string>& args,
                                          const std::vector<std::string>& required, size_t maxPositionals) {
  // --help wins over every other mistake on the line, so a user can always get the usage.
  // A repeated option's value is never taken for it (`--rules -h` names a rule file).
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a == "-h" || a == "--help") {
      std::cout << usage_;
      return kExitOk;
    }
    if (auto it = known_.find(a); it != known_.end() && (it->second == Kind::Repeated || it->second == Kind::RepeatedList))
      ++i;
  }
  bool optionsEnded = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (optionsEnded || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      optionsEnded = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inlineValue;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      inlineValue = a.substr(eq + 1);
    }
    auto it = known_.find(name);
    if (it == known_.end()) return usageError("unknown option '" + name + "'");
    const Kind kind = it->second;
    if (kind == Kind::Flag) {
      if (given_.count(name)) return usageError("option '" + name + "' given twice");
      if (inlineValue) return usageError("option '" + name + "' takes no value");
      given_[name] = "";
      continue;
    }
    if (kind == Kind::Option && given_.count(name)) return usageError("option '" + name + "' given twice");
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return usageError("option '" + name + "' needs a value");
    }
    if (kind == Kind::Option) {
      given_[name] = std::move(value);
      continue;
    }
    auto& list = repeatedGiven_[name];
    if (kind == Kind::Repeated) {
      list.push_back(std::move(value));
      continue;
    }
    for (size_t start = 0;;) {
      size_t comma = value.find(',', start);
      std::string part = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) list.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (positionals_.size() < required.size()) return usageError("missing " + required[positionals_.size()]);
  if (positionals_.size() > maxPositionals)
    return usageError("unexpected argument '" + positionals_[maxPositionals] + "'");
  return std::nullopt;
}

int CommandLine::usageError(const std::string& message) const {
  std::cerr << "graft-cli: " << command_ << ": " << message << " (see 'graft-cli " << command_ << " --help')"
            << std::endl;
  return kExitUsage;
}

bool parseDims(const std::vector<std::string>& specs, std::map<std::string, std::int64_t>& dims, std::string& error) {
  for (const auto& s : specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--dim expects NAME=VALUE, got '" + s + "'";
      return false;
    }
    try {
      std::size_t used = 0;
      long long v = std::stoll(s.substr(eq + 1), &used);
      if (used != s.size() - eq - 1 || v <= 0) throw std::invalid_argument("");
      dims[s.substr(0, eq)] = v;
    } catch (const std::exception&) {
      error = "--dim " + s + ": the value must be a positive integer";
      return false;
    }
  }
  return true;
}

ProgressFn stderrProgress(bool show) {
  if (!show) return {};
  return [](double f, std::string_view stage) {
    std::cerr << "\r" << std::setw(3) << static_cast<int>(std::max(0.0, f) * 100) << "% " << std::string(stage).substr(0, 60)
              << "\033[K" << std::flush;
    if (f >= 1.0) std::cerr << "\n";
    return true;
  };
}

std::optional<Rewriter> makeRewriter(const CommandLine& cl, int& code) {
  auto profile = findProfile(cl.value("--backend"));
  if (!profile) {
    code = reportError(profile.status());
    return std::nullopt;
  }
  auto rw = Rewriter::create(*profile, cl.values("--rules"));
  if (!rw) {
    code = reportError(rw.status());
    return std::nullopt;
  }
  return std::move(*rw);
}

// ---------------------------------------------------------------- errors

std::string oneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pendingSpace = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out += ' ';
    pendingSpace = false;
    out += c;
  }
  return out;
}

// Text from a model (names, producer, doc strings, locations) is the attacker's: control
// characters would reach the terminal as escape sequences (ESC, and the C1 controls U+0080-U+009F
// that some terminals obey too), and a 1 MB location would make a 2 MB line.
std::string terminalText(std::string_view text, std::size_t maxBytes) {
  std::string out;
  out.reserve(std::min(text.size(), maxBytes) + 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= maxBytes) {
      out += "... (" + std::to_string(text.size()) + " bytes in all)";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    char hex[16];
    if (c < 0x20 || c == 0x7f) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      std::snprintf(hex, sizeof hex, "\\u%04x", next);
      out += hex;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int reportError(const std::string& message, const std::string& where) {
  std::string line = oneLine(message);
  if (line.empty()) line = "unknown error";
  if (!where.empty() && line.find(where) == std::string::npos) line = where + ": " + line;
  std::cerr << "graft-cli: " << terminalText(line) << std::endl;
  return kExitError;
}

int reportError(const Status& status, const std::string& where) { return reportError(status.message(), where); }

// ---------------------------------------------------------------- loading

namespace {

// Draws "graft-cli: loading  42% <stage>" on stderr: redrawn in place on a terminal, one line
// per stage otherwise (logs stay readable).
class ProgressLine {
 public:
  ProgressLine() : tty_(isatty(STDERR_FILENO) != 0) {}
  ~ProgressLine() {
    if (drawn_ && tty_) std::cerr << "\n";
    std::cerr.flush();
  }
  bool operator()(double fraction, std::string_view stage) {
    int percent = fraction < 0 ? -1 : static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * 100));
    if (percent == lastPercent_ && stage == lastStage_) return true;
    bool newStage = stage != lastStage_;
    lastPercent_ = percent;
    lastStage_ = std::string(stage);
    std::string text = "graft-cli: loading";
    if (percent >= 0) text += " " + std::to_string(percent) + "%";
    if (!stage.empty()) text += " " + std::string(stage);
    if (tty_) {
      std::cerr << "\r" << text << "\033[K";
      std::cerr.flush();
      drawn_ = true;
    } else if (newStage || percent == 100) {
      std::cerr << text << "\n";
    }
    return true;
  }

 private:
  bool tty_;
  bool drawn_ = false;
  int lastPercent_ = -2;
  std::string lastStage_ = "\x01";
};

}  // namespace

Result<std::unique_ptr<Model>> loadWithProgress(const std::string& path, bool showProgress) {
  if (!showProgress) return loadModel(path);
  ProgressLine line;
  return loadModel(path, LoadOptions{}, [&line](double f, std::string_view s) { return line(f, s); });
}

// ---------------------------------------------------------------- problems

const char* severityName(Diagnostic::Severity severity) {
  switch (severity) {
    case Diagnostic::Severity::Info: return "info";
    case Diagnostic::Severity::Warning: return "warning";
    case Diagnostic::Severity::Error: return "error";
  }
  return "error";
}

std::string problemCounts(const std::vector<Problem>& problems) {
  size_t counts[3] = {0, 0, 0};
  for (const auto& p : problems) ++counts[static_cast<int>(p.severity)];
  std::string out;
  auto add = [&out](size_t n, const char* word, bool plural) {
    if (!n) return;
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + word + (n != 1 && plural ? "s" : "");
  };
  add(counts[static_cast<int>(Diagnostic::Severity::Error)], "error", true);
  add(counts[static_cast<int>(Diagnostic::Severity::Warning)], "warning", true);
  add(counts[static_cast<int>(Diagnostic::Severity::Info)], "info", false);
  return out;
}

std::string problemPlace(const Problem& p) {
  if (p.node.empty() && p.opType.empty()) return "model";
  std::string s;
  if (!p.node.empty()) s = "node '" + p.node + "'";
  if (!p.opType.empty()) s += (s.empty() ? "" : " ") + std::string("(") + p.opType + ")";
  return s;
}

std::vector<Problem> gatherProblems(const Model& model, const Result<InferenceResult>& inference,
                                    const ValidationResult& validation) {
  std::vector<Problem> out;
  for (const auto& d : validation.problems)
    out.push_back({d.severity, "validation", d.node, d.opType, d.message});

  if (!inference.isOk()) {
    out.push_back({Diagnostic::Severity::Error, "inference", "", "",
                   "shape inference failed: " + inference.message()});
    return out;
  }

  // Ops the bundled onnx library has no schema for, by name and by op type (inference
  // diagnostics name unnamed nodes "<op> #<index>", which a name lookup cannot find).
  std::set<std::string> unknownNodes, unknownOps;
  model.forEachGraph([&](const Graph& g) {
    g.forEachNode([&](const Node& n) {
      if (describeNode(n).known) return;
      if (!n.name().empty()) unknownNodes.insert(n.name());
      unknownOps.insert(n.opType());
      if (!n.domain().empty() && n.domain() != "ai.onnx") unknownOps.insert(n.domain() + ":" + n.opType());
    });
  });
  for (const auto& d : inference->problems) {
    Problem p{d.severity, "inference", d.node, d.opType, d.message};
    bool custom = unknownNodes.count(d.node) || unknownOps.count(d.opType);
    if (custom && p.severity == Diagnostic::Severity::Error) p.severity = Diagnostic::Severity::Warning;
    out.push_back(std::move(p));
  }
  return out;
}

// ---------------------------------------------------------------- formatting

std::string withThousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out += ',';
    out += *it;
    ++count;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {
std::string fixed(double v, int decimals) {
  return graft::formatFixed(v, decimals);
}
}  // namespace

std::string humanBytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return fixed(v, v < 10 ? 2 : 1) + " " + units[u];
}

std::string humanCount(std::uint64_t n, const std::string& unit) {
  static const char* units[] = {"", "K", "M", "G", "T", "P", "E"};
  if (n < 1000) return std::to_string(n) + " " + unit;
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 6) {
    v /= 1000;
    ++u;
  }
  return fixed(v, v < 10 ? 2 : (v < 100 ? 1 : 0)) + " " + units[u] + unit;
}

std::optional<std::uint64_t> parseSize(std::string_view text) {
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string suffix(ptr, text.data() + text.size());
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::toupper(c); });
  std::uint64_t mult = 1;
  if (suffix.empty() || suffix == "B") mult = 1;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB") mult = 1ull << 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB") mult = 1ull << 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB") mult = 1ull << 30;
  else return std::nullopt;
  if (n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

std::string formatTable(const std::vector<std::vector<std::string>>& rows, const std::string& indent,
                        const std::vector<size_t>& rightAligned) {
  // Cells often quote the model (names, op types, messages): shown escaped, never raw.
  std::vector<std::vector<std::string>> shown;
  shown.reserve(rows.size());
  for (const auto& r : rows) {
    shown.emplace_back();
    for (const auto& cell : r) shown.back().push_back(terminalText(cell));
  }
  std::vector<size_t> width;
  for (const auto& r : shown)
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.resize(c + 1, 0);
      width[c] = std::max(width[c], r[c].size());
    }
  std::ostringstream out;
  for (const auto& r : shown) {
    std::string line = indent;
    for (size_t c = 0; c < r.size(); ++c) {
      bool last = c + 1 == r.size();
      bool right = std::find(rightAligned.begin(), rightAligned.end(), c) != rightAligned.end();
      std::string pad(width[c] - r[c].size(), ' ');
      if (right) line += pad + r[c];
      else line += last ? r[c] : r[c] + pad;
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  return out.str();
}

std::string displayDomain(const std::string& domain) { return domain.empty() ? "ai.onnx" : domain; }

}  // namespace graft::cli
