// Conv fusion in the evaluator (engine/src/eval/conv_fusion.h): on PyTorch exports of ResNet,
// MobileNetV2 and MobileNetV3 (tests/models/export_eval_models.py) a run that lets each Conv do
// the residual Add and the Relu/Clip after it gives the same values as a run of every node on its
// own, on the oneDNN path and on the Eigen fallback; runs that must see the intermediate values
// still get them. A Relu or Clip writes in place only into a buffer nothing else reads.
#include <QCoreApplication>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "eval_testutil.h"
#include "exported_models.h"
#include "graft/eval.h"
#include "graft/io.h"

namespace fs = std::filesystem;

namespace {

// Seeded N(0, 1) values for every graph input (the models take one float image).
graft::NamedArrays randomInputs(const graft::Model& m) {
  graft::NamedArrays in;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  for (const graft::Value* v : m.graph().inputs()) {
    if (v->isInitializer()) continue;
    std::vector<std::int64_t> shape;
    for (const auto& d : v->declaredType()->tensor_type().shape().dim()) shape.push_back(d.has_dim_value() ? d.dim_value() : 1);
    graft::Array a(onnx::TensorProto_DataType_FLOAT, shape);
    for (std::int64_t i = 0; i < a.size(); ++i) a.data<float>()[i] = dist(rng);
    in[v->name()] = a;
  }
  return in;
}

// Number of elements of two float arrays that differ (as values: -0 equals 0).
std::int64_t differing(const graft::Array& a, const graft::Array& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return -1;
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < a.size(); ++i)
    if (!(a.data<float>()[i] == b.data<float>()[i])) ++bad;
  return bad;
}

std::size_t countOps(const graft::Model& m, const char* op) {
  std::size_t n = 0;
  m.graph().forEachNode([&](const graft::Node& node) { n += node.opType() == op; });
  return n;
}

}  // namespace

class TestEvalConvFusion : public QObject {
  Q_OBJECT

  QString dir_, skip_;

  graft::Result<std::unique_ptr<graft::Model>> load(const QString& name) {
    return graft::loadModel((fs::path(dir_.toStdString()) / name.toStdString() / "model.onnx").string());
  }

 private slots:
  void initTestCase() {
    dir_ = QCoreApplication::applicationDirPath() + "/eval-models";
    bool failed = false;
    skip_ = graft::test::exportEvalModels(dir_, {"resnet", "mobilenet_v2", "mobilenet_v3"}, &failed);
    QVERIFY2(!failed, qPrintable(skip_));
  }

