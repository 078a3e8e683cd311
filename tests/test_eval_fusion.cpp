// Prepare-time fusion in the evaluator (engine/src/eval/fusion.cpp): the chains an exporter
// writes op by op (LayerNorm, erf GELU, MatMul + bias, scaled and masked Softmax) are found in
// real PyTorch exports (tests/models/export_eval_models.py) and give what the separate nodes give;
// values a caller asks for are still produced, and chains whose arrays do not fit the fused
// kernel fall back to their nodes.
#include <QCoreApplication>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "eval_testutil.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "exported_models.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

constexpr int kFloat = onnx::TensorProto_DataType_FLOAT;

graft::Array scalar(float v) {
  graft::Array a(kFloat, {});
  a.data<float>()[0] = v;
  return a;
}

// x -> decomposed LayerNorm over the last axis with `gamma` -> y, as torch exports it.
void addLayerNorm(Builder& b, const std::string& x, const std::string& gamma, const std::string& y) {
  b.initializer(scalar(2.0f), "two");
  b.initializer(scalar(1e-5f), "eps");
  b.ints(b.node("ReduceMean", {x}, {"mean"}), "axes", {-1});
  b.node("Sub", {x, "mean"}, {"d"});
  b.node("Pow", {"d", "two"}, {"d2"});
  b.ints(b.node("ReduceMean", {"d2"}, {"var"}), "axes", {-1});
  b.node("Add", {"var", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"sd"});
  b.node("Div", {"d", "sd"}, {"n"});
  b.node("Mul", {"n", gamma}, {y});
}

}  // namespace

