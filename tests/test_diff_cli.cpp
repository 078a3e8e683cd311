// `graft-cli diff` on files: exit codes, the --json schema (every node of A and B in exactly one
// entry), --numeric naming the first node that reads a changed weight, and an optimized model
// against its original showing every rewrite as a fused group.
#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "diff_testutil.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "exported_models.h"
#include "cli_testutil.h"
#include "testutil.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The shared runner's result with std::string text, which these tests search with find().
struct Run {
  int exitCode = -1;
  std::string out, err;
};

Run runCli(const QStringList& args) {
  graft::test::Run r = graft::test::runCli(args);
  return {r.exitCode, r.out.toStdString(), r.err.toStdString()};
}

void writeProto(const onnx::ModelProto& m, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
}

}  // namespace

class TestDiffCli : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;
  QTemporaryDir tmp_;
  graft::test::MutatedModel mutated_;
  std::string original_, pathA_, pathB_;

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    modelsDir_ = QCoreApplication::applicationDirPath() + "/diff-models";
    bool failed = false;
    skipReason_ = graft::test::exportEvalModels(modelsDir_, {"gpt"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
    if (!skipReason_.isEmpty()) return;
    original_ = (fs::path(modelsDir_.toStdString()) / "gpt" / "model.onnx").string();
    auto m = graft::loadModel(original_);
    QVERIFY2(m, m.message().c_str());
    mutated_ = graft::test::mutateModel(m.value()->toProto());
    pathA_ = tmp_.filePath("a.onnx").toStdString();
    pathB_ = tmp_.filePath("b.onnx").toStdString();
    writeProto(mutated_.a, pathA_);
    writeProto(mutated_.b, pathB_);
  }

  void aModelDiffedWithItselfExitsZero() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    Run r = runCli({"diff", QString::fromStdString(original_), QString::fromStdString(original_)});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.find("The models are the same.") != std::string::npos, r.out.c_str());
  }

  void jsonListsEveryNodeOnceAndTheKnownChanges() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    Run r = runCli({"diff", QString::fromStdString(pathA_), QString::fromStdString(pathB_), "--json"});
    QCOMPARE(r.exitCode, 1);
    json j = json::parse(r.out);
    QCOMPARE(j["same"].get<bool>(), false);
    QCOMPARE(j["summary"]["changed"].get<int>(), 1);
    QCOMPARE(j["summary"]["added"].get<int>(), 1);
    QCOMPARE(j["summary"]["removed"].get<int>(), 0);
    QCOMPARE(j["summary"]["fused"].get<int>(), 0);
    QCOMPARE(j["summary"]["weights_changed"].get<int>(), 1);
    std::map<std::string, int> seenA, seenB;
    for (const auto& e : j["nodes"]) {
      for (const auto& n : e["a"]) ++seenA[n.get<std::string>()];
      for (const auto& n : e["b"]) ++seenB[n.get<std::string>()];
      QVERIFY(e.contains("status") && e.contains("op") && e.contains("changes"));
      if (e["status"] == "changed") QCOMPARE(e["a"][0].get<std::string>(), mutated_.attributeNodeA);
      if (e["status"] == "added") QCOMPARE(e["b"][0].get<std::string>(), mutated_.identityB);
    }
    QCOMPARE(static_cast<int>(seenA.size()), mutated_.a.graph().node_size());
    QCOMPARE(static_cast<int>(seenB.size()), mutated_.b.graph().node_size());
    for (const auto& [name, count] : seenA) QVERIFY2(count == 1, name.c_str());
    for (const auto& [name, count] : seenB) QVERIFY2(count == 1, name.c_str());
    const json& w = j["weights"][0];
    QCOMPARE(w["status"].get<std::string>(), std::string("changed"));
    QCOMPARE(w["a"].get<std::string>(), mutated_.weightA);
    QVERIFY(w["max_rel"].get<double>() > 0.0099 && w["max_rel"].get<double>() < 0.0101);
    QVERIFY(!j.contains("numeric"));
    // The human form names the same things.
    Run h = runCli({"diff", QString::fromStdString(pathA_), QString::fromStdString(pathB_)});
    QCOMPARE(h.exitCode, 1);
    QVERIFY2(h.out.find("1 changed, 1 added, 0 removed") != std::string::npos, h.out.c_str());
    QVERIFY(h.out.find(mutated_.identityB) != std::string::npos);
    QVERIFY(h.out.find("attribute " + mutated_.attributeName) != std::string::npos);
  }

  void numericNamesTheFirstNodeReadingTheChangedWeight() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    graft::test::MutationOptions only;
    only.insertIdentity = only.changeAttribute = false;
    auto m = graft::loadModel(original_);
    QVERIFY(m);
    auto mutated = graft::test::mutateModel(m.value()->toProto(), only);
    std::string a = tmp_.filePath("wa.onnx").toStdString(), b = tmp_.filePath("wb.onnx").toStdString();
    writeProto(mutated.a, a);
    writeProto(mutated.b, b);
    Run r = runCli({"diff", QString::fromStdString(a), QString::fromStdString(b), "--numeric", "--json", "--seed", "3"});
    QCOMPARE(r.exitCode, 1);
    json j = json::parse(r.out);
    const json& first = j["numeric"]["first_divergence"];
    QVERIFY(first.is_object());
    std::string reader;
    for (const auto& n : mutated.a.graph().node())
      for (const auto& in : n.input())
        if (in == mutated.weightA) reader = n.name();
    QCOMPARE(first["a"].get<std::string>(), reader);
    QCOMPARE(first["b"].get<std::string>(), mutated.nodeAtoB.at(reader));
    QVERIFY(first["max_abs"].get<double>() > 0);
    // A tolerance wider than the change makes them agree numerically (the weight still differs).
    Run loose = runCli({"diff", QString::fromStdString(a), QString::fromStdString(b), "--numeric", "--json", "--rtol", "0.5", "--atol", "1"});
    QCOMPARE(loose.exitCode, 1);
    QVERIFY(json::parse(loose.out)["numeric"]["first_divergence"].is_null());
  }

  void anOptimizedModelShowsEveryRewriteAsAFusedGroup() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
    QString out = tmp_.filePath("gpt.ort.onnx");
    Run opt = runCli({"optimize", QString::fromStdString(original_), out, "--backend", "onnxruntime-cpu"});
    QVERIFY2(opt.exitCode == 0, (opt.out + opt.err).c_str());
    auto optimized = graft::loadModel(out.toStdString());
    QVERIFY(optimized);
    std::map<std::string, std::string> ruleOf;  // nodes a rule made
    optimized.value()->graph().forEachNode([&](const graft::Node& n) {
      if (!graft::provenanceOf(n).empty()) ruleOf[n.name()] = graft::provenanceOf(n);
    });
    QVERIFY2(!ruleOf.empty(), "the onnxruntime-cpu profile rewrote nothing in the GPT export");
    Run r = runCli({"diff", QString::fromStdString(original_), out, "--json"});
    QCOMPARE(r.exitCode, 1);
    json j = json::parse(r.out);
    QVERIFY(j["summary"]["fused"].get<int>() > 0);
    std::size_t checked = 0;
    for (const auto& e : j["nodes"]) {
      for (const auto& n : e["b"]) {
        auto it = ruleOf.find(n.get<std::string>());
        if (it == ruleOf.end()) continue;
        std::string status = e["status"];
        QVERIFY2(status == "fused" || status == "split", (n.get<std::string>() + " made by " + it->second + " is " + status).c_str());
        QVERIFY2(e["rule"].get<std::string>().find(it->second) != std::string::npos, e["rule"].get<std::string>().c_str());
        ++checked;
      }
    }
    QCOMPARE(checked, ruleOf.size());
  }

  void usageAndReadErrorsHaveTheirExitCodes() {
    QString a = QString::fromStdString(graft::test::testdataDir() + "/node/test_relu/model.onnx");
    if (!QFile::exists(a)) QSKIP("libonnx-testdata is missing");
    QCOMPARE(runCli({"diff", a}).exitCode, 2);
    QCOMPARE(runCli({"diff", a, a, "--no-such-option"}).exitCode, 2);
    QCOMPARE(runCli({"diff", a, a, "--seed", "1"}).exitCode, 2);
    QCOMPARE(runCli({"diff", a, a, "--numeric", "--atol", "abc"}).exitCode, 2);
    Run missing = runCli({"diff", a, tmp_.filePath("nothing-here.onnx")});
    QCOMPARE(missing.exitCode, 3);
    QVERIFY2(missing.err.find("nothing-here.onnx") != std::string::npos, missing.err.c_str());
    Run self = runCli({"diff", a, a, "--numeric"});
    QCOMPARE(self.exitCode, 0);
  }
};

QTEST_MAIN(TestDiffCli)
#include "test_diff_cli.moc"
