// Speed and memory of the reference evaluator on one model: median/p90 latency over N runs
// and the process's peak resident memory, to set beside ONNX Runtime's numbers
// (../shared/oracle/bench.js --level disabled --threads 2) on the same machine.
//
//   bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile] [--nodes K] [--unfused] [--peak] [--json]
//   bench_eval --compare [--runs N] [--threads T] [--oracle DIR] [--models DIR] [--only NAME,NAME...]
//
// --profile prints the time per op type (sums of per-node medians over up to 10 more runs),
// --nodes K also the K slowest nodes;
// --unfused runs every node on its own (EvalOptions::fuse off) to measure what fusion gives.
// --peak also measures the CPU's fused multiply-add peak on T threads (fmaPeak below) and sets the
// model's multiply-accumulates per second (the engine's statistics) beside it.
//
// Without MODEL it times a small built-in case from the backend test data. --compare makes
// ResNet-50, a BERT-style encoder, a GPT-style decoder (sequence 128), ViT-B/16 and MobileNetV2
// (tests/models/export_eval_models.py, batch 1), runs each model in ONNX Runtime
// (tests/bench/ort_bench_mem.js: the oracle's bench.js runs plus the process's memory and CPU
// time; graph optimizations disabled, same thread count) and then in a fresh process of this
// program, and prints both side by side with the load average during each.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <thread>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <nlohmann/json.hpp>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "../models/bench_models.h"

namespace {

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double loadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : 0;
}

long peakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

#if defined(__x86_64__)
// Twelve independent chains of 16-lane fused multiply-adds (more than latency times ports), so
// the loop runs at the FMA units' throughput; distinct starting values keep the compiler from
// merging the chains.
__attribute__((target("avx512f,fma"), noinline)) float fmaChains(long iterations) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(0.1f + 0.01f * static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long k = 0; k < iterations; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}
#endif

// The measured fused multiply-add peak of `threads` cores in multiply-accumulates per second
// (0 without AVX-512): each thread runs the chains for about 0.3 s; the best of three rounds.
double fmaPeak(int threads) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) return 0;
  const long iterations = 80'000'000;
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    std::vector<float> sink(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[static_cast<std::size_t>(t)] = fmaChains(iterations); });
    for (auto& t : pool) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(iterations) * 12 * 16 * threads / seconds);
  }
  return best;
#else
  (void)threads;
  return 0;
#endif
}

// Runs a command and returns its standard output (empty on failure).
std::string capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) return {};
  }
  return out;
}

nlohmann::json parseLastJson(const std::string& text) {
  auto start = text.find('{');
  if (start == std::string::npos) return {};
  try {
    return nlohmann::json::parse(text.substr(start));
  } catch (...) {
    return {};
  }
}

