// io: load/save round trip over the ONNX backend test corpus, external data (mapped,
// confined to the model's folder), atomic saves, and every kind of bad file.
#include <google/protobuf/util/message_differencer.h>

#include <sys/stat.h>

#include <fstream>
#include <random>

#include "graft/io.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

onnx::ModelProto parseFile(const fs::path& p) {
  onnx::ModelProto m;
  std::string bytes = readFile(p);
  m.ParseFromString(bytes);
  return m;
}

// A float tensor [n] filled with i*0.5.
onnx::TensorProto floatTensor(const std::string& name, int n) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(n);
  std::string raw(static_cast<size_t>(n) * 4, '\0');
  for (int i = 0; i < n; ++i) {
    float f = static_cast<float>(i) * 0.5f;
    std::memcpy(raw.data() + 4 * i, &f, 4);
  }
  t.set_raw_data(raw);
  return t;
}

// Y = X + W (W an initializer of n floats), opset 17.
onnx::ModelProto addModel(int n) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("graft-test");
  auto* op = m.add_opset_import();
  op->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("add");
  auto* x = g->add_input();
  x->set_name("X");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(n);
  *g->add_initializer() = floatTensor("W", n);
  auto* node = g->add_node();
  node->set_op_type("Add");
  node->set_name("add0");
  node->add_input("X");
  node->add_input("W");
  node->add_output("Y");
  auto* y = g->add_output();
  y->set_name("Y");
  *y->mutable_type() = x->type();
  return m;
}

void makeExternal(onnx::TensorProto& t, const std::string& location, std::uint64_t offset, std::uint64_t length) {
  t.clear_raw_data();
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = t.add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", location);
  kv("offset", std::to_string(offset));
  kv("length", std::to_string(length));
}

}  // namespace

class TestIo : public QObject {
  Q_OBJECT

 private slots:
  void roundTripCorpus() {
    auto models = graft::test::corpusModels({"node", "pytorch-converted", "pytorch-operator", "simple"});
    QVERIFY2(models.size() > 900, qPrintable(QString("only %1 corpus models found").arg(models.size())));
    QTemporaryDir tmp;
    int checked = 0;
    for (const auto& path : models) {
      auto model = loadModel(path);
      QVERIFY2(model.isOk(), qPrintable(QString::fromStdString(path + ": " + model.message())));
      fs::path out = fs::path(tmp.path().toStdString()) / "rt.onnx";
      auto saved = saveModel(**model, out.string(), {});
      QVERIFY2(saved.isOk(), qPrintable(QString::fromStdString(path + ": " + saved.message())));
      onnx::ModelProto original = parseFile(path);
      onnx::ModelProto again = parseFile(out);
      google::protobuf::util::MessageDifferencer diff;
      std::string report;
      diff.ReportDifferencesToString(&report);
      QVERIFY2(diff.Compare(original, again), qPrintable(QString::fromStdString(path + "\n" + report.substr(0, 2000))));
      // And the IR rebuilt from the saved file saves identically again.
      auto reloaded = loadModel(out.string());
      QVERIFY(reloaded.isOk());
      QCOMPARE((*reloaded)->totalNodeCount(), (*model)->totalNodeCount());
      ++checked;
    }
    qInfo("round-tripped %d models", checked);
  }

