// Converting models across opsets 17-26 (graft::convertOpset past the onnx library's converter):
// PyTorch-exported ResNet, BERT-style and GPT-style models taken to opsets 18, 21 and 26 check,
// infer every shape and compute what the opset-17 originals compute; the ONNX node tests of
// opsets 18-26 go down to 17 where the older opset can express them (and then compute their
// original's outputs), and say why where it cannot.
#include <spdlog/spdlog.h>

#include <QtTest>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "graft/schema.h"
#include "exported_models.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

std::string nodeTestsDir() {
  if (const char* env = std::getenv("GRAFT_ONNX_NODE_TESTS")) return env;
#ifdef GRAFT_ONNX_NODE_TESTS_DIR
  if (fs::exists(GRAFT_ONNX_NODE_TESTS_DIR)) return GRAFT_ONNX_NODE_TESTS_DIR;
#endif
  for (const char* rel : {"/../shared/onnx-node-tests", "/../../shared/onnx-node-tests"})
    if (fs::exists(test::sourceDir() + rel)) return test::sourceDir() + rel;
  return {};
}

// Empty when `got` matches `want` within the backend tests' usual tolerance.
std::string compare(const std::string& name, const Array& got, const Array& want) {
  if (got.shape() != want.shape())
    return name + ": got " + formatArrayType(got) + ", expected " + formatArrayType(want);
  auto a = arrayToDoubles(got), e = arrayToDoubles(want);
  if (!a || !e) return {};  // strings and the like: not compared here
  double scale = 0;
  for (double x : e.value()) scale = std::max(scale, std::abs(x));
  const double atol = 1e-4 * std::max(1.0, scale);
  for (std::size_t j = 0; j < a.value().size(); ++j) {
    const double x = a.value()[j], y = e.value()[j];
    if ((std::isnan(y) && std::isnan(x)) || x == y) continue;
    if (!(std::abs(x - y) <= atol + 1e-3 * std::abs(y)))
      return name + ": value " + std::to_string(j) + " is " + std::to_string(x) + ", expected " + std::to_string(y);
  }
  return {};
}

std::string firstError(const std::vector<Diagnostic>& problems) {
  for (const auto& p : problems)
    if (p.severity == Diagnostic::Severity::Error) return "[" + p.node + "] " + p.message;
  return {};
}

}  // namespace

