// bench_io: how long opening a 100 MB model takes (load, shape inference, statistics, save),
// how long the analysis of a 64k-node decoder takes (what the studio runs in the background after
// showing it, and `graft-cli inspect` before printing), and how much memory opening a model with
// 1 GiB of external data costs (mapped, not read).
//
// Usage: bench_io [--runs N]      prints a markdown table; models go to a temporary folder.
//        bench_io --child-rss M   (internal) loads M in this fresh process and prints its peak RSS.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "graft/analysis.h"
#include "graft/io.h"
#include "../models/bench_models.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_io: %s\n", what.c_str());
  std::exit(1);
}

// Peak resident set of this process so far, in bytes (VmHWM of /proc/self/status).
std::uint64_t peakRss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

double millisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double medianMs(int runs, const std::function<void()>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(millisSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

onnx::ValueInfoProto floatInfo(const std::string& name, std::vector<std::int64_t> dims) {
  onnx::ValueInfoProto vi;
  vi.set_name(name);
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return vi;
}

onnx::ModelProto emptyModel(const std::string& graphName) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("graft bench_io");
  m.add_opset_import()->set_version(17);
  m.mutable_graph()->set_name(graphName);
  return m;
}

onnx::NodeProto* addNode(onnx::GraphProto& g, const std::string& op, const std::string& name,
                         std::vector<std::string> inputs, const std::string& output) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

// A float initializer with raw bytes from a cheap generator (not zeros: nothing compresses it).
void addWeight(onnx::GraphProto& g, const std::string& name, std::vector<std::int64_t> dims, std::uint32_t seed) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  std::uint64_t n = 1;
  for (auto d : dims) {
    t->add_dims(d);
    n *= static_cast<std::uint64_t>(d);
  }
  std::string raw(n * 4, '\0');
  std::uint32_t s = seed * 2654435761u + 1;
  for (std::uint64_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    float f = (static_cast<float>(s >> 8) / 16777216.0f - 0.5f) * 0.05f;
    std::memcpy(raw.data() + 4 * i, &f, 4);
  }
  t->set_raw_data(std::move(raw));
}

// A 12-layer transformer-style MLP stack on [1,128,512]: LayerNorm, fc1 (512x2048), Relu,
// fc2 (2048x512), residual Add. 12 x 8 MiB of weights, about 100 MB in one .onnx file.
onnx::ModelProto transformerMlp(int layers) {
  constexpr int kDim = 512, kHidden = 2048, kTokens = 128;
  onnx::ModelProto m = emptyModel("mlp_stack");
  auto& g = *m.mutable_graph();
  *g.add_input() = floatInfo("x", {1, kTokens, kDim});
  std::string x = "x";
  for (int l = 0; l < layers; ++l) {
    const std::string p = "/layers." + std::to_string(l);
    const std::string w = "layers." + std::to_string(l);
    addWeight(g, w + ".norm.weight", {kDim}, static_cast<std::uint32_t>(6 * l));
    addWeight(g, w + ".norm.bias", {kDim}, static_cast<std::uint32_t>(6 * l + 1));
    addWeight(g, w + ".fc1.weight", {kDim, kHidden}, static_cast<std::uint32_t>(6 * l + 2));
    addWeight(g, w + ".fc1.bias", {kHidden}, static_cast<std::uint32_t>(6 * l + 3));
    addWeight(g, w + ".fc2.weight", {kHidden, kDim}, static_cast<std::uint32_t>(6 * l + 4));
    addWeight(g, w + ".fc2.bias", {kDim}, static_cast<std::uint32_t>(6 * l + 5));
    auto* ln = addNode(g, "LayerNormalization", p + "/norm/LayerNormalization",
                       {x, w + ".norm.weight", w + ".norm.bias"}, p + "/norm_out");
    auto* axis = ln->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(-1);
    addNode(g, "MatMul", p + "/fc1/MatMul", {p + "/norm_out", w + ".fc1.weight"}, p + "/fc1_mm");
    addNode(g, "Add", p + "/fc1/Add", {p + "/fc1_mm", w + ".fc1.bias"}, p + "/fc1_out");
    addNode(g, "Relu", p + "/act/Relu", {p + "/fc1_out"}, p + "/act_out");
    addNode(g, "MatMul", p + "/fc2/MatMul", {p + "/act_out", w + ".fc2.weight"}, p + "/fc2_mm");
    addNode(g, "Add", p + "/fc2/Add", {p + "/fc2_mm", w + ".fc2.bias"}, p + "/fc2_out");
    const std::string next = l + 1 == layers ? "y" : p + "/residual_out";
    addNode(g, "Add", p + "/Add", {x, p + "/fc2_out"}, next);
    x = next;
  }
  *g.add_output() = floatInfo("y", {1, kTokens, kDim});
  return m;
}

