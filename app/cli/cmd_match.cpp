// `graft-cli match MODEL --backend B`: where a backend's rules match, what the backend fuses by
// itself, what blocks it, and (--explain) why near misses did not match.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/rewrite.h"

namespace graft::cli {

namespace {

std::string nodeNames(const Graph& g, const std::vector<NodeId>& ids) {
  std::string s;
  for (NodeId id : ids) {
    const Node* n = g.findNode(id);
    s += (s.empty() ? "" : ", ") + (n ? MatchContext::label(n) : std::to_string(id));
  }
  return s;
}

const char* kUsage =
    "Usage: graft-cli match MODEL --backend B [--rules FILE ...] [--explain [--all]] [--json]\n"
    "\n"
    "Find where the rules of backend profile B match MODEL (overlaps resolved by benefit, then\n"
    "topological order), the patterns the backend fuses by itself, and the nodes that block it or\n"
    "run poorly there. Nothing is changed.\n"
    "\n"
    "Options:\n"
    "  --backend B     a profile name (see resources/profiles: onnxruntime-cpu, onnxruntime-cuda,\n"
    "                  tensorrt, openvino, portable) or a path to a .profile file\n"
    "  --rules FILE    extra rule file (repeatable); its rules apply too\n"
    "  --explain       list near misses: where a rule started to match and why it did not; by\n"
    "                  default only those where the root and at least one more node matched or only\n"
    "                  a condition failed, grouped by rule (\"Near misses: N shown (M in all)\")\n"
    "  --all           with --explain: every near miss, also single-node starts\n"
    "  --json          print {format_version, file, backend, profile, matches: [{rule, benefit, root,\n"
    "                  nodes, becomes, node_delta}], overlapped, backend_fuses: [{rule, root, nodes}],\n"
    "                  blocks: [{node, op_type, reason}], near_misses: [{rule, root, reason, partial}],\n"
    "                  warnings}\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit codes: 0 done (also when nothing matches), 2 usage error, 3 the model, profile or a\n"
    "rule file could not be read (the message says where).\n";

}  // namespace

int runMatch(std::vector<std::string> args) {
  CommandLine cl("match", kUsage);
  cl.option("--backend");
  cl.repeated("--rules", true);
  cl.flag("--explain");
  cl.flag("--all");
  cl.flag("--json");
  if (auto stop = cl.parse(args, {"MODEL"})) return *stop;
  if (!cl.has("--backend")) return cl.usageError("--backend is required (e.g. --backend onnxruntime-cpu)");
  const std::string& path = cl.positionals()[0];
  auto model = loadWithProgress(path, false);
  if (!model) return reportError(model.status(), path);
  int code = kExitOk;
  auto rw = makeRewriter(cl, code);
  if (!rw) return code;
  MatchOptions mo;
  mo.nearMisses = cl.has("--explain");
  MatchReport rep = rw->match(**model, mo);
  const Graph& g = (*model)->graph();
  const RankedNearMisses ranked = rankNearMisses(rep, cl.has("--all"));

  if (cl.has("--json")) {
    nlohmann::ordered_json j;
    j["format_version"] = 1;
    j["file"] = path;
    j["backend"] = rw->profile().name;
    j["profile"] = rw->profile().path;
    j["matches"] = nlohmann::json::array();
    for (const auto& m : rep.matches) {
      nlohmann::ordered_json e;
      e["rule"] = m.rule;
      e["benefit"] = m.benefit;
      e["root"] = m.root ? MatchContext::label(m.root) : "";
      e["nodes"] = nlohmann::json::array();
      for (const Node* n : m.nodes) e["nodes"].push_back(MatchContext::label(n));
      e["becomes"] = m.becomes;
      e["node_delta"] = m.nodeDelta;
      j["matches"].push_back(e);
    }
    j["overlapped"] = rep.overlapped.size();
    j["backend_fuses"] = nlohmann::json::array();
    for (const auto& m : rep.backendFuses) {
      nlohmann::ordered_json e;
      e["rule"] = m.rule;
      e["root"] = m.root ? MatchContext::label(m.root) : "";
      e["nodes"] = nlohmann::json::array();
      for (const Node* n : m.nodes) e["nodes"].push_back(MatchContext::label(n));
      j["backend_fuses"].push_back(e);
    }
    j["blocks"] = nlohmann::json::array();
    for (const auto& b : rep.blocks) j["blocks"].push_back({{"node", b.nodeName}, {"op_type", b.opType}, {"reason", b.reason}});
    if (mo.nearMisses) {
      j["near_misses"] = nlohmann::json::array();
      for (const auto& group : ranked.groups)
        for (size_t i : group.shown) {
          const NearMiss& n = rep.nearMisses[i];
          nlohmann::ordered_json e;
          e["rule"] = n.rule;
          e["root"] = n.rootName;
          e["reason"] = n.reason;
          e["condition_only"] = n.conditionOnly;
          e["partial"] = nlohmann::json::array();
          for (NodeId id : n.partial)
            if (const Node* p = g.findNode(id)) e["partial"].push_back(MatchContext::label(p));
          j["near_misses"].push_back(e);
        }
      j["near_misses_total"] = ranked.total;
    }
    j["warnings"] = rep.warnings;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }

  std::cout << "Backend: " << rw->profile().name
            << (rw->profile().description.empty() ? "" : " (" + rw->profile().description + ")") << "\n";
  std::cout << "Profile: " << rw->profile().path << "\n\n";
  std::cout << "Matches: " << rep.matches.size();
  if (!rep.overlapped.empty()) std::cout << " (" << rep.overlapped.size() << " more overlapped and lost)";
  std::cout << "\n";
  if (!rep.matches.empty()) {
    std::vector<std::vector<std::string>> rows{{"rule", "at", "becomes", "nodes", "change"}};
    for (const auto& m : rep.matches)
      rows.push_back({m.rule, m.root ? MatchContext::label(m.root) : (m.values.empty() ? "" : m.values.begin()->second->name()),
                      m.becomes, std::to_string(m.nodes.size()), (m.nodeDelta > 0 ? "+" : "") + std::to_string(m.nodeDelta)});
    std::cout << formatTable(rows, "  ", {3, 4});
    std::map<std::string, int> perRule;
    for (const auto& m : rep.matches) perRule[m.rule]++;
    std::cout << "  per rule:";
    for (const auto& [r, n] : perRule) std::cout << " " << r << " " << n << ";";
    std::cout << "\n";
  }
  std::cout << "\nBackend will fuse: " << rep.backendFuses.size() << "\n";
  for (const auto& m : rep.backendFuses)
    std::cout << "  " << m.rule << " at " << terminalText(m.root ? MatchContext::label(m.root) : "") << " ("
              << terminalText(nodeNames(g, m.nodeIds)) << ")\n";
  std::cout << "\nBlocks: " << rep.blocks.size() << "\n";
  for (const auto& b : rep.blocks)
    std::cout << "  " << terminalText(b.nodeName + " (" + b.opType + "): " + b.reason) << "\n";
  if (mo.nearMisses) {
    std::cout << "\nNear misses: " << ranked.shown << " shown (" << ranked.total << " in all";
    if (!cl.has("--all") && ranked.shown < ranked.total) std::cout << "; --all lists every one";
    std::cout << ")\n";
    for (const auto& group : ranked.groups) {
      std::cout << "  " << group.rule << ": " << group.shown.size();
      if (group.shown.size() != group.total) std::cout << " of " << group.total;
      std::cout << "\n";
      for (size_t i : group.shown) {
        const NearMiss& n = rep.nearMisses[i];
        std::cout << "    at " << terminalText(n.rootName + ": " + n.reason) << "\n";
      }
    }
  }
  for (const auto& w : rep.warnings) std::cerr << "graft-cli: match: warning: " << terminalText(oneLine(w)) << "\n";
  return kExitOk;
}

}  // namespace graft::cli
