// graft-cli end to end: runs the built binary on real models and checks what a user or a
// script sees (JSON values, exit codes, files written, one-line errors).
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <fstream>
#include <nlohmann/json.hpp>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <sstream>
#include <string>

#include "graft/eval.h"
#include "cli_testutil.h"
#include "testutil.h"

using nlohmann::json;

namespace {

using graft::test::Run;
using graft::test::runCli;

QString data(const std::string& rel) { return QString::fromStdString(graft::test::testdataDir() + "/" + rel); }

onnx::ModelProto readProto(const QString& path) {
  std::ifstream f(path.toStdString(), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  onnx::ModelProto m;
  if (!m.ParseFromString(ss.str())) qWarning() << "cannot parse" << path;
  return m;
}

QByteArray readBytes(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

void writeProto(const onnx::ModelProto& m, const QString& path) {
  std::ofstream f(path.toStdString(), std::ios::binary | std::ios::trunc);
  m.SerializeToOstream(&f);
}

size_t countNodes(const onnx::GraphProto& g) {
  size_t n = static_cast<size_t>(g.node_size());
  for (const auto& node : g.node())
    for (const auto& a : node.attribute()) {
      if (a.has_g()) n += countNodes(a.g());
      for (const auto& sub : a.graphs()) n += countNodes(sub);
    }
  return n;
}

json parseJson(const Run& r) {
  try {
    return json::parse(r.out.toStdString());
  } catch (const std::exception& e) {
    qWarning() << "stdout is not JSON:" << e.what() << r.out.left(400);
    return json();
  }
}

// The declared shape of a ValueInfoProto in the JSON form inspect promises.
json declaredShape(const onnx::ValueInfoProto& v) {
  json dims = json::array();
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    if (d.has_dim_value()) dims.push_back(d.dim_value());
    else if (d.has_dim_param()) dims.push_back(d.dim_param());
    else dims.push_back(nullptr);
  }
  return dims;
}

onnx::ValueInfoProto tensorInfo(const std::string& name, int elemType, const std::vector<std::string>& dims) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(elemType);
  auto* shape = t->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d == "?") continue;
    if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) dim->set_dim_value(std::stoll(d));
    else dim->set_dim_param(d);
  }
  return v;
}

// One Relu from X to Y; callers break it in the way the test needs.
onnx::ModelProto reluModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("graft-test");
  m.set_producer_version("1.0");
  m.set_doc_string("a model written by test_cli");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* meta = m.add_metadata_props();
  meta->set_key("author");
  meta->set_value("graft");
  auto* g = m.mutable_graph();
  g->set_name("relu");
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->set_name("the_relu");
  n->add_input("X");
  n->add_output("Y");
  *g->add_input() = tensorInfo("X", onnx::TensorProto::FLOAT, {"batch", "3", "?"});
  *g->add_output() = tensorInfo("Y", onnx::TensorProto::FLOAT, {"batch", "3", "?"});
  return m;
}

