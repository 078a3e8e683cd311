// Speed and memory of the reference evaluator on one model: median/p90 latency over N runs
// and the process's peak resident memory, to set beside ONNX Runtime's numbers
// (../shared/oracle/bench.js --level disabled --threads 2) on the same machine.
//
//   bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile] [--nodes K] [--unfused] [--fusion-error] [--peak [--ceiling]] [--json]
//   bench_eval --compare [--runs N] [--threads T] [--oracle DIR] [--models DIR] [--only NAME,NAME...]
//
// --profile prints the time per op type (sums of per-node medians over up to 10 more runs),
// --nodes K also the K slowest nodes;
// --unfused runs every node on its own (EvalOptions::fuse off) to measure what fusion gives;
// --fusion-error also compares each float output of a fused run with the unfused run's (SQNR and
// the largest difference; identical outputs say so), to see what fusion changes on a model.
// --peak also measures the CPU's fused multiply-add peak on T threads (fmaPeak below) and sets the
// model's multiply-accumulates per second (the engine's statistics) beside it.
// --ceiling (with --peak) also times oneDNN's best on the model's float convolutions alone
// (libraryCeiling below): what any program calling this library could reach on this machine.
//
// Without MODEL it times a small built-in case from the backend test data. --compare makes
// ResNet-50, a BERT-style encoder, a GPT-style decoder (sequence 128), ViT-B/16 and MobileNetV2
// (tests/models/export_eval_models.py, batch 1), runs each model in ONNX Runtime
// (tests/bench/ort_bench_mem.js: the oracle's bench.js runs plus the process's memory and CPU
// time; graph optimizations disabled, same thread count) and then in a fresh process of this
// program, and prints both side by side with the load average during each.
#include <algorithm>
#include <chrono>
#include <cmath>
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
#if defined(GRAFT_BENCH_ONEDNN)
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#endif

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

#if defined(GRAFT_BENCH_ONEDNN)
// oneDNN's own best on the model's 2-D float convolutions, as a ceiling for the evaluator: every
// Conv of the main graph (constant weights, inferred input shape) as one primitive in the layout
// the library picks for it (blocked activations, weights reordered once, before timing), a
// following Relu fused as a post-op, and a residual Add (+ Relu) fused as a sum post-op. A Conv
// reads its producer's output buffer when that is a fused Conv of the same layout. Nothing else
// runs: no pooling, no reorders between layouts, no graph. The chain runs on `threads` OpenMP
// threads, the library's own parallelism; the median of `runs` passes. Returns 0 when the model
// has no such Conv; convs and macs say what was timed.
double libraryCeiling(const graft::Model& model, const graft::InferenceResult& types, int threads, int runs, int& convs, double& macs) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream st(eng);
  auto ints = [](const graft::Node& n, const char* name, std::vector<std::int64_t> fallback) {
    const onnx::AttributeProto* a = n.attribute(name);
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  };
  auto shapeOf = [&](const std::string& name) -> std::vector<std::int64_t> {
    auto it = types.types.find(name);
    if (it == types.types.end() || !it->second.has_tensor_type()) return {};
    std::vector<std::int64_t> dims;
    for (const auto& d : it->second.tensor_type().shape().dim()) {
      if (!d.has_dim_value()) return {};
      dims.push_back(d.dim_value());
    }
    return dims;
  };
  // The single node reading a value, if exactly one reads it.
  auto soleUse = [](const graft::Value* v) -> graft::Node* { return v->uses().size() == 1 ? v->uses()[0].node : nullptr; };
  std::vector<convolution_forward> prims;
  std::vector<std::unordered_map<int, memory>> args;
  std::map<std::string, memory> written;  // value name -> the buffer a fused conv writes it to
  convs = 0;
  macs = 0;
  for (graft::Node* n : model.graph().nodes()) {
    if (n->opType() != "Conv" || n->inputs().size() < 2 || !n->inputs()[1] || !n->inputs()[1]->isInitializer()) continue;
    const auto x = shapeOf(n->inputs()[0]->name());
    const auto w = n->inputs()[1]->initializer()->dims();
    const auto y = shapeOf(n->outputs()[0]->name());
    if (x.size() != 4 || w.size() != 4 || y.size() != 4 || n->inputs()[1]->initializer()->dataType() != onnx::TensorProto::FLOAT) continue;
    const std::int64_t groups = n->attribute("group") ? n->attribute("group")->i() : 1;
    const auto strides = ints(*n, "strides", {1, 1}), dil = ints(*n, "dilations", {1, 1}), pads = ints(*n, "pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) continue;
    // Post-ops: Conv -> Relu, or Conv -> Add(other) -> Relu with the Add's other input ready.
    post_ops po;
    const graft::Value* out = n->outputs()[0];
    graft::Node* next = soleUse(out);
    if (next && next->opType() == "Add" && next->inputs().size() == 2 && shapeOf(next->outputs()[0]->name()) == y) {
      po.append_sum(1.f);
      out = next->outputs()[0];
      next = soleUse(out);
    }
    if (next && next->opType() == "Relu") {
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      out = next->outputs()[0];
    }
    primitive_attr attr;
    attr.set_post_ops(po);
    const memory::dims src{x[0], x[1], x[2], x[3]}, dst{y[0], y[1], y[2], y[3]}, bias{y[1]};
    const memory::dims wei = groups > 1 ? memory::dims{groups, w[0] / groups, w[1], w[2], w[3]} : memory::dims{w[0], w[1], w[2], w[3]};
    auto any = memory::format_tag::any;
    memory::desc sd(src, memory::data_type::f32, any), wd(wei, memory::data_type::f32, any),
        dd(dst, memory::data_type::f32, any), bd(bias, memory::data_type::f32, memory::format_tag::x);
    convolution_forward::primitive_desc pd;
    try {
      convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, sd, wd, bd, dd, {strides[0], strides[1]},
                                  {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]});
      pd = convolution_forward::primitive_desc(d, attr, eng);
    } catch (const dnnl::error&) {
      continue;
    }
    std::unordered_map<int, memory> a;
    auto in = written.find(n->inputs()[0]->name());
    a[DNNL_ARG_SRC] = in != written.end() && in->second.get_desc() == pd.src_desc() ? in->second : memory(pd.src_desc(), eng);
    a[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), eng);
    a[DNNL_ARG_BIAS] = memory(bd, eng);
    a[DNNL_ARG_DST] = memory(pd.dst_desc(), eng);
    for (int k : {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}) {
      float* p = static_cast<float*>(a[k].get_data_handle());
      const std::size_t count = a[k].get_desc().get_size() / sizeof(float);
      for (std::size_t i = 0; i < count; ++i) p[i] = 0.01f * static_cast<float>(i % 13) - 0.05f;
    }
    written[out->name()] = a[DNNL_ARG_DST];
    prims.emplace_back(pd);
    args.push_back(std::move(a));
    ++convs;
    macs += static_cast<double>(y[0] * y[1] * y[2] * y[3]) * static_cast<double>(w[1] * w[2] * w[3]);
  }
  if (prims.empty()) return 0;
  omp_set_num_threads(threads);
  std::vector<double> ms;
  for (int r = 0; r < runs + 3; ++r) {
    auto s = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < prims.size(); ++i) prims[i].execute(st, args[i]);
    st.wait();
    if (r >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}