// 256 MatMuls on [1,1024], each weight 1024x1024 float (4 MiB) in one external file:
// 1 GiB of data. The file is sparse (ftruncate): pages the loader touches still count in RSS.
void writeExternalModel(const fs::path& dir, std::uint64_t& protoBytes, std::uint64_t& dataBytes) {
  constexpr int kDim = 1024, kLayers = 256;
  constexpr std::uint64_t kTensor = std::uint64_t(kDim) * kDim * 4;
  onnx::ModelProto m = emptyModel("external_chain");
  auto& g = *m.mutable_graph();
  *g.add_input() = floatInfo("x", {1, kDim});
  std::string x = "x";
  for (int l = 0; l < kLayers; ++l) {
    const std::string w = "layers." + std::to_string(l) + ".weight";
    auto* t = g.add_initializer();
    t->set_name(w);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(kDim);
    t->add_dims(kDim);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto kv = [&](const char* k, const std::string& v) {
      auto* e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", "weights.data");
    kv("offset", std::to_string(l * kTensor));
    kv("length", std::to_string(kTensor));
    const std::string next = l + 1 == kLayers ? "y" : "/layers." + std::to_string(l) + "/out";
    addNode(g, "MatMul", "/layers." + std::to_string(l) + "/MatMul", {x, w}, next);
    x = next;
  }
  *g.add_output() = floatInfo("y", {1, kDim});
  {
    std::ofstream out(dir / "model.onnx", std::ios::binary);
    if (!m.SerializeToOstream(&out)) die("cannot write " + (dir / "model.onnx").string());
  }
  protoBytes = fs::file_size(dir / "model.onnx");
  dataBytes = kTensor * kLayers;
  int fd = ::open((dir / "weights.data").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(dataBytes)) != 0) die("cannot create weights.data");
  ::close(fd);
}

// In the child: load, then statistics, then inference, printing the peak RSS after each.
int childRss(const std::string& path) {
  std::uint64_t start = peakRss();
  auto model = loadModel(path);
  if (!model) die(model.message());
  std::uint64_t afterLoad = peakRss();
  Statistics stats = computeStatistics(**model);
  std::uint64_t afterStats = peakRss();
  auto types = inferShapes(**model);
  std::uint64_t afterInfer = peakRss();
  std::printf("start %llu load %llu stats %llu infer %llu params %llu inferred %d\n",
              static_cast<unsigned long long>(start), static_cast<unsigned long long>(afterLoad),
              static_cast<unsigned long long>(afterStats), static_cast<unsigned long long>(afterInfer),
              static_cast<unsigned long long>(stats.parameters), types.isOk() ? 1 : 0);
  return 0;
}

struct ChildReport {
  std::uint64_t start = 0, load = 0, stats = 0, infer = 0, params = 0;
  int inferred = 0;
};

ChildReport runChild(const fs::path& model) {
  std::string cmd = "/proc/" + std::to_string(::getpid()) + "/exe --child-rss '" + model.string() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) die("cannot start the child process");
  char buf[512] = {};
  std::string out;
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (::pclose(p) != 0) die("child process failed: " + out);
  ChildReport r;
  unsigned long long s, l, st, in, pa;
  if (std::sscanf(out.c_str(), "start %llu load %llu stats %llu infer %llu params %llu inferred %d", &s, &l, &st,
                  &in, &pa, &r.inferred) != 6)
    die("unexpected child output: " + out);
  r.start = s, r.load = l, r.stats = st, r.infer = in, r.params = pa;
  return r;
}

std::string mb(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MiB", bytes / kMiB);
  return b;
}

std::string ms(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v < 10 ? "%.2f ms" : "%.0f ms", v);
  return b;
}

