// Quantization measurements on the models tests/models/export_quant_models.py writes: output SQNR
// (lowest over outputs, on the 8 held-back samples) and top-1 agreement of every static
// calibration method, a plain static reference built here independently (MinMax, u8 per-tensor
// activations on Conv/Gemm/MatMul inputs, s8 per-channel weights), dynamic INT8, and 4-bit
// RTN/GPTQ/AWQ against the numpy RTN reference. Writes the quantized models next to the input for
// ONNX Runtime runs (../shared/oracle). Usage: bench_quant DIR [DIR...]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "graft/io.h"
#include "graft/quant.h"
#include "graft/rewrite.h"

using namespace graft;
using namespace graft::quant;
namespace fs = std::filesystem;

namespace {

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct Score {
  double sqnr = 0;
  std::optional<double> top1;
};

// Output SQNR of any model against the float outputs calibration kept.
Score score(const Model& q, const Calibration& cal, const SampleSet& data) {
  QuantizeReport none;
  auto e = analyzeError(q, none, cal, data);
  if (!e) {
    std::printf("    scoring failed: %s\n", e.message().c_str());
    return {std::nan(""), std::nullopt};
  }
  return {e->sqnr, e->top1Agreement};
}

onnx::TensorProto raw(const std::string& name, int dtype, std::vector<std::int64_t> dims, const void* p, std::size_t n) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (auto d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(p), n));
  return t;
}

