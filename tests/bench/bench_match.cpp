// Matcher speed: every match of a backend profile's rules on a generated decoder of ~60,000
// nodes (the size of real LLM decoders). Target: under 200 ms for the matching itself.
// Usage: bench_match [--layers N] [--backend NAME|PATH] [--repeat K]
//   default: 7,500 layers (60,002 nodes), onnxruntime-cpu, best of 5.
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
  std::string backend = "onnxruntime-cpu";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--layers")) layers = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--backend")) backend = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_match [--layers N] [--backend NAME|PATH] [--repeat K]\n");
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
  double index = best([&] { (void)MatchContext::create(model->graph(), &types); });
  MatchReport report;
  MatchOptions mo;
  mo.types = &types;
  double match = best([&] { report = rw->match(*model, mo); });
  MatchOptions explain = mo;
  explain.nearMisses = true;
  MatchReport withMisses;
  double matchExplain = best([&] { withMisses = rw->match(*model, explain); });
  // Per rule (on one index), to see which rule dominates.
  auto ctx = MatchContext::create(model->graph(), &types);
  std::vector<std::pair<double, std::string>> perRule;
  for (const auto& r : rw->rules()) {
    std::vector<Match> out;
    double t = best([&] {
      out.clear();
      r->findMatches(**ctx, out, nullptr);
    });
    perRule.emplace_back(t, r->name());
  }
  std::sort(perRule.rbegin(), perRule.rend());

  std::printf("bench_match: decoder %d layers, %zu nodes, backend %s (%zu rules), best of %d\n", layers,
              model->graph().nodeCount(), profile->name.c_str(), rw->rules().size(), repeat);
  std::printf("  build model            %8.1f ms\n", build * 1e3);
  std::printf("  shape inference        %8.1f ms   (once per revision; cached by the studio)\n", inference * 1e3);
  std::printf("  index (topo, by op)    %8.1f ms\n", index * 1e3);
  std::printf("  match all rules        %8.1f ms   %zu matches, %zu overlapped, %zu blocks, %zu backend-fuses  [target < 200 ms]\n",
              match * 1e3, report.matches.size(), report.overlapped.size(), report.blocks.size(),
              report.backendFuses.size());
  std::printf("  match + near misses    %8.1f ms   %zu near misses\n", matchExplain * 1e3, withMisses.nearMisses.size());
  std::printf("  slowest rules:\n");
  for (size_t i = 0; i < perRule.size() && i < 6; ++i)
    std::printf("    %-34s %8.2f ms\n", perRule[i].second.c_str(), perRule[i].first * 1e3);
  std::map<std::string, int> perMatchRule;
  for (const auto& m : report.matches) perMatchRule[m.rule]++;
  for (const auto& [r, n] : perMatchRule) std::printf("    matched %-26s %6d\n", r.c_str(), n);
  return match < 0.2 ? 0 : 1;
}
