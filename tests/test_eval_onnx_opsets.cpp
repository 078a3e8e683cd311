// The ONNX backend node tests of opsets 18 to 26 (onnx releases 1.18 and 1.21): every test must
// reproduce its expected outputs, float8/float4/int4/int2 ones bit for bit. The only skips are
// training ops and ops whose outputs are random, each with its reason.
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "graft/dtype.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

struct Counts {
  int total = 0, passed = 0, skipped = 0, divergent = 0, runtimeDeparts = 0;
};
Counts counts;

// The backend runner's default tolerance (onnx/backend/test/case/node: rtol=1e-3, atol=1e-7).
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

std::string nodeTestsDir() {
  if (const char* env = std::getenv("GRAFT_ONNX_NODE_TESTS")) return env;
  return GRAFT_ONNX_NODE_TESTS_DIR;
}

const onnx::TypeProto& typeOf(const graft::Value* v) {
  static const onnx::TypeProto none;
  return v->declaredType() ? *v->declaredType() : none;
}

std::int32_t declaredElemType(const graft::Value* v) {
  const auto* t = v->declaredType();
  return t && t->has_tensor_type() ? t->tensor_type().elem_type() : 0;
}

// Why a test may not be run: its outputs are random draws, or it is a training op.
std::string allowedSkip(const graft::Model& m, const std::string& testName) {
  std::string why;
  m.forEachGraph([&](const graft::Graph& g) {
    g.forEachNode([&](const graft::Node& n) {
      if (!why.empty()) return;
      const std::string& op = n.opType();
      if (op == "Bernoulli" || op == "RandomNormal" || op == "RandomNormalLike" || op == "RandomUniform" ||
          op == "RandomUniformLike" || op == "Multinomial")
        why = op + " draws random values: its outputs cannot be compared";
      else if (n.domain() == "ai.onnx.preview.training")
        why = op + " is a training op";
    });
  });
  // Dropout in training mode drops random elements (the test feeds training_mode = true).
  // (With ratio 0 nothing is dropped, so those two are deterministic and run.)
  if (why.empty() && testName.rfind("test_training_dropout", 0) == 0 && testName.find("zero_ratio") == std::string::npos)
    why = "training-mode Dropout drops random elements";
  return why;
}

// Tests whose expected outputs came from a reference implementation that ONNX later corrected:
// the evaluator follows the spec as ONNX Runtime 1.30 runs it (checked with ../shared/oracle),
// so these are expected to differ; QEXPECT_FAIL keeps them visible (an unexpected pass fails).
// For each, tests/data/onnx-node-corrected/<test>/ holds the outputs ONNX Runtime 1.30 computes
// from the same inputs (README there), and the evaluator must reproduce those instead.
const char* knownReferenceDivergence(const std::string& row) {
  static const char* attention3d =
      "onnx 1.18's reference split 3-D Q/K/V into heads without the [B, S, N, H] transpose; ONNX Runtime 1.30 and the "
      "corrected reference (onnx 1.21) transpose";
  static const char* gqa =
      "onnx 1.18's reference tiled grouped KV heads [h0, h1, h0, h1]; ONNX Runtime 1.30 and the corrected reference "
      "repeat them [h0, h0, h1, h1]";
  static const char* qlinear =
      "onnx 1.18's reference wrapped int8 results modulo 256; the spec and ONNX Runtime 1.30 saturate to [-128, 127]";
  if (row.rfind("1.18/test_attention_", 0) == 0 && row.find("_expanded") == std::string::npos) {
    if (row.find("_gqa") != std::string::npos) return gqa;
    if (row.rfind("1.18/test_attention_3d", 0) == 0) return attention3d;
  }
  if (row.rfind("1.18/test_qlinearmatmul_", 0) == 0 && row.find("_int8_") != std::string::npos) return qlinear;
  return nullptr;
}

// Where ONNX Runtime 1.30 itself departs from the spec, its outputs cannot serve as the
// corrected reference: it applies softcap before adding the attention mask and returns the
// mode-1 qk_matmul_output without the mask, while the spec's diagram adds the mask first. The
// 4-D versions of these tests (test_attention_4d_with_past_and_present_qk_matmul_bias,
// test_attention_4d_with_qk_matmul_softcap), whose 1.18 reference outputs are right, pass with
// the spec's order; so these two are expected to differ from ONNX Runtime.
const char* runtimeDepartsFromSpec(const std::string& row) {
  if (row == "1.18/test_attention_3d_with_past_and_present_qk_matmul_bias" ||
      row == "1.18/test_attention_3d_with_past_and_present_qk_matmul_softcap")
    return "ONNX Runtime 1.30 adds the mask after softcap (and leaves it out of mode-1 qk_matmul_output); the spec adds it "
           "before, as the passing 4-D versions of this test check";
  return nullptr;
}

