// Op coverage of the reference evaluator on the models users bring: every op type in the
// backend test data's PyTorch sets (data/pytorch-converted, data/pytorch-operator) has a
// kernel, and PyTorch exports of torchvision classifiers and segmentation models, BERT- and
// GPT-style transformers, nn.Transformer and LSTM/GRU/RNN (tests/models/export_eval_models.py,
// small configurations) run and reproduce PyTorch's own outputs.
#include <QCoreApplication>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "graft/eval.h"
#include "graft/io.h"
#include "exported_models.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

// float32 evaluation against PyTorch's float32 run: |got - want| <= atol + rtol * |want|, with
// atol relative to the output's largest magnitude (random-weight nets produce large logits).
constexpr double kRtol = 1e-3, kAtolRel = 1e-4;

std::string opName(const graft::Node& n) { return (n.domain().empty() || n.domain() == "ai.onnx" ? "" : n.domain() + ":") + n.opType(); }

// Op types of a model with no kernel, in all its graphs.
std::set<std::string> unsupportedOps(const graft::Model& m) {
  std::set<std::string> missing;
  m.forEachGraph([&](const graft::Graph& g) {
    g.forEachNode([&](const graft::Node& n) {
      if (!graft::isOpSupported(n.opType(), n.domain())) missing.insert(opName(n));
    });
  });
  return missing;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// The exports compared with PyTorch (tests/models/export_eval_models.py).
constexpr const char* kModels[] = {"resnet", "mobilenet_v3", "efficientnet", "convnext", "densenet", "squeezenet", "shufflenet", "vit",
                                   "swin",   "deeplabv3",    "lraspp",       "bert13",   "bert17",   "gpt",        "transformer", "lstm",
                                   "yolo"};

}  // namespace

class TestEvalModels : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;

 private slots:
  void initTestCase() {
    modelsDir_ = QCoreApplication::applicationDirPath() + "/eval-models";
    bool failed = false;
    QStringList names;
    for (const char* name : kModels) names << name;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, names, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
  }

  void pytorchTestDataOpsAreAllSupported() {
    // Every op in the backend test data's PyTorch-produced models (whether or not the test
    // also has expected outputs) has a kernel.
    std::set<std::string> missing;
    auto models = graft::test::corpusModels({"pytorch-converted", "pytorch-operator"});
    QVERIFY2(models.size() > 50, "libonnx-testdata's pytorch-converted/pytorch-operator folders are missing");
    for (const auto& path : models) {
      auto m = graft::loadModel(path);
      QVERIFY2(m, m.message().c_str());
      for (const auto& op : unsupportedOps(*m.value())) missing.insert(op + " (" + fs::path(path).parent_path().filename().string() + ")");
    }
    QVERIFY2(missing.empty(), ("no kernel for: " + join(missing)).c_str());
  }

  void exportedModelsMatchPytorch_data() {
    QTest::addColumn<QString>("name");
    for (const char* name : kModels) QTest::newRow(name) << QString(name);
  }

  void exportedModelsMatchPytorch() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QFETCH(QString, name);
    fs::path dir = fs::path(modelsDir_.toStdString()) / name.toStdString();
    auto model = graft::loadModel((dir / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    const graft::Model& m = *model.value();
    auto missing = unsupportedOps(m);
    QVERIFY2(missing.empty(), ("no kernel for: " + join(missing)).c_str());

    graft::NamedArrays inputs;
    std::size_t i = 0;
    for (const graft::Value* v : m.graph().inputs()) {
      if (v->isInitializer()) continue;
      auto a = graft::readNpy((dir / ("input_" + std::to_string(i++) + ".npy")).string());
      QVERIFY2(a, a.message().c_str());
      inputs[v->name()] = a.value();
    }
    auto out = graft::evaluate(m, inputs);
    QVERIFY2(out, out.message().c_str());
    for (std::size_t k = 0; k < m.graph().outputs().size(); ++k) {
      const std::string& oname = m.graph().outputs()[k]->name();
      auto want = graft::readNpy((dir / ("output_" + std::to_string(k) + ".npy")).string());
      QVERIFY2(want, want.message().c_str());
      const graft::Array& got = out.value().at(oname);
      QVERIFY2(got.shape() == want.value().shape(),
               (oname + ": got " + graft::formatArrayType(got) + ", PyTorch gave " + graft::formatArrayType(want.value())).c_str());
      auto a = graft::arrayToDoubles(got), e = graft::arrayToDoubles(want.value());
      QVERIFY(a && e);
      double scale = 0;
      for (double x : e.value()) scale = std::max(scale, std::abs(x));
      double atol = kAtolRel * std::max(1.0, scale), worst = 0;
      std::size_t bad = 0;
      for (std::size_t j = 0; j < a.value().size(); ++j) {
        double d = std::abs(a.value()[j] - e.value()[j]);
        worst = std::max(worst, d);
        if (!(d <= atol + kRtol * std::abs(e.value()[j]))) ++bad;
      }
      QVERIFY2(bad == 0, (oname + ": " + std::to_string(bad) + " of " + std::to_string(a.value().size()) +
                          " values differ from PyTorch's; max abs diff " + std::to_string(worst))
                             .c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestEvalModels)
#include "test_eval_models.moc"
