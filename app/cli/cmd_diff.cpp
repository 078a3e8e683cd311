// `graft-cli diff A B`: pairs the nodes of two models by structure and says what is same, changed,
// added, removed, fused or split, which weights changed, and with --numeric where the numbers part.
#include <charconv>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/diff.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/numbers.h"

namespace graft::cli {

namespace {

const char* kUsage =
    "Usage: graft-cli diff A B [--json] [--numeric] [--input NAME=FILE ...] [--seed N]\n"
    "                          [--dim NAME=VALUE ...] [--atol X] [--rtol Y] [--progress]\n"
    "\n"
    "Compare two models. Nodes are paired by structure, not by name, so renamed, re-exported,\n"
    "reordered and optimized models still line up. Prints a summary, then the changes grouped by\n"
    "module scope: changed nodes (op type, attributes, declared output types), added and removed\n"
    "nodes, fused and split groups, changed weights, graph I/O, opset and metadata changes.\n"
    "\n"
    "Options:\n"
    "  --json             print one JSON object (schema in docs/cli.md)\n"
    "  --numeric          also run both models on the same inputs and compare every paired\n"
    "                     intermediate value; name the first node beyond tolerance\n"
    "  --input NAME=FILE  an input for --numeric (.npy or .pb; repeatable); others are seeded\n"
    "  --seed N           seed for the random inputs (default 0)\n"
    "  --dim NAME=VALUE   size of a symbolic dimension of seeded inputs (repeatable; default 1)\n"
    "  --atol X           absolute tolerance (default 1e-4)\n"
    "  --rtol Y           relative tolerance (default 1e-3): beyond when |a - b| > atol + rtol * |a|\n"
    "  --progress         show progress on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit codes: 0 the models are the same (structure and weights; with --numeric also within\n"
    "tolerance), 1 they differ, 2 usage error or models that cannot be compared, 3 read error.\n";

std::string num(double v) { return formatGeneral(v, 4); }

bool parseDouble(const std::string& s, double& out) {
  auto v = parseNumber(s);
  if (v) out = *v;
  return v.has_value();
}

// A node as users find it: its name, or what it produces when it has none.
std::string label(const Node* n) {
  if (!n) return {};
  if (!n->name().empty()) return n->name();
  const Value* o = n->outputs().empty() ? nullptr : n->outputs()[0];
  return n->opType() + " producing '" + (o ? o->name() : std::string("?")) + "'";
}

std::string names(const std::vector<Node*>& nodes) {
  std::string s;
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    if (k == 6) {
      s += ", … (" + std::to_string(nodes.size()) + " nodes)";
      break;
    }
    s += (k ? ", " : "") + label(nodes[k]);
  }
  return s;
}

nlohmann::ordered_json toJson(const ModelDiff& d, const std::string& pa, const std::string& pb, const NumericDiff* numeric,
                              bool same) {
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["a"] = pa;
  j["b"] = pb;
  j["same"] = same;
  const DiffSummary& s = d.summary;
  j["summary"] = {{"same", s.same},
                  {"changed", s.changed},
                  {"added", s.added},
                  {"removed", s.removed},
                  {"fused", s.fused},
                  {"split", s.split},
                  {"weights_changed", s.weightsChanged},
                  {"weights_added", s.weightsAdded},
                  {"weights_removed", s.weightsRemoved},
                  {"weights_same", s.weightsSame},
                  {"nodes_a", s.nodesA},
                  {"nodes_b", s.nodesB},
                  {"paired", s.pairedNodes},
                  {"model_changes", s.modelChanges}};
  j["model_changes"] = d.modelChanges;
  auto& nodes = j["nodes"] = nlohmann::ordered_json::array();
  for (const auto& e : d.nodes) {
    nlohmann::ordered_json x;
    x["status"] = diffStatusName(e.status);
    x["a"] = nlohmann::ordered_json::array();
    for (const Node* n : e.a) x["a"].push_back(label(n));
    x["b"] = nlohmann::ordered_json::array();
    for (const Node* n : e.b) x["b"].push_back(label(n));
    x["op"] = e.op;
    x["scope"] = e.scope;
    x["changes"] = e.changes;
    if (!e.rule.empty()) x["rule"] = e.rule;
    nodes.push_back(std::move(x));
  }
  auto& weights = j["weights"] = nlohmann::ordered_json::array();
  for (const auto& w : d.weights) {
    nlohmann::ordered_json x;
    x["status"] = diffStatusName(w.status);
    x["a"] = w.a ? nlohmann::ordered_json(w.a->name()) : nlohmann::ordered_json();
    x["b"] = w.b ? nlohmann::ordered_json(w.b->name()) : nlohmann::ordered_json();
    x["type"] = w.type;
    if (w.status == DiffStatus::Same || w.status == DiffStatus::Changed) {
      x["max_abs"] = w.maxAbs;
      x["max_rel"] = w.maxRel;
      x["cosine"] = w.cosine;
    }
    if (!w.note.empty()) x["note"] = w.note;
    weights.push_back(std::move(x));
  }
  auto& scopes = j["scopes"] = nlohmann::ordered_json::array();
  for (const auto& c : d.scopes)
    scopes.push_back({{"scope", c.scope},
                      {"same", c.same},
                      {"changed", c.changed},
                      {"added", c.added},
                      {"removed", c.removed},
                      {"fused", c.fused},
                      {"split", c.split}});
  if (numeric) {
    nlohmann::ordered_json n;
    n["atol"] = numeric->atol;
    n["rtol"] = numeric->rtol;
    n["inputs"] = numeric->inputsUsed;
    if (numeric->firstDivergence >= 0) {
      const NodeError& e = numeric->nodes[numeric->firstDivergence];
      n["first_divergence"] = {{"a", label(e.a)}, {"b", label(e.b)}, {"max_abs", e.maxAbs}, {"max_rel", e.maxRel},
                               {"value_a", e.valueA}, {"value_b", e.valueB}};
    } else {
      n["first_divergence"] = nullptr;
    }
    auto& list = n["nodes"] = nlohmann::ordered_json::array();
    for (const auto& e : numeric->nodes) {
      nlohmann::ordered_json x{{"a", label(e.a)}, {"b", label(e.b)}, {"max_abs", e.maxAbs}, {"max_rel", e.maxRel},
                               {"beyond_tolerance", e.beyondTolerance}};
      if (!e.note.empty()) x["note"] = e.note;
      list.push_back(std::move(x));
    }
    j["numeric"] = std::move(n);
  }
  return j;
}

void printHuman(const ModelDiff& d, const std::string& pa, const std::string& pb, const NumericDiff* numeric) {
  const DiffSummary& s = d.summary;
  auto& out = std::cout;
  out << "A: " << pa << " (" << withThousands(s.nodesA) << " nodes)\n";
  out << "B: " << pb << " (" << withThousands(s.nodesB) << " nodes)\n";
  double share = s.nodesA ? 100.0 * static_cast<double>(s.pairedNodes) / static_cast<double>(s.nodesA) : 100.0;
  out << "Paired " << withThousands(s.pairedNodes) << " of " << withThousands(s.nodesA) << " nodes of A (" << num(share) << "%)\n";
  out << "Nodes:   " << s.same << " same, " << s.changed << " changed, " << s.added << " added, " << s.removed << " removed, "
      << s.fused << " fused, " << s.split << " split\n";
  out << "Weights: " << s.weightsSame << " same, " << s.weightsChanged << " changed, " << s.weightsAdded << " added, "
      << s.weightsRemoved << " removed\n";
  if (!d.modelChanges.empty()) {
    out << "\nModel:\n";
    for (const auto& c : d.modelChanges) out << "  " << c << "\n";
  }
  std::map<std::string, std::vector<const NodeDiff*>> byScope;
  for (const auto& e : d.nodes)
    if (e.status != DiffStatus::Same) byScope[e.scope].push_back(&e);
  if (!byScope.empty()) out << "\nChanges by scope:\n";
  for (const auto& [scope, entries] : byScope) {
    out << "  " << (scope.empty() ? "(root)" : scope) << "\n";
    for (const NodeDiff* e : entries) {
      out << "    " << diffStatusName(e->status) << "  " << e->op;
      switch (e->status) {
        case DiffStatus::Added: out << "  " << names(e->b); break;
        case DiffStatus::Removed: out << "  " << names(e->a); break;
        case DiffStatus::Changed:
          out << "  " << names(e->a);
          if (names(e->a) != names(e->b)) out << " ↔ " << names(e->b);
          break;
        default: out << "  " << names(e->a) << " → " << names(e->b); break;
      }
      out << "\n";
      for (const auto& c : e->changes) out << "        " << c << "\n";
    }
  }
  bool anyWeight = false;
  for (const auto& w : d.weights) {
    if (w.status == DiffStatus::Same) continue;
    if (!anyWeight) out << "\nWeights:\n";
    anyWeight = true;
    out << "  " << diffStatusName(w.status) << "  ";
    if (w.a && w.b && w.a->name() != w.b->name()) out << w.a->name() << " ↔ " << w.b->name();
    else out << (w.a ? w.a->name() : w.b->name());
    out << "  " << w.type;
    if (w.status == DiffStatus::Changed && w.note.empty())
      out << "  max abs " << num(w.maxAbs) << ", max rel " << num(w.maxRel) << ", cosine " << num(w.cosine);
    if (!w.note.empty()) out << "  (" << w.note << ")";
    out << "\n";
  }
  if (numeric) {
    out << "\nNumeric (atol " << num(numeric->atol) << ", rtol " << num(numeric->rtol) << "; ";
    for (std::size_t k = 0; k < numeric->inputsUsed.size(); ++k) out << (k ? ", " : "") << numeric->inputsUsed[k];
    out << "):\n";
    if (numeric->firstDivergence < 0) {
      out << "  every paired value within tolerance (" << numeric->nodes.size() << " nodes compared)\n";
    } else {
      const NodeError& e = numeric->nodes[numeric->firstDivergence];
      out << "  first divergence: " << label(e.a);
      if (label(e.a) != label(e.b)) out << " ↔ " << label(e.b);
      out << " (" << e.a->opType() << "), max abs " << num(e.maxAbs) << ", max rel " << num(e.maxRel) << "\n";
      std::size_t beyond = 0;
      double worst = 0;
      for (const auto& x : numeric->nodes) {
        if (x.beyondTolerance) ++beyond;
        worst = std::max(worst, x.maxAbs);
      }
      out << "  " << beyond << " of " << numeric->nodes.size() << " paired nodes beyond tolerance; largest max abs " << num(worst)
          << "\n";
    }
  }
  out << "\n" << (d.identical() && (!numeric || numeric->firstDivergence < 0) ? "The models are the same." : "The models differ.")
      << "\n";
}

}  // namespace