  void fusedConvsGiveTheUnfusedValues_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("reference");
    for (const char* name : {"resnet", "mobilenet_v2", "mobilenet_v3"}) {
      QTest::newRow((std::string(name) + " oneDNN").c_str()) << QString(name) << false;
      QTest::newRow((std::string(name) + " Eigen").c_str()) << QString(name) << true;
    }
  }

  void fusedConvsGiveTheUnfusedValues() {
    if (!skip_.isEmpty()) QSKIP(qPrintable(skip_));
    QFETCH(QString, name);
    QFETCH(bool, reference);
    auto model = load(name);
    QVERIFY2(model, model.message().c_str());
    const graft::Model& m = *model.value();
    auto inputs = randomInputs(m);
    auto ev = graft::Evaluator::create(m);
    QVERIFY2(ev, ev.message().c_str());
    graft::EvalOptions plain;
    plain.threads = 2;
    plain.referenceKernels = reference;
    plain.fuse = false;
    auto want = ev.value()->run(inputs, plain);
    QVERIFY2(want, want.message().c_str());
    QCOMPARE(ev.value()->lastStats().nodesFused, std::size_t(0));
    const std::size_t unfusedPeak = ev.value()->lastStats().peakBytes;

    graft::EvalOptions fused = plain;
    fused.fuse = true;
    auto got = ev.value()->run(inputs, fused);
    QVERIFY2(got, got.message().c_str());
    // Every Relu/Clip of these nets follows a Conv or a residual Add of one (MobileNetV3's
    // squeeze-excitation Relus follow a Conv too); each residual Add follows a Conv.
    const std::size_t activations = countOps(m, "Relu") + countOps(m, "Clip");
    const std::size_t fusedCount = ev.value()->lastStats().nodesFused;
    QVERIFY2(fusedCount >= activations / 2 && fusedCount > 0,
             qPrintable(QString("%1 nodes fused of %2 Relu/Clip").arg(fusedCount).arg(activations)));
    QCOMPARE(ev.value()->lastStats().nodesRun, m.graph().nodeCount());
    QVERIFY(ev.value()->lastStats().peakBytes <= unfusedPeak);
    for (const auto& [output, array] : want.value()) {
      QVERIFY(got.value().count(output));
      QCOMPARE(differing(got.value().at(output), array), std::int64_t(0));
    }
  }

  void valuesAskedForAreNotFusedAway() {
    if (!skip_.isEmpty()) QSKIP(qPrintable(skip_));
    auto model = load("resnet");
    QVERIFY2(model, model.message().c_str());
    const graft::Model& m = *model.value();
    // The first Conv's output goes straight into a Relu: asking for it keeps that pair apart.
    const graft::Value* convOut = nullptr;
    m.graph().forEachNode([&](const graft::Node& n) {
      if (!convOut && n.opType() == "Conv") convOut = n.outputs()[0];
    });
    QVERIFY(convOut && convOut->uses().size() == 1 && convOut->uses()[0].node->opType() == "Relu");
    auto inputs = randomInputs(m);
    graft::EvalOptions asked;
    asked.threads = 2;
    asked.extraOutputs = {convOut->name()};
    auto a = graft::evaluate(m, inputs, asked);
    QVERIFY2(a, a.message().c_str());
    QVERIFY(a.value().count(convOut->name()));
    const graft::Array& pre = a.value().at(convOut->name());
    bool anyNegative = false;
    for (std::int64_t i = 0; i < pre.size(); ++i) anyNegative = anyNegative || pre.data<float>()[i] < 0;
    QVERIFY2(anyNegative, "the Conv's own output (before the Relu) was expected, not the activation");

    // An observer sees every value, the Conv's output among them.
    bool seen = false;
    graft::EvalOptions observing;
    observing.threads = 2;
    observing.observe = [&](const graft::Value& v, const graft::Array&) { seen = seen || &v == convOut; };
    auto b = graft::evaluate(m, inputs, observing);
    QVERIFY2(b, b.message().c_str());
    QVERIFY(seen);
  }

  void activationsWriteInPlaceOnlyIntoBuffersNothingElseReads() {
    // r is a reshaped view of x (the same bytes) and x is read again after the Relu; c dies at
    // the Clip and is its own: only the Clip may write where its input was.
    Builder b;
    b.input("x", onnx::TensorProto_DataType_FLOAT, {2, 6});
    graft::Array shape(onnx::TensorProto_DataType_INT64, {1});
    shape.data<std::int64_t>()[0] = 12;
    b.initializer(shape, "shape");
    graft::Array lo(onnx::TensorProto_DataType_FLOAT, {}), hi(onnx::TensorProto_DataType_FLOAT, {});
    *lo.data<float>() = 0.0f;
    *hi.data<float>() = 6.0f;
    b.initializer(lo, "lo");
    b.initializer(hi, "hi");
    b.node("Reshape", {"x", "shape"}, {"r"});
    b.node("Relu", {"r"}, {"relu"});
    b.node("Neg", {"x"}, {"neg"});
    b.node("Mul", {"neg", "neg"}, {"c"});
    b.node("Clip", {"c", "lo", "hi"}, {"clip"});
    b.output("relu");
    b.output("neg");
    b.output("clip");
    auto model = b.build();
    graft::Array x(onnx::TensorProto_DataType_FLOAT, {2, 6});
    for (std::int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = static_cast<float>(i) - 5.5f;
    const graft::Array original = x.clone();
    auto out = graft::evaluate(*model, {{"x", x}});
    QVERIFY2(out, out.message().c_str());
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const float v = original.data<float>()[i];
      QCOMPARE(x.data<float>()[i], v);  // the caller's input is untouched
      QCOMPARE(out.value().at("relu").data<float>()[i], v > 0 ? v : 0.0f);
      QCOMPARE(out.value().at("neg").data<float>()[i], -v);  // read after the Relu: not overwritten
      QCOMPARE(out.value().at("clip").data<float>()[i], std::min(v * v, 6.0f));
    }
  }
};

QTEST_GUILESS_MAIN(TestEvalConvFusion)
#include "test_eval_conv_fusion.moc"