#endif

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
  bool profile = false, json = false, comparing = false, unfused = false, peak = false, ceiling = false, fusionError = false;
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
    else if (a == "--fusion-error") fusionError = true;
    else if (a == "--peak") peak = true;
    else if (a == "--ceiling") peak = ceiling = true;
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
      std::printf("usage: bench_eval MODEL [--runs N] [--threads T] [--dim NAME=VALUE ...] [--seed N] [--profile] [--nodes K] [--unfused] [--fusion-error] [--peak [--ceiling]] [--json]\n"
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
  auto warm = ev.value()->run(inputs.value(), options);
  if (!warm) {
    std::fprintf(stderr, "bench_eval: %s\n", warm.message().c_str());
    return 1;
  }
  if (fusionError) {
    graft::EvalOptions separate = options;
    separate.fuse = false;
    auto plain = ev.value()->run(inputs.value(), separate);
    if (!plain) {
      std::fprintf(stderr, "bench_eval: unfused: %s\n", plain.message().c_str());
      return 1;
    }
    for (const auto& [name, a] : warm.value()) {
      auto it = plain.value().find(name);
      if (it == plain.value().end() || !a.isTensor() || a.dtype() != onnx::TensorProto_DataType_FLOAT || it->second.size() != a.size())
        continue;
      const float* x = a.data<float>();
      const float* y = it->second.data<float>();
      double signal = 0, noise = 0, worst = 0;
      for (std::int64_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(x[i]) - y[i];
        signal += static_cast<double>(y[i]) * y[i];
        noise += d * d;
        worst = std::max(worst, std::abs(d));
      }
      if (noise == 0)
        std::printf("fusion error     %s: identical to the unfused run\n", name.c_str());
      else
        std::printf("fusion error     %s: SQNR %.1f dB against the unfused run, largest difference %.3g\n", name.c_str(),
                    10 * std::log10(signal / noise), worst);
    }
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
    if (ceiling) {
#if defined(GRAFT_BENCH_ONEDNN)
      int convs = 0;
      double convMacs = 0;
      const double best = types ? libraryCeiling(*model.value(), types.value(), threads, runs, convs, convMacs) : 0;
      if (best > 0) {
        std::printf("oneDNN ceiling   %.2f ms for the %d Conv nodes alone (%.3f G MACs, %.1f GMAC/s), each in the layout\n"
                    "                 oneDNN picks, Relu and residual Add fused, no reorders, %d OpenMP threads; load %.2f\n",
                    best, convs, convMacs / 1e9, convMacs / best / 1e6, threads, loadAverage());
        if (top > 0) std::printf("                 %.2fx the time at peak of the whole model\n", best / (macs / top * 1000));
      } else {
        std::printf("oneDNN ceiling   no 2-D float Conv with constant weights and inferred shapes\n");
      }
#else
      std::printf("oneDNN ceiling   not built (libdnnl-dev and OpenMP not found)\n");
#endif
    }
  }
  return 0;
}
