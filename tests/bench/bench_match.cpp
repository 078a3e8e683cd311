// Matcher speed: every match of a backend profile's rules on a generated decoder of ~60,000
// nodes (the size of real LLM decoders). Target: under 200 ms for the matching itself.
// Usage: bench_match [--layers N] [--backend NAME|PATH] [--repeat K] [--per-rule] [--rule NAME]
//   default: 7,500 layers (60,002 nodes), onnxruntime-cpu, best of 5.
//   --per-rule: every rule's time and match count (not just the slowest six), in profile order.
//   --rule NAME: time only that rule, --repeat times (for profiling one rule with perf/callgrind).
// Reports separately: indexing (topological order, op index), matching all rules with the
// types known (what the studio does after each edit, with its cached inference), the same with
// near-miss explanations, and shape inference (done once per model revision).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "../models/bench_models.h"
#include "../models/decoder_builder.h"
#include "graft/analysis.h"
#include "graft/rewrite.h"

using namespace graft;
using bench::Stopwatch;

int main(int argc, char** argv) {
  int layers = 7500, repeat = 5;
  std::string backend = "onnxruntime-cpu", onlyRule;
  bool perRuleAll = false;
  for (int i = 1; i < argc; ++i) {
    bool hasValue = i + 1 < argc;
    if (!std::strcmp(argv[i], "--per-rule")) perRuleAll = true;
    else if (!std::strcmp(argv[i], "--layers") && hasValue) layers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--backend") && hasValue) backend = argv[++i];
    else if (!std::strcmp(argv[i], "--repeat") && hasValue) repeat = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rule") && hasValue) onlyRule = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: bench_match [--layers N] [--backend NAME|PATH] [--repeat K] [--per-rule] [--rule NAME]\n");
      return 2;
    }
  }
  Stopwatch sw;
  auto model = test::makeDecoder(layers);
  if (!model) return 1;
  double build = sw.seconds();
  auto profile = findProfile(backend);
  if (!profile) {
    std::fprintf(stderr, "%s\n", profile.message().c_str());
    return 1;
  }
  auto rw = Rewriter::create(*profile);
  if (!rw) {
    std::fprintf(stderr, "%s\n", rw.message().c_str());
    return 1;
  }
  sw.restart();
  auto inf = inferShapes(*model);
  double inference = sw.seconds();
  TypeTable types;
  if (inf) types.types = inf->types;

  auto best = [&](auto&& fn) {
    double b = 1e30;
    for (int k = 0; k < repeat; ++k) {
      Stopwatch t;
      fn();
      b = std::min(b, t.seconds());
    }
    return b;
  };
  // One rule on a fresh index each time (the index caches types and constants as rules ask
  // for them, so reusing one would time a warm cache); only findMatches is timed.
  auto bestRule = [&](const Rule& rule, std::vector<Match>& out) {
    double b = 1e30;
    for (int k = 0; k < repeat; ++k) {
      auto ctx = MatchContext::create(model->graph(), &types);
      out.clear();
      Stopwatch t;
      rule.findMatches(**ctx, out, nullptr);
      b = std::min(b, t.seconds());
    }
    return b;
  };
  if (!onlyRule.empty()) {
    const auto* rule = rw->findRule(onlyRule);
    if (!rule) {
      std::fprintf(stderr, "bench_match: profile %s has no rule '%s'\n", profile->name.c_str(), onlyRule.c_str());
      return 2;
    }
    std::vector<Match> out;
    double t = bestRule(**rule, out);
    std::printf("bench_match: decoder %d layers, %zu nodes, rule %s: %.2f ms, %zu matches, best of %d\n", layers,
                model->graph().nodeCount(), onlyRule.c_str(), t * 1e3, out.size(), repeat);
    return 0;
  }
  double index = best([&] { (void)MatchContext::create(model->graph(), &types); });
  MatchReport report;
  MatchOptions mo;
  mo.types = &types;
  double match = best([&] { report = rw->match(*model, mo); });
  MatchOptions explain = mo;
  explain.nearMisses = true;
  MatchReport withMisses;
  double matchExplain = best([&] { withMisses = rw->match(*model, explain); });
  // Per rule, to see which rule dominates.
  struct RuleTime {
    double seconds;
    std::string name;
    size_t found;  // before overlaps are resolved
  };
  std::vector<RuleTime> perRule;
  for (const auto& r : rw->rules()) {
    std::vector<Match> out;
    double t = bestRule(*r, out);
    perRule.push_back({t, r->name(), out.size()});
  }
  std::vector<RuleTime> slowest = perRule;
  std::stable_sort(slowest.begin(), slowest.end(), [](const RuleTime& a, const RuleTime& b) { return a.seconds > b.seconds; });

  std::printf("bench_match: decoder %d layers, %zu nodes, backend %s (%zu rules), best of %d\n", layers,
              model->graph().nodeCount(), profile->name.c_str(), rw->rules().size(), repeat);
  std::printf("  build model            %8.1f ms\n", build * 1e3);
  std::printf("  shape inference        %8.1f ms   (once per revision; cached by the studio)\n", inference * 1e3);
  std::printf("  index (topo, by op)    %8.1f ms\n", index * 1e3);
  std::printf("  match all rules        %8.1f ms   %zu matches, %zu overlapped, %zu blocks, %zu backend-fuses  [target < 200 ms]\n",
              match * 1e3, report.matches.size(), report.overlapped.size(), report.blocks.size(),
              report.backendFuses.size());
  std::printf("  match + near misses    %8.1f ms   %zu near misses\n", matchExplain * 1e3, withMisses.nearMisses.size());
  if (perRuleAll) {
    double sum = 0;
    std::printf("  per rule (profile order; found = before overlaps are resolved):\n");
    for (const auto& r : perRule) {
      std::printf("    %-34s %8.2f ms %7zu found\n", r.name.c_str(), r.seconds * 1e3, r.found);
      sum += r.seconds;
    }
    std::printf("    %-34s %8.2f ms\n", "(sum)", sum * 1e3);
  } else {
    std::printf("  slowest rules:\n");
    for (size_t i = 0; i < slowest.size() && i < 6; ++i)
      std::printf("    %-34s %8.2f ms\n", slowest[i].name.c_str(), slowest[i].seconds * 1e3);
  }
  std::map<std::string, int> perMatchRule;
  for (const auto& m : report.matches) perMatchRule[m.rule]++;
  for (const auto& [r, n] : perMatchRule) std::printf("    matched %-26s %6d\n", r.c_str(), n);
  return match < 0.2 ? 0 : 1;
}
