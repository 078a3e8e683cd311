// graft-cli recipe apply|show and the --save-recipe options of edit, optimize and quantize, end
// to end with the built binary: recipes recorded on one model replay on a copy whose node, value
// and weight names all changed, and every exit code (0, 1, 2, 3) means what docs/cli.md says.
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QtTest>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "cli_testutil.h"
#include "testutil.h"

using nlohmann::json;

namespace {

using graft::test::Run;
using graft::test::runCli;


onnx::ModelProto readProto(const QString& path) {
  std::ifstream f(path.toStdString(), std::ios::binary);
  onnx::ModelProto m;
  m.ParseFromIstream(&f);
  return m;
}

bool writeProto(const onnx::ModelProto& m, const QString& path) {
  std::ofstream f(path.toStdString(), std::ios::binary);
  return m.SerializeToOstream(&f);
}

// A re-export: every node, value and weight renamed (graph inputs and outputs keep theirs), the
// independent branches in the other order.
onnx::ModelProto renamedCopy(onnx::ModelProto m) {
  auto& g = *m.mutable_graph();
  std::map<std::string, std::string> to;
  std::set<std::string> io;
  for (const auto& v : g.input()) io.insert(v.name());
  for (const auto& v : g.output()) io.insert(v.name());
  auto fresh = [&](const std::string& s) {
    if (s.empty() || io.count(s)) return s;
    auto it = to.find(s);
    return it != to.end() ? it->second : to[s] = "v" + std::to_string(to.size() + 100);
  };
  for (auto& t : *g.mutable_initializer()) t.set_name(fresh(t.name()));
  int k = 0;
  for (auto& n : *g.mutable_node()) {
    for (auto& s : *n.mutable_input()) s = fresh(s);
    for (auto& s : *n.mutable_output()) s = fresh(s);
    n.set_name("export_" + std::to_string(900 - k++));
  }
  return m;
}

onnx::ModelProto parse(const char* text) {
  onnx::ModelProto m;
  onnx::OnnxParser parser(text);
  if (!parser.Parse(m).IsOK()) qFatal("cannot parse the test model");
  int k = 0;
  for (auto& n : *m.mutable_graph()->mutable_node()) n.set_name("/block/" + n.op_type() + "_" + std::to_string(k++));
  return m;
}

// Two branches of MatMul + Add (+ an Identity) that optimize fuses into Gemm each, a Reshape the
// batch dim must fit, and values worth exposing.
const char* kModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[batch,4] x) => (float[batch,3] y, float[batch,3] z)
<float[4,3] w1 = {1,2,3,4,5,6,7,8,9,10,11,12}, float[3] b1 = {1,2,3},
 float[4,3] w2 = {0,1,0,1,0,1,0,1,0,1,0,1}, float[3] b2 = {3,2,1}, int64[2] shape = {-1, 3}>
{
  i = Identity(x)
  m1 = MatMul(i, w1)
  a1 = Add(m1, b1)
  r1 = Relu(a1)
  y = Reshape(r1, shape)
  m2 = MatMul(i, w2)
  a2 = Add(m2, b2)
  z = Sigmoid(a2)
})";

}  // namespace