QString compare(const graft::Array& got, const graft::Array& want, const std::string& name) {
  if (!want.isTensor() || !got.isTensor()) {
    if (got.isSequence() != want.isSequence() || got.isOptional() != want.isOptional() || got.items().size() != want.items().size())
      return QString::fromStdString("output '" + name + "': got " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want));
    for (std::size_t i = 0; i < want.items().size(); ++i) {
      QString p = compare(got.items()[i], want.items()[i], name + "[" + std::to_string(i) + "]");
      if (!p.isEmpty()) return p;
    }
    return {};
  }
  if (got.dtype() != want.dtype())
    return QString::fromStdString("output '" + name + "': got " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want));
  if (got.shape() != want.shape())
    return QString::fromStdString("output '" + name + "': got shape " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want));
  const std::int32_t dt = got.dtype();
  if (dt == graft::dtype::kString) {
    for (std::int64_t i = 0; i < got.size(); ++i)
      if (got.strings()[static_cast<std::size_t>(i)] != want.strings()[static_cast<std::size_t>(i)])
        return QString::fromStdString("output '" + name + "': string " + std::to_string(i) + " is '" +
                                      got.strings()[static_cast<std::size_t>(i)] + "', expected '" +
                                      want.strings()[static_cast<std::size_t>(i)] + "'");
    return {};
  }
  const auto& info = graft::elementTypeInfo(dt);
  if (info.bits <= 8 && info.kind != graft::ElementKind::Bool) {
    // float8, float4, e8m0, int4, int2 and the 8-bit integers: the same code exactly (two
    // NaN codes count as equal: the formats have several).
    const auto* g = static_cast<const std::uint8_t*>(got.raw());
    const auto* w = static_cast<const std::uint8_t*>(want.raw());
    for (std::int64_t i = 0; i < got.size(); ++i) {
      if (g[i] == w[i]) continue;
      if (info.narrowFloat && std::isnan(graft::narrowFloatToFloat(dt, g[i])) &&
          std::isnan(graft::narrowFloatToFloat(dt, w[i])))
        continue;
      auto gv = graft::arrayToDoubles(got).value(), wv = graft::arrayToDoubles(want).value();
      return QString::fromStdString("output '" + name + "' (" + info.name + ") element " + std::to_string(i) + ": got code 0x" +
                                    QString::number(g[i], 16).toStdString() + " (" + std::to_string(gv[static_cast<std::size_t>(i)]) +
                                    "), expected 0x" + QString::number(w[i], 16).toStdString() + " (" +
                                    std::to_string(wv[static_cast<std::size_t>(i)]) + ")");
    }
    return {};
  }
  auto g = graft::arrayToDoubles(got), w = graft::arrayToDoubles(want);
  if (!g || !w) return "not numeric";
  bool isFloat = info.kind == graft::ElementKind::Float;
  // bfloat16 keeps 8 significant bits: one step of it is the tolerance.
  double rtol = dt == graft::dtype::kBFloat16 ? 1.0 / 128 : kRtol;
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

class TestEvalOnnxOpsets : public QObject {
  Q_OBJECT

 private slots:
  void everyNodeTestOfOpsets18To26ReproducesItsOutputs_data() {
    QTest::addColumn<QString>("dir");
    fs::path root = nodeTestsDir();
    if (!fs::exists(root / "1.18") && !fs::exists(root / "1.21"))
      QSKIP(("the ONNX node tests of opsets 18-26 are not at " + root.string() +
             " (set GRAFT_ONNX_NODE_TESTS to their folder)")
                .c_str());
    for (const char* release : {"1.18", "1.21"}) {
      if (!fs::exists(root / release)) continue;
      std::vector<std::string> dirs;
      for (const auto& e : fs::directory_iterator(root / release))
        if (fs::exists(e.path() / "model.onnx") && fs::exists(e.path() / "test_data_set_0")) dirs.push_back(e.path().string());
      std::sort(dirs.begin(), dirs.end());
      for (const auto& d : dirs) {
        std::string row = std::string(release) + "/" + fs::path(d).filename().string();
        QTest::newRow(row.c_str()) << QString::fromStdString(d);
      }
    }
  }

