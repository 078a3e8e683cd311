// graft-cli edit (and recipe) end to end: the built binary on a model written in ONNX text;
// edits in command-line order, refusals that write nothing, exit codes, and the saved result.
#include <QFile>
#include <QProcess>
#include <QtTest>

#include <fstream>
#include <nlohmann/json.hpp>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <sstream>

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

const char* kModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[batch,3,4] x) => (float[2,5] out)
<int64[2] target = {2, 12}, float[12,5] w = {0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11}>
{
  r = Relu(x)
  flat = Reshape(r, target)
  mm = MatMul(flat, w)
  d = Identity(mm)
  out = Sigmoid(d)
})";

}  // namespace

class TestCliEdit : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString in_;

  QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    onnx::ModelProto m;
    onnx::OnnxParser parser(kModel);
    QVERIFY(parser.Parse(m).IsOK());
    int k = 0;
    for (auto& n : *m.mutable_graph()->mutable_node()) n.set_name("n" + std::to_string(k++));
    in_ = path("in.onnx");
    std::ofstream f(in_.toStdString(), std::ios::binary);
    QVERIFY(m.SerializeToOstream(&f));
  }

  void editsRunInTheOrderGivenAndSave() {
    const QString out = path("edited.onnx");
    Run r = runCli({"edit", in_, out, "--rename-node", "n3=identity", "--delete-node", "identity", "--set-dim",
                    "batch=2", "--add-output", "flat", "--set-attr", "n4.dummy=1", "--set-metadata", "by=test"});
    // n4 is a Sigmoid: it has no attribute 'dummy', so nothing is written.
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("Sigmoid has no attribute 'dummy'"), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
    r = runCli({"edit", in_, out, "--rename-node", "n3=identity", "--delete-node", "identity", "--set-dim", "batch=2",
                "--add-output", "flat", "--set-metadata", "by=test", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    json j = json::parse(r.out.toStdString());
    QCOMPARE(j["edits"].size(), size_t(5));
    QCOMPARE(j["edits"][1]["status"], "applied");
    auto m = readProto(out);
    QCOMPARE(m.graph().node_size(), 4);
    QCOMPARE(m.graph().input(0).type().tensor_type().shape().dim(0).dim_value(), std::int64_t(2));
    QCOMPARE(m.graph().output_size(), 2);
    QCOMPARE(m.graph().output(1).name(), std::string("flat"));
    QCOMPARE(m.metadata_props(0).value(), std::string("test"));
    r = runCli({"check", out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
  }

  void aDimThatBreaksAReshapeIsRefused() {
    Run r = runCli({"edit", in_, path("bad.onnx"), "--set-dim", "batch=3"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("Reshape 'n1' no longer fits"), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("bad.onnx")));
  }

  void extractWritesTheSubgraph() {
    Run r = runCli({"edit", in_, path("sub.onnx"), "--extract", "r:mm"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    auto m = readProto(path("sub.onnx"));
    QCOMPARE(m.graph().node_size(), 2);
    QCOMPARE(m.graph().input(0).name(), std::string("r"));
  }

  void usageAndReadErrorsHaveTheirExitCodes() {
    QCOMPARE(runCli({"edit", in_, path("x.onnx")}).exitCode, 2);
    QCOMPARE(runCli({"edit", in_, path("x.onnx"), "--set-attr", "nodot=1"}).exitCode, 2);
    QCOMPARE(runCli({"edit", in_, path("x.onnx"), "--set-input-shape", "x=1xqq!"}).exitCode, 2);
    QCOMPARE(runCli({"edit", path("missing.onnx"), path("x.onnx"), "--set-dim", "batch=1"}).exitCode, 3);
  }
};

QTEST_GUILESS_MAIN(TestCliEdit)
#include "test_cli_edit.moc"