class TestCliRecipe : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString in_, renamed_;

  QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }
  QString write(const char* name, const std::string& text) const {
    QFile f(path(name));
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", name);
    f.write(text.data(), static_cast<qint64>(text.size()));
    return path(name);
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    auto m = parse(kModel);
    in_ = path("in.onnx");
    renamed_ = path("renamed.onnx");
    QVERIFY(writeProto(m, in_));
    QVERIFY(writeProto(renamedCopy(m), renamed_));
  }

  void anEditRecipeReplaysOnTheRenamedCopy() {
    const QString recipe = path("edit.recipe.json");
    Run r = runCli({"edit", in_, path("edited.onnx"), "--set-dim", "batch=1", "--add-output", "a1", "--rename-node",
                    "/block/Sigmoid_7=sigmoid", "--save-recipe", recipe});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFile::exists(recipe));

    r = runCli({"recipe", "show", recipe});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("3 steps") && r.out.contains("add graph output"), qPrintable(r.out));

    const QString out = path("replayed.onnx");
    r = runCli({"recipe", "apply", recipe, renamed_, out, "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    json j = json::parse(r.out.toStdString());
    QCOMPARE(j["applied"], 3);
    QCOMPARE(j["not_applicable"], 0);
    auto m = readProto(out);
    // The renamed copy's own name for a1: the output of the Add that reads b1 (renamed too).
    QCOMPARE(m.graph().output_size(), 3);
    const std::string exposed = m.graph().output(2).name();
    QVERIFY(exposed != "a1");
    bool fromAdd = false;
    for (const auto& n : m.graph().node())
      if (n.output(0) == exposed) fromAdd = n.op_type() == "Add";
    QVERIFY(fromAdd);
    QCOMPARE(m.graph().input(0).type().tensor_type().shape().dim(0).dim_value(), std::int64_t(1));
    bool renamed = false;
    for (const auto& n : m.graph().node()) renamed = renamed || (n.name() == "sigmoid" && n.op_type() == "Sigmoid");
    QVERIFY(renamed);
    QCOMPARE(runCli({"check", out}).exitCode, 0);

    // Again on its own result: everything is already true, still exit 0.
    r = runCli({"recipe", "apply", recipe, out, path("again.onnx")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("already true"), qPrintable(r.out));
  }

  void optimizeRecordsEachRewriteAsItsOwnStep() {
    const QString recipe = path("opt.recipe.json");
    Run r = runCli({"optimize", in_, path("opt.onnx"), "--backend", "portable", "--keep-opset", "--save-recipe", recipe, "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    json report = json::parse(r.out.toStdString());
    const int applied = report["applied"].get<int>();
    QVERIFY2(applied >= 3, r.out.toUtf8().constData());  // the Identity and two MatMul+Add fusions
    std::ifstream f(recipe.toStdString());
    json rec = json::parse(f);
    QCOMPARE(rec["format"], "graft-recipe");
    QCOMPARE(static_cast<int>(rec["steps"].size()), applied);
    int gemms = 0;
    for (const auto& s : rec["steps"]) {
      QCOMPARE(s["kind"], "rewrite");
      QVERIFY(s["at"].contains("neighbourhood"));
      gemms += s["rule"] == "fuse.matmul_add_gemm";
    }
    QCOMPARE(gemms, 2);

    // The same rewrites on the renamed copy: the same graph as optimizing the copy directly.
    Run direct = runCli({"optimize", renamed_, path("opt_direct.onnx"), "--backend", "portable", "--keep-opset"});
    QVERIFY2(direct.exitCode == 0, qPrintable(direct.err));
    r = runCli({"recipe", "apply", recipe, renamed_, path("opt_replayed.onnx")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    auto a = readProto(path("opt_direct.onnx")), b = readProto(path("opt_replayed.onnx"));
    QCOMPARE(b.graph().node_size(), a.graph().node_size());
    std::multiset<std::string> opsA, opsB;
    for (const auto& n : a.graph().node()) opsA.insert(n.op_type());
    for (const auto& n : b.graph().node()) opsB.insert(n.op_type());
    QVERIFY(opsA == opsB);
    QCOMPARE(static_cast<int>(opsB.count("Gemm")), 2);
  }

  void quantizeRecordsItsSettingsAndReplays() {
    const QString recipe = path("quant.recipe.json");
    Run r = runCli({"quantize", in_, path("q.onnx"), "--mode", "dynamic", "--exclude", "/block/MatMul_5", "--save-recipe", recipe});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    std::ifstream f(recipe.toStdString());
    json rec = json::parse(f);
    QCOMPARE(rec["steps"].size(), size_t(1));
    QCOMPARE(rec["steps"][0]["kind"], "quantize");
    QCOMPARE(rec["steps"][0]["mode"], "dynamic");
    QCOMPARE(rec["steps"][0]["exclude"].size(), size_t(1));
    QCOMPARE(rec["steps"][0]["exclude"][0]["op"], "MatMul");

    r = runCli({"recipe", "apply", recipe, renamed_, path("q_replayed.onnx")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    auto q = readProto(path("q.onnx")), replayed = readProto(path("q_replayed.onnx"));
    std::multiset<std::string> opsA, opsB;
    for (const auto& n : q.graph().node()) opsA.insert(n.op_type());
    for (const auto& n : replayed.graph().node()) opsB.insert(n.op_type());
    QVERIFY(opsA == opsB);
    // One MatMul quantized, the excluded one (found again by structure) left in float.
    QCOMPARE(static_cast<int>(opsB.count("MatMul")), 1);
    QVERIFY(opsB.count("MatMulInteger") + opsB.count("DynamicQuantizeMatMul") == 1);
  }

  void aStepThatDoesNotApplyExitsOneAndSaysWhy() {
    const QString recipe = write("partial.json", R"({"format": "graft-recipe", "version": 1, "steps": [
      {"kind": "edit", "edit": "add-output", "value": {"node": {"op": "Relu", "name": "/block/Relu_3"}, "output": 0}},
      {"kind": "edit", "edit": "delete-node", "node": {"op": "Softmax", "name": "/nowhere/Softmax"}}
    ]})");
    const QString out = path("partial.onnx");
    Run r = runCli({"recipe", "apply", recipe, in_, out});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains("1 applied") && r.out.contains("1 not applicable"), qPrintable(r.out));
    QVERIFY2(r.out.contains("/nowhere/Softmax"), qPrintable(r.out));
    // OUT is written with what did apply.
    QCOMPARE(readProto(out).graph().output_size(), 3);
  }

  // Every command that writes a model treats a symbolic link OUT alike: refused with the reason
  // (the link and its target untouched), written through, link kept, with --through-symlink.
  void everyWritingCommandWritesThroughASymlinkOnlyOnPurpose() {
    const QString recipe = write("meta.json", R"({"steps": [{"kind": "edit", "edit": "set-metadata", "key": "k", "value": "v"}]})");
    const std::vector<std::pair<const char*, QStringList>> commands = {
        {"edit", {"edit", in_, "OUT", "--set-metadata", "k=v"}},
        {"quantize", {"quantize", in_, "OUT", "--mode", "dynamic"}},
        {"recipe apply", {"recipe", "apply", recipe, in_, "OUT"}},
        {"convert", {"convert", in_, "OUT"}},
    };
    for (const auto& [name, args] : commands) {
      const QString target = path((std::string("target-") + name + ".onnx").c_str()).replace(' ', '-');
      const QString link = path((std::string("link-") + name + ".onnx").c_str()).replace(' ', '-');
      QVERIFY(write(QFileInfo(target).fileName().toUtf8().constData(), "old") == target);
      QVERIFY(QFile::link(target, link));
      QStringList a = args;
      a.replace(a.indexOf("OUT"), link);
      Run r = runCli(a);
      QVERIFY2(r.exitCode == 3, qPrintable(QString(name) + ": " + r.out + r.err));
      QVERIFY2(r.err.contains("symbolic link"), qPrintable(QString(name) + ": " + r.err));
      QVERIFY(QFileInfo(link).isSymLink());
      QFile old(target);
      QVERIFY(old.open(QIODevice::ReadOnly));
      QCOMPARE(old.readAll(), QByteArray("old"));
      old.close();
      r = runCli(a << "--through-symlink");
      QVERIFY2(r.exitCode == 0, qPrintable(QString(name) + ": " + r.out + r.err));
      QVERIFY(QFileInfo(link).isSymLink());
      QVERIFY2(readProto(target).graph().node_size() > 0, name);
    }
  }

  void usageReadAndWriteErrorsHaveTheirExitCodes() {
    const QString good = write("good.json", R"({"steps": [{"kind": "edit", "edit": "set-metadata", "key": "k", "value": "v"}]})");
    const QString bad = write("bad.json", R"({"steps": [{"kind": "edit", "edit": "rename-node", "new_name": "a"}]})");
    QCOMPARE(runCli({"recipe"}).exitCode, 2);
    QCOMPARE(runCli({"recipe", "cook", good}).exitCode, 2);
    QCOMPARE(runCli({"recipe", "apply", good, in_}).exitCode, 2);
    Run r = runCli({"recipe", "apply", bad, in_, path("bad.onnx")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("step 1") && r.err.contains("needs \"node\""), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("bad.onnx")));
    QCOMPARE(runCli({"recipe", "apply", path("missing.json"), in_, path("x.onnx")}).exitCode, 3);
    QCOMPARE(runCli({"recipe", "apply", good, path("missing.onnx"), path("x.onnx")}).exitCode, 3);
    QCOMPARE(runCli({"recipe", "apply", good, in_, path("no/such/dir/x.onnx")}).exitCode, 3);
    QCOMPARE(runCli({"recipe", "apply", good, in_, path("x.onnx")}).exitCode, 0);
  }
};

QTEST_GUILESS_MAIN(TestCliRecipe)
#include "test_cli_recipe.moc"
