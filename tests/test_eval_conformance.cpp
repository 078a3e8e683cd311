// The ONNX backend node tests (data/node/*): every test whose ops the evaluator implements
// must reproduce the expected outputs within the backend's tolerance.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "graft/eval.h"
#include "graft/io.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

struct Counts {
  int run = 0, passed = 0, skippedOp = 0, skippedType = 0;
};
Counts counts;

// The backend runner's default tolerance (onnx/backend/test/case/node: rtol=1e-3, atol=1e-7).
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

// The backend data stores bfloat16 tensors as uint16 bit patterns; see them as bfloat16 again.
graft::Array asBfloat16(const graft::Array& a) {
  graft::Array b = graft::Array::uninitialized(onnx::TensorProto_DataType_BFLOAT16, a.shape());
  std::memcpy(b.raw(), a.raw(), a.bytes());
  return b;
}

std::int32_t declaredElemType(const graft::Value* v) {
  const auto* t = v->declaredType();
  return t && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
}

bool isTensorType(const onnx::TypeProto* t) { return !t || t->has_tensor_type(); }

QString compare(const graft::Array& got, const graft::Array& want, const std::string& name) {
  if (got.dtype() != want.dtype())
    return QString::fromStdString("output '" + name + "': got " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want));
  if (got.shape() != want.shape())
    return QString::fromStdString("output '" + name + "': got shape " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want));
  if (got.dtype() == onnx::TensorProto_DataType_STRING) {
    for (std::int64_t i = 0; i < got.size(); ++i)
      if (got.strings()[static_cast<std::size_t>(i)] != want.strings()[static_cast<std::size_t>(i)])
        return QString::fromStdString("output '" + name + "': string " + std::to_string(i) + " differs");
    return {};
  }
  auto g = graft::arrayToDoubles(got), w = graft::arrayToDoubles(want);
  if (!g || !w) return "not numeric";
  bool isFloat = got.dtype() == onnx::TensorProto_DataType_FLOAT || got.dtype() == onnx::TensorProto_DataType_DOUBLE ||
                 got.dtype() == onnx::TensorProto_DataType_FLOAT16 || got.dtype() == onnx::TensorProto_DataType_BFLOAT16;
  // bfloat16 keeps 8 significant bits; onnx 1.12 made its expected values by truncation while
  // the evaluator rounds to nearest (as later onnx and ONNX Runtime do): one bfloat16 step apart.
  double rtol = got.dtype() == onnx::TensorProto_DataType_BFLOAT16 ? 1.0 / 128 : kRtol;
  for (std::size_t i = 0; i < g.value().size(); ++i) {
    double a = g.value()[i], e = w.value()[i];
    if (std::isnan(a) && std::isnan(e)) continue;
    if (a == e) continue;
    if (isFloat && std::abs(a - e) <= kAtol + rtol * std::abs(e)) continue;
    return QString::fromStdString("output '" + name + "' element " + std::to_string(i) + ": got " + std::to_string(a) +
                                  ", expected " + std::to_string(e));
  }
  return {};
}

}  // namespace

class TestEvalConformance : public QObject {
  Q_OBJECT

 private slots:
  void node_data() {
    QTest::addColumn<QString>("dir");
    // The node tests, plus the PyTorch exports whose op coverage the evaluator must have.
    int rows = 0;
    for (const char* sub : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
      fs::path root = fs::path(graft::test::testdataDir()) / sub;
      if (!fs::exists(root)) continue;
      std::vector<std::string> dirs;
      for (const auto& e : fs::directory_iterator(root))
        if (fs::exists(e.path() / "model.onnx") && fs::exists(e.path() / "test_data_set_0")) dirs.push_back(e.path().string());
      std::sort(dirs.begin(), dirs.end());
      for (const auto& d : dirs) {
        std::string row = std::string(sub) + "/" + fs::path(d).filename().string();
        QTest::newRow(row.c_str()) << QString::fromStdString(d);
        ++rows;
      }
    }
    QVERIFY2(rows > 500, "the ONNX backend test data (libonnx-testdata) is missing");
  }

  void node() {
    QFETCH(QString, dir);
    fs::path base = dir.toStdString();
    auto model = graft::loadModel((base / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    const graft::Model& m = *model.value();

    std::string missing;
    m.forEachGraph([&](const graft::Graph& g) {
      g.forEachNode([&](const graft::Node& n) {
        if (missing.empty() && !graft::isOpSupported(n.opType(), n.domain()))
          missing = (n.domain().empty() ? "" : n.domain() + ":") + n.opType();
      });
    });
    if (!missing.empty()) {
      ++counts.skippedOp;
      QSKIP(("op not implemented: " + missing).c_str());
    }
    const graft::Graph& g = m.graph();
    for (const graft::Value* v : g.inputs())
      if (!isTensorType(v->declaredType())) {
        ++counts.skippedType;
        QSKIP("sequence/optional inputs are not supported");
      }
    for (const graft::Value* v : g.outputs())
      if (!isTensorType(v->declaredType())) {
        ++counts.skippedType;
        QSKIP("sequence/optional outputs are not supported");
      }

    fs::path data = base / "test_data_set_0";
    graft::NamedArrays inputs;
    std::vector<const graft::Value*> realInputs;
    for (const graft::Value* v : g.inputs())
      if (!v->isInitializer()) realInputs.push_back(v);
    for (std::size_t i = 0; i < realInputs.size(); ++i) {
      fs::path f = data / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(f)) continue;  // omitted optional input
      auto a = graft::readTensorProtoFile(f.string());
      QVERIFY2(a, a.message().c_str());
      graft::Array arr = a.value();
      if (arr.dtype() == onnx::TensorProto_DataType_UINT16 && declaredElemType(realInputs[i]) == onnx::TensorProto_DataType_BFLOAT16)
        arr = asBfloat16(arr);
      inputs[realInputs[i]->name()] = arr;
    }
    // A few tests feed inputs whose shapes contradict the declared ones (test_castlike_*).
    graft::EvalOptions options;
    options.checkInputShapes = false;
    auto out = graft::evaluate(m, inputs, options);
    if (!out && out.status().code() == graft::ErrorCode::Unsupported) {
      // A kernel that exists but declines this configuration (e.g. random training Dropout).
      ++counts.skippedOp;
      QSKIP(out.message().c_str());
    }
    ++counts.run;
    QVERIFY2(out, out.message().c_str());
    for (std::size_t i = 0; i < g.outputs().size(); ++i) {
      const std::string& name = g.outputs()[i]->name();
      auto want = graft::readTensorProtoFile((data / ("output_" + std::to_string(i) + ".pb")).string());
      QVERIFY2(want, want.message().c_str());
      graft::Array expected = want.value();
      if (expected.dtype() == onnx::TensorProto_DataType_UINT16 && declaredElemType(g.outputs()[i]) == onnx::TensorProto_DataType_BFLOAT16)
        expected = asBfloat16(expected);
      QVERIFY2(out.value().count(name), ("no value for output " + name).c_str());
      QString problem = compare(out.value().at(name), expected, name);
      QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
    ++counts.passed;
  }

  void cleanupTestCase() {
    std::printf("conformance: %d run, %d passed, %d skipped (unimplemented op), %d skipped (sequence/optional types)\n",
                counts.run, counts.passed, counts.skippedOp, counts.skippedType);
    std::fflush(stdout);
  }
};

QTEST_GUILESS_MAIN(TestEvalConformance)
#include "test_eval_conformance.moc"