// The plain reference, written without quant's rewriter: MinMax over the calibration samples,
// u8 asymmetric per-tensor Q/DQ on the activation inputs of Conv/Gemm/MatMul, s8 symmetric
// per-channel weights read through DequantizeLinear; biases stay float.
std::unique_ptr<Model> plainReference(const Model& floatModel, const SampleSet& data) {
  auto m = cloneModel(floatModel);
  if (!m) return nullptr;
  Model& model = *m.value();
  Graph& g = model.graph();
  std::map<std::string, std::pair<float, float>> range;
  auto ev = Evaluator::create(floatModel);
  for (const auto& s : data.calibration) {
    EvalOptions eo;
    eo.observe = [&](const Value& v, const Array& a) {
      if (a.dtype() != onnx::TensorProto_DataType_FLOAT) return;
      auto& r = range.try_emplace(v.name(), 0.0f, 0.0f).first->second;
      for (std::int64_t i = 0; i < a.size(); ++i) {
        r.first = std::min(r.first, a.data<float>()[i]);
        r.second = std::max(r.second, a.data<float>()[i]);
      }
    };
    for (const auto& [name, a] : s)
      if (a.dtype() == onnx::TensorProto_DataType_FLOAT) eo.observe(*floatModel.graph().findValue(name), a);
    (void)ev.value()->run(s, eo);
  }
  std::map<std::string, Value*> dq;
  int counter = 0;
  for (Node* n : g.nodes()) {
    const std::string& op = n->opType();
    if (op != "Conv" && op != "Gemm" && op != "MatMul") continue;
    for (int i = 0; i < 2; ++i) {
      Value* v = n->input(static_cast<std::size_t>(i));
      if (!v) continue;
      std::string id = std::to_string(counter++);
      if (v->initializer() && v->initializer()->dataType() == onnx::TensorProto_DataType_FLOAT) {
        auto arr = arrayFromTensor(*v->initializer());
        auto dims = v->initializer()->dims();
        if (dims.size() < 2) continue;
        int axis = op == "Conv" ? 0 : (op == "Gemm" && n->attribute("transB") && n->attribute("transB")->i()) ? 0 : 1;
        std::int64_t C = dims[static_cast<std::size_t>(axis)], inner = 1;
        for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < dims.size(); ++d) inner *= dims[d];
        const float* w = arr->data<float>();
        std::vector<float> sc(static_cast<std::size_t>(C), 0.0f);
        for (std::int64_t k = 0; k < arr->size(); ++k) sc[static_cast<std::size_t>((k / inner) % C)] = std::max(sc[static_cast<std::size_t>((k / inner) % C)], std::abs(w[k]));
        for (auto& s : sc) s = s > 0 ? s / 127.0f : 1.0f;
        std::vector<std::int8_t> q(static_cast<std::size_t>(arr->size()));
        for (std::int64_t k = 0; k < arr->size(); ++k)
          q[static_cast<std::size_t>(k)] = static_cast<std::int8_t>(std::clamp(std::nearbyint(w[k] / sc[static_cast<std::size_t>((k / inner) % C)]), -127.0f, 127.0f));
        auto qv = g.addInitializer(raw("ref_w" + id, onnx::TensorProto_DataType_INT8, dims, q.data(), q.size()));
        auto sv = g.addInitializer(raw("ref_ws" + id, onnx::TensorProto_DataType_FLOAT, {C}, sc.data(), sc.size() * 4));
        Graph::NewNode d;
        d.opType = "DequantizeLinear";
        d.inputs = {qv.value(), sv.value()};
        d.outputNames = {"ref_wd" + id};
        onnx::AttributeProto ax;
        ax.set_name("axis");
        ax.set_type(onnx::AttributeProto::INT);
        ax.set_i(axis);
        d.attributes = {ax};
        auto dn = g.addNode(std::move(d), n);
        (void)g.setInput(n, static_cast<std::size_t>(i), dn.value()->output(0));
      } else if (!v->initializer() && range.count(v->name())) {
        if (!dq.count(v->name())) {
          auto [lo, hi] = range[v->name()];
          float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
          std::uint8_t zp = static_cast<std::uint8_t>(std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f));
          auto sv = g.addInitializer(raw("ref_s" + id, onnx::TensorProto_DataType_FLOAT, {}, &scale, 4));
          auto zv = g.addInitializer(raw("ref_z" + id, onnx::TensorProto_DataType_UINT8, {}, &zp, 1));
          Graph::NewNode q;
          q.opType = "QuantizeLinear";
          q.inputs = {v, sv.value(), zv.value()};
          q.outputNames = {"ref_q" + id};
          auto qn = g.addNode(std::move(q), n);
          Graph::NewNode d;
          d.opType = "DequantizeLinear";
          d.inputs = {qn.value()->output(0), sv.value(), zv.value()};
          d.outputNames = {"ref_d" + id};
          auto dn = g.addNode(std::move(d), n);
          dq[v->name()] = dn.value()->output(0);
        }
        (void)g.setInput(n, static_cast<std::size_t>(i), dq[v->name()]);
      }
    }
  }
  return std::move(m.value());
}