  void keepsWhatTheEngineDoesNotInterpret() {
    onnx::ModelProto m = addModel(4);
    auto* md = m.add_metadata_props();
    md->set_key("author");
    md->set_value("test");
    m.set_doc_string("model doc");
    m.mutable_graph()->set_doc_string("graph doc");
    m.mutable_graph()->mutable_node(0)->set_doc_string("node doc");
    auto* fn = m.add_functions();
    fn->set_name("MyFn");
    fn->set_domain("local");
    fn->add_input("a");
    fn->add_output("b");
    auto* fnode = fn->add_node();
    fnode->set_op_type("Identity");
    fnode->add_input("a");
    fnode->add_output("b");
    auto* op = fn->add_opset_import();
    op->set_version(17);
    m.add_training_info()->mutable_algorithm()->set_name("train");
    auto* vi = m.mutable_graph()->add_value_info();
    vi->set_name("Y");
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    auto* sp = m.mutable_graph()->add_sparse_initializer();
    *sp->mutable_values() = floatTensor("S", 2);
    sp->add_dims(4);
    auto* idx = sp->mutable_indices();
    idx->set_data_type(onnx::TensorProto::INT64);
    idx->add_dims(2);
    idx->add_int64_data(0);
    idx->add_int64_data(3);
    auto* qa = m.mutable_graph()->add_quantization_annotation();
    qa->set_tensor_name("Y");
    // Unknown fields (a future ONNX version's field numbers) on model, graph and node.
    m.mutable_unknown_fields()->AddVarint(999, 42);
    m.mutable_graph()->mutable_unknown_fields()->AddLengthDelimited(998, "future");
    m.mutable_graph()->mutable_node(0)->mutable_unknown_fields()->AddVarint(997, 7);

    std::string bytes;
    QVERIFY(m.SerializeToString(&bytes));
    auto model = loadModelFromBytes(bytes, {});
    QVERIFY2(model.isOk(), model.message().c_str());
    QVERIFY((*model)->graph().findValue("S")->isSparseInitializer());
    auto out = serializeModel(**model);
    QVERIFY(out.isOk());
    onnx::ModelProto again;
    QVERIFY(again.ParseFromString(*out));
    google::protobuf::util::MessageDifferencer diff;
    std::string report;
    diff.ReportDifferencesToString(&report);
    QVERIFY2(diff.Compare(m, again), report.c_str());
    QCOMPARE(again.unknown_fields().field_count(), 1);
  }

  void externalDataSaveAndLoad() {
    QTemporaryDir tmp;
    fs::path dir = tmp.path().toStdString();
    onnx::ModelProto m = addModel(1000);
    std::string bytes;
    m.SerializeToString(&bytes);
    auto model = loadModelFromBytes(bytes, dir.string());
    QVERIFY(model.isOk());

    SaveOptions opt;
    opt.data = SaveOptions::Data::External;
    opt.threshold = 1024;
    auto report = saveModel(**model, (dir / "ext.onnx").string(), opt);
    QVERIFY2(report.isOk(), report.message().c_str());
    QCOMPARE(report->externalFile, std::string("ext.onnx.data"));
    QCOMPARE(report->externalTensors, size_t(1));
    QVERIFY(fs::file_size(dir / "ext.onnx.data") >= 4000);
    QVERIFY(fs::file_size(dir / "ext.onnx") < 1000);

    auto loaded = loadModel((dir / "ext.onnx").string());
    QVERIFY2(loaded.isOk(), loaded.message().c_str());
    Tensor* w = (*loaded)->graph().findValue("W")->initializer();
    QVERIFY(w->isExternal());
    QCOMPARE(w->rawBytes(), std::string_view(m.graph().initializer(0).raw_data()));

    // Back to inline: equal to the original proto.
    opt.data = SaveOptions::Data::Inline;
    QVERIFY(saveModel(**loaded, (dir / "inline.onnx").string(), opt).isOk());
    google::protobuf::util::MessageDifferencer diff;
    QVERIFY(diff.Compare(parseFile(dir / "inline.onnx"), m));

    // Auto keeps external data external, and saving over the source keeps it readable.
    QVERIFY(saveModel(**loaded, (dir / "ext.onnx").string(), {}).isOk());
    auto again = loadModel((dir / "ext.onnx").string());
    QVERIFY2(again.isOk(), again.message().c_str());
    QCOMPARE((*again)->graph().findValue("W")->initializer()->rawBytes(),
             std::string_view(m.graph().initializer(0).raw_data()));
    QCOMPARE(w->rawBytes(), std::string_view(m.graph().initializer(0).raw_data()));
  }

  void externalDataTraversalRejected() {
    QTemporaryDir tmp;
    fs::path dir = fs::path(tmp.path().toStdString()) / "model";
    fs::create_directories(dir);
    fs::path outside = fs::path(tmp.path().toStdString()) / "secret.bin";
    writeFile(outside, std::string(16, 'x'));
    fs::create_symlink(outside, dir / "link.bin");

    struct Case {
      std::string location;
      std::string expect;
    };
    for (const Case& c : {Case{"../secret.bin", "leaves the model's folder"},
                          Case{outside.string(), "absolute path"},
                          Case{"sub/../../secret.bin", "leaves the model's folder"},
                          Case{"link.bin", "outside the model's folder"}}) {
      onnx::ModelProto m = addModel(4);
      makeExternal(*m.mutable_graph()->mutable_initializer(0), c.location, 0, 16);
      std::string bytes;
      m.SerializeToString(&bytes);
      writeFile(dir / "m.onnx", bytes);
      auto loaded = loadModel((dir / "m.onnx").string());
      QVERIFY2(!loaded.isOk(), c.location.c_str());
      QCOMPARE(loaded.status().code(), ErrorCode::Unsafe);
      QVERIFY2(loaded.message().find(c.expect) != std::string::npos, loaded.message().c_str());
      QVERIFY2(loaded.message().find("'W'") != std::string::npos, loaded.message().c_str());
      QVERIFY2(loaded.message().find(c.location) != std::string::npos, loaded.message().c_str());
    }
  }