int compare(int runs, int threads, const std::string& oracle, std::string models, const std::string& only) {
  std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (models.empty()) models = graft::bench::modelDir();
  std::printf("%-13s %9s %9s %7s %10s %10s %7s %9s %9s %6s %6s\n", "model", "graft ms", "ORT ms", "ratio", "graft MiB", "ORT MiB",
              "ratio", "graft cpu", "ORT cpu", "load", "load");
  for (const char* name : {"resnet50", "bert", "gpt_decoder", "vit_b_16", "mobilenet_v2"}) {
    if (!only.empty() && ("," + only + ",").find("," + std::string(name) + ",") == std::string::npos) continue;
    std::string path = models + "/" + name + "/model.onnx";
    if (!std::filesystem::exists(path)) {
      std::fprintf(stderr, "making %s (tests/models/export_eval_models.py) ...\n", path.c_str());
      std::string cmd = python + " '" GRAFT_SOURCE_DIR "/tests/models/export_eval_models.py' '" + models + "' " + name + " >&2";
      if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(path)) {
        std::fprintf(stderr, "could not make %s (needs /usr/bin/python3 with torch)\n", name);
        continue;
      }
    }
    std::string self = graft::bench::executableDir() + "/bench_eval";
    auto o = parseLastJson(capture("node '" GRAFT_SOURCE_DIR "/tests/bench/ort_bench_mem.js' '" + oracle + "' '" + path +
                                   "' --json --level disabled --runs " + std::to_string(runs) +
                                   " --threads " + std::to_string(threads) +
                                   // token types index a 2-row table (bench.js draws integers from [0, 256))
                                   (std::string(name) == "bert" ? " --int token_type_ids=0:2" : "")));
    auto g = parseLastJson(capture("'" + self + "' '" + path + "' --json --runs " + std::to_string(runs) + " --threads " + std::to_string(threads)));
    auto has = [](const nlohmann::json& j, const char* k) { return j.contains(k) && j[k].is_number(); };
    if (!has(g, "median_ms") || !has(g, "peak_rss_mib") || !has(o, "median_ms") || !has(o, "peak_rss_mib")) {
      std::fprintf(stderr, "%s: %s failed\n", name, !has(g, "median_ms") ? "bench_eval" : "ONNX Runtime (tests/bench/ort_bench_mem.js; run ../shared/oracle/setup first)");
      continue;
    }
    double gms = g["median_ms"], oms = o["median_ms"];
    double gcpu = g.value("cpu_ms_per_run", 0.0), ocpu = o.value("cpu_ms_per_run", 0.0);
    double gload = g.value("load_average", 0.0), oload = o.value("load_average", 0.0);
    // Memory: each side's peak resident set above what the process held before loading.
    double gmem = g["peak_rss_mib"].get<double>() - g["baseline_rss_mib"].get<double>();
    double omem = o["peak_rss_mib"].get<double>() - o["peak_rss_before_session_mib"].get<double>();
    std::printf("%-13s %9.1f %9.1f %6.2fx %10.1f %10.1f %6.2fx %9.1f %9.1f %6.2f %6.2f\n", name, gms, oms, gms / oms, gmem, omem, gmem / omem,
                gcpu, ocpu, gload, oload);
  }
  std::printf("(batch 1, %d threads, median of %d runs, ONNX Runtime first then Graft for each model; memory = peak RSS above\n"
              " the level before the model was loaded; cpu = CPU ms of all threads per run (ONNX Runtime's pool spins while it\n"
              " waits); load = the 1-minute load average during each side's runs; ONNX Runtime with graph optimizations\n"
              " disabled; Graft on %s)\n",
              threads, runs, graft::evalKernelLibrary());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(GRAFT_TESTDATA_DIR) + "/pytorch-converted/test_Conv2d_depthwise_padded/model.onnx";
  int runs = 10, threads = 2;
  bool profile = false, json = false, comparing = false, unfused = false, peak = false;
  int slowestNodes = 0;
  std::string oracle = GRAFT_SOURCE_DIR "/../shared/oracle", models, only;
  long baseline = peakRssKiB();
  std::uint64_t seed = 0;
  std::map<std::string, std::int64_t> dims;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--runs") runs = std::max(1, std::stoi(next()));
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--profile") profile = true;
    else if (a == "--nodes") profile = true, slowestNodes = std::stoi(next());
    else if (a == "--unfused") unfused = true;
    else if (a == "--peak") peak = true;
    else if (a == "--only") only = next();
    else if (a == "--json") json = true;
    else if (a == "--compare") comparing = true;
    else if (a == "--oracle") oracle = next();
    else if (a == "--models") models = next();
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--dim") {
      std::string d = next();
      auto eq = d.find('=');
      if (eq != std::string::npos) dims[d.substr(0, eq)] = std::stoll(d.substr(eq + 1));
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile] [--nodes K] [--unfused] [--peak] [--json]\n"
                  "       bench_eval --compare [--runs N] [--threads T] [--oracle DIR] [--models DIR] [--only NAME,NAME...]\n");
      return 0;
    } else path = a;
  }
  if (comparing) return compare(runs, threads, oracle, models, only);
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
  options.fuse = !unfused;
  // One warm-up run (page faults, first allocations), then the timed runs.
  if (auto r = ev.value()->run(inputs.value(), options); !r) {
    std::fprintf(stderr, "bench_eval: %s\n", r.message().c_str());
    return 1;
  }
  std::vector<double> ms;
  double cpu0 = cpuSeconds(), load0 = loadAverage();
  for (int i = 0; i < runs; ++i) {
    auto s = std::chrono::steady_clock::now();
    auto r = ev.value()->run(inputs.value(), options);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
    if (!r) return 1;
  }
  // CPU time per run (all threads): the work done, which a busy machine inflates far less than
  // the wall time; the load average says how busy it was.
  double cpuMs = (cpuSeconds() - cpu0) * 1000 / runs, load = (load0 + loadAverage()) / 2;
  if (profile) {
    // Time per op type: the progress callback fires before each node, so the gap between two
    // calls is the previous node's time.
    // Over up to 10 more runs, each node's median time (a busy machine's preemptions land in a few).
    std::map<std::string, double> byOp;
    std::map<std::string, std::vector<double>> byNode;
    std::map<std::string, std::string> opOfNode;
    model.value()->graph().forEachNode([&](const graft::Node& n) { opOfNode[n.name()] = n.opType(); });
    // A fused chain reports once, under its last node's name.
    for (const auto& [last, kind] : ev.value()->fusedChains()) opOfNode[last] = "fused " + kind;
    std::string current;
    auto last = std::chrono::steady_clock::now();
    graft::EvalOptions p = options;
    p.progress = [&](double, std::string_view stage) {
      auto now = std::chrono::steady_clock::now();
      double t = std::chrono::duration<double, std::milli>(now - last).count();
      if (!current.empty()) byNode[current].push_back(t);
      current = std::string(stage);
      last = now;
      return true;
    };
    for (int r = 0; r < std::min(runs, 10); ++r) {
      current.clear();
      (void)ev.value()->run(inputs.value(), p);
    }
    std::map<std::string, double> nodeMedian;
    for (auto& [node, times] : byNode) {
      std::sort(times.begin(), times.end());
      nodeMedian[node] = times[times.size() / 2];
      byOp[opOfNode[node]] += times[times.size() / 2];
    }
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [op, t] : byOp) rows.push_back({t, op});
    std::sort(rows.rbegin(), rows.rend());
    for (auto& [t, op] : rows) std::printf("  %-22s %9.2f ms\n", op.c_str(), t);
    rows.clear();
    for (auto& [node, t] : nodeMedian) rows.push_back({t, node});
    std::sort(rows.rbegin(), rows.rend());
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(slowestNodes); ++i)
      std::printf("  %8.3f ms  %-10s %s\n", rows[i].first, opOfNode[rows[i].second].c_str(), rows[i].second.c_str());
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2], p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  if (json) {
    nlohmann::json j = {{"model", path},
                        {"threads", threads},
                        {"runs", runs},
                        {"median_ms", median},
                        {"p90_ms", p90},
                        {"cpu_ms_per_run", cpuMs},
                        {"load_average", load},
                        {"kernels", graft::evalKernelLibrary()},
                        {"prepare_ms", prepare * 1000},
                        {"peak_activations_mib", static_cast<double>(ev.value()->lastStats().peakBytes) / (1 << 20)},
                        {"peak_rss_mib", static_cast<double>(peakRssKiB()) / 1024},
                        {"baseline_rss_mib", static_cast<double>(baseline) / 1024}};
    std::printf("%s\n", j.dump(1).c_str());
    return 0;
  }
  std::printf("model            %s\n", path.c_str());
  std::printf("threads          %d\n", threads);
  std::printf("kernels          %s\n", graft::evalKernelLibrary());
  std::printf("load average     %.2f\n", load);
  std::printf("load+prepare     %.1f ms\n", prepare * 1000);
  std::printf("runs             %d\n", runs);
  std::printf("median           %.2f ms\n", median);
  std::printf("p90              %.2f ms\n", p90);
  std::printf("cpu per run      %.2f ms\n", cpuMs);
  std::printf("peak activations %.1f MiB\n", static_cast<double>(ev.value()->lastStats().peakBytes) / (1 << 20));
  std::printf("peak RSS         %.1f MiB\n", static_cast<double>(peakRssKiB()) / 1024);
  if (peak) {
    auto types = graft::inferShapes(*model.value());
    const graft::Statistics stats = graft::computeStatistics(*model.value(), types ? &types.value() : nullptr);
    const double macs = static_cast<double>(stats.macs), rate = macs / (median / 1000), top = fmaPeak(threads);
    std::printf("model MACs       %.3f G (%zu nodes not counted)\n", macs / 1e9, stats.nodesWithUnknownCost);
    std::printf("achieved         %.1f GMAC/s\n", rate / 1e9);
    if (top > 0) {
      std::printf("FMA peak         %.1f GMAC/s (measured: %d threads of 16-lane AVX-512 FMAs, two per cycle = %.2f GHz)\n", top / 1e9,
                  threads, top / threads / 32 / 1e9);
      std::printf("time at peak     %.2f ms; this run %.2fx that\n", macs / top * 1000, median / (macs / top * 1000));
    }
  }
  return 0;
}