class TestOpsetNewer : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;

 private slots:
  void initTestCase() {
    spdlog::set_level(spdlog::level::warn);
    modelsDir_ = QCoreApplication::applicationDirPath() + "/opset-models";
    bool failed = false;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, {"resnet", "bert17", "gpt"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
  }

  void torchModelsGoToOpsets18_21_26CheckInferAndComputeTheSame_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("opset");
    for (const char* name : {"resnet", "bert17", "gpt"})
      for (int opset : {18, 21, 26}) QTest::newRow((std::string(name) + "@" + std::to_string(opset)).c_str()) << name << opset;
  }

  void torchModelsGoToOpsets18_21_26CheckInferAndComputeTheSame() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QFETCH(QString, name);
    QFETCH(int, opset);
    fs::path dir = fs::path(modelsDir_.toStdString()) / name.toStdString();
    auto original = loadModel((dir / "model.onnx").string());
    QVERIFY2(original, original.message().c_str());
    QVERIFY(original.value()->opsetVersion("") <= 17);

    auto up = convertOpset(*original.value(), opset);
    QVERIFY2(up, up.message().c_str());
    const Model& m = *up.value();
    QCOMPARE(m.opsetVersion(""), std::int64_t(opset));
    QVERIFY(m.shell().ir_version() >= (opset >= 26 ? 13 : opset >= 21 ? 10 : 8));
    auto v = validateModel(m);
    QVERIFY2(v.valid, firstError(v.problems).c_str());
    for (const auto& p : v.problems) QVERIFY2(p.message.find("newer than") == std::string::npos, p.message.c_str());
    auto inferred = inferShapes(m);
    QVERIFY2(inferred, inferred.message().c_str());
    QVERIFY2(inferred->complete, "not every node output was typed");
    QVERIFY2(firstError(inferred->problems).empty(), firstError(inferred->problems).c_str());

    // Both models on the exported inputs: the converted one computes what the original does.
    NamedArrays inputs;
    std::size_t i = 0;
    for (const Value* in : original.value()->graph().inputs()) {
      if (in->isInitializer()) continue;
      auto a = readNpy((dir / ("input_" + std::to_string(i++) + ".npy")).string());
      QVERIFY2(a, a.message().c_str());
      inputs[in->name()] = a.value();
    }
    auto before = evaluate(*original.value(), inputs);
    QVERIFY2(before, before.message().c_str());
    auto after = evaluate(m, inputs);
    QVERIFY2(after, after.message().c_str());
    for (const auto& [out, value] : before.value()) {
      QVERIFY2(after.value().count(out), out.c_str());
      std::string why = compare(out, after.value().at(out), value);
      QVERIFY2(why.empty(), why.c_str());
    }

    // And back to 17, for a runtime that stops there.
    auto back = convertOpset(m, 17);
    QVERIFY2(back, back.message().c_str());
    auto vb = validateModel(*back.value());
    QVERIFY2(vb.valid, firstError(vb.problems).c_str());
    auto again = evaluate(*back.value(), inputs);
    QVERIFY2(again, again.message().c_str());
    for (const auto& [out, value] : before.value()) {
      std::string why = compare(out, again.value().at(out), value);
      QVERIFY2(why.empty(), why.c_str());
    }
  }

  // Down to 17: what converts is valid (the converter checks) and computes what the original
  // computes; what does not says which node or tensor stops it. Up again, it is valid too.
  void nodeTestModelsGoDownTo17OrSayWhy() {
    const std::string root = nodeTestsDir();
    if (root.empty()) QSKIP("the ONNX node tests of opsets 18-26 are absent (set GRAFT_ONNX_NODE_TESTS)");
    int converted = 0, refused = 0, computed = 0, notRun = 0;  // notRun: the original does not run yet
    QStringList failures;
    for (const char* release : {"1.18", "1.21"}) {
      if (!fs::exists(fs::path(root) / release)) continue;
      std::vector<fs::path> dirs;
      for (const auto& e : fs::directory_iterator(fs::path(root) / release)) dirs.push_back(e.path());
      std::sort(dirs.begin(), dirs.end());
      for (const auto& dir : dirs) {
        const std::string test = dir.filename().string();
        auto model = loadModel((dir / "model.onnx").string());
        if (!model) continue;
        const std::int64_t opset = model.value()->opsetVersion("");
        auto down = convertOpset(*model.value(), 17);
        if (!down) {
          ++refused;
          const std::string& why = down.message();
          const bool says = why.find("node '") != std::string::npos || why.find("graph input '") != std::string::npos ||
                            why.find("initializer '") != std::string::npos || why.find("output '") != std::string::npos;
          if (!says) failures << QString::fromStdString(test + ": refused without naming what: " + why);
          continue;
        }
        ++converted;
        QCOMPARE(down.value()->opsetVersion(""), std::int64_t(17));
        auto upAgain = convertOpset(*down.value(), opset);
        if (!upAgain)
          failures << QString::fromStdString(test + ": back to " + std::to_string(opset) + ": " + upAgain.message());
        else if (auto v = validateModel(*upAgain.value()); !v.valid)
          failures << QString::fromStdString(test + ": back to " + std::to_string(opset) + ": " + firstError(v.problems));

        // The expected outputs of test_data_set_0.
        fs::path set = dir / "test_data_set_0";
        NamedArrays inputs;
        std::size_t i = 0;
        bool readable = true;
        for (const Value* in : down.value()->graph().inputs()) {
          if (in->isInitializer()) continue;
          // Sequence and optional inputs are stored as other protos than TensorProto.
          if (!in->declaredType() || !in->declaredType()->has_tensor_type()) {
            readable = false;
            break;
          }
          auto a = readTensorProtoFile((set / ("input_" + std::to_string(i++) + ".pb")).string());
          if (!a) readable = false;
          else inputs[in->name()] = a.value();
        }
        if (!readable) continue;
        // The converted model computes what the original computes (both on Graft's evaluator, so
        // a gap or fault of a kernel cannot pass for a conversion fault, nor the other way).
        auto original = evaluate(*model.value(), inputs);
        if (!original) {
          ++notRun;
          continue;
        }
        auto out = evaluate(*down.value(), inputs);
        if (!out) {
          failures << QString::fromStdString(test + ": the original runs, the opset-17 form does not: " + out.message());
          continue;
        }
        for (const auto& [name, value] : original.value()) {
          if (!out.value().count(name)) {
            failures << QString::fromStdString(test + ": output '" + name + "' is missing at opset 17");
            continue;
          }
          std::string why = compare(name, out.value().at(name), value);
          if (!why.empty()) failures << QString::fromStdString(test + " at opset 17: " + why);
        }
        ++computed;
      }
    }
    qInfo("node tests to opset 17: %d converted (%d computed the original's outputs, %d not compared: the original does "
          "not run on the evaluator), %d refused",
          converted,
          computed, notRun, refused);
    QVERIFY(converted > 0);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join("\n")));
  }

  // The portable profile writes ONNX's own Gelu (opset 20) for the exported GELU forms, from
  // opset 20 on only; the model still computes the same.
  void portableProfileWritesOnnxGeluFromOpset20() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    auto profile = findProfile("portable");
    QVERIFY2(profile, profile.message().c_str());
    auto rewriter = Rewriter::create(*profile);
    QVERIFY2(rewriter, rewriter.message().c_str());
    // (bert17 writes nn.GELU's Erf form; the GPT export's tanh form is written in an order the
    // tanh rules, ONNX Runtime's included, do not cover.)
    for (const char* name : {"bert17"}) {
      fs::path dir = fs::path(modelsDir_.toStdString()) / name;
      auto original = loadModel((dir / "model.onnx").string());
      QVERIFY2(original, original.message().c_str());
      auto count = [](const Model& m, const std::string& op) {
        int n = 0;
        for (const Node* node : m.graph().nodes()) n += node->opType() == op && node->domain().empty();
        return n;
      };
      // At 17 there is no Gelu to write.
      auto at17 = Model::fromProto(original.value()->toProto());
      QVERIFY(at17);
      QVERIFY2(rewriter->applyAll(*at17.value()), name);
      QCOMPARE(count(*at17.value(), "Gelu"), 0);

      auto at21 = convertOpset(*original.value(), 21);
      QVERIFY2(at21, at21.message().c_str());
      auto record = rewriter->applyAll(*at21.value());
      QVERIFY2(record, record.message().c_str());
      const int gelus = count(*at21.value(), "Gelu");
      QVERIFY2(gelus > 0, name);
      QCOMPARE(count(*at21.value(), "Erf"), 0);
      auto v = validateModel(*at21.value());
      QVERIFY2(v.valid, firstError(v.problems).c_str());
      qInfo("%s at opset 21 through the portable profile: %d ONNX Gelu nodes", name, gelus);

      NamedArrays inputs;
      std::size_t i = 0;
      for (const Value* in : original.value()->graph().inputs()) {
        if (in->isInitializer()) continue;
        auto a = readNpy((dir / ("input_" + std::to_string(i++) + ".npy")).string());
        QVERIFY2(a, a.message().c_str());
        inputs[in->name()] = a.value();
      }
      auto before = evaluate(*original.value(), inputs);
      auto after = evaluate(*at21.value(), inputs);
      if (!after) QSKIP(qPrintable(QString("the evaluator does not run Gelu-20 yet: ") + after.message().c_str()));
      QVERIFY2(before, before.message().c_str());
      for (const auto& [out, value] : before.value()) {
        std::string why = compare(out, after.value().at(out), value);
        QVERIFY2(why.empty(), why.c_str());
      }
    }
  }

  void conversionsThatCannotBeDoneSayWhy() {
    // Attention exists only from 23; GroupNormalization changes meaning at 21.
    onnx::ModelProto m;
    m.set_ir_version(11);
    auto* imp = m.add_opset_import();
    imp->set_version(23);
    auto* g = m.mutable_graph();
    g->set_name("g");
    for (const char* in : {"q", "k", "v"}) {
      auto* vi = g->add_input();
      vi->set_name(in);
      auto* t = vi->mutable_type()->mutable_tensor_type();
      t->set_elem_type(1);
      for (int d : {1, 2, 3, 4}) t->mutable_shape()->add_dim()->set_dim_value(d);
    }
    auto* n = g->add_node();
    n->set_op_type("Attention");
    n->set_name("attn");
    for (const char* in : {"q", "k", "v"}) n->add_input(in);
    n->add_output("y");
    auto model = Model::fromProto(m);
    QVERIFY2(model, model.message().c_str());
    auto down = convertOpset(*model.value(), 17);
    QVERIFY(!down);
    QVERIFY2(down.message().find("node 'attn' (Attention): Attention exists only from opset 23") != std::string::npos,
             down.message().c_str());
    auto up = convertOpset(*model.value(), 26);
    QVERIFY2(up, up.message().c_str());
    QCOMPARE(up.value()->opsetVersion(""), std::int64_t(26));
  }
};

QTEST_GUILESS_MAIN(TestOpsetNewer)
#include "test_opset_newer.moc"
