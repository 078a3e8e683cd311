// The com.microsoft ops that ONNX Runtime's fusions and Graft's rewrites produce (GELU forms,
// Fused Conv/Gemm/MatMul, Skip/Simplified LayerNorm, MatMulNBits, Attention, MultiHeadAttention)
// compute what ONNX Runtime's contrib op spec says. tests/data/contrib holds one small model
// per op form with inputs and expected outputs computed in numpy by
// tests/models/make_contrib_cases.py (and checked against ONNX Runtime 1.30 when made).
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <set>

#include "graft/eval.h"
#include "graft/io.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

// Kernels compute in float32 and the references in float64.
constexpr double kRtol = 1e-4, kAtol = 1e-5;

std::string contribDir() { return graft::test::sourceDir() + "/tests/data/contrib"; }

}  // namespace

class TestEvalContrib : public QObject {
  Q_OBJECT

 private slots:
  void everyRequiredContribOpIsSupported() {
    // The ops the reference-evaluator issue names, plus those ORT's transformer and CNN
    // fusions emit.
    for (const char* op : {"MatMulNBits", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "LayerNormalization", "SkipLayerNormalization",
                           "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "Attention", "MultiHeadAttention",
                           "FusedConv", "FusedGemm", "FusedMatMul"})
      QVERIFY2(graft::isOpSupported(op, "com.microsoft"), op);
    // ORT registers its contrib LayerNormalization (before opset 17) and RMSNorm in the ONNX domain.
    QVERIFY(graft::isOpSupported("SimplifiedLayerNormalization", ""));
    QVERIFY(graft::isOpSupported("LayerNormalization", ""));
  }

  void casesMatchTheReference_data() {
    QTest::addColumn<QString>("dir");
    std::vector<std::string> dirs;
    for (const auto& e : fs::directory_iterator(contribDir()))
      if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path().string());
    std::sort(dirs.begin(), dirs.end());
    QVERIFY2(dirs.size() >= 25, "tests/data/contrib is missing its cases (tests/models/make_contrib_cases.py)");
    for (const auto& d : dirs) QTest::newRow(fs::path(d).filename().c_str()) << QString::fromStdString(d);
  }

  void casesMatchTheReference() {
    QFETCH(QString, dir);
    fs::path base = dir.toStdString();
    auto model = graft::loadModel((base / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    const graft::Graph& g = model.value()->graph();
    graft::NamedArrays inputs;
    std::size_t i = 0;
    for (const graft::Value* v : g.inputs()) {
      if (v->isInitializer()) continue;
      auto a = graft::readTensorProtoFile((base / "test_data_set_0" / ("input_" + std::to_string(i++) + ".pb")).string());
      QVERIFY2(a, a.message().c_str());
      inputs[v->name()] = a.value();
    }
    auto out = graft::evaluate(*model.value(), inputs);
    QVERIFY2(out, out.message().c_str());
    for (std::size_t k = 0; k < g.outputs().size(); ++k) {
      const std::string& name = g.outputs()[k]->name();
      auto want = graft::readTensorProtoFile((base / "test_data_set_0" / ("output_" + std::to_string(k) + ".pb")).string());
      QVERIFY2(want, want.message().c_str());
      QVERIFY2(out.value().count(name), ("no value for output " + name).c_str());
      const graft::Array& got = out.value().at(name);
      QCOMPARE(got.dtype(), want.value().dtype());
      QVERIFY2(got.shape() == want.value().shape(),
               (name + ": got " + graft::formatArrayType(got) + ", expected " + graft::formatArrayType(want.value())).c_str());
      auto a = graft::arrayToDoubles(got), e = graft::arrayToDoubles(want.value());
      QVERIFY(a && e);
      for (std::size_t j = 0; j < a.value().size(); ++j) {
        double x = a.value()[j], y = e.value()[j];
        if (std::abs(x - y) > kAtol + kRtol * std::abs(y))
          QFAIL((name + " element " + std::to_string(j) + ": got " + std::to_string(x) + ", expected " + std::to_string(y)).c_str());
      }
    }
  }

  void float16AttentionIsComputedInFloat32() {
    // Half-precision models run the same kernels (widened): the result stays float16 and
    // within half precision of the float32 reference.
    fs::path base = fs::path(contribDir()) / "attention_mask_2d";
    auto model = graft::loadModel((base / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    onnx::ModelProto proto = model.value()->toProto();
    auto* graph = proto.mutable_graph();
    for (auto& init : *graph->mutable_initializer()) {
      if (init.data_type() != onnx::TensorProto_DataType_FLOAT) continue;
      auto a = graft::arrayFromProto(init);
      QVERIFY(a);
      auto h = graft::castArray(a.value(), onnx::TensorProto_DataType_FLOAT16);
      QVERIFY(h);
      init = graft::arrayToProto(h.value(), init.name());
    }
    for (auto* vis : {graph->mutable_input(), graph->mutable_output()})
      for (auto& vi : *vis)
        if (vi.type().tensor_type().elem_type() == onnx::TensorProto_DataType_FLOAT)
          vi.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT16);
    auto half = graft::Model::fromProto(proto);
    QVERIFY2(half, half.message().c_str());
    auto x = graft::readTensorProtoFile((base / "test_data_set_0" / "input_0.pb").string());
    auto mask = graft::readTensorProtoFile((base / "test_data_set_0" / "input_1.pb").string());
    auto want = graft::readTensorProtoFile((base / "test_data_set_0" / "output_0.pb").string());
    QVERIFY(x && mask && want);
    auto xh = graft::castArray(x.value(), onnx::TensorProto_DataType_FLOAT16);
    QVERIFY(xh);
    auto out = graft::evaluate(*half.value(), {{"x", xh.value()}, {"mask", mask.value()}});
    QVERIFY2(out, out.message().c_str());
    const graft::Array& y = out.value().at("y");
    QCOMPARE(y.dtype(), static_cast<std::int32_t>(onnx::TensorProto_DataType_FLOAT16));
    auto a = graft::arrayToDoubles(y), e = graft::arrayToDoubles(want.value());
    QVERIFY(a && e);
    double worst = 0;
    for (std::size_t j = 0; j < a.value().size(); ++j) worst = std::max(worst, std::abs(a.value()[j] - e.value()[j]));
    QVERIFY2(worst < 0.05, std::to_string(worst).c_str());
  }

  void unsupportedConfigurationsSayWhat() {
    // A MultiHeadAttention asking for the qk output: refused by name, not computed wrongly.
    fs::path base = fs::path(contribDir()) / "mha_cross_bias_mask";
    auto model = graft::loadModel((base / "model.onnx").string());
    QVERIFY(model);
    onnx::ModelProto proto = model.value()->toProto();
    auto* node = proto.mutable_graph()->mutable_node(0);
    while (node->output_size() < 4) node->add_output("");
    node->set_output(3, "qk");
    node->set_name("mha0");
    auto* vi = proto.mutable_graph()->add_output();
    vi->set_name("qk");
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    auto m = graft::Model::fromProto(proto);
    QVERIFY2(m, m.message().c_str());
    auto inputs = graft::randomInputs(*m.value(), 1);
    QVERIFY(inputs);
    auto out = graft::evaluate(*m.value(), inputs.value());
    QVERIFY(!out);
    QVERIFY2(out.message().find("mha0") != std::string::npos && out.message().find("qk") != std::string::npos, out.message().c_str());
  }
};

QTEST_GUILESS_MAIN(TestEvalContrib)
#include "test_eval_contrib.moc"