bool isOneErrorLine(const Run& r) {
  QString e = r.err;
  if (e.endsWith('\n')) e.chop(1);
  return !e.isEmpty() && !e.contains('\n') && e.startsWith("graft-cli: ");
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  QString tmp(const QString& name) const { return tmp_.filePath(name); }

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    QVERIFY2(QFile::exists(QString::fromStdString(graft::test::cliPath())), "graft-cli was not built");
    QVERIFY(QFile::exists(data("node/test_conv_with_strides_padding/model.onnx")));
  }

  void runWritesTypesNumpyLacksAsDecodedValues() {
    // x float[4] cast to float8e4m3fn, int4 (Cast-25: wraps) and bfloat16.
    onnx::ModelProto m;
    m.set_ir_version(11);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(25);
    auto* g = m.mutable_graph();
    g->set_name("narrow");
    auto tensorType = [](onnx::ValueInfoProto* v, const char* name, int dt) {
      v->set_name(name);
      auto* t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(dt);
      t->mutable_shape()->add_dim()->set_dim_value(4);
    };
    tensorType(g->add_input(), "x", onnx::TensorProto::FLOAT);
    const std::pair<const char*, int> outs[] = {{"f8", 17}, {"i4", 22}, {"bf", 16}};
    for (const auto& [name, dt] : outs) {
      auto* n = g->add_node();
      n->set_op_type("Cast");
      n->add_input("x");
      n->add_output(name);
      auto* a = n->add_attribute();
      a->set_name("to");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(dt);
      tensorType(g->add_output(), name, dt);
    }
    QString model = tmp("narrow.onnx");
    {
      std::ofstream f(model.toStdString(), std::ios::binary);
      QVERIFY(m.SerializeToOstream(&f));
    }
    graft::Array x(onnx::TensorProto::FLOAT, {4});
    const float xs[] = {1.5f, -448.0f, 3.0f, 9.0f};
    std::copy(xs, xs + 4, x.data<float>());
    QVERIFY(graft::writeNpy(tmp("x.npy").toStdString(), x));
    Run r = runCli({"run", model, "--input", "x=" + tmp("x.npy"), "--output-dir", tmp("narrow_out")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    auto f8 = graft::readNpy(tmp("narrow_out/f8.npy").toStdString());
    QVERIFY2(f8, f8.message().c_str());
    QCOMPARE(f8.value().dtype(), std::int32_t(onnx::TensorProto::FLOAT));
    QCOMPARE(graft::arrayToDoubles(f8.value()).value(), (std::vector<double>{1.5, -448, 3, 9}));
    auto i4 = graft::readNpy(tmp("narrow_out/i4.npy").toStdString());
    QVERIFY2(i4, i4.message().c_str());
    QCOMPARE(i4.value().dtype(), std::int32_t(onnx::TensorProto::INT8));
    QCOMPARE(graft::arrayToDoubles(i4.value()).value(), (std::vector<double>{1, 0, 3, -7}));
    auto bf = graft::readNpy(tmp("narrow_out/bf.npy").toStdString());
    QVERIFY2(bf, bf.message().c_str());
    QCOMPARE(bf.value().dtype(), std::int32_t(onnx::TensorProto::FLOAT));
    QCOMPARE(graft::arrayToDoubles(bf.value()).value(), (std::vector<double>{1.5, -448, 3, 9}));
  }

  void helpExitsZero_data() {
    QTest::addColumn<QStringList>("args");
    QTest::newRow("--help") << QStringList{"--help"};
    QTest::newRow("-h") << QStringList{"-h"};
    QTest::newRow("help") << QStringList{"help"};
    for (const char* cmd : {"inspect", "check", "convert"}) {
      QTest::newRow((std::string(cmd) + " --help").c_str()) << QStringList{cmd, "--help"};
      QTest::newRow((std::string("help ") + cmd).c_str()) << QStringList{"help", cmd};
      // --help wins over a broken rest of the line
      QTest::newRow((std::string(cmd) + " --bogus -h").c_str()) << QStringList{cmd, "--bogus", "-h"};
    }
  }
  void helpExitsZero() {
    QFETCH(QStringList, args);
    Run r = runCli(args);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("Usage: graft-cli"), qPrintable(r.out));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
  }

  void topLevelHelpListsEveryCommand() {
    Run r = runCli({"--help"});
    for (const char* cmd : {"inspect", "check", "convert"}) QVERIFY2(r.out.contains(cmd), cmd);
  }

  void version() {
    Run r = runCli({"--version"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith(QString("graft-cli ") + GRAFT_VERSION), qPrintable(r.out));
  }

  void usageErrorsExitTwo_data() {
    QTest::addColumn<QStringList>("args");
    const QString model = data("node/test_conv_with_strides_padding/model.onnx");
    QTest::newRow("no command") << QStringList{};
    QTest::newRow("unknown command") << QStringList{"frobnicate"};
    QTest::newRow("unknown global option") << QStringList{"--frob"};
    QTest::newRow("help unknown") << QStringList{"help", "frobnicate"};
    QTest::newRow("inspect no model") << QStringList{"inspect"};
    QTest::newRow("inspect two models") << QStringList{"inspect", model, model};
    QTest::newRow("inspect unknown option") << QStringList{"inspect", model, "--yaml"};
    QTest::newRow("check no model") << QStringList{"check"};
    QTest::newRow("convert one arg") << QStringList{"convert", model};
    QTest::newRow("convert inline+external")
        << QStringList{"convert", model, tmp("x.onnx"), "--inline", "--external-data"};
    QTest::newRow("convert threshold alone") << QStringList{"convert", model, tmp("x.onnx"), "--threshold", "10"};
    QTest::newRow("convert bad threshold")
        << QStringList{"convert", model, tmp("x.onnx"), "--external-data", "--threshold", "lots"};
    QTest::newRow("convert threshold no value") << QStringList{"convert", model, tmp("x.onnx"), "--external-data",
                                                               "--threshold"};
    QTest::newRow("convert data-file path")
        << QStringList{"convert", model, tmp("x.onnx"), "--external-data", "--data-file", "../w.bin"};
    QTest::newRow("convert inline+data-file")
        << QStringList{"convert", model, tmp("x.onnx"), "--inline", "--data-file", "w.bin"};
  }
  void usageErrorsExitTwo() {
    QFETCH(QStringList, args);
    Run r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(isOneErrorLine(r), qPrintable(r.err));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QVERIFY(!QFile::exists(tmp("x.onnx")));
  }

  void inspectJsonConv() {
    const QString path = data("node/test_conv_with_strides_padding/model.onnx");
    onnx::ModelProto proto = readProto(path);
    Run r = runCli({"inspect", path, "--json"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    json j = parseJson(r);
    QVERIFY(j.is_object());
    for (const char* key : {"format_version", "ir_version", "producer", "opsets", "inputs", "outputs", "node_count",
                            "total_node_count", "op_histogram", "parameters", "flops", "macs", "initializer_bytes",
                            "external_data", "metadata", "problems", "valid"})
      QVERIFY2(j.contains(key), key);
    QCOMPARE(j["ir_version"].get<int64_t>(), proto.ir_version());
    QCOMPARE(j["opsets"], json({{"ai.onnx", 11}}));
    QCOMPARE(j["node_count"].get<int>(), proto.graph().node_size());
    QCOMPARE(j["op_histogram"], json({{"Conv", 1}}));

    QCOMPARE(j["inputs"].size(), size_t(proto.graph().input_size()));
    for (int i = 0; i < proto.graph().input_size(); ++i) {
      const auto& in = j["inputs"][size_t(i)];
      QCOMPARE(in["name"].get<std::string>(), proto.graph().input(i).name());
      QCOMPARE(in["dtype"].get<std::string>(), std::string("float32"));
      QCOMPARE(in["shape"], declaredShape(proto.graph().input(i)));
      QCOMPARE(in["shape_source"].get<std::string>(), std::string("declared"));
    }
    QCOMPARE(j["outputs"][0]["shape"], json({1, 1, 4, 3}));

    // Output 1x1x4x3, each position a 1x3x3 kernel: 108 multiply-accumulates.
    QVERIFY(j["flops"].get<uint64_t>() > 0);
    QCOMPARE(j["macs"].get<uint64_t>(), uint64_t(108));
    QCOMPARE(j["flops"].get<uint64_t>(), uint64_t(216));
    QCOMPARE(j["parameters"]["count"].get<uint64_t>(), uint64_t(0));  // W is an input here
    QCOMPARE(j["valid"].get<bool>(), true);
    QVERIFY2(j["problems"].empty(), j["problems"].dump().c_str());
    QVERIFY(j["external_data"]["files"].empty());
  }

  void inspectJsonPytorchConverted() {
    const QString path = data("pytorch-converted/test_Conv2d/model.onnx");
    onnx::ModelProto proto = readProto(path);
    Run r = runCli({"inspect", "--json", path});
    QCOMPARE(r.exitCode, 0);
    json j = parseJson(r);
    QVERIFY(j.is_object());
    QCOMPARE(j["ir_version"].get<int64_t>(), proto.ir_version());
    QCOMPARE(j["producer"]["name"].get<std::string>(), proto.producer_name());
    QCOMPARE(j["producer"]["version"].get<std::string>(), proto.producer_version());
    QCOMPARE(j["node_count"].get<int>(), proto.graph().node_size());
    QCOMPARE(j["opsets"]["ai.onnx"].get<int64_t>(), proto.opset_import(0).version());

    // IR 3: the weights are graph inputs too, and flagged as such.
    QCOMPARE(j["inputs"].size(), size_t(proto.graph().input_size()));
    uint64_t params = 0, bytes = 0;
    for (const auto& t : proto.graph().initializer()) {
      uint64_t n = 1;
      for (auto d : t.dims()) n *= uint64_t(d);
      params += n;
      bytes += t.raw_data().size();
    }
    QVERIFY(params > 0);
    for (int i = 0; i < proto.graph().input_size(); ++i) {
      const auto& in = j["inputs"][size_t(i)];
      QCOMPARE(in["shape"], declaredShape(proto.graph().input(i)));
      bool isInit = false;
      for (const auto& t : proto.graph().initializer()) isInit |= t.name() == proto.graph().input(i).name();
      QCOMPARE(in["initializer"].get<bool>(), isInit);
    }
    QCOMPARE(j["parameters"]["count"].get<uint64_t>(), params);
    QCOMPARE(j["parameters"]["bytes"].get<uint64_t>(), bytes);
    QCOMPARE(j["parameters"]["by_dtype"]["float32"]["count"].get<uint64_t>(), params);
    QCOMPARE(j["initializer_bytes"].get<uint64_t>(), bytes);
    QCOMPARE(j["initializer_count"].get<int>(), proto.graph().initializer_size());
    QVERIFY(j["flops"].get<uint64_t>() > 0);
  }

  void inspectCountsSubgraphNodes() {
    const QString path = data("node/test_if/model.onnx");
    onnx::ModelProto proto = readProto(path);
    Run r = runCli({"inspect", path, "--json"});
    QCOMPARE(r.exitCode, 0);
    json j = parseJson(r);
    QCOMPARE(j["node_count"].get<size_t>(), size_t(proto.graph().node_size()));
    QCOMPARE(j["total_node_count"].get<size_t>(), countNodes(proto.graph()));
    QVERIFY(j["total_node_count"].get<size_t>() > j["node_count"].get<size_t>());
  }

  void inspectSymbolicAndInferredShapes() {
    onnx::ModelProto m = reluModel();
    // Only the dtype declared (the checker objects, inspect must not mind)
    m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
    const QString path = tmp("relu.onnx");
    writeProto(m, path);
    Run r = runCli({"inspect", path, "--json"});
    QCOMPARE(r.exitCode, 0);
    json j = parseJson(r);
    QCOMPARE(j["inputs"][0]["shape"], json::parse(R"(["batch", 3, null])"));
    QCOMPARE(j["inputs"][0]["shape_source"].get<std::string>(), std::string("declared"));
    // Y declares only its dtype; inference carries X's shape through Relu (the unknown
    // dim may come back as a symbol the inference made up).
    QCOMPARE(j["outputs"][0]["dtype"].get<std::string>(), std::string("float32"));
    const json& shape = j["outputs"][0]["shape"];
    QVERIFY2(shape.is_array() && shape.size() == 3, shape.dump().c_str());
    QCOMPARE(shape[0], json("batch"));
    QCOMPARE(shape[1], json(3));
    QCOMPARE(j["outputs"][0]["shape_source"].get<std::string>(), std::string("inferred"));
    QCOMPARE(j["metadata"], json({{"author", "graft"}}));
    QCOMPARE(j["producer"], json({{"name", "graft-test"}, {"version", "1.0"}}));
    QCOMPARE(j["doc_string"].get<std::string>(), std::string("a model written by test_cli"));
  }

  void inspectHumanReadable() {
    const QString path = data("pytorch-converted/test_Conv2d/model.onnx");
    Run r = runCli({"inspect", path});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    for (const char* s : {"IR version", "pytorch", "ai.onnx 6", "Inputs", "float32[2,3,7,5]", "Conv", "Parameters",
                          "FLOPs", "External data"})
      QVERIFY2(r.out.contains(s), qPrintable(QString(s) + " missing in:\n" + r.out));
  }

  void inspectAndCheckShowTheModelsTextEscaped() {
    // Producer, names and doc strings are the file author's: an ESC or a C1 control (U+009B is a
    // CSI on some terminals) must not reach the terminal, and a huge string must not either.
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    m.set_producer_name("evil\x1b]0;owned\x07tool");
    m.set_doc_string("doc \xc2\x9b" "2J here");
    auto* g = m.mutable_graph();
    g->set_name("g");
    auto* in = g->add_input();
    in->set_name("x\x1b[2J");
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("n\x1b[31m");
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->set_name(std::string("relu\x1b[1m") + std::string(100000, 'r'));
    n->add_input("x\x1b[2J");
    n->add_output("y");
    n->add_output("unused\x1b[5m");  // Relu has one output: check reports the node by name
    auto* out = g->add_output();
    out->set_name("y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    const QString path = tmp_.filePath("escapes.onnx");
    writeProto(m, path);
    for (const char* command : {"inspect", "check"}) {
      Run r = runCli({command, path});
      QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.err));
      const QString all = r.out + r.err;
      QVERIFY2(!all.contains(QChar(0x1b)), qPrintable(QString(command) + " printed a raw ESC:\n" + all));
      QVERIFY2(!all.contains(QChar(0x9b)), qPrintable(QString(command) + " printed a raw CSI:\n" + all));
      QVERIFY2(!all.contains(QChar(0x07)), qPrintable(QString(command) + " printed a raw BEL:\n" + all));
      for (const QString& line : all.split('\n'))
        QVERIFY2(line.size() < 5000, qPrintable(QString(command) + " printed a line of " + QString::number(line.size())));
      if (QString(command) == "inspect") {
        QVERIFY2(r.out.contains("evil\\x1b]0;owned\\x07tool"), qPrintable(r.out));
        QVERIFY2(r.out.contains("x\\x1b[2J"), qPrintable(r.out));
        QVERIFY2(r.out.contains("doc \\u009b2J here"), qPrintable(r.out));
      } else {
        QVERIFY2(r.out.contains("relu\\x1b[1m"), qPrintable(r.out.left(2000)));
      }
    }
  }

  void checkValidModel() {
    Run r = runCli({"check", data("node/test_conv_with_strides_padding/model.onnx")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("valid"), qPrintable(r.out));
    QVERIFY(!r.out.contains("INVALID"));
  }

  void checkInvalidModel() {
    onnx::ModelProto m = reluModel();
    auto* attr = m.mutable_graph()->mutable_node(0)->add_attribute();  // Relu has no attributes
    attr->set_name("alpha");
    attr->set_type(onnx::AttributeProto::FLOAT);
    attr->set_f(0.5f);
    const QString path = tmp("bad_relu.onnx");
    writeProto(m, path);

    Run r = runCli({"check", path});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.contains("INVALID"), qPrintable(r.out));
    QVERIFY2(r.out.contains("the_relu") && r.out.contains("Relu"), qPrintable(r.out));

    Run rj = runCli({"check", path, "--json"});
    QCOMPARE(rj.exitCode, 1);
    json j = parseJson(rj);
    QCOMPARE(j["valid"].get<bool>(), false);
    bool named = false;
    for (const auto& p : j["problems"]) named |= p["node"] == "the_relu" && p["severity"] == "error";
    QVERIFY2(named, j.dump().c_str());

    // inspect still works on it (exit 0) and lists the problem
    Run ri = runCli({"inspect", path, "--json"});
    QCOMPARE(ri.exitCode, 0);
    QCOMPARE(parseJson(ri)["valid"].get<bool>(), false);
  }

  void checkCustomOpIsNotAFailure() {
    onnx::ModelProto m = reluModel();
    auto* opset = m.add_opset_import();
    opset->set_domain("com.example");
    opset->set_version(1);
    auto* n = m.mutable_graph()->mutable_node(0);
    n->set_op_type("Frobnicate");
    n->set_domain("com.example");
    n->set_name("custom_op");
    const QString path = tmp("custom.onnx");
    writeProto(m, path);
    Run r = runCli({"check", path, "--json"});
    QCOMPARE(r.exitCode, 0);
    json j = parseJson(r);
    QCOMPARE(j["valid"].get<bool>(), true);
    for (const auto& p : j["problems"]) QVERIFY2(p["severity"] != "error", p.dump().c_str());
  }

  void convertRoundTrip() {
    const QString orig = data("pytorch-operator/test_operator_conv/model.onnx");
    const QByteArray origBytes = readBytes(orig);
    QVERIFY(!origBytes.isEmpty());

    const QString ext = tmp("conv_ext.onnx");
    Run r1 = runCli({"convert", orig, ext, "--external-data"});
    QCOMPARE(r1.exitCode, 0);
    QVERIFY2(r1.err.isEmpty(), qPrintable(r1.err));
    const QString dataFile = ext + ".data";
    QVERIFY2(QFile::exists(dataFile), qPrintable(r1.out));
    QVERIFY2(r1.out.contains("conv_ext.onnx.data"), qPrintable(r1.out));
    // The 13x16x3x3 float weight (7,488 bytes) moved out of the .onnx.
    QVERIFY(QFileInfo(dataFile).size() >= 7488);
    QVERIFY(QFileInfo(ext).size() < origBytes.size() - 7000);

    Run ri = runCli({"inspect", ext, "--json"});
    QCOMPARE(ri.exitCode, 0);
    json j = parseJson(ri);
    QCOMPARE(j["external_data"]["files"].size(), size_t(1));
    QVERIFY(j["external_data"]["files"][0].get<std::string>().find("conv_ext.onnx.data") != std::string::npos);
    QCOMPARE(j["external_data"]["bytes"].get<uint64_t>(), uint64_t(7488));
    QCOMPARE(j["initializer_bytes"].get<uint64_t>(), uint64_t(7488));

    const QString back = tmp("conv_back.onnx");
    Run r2 = runCli({"convert", ext, back, "--inline"});
    QCOMPARE(r2.exitCode, 0);
    QVERIFY2(r2.out.contains("inline"), qPrintable(r2.out));
    QVERIFY(!QFile::exists(back + ".data"));
    const QString direct = tmp("conv_direct.onnx");
    QCOMPARE(runCli({"convert", orig, direct, "--inline"}).exitCode, 0);
    QCOMPARE(readBytes(back), readBytes(direct));
    QCOMPARE(readBytes(back), origBytes);
  }

  void convertDataFileAndThreshold() {
    const QString orig = data("pytorch-operator/test_operator_conv/model.onnx");
    const QString out = tmp("named.onnx");
    Run r = runCli({"convert", orig, out, "--external-data", "--threshold", "8K", "--data-file", "w.bin"});
    QCOMPARE(r.exitCode, 0);
    // 7,488 bytes is below 8 KiB: nothing goes external
    QVERIFY(!QFile::exists(tmp("w.bin")) || QFileInfo(tmp("w.bin")).size() == 0);
    Run r2 = runCli({"convert", orig, out, "--external-data", "--threshold=4K", "--data-file=w.bin"});
    QCOMPARE(r2.exitCode, 0);
    QVERIFY(QFileInfo(tmp("w.bin")).size() >= 7488);
    QCOMPARE(parseJson(runCli({"inspect", out, "--json"}))["external_data"]["bytes"].get<uint64_t>(), uint64_t(7488));
  }

  void convertInPlace() {
    const QString orig = data("pytorch-operator/test_operator_conv/model.onnx");
    const QString path = tmp("inplace.onnx");
    QVERIFY(QFile::copy(orig, path));
    QCOMPARE(runCli({"convert", path, path, "--external-data"}).exitCode, 0);
    QVERIFY(QFile::exists(path + ".data"));
    QCOMPARE(parseJson(runCli({"inspect", path, "--json"}))["external_data"]["bytes"].get<uint64_t>(), uint64_t(7488));
    QCOMPARE(runCli({"convert", path, path, "--inline"}).exitCode, 0);
    QCOMPARE(readBytes(path), readBytes(orig));
  }

  void missingExternalDataIsOneLine() {
    const QString out = tmp("lost.onnx");
    QCOMPARE(runCli({"convert", data("pytorch-operator/test_operator_conv/model.onnx"), out, "--external-data"})
                 .exitCode,
             0);
    QVERIFY(QFile::remove(out + ".data"));
    Run r = runCli({"inspect", out});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(isOneErrorLine(r), qPrintable(r.err));
    QVERIFY2(r.err.contains("lost.onnx.data"), qPrintable(r.err));
  }

  void progressGoesToStderr() {
    Run r = runCli({"inspect", data("pytorch-converted/test_Conv2d/model.onnx"), "--json", "--progress"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(parseJson(r).is_object());  // stdout untouched
    QVERIFY2(r.err.contains("loading"), qPrintable(r.err));
    Run quiet = runCli({"inspect", data("pytorch-converted/test_Conv2d/model.onnx"), "--json"});
    QVERIFY(quiet.err.isEmpty());
  }

  void errorsAreOneLine_data() {
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("file");
    QFile corrupt(tmp("corrupt.onnx"));
    QVERIFY(corrupt.open(QIODevice::WriteOnly));
    QByteArray junk;
    for (int i = 0; i < 4096; ++i) junk.append(char((i * 7919 + 13) % 251));
    corrupt.write(junk);
    corrupt.close();
    QFile text(tmp("text.onnx"));
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("this is not an onnx model\nbut a text file\n");
    text.close();
    QFile empty(tmp("empty.onnx"));
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    for (const char* cmd : {"inspect", "check", "convert"}) {
      QTest::newRow((std::string(cmd) + " missing").c_str()) << cmd << tmp("does_not_exist.onnx");
      QTest::newRow((std::string(cmd) + " corrupt").c_str()) << cmd << tmp("corrupt.onnx");
      QTest::newRow((std::string(cmd) + " text").c_str()) << cmd << tmp("text.onnx");
      QTest::newRow((std::string(cmd) + " empty").c_str()) << cmd << tmp("empty.onnx");
    }
  }
  void errorsAreOneLine() {
    QFETCH(QString, command);
    QFETCH(QString, file);
    QStringList args{command, file};
    if (command == "convert") args << tmp("converted.onnx");
    Run r = runCli(args);
    QVERIFY2(r.exitCode != 0 && r.exitCode != 1 && r.exitCode != -1, qPrintable(QString::number(r.exitCode)));
    QVERIFY2(isOneErrorLine(r), qPrintable(r.err));
    QVERIFY2(r.err.contains(QFileInfo(file).fileName()), qPrintable(r.err));
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QVERIFY(!QFile::exists(tmp("converted.onnx")));
  }

  void convertToUnwritablePlace() {
    Run r = runCli({"convert", data("node/test_conv_with_strides_padding/model.onnx"),
                    tmp("no/such/folder/out.onnx")});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(isOneErrorLine(r), qPrintable(r.err));
    QVERIFY2(r.err.contains("out.onnx"), qPrintable(r.err));
  }

  // ------------------------------------------------------------------ match / optimize

  // A small model with the test profile's patterns: Neg(Neg(x)), x * 1, a Sigmoid (blocked) and
  // a Mul by a graph input (a near miss of mul_one).
  QString rewriteModel() {
    const char* text = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x, float s) => (float[2,3] y, float[2,3] z)
<float one = {1.0}>
{
  a = Neg(x)
  b = Neg(a)
  c = Mul(b, one)
  y = Sigmoid(c)
  z = Mul(x, s)
})";
    onnx::ModelProto m;
    onnx::OnnxParser parser(text);
    if (!parser.Parse(m).IsOK()) qFatal("bad model text");
    int k = 0;
    for (auto& n : *m.mutable_graph()->mutable_node()) n.set_name("/blk/" + n.op_type() + "_" + std::to_string(k++));
    QString path = tmp("rewrite.onnx");
    std::ofstream(path.toStdString(), std::ios::binary) << m.SerializeAsString();
    return path;
  }
  QString testRules(const char* name) {
    return QString::fromStdString(graft::test::sourceDir() + "/tests/data/rules/" + name);
  }

  void matchListsMatchesBlockersAndNearMisses() {
    Run r = runCli({"match", rewriteModel(), "--backend", testRules("test.profile"), "--explain", "--json"});
    QCOMPARE(r.exitCode, 0);
    json j = json::parse(r.out.toStdString());
    QCOMPARE(j["backend"].get<std::string>(), std::string("test-backend"));
    std::map<std::string, std::string> rootOf;
    for (const auto& m : j["matches"]) rootOf[m["rule"].get<std::string>()] = m["root"].get<std::string>();
    QCOMPARE(rootOf["double_neg"], std::string("/blk/Neg_1"));
    QCOMPARE(rootOf["mul_one"], std::string("/blk/Mul_2"));
    QCOMPARE(j["blocks"].size(), size_t(1));
    QCOMPARE(j["blocks"][0]["node"].get<std::string>(), std::string("/blk/Sigmoid_3"));
    QVERIFY(j["blocks"][0]["reason"].get<std::string>().find("slow path") != std::string::npos);
    bool nearMiss = false;
    for (const auto& n : j["near_misses"])
      if (n["rule"] == "mul_one" && n["root"] == "/blk/Mul_4" &&
          n["reason"].get<std::string>().find("one ('s') is a graph input, not a constant") != std::string::npos)
        nearMiss = true;
    QVERIFY2(nearMiss, j["near_misses"].dump().c_str());

    Run text = runCli({"match", rewriteModel(), "--backend", testRules("test.profile"), "--explain"});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains("double_neg") && text.out.contains("Blocks: 1") && text.out.contains("Near misses:"),
             qPrintable(text.out));
    // Ranked: the header counts what is shown and what there is; near misses are grouped by rule.
    QVERIFY2(QRegularExpression("Near misses: \\d+ shown \\(\\d+ in all").match(text.out).hasMatch(), qPrintable(text.out));
    QVERIFY2(text.out.contains("  mul_one: ") && text.out.contains("    at /blk/Mul_4: "), qPrintable(text.out));
  }

  void optimizeAppliesVerifiesAndSaves() {
    QString out = tmp("rewrite_opt.onnx");
    Run r = runCli({"optimize", rewriteModel(), out, "--backend", testRules("test.profile"), "--json"});
    QCOMPARE(r.exitCode, 0);
    json j = json::parse(r.out.toStdString());
    QCOMPARE(j["node_count"]["before"].get<int>(), 5);
    // Neg, Neg, Mul(x, 1) go; y keeps its name (an Identity would be needed only for an input).
    QCOMPARE(j["node_count"]["after"].get<int>(), 2);
    std::map<std::string, int> after;
    for (const auto& o : j["ops"]) after[o["op"].get<std::string>()] = o["after"].get<int>();
    QCOMPARE(after["Neg"], 0);
    QCOMPARE(after["Sigmoid"], 1);
    QVERIFY(j["warnings"].empty());
    onnx::ModelProto saved = readProto(out);
    QCOMPARE(saved.graph().node_size(), 2);
    QCOMPARE(saved.graph().output(0).name(), std::string("y"));
    // The optimized model computes the same.
    Run v = runCli({"verify", rewriteModel(), out});
    QCOMPARE(v.exitCode, 0);

    Run text = runCli({"optimize", rewriteModel(), out, "--backend", testRules("test.profile"), "--skip", "double_neg"});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains("Neg") && text.out.contains("file size") && text.out.contains("Saved"), qPrintable(text.out));
    QCOMPARE(readProto(out).graph().node_size(), 4);
  }

  // A decomposed LayerNorm exported at opset 13: the tensorrt profile targets opset 25 (the
  // parser's newest), so optimize converts the model first (ReduceMean's axes become an input at
  // 18) and the LayerNormalization fusion (opset 17 on) applies; --keep-opset leaves it at 13.
  void optimizeConvertsToTheProfilesOpset() {
    const char* text = R"(<ir_version: 7, opset_import: ["" : 13]>
g (float[2,8] x) => (float[2,8] y)
<float[8] gamma = {1.0, 0.5, 2.0, 1.5, 1.0, 0.25, 1.0, 3.0}, float[8] beta = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7},
 float two = {2.0}, float eps = {0.00001}>
{
  m = ReduceMean <axes = [-1]> (x)
  d = Sub(x, m)
  p = Pow(d, two)
  v = ReduceMean <axes = [-1]> (p)
  e = Add(v, eps)
  s = Sqrt(e)
  n = Div(d, s)
  g1 = Mul(n, gamma)
  y = Add(g1, beta)
})";
    onnx::ModelProto m;
    onnx::OnnxParser parser(text);
    QVERIFY(parser.Parse(m).IsOK());
    QString in = tmp("ln13.onnx");
    std::ofstream(in.toStdString(), std::ios::binary) << m.SerializeAsString();
    QString out = tmp("ln13_trt.onnx");
    Run r = runCli({"optimize", in, out, "--backend", "tensorrt", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    json j = json::parse(r.out.toStdString());
    QCOMPARE(j["opset"]["before"].get<int>(), 13);
    QCOMPARE(j["opset"]["after"].get<int>(), 25);
    std::map<std::string, int> after;
    for (const auto& o : j["ops"]) after[o["op"].get<std::string>()] = o["after"].get<int>();
    QCOMPARE(after["LayerNormalization"], 1);
    QCOMPARE(j["node_count"]["after"].get<int>(), 1);
    QCOMPARE(runCli({"verify", in, out}).exitCode, 0);
    Run textRun = runCli({"optimize", in, out, "--backend", "tensorrt"});
    QVERIFY2(textRun.out.contains("converted ai.onnx opset 13 to 25 (the profile's opset)"), qPrintable(textRun.out));

    Run kept = runCli({"optimize", in, out, "--backend", "tensorrt", "--keep-opset", "--json"});
    QCOMPARE(kept.exitCode, 0);
    json k = json::parse(kept.out.toStdString());
    QCOMPARE(k["opset"]["after"].get<int>(), 13);
    for (const auto& o : k["ops"]) QVERIFY(o["op"] != "LayerNormalization" || o["after"].get<int>() == 0);
  }

  void optimizeProvenanceIsSaved() {
    QString out = tmp("rewrite_prov.onnx");
    Run r = runCli({"optimize", rewriteModel(), out, "--backend", testRules("test.profile"), "--only", "double_neg"});
    QCOMPARE(r.exitCode, 0);
    onnx::ModelProto saved = readProto(out);
    bool found = false;
    for (const auto& n : saved.graph().node())
      if (n.doc_string().rfind("graft: rule double_neg", 0) == 0) found = true;
    QVERIFY(found);
  }

  void rewriteErrors() {
    Run broken = runCli({"match", rewriteModel(), "--backend", testRules("test.profile"), "--rules", testRules("broken.rules")});
    QCOMPARE(broken.exitCode, 3);
    QVERIFY2(isOneErrorLine(broken), qPrintable(broken.err));
    QVERIFY2(broken.err.contains("broken.rules:9:3: in ONNX text"), qPrintable(broken.err));
    Run unknown = runCli({"match", rewriteModel(), "--backend", "no-such-backend"});
    QCOMPARE(unknown.exitCode, 3);
    QVERIFY2(unknown.err.contains("no backend profile named 'no-such-backend'") && unknown.err.contains("onnxruntime-cpu"),
             qPrintable(unknown.err));
    Run noBackend = runCli({"match", rewriteModel()});
    QCOMPARE(noBackend.exitCode, 2);
    Run only = runCli({"optimize", rewriteModel(), tmp("x.onnx"), "--backend", testRules("test.profile"), "--only", "nope"});
    QCOMPARE(only.exitCode, 2);
    QVERIFY2(only.err.contains("'nope' is not a rule of backend 'test-backend'"), qPrintable(only.err));
  }

  void bundledProfilesLoad() {
    for (const char* b : {"onnxruntime-cpu", "onnxruntime-cuda", "tensorrt", "openvino", "portable"}) {
      Run r = runCli({"match", data("node/test_conv_with_strides_padding/model.onnx"), "--backend", b, "--json"});
      QVERIFY2(r.exitCode == 0, qPrintable(QString(b) + ": " + r.err));
    }
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