void line(const char* what, const Score& s, double seconds, std::uint64_t bytes) {
  std::printf("  %-34s SQNR %7.2f dB", what, s.sqnr);
  if (s.top1) std::printf("  top-1 %5.1f%%", 100.0 * *s.top1);
  std::printf("  %6.1f s  %8.2f MiB\n", seconds, static_cast<double>(bytes) / 1048576.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    fs::path dir = argv[a];
    auto model = loadModel((dir / "model.onnx").string());
    if (!model) {
      std::printf("%s: %s\n", argv[a], model.message().c_str());
      continue;
    }
    const Model& m = *model.value();
    auto data = loadSampleFolder(m, (dir / "samples").string(), 8);
    if (!data) {
      std::printf("%s\n", data.message().c_str());
      continue;
    }
    std::printf("%s: %zu calibration + %zu held-back samples; load average %s\n", dir.filename().c_str(), data->calibration.size(),
                data->holdout.size(), loadAverage().c_str());
    bool transformer = fs::exists(dir / "model_rtn_numpy.onnx");
    auto t0 = std::chrono::steady_clock::now();
    CalibrateOptions co;
    co.collectGram = transformer;
    auto cal = calibrate(m, data.value(), co);
    if (!cal) {
      std::printf("calibration failed: %s\n", cal.message().c_str());
      continue;
    }
    auto secs = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };
    std::printf("  calibration %.1f s; float weights %.2f MiB\n", secs(t0), 0.0);
    auto profile = findProfile("onnxruntime-cpu");
    if (!profile) {
      std::printf("  %s (set GRAFT_PROFILE_PATH to resources/profiles)\n", profile.message().c_str());
      return 1;
    }
    auto run = [&](const char* label, QuantizeOptions o, const char* file) {
      auto t = std::chrono::steady_clock::now();
      auto r = quantizeAndScore(m, o, cal.value().get(), data.value(), std::nullopt);
      if (!r) {
        std::printf("  %-34s failed: %s\n", label, r.message().c_str());
        return;
      }
      Score s{r->error.sqnr, r->error.top1Agreement};
      std::uint64_t bytes = 0;
      if (file) {
        auto saved = saveModel(*r->model, (dir / file).string());
        if (saved) bytes = saved->modelBytes;
      }
      line(label, s, secs(t), bytes);
    };
    {
      auto t = std::chrono::steady_clock::now();
      auto ref = plainReference(m, data.value());
      Score s = score(*ref, *cal.value(), data.value());
      auto saved = saveModel(*ref, (dir / "model_ref_static.onnx").string());
      line("plain static reference (minmax)", s, secs(t), saved ? saved->modelBytes : 0);
      auto fsaved = saveModel(m, (dir / "model_float_copy.onnx").string());
      std::printf("  float model file %.2f MiB\n", fsaved ? static_cast<double>(fsaved->modelBytes) / 1048576.0 : 0.0);
    }
    for (auto method : {CalibrationMethod::MinMax, CalibrationMethod::MovingAverage, CalibrationMethod::Percentile, CalibrationMethod::Entropy}) {
      QuantizeOptions o;
      o.mode = Mode::Static;
      o.method = method;
      o.placement = placementFor(profile.value());
      std::string label = std::string("static ort-cpu ") + methodName(method);
      std::string file = std::string("model_static_") + methodName(method) + ".onnx";
      run(label.c_str(), o, file.c_str());
    }
    for (const char* backend : {"portable", "tensorrt", "openvino"}) {
      auto p = findProfile(backend);
      if (!p) continue;
      QuantizeOptions o;
      o.mode = Mode::Static;
      o.method = CalibrationMethod::Percentile;
      o.placement = placementFor(p.value());
      std::string label = std::string("static ") + backend + " percentile";
      std::string file = std::string("model_static_") + backend + ".onnx";
      run(label.c_str(), o, file.c_str());
    }
    if (transformer) {
      for (bool contrib : {false, true}) {
        QuantizeOptions o;
        o.mode = Mode::Dynamic;
        o.placement.dynamicContrib = contrib;
        run(contrib ? "dynamic DynamicQuantizeMatMul" : "dynamic MatMulInteger", o, contrib ? "model_dynamic_contrib.onnx" : "model_dynamic.onnx");
      }
      auto ref = loadModel((dir / "model_rtn_numpy.onnx").string());
      if (ref) line("4-bit numpy RTN reference", score(*ref.value(), *cal.value(), data.value()), 0, 0);
      for (auto method : {WeightMethod::Rtn, WeightMethod::Gptq, WeightMethod::Awq}) {
        QuantizeOptions o;
        o.mode = Mode::WeightOnly;
        o.weightMethod = method;
        const char* name = method == WeightMethod::Rtn ? "rtn" : method == WeightMethod::Gptq ? "gptq" : "awq";
        std::string label = std::string("4-bit ") + name + " MatMulNBits block 32";
        std::string file = std::string("model_w4_") + name + ".onnx";
        run(label.c_str(), o, file.c_str());
      }
      QuantizeOptions o;
      o.mode = Mode::WeightOnly;
      o.format = BlockedFormat::Qdq;
      run("4-bit rtn DequantizeLinear block 32", o, "model_w4_rtn_qdq.onnx");
    }
  }
  return 0;
}
