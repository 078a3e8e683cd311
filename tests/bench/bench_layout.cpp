// Layout speed without the GUI: load, snapshot, grouping, and the dot layouts of the collapsed
// view, of one expanded layer, and of every group expanded, for the benchmark models.
// Usage: bench_layout [MODEL.onnx ...]   (default: the models of tests/models/make_models.py)
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "../models/bench_models.h"
#include "graft/io.h"
#include "graft/layout.h"

using namespace graft;
using bench::Stopwatch;

namespace {

// Roughly what the canvas measures: op type in 10-point text, one line of attributes.
LayoutSize sizeOf(const Node& n) {
  double w = 30 + 6.6 * static_cast<double>(n.opType().size());
  return {std::max(72.0, w), n.proto().attribute_size() > 0 ? 40.0 : 30.0};
}

// What the canvas opens with: the root, and a lone child group all the way down.
std::set<std::string> initialExpansion(const LayoutGrouping& grouping) {
  std::set<std::string> out;
  int g = 0;
  while (grouping.groups[g].children.size() == 1) {
    g = grouping.groups[g].children[0];
    out.insert(grouping.groups[g].path);
  }
  return out;
}

struct Row {
  std::string name;
  size_t nodes = 0;
  double load = 0, snapshot = 0, group = 0, collapsed = 0, expandOne = 0, expandAll = 0;
  LayoutStats collapsedStats, allStats;
  size_t groups = 0;
};

Row measure(const std::string& path) {
  Row row;
  row.name = std::filesystem::path(path).stem().string();
  Stopwatch sw;
  auto model = loadModel(path);
  if (!model) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), model.message().c_str());
    return row;
  }
  row.load = sw.seconds();
  row.nodes = model.value()->graph().nodeCount();

  sw.restart();
  auto snap = snapshotGraph(model.value()->graph(), sizeOf);
  row.snapshot = sw.seconds();

  LayoutEngine engine;
  sw.restart();
  engine.setGraph(snap);
  row.group = sw.seconds();
  row.groups = engine.grouping().groups.size();

  auto expanded = initialExpansion(engine.grouping());
  sw.restart();
  auto scene = engine.layout(expanded);
  row.collapsed = sw.seconds();
  row.collapsedStats = engine.stats();
  if (!scene) std::fprintf(stderr, "%s: %s\n", path.c_str(), scene.message().c_str());

  // One more group open: a middle child of the deepest open level (a transformer layer).
  int g = 0;
  while (engine.grouping().groups[g].children.size() == 1) g = engine.grouping().groups[g].children[0];
  const auto& children = engine.grouping().groups[g].children;
  if (!children.empty()) {
    auto more = expanded;
    more.insert(engine.grouping().groups[children[children.size() / 2]].path);
    sw.restart();
    (void)engine.layout(more);
    row.expandOne = sw.seconds();
  }

  LayoutEngine fresh;
  fresh.setGraph(snap);
  sw.restart();
  auto all = fresh.layout(fresh.allPaths());
  row.expandAll = sw.seconds();
  row.allStats = fresh.stats();
  if (!all) std::fprintf(stderr, "%s: %s\n", path.c_str(), all.message().c_str());
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) paths.push_back(argv[i]);
  if (paths.empty()) {
    for (const char* name : {"cnn", "gpt6", "decoder16k", "decoder64k"})
      if (auto p = bench::benchModel(name); !p.empty()) paths.push_back(p);
  }
  std::printf("%-12s %7s %6s | %7s %8s %7s | %9s %6s %8s | %9s | %9s %6s %7s %6s\n", "model", "nodes", "groups", "load",
              "snapshot", "group", "collapsed", "dot", "largest", "expand1", "expandAll", "dot", "reused", "dot s");
  for (const auto& path : paths) {
    // Medians of 3, each from a fresh engine (no cache carried over).
    std::vector<Row> rows;
    for (int rep = 0; rep < 3; ++rep) rows.push_back(measure(path));
    auto med = [&](double Row::*field) {
      std::vector<double> v;
      for (const auto& r : rows) v.push_back(r.*field);
      return bench::median(v);
    };
    const Row& r = rows.back();
    std::printf("%-12s %7zu %6zu | %6.3fs %7.3fs %6.3fs | %8.3fs %6llu %8llu | %8.3fs | %8.3fs %6llu %7llu %5.2fs\n",
                r.name.c_str(), r.nodes, r.groups, med(&Row::load), med(&Row::snapshot), med(&Row::group),
                med(&Row::collapsed), (unsigned long long)r.collapsedStats.dotCalls,
                (unsigned long long)r.allStats.largestDotCall, med(&Row::expandOne), med(&Row::expandAll),
                (unsigned long long)r.allStats.dotCalls, (unsigned long long)r.allStats.cacheHits, r.allStats.dotSeconds);
  }
  std::printf("peak RSS %.0f MiB\n", bench::peakRssMiB());
  return 0;
}