  void everyNodeTestOfOpsets18To26ReproducesItsOutputs() {
    QFETCH(QString, dir);
    ++counts.total;
    fs::path base = dir.toStdString();
    auto model = graft::loadModel((base / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    const graft::Model& m = *model.value();
    std::string skip = allowedSkip(m, base.filename().string());
    if (!skip.empty()) {
      ++counts.skipped;
      QSKIP(skip.c_str());
    }

    const graft::Graph& g = m.graph();
    fs::path data = base / "test_data_set_0";
    graft::NamedArrays inputs;
    std::vector<const graft::Value*> realInputs;
    for (const graft::Value* v : g.inputs())
      if (!v->isInitializer()) realInputs.push_back(v);
    for (std::size_t i = 0; i < realInputs.size(); ++i) {
      fs::path f = data / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(f)) continue;  // omitted optional input
      auto a = graft::readValueProtoFile(f.string(), typeOf(realInputs[i]));
      QVERIFY2(a, a.message().c_str());
      graft::Array arr = a.value();
      // Release 1.18 stored bfloat16 tensors as uint16 bit patterns.
      if (arr.isTensor() && arr.dtype() == graft::dtype::kUInt16 && declaredElemType(realInputs[i]) == graft::dtype::kBFloat16)
        arr = arr.relabeled(graft::dtype::kBFloat16);
      inputs[realInputs[i]->name()] = arr;
    }
    graft::EvalOptions options;
    options.checkInputShapes = false;
    auto out = graft::evaluate(m, inputs, options);
    std::string row = base.parent_path().filename().string() + "/" + base.filename().string();
    QVERIFY2(out, out.message().c_str());
    const char* superseded = knownReferenceDivergence(row);
    for (std::size_t i = 0; i < g.outputs().size(); ++i) {
      const std::string& name = g.outputs()[i]->name();
      fs::path expectedDir = superseded ? fs::path(GRAFT_TEST_DATA) / "onnx-node-corrected" / base.filename() : data;
      auto want = graft::readValueProtoFile((expectedDir / ("output_" + std::to_string(i) + ".pb")).string(), typeOf(g.outputs()[i]));
      QVERIFY2(want, want.message().c_str());
      graft::Array expected = want.value();
      if (expected.isTensor() && expected.dtype() == graft::dtype::kUInt16 && declaredElemType(g.outputs()[i]) == graft::dtype::kBFloat16)
        expected = expected.relabeled(graft::dtype::kBFloat16);
      QVERIFY2(out.value().count(name), ("no value for output " + name).c_str());
      QString problem = compare(out.value().at(name), expected, name);
      if (superseded && !problem.isEmpty()) problem += QString(" (against ONNX Runtime's outputs: ") + superseded + ")";
      if (const char* why = runtimeDepartsFromSpec(row); why && !problem.isEmpty()) {
        ++counts.runtimeDeparts;
        QEXPECT_FAIL("", why, Abort);
      }
      QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
    ++counts.passed;
    if (superseded) {
      // The superseded reference outputs must still differ: if they agreed, the correction
      // would be stale and the file under tests/data should go.
      ++counts.divergent;
      auto old = graft::readValueProtoFile((data / "output_0.pb").string(), typeOf(g.outputs()[0]));
      QVERIFY2(old, old.message().c_str());
      QVERIFY2(!compare(out.value().at(g.outputs()[0]->name()), old.value(), "").isEmpty(),
               "the evaluator now agrees with the superseded reference outputs: drop the corrected copy");
    }
  }

  void cleanupTestCase() {
    if (counts.total == 0) return;
    std::printf("onnx node tests, opsets 18-26: %d of %d passed (%.1f%%), %d skipped (random or training); %d of the passes "
                "are checked against ONNX Runtime's outputs where the 1.18 reference was superseded; %d expected to differ "
                "where ONNX Runtime departs from the spec\n",
                counts.passed, counts.total, 100.0 * counts.passed / counts.total, counts.skipped, counts.divergent,
                counts.runtimeDeparts);
    std::fflush(stdout);
  }
};

QTEST_GUILESS_MAIN(TestEvalOnnxOpsets)
#include "test_eval_onnx_opsets.moc"