std::string kb(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f KiB", bytes / 1024.0);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--child-rss" && i + 1 < argc) return childRss(argv[i + 1]);
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
  }

  char tmpl[] = "/tmp/graft-bench-io-XXXXXX";
  if (!::mkdtemp(tmpl)) die("cannot create a temporary folder");
  const fs::path dir = tmpl;
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};

  // (a) a 100 MB model with its weights inline.
  const fs::path big = dir / "mlp.onnx";
  {
    auto model = Model::fromProto(transformerMlp(12));
    if (!model) die(model.message());
    SaveOptions inlineSave;
    inlineSave.data = SaveOptions::Data::Inline;
    auto saved = saveModel(**model, big.string(), inlineSave);
    if (!saved) die(saved.message());
  }
  const double bigBytes = static_cast<double>(fs::file_size(big));
  std::unique_ptr<Model> model;
  double loadMs = medianMs(runs, [&] {
    auto m = loadModel(big.string());
    if (!m) die(m.message());
    model = std::move(*m);
  });
  std::size_t inferredValues = 0;
  double inferMs = medianMs(runs, [&] {
    auto types = inferShapes(*model);
    if (!types) die(types.message());
    inferredValues = types->types.size();
  });
  std::uint64_t params = 0;
  double statsMs = medianMs(runs, [&] { params = computeStatistics(*model).parameters; });
  double saveMs = medianMs(runs, [&] {
    auto saved = saveModel(*model, (dir / "mlp-saved.onnx").string());
    if (!saved) die(saved.message());
  });

  // (a') Many nodes: the 64k-node decoder's shape inference and statistics.
  double manyInferMs = -1, manyStatsMs = -1;
  std::size_t manyNodes = 0;
  if (const std::string decoder = graft::bench::benchModel("decoder64k"); !decoder.empty()) {
    auto m = loadModel(decoder);
    if (!m) die(m.message());
    manyNodes = (*m)->graph().nodeCount();
    std::optional<InferenceResult> types;
    manyInferMs = medianMs(runs, [&] {
      auto t = inferShapes(**m);
      if (!t) die(t.message());
      types = std::move(t.value());
    });
    manyStatsMs = medianMs(runs, [&] { (void)computeStatistics(**m, &*types); });
  }

  // (b) 1 GiB of external data, opened in a fresh process so its peak RSS is its own.
  const fs::path extDir = dir / "external";
  fs::create_directory(extDir);
  std::uint64_t protoBytes = 0, dataBytes = 0;
  writeExternalModel(extDir, protoBytes, dataBytes);
  ChildReport child = runChild(extDir / "model.onnx");
  const double target = static_cast<double>(protoBytes) + 64 * kMiB;
  auto verdict = [&](std::uint64_t rss) { return static_cast<double>(rss) <= target ? "yes" : "**no**"; };

  std::printf("## bench_io (median of %d)\n\n", runs);
  std::printf("| measure | result | notes |\n|---|---|---|\n");
  std::printf("| load 100 MB model | %s | %s file, %zu nodes, %llu parameters |\n", ms(loadMs).c_str(),
              mb(bigBytes).c_str(), model->graph().nodeCount(), static_cast<unsigned long long>(params));
  std::printf("| inferShapes | %s | %zu values typed |\n", ms(inferMs).c_str(), inferredValues);
  std::printf("| computeStatistics | %s | |\n", ms(statsMs).c_str());
  std::printf("| saveModel (auto: inline) | %s | atomic, fsync |\n", ms(saveMs).c_str());
  if (manyNodes > 0) {
    std::printf("| inferShapes, 64k-node decoder | %s | %zu nodes |\n", ms(manyInferMs).c_str(), manyNodes);
    std::printf("| computeStatistics, 64k-node decoder | %s | |\n", ms(manyStatsMs).c_str());
  } else {
    std::printf("| 64k-node decoder | skipped | tests/models/make_models.py could not make it (needs python3-torch) |\n");
  }
  std::printf("\n| 1 GiB external data (%s graph protobuf + %s data) | peak RSS | within target %s? |\n|---|---|---|\n",
              kb(static_cast<double>(protoBytes)).c_str(), mb(static_cast<double>(dataBytes)).c_str(),
              mb(target).c_str());
  std::printf("| process start | %s | |\n", mb(static_cast<double>(child.start)).c_str());
  std::printf("| after loadModel | %s | %s |\n", mb(static_cast<double>(child.load)).c_str(), verdict(child.load));
  std::printf("| after computeStatistics | %s | %s |\n", mb(static_cast<double>(child.stats)).c_str(),
              verdict(child.stats));
  std::printf("| after inferShapes | %s | %s%s |\n", mb(static_cast<double>(child.infer)).c_str(),
              verdict(child.infer), child.inferred ? "" : " (inference failed)");
  return 0;
}