  void externalDataMissingOrShort() {
    QTemporaryDir tmp;
    fs::path dir = tmp.path().toStdString();
    onnx::ModelProto m = addModel(4);
    makeExternal(*m.mutable_graph()->mutable_initializer(0), "weights.bin", 0, 16);
    std::string bytes;
    m.SerializeToString(&bytes);
    writeFile(dir / "m.onnx", bytes);

    auto missing = loadModel((dir / "m.onnx").string());
    QVERIFY(!missing.isOk());
    QCOMPARE(missing.status().code(), ErrorCode::NotFound);
    QVERIFY2(missing.message().find("weights.bin") != std::string::npos, missing.message().c_str());
    QVERIFY2(missing.message().find("'W'") != std::string::npos, missing.message().c_str());

    writeFile(dir / "weights.bin", std::string(10, '\0'));
    auto shortFile = loadModel((dir / "m.onnx").string());
    QVERIFY(!shortFile.isOk());
    QVERIFY2(shortFile.message().find("too short") != std::string::npos, shortFile.message().c_str());
    QVERIFY2(shortFile.message().find("offset 0, length 16") != std::string::npos, shortFile.message().c_str());
    QVERIFY2(shortFile.message().find("10 bytes") != std::string::npos, shortFile.message().c_str());

    // Length fits the file but not the dims: [4] float32 needs 16 bytes.
    makeExternal(*m.mutable_graph()->mutable_initializer(0), "weights.bin", 0, 8);
    m.SerializeToString(&bytes);
    writeFile(dir / "m.onnx", bytes);
    auto tooSmall = loadModel((dir / "m.onnx").string());
    QVERIFY(!tooSmall.isOk());
    QVERIFY2(tooSmall.message().find("needs 16 bytes") != std::string::npos, tooSmall.message().c_str());

    writeFile(dir / "weights.bin", std::string(16, '\0'));
    makeExternal(*m.mutable_graph()->mutable_initializer(0), "weights.bin", 0, 16);
    m.SerializeToString(&bytes);
    writeFile(dir / "m.onnx", bytes);
    QVERIFY(loadModel((dir / "m.onnx").string()).isOk());
  }

