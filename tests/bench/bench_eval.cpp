// Speed and memory of the reference evaluator on one model: median/p90 latency over N runs
// and the process's peak resident memory, to set beside ONNX Runtime's numbers
// (../shared/oracle/bench.js --level disabled --threads 2) on the same machine.
//
//   bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile]
//
// Without MODEL it times a small built-in case from the backend test data.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "graft/eval.h"
#include "graft/io.h"

namespace {

long peakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(GRAFT_TESTDATA_DIR) + "/pytorch-converted/test_Conv2d_depthwise_padded/model.onnx";
  int runs = 10, threads = 2;
  bool profile = false;
  std::uint64_t seed = 0;
  std::map<std::string, std::int64_t> dims;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--runs") runs = std::max(1, std::stoi(next()));
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--profile") profile = true;
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--dim") {
      std::string d = next();
      auto eq = d.find('=');
      if (eq != std::string::npos) dims[d.substr(0, eq)] = std::stoll(d.substr(eq + 1));
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile]\n");
      return 0;
    } else path = a;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto model = graft::loadModel(path);
  if (!model) {
    std::fprintf(stderr, "bench_eval: %s\n", model.message().c_str());
    return 1;
  }
  auto inputs = graft::randomInputs(*model.value(), seed, dims);
  if (!inputs) {
    std::fprintf(stderr, "bench_eval: %s\n", inputs.message().c_str());
    return 1;
  }
  auto ev = graft::Evaluator::create(*model.value());
  if (!ev) {
    std::fprintf(stderr, "bench_eval: %s\n", ev.message().c_str());
    return 1;
  }
  double prepare = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  graft::EvalOptions options;
  options.threads = threads;
  // One warm-up run (page faults, first allocations), then the timed runs.
  if (auto r = ev.value()->run(inputs.value(), options); !r) {
    std::fprintf(stderr, "bench_eval: %s\n", r.message().c_str());
    return 1;
  }
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto s = std::chrono::steady_clock::now();
    auto r = ev.value()->run(inputs.value(), options);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
    if (!r) return 1;
  }
  if (profile) {
    // Time per op type: the progress callback fires before each node, so the gap between two
    // calls is the previous node's time.
    std::map<std::string, double> byOp;
    std::map<std::string, std::string> opOfNode;
    model.value()->graph().forEachNode([&](const graft::Node& n) { opOfNode[n.name()] = n.opType(); });
    std::string current;
    auto last = std::chrono::steady_clock::now();
    graft::EvalOptions p = options;
    p.progress = [&](double, std::string_view stage) {
      auto now = std::chrono::steady_clock::now();
      if (!current.empty()) byOp[opOfNode[current]] += std::chrono::duration<double, std::milli>(now - last).count();
      current = std::string(stage);
      last = now;
      return true;
    };
    (void)ev.value()->run(inputs.value(), p);
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [op, t] : byOp) rows.push_back({t, op});
    std::sort(rows.rbegin(), rows.rend());
    for (auto& [t, op] : rows) std::printf("  %-22s %9.2f ms\n", op.c_str(), t);
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2], p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  std::printf("model            %s\n", path.c_str());
  std::printf("threads          %d\n", threads);
  std::printf("load+prepare     %.1f ms\n", prepare * 1000);
  std::printf("runs             %d\n", runs);
  std::printf("median           %.2f ms\n", median);
  std::printf("p90              %.2f ms\n", p90);
  std::printf("peak activations %.1f MiB\n", static_cast<double>(ev.value()->lastStats().peakBytes) / (1 << 20));
  std::printf("peak RSS         %.1f MiB\n", static_cast<double>(peakRssKiB()) / 1024);
  return 0;
}