int runDiff(std::vector<std::string> args) {
  CommandLine cl("diff", kUsage);
  cl.flag("--json");
  cl.flag("--numeric");
  cl.flag("--progress");
  cl.repeated("--input");
  cl.repeated("--dim");
  cl.option("--seed");
  cl.option("--atol");
  cl.option("--rtol");
  if (auto stop = cl.parse(args, std::vector<std::string>{"A", "B"})) return *stop;
  NumericDiffOptions nopt;
  std::string error;
  if (!parseDims(cl.values("--dim"), nopt.dims, error)) return cl.usageError(error);
  if (cl.has("--seed")) {
    const std::string& s = cl.value("--seed");
    auto r = std::from_chars(s.data(), s.data() + s.size(), nopt.seed);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return cl.usageError("--seed takes a non-negative integer");
  }
  if (cl.has("--atol") && (!parseDouble(cl.value("--atol"), nopt.atol) || nopt.atol < 0))
    return cl.usageError("--atol takes a non-negative number such as 1e-4");
  if (cl.has("--rtol") && (!parseDouble(cl.value("--rtol"), nopt.rtol) || nopt.rtol < 0))
    return cl.usageError("--rtol takes a non-negative number such as 1e-3");
  bool numeric = cl.has("--numeric");
  if (!numeric && (!cl.values("--input").empty() || cl.has("--seed") || !cl.values("--dim").empty() || cl.has("--atol") ||
                   cl.has("--rtol")))
    return cl.usageError("--input, --seed, --dim, --atol and --rtol apply to --numeric; add --numeric");
  bool progress = cl.has("--progress");
  const std::string& pa = cl.positionals()[0];
  const std::string& pb = cl.positionals()[1];
  auto a = loadWithProgress(pa, progress);
  if (!a) return reportError(a.status(), pa);
  auto b = loadWithProgress(pb, progress);
  if (!b) return reportError(b.status(), pb);
  for (const auto& spec : cl.values("--input")) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) return cl.usageError("--input expects NAME=FILE, got '" + spec + "'");
    std::string file = spec.substr(eq + 1);
    auto arr = readArrayFile(file);
    if (!arr) return reportError(arr.status(), file);
    nopt.inputs[spec.substr(0, eq)] = arr.value();
  }

  DiffOptions dopt;
  dopt.progress = stderrProgress(progress);
  auto d = diffModels(**a, **b, dopt);
  if (!d) {
    reportError(d.status());
    return kExitUsage;  // not comparable (a cycle) or cancelled
  }
  std::optional<NumericDiff> nd;
  if (numeric) {
    nopt.progress = stderrProgress(progress);
    auto r = numericDiff(**a, **b, d->pairing, nopt);
    if (!r) {
      reportError("the models cannot be compared numerically: " + oneLine(r.message()));
      return kExitUsage;
    }
    nd = std::move(r.value());
  }
  bool same = d->identical() && (!nd || nd->firstDivergence < 0);
  if (cl.has("--json")) {
    std::cout << toJson(*d, pa, pb, nd ? &*nd : nullptr, same).dump(2) << "\n";
  } else {
    printHuman(*d, pa, pb, nd ? &*nd : nullptr);
  }
  return same ? kExitOk : kExitInvalid;
}

}  // namespace graft::cli
