// Tests for analysis: shape inference against the backend test data, per-node problems,
// custom domains and newer opsets, op docs, FLOP counts checked by hand, statistics, validation.
#include <spdlog/spdlog.h>

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graft/analysis.h"
#include "graft/io.h"
#include "graft/ir.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

// ---- building small models in memory

struct ModelBuilder {
  onnx::ModelProto proto;
  explicit ModelBuilder(std::int64_t opset = 13) {
    proto.set_ir_version(8);
    proto.set_producer_name("test_analysis");
    auto* imp = proto.add_opset_import();
    imp->set_domain("");
    imp->set_version(opset);
    proto.mutable_graph()->set_name("g");
  }
  onnx::GraphProto& g() { return *proto.mutable_graph(); }
  void import(const std::string& domain, std::int64_t version) {
    auto* imp = proto.add_opset_import();
    imp->set_domain(domain);
    imp->set_version(version);
  }
  static onnx::ValueInfoProto info(const std::string& name, const std::vector<std::int64_t>& dims,
                                   int elem = onnx::TensorProto::FLOAT) {
    onnx::ValueInfoProto vi;
    vi.set_name(name);
    auto* t = vi.mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem);
    auto* s = t->mutable_shape();
    for (auto d : dims) s->add_dim()->set_dim_value(d);
    return vi;
  }
  void input(const std::string& name, const std::vector<std::int64_t>& dims) { *g().add_input() = info(name, dims); }
  void output(const std::string& name) { g().add_output()->set_name(name); }
  void output(const std::string& name, const std::vector<std::int64_t>& dims) { *g().add_output() = info(name, dims); }
  void weight(const std::string& name, const std::vector<std::int64_t>& dims) {
    auto* t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (auto d : dims) {
      t->add_dims(d);
      n *= d;
    }
    for (std::int64_t i = 0; i < n; ++i) t->add_float_data(0.5f);
  }
  onnx::NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& domain = "") {
    auto* n = g().add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const auto& i : in) n->add_input(i);
    for (const auto& o : out) n->add_output(o);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void intAttr(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  std::unique_ptr<Model> build() {
    auto m = Model::fromProto(proto);
    if (!m) qFatal("Model::fromProto failed: %s", m.message().c_str());
    return std::move(m.value());
  }
};

std::unique_ptr<Model> load(const std::string& path) {
  auto m = loadModel(path);
  if (!m) qFatal("loadModel(%s) failed: %s", path.c_str(), m.message().c_str());
  return std::move(m.value());
}

std::vector<const Diagnostic*> problemsFor(const std::vector<Diagnostic>& problems, const std::string& node) {
  std::vector<const Diagnostic*> out;
  for (const auto& p : problems)
    if (p.node == node) out.push_back(&p);
  return out;
}

bool anyError(const std::vector<Diagnostic>& problems) {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; });
}

std::string dump(const std::vector<Diagnostic>& problems) {
  std::string out;
  for (const auto& p : problems) out += "[" + p.node + "] " + p.message + "\n";
  return out;
}

std::vector<std::int64_t> shapeOf(const InferenceResult& r, const std::string& name) {
  auto it = r.types.find(name);
  if (it == r.types.end()) return {-1};
  auto s = staticShape(it->second);
  return s ? *s : std::vector<std::int64_t>{-2};
}

const Node* nodeNamed(const Model& m, const std::string& name) { return m.graph().findNodeByName(name); }

}  // namespace

