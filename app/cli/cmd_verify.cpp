// `graft-cli verify A B`: runs two models on the same seeded inputs and says whether they
// compute the same thing (exit 0), differ beyond tolerance (1), or cannot be compared (2).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_util.h"
#include "commands.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/numbers.h"

namespace graft::cli {

namespace {

const char* kUsage =
    "Usage: graft-cli verify A B [--seed N] [--atol X] [--rtol Y] [--dim NAME=VALUE ...] [--json] [--progress]\n"
    "\n"
    "Feed models A and B the same seeded random inputs (matched by input name) and compare\n"
    "their outputs (by name, or by position when the names differ): max abs diff, max rel diff,\n"
    "cosine similarity and, for [N, C] outputs, top-1 agreement. An output is within tolerance\n"
    "when |a - b| <= atol + rtol * |b| everywhere.\n"
    "\n"
    "Options:\n"
    "  --seed N           seed for the random inputs (default 0)\n"
    "  --atol X           absolute tolerance (default 1e-4)\n"
    "  --rtol Y           relative tolerance (default 1e-3)\n"
    "  --dim NAME=VALUE   size of a symbolic dimension (repeatable; default 1)\n"
    "  --json             print {a, b, comparable, why_not, within_tolerance, atol, rtol,\n"
    "                     outputs: [{name, type_a, type_b, max_abs_diff, max_rel_diff, cosine,\n"
    "                     top1_agreement, within_tolerance, problem}]}\n"
    "  --progress         show progress on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit codes: 0 within tolerance, 1 outside tolerance, 2 the models cannot be compared\n"
    "(unreadable, different inputs, a model that cannot run) or a usage error.\n";

constexpr int kExitNotComparable = 2;

std::string num(double v) {
  std::ostringstream os;
  os << std::setprecision(4) << v;
  return os.str();
}

}  // namespace

int runVerify(std::vector<std::string> args) {
  CommandLine cl("verify", kUsage);
  cl.repeated("--dim");
  cl.option("--seed");
  cl.option("--atol");
  cl.option("--rtol");
  cl.flag("--json");
  cl.flag("--progress");
  if (auto stop = cl.parse(args, 2, 2)) return *stop;
  VerifyOptions options;
  std::string error;
  if (!parseDims(cl.values("--dim"), options.dims, error)) return cl.usageError(error);
  try {
    if (cl.has("--seed")) options.seed = std::stoull(cl.value("--seed"));
  } catch (const std::exception&) {
    return cl.usageError("--seed takes an integer, --atol and --rtol take numbers");
  }
  // '.' is the decimal point whatever the locale ("--atol 1e-4", "--rtol 0.001").
  for (auto [flag, slot] : {std::pair{"--atol", &options.atol}, std::pair{"--rtol", &options.rtol}}) {
    if (!cl.has(flag)) continue;
    auto v = graft::parseNumber(cl.value(flag));
    if (!v) return cl.usageError("--seed takes an integer, --atol and --rtol take numbers");
    *slot = *v;
  }
  options.progress = stderrProgress(cl.has("--progress"));
  const std::string& pa = cl.positionals()[0];
  const std::string& pb = cl.positionals()[1];
  auto a = loadWithProgress(pa, cl.has("--progress"));
  if (!a) {
    reportError(a.status(), pa);
    return kExitNotComparable;
  }
  auto b = loadWithProgress(pb, cl.has("--progress"));
  if (!b) {
    reportError(b.status(), pb);
    return kExitNotComparable;
  }
  auto report = verifyModels(**a, **b, options);
  if (!report) {
    reportError(report.status());
    return kExitNotComparable;
  }
  const VerifyReport& r = report.value();
  int code = !r.comparable ? kExitNotComparable : (r.withinTolerance ? kExitOk : kExitInvalid);

  if (cl.has("--json")) {
    nlohmann::ordered_json j;
    j["a"] = pa;
    j["b"] = pb;
    j["comparable"] = r.comparable;
    if (!r.comparable) j["why_not"] = r.whyNot;
    j["within_tolerance"] = r.withinTolerance;
    j["atol"] = options.atol;
    j["rtol"] = options.rtol;
    j["seed"] = options.seed;
    j["outputs"] = nlohmann::json::array();
    for (const auto& o : r.outputs) {
      nlohmann::ordered_json e;
      e["name"] = o.name;
      e["type_a"] = o.typeA;
      e["type_b"] = o.typeB;
      e["max_abs_diff"] = o.maxAbsDiff;
      e["max_rel_diff"] = o.maxRelDiff;
      e["cosine"] = o.cosine;
      if (o.top1Agreement) e["top1_agreement"] = *o.top1Agreement;
      e["within_tolerance"] = o.withinTolerance;
      if (!o.problem.empty()) e["problem"] = o.problem;
      j["outputs"].push_back(e);
    }
    std::cout << j.dump(2) << "\n";
    return code;
  }
  if (!r.comparable) {
    std::cerr << "graft-cli: verify: the models cannot be compared: " << oneLine(r.whyNot) << std::endl;
    return code;
  }
  std::vector<std::vector<std::string>> rows{{"output", "type", "max abs diff", "max rel diff", "cosine", "top-1", "verdict"}};
  for (const auto& o : r.outputs)
    rows.push_back({o.name, o.typeA == o.typeB ? o.typeA : o.typeA + " vs " + o.typeB, num(o.maxAbsDiff), num(o.maxRelDiff),
                    num(o.cosine), o.top1Agreement ? num(*o.top1Agreement * 100) + "%" : "-",
                    !o.problem.empty() ? o.problem : (o.withinTolerance ? "ok" : "DIFFERS")});
  std::cout << formatTable(rows, "  ", {2, 3, 4, 5});
  std::cout << "\n"
            << (r.withinTolerance ? "Same within tolerance" : "Outputs differ beyond tolerance") << " (atol " << num(options.atol)
            << ", rtol " << num(options.rtol) << ", seed " << options.seed << ").\n";
  return code;
}

}  // namespace graft::cli
