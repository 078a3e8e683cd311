// edit: hand edits as engine operations. Each edit's refusals (dangling inputs, duplicate
// names, wrong attribute types, a dim change that breaks a Reshape) leave the protobuf
// byte-identical; each accepted edit undoes and redoes to the exact protobuf, saves, and the
// saved model passes the onnx checker. Runs on small text models and on PyTorch exports.
#include <QProcess>

#include <filesystem>

#include "graft/analysis.h"
#include "graft/edit.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "rewrite_testutil.h"

using namespace graft;
using namespace graft::test;

namespace {

// x[batch,3,4] -> Relu -> Reshape to [2,12] (fixed) -> MatMul(w) -> Sigmoid -> out; and a
// second branch Relu -> Identity -> aux.
const char* kModel = R"(<ir_version: 8, opset_import: ["" : 17], metadata_props: ["author" : "someone"]>
g (float[batch,3,4] x) => (float[2,5] out, float[batch,3,4] aux)
<int64[2] target = {2, 12}, float[12,5] w = {0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11,0,1,2,3,4,5,6,7,8,9,10,11}>
{
  r = Relu(x)
  flat = Reshape(r, target)
  mm = MatMul(flat, w)
  out = Sigmoid(mm)
  aux = Identity(r)
})";

std::string bytesOf(const Model& m) {
  std::string s;
  m.toProto().SerializeToString(&s);
  return s;
}

// Applies an edit that must be refused; the model must come out byte-identical.
void expectRefused(Model& m, const Edit& e, const char* mustMention, const EditOptions& o = {}) {
  const std::string before = bytesOf(m);
  auto r = applyEdit(m, e, o);
  QVERIFY2(!r, ("accepted: " + describeEdit(e)).c_str());
  QVERIFY2(r.message().find(mustMention) != std::string::npos, r.message().c_str());
  QVERIFY2(bytesOf(m) == before, ("the refusal changed the model: " + describeEdit(e)).c_str());
}

// Applies an edit that must be accepted, then checks undo -> exact original, redo -> exact
// result, and that the result saves and passes the checker. Leaves the edit applied.
ChangeRecord expectApplied(Model& m, const Edit& e, const EditOptions& o = {}) {
  const onnx::ModelProto before = m.toProto();
  auto r = applyEdit(m, e, o);
  if (!r) qFatal("refused: %s", r.message().c_str());
  const onnx::ModelProto after = m.toProto();
  google::protobuf::util::MessageDifferencer diff;
  std::string report;
  diff.ReportDifferencesToString(&report);
  if (!r->undo(m)) qFatal("undo failed");
  if (!diff.Compare(before, m.toProto())) qFatal("undo of '%s' is not exact: %s", describeEdit(e).c_str(), report.c_str());
  if (!r->redo(m)) qFatal("redo failed");
  if (!diff.Compare(after, m.toProto())) qFatal("redo of '%s' is not exact: %s", describeEdit(e).c_str(), report.c_str());
  auto v = validateModel(m);
  for (const auto& d : v.problems)
    if (d.severity == Diagnostic::Severity::Error)
      qFatal("after '%s' the checker says: %s", describeEdit(e).c_str(), d.message.c_str());
  return std::move(*r);
}

std::vector<std::string> nodeNames(const Model& m) {
  std::vector<std::string> out;
  m.graph().forEachNode([&](const Node& n) { out.push_back(n.name()); });
  return out;
}

}  // namespace