  void corruptInputs_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expect");
    onnx::ModelProto m = addModel(64);
    std::string good;
    m.SerializeToString(&good);
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("truncated") << QByteArray(good.data(), static_cast<int>(good.size() / 2)) << "damaged or truncated";
    std::mt19937 rng(7);
    QByteArray random(4096, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    QTest::newRow("random bytes") << random << "";
    QTest::newRow("text file") << QByteArray("name,value\nlr,0.1\n") << "";
    QTest::newRow("png header") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << "";
  }
  void corruptInputs() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expect);
    QTemporaryDir tmp;
    fs::path p = fs::path(tmp.path().toStdString()) / "bad.onnx";
    writeFile(p, std::string_view(bytes.constData(), static_cast<size_t>(bytes.size())));
    auto loaded = loadModel(p.string());
    QVERIFY(!loaded.isOk());
    QVERIFY2(loaded.message().find(p.string()) != std::string::npos, loaded.message().c_str());
    if (!expect.isEmpty())
      QVERIFY2(loaded.message().find(expect.toStdString()) != std::string::npos, loaded.message().c_str());
  }

  void absurdDimsRejected() {
    onnx::ModelProto m = addModel(4);
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_dims();
    w->add_dims(int64_t(1) << 40);
    std::string bytes;
    m.SerializeToString(&bytes);
    auto loaded = loadModelFromBytes(bytes, {});
    QVERIFY(!loaded.isOk());
    QVERIFY2(loaded.message().find("'W'") != std::string::npos, loaded.message().c_str());
    QVERIFY2(loaded.message().find("1099511627776") != std::string::npos, loaded.message().c_str());
    QVERIFY2(loaded.message().find("4.0 TiB") != std::string::npos, loaded.message().c_str());
  }

  void cycleRejected() {
    onnx::ModelProto m = addModel(4);
    auto* g = m.mutable_graph();
    // A: Y2 = Relu(Y3); B: Y3 = Relu(Y2)
    auto* a = g->add_node();
    a->set_op_type("Relu");
    a->set_name("relu_a");
    a->add_input("Y3");
    a->add_output("Y2");
    auto* b = g->add_node();
    b->set_op_type("Relu");
    b->set_name("relu_b");
    b->add_input("Y2");
    b->add_output("Y3");
    std::string bytes;
    m.SerializeToString(&bytes);
    auto loaded = loadModelFromBytes(bytes, {});
    QVERIFY(!loaded.isOk());
    QCOMPARE(loaded.status().code(), ErrorCode::Invalid);
    QVERIFY2(loaded.message().find("cycle") != std::string::npos, loaded.message().c_str());
    QVERIFY2(loaded.message().find("relu_a") != std::string::npos, loaded.message().c_str());
  }

  void duplicateDefinitionRejected() {
    onnx::ModelProto m = addModel(4);
    auto* n = m.mutable_graph()->add_node();
    n->set_op_type("Relu");
    n->set_name("again");
    n->add_input("X");
    n->add_output("Y");
    std::string bytes;
    m.SerializeToString(&bytes);
    auto loaded = loadModelFromBytes(bytes, {});
    QVERIFY(!loaded.isOk());
    QVERIFY2(loaded.message().find("'Y'") != std::string::npos, loaded.message().c_str());
    QVERIFY2(loaded.message().find("again") != std::string::npos, loaded.message().c_str());
  }

  void atomicSaveNeverDamagesTarget() {
    QTemporaryDir tmp;
    fs::path dir = tmp.path().toStdString();
    onnx::ModelProto m = addModel(16);
    std::string bytes;
    m.SerializeToString(&bytes);
    writeFile(dir / "m.onnx", bytes);
    auto model = loadModel((dir / "m.onnx").string());
    QVERIFY(model.isOk());
    // A save that fails (cancelled half way) leaves the existing file as it was and no temp files.
    std::string before = readFile(dir / "m.onnx");
    SaveOptions opt;
    auto cancelled = saveModel(**model, (dir / "m.onnx").string(), opt,
                               [](double f, std::string_view) { return f < 0.5; });
    QVERIFY(!cancelled.isOk());
    QCOMPARE(cancelled.status().code(), ErrorCode::Cancelled);
    QCOMPARE(readFile(dir / "m.onnx"), before);
    int files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
    QCOMPARE(files, 1);
    // A save into a read-only folder fails with a message naming the folder; nothing written.
    fs::create_directory(dir / "ro");
    ::chmod((dir / "ro").c_str(), 0555);
    if (::geteuid() != 0) {
      auto denied = saveModel(**model, (dir / "ro" / "x.onnx").string());
      QVERIFY(!denied.isOk());
      QVERIFY2(denied.message().find("ro") != std::string::npos, denied.message().c_str());
    }
    // Saving over the source works and gives the same model.
    QVERIFY(saveModel(**model, (dir / "m.onnx").string()).isOk());
    google::protobuf::util::MessageDifferencer diff;
    QVERIFY(diff.Compare(parseFile(dir / "m.onnx"), m));
  }

  void bundledSampleModelLoads() {
    // scripts/run opens this model; it must stay small, load, and round-trip exactly.
    const std::string path = graft::test::sourceDir() + "/resources/sample/sample.onnx";
    QVERIFY(fs::file_size(path) < 1024 * 1024);
    auto model = loadModel(path);
    QVERIFY2(model.isOk(), model.message().c_str());
    QVERIFY((*model)->graph().nodeCount() > 50);
    auto bytes = serializeModel(**model);
    QVERIFY(bytes.isOk());
    google::protobuf::util::MessageDifferencer diff;
    onnx::ModelProto again;
    QVERIFY(again.ParseFromString(*bytes));
    QVERIFY(diff.Compare(parseFile(path), again));
  }

  void missingFileNamed() {
    auto loaded = loadModel("/nonexistent/folder/model.onnx");
    QVERIFY(!loaded.isOk());
    QCOMPARE(loaded.status().code(), ErrorCode::NotFound);
    QVERIFY(loaded.message().find("/nonexistent/folder/model.onnx") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestIo)
#include "test_io.moc"