class TestAnalysis : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { spdlog::set_level(spdlog::level::warn); }  // the loader logs every model at info

  // ---------------------------------------------------------------- inference

  void inferenceMatchesBackendOutputs() {
    // Every data/node model: where inference gives a static shape for a graph output, it must be
    // the shape of the expected output tensor the onnx test suite ships.
    auto models = test::corpusModels({"node"});
    QVERIFY(models.size() > 500);
    int compared = 0, fullyStatic = 0, mismatches = 0;
    std::string firstMismatch;
    for (const auto& path : models) {
      auto model = load(path);
      auto r = inferShapes(*model);
      QVERIFY2(r.isOk(), (path + ": " + r.message()).c_str());
      const auto& outputs = model->graph().outputs();
      for (size_t i = 0; i < outputs.size(); ++i) {
        fs::path pb = fs::path(path).parent_path() / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb");
        if (!fs::exists(pb)) continue;
        auto it = r->types.find(outputs[i]->name());
        if (it == r->types.end() || !it->second.has_tensor_type()) continue;
        std::ifstream f(pb, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        onnx::TensorProto expected;
        if (!expected.ParseFromString(ss.str()) || expected.data_type() == 0) continue;
        ++compared;
        const auto& t = it->second.tensor_type();
        // The suite stores bfloat16 expectations as uint16 (same bits).
        bool ok = t.elem_type() == expected.data_type() ||
                  (t.elem_type() == onnx::TensorProto::BFLOAT16 && expected.data_type() == onnx::TensorProto::UINT16);
        if (t.has_shape()) {
          if (t.shape().dim_size() != expected.dims_size()) ok = false;
          bool allStatic = true;
          for (int d = 0; ok && d < t.shape().dim_size(); ++d) {
            if (!t.shape().dim(d).has_dim_value())
              allStatic = false;
            else if (t.shape().dim(d).dim_value() != expected.dims(d))
              ok = false;
          }
          if (ok && allStatic) ++fullyStatic;
        }
        if (!ok) {
          ++mismatches;
          if (firstMismatch.size() < 1000)
            firstMismatch += path + " output " + outputs[i]->name() + ": " + formatType(it->second) + "\n";
        }
      }
    }
    qInfo("compared %d outputs, %d fully static, %d mismatches", compared, fullyStatic, mismatches);
    QVERIFY2(mismatches == 0, firstMismatch.c_str());
    QVERIFY(compared > 800);
    QVERIFY(fullyStatic > compared * 9 / 10);
  }

  void inferenceFillsIntermediateValues() {
    // A converted PyTorch model declares only its inputs and outputs; every value in between
    // must get a type from inference.
    auto model = load(test::testdataDir() + "/pytorch-converted/test_ConvTranspose2d/model.onnx");
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QVERIFY2(r->complete, dump(r->problems).c_str());
    QVERIFY(!anyError(r->problems));
    model->graph().forEachNode([&](const Node& n) {
      for (const Value* v : n.outputs()) QVERIFY2(r->types.count(v->name()), v->name().c_str());
    });
    for (const Value* v : model->graph().initializers()) QVERIFY(r->types.count(v->name()));
  }

  void failingNodeIsNamedAndOthersAreInferred() {
    ModelBuilder b;
    b.input("a", {2, 3});
    b.input("b", {4, 5});
    b.node("Relu", "relu_ok", {"a"}, {"r"});
    b.node("Add", "bad_add", {"a", "b"}, {"s"});  // 2x3 + 4x5 does not broadcast
    b.node("Sigmoid", "after_bad", {"s"}, {"t"});
    b.node("Tanh", "tanh_ok", {"r"}, {"u"});
    b.output("t");
    b.output("u");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QCOMPARE(shapeOf(*r, "r"), (std::vector<std::int64_t>{2, 3}));
    QCOMPARE(shapeOf(*r, "u"), (std::vector<std::int64_t>{2, 3}));
    QVERIFY(!r->types.count("s"));
    QVERIFY(!r->complete);
    auto bad = problemsFor(r->problems, "bad_add");
    QCOMPARE(bad.size(), size_t(1));
    QCOMPARE(bad[0]->severity, Diagnostic::Severity::Error);
    QCOMPARE(bad[0]->opType, std::string("Add"));
    QVERIFY2(bad[0]->message.find("Incompatible dimensions") != std::string::npos, bad[0]->message.c_str());
    // The node after it fails only because its input has no type: not an error of its own.
    QVERIFY(problemsFor(r->problems, "after_bad").empty());
    QVERIFY(problemsFor(r->problems, "relu_ok").empty());
  }

  void failureAfterCustomOpIsStillFound() {
    // onnx 1.12 stops recording errors once it has met an op without schema; the failing
    // MatMul after the custom op (with a declared output type) must still be named.
    ModelBuilder b;
    b.import("com.microsoft", 1);
    b.input("a", {2, 3});
    b.node("FusedGelu", "gelu", {"a"}, {"g"}, "com.microsoft");
    b.node("MatMul", "bad_matmul", {"a", "a"}, {"mm"});  // 2x3 @ 2x3
    b.node("Relu", "", {"a"}, {"r"});
    b.output("mm", {2, 3});
    b.output("r");
    b.output("g");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    auto bad = problemsFor(r->problems, "bad_matmul");
    QCOMPARE(bad.size(), size_t(1));
    QCOMPARE(bad[0]->severity, Diagnostic::Severity::Error);
    QVERIFY2(bad[0]->message.find("matrix multiplication") != std::string::npos, bad[0]->message.c_str());
    QCOMPARE(shapeOf(*r, "r"), (std::vector<std::int64_t>{2, 3}));
    QVERIFY(problemsFor(r->problems, "Relu #2").empty());
  }

  void declaredTypeConflictsAreNamed() {
    // A value_info that contradicts what the node computes makes onnx 1.12 throw at once;
    // the node must still be named and the rest of the graph inferred.
    ModelBuilder b;
    b.input("a", {2, 3});
    b.node("Relu", "relu", {"a"}, {"r"});
    b.node("Sigmoid", "sig", {"r"}, {"s"});
    b.node("Add", "", {"a", "a"}, {"t"});
    *b.g().add_value_info() = ModelBuilder::info("r", {5, 5});
    b.output("s");
    b.output("t");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    auto relu = problemsFor(r->problems, "relu");
    QCOMPARE(relu.size(), size_t(1));
    QCOMPARE(relu[0]->severity, Diagnostic::Severity::Error);
    QVERIFY2(relu[0]->message.find("float32[5,5]") != std::string::npos, relu[0]->message.c_str());
    QCOMPARE(shapeOf(*r, "t"), (std::vector<std::int64_t>{2, 3}));
    QVERIFY(r->types.count("s"));
    QCOMPARE(r->problems.size(), size_t(1));

    // A weight whose data contradicts its declared input type.
    ModelBuilder w;
    w.input("x", {3});
    *w.g().add_input() = ModelBuilder::info("w", {3});
    w.weight("w", {4});
    w.node("Mul", "mul", {"x", "w"}, {"y"});
    w.output("y");
    auto wm = w.build();
    auto wr = inferShapes(*wm);
    QVERIFY(wr.isOk());
    QCOMPARE(wr->problems.size(), size_t(1));
    QVERIFY2(wr->problems[0].message.find("'w'") != std::string::npos, wr->problems[0].message.c_str());
    QVERIFY(wr->problems[0].message.find("float32[4]") != std::string::npos);
    QCOMPARE(shapeOf(*wr, "y"), (std::vector<std::int64_t>{3}));
  }

  void unnamedFailingNodeIsLabelled() {
    ModelBuilder b;
    b.input("a", {2, 3});
    b.input("b", {4, 5});
    b.node("Relu", "", {"a"}, {"r"});
    b.node("Add", "", {"a", "b"}, {"s"});
    b.output("r");
    b.output("s", {2, 3});  // declared, so only the error tells that the Add failed
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QCOMPARE(r->problems.size(), size_t(1));
    QCOMPARE(r->problems[0].node, std::string("Add #1"));
    QCOMPARE(r->problems[0].opType, std::string("Add"));
  }

  void failureInsideSubgraphNamesItsOwner() {
    ModelBuilder b;
    b.input("cond", {});
    b.g().mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
    b.input("a", {2, 3});
    b.input("b", {4, 5});
    auto* iff = b.node("If", "branchy", {"cond"}, {"y"});
    for (const char* branch : {"then_branch", "else_branch"}) {
      auto* attr = iff->add_attribute();
      attr->set_name(branch);
      attr->set_type(onnx::AttributeProto::GRAPH);
      auto* sub = attr->mutable_g();
      sub->set_name(branch);
      auto* n = sub->add_node();
      n->set_op_type("Add");
      n->set_name(std::string(branch) + "_add");
      n->add_input("a");
      n->add_input(std::string(branch) == "then_branch" ? "b" : "a");  // only the then branch is broken
      n->add_output(std::string(branch) + "_out");
      sub->add_output()->set_name(std::string(branch) + "_out");
    }
    b.node("Relu", "relu", {"a"}, {"r"});
    b.output("y", {2, 3});
    b.output("r", {2, 3});
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    // onnx itself only says the branch types differ; the report points into the branch.
    auto owner = problemsFor(r->problems, "branchy");
    QCOMPARE(owner.size(), size_t(1));
    QCOMPARE(owner[0]->severity, Diagnostic::Severity::Error);
    QVERIFY2(
        owner[0]->message.find("in subgraph 'then_branch', node 'then_branch_add' (Add): Incompatible dimensions") !=
            std::string::npos,
        owner[0]->message.c_str());
    QCOMPARE(shapeOf(*r, "r"), (std::vector<std::int64_t>{2, 3}));

    auto v = validateModel(*model);  // structurally fine: the checker does not infer shapes
    QVERIFY2(v.valid, dump(v.problems).c_str());
  }

  void largeIntegerWeightsAreReadable() {
    // Analyses work on a copy without large weights, yet onnx's inference reads integer inputs
    // (here the 1600-byte `split` of a Split into 200 parts): they must stay readable, or the
    // node fails with a false error and its outputs stay untyped.
    ModelBuilder b;
    b.input("x", {400});
    auto* split = b.g().add_initializer();
    split->set_name("split");
    split->set_data_type(onnx::TensorProto::INT64);
    split->add_dims(200);
    std::vector<std::string> outs;
    for (int i = 0; i < 200; ++i) {
      split->add_int64_data(2);
      outs.push_back("part" + std::to_string(i));
    }
    b.node("Split", "split200", {"x", "split"}, outs);
    for (const auto& o : outs) b.output(o);
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QVERIFY2(r->problems.empty(), dump(r->problems).c_str());
    QCOMPARE(shapeOf(*r, "part0"), (std::vector<std::int64_t>{2}));
    QCOMPARE(shapeOf(*r, "part199"), (std::vector<std::int64_t>{2}));
  }

  void contribOpIsReportedAsCustomNotError() {
    ModelBuilder b;
    b.import("com.microsoft", 1);
    b.import("com.example", 3);
    b.input("a", {2, 3});
    b.node("FusedGelu", "gelu", {"a"}, {"g"}, "com.microsoft");
    b.node("MyOp", "mine", {"a"}, {"m"}, "com.example");
    b.node("Relu", "relu", {"a"}, {"r"});
    b.node("Sigmoid", "sig", {"g"}, {"s"});
    b.output("s", {2, 3});
    b.output("r", {2, 3});
    b.output("m", {2, 3});
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QVERIFY2(!anyError(r->problems), dump(r->problems).c_str());
    auto gelu = problemsFor(r->problems, "gelu");
    QCOMPARE(gelu.size(), size_t(1));
    QCOMPARE(gelu[0]->severity, Diagnostic::Severity::Info);
    QVERIFY(gelu[0]->message.find("not inferred because") != std::string::npos);
    QVERIFY(gelu[0]->message.find("ONNX Runtime") != std::string::npos);
    auto mine = problemsFor(r->problems, "mine");
    QCOMPARE(mine.size(), size_t(1));
    QVERIFY(mine[0]->message.find("custom domain 'com.example'") != std::string::npos);
    QCOMPARE(shapeOf(*r, "r"), (std::vector<std::int64_t>{2, 3}));
    QVERIFY(!r->complete);

    OpDoc doc = describeNode(*nodeNamed(*model, "gelu"));
    QVERIFY(!doc.known);
    QCOMPARE(doc.domain, std::string("com.microsoft"));
    QVERIFY(doc.note.find("ONNX Runtime") != std::string::npos);
    doc = describeNode(*nodeNamed(*model, "mine"));
    QVERIFY(!doc.known);
    QCOMPARE(doc.note, std::string("custom domain 'com.example'"));

    auto v = validateModel(*model);
    QVERIFY2(v.valid, dump(v.problems).c_str());
    QVERIFY(!problemsFor(v.problems, "gelu").empty());
    QCOMPARE(problemsFor(v.problems, "gelu")[0]->severity, Diagnostic::Severity::Info);
  }

  void onnxRuntimeFusionsKeepTypesFlowing() {
    // What ONNX Runtime's optimizer writes: com.microsoft fusions, and LayerNormalization in the
    // default domain below opset 17. Types must flow through them to the nodes after.
    ModelBuilder b;
    b.import("com.microsoft", 1);
    b.input("x", {1, 3, 8, 8});
    b.weight("w", {4, 3, 3, 3});
    auto* conv = b.node("FusedConv", "fused_conv", {"x", "w"}, {"c"}, "com.microsoft");
    auto* act = conv->add_attribute();
    act->set_name("activation");
    act->set_type(onnx::AttributeProto::STRING);
    act->set_s("Relu");
    b.node("Sigmoid", "after_conv", {"c"}, {"s"});
    // A [2,3,4] read with transBatchA as [3,2,4]; B [3,5,4] read with transB as [3,4,5] -> [3,2,5].
    b.input("a", {2, 3, 4});
    b.input("bm", {3, 5, 4});
    auto* mm = b.node("FusedMatMul", "fused_mm", {"a", "bm"}, {"m"}, "com.microsoft");
    ModelBuilder::intAttr(mm, "transBatchA", 1);
    ModelBuilder::intAttr(mm, "transB", 1);
    b.weight("gamma", {5});
    b.weight("beta", {5});
    b.node("LayerNormalization", "ln", {"m", "gamma", "beta"}, {"n"});
    b.node("Relu", "after_ln", {"n"}, {"r"});
    b.output("s", {1, 4, 6, 6});
    b.output("r", {3, 2, 5});
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QVERIFY2(r->complete, dump(r->problems).c_str());
    QVERIFY(!anyError(r->problems));
    QCOMPARE(shapeOf(*r, "c"), (std::vector<std::int64_t>{1, 4, 6, 6}));
    QCOMPARE(shapeOf(*r, "m"), (std::vector<std::int64_t>{3, 2, 5}));
    QCOMPARE(shapeOf(*r, "n"), (std::vector<std::int64_t>{3, 2, 5}));
    auto fused = problemsFor(r->problems, "fused_conv");
    QCOMPARE(fused.size(), size_t(1));
    QCOMPARE(fused[0]->severity, Diagnostic::Severity::Info);
    QVERIFY2(fused[0]->message.find("computed as for Conv") != std::string::npos, fused[0]->message.c_str());
    auto ln = problemsFor(r->problems, "ln");
    QCOMPARE(ln.size(), size_t(1));
    QVERIFY2(ln[0]->message.find("opset-17 schema") != std::string::npos, ln[0]->message.c_str());

    // Costs: the fusions count as what they fuse. Conv: 1*4*6*6 * 3*3*3 = 3888 MACs;
    // FusedMatMul: 3 * 2*5 * 4 = 120 MACs.
    QCOMPARE(nodeCost(*nodeNamed(*model, "fused_conv"), r->types).macs, std::uint64_t(3888));
    QCOMPARE(nodeCost(*nodeNamed(*model, "fused_mm"), r->types).macs, std::uint64_t(120));

    // The checker cannot accept LayerNormalization at opset 13 and says where it exists.
    auto v = validateModel(*model);
    QVERIFY(!v.valid);
    auto lnCheck = problemsFor(v.problems, "ln");
    QCOMPARE(lnCheck.size(), size_t(1));
    QVERIFY2(lnCheck[0]->message.find("from opset 17") != std::string::npos, lnCheck[0]->message.c_str());
  }

  void newerOpsetOpensAndSaysSo() {
    ModelBuilder b(99);
    b.input("a", {2, 3});
    b.node("Relu", "relu", {"a"}, {"r"});
    b.node("Transpose", "tr", {"r"}, {"t"});
    b.output("t", {3, 2});
    // Through bytes and the loader, as a file from a newer exporter would come in.
    auto bytes = b.proto.SerializeAsString();
    auto loaded = loadModelFromBytes(bytes);
    QVERIFY2(loaded.isOk(), loaded.message().c_str());
    Model& model = **loaded;
    QCOMPARE(maxKnownOpset(""), 26);
    auto r = inferShapes(model);
    QVERIFY(r.isOk());
    QVERIFY(!anyError(r->problems));
    bool said = false;
    for (const auto& p : r->problems)
      if (p.message.find("opset 99") != std::string::npos && p.message.find("26") != std::string::npos) said = true;
    QVERIFY2(said, dump(r->problems).c_str());
    QCOMPARE(shapeOf(*r, "t"), (std::vector<std::int64_t>{3, 2}));

    auto v = validateModel(model);
    QVERIFY2(v.valid, dump(v.problems).c_str());
    said = false;
    for (const auto& p : v.problems)
      if (p.message.find("cannot check ops of opset 99") != std::string::npos &&
          p.message.find("up to 26") != std::string::npos)
        said = true;
    QVERIFY2(said, dump(v.problems).c_str());

    OpDoc doc = describeNode(*nodeNamed(model, "relu"));
    QVERIFY(!doc.known);
    QVERIFY2(doc.note.find("opset 99 is newer than Graft knows (max 26)") != std::string::npos, doc.note.c_str());
  }

  void cancelStopsInference() {
    auto model = load(test::testdataDir() + "/pytorch-converted/test_ConvTranspose2d/model.onnx");
    std::vector<double> seen;
    auto r = inferShapes(*model, [&](double f, std::string_view) {
      seen.push_back(f);
      return true;
    });
    QVERIFY(r.isOk());
    QVERIFY(seen.size() >= 3);
    QVERIFY(std::is_sorted(seen.begin(), seen.end()));
    QCOMPARE(seen.back(), 1.0);
    int calls = 0;
    auto c = inferShapes(*model, [&](double, std::string_view) { return ++calls < 2; });
    QVERIFY(!c.isOk());
    QCOMPARE(c.status().code(), ErrorCode::Cancelled);
  }

  void formatsTypes() {
    onnx::TypeProto t;
    auto* tt = t.mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::INT64);
    tt->mutable_shape()->add_dim()->set_dim_param("batch");
    tt->mutable_shape()->add_dim();
    QCOMPARE(formatType(t), std::string("int64[batch,?]"));
    QVERIFY(!staticShape(t));
    onnx::TypeProto f = ModelBuilder::info("x", {1, 3, 224, 224}).type();
    QCOMPARE(formatType(f), std::string("float32[1,3,224,224]"));
    QCOMPARE(*staticShape(f), (std::vector<std::int64_t>{1, 3, 224, 224}));
    onnx::TypeProto s;
    auto* e = s.mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type();
    e->set_elem_type(onnx::TensorProto::FLOAT);
    e->mutable_shape()->add_dim();
    QCOMPARE(formatType(s), std::string("seq(float32[?])"));
    QCOMPARE(formatType(onnx::TypeProto()), std::string("?"));
  }

  // ---------------------------------------------------------------- schemas

  void convSchemaAtOpset11() {
    OpDoc doc = describeOp("Conv", "", 11);
    QVERIFY(doc.known);
    QCOMPARE(doc.sinceVersion, 11);
    QVERIFY(!doc.deprecated);
    QVERIFY(doc.doc.find("convolution") != std::string::npos);
    QCOMPARE(doc.inputs.size(), size_t(3));
    QCOMPARE(doc.inputs[0].name, std::string("X"));
    QCOMPARE(doc.inputs[1].name, std::string("W"));
    QCOMPARE(doc.inputs[2].name, std::string("B"));
    QCOMPARE(doc.inputs[0].typeStr, std::string("T"));
    QVERIFY(!doc.inputs[0].optional && doc.inputs[2].optional);
    QCOMPARE(doc.outputs.size(), size_t(1));
    QCOMPARE(doc.outputs[0].name, std::string("Y"));
    std::map<std::string, OpDoc::Attr> attrs;
    for (const auto& a : doc.attributes) attrs[a.name] = a;
    QVERIFY(attrs.count("kernel_shape") && attrs.count("strides") && attrs.count("dilations") && attrs.count("pads"));
    QCOMPARE(attrs["group"].defaultValue, std::string("1"));
    QCOMPARE(attrs["group"].type, std::string("int"));
    QCOMPARE(attrs["auto_pad"].defaultValue, std::string("NOTSET"));
    QCOMPARE(attrs["auto_pad"].type, std::string("string"));
    QCOMPARE(attrs["kernel_shape"].type, std::string("ints"));
    QVERIFY(!attrs["group"].required);
    QCOMPARE(doc.typeConstraints.size(), size_t(1));
    QCOMPARE(doc.typeConstraints[0].param, std::string("T"));
    const auto& allowed = doc.typeConstraints[0].allowed;
    QVERIFY(std::find(allowed.begin(), allowed.end(), "tensor(float)") != allowed.end());

    // Older imports get the older schema; an op newer than the import says so.
    QCOMPARE(describeOp("Conv", "ai.onnx", 9).sinceVersion, 1);
    OpDoc ln = describeOp("LayerNormalization", "", 13);
    QVERIFY(!ln.known);
    QVERIFY2(ln.note.find("from opset 17") != std::string::npos, ln.note.c_str());
    QVERIFY(describeOp("LinearRegressor", "ai.onnx.ml", 1).known);
    OpDoc concat = describeOp("Concat", "", 13);
    QVERIFY(concat.inputs[0].variadic);
    std::map<std::string, OpDoc::Attr> concatAttrs;
    for (const auto& a : concat.attributes) concatAttrs[a.name] = a;
    QVERIFY(concatAttrs["axis"].required);
    QVERIFY(describeOp("Upsample", "", 10).deprecated);
    QCOMPARE(maxKnownOpset("ai.onnx.ml"), 3);
    QCOMPARE(maxKnownOpset("com.example"), 0);
  }

  // ---------------------------------------------------------------- statistics

  void convFlopsByHand() {
    // Grouped, dilated convolution: X 2x4x10x10, W 6x2x3x3 (group 2), dilation 2, no padding.
    // Output spatial = 10 - (3-1)*2 = 6, so Y is 2x6x6x6.
    // MACs = N * M * H_out * W_out * (C/group) * kh * kw = 2*6*6*6 * 2*3*3 = 7776.
    ModelBuilder b;
    b.input("x", {2, 4, 10, 10});
    b.weight("w", {6, 2, 3, 3});
    b.weight("bias", {6});
    auto* conv = b.node("Conv", "conv", {"x", "w", "bias"}, {"y"});
    ModelBuilder::ints(conv, "dilations", {2, 2});
    ModelBuilder::intAttr(conv, "group", 2);
    b.node("Relu", "relu", {"y"}, {"z"});
    b.output("z");
    auto model = b.build();

    // Without types the output shape of the conv is not known.
    QVERIFY(!nodeCost(*nodeNamed(*model, "conv"), {}).known);

    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QCOMPARE(shapeOf(*r, "y"), (std::vector<std::int64_t>{2, 6, 6, 6}));
    NodeCost c = nodeCost(*nodeNamed(*model, "conv"), r->types);
    QVERIFY(c.known);
    QCOMPARE(c.macs, std::uint64_t(7776));
    QCOMPARE(c.flops, std::uint64_t(2 * 7776));
    NodeCost relu = nodeCost(*nodeNamed(*model, "relu"), r->types);
    QVERIFY(relu.known);
    QCOMPARE(relu.flops, std::uint64_t(2 * 6 * 6 * 6));
    QCOMPARE(relu.macs, std::uint64_t(0));

    Statistics st = computeStatistics(*model, &*r);
    QCOMPARE(st.macs, std::uint64_t(7776));
    QCOMPARE(st.flops, std::uint64_t(2 * 7776 + 432));
    QCOMPARE(st.nodesWithUnknownCost, size_t(0));
    QCOMPARE(st.parameters, std::uint64_t(6 * 2 * 3 * 3 + 6));
    QCOMPARE(st.parameterBytes, std::uint64_t(4 * (6 * 2 * 3 * 3 + 6)));
    QCOMPARE(st.parametersByType["float32"], st.parameters);
    QCOMPARE(st.initializerCount, std::uint64_t(2));
    QCOMPARE(st.opHistogram["Conv"], size_t(1));
    QCOMPARE(st.perNode.size(), size_t(2));
    // x, y and z, all float32 2x...: 800 + 432 + 432 elements.
    QCOMPARE(st.activationBytes, std::uint64_t(4 * (800 + 432 + 432)));
  }

  void symbolicBatchCountsAsOne() {
    // PyTorch exports usually have a dynamic batch: X is [N,4,10,10]. The conv is then
    // costed per sample (N = 1): 6*6*6 * 2*3*3 = 3888 MACs, and says it assumed so.
    ModelBuilder b;
    b.input("x", {2, 4, 10, 10});
    b.g().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
    b.weight("w", {6, 2, 3, 3});
    auto* conv = b.node("Conv", "conv", {"x", "w"}, {"y"});
    ModelBuilder::ints(conv, "dilations", {2, 2});
    ModelBuilder::intAttr(conv, "group", 2);
    b.output("y");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    NodeCost c = nodeCost(*nodeNamed(*model, "conv"), r->types);
    QVERIFY(c.known);
    QVERIFY(c.symbolicAsOne);
    QCOMPARE(c.macs, std::uint64_t(3888));
    Statistics st = computeStatistics(*model, &*r);
    QCOMPARE(st.macs, std::uint64_t(3888));
    QCOMPARE(st.nodesWithSymbolicDims, size_t(1));
    QCOMPARE(st.nodesWithUnknownCost, size_t(0));
  }

  void matMulAndGemmFlopsByHand() {
    // Batched, broadcast MatMul: [2,1,4,5] @ [3,5,7] -> [2,3,4,7]; MACs = 2*3 * 4*7 * 5 = 840.
    // 1-D right operand: [4,5] @ [5] -> [4]; MACs = 4*5 = 20.
    // Gemm with transB: A [4,5], B [6,5]^T -> [4,6]; MACs = 4*6*5 = 120.
    ModelBuilder b;
    b.input("a", {2, 1, 4, 5});
    b.input("b", {3, 5, 7});
    b.input("m", {4, 5});
    b.input("v", {5});
    b.weight("gw", {6, 5});
    b.node("MatMul", "mm", {"a", "b"}, {"y"});
    b.node("MatMul", "mv", {"m", "v"}, {"y2"});
    auto* gemm = b.node("Gemm", "gemm", {"m", "gw"}, {"y3"});
    ModelBuilder::intAttr(gemm, "transB", 1);
    b.output("y");
    b.output("y2");
    b.output("y3");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    // MatMul needs only the input shapes, so declared types are enough.
    NodeCost mm = nodeCost(*nodeNamed(*model, "mm"), {});
    QVERIFY(mm.known);
    QCOMPARE(mm.macs, std::uint64_t(840));
    QCOMPARE(mm.flops, std::uint64_t(1680));
    QCOMPARE(nodeCost(*nodeNamed(*model, "mv"), r->types).macs, std::uint64_t(20));
    NodeCost g = nodeCost(*nodeNamed(*model, "gemm"), r->types);
    QCOMPARE(g.macs, std::uint64_t(120));
    QCOMPARE(g.flops, std::uint64_t(240));
    Statistics st = computeStatistics(*model, &*r);
    QCOMPARE(st.macs, std::uint64_t(840 + 20 + 120));
    QCOMPARE(st.flops, 2 * st.macs);
  }

  void poolingAndNormalizationCosts() {
    ModelBuilder b(17);
    b.input("x", {1, 2, 8, 8});
    b.weight("s", {2});
    b.weight("bb", {2});
    b.weight("mean", {2});
    b.weight("var", {2});
    auto* mp = b.node("MaxPool", "pool", {"x"}, {"p"});
    ModelBuilder::ints(mp, "kernel_shape", {2, 2});
    ModelBuilder::ints(mp, "strides", {2, 2});
    b.node("GlobalAveragePool", "gap", {"x"}, {"g"});
    b.node("BatchNormalization", "bn", {"x", "s", "bb", "mean", "var"}, {"n"});
    b.node("Softmax", "sm", {"x"}, {"sx"});
    b.node("Flatten", "shape_only", {"x"}, {"rs"});
    b.output("p");
    b.output("g");
    b.output("n");
    b.output("sx");
    b.output("rs");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    // MaxPool 2x2 stride 2: output 1x2x4x4 = 32 elements, 4 window elements each.
    QCOMPARE(nodeCost(*nodeNamed(*model, "pool"), r->types).flops, std::uint64_t(32 * 4));
    QCOMPARE(nodeCost(*nodeNamed(*model, "gap"), r->types).flops, std::uint64_t(128));
    QCOMPARE(nodeCost(*nodeNamed(*model, "bn"), r->types).flops, std::uint64_t(128 * 4));
    QCOMPARE(nodeCost(*nodeNamed(*model, "sm"), r->types).flops, std::uint64_t(128 * 4));
    NodeCost reshape = nodeCost(*nodeNamed(*model, "shape_only"), r->types);
    QVERIFY(reshape.known);
    QCOMPARE(reshape.flops, std::uint64_t(0));
  }

  void statisticsOnPytorchConverted() {
    auto models = test::corpusModels({"pytorch-converted"});
    QVERIFY(models.size() > 50);
    int withFlops = 0;
    for (const auto& path : models) {
      auto model = load(path);
      // The expected numbers come straight from the file, not through the IR.
      std::ifstream f(path, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      onnx::ModelProto proto;
      QVERIFY(proto.ParseFromString(ss.str()));
      std::uint64_t expected = 0;
      for (const auto& t : proto.graph().initializer()) {
        std::uint64_t n = 1;
        for (auto d : t.dims()) n *= static_cast<std::uint64_t>(d);
        expected += n;
      }
      auto r = inferShapes(*model);
      QVERIFY(r.isOk());
      Statistics st = computeStatistics(*model, &*r);
      QVERIFY2(st.parameters == expected, path.c_str());
      QCOMPARE(st.initializerCount, std::uint64_t(proto.graph().initializer_size()));
      std::uint64_t byType = 0;
      for (const auto& [type, n] : st.parametersByType) byType += n;
      QCOMPARE(byType, st.parameters);
      std::size_t histogram = 0;
      for (const auto& [op, n] : st.opHistogram) histogram += n;
      QCOMPARE(histogram, st.totalNodeCount);
      QCOMPARE(st.nodeCount, size_t(proto.graph().node_size()));
      QCOMPARE(st.perNode.size(), st.totalNodeCount);
      if (st.flops > 0) ++withFlops;
    }
    QVERIFY(withFlops > static_cast<int>(models.size()) / 2);
  }

  void externalDataIsCounted() {
    ModelBuilder b;
    b.input("x", {4});
    auto* t = b.g().add_initializer();
    t->set_name("w");
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(4);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = t->add_external_data();
    kv->set_key("location");
    kv->set_value("weights.bin");
    kv = t->add_external_data();
    kv->set_key("length");
    kv->set_value("16");
    b.node("Add", "add", {"x", "w"}, {"y"});
    b.output("y");
    auto model = b.build();
    Statistics st = computeStatistics(*model);
    QCOMPARE(st.parameters, std::uint64_t(4));
    QCOMPARE(st.externalBytes, std::uint64_t(16));
    QCOMPARE(st.externalFiles, std::vector<std::string>{"weights.bin"});
    QCOMPARE(st.parameterBytes, std::uint64_t(16));
  }

  // A QDQ pair costs 2 FLOPs an element each way (scale and zero point), so a static INT8 model's
  // 130-odd Q/DQ nodes no longer make its total "unknown for N nodes".
  void quantizeAndDequantizeAreCosted() {
    ModelBuilder b;
    b.input("x", {1, 3, 4, 4});
    b.weight("s", {});
    b.node("QuantizeLinear", "q", {"x", "s"}, {"xq"});
    b.node("DequantizeLinear", "dq", {"xq", "s"}, {"y"});
    b.output("y");
    auto model = b.build();
    auto r = inferShapes(*model);
    QVERIFY2(r, r.message().c_str());
    Statistics st = computeStatistics(*model, &*r);
    QCOMPARE(st.nodesWithUnknownCost, std::size_t(0));
    QCOMPARE(st.flops, std::uint64_t(2 * 2 * 48));
  }

  void modelWithExternalDataFromDisk() {
    // Saved with its weight in a side file and loaded back: inference works on the mapped
    // weights without reading them, statistics name the file, the checker finds the file.
    ModelBuilder b;
    b.input("x", {8, 64});
    auto* w = b.g().add_initializer();  // raw_data, as exporters write weights
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(64);
    w->add_dims(64);
    w->set_raw_data(std::string(64 * 64 * 4, '\0'));
    b.node("MatMul", "mm", {"x", "w"}, {"y"});
    b.output("y", {8, 64});
    auto built = b.build();
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("ext.onnx").toStdString();
    SaveOptions options;
    options.data = SaveOptions::Data::External;
    auto saved = saveModel(*built, path, options);
    QVERIFY2(saved.isOk(), saved.message().c_str());
    QVERIFY(!saved->externalFile.empty());
    auto model = load(path);
    auto r = inferShapes(*model);
    QVERIFY(r.isOk());
    QVERIFY(r->problems.empty());
    QCOMPARE(shapeOf(*r, "y"), (std::vector<std::int64_t>{8, 64}));
    Statistics st = computeStatistics(*model, &*r);
    QCOMPARE(st.parameters, std::uint64_t(64 * 64));
    QCOMPARE(st.externalBytes, std::uint64_t(64 * 64 * 4));
    QCOMPARE(st.externalFiles.size(), size_t(1));
    QCOMPARE(st.macs, std::uint64_t(8 * 64 * 64));
    auto v = validateModel(*model);
    QVERIFY2(v.valid, dump(v.problems).c_str());
  }

  // ---------------------------------------------------------------- validation

  void validationTiesErrorsToNodes() {
    ModelBuilder b;
    b.input("x", {1, 3, 8, 8});
    b.weight("w", {4, 3, 3, 3});
    auto* conv = b.node("Conv", "conv_bad_attr", {"x", "w"}, {"c"});
    auto* a = conv->add_attribute();  // kernel_shape must be ints
    a->set_name("kernel_shape");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(3);
    b.node("Relu", "relu_two_inputs", {"c", "x"}, {"r"});
    b.node("Sigmoid", "sigmoid_ok", {"r"}, {"s"});
    b.node("Tanh", "uses_missing", {"nowhere"}, {"t"});
    b.output("s", {1, 4, 6, 6});
    b.output("t", {1});
    auto model = b.build();
    auto v = validateModel(*model);
    QVERIFY(!v.valid);
    auto convProblems = problemsFor(v.problems, "conv_bad_attr");
    QCOMPARE(convProblems.size(), size_t(1));
    QCOMPARE(convProblems[0]->severity, Diagnostic::Severity::Error);
    QCOMPARE(convProblems[0]->opType, std::string("Conv"));
    QVERIFY2(convProblems[0]->message.find("kernel_shape") != std::string::npos, convProblems[0]->message.c_str());
    auto relu = problemsFor(v.problems, "relu_two_inputs");
    QCOMPARE(relu.size(), size_t(1));
    QVERIFY2(relu[0]->message.find("input size 2") != std::string::npos, relu[0]->message.c_str());
    auto missing = problemsFor(v.problems, "uses_missing");
    QCOMPARE(missing.size(), size_t(1));
    QVERIFY(missing[0]->message.find("'nowhere'") != std::string::npos);
    QVERIFY(problemsFor(v.problems, "sigmoid_ok").empty());
    // The model-level check sees the same first error; it must not be reported twice.
    QCOMPARE(v.problems.size(), size_t(3));

    // Unnamed nodes are labelled by op type and position; a graph output left dangling
    // (e.g. after an edit) is named.
    ModelBuilder d;
    d.input("x", {2});
    d.node("Relu", "", {"x", "x"}, {"r"});
    d.output("r", {2});
    d.output("ghost", {2});
    auto dm = d.build();
    auto dv = validateModel(*dm);
    QVERIFY(!dv.valid);
    QCOMPARE(dv.problems.size(), size_t(2));
    QCOMPARE(problemsFor(dv.problems, "Relu #0").size(), size_t(1));
    auto model0 = problemsFor(dv.problems, "");
    QCOMPARE(model0.size(), size_t(1));
    QVERIFY2(model0[0]->message.find("'ghost'") != std::string::npos, model0[0]->message.c_str());
  }

  void validationAcceptsCorpus() {
    auto models = test::corpusModels({"node", "pytorch-converted", "pytorch-operator", "simple"});
    QVERIFY(models.size() > 900);
    std::string failures;
    int failed = 0;
    for (const auto& path : models) {
      auto model = load(path);
      auto v = validateModel(*model);
      if (!v.valid) {
        ++failed;
        if (failures.size() < 2000) failures += path + ":\n" + dump(v.problems);
      }
    }
    QVERIFY2(failed == 0, failures.c_str());
  }
};

QTEST_GUILESS_MAIN(TestAnalysis)
#include "test_analysis.moc"