class TestEdit : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string models_;
  QString skipTorch_;

  std::unique_ptr<Model> exported(const std::string& name) {
    auto m = loadModel(models_ + "/" + name + ".onnx");
    if (!m) qFatal("cannot load %s: %s", name.c_str(), m.message().c_str());
    return std::move(m.value());
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    models_ = dir_.path().toStdString();
    QProcess py;
    py.setProcessChannelMode(QProcess::MergedChannels);
    py.start("/usr/bin/python3",
             {QString::fromStdString(sourceDir() + "/tests/models/make_models.py"), dir_.path(), "cnn", "gpt6"});
    if (!py.waitForStarted(30000) || !py.waitForFinished(600000) || py.exitCode() != 0)
      skipTorch_ = "could not export the PyTorch models: " + QString::fromUtf8(py.readAll());
  }

  void bypassReconnectsTheReadersAndRemovesWhatBecameDead() {
    auto m = modelFromText(kModel);
    // Bypassing the Reshape: its readers read the Relu output; the shape constant goes with it.
    // The MatMul then reads [batch,3,4]: the checker/inference refuse that (rank 3 @ [12,5]).
    expectRefused(*m, Edit::deleteNode("/blk/Reshape"), "MatMul");
    // Bypassing the Identity that produces graph output 'aux' keeps the output's name.
    expectApplied(*m, Edit::deleteNode("/blk/Identity"));
    QVERIFY(!m->graph().findNodeByName("/blk/Identity"));
    QCOMPARE(m->graph().outputs()[1]->name(), std::string("aux"));
    QCOMPARE(m->graph().outputs()[1]->producer()->opType(), std::string("Relu"));
    // Bypassing the Sigmoid: the output 'out' is now the MatMul's.
    auto rec = expectApplied(*m, Edit::deleteNode("/blk/Sigmoid"));
    QCOMPARE(m->graph().outputs()[0]->producer()->opType(), std::string("MatMul"));
    QCOMPARE(m->graph().nodeCount(), size_t(3));
  }

  void deletingTheConeRemovesEverythingDownstreamAndTheDeadWeights() {
    auto m = modelFromText(kModel);
    auto rec = expectApplied(*m, Edit::deleteNode("/blk/Reshape", Edit::DeleteMode::Cone));
    // Reshape, MatMul, Sigmoid go; so do 'target' and 'w' (nobody reads them); 'out' is no output.
    QCOMPARE(nodeNames(*m), (std::vector<std::string>{"/blk/Relu", "/blk/Identity"}));
    QVERIFY(!m->graph().findValue("w"));
    QVERIFY(!m->graph().findValue("target"));
    QCOMPARE(m->graph().outputs().size(), size_t(1));
    QVERIFY(!rec.warnings.empty());
    // The Relu's cone holds every output: refused.
    expectRefused(*m, Edit::deleteNode("/blk/Relu", Edit::DeleteMode::Cone), "every graph output");
    expectRefused(*m, Edit::deleteNode("nope"), "no node named 'nope'");
  }

  void namesStayUnique() {
    auto m = modelFromText(kModel);
    expectRefused(*m, Edit::renameNode("/blk/Relu", "/blk/Sigmoid"), "exists already");
    expectRefused(*m, Edit::renameValue("r", "flat"), "exists already");
    expectRefused(*m, Edit::renameValue("r", "w"), "exists already");
    expectRefused(*m, Edit::renameValue("r", ""), "empty");
    expectApplied(*m, Edit::renameNode("/blk/Relu", "relu_0"));
    // Graph input, output and initializer renames carry over to the I/O lists.
    expectApplied(*m, Edit::renameValue("x", "pixels"));
    expectApplied(*m, Edit::renameValue("out", "probabilities"));
    expectApplied(*m, Edit::renameValue("w", "weight"));
    QCOMPARE(m->graph().inputs()[0]->name(), std::string("pixels"));
    QCOMPARE(m->graph().outputs()[0]->name(), std::string("probabilities"));
    QVERIFY(m->graph().findValue("weight")->isInitializer());
    QCOMPARE(m->graph().findNodeByName("/blk/MatMul")->input(1)->name(), std::string("weight"));
  }

  void attributesAreTypedByTheSchema() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[1,3,8,8] x) => (float[1,3,4,4] y) {
  y = MaxPool <kernel_shape = [2,2], strides = [2,2]> (x)
})");
    expectRefused(*m, Edit::setAttribute("/blk/MaxPool", "strides", "two"), "list of integers");
    expectRefused(*m, Edit::setAttribute("/blk/MaxPool", "ceil_mode", "0.5"), "an integer");
    expectRefused(*m, Edit::setAttribute("/blk/MaxPool", "colour", "1"), "has no attribute 'colour'");
    // Well-typed but the output no longer fits its declared [1,3,4,4].
    expectRefused(*m, Edit::setAttribute("/blk/MaxPool", "strides", "1,1"), "the model is unchanged");
    expectRefused(*m, Edit::removeAttribute("/blk/MaxPool", "kernel_shape"), "requires it");
    expectApplied(*m, Edit::setAttribute("/blk/MaxPool", "pads", "[0, 0, 0, 0]"));
    const auto* pads = m->graph().findNodeByName("/blk/MaxPool")->attribute("pads");
    QVERIFY(pads && pads->ints_size() == 4);
    QCOMPARE(attributeToText(*pads), std::string("0,0,0,0"));
    expectApplied(*m, Edit::removeAttribute("/blk/MaxPool", "pads"));
    QVERIFY(!m->graph().findNodeByName("/blk/MaxPool")->attribute("pads"));
  }

  void addNodeReadsExistingValuesOnly() {
    auto m = modelFromText(kModel);
    expectRefused(*m, Edit::addNode("Add", {"r", "ghost"}), "'ghost' is not a value");
    expectRefused(*m, Edit::addNode("Add", {"r"}), "takes 2");
    expectRefused(*m, Edit::addNode("NoSuchOp", {"r"}), "no op 'NoSuchOp'");
    expectRefused(*m, Edit::addNode("Relu", {"r"}, "/blk/Sigmoid"), "exists already");
    Edit add = Edit::addNode("Softmax", {"mm"}, "softmax");
    add.attributes = {{"axis", "-1"}};
    expectApplied(*m, add);
    Node* n = m->graph().findNodeByName("softmax");
    QVERIFY(n);
    QCOMPARE(n->attribute("axis")->i(), std::int64_t(-1));
    // A wrongly typed attribute on a new node is refused like on an old one.
    Edit bad = Edit::addNode("Softmax", {"mm"}, "softmax2");
    bad.attributes = {{"axis", "last"}};
    expectRefused(*m, bad, "an integer");
    // Its output becomes a graph output with the inferred type.
    expectApplied(*m, Edit::addOutput(n->output(0)->name()));
    QCOMPARE(formatType(m->toProto().graph().output(2).type()), std::string("float32[2,5]"));
  }

  void fixingASymbolicDimChangesItEverywhere() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[batch,4] x) => (float[batch,4] y) {
  y = Relu(x)
})");
    auto rec = expectApplied(*m, Edit::setDim("batch", DimSpec{1, ""}));
    auto p = m->toProto();
    QCOMPARE(formatType(p.graph().input(0).type()), std::string("float32[1,4]"));
    QCOMPARE(formatType(p.graph().output(0).type()), std::string("float32[1,4]"));
    expectRefused(*m, Edit::setDim("batch", DimSpec{2, ""}), "no declared dim is named 'batch'");
    // And back: a fixed dim made symbolic on the input.
    expectApplied(*m, Edit::setInputDim("x", 0, DimSpec{std::nullopt, "n"}));
    QCOMPARE(formatType(m->toProto().graph().input(0).type()), std::string("float32[n,4]"));
  }

  void aDimChangeThatBreaksAReshapeIsRefused() {
    auto m = modelFromText(kModel);
    // [batch,3,4] reshaped to a fixed [2,12] holds only for batch = 2.
    expectRefused(*m, Edit::setDim("batch", DimSpec{3, ""}), "Reshape");
    expectRefused(*m, Edit::setInputType("x", 0, std::vector<DimSpec>{{5, ""}, {3, ""}, {4, ""}}), "Reshape");
    expectApplied(*m, Edit::setDim("batch", DimSpec{2, ""}));
    // A dtype change that no op accepts: Relu takes no strings.
    expectRefused(*m, Edit::setInputType("x", onnx::TensorProto::STRING, std::nullopt), "the model is unchanged");
    expectRefused(*m, Edit::setInputType("r", 0, std::nullopt), "not a graph input");
  }

  void outputsCanBeAddedAndRemoved() {
    auto m = modelFromText(kModel);
    expectApplied(*m, Edit::addOutput("flat"));
    QCOMPARE(formatType(m->toProto().graph().output(2).type()), std::string("float32[2,12]"));
    expectRefused(*m, Edit::addOutput("flat"), "already");
    expectRefused(*m, Edit::addOutput("ghost"), "no value named 'ghost'");
    // Removing 'aux' removes the Identity that only fed it.
    auto rec = expectApplied(*m, Edit::removeOutput("aux"));
    QVERIFY(!m->graph().findNodeByName("/blk/Identity"));
    expectRefused(*m, Edit::removeOutput("r"), "not a graph output");
    expectApplied(*m, Edit::removeOutput("out"));
    expectRefused(*m, Edit::removeOutput("flat"), "only output");
  }

  void extractTakesTheSubgraphBetweenValues() {
    auto m = modelFromText(kModel);
    auto sub = extractModel(*m, {"r"}, {"mm"});
    QVERIFY2(sub, sub.message().c_str());
    QCOMPARE(nodeNames(**sub), (std::vector<std::string>{"/blk/Reshape", "/blk/MatMul"}));
    QCOMPARE((*sub)->graph().inputs().size(), size_t(1));
    QCOMPARE(formatType((*sub)->toProto().graph().output(0).type()), std::string("float32[2,5]"));
    QVERIFY(validateModel(**sub).valid);
    // The extracted model computes what the original computes at that value.
    auto x = randomInputs(*m, 1, {{"batch", 2}});
    QVERIFY(x);
    EvalOptions eo;
    eo.extraOutputs = {"r", "mm"};
    auto full = evaluate(*m, *x, eo);
    QVERIFY2(full, full.message().c_str());
    auto part = evaluate(**sub, {{"r", full->at("r")}});
    QVERIFY2(part, part.message().c_str());
    auto a = arrayToDoubles(full->at("mm")), b = arrayToDoubles(part->at("mm"));
    QVERIFY(a && b && *a == *b);
    auto missing = extractModel(*m, {"flat"}, {"aux"});
    QVERIFY(!missing);
    QVERIFY2(missing.message().find("'x'") != std::string::npos, missing.message().c_str());
  }

  void initializersAreReplacedFromNpyOfTheSameShape() {
    auto m = modelFromText(kModel);
    Array w(onnx::TensorProto::FLOAT, {12, 5});
    for (size_t i = 0; i < 60; ++i) w.data<float>()[i] = 0.5f;
    const std::string path = models_ + "/w.npy";
    QVERIFY(writeNpy(path, w));
    auto read = readArrayFile(path);
    QVERIFY(read);
    expectApplied(*m, Edit::replaceInitializer("w", arrayToProto(*read, "w"), path));
    auto now = arrayFromTensor(*m->graph().findValue("w")->initializer());
    QVERIFY(now);
    QCOMPARE(now->data<float>()[7], 0.5f);
    Array wrong(onnx::TensorProto::FLOAT, {5, 12});
    expectRefused(*m, Edit::replaceInitializer("w", arrayToProto(wrong, "w")), "must stay the same");
    Array wrongType(onnx::TensorProto::DOUBLE, {12, 5});
    expectRefused(*m, Edit::replaceInitializer("w", arrayToProto(wrongType, "w")), "float64");
    expectRefused(*m, Edit::replaceInitializer("r", arrayToProto(w, "r")), "not an initializer");
  }

  void docStringsAndMetadataAreEdited() {
    auto m = modelFromText(kModel);
    expectApplied(*m, Edit::setDocString("", "a test model"));
    expectApplied(*m, Edit::setDocString("/blk/Relu", "first activation"));
    expectApplied(*m, Edit::setMetadata("author", "graft"));
    expectApplied(*m, Edit::setMetadata("license", "MIT"));
    auto p = m->toProto();
    QCOMPARE(p.doc_string(), std::string("a test model"));
    QCOMPARE(p.metadata_props_size(), 2);
    QCOMPARE(p.metadata_props(0).value(), std::string("graft"));
    expectApplied(*m, Edit::removeMetadata("author"));
    expectRefused(*m, Edit::removeMetadata("author"), "no metadata key");
  }

  // Local checks (the studio's, on the edited nodes and their readers) refuse what the whole
  // model check refuses for node-level edits.
  void localChecksRefuseTheSameAsFullOnes() {
    auto m = modelFromText(kModel);
    auto types = inferShapes(*m);
    QVERIFY(types);
    EditOptions local;
    local.check = EditOptions::Check::Local;
    local.types = &*types;
    expectRefused(*m, Edit::deleteNode("/blk/Reshape"), "MatMul", local);
    expectRefused(*m, Edit::setAttribute("/blk/Relu", "alpha", "1"), "has no attribute", local);
    expectRefused(*m, Edit::addNode("MatMul", {"r", "w"}), "the model is unchanged", local);
    expectApplied(*m, Edit::addNode("MatMul", {"flat", "w"}, "again"), local);
  }

  // On PyTorch exports: every kind of edit, undo and redo exact, the result saved and reloaded
  // passes the checker and runs.
  void editsOnPyTorchExportsSaveAndPassTheChecker() {
    if (!skipTorch_.isEmpty()) QSKIP(qPrintable(skipTorch_));
    for (const char* name : {"cnn", "gpt6"}) {
      auto m = exported(name);
      const Graph& g = m->graph();
      std::vector<Edit> edits;
      // A single-input node in the middle (a Relu/Gelu-like op), an attribute, names, dims, outputs.
      const Node* mid = nullptr;
      for (const Node* n : g.nodes())
        if ((n->opType() == "Relu" || n->opType() == "Softmax") && !n->output(0)->isGraphOutput()) {
          mid = n;
          break;
        }
      QVERIFY2(mid, name);
      const std::string midOut = mid->output(0)->name();
      edits.push_back(Edit::addOutput(midOut));
      edits.push_back(Edit::renameNode(mid->name(), "edited_node"));
      edits.push_back(Edit::renameValue(g.inputs()[0]->name(), "renamed_input"));
      edits.push_back(Edit::setDim("batch", DimSpec{1, ""}));
      edits.push_back(Edit::setMetadata("edited_by", "test_edit"));
      edits.push_back(Edit::deleteNode("edited_node"));
      for (const auto& e : edits) expectApplied(*m, e);
      const std::string path = models_ + "/" + name + "_edited.onnx";
      auto saved = saveModel(*m, path);
      QVERIFY2(saved, saved.message().c_str());
      auto back = loadModel(path);
      QVERIFY2(back, back.message().c_str());
      auto v = validateModel(**back);
      QVERIFY2(v.valid, v.problems.empty() ? name : v.problems.front().message.c_str());
      QVERIFY(structuralProblems(**back).empty());
      auto x = randomInputs(**back, 3, {});
      QVERIFY2(x, x.message().c_str());
      auto out = evaluate(**back, *x);
      QVERIFY2(out, out.message().c_str());
      QCOMPARE(out->size(), g.outputs().size());
    }
  }
};

QTEST_GUILESS_MAIN(TestEdit)
#include "test_edit.moc"
