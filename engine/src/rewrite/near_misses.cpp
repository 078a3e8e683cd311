// Ranking near misses for people: which failed attempts are worth reading, grouped by rule.
// (A ConvNeXt has ~950 near misses, nearly all "an Add whose input is not a Mul": noise.)
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "graft/rewrite.h"

namespace graft {

bool nearMissIsReadable(const NearMiss& miss) { return miss.conditionOnly || miss.partial.size() >= 2; }

RankedNearMisses rankNearMisses(const MatchReport& report, bool all) {
  RankedNearMisses ranked;
  ranked.total = report.nearMisses.size();
  // A root another match rewrites anyway is no loss worth explaining.
  std::unordered_set<NodeId> rewritten;
  for (const auto& m : report.matches) rewritten.insert(m.nodeIds.begin(), m.nodeIds.end());
  // Sibling rules (a fusion with and without its extra output) fail at the same root for the
  // same reason: that failure is shown once, under the rule that got furthest.
  std::vector<size_t> byDepth(report.nearMisses.size());
  for (size_t i = 0; i < byDepth.size(); ++i) byDepth[i] = i;
  std::stable_sort(byDepth.begin(), byDepth.end(), [&](size_t a, size_t b) {
    return report.nearMisses[a].depth > report.nearMisses[b].depth;
  });
  std::set<std::pair<NodeId, std::string>> explained;
  std::vector<char> show(report.nearMisses.size(), 0);
  for (size_t i : byDepth) {
    const NearMiss& nm = report.nearMisses[i];
    if (all) {
      show[i] = 1;
    } else if (nearMissIsReadable(nm) && !rewritten.count(nm.root)) {
      show[i] = explained.emplace(nm.root, nm.reason).second;
    }
  }
  std::map<std::string, size_t> groupOf;
  for (size_t i = 0; i < report.nearMisses.size(); ++i) {
    const NearMiss& nm = report.nearMisses[i];
    auto [it, fresh] = groupOf.emplace(nm.rule, ranked.groups.size());
    if (fresh) ranked.groups.push_back({nm.rule, {}, 0});
    NearMissGroup& g = ranked.groups[it->second];
    ++g.total;
    if (show[i]) g.shown.push_back(i);
  }
  std::erase_if(ranked.groups, [](const NearMissGroup& g) { return g.shown.empty(); });
  for (auto& g : ranked.groups) {
    // Stable: equal depths keep the order the rule found them in (topological).
    std::stable_sort(g.shown.begin(), g.shown.end(), [&](size_t a, size_t b) {
      return report.nearMisses[a].depth > report.nearMisses[b].depth;
    });
    ranked.shown += g.shown.size();
  }
  std::stable_sort(ranked.groups.begin(), ranked.groups.end(), [](const NearMissGroup& a, const NearMissGroup& b) {
    if (a.shown.size() != b.shown.size()) return a.shown.size() > b.shown.size();
    return a.rule < b.rule;
  });
  return ranked;
}

}  // namespace graft