class TestEvalFusion : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;

  // The exported model `name` with its recorded inputs.
  bool load(const QString& name, std::unique_ptr<graft::Model>& model, graft::NamedArrays& inputs) {
    fs::path dir = fs::path(modelsDir_.toStdString()) / name.toStdString();
    auto m = graft::loadModel((dir / "model.onnx").string());
    if (!m) return false;
    model = std::move(m.value());
    std::size_t i = 0;
    for (const graft::Value* v : model->graph().inputs()) {
      if (v->isInitializer()) continue;
      auto a = graft::readNpy((dir / ("input_" + std::to_string(i++) + ".npy")).string());
      if (!a) return false;
      inputs[v->name()] = a.value();
    }
    return true;
  }

 private slots:
  void initTestCase() {
    modelsDir_ = QCoreApplication::applicationDirPath() + "/fusion-models";
    bool failed = false;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, {"bert13", "bert17", "gpt", "vit", "transformer"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
  }

  void exportedTransformersHaveTheirChainsFound_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("kinds");
    QTest::newRow("bert13") << "bert13" << QStringList{"LayerNorm", "MatMul+bias", "MatMul+bias+Gelu", "Softmax (scaled, masked)"};
    QTest::newRow("bert17") << "bert17" << QStringList{"MatMul+bias", "MatMul+bias+Gelu", "Softmax (scaled, masked)"};
    QTest::newRow("gpt (tanh GELU, causal mask)") << "gpt" << QStringList{"LayerNorm", "MatMul+bias", "MatMul+bias+Gelu (tanh)", "Softmax (scaled, masked)"};
  }
  void exportedTransformersHaveTheirChainsFound() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QFETCH(QString, name);
    QFETCH(QStringList, kinds);
    std::unique_ptr<graft::Model> model;
    graft::NamedArrays inputs;
    QVERIFY(load(name, model, inputs));
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    std::set<std::string> found;
    for (const auto& [node, kind] : ev.value()->fusedChains()) found.insert(kind);
    for (const QString& k : kinds) QVERIFY2(found.count(k.toStdString()), qPrintable(name + ": no " + k + " chain"));
  }

  void fusedRunsGiveWhatTheSeparateNodesGive_data() {
    QTest::addColumn<QString>("name");
    for (const char* n : {"bert13", "bert17", "gpt", "vit", "transformer"}) QTest::newRow(n) << QString(n);
  }
  void fusedRunsGiveWhatTheSeparateNodesGive() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QFETCH(QString, name);
    std::unique_ptr<graft::Model> model;
    graft::NamedArrays inputs;
    QVERIFY(load(name, model, inputs));
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    graft::EvalOptions fused, separate;
    fused.threads = separate.threads = 2;
    separate.fuse = false;
    auto a = ev.value()->run(inputs, fused), again = ev.value()->run(inputs, fused), b = ev.value()->run(inputs, separate);
    QVERIFY2(a && again && b, (a ? (again ? b : again) : a).message().c_str());
    for (const auto& [out, want] : b.value()) {
      const graft::Array& got = a.value().at(out);
      QCOMPARE(got.shape(), want.shape());
      double d = relativeDifference(got, want);
      // LayerNorm sums in double where the separate nodes sum in float; the rest is the same arithmetic.
      QVERIFY2(d < 1e-5, qPrintable(name + " " + QString::fromStdString(out) + ": " + QString::number(d)));
      QCOMPARE(relativeDifference(again.value().at(out), got), 0.0);
    }
  }

  void valuesInsideAChainAreProducedWhenAskedFor() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    std::unique_ptr<graft::Model> model;
    graft::NamedArrays inputs;
    QVERIFY(load("bert13", model, inputs));
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    auto chains = ev.value()->fusedChains();
    QVERIFY(!chains.empty());
    // The input of the last node of the first LayerNorm chain: a value only the chain sees.
    const graft::Node* last = nullptr;
    for (const auto& [node, kind] : chains)
      if (kind == "LayerNorm" && !last) model->graph().forEachNode([&](const graft::Node& n) {
          if (n.name() == node) last = &n;
        });
    QVERIFY(last && last->input(0));
    std::string inner = last->input(0)->name();
    graft::EvalOptions ask;
    ask.extraOutputs = {inner};
    auto got = ev.value()->run(inputs, ask);
    QVERIFY2(got, got.message().c_str());
    QVERIFY(got.value().count(inner));
    graft::EvalOptions separate;
    separate.fuse = false;
    separate.extraOutputs = {inner};
    auto want = ev.value()->run(inputs, separate);
    QVERIFY(want);
    QCOMPARE(relativeDifference(got.value().at(inner), want.value().at(inner)), 0.0);
  }

  // A gamma with one value per element (not per column) is not what the fused kernel takes: the
  // chain's nodes run one by one and give the broadcast product.
  void aChainWhoseArraysDoNotFitRunsItsNodes() {
    Builder b;
    b.input("x", kFloat, {4, 8});
    b.input("gamma", kFloat, {4, 8});
    addLayerNorm(b, "x", "gamma", "y");
    b.output("y");
    auto model = b.build();
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    QCOMPARE(ev.value()->fusedChains().size(), std::size_t(1));
    graft::NamedArrays feeds{{"x", randomArray({4, 8}, 1)}, {"gamma", randomArray({4, 8}, 2)}};
    graft::EvalOptions separate;
    separate.fuse = false;
    auto got = ev.value()->run(feeds), want = ev.value()->run(feeds, separate);
    QVERIFY(got && want);
    QCOMPARE(relativeDifference(got.value().at("y"), want.value().at("y")), 0.0);
    // Per-column gamma: fused, within the double-sum difference.
    feeds["gamma"] = randomArray({8}, 3);
    Builder b2;
    b2.input("x", kFloat, {4, 8});
    b2.input("gamma", kFloat, {8});
    addLayerNorm(b2, "x", "gamma", "y");
    b2.output("y");
    auto model2 = b2.build();
    auto got2 = graft::evaluate(*model2, feeds), want2 = graft::evaluate(*model2, feeds, separate);
    QVERIFY(got2 && want2);
    QVERIFY(relativeDifference(got2.value().at("y"), want2.value().at("y")) < 1e-6);
  }

  // An intermediate that is a graph output keeps its chain from forming.
  void aChainWhoseInsideIsAGraphOutputIsNotFused() {
    Builder b;
    b.input("x", kFloat, {4, 8});
    b.initializer(randomArray({8}, 2), "gamma");
    addLayerNorm(b, "x", "gamma", "y");
    b.output("y");
    b.output("var");
    auto model = b.build();
    auto ev = graft::Evaluator::create(*model);
    QVERIFY(ev);
    QVERIFY(ev.value()->fusedChains().empty());
    auto out = ev.value()->run({{"x", randomArray({4, 8}, 1)}});
    QVERIFY(out);
    QCOMPARE(out.value().at("var").shape(), (std::vector<std::int64_t>{4, 1}));
  }
};

QTEST_GUILESS_MAIN(TestEvalFusion)
#include "test_eval_fusion.moc"
