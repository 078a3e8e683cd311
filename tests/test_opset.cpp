// Converting models between ai.onnx opsets (graft::convertOpset, `graft-cli convert --opset`):
// PyTorch exports from the backend test data written at opset 6 are taken to 17 and must still
// compute their expected outputs; what cannot be converted says why.
#include <QProcess>
#include <QtTest>

#include <cmath>
#include <filesystem>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "testutil.h"

namespace fs = std::filesystem;

namespace {

// Runs test_data_set_0 of a backend test folder on `model`; empty when every output is within
// the test data's usual tolerance (rtol 1e-3, atol 1e-7 plus a little for float32 sums).
std::string checkExpected(const graft::Model& model, const fs::path& dir) {
  fs::path set = dir / "test_data_set_0";
  graft::NamedArrays inputs;
  const auto& g = model.graph();
  std::size_t i = 0;
  for (const graft::Value* v : g.inputs()) {
    if (v->isInitializer()) continue;
    auto a = graft::readTensorProtoFile((set / ("input_" + std::to_string(i++) + ".pb")).string());
    if (!a) return "input: " + a.message();
    inputs[v->name()] = a.value();
  }
  auto out = graft::evaluate(model, inputs);
  if (!out) return "run: " + out.message();
  for (std::size_t o = 0; o < g.outputs().size(); ++o) {
    auto want = graft::readTensorProtoFile((set / ("output_" + std::to_string(o) + ".pb")).string());
    if (!want) return "expected output: " + want.message();
    const graft::Array& got = out.value().at(g.outputs()[o]->name());
    if (got.shape() != want.value().shape()) return "output " + std::to_string(o) + " shape differs";
    if (got.dtype() != onnx::TensorProto_DataType_FLOAT) continue;
    for (std::int64_t k = 0; k < got.size(); ++k) {
      float a = got.data<float>()[k], b = want.value().data<float>()[k];
      if (std::abs(a - b) > 1e-5 + 1e-3 * std::abs(b)) return "output " + std::to_string(o) + " differs at " + std::to_string(k);
    }
  }
  return {};
}

}  // namespace

class TestOpset : public QObject {
  Q_OBJECT

 private slots:
  void pytorchExportsAtOpset6ConvertTo17AndStillComputeTheSame() {
    int converted = 0, refused = 0;
    QStringList failures;
    for (const auto& path : graft::test::corpusModels({"pytorch-converted"})) {
      auto model = graft::loadModel(path);
      QVERIFY2(model, model.message().c_str());
      if (model.value()->opsetVersion("") >= 17) continue;
      auto up = graft::convertOpset(*model.value(), 17);
      if (!up) {
        // A refusal must say what stopped the converter.
        ++refused;
        qInfo("%s: %s", fs::path(path).parent_path().filename().c_str(), up.message().c_str());
        QVERIFY2(up.message().find("version converter") != std::string::npos, up.message().c_str());
        continue;
      }
      QCOMPARE(up.value()->opsetVersion(""), std::int64_t(17));
      // The converted model passes the onnx checker and inference, node by node.
      auto validation = graft::validateModel(*up.value());
      if (!validation.valid && !validation.problems.empty())
        failures << QString::fromStdString(fs::path(path).parent_path().filename().string() + ": checker: " + validation.problems.front().message);
      std::string why = checkExpected(*up.value(), fs::path(path).parent_path());
      if (!why.empty()) failures << QString::fromStdString(fs::path(path).parent_path().filename().string() + ": " + why);
      ++converted;
    }
    qInfo("converted %d models to opset 17, %d refused by the converter", converted, refused);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
    // Most of the corpus must actually convert (BatchNormalization, pooling, Gemm... adapters).
    QVERIFY2(converted >= 60, qPrintable(QString::number(converted)));
  }

  void impossibleTargetsAreRefusedWithTheReason() {
    fs::path dir = fs::path(graft::test::testdataDir()) / "pytorch-converted" / "test_Linear";
    auto model = graft::loadModel((dir / "model.onnx").string());
    QVERIFY2(model, model.message().c_str());
    auto tooNew = graft::convertOpset(*model.value(), 27);
    QVERIFY(!tooNew);
    QVERIFY2(tooNew.message().find("ai.onnx 1 to 26") != std::string::npos, tooNew.message().c_str());
    auto same = graft::convertOpset(*model.value(), model.value()->opsetVersion(""));
    QVERIFY2(same, same.message().c_str());
    QCOMPARE(same.value()->graph().nodeCount(), model.value()->graph().nodeCount());
  }

  void cliConvertOpset() {
    QTemporaryDir tmp;
    fs::path in = fs::path(graft::test::testdataDir()) / "pytorch-converted" / "test_Linear" / "model.onnx";
    QString out = tmp.filePath("linear17.onnx");
    QProcess p;
    p.start(QString::fromStdString(graft::test::cliPath()), {"convert", QString::fromStdString(in.string()), out, "--opset", "17"});
    QVERIFY(p.waitForFinished(60000));
    QString stdoutText = p.readAllStandardOutput();
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(stdoutText.contains("converted ai.onnx opset 6 to 17"), qPrintable(stdoutText));
    auto saved = graft::loadModel(out.toStdString());
    QVERIFY2(saved, saved.message().c_str());
    QCOMPARE(saved.value()->opsetVersion(""), std::int64_t(17));
    QVERIFY(checkExpected(*saved.value(), in.parent_path()).empty());

    QProcess bad;
    bad.start(QString::fromStdString(graft::test::cliPath()), {"convert", QString::fromStdString(in.string()), out, "--opset", "seventeen"});
    QVERIFY(bad.waitForFinished(60000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(QString(bad.readAllStandardError()).contains("--opset wants an ai.onnx opset number"));
  }
};

QTEST_GUILESS_MAIN(TestOpset)
#include "test_opset.moc"
