// recipe: recipes recorded on PyTorch exports (a GPT-style decoder and a CNN) replay on a copy
// whose node, value and weight names were all changed and whose nodes were reordered: the same
// node count and the same outputs as running the same operations on that copy directly. An edit
// recipe (batch=1, expose an intermediate value) exposes the same value in the renamed copy.
// Also: the file format's mistakes, and the applied / already true / not applicable report.
#include <QProcess>

#include <queue>

#include "graft/analysis.h"
#include "graft/edit.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/recipe.h"
#include "rewrite_testutil.h"

using namespace graft;
using namespace graft::test;

namespace {

// Every node, value and weight renamed (graph inputs and outputs keep their names, as a
// re-export with the same input_names/output_names does), nodes in another topological order:
// Kahn's algorithm taking the *last* ready node of the stored order first.
std::unique_ptr<Model> renamedReorderedCopy(const Model& model) {
  onnx::ModelProto p = model.toProto();
  auto& g = *p.mutable_graph();
  std::map<std::string, std::string> rename;
  std::set<std::string> io;
  for (const auto& vi : g.input()) io.insert(vi.name());
  for (const auto& vi : g.output()) io.insert(vi.name());
  int k = 0;
  auto fresh = [&](const std::string& old) {
    if (old.empty() || io.count(old)) return old;
    auto it = rename.find(old);
    if (it != rename.end()) return it->second;
    return rename[old] = "t" + std::to_string(k++);
  };
  for (auto& t : *g.mutable_initializer()) t.set_name(fresh(t.name()));
  for (auto& n : *g.mutable_node()) {
    for (auto& in : *n.mutable_input()) in = fresh(in);
    for (auto& out : *n.mutable_output()) out = fresh(out);
  }
  for (auto& vi : *g.mutable_value_info()) vi.set_name(fresh(vi.name()));
  int nodeIndex = 0;
  for (auto& n : *g.mutable_node()) n.set_name("node_" + std::to_string(1000 + (nodeIndex++ * 7919) % 100000));
  // Reorder.
  const int count = g.node_size();
  std::map<std::string, int> producer;
  for (int i = 0; i < count; ++i)
    for (const auto& o : g.node(i).output()) producer[o] = i;
  std::vector<std::vector<int>> readers(static_cast<size_t>(count));
  std::vector<int> pending(static_cast<size_t>(count), 0);
  for (int i = 0; i < count; ++i)
    for (const auto& in : g.node(i).input()) {
      auto it = producer.find(in);
      if (it == producer.end()) continue;
      readers[static_cast<size_t>(it->second)].push_back(i);
      ++pending[static_cast<size_t>(i)];
    }
  std::priority_queue<int> ready;
  for (int i = 0; i < count; ++i)
    if (!pending[static_cast<size_t>(i)]) ready.push(i);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> ordered;
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    *ordered.Add() = g.node(i);
    for (int r : readers[static_cast<size_t>(i)])
      if (--pending[static_cast<size_t>(r)] == 0) ready.push(r);
  }
  if (ordered.size() != count) qFatal("renamedReorderedCopy: cycle");
  *g.mutable_node() = std::move(ordered);
  auto m = Model::fromProto(std::move(p));
  if (!m) qFatal("renamedReorderedCopy: %s", m.message().c_str());
  return std::move(m).value();
}

void expectSameOutputs(const Model& a, const Model& b, const std::map<std::string, std::int64_t>& dims,
                       double tol = 1e-4) {
  auto x = randomInputs(a, 7, dims);
  QVERIFY2(x, x.message().c_str());
  auto ya = evaluate(a, *x), yb = evaluate(b, *x);
  QVERIFY2(ya, ya.message().c_str());
  QVERIFY2(yb, yb.message().c_str());
  for (const auto& [name, arr] : *ya) {
    QVERIFY2(yb->count(name), name.c_str());
    auto da = arrayToDoubles(arr), db = arrayToDoubles(yb->at(name));
    QVERIFY(da && db && da->size() == db->size());
    for (size_t i = 0; i < da->size(); ++i)
      if (std::fabs((*da)[i] - (*db)[i]) > tol + tol * std::fabs((*da)[i]))
        QFAIL(qPrintable(QString("output %1 differs at %2: %3 vs %4")
                             .arg(QString::fromStdString(name))
                             .arg(i)
                             .arg((*da)[i])
                             .arg((*db)[i])));
  }
}

// The steps that did not apply (what a failing test needs to say), with their numbers.
std::string reportText(const ReplayReport& r) {
  std::string s = std::to_string(r.applied) + " applied, " + std::to_string(r.alreadyTrue) + " already true, " +
                  std::to_string(r.notApplicable) + " not applicable\n";
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const auto& st = r.steps[i];
    if (st.outcome == StepOutcome::Applied) continue;
    s += std::to_string(i + 1) + ". " + stepOutcomeName(st.outcome) + ": " + st.description +
         (st.message.empty() ? "" : " — " + st.message) + "\n";
  }
  return s;
}

}  // namespace

class TestRecipe : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string models_;
  QString skipTorch_;

  std::unique_ptr<Model> exported(const std::string& name) {
    auto m = loadModel(models_ + "/" + name + ".onnx");
    if (!m) qFatal("cannot load %s: %s", name.c_str(), m.message().c_str());
    return std::move(m.value());
  }

  // Records `profile` on the export, replays the recipe on a renamed, reordered copy, and runs the
  // profile on another such copy directly: both copies must end alike.
  void optimizeRecipeReplays(const std::string& name, const std::string& profile, bool verifyReplay) {
    auto original = exported(name);
    auto direct = renamedReorderedCopy(*original);
    auto replayed = renamedReorderedCopy(*original);
    QVERIFY(sameModel(*direct, *replayed));
    QVERIFY(!sameModel(*original, *direct));

    auto prof = findProfile(profile);
    QVERIFY2(prof, prof.message().c_str());
    auto rw = Rewriter::create(*prof);
    QVERIFY2(rw, rw.message().c_str());
    RecipeRecorder recorder;
    ApplyOptions record;
    recorder.attach(record, profile);
    auto rec = rw->applyAll(*original, record);
    QVERIFY2(rec, rec.message().c_str());
    QVERIFY2(rec->applied > 0, name.c_str());
    QCOMPARE(recorder.recipe().steps.size(), rec->applied);

    ApplyOptions quiet;
    quiet.verify = false;
    auto onCopy = rw->applyAll(*direct, quiet);
    QVERIFY2(onCopy, onCopy.message().c_str());

    // Through the file, as a user would.
    const std::string path = models_ + "/" + name + ".recipe.json";
    QVERIFY(writeRecipe(recorder.recipe(), path));
    auto recipe = readRecipe(path);
    QVERIFY2(recipe, recipe.message().c_str());
    ReplayOptions ro;
    ro.apply.verify = verifyReplay;
    std::unique_ptr<Model> target = std::move(replayed);
    auto report = applyRecipe(target, *recipe, ro);
    QVERIFY2(report, report.message().c_str());
    QVERIFY2(report->allApplied(), reportText(*report).c_str());
    QCOMPARE(report->applied, recipe->steps.size());
    QCOMPARE(target->graph().nodeCount(), direct->graph().nodeCount());
    QCOMPARE(target->graph().nodeCount(), original->graph().nodeCount());
    QCOMPARE(opCounts(*target), opCounts(*direct));
    QVERIFY(structuralProblems(*target).empty());
    expectSameOutputs(*direct, *target, {{"batch", 1}, {"sequence", 16}});
    // And the model the recipe was recorded on computes the same too.
    expectSameOutputs(*original, *target, {{"batch", 1}, {"sequence", 16}});
    const std::string out = models_ + "/" + name + ".replayed.onnx";
    QVERIFY(saveModel(*target, out));
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

  void optimizeRecipeOfAGptDecoderReplaysOnARenamedReorderedCopy() {
    if (!skipTorch_.isEmpty()) QSKIP(qPrintable(skipTorch_));
    optimizeRecipeReplays("gpt6", "onnxruntime-cpu", true);
  }

  void optimizeRecipeOfACnnReplaysOnARenamedReorderedCopy() {
    if (!skipTorch_.isEmpty()) QSKIP(qPrintable(skipTorch_));
    // ResNet-34 runs in about a second here: the replay's per-step output check would take
    // minutes, so the outputs are compared once at the end instead.
    optimizeRecipeReplays("cnn", "onnxruntime-cpu", false);
  }

  void editRecipeExposesTheSameValueInTheRenamedCopy() {
    if (!skipTorch_.isEmpty()) QSKIP(qPrintable(skipTorch_));
    auto original = exported("gpt6");
    auto copy = renamedReorderedCopy(*original);
    // The second block's attention probabilities (a Softmax output).
    const Node* softmax = nullptr;
    int seen = 0;
    for (const Node* n : original->graph().nodes())
      if (n->opType() == "Softmax" && seen++ == 1) softmax = n;
    QVERIFY(softmax);
    const std::string value = softmax->output(0)->name();
    std::vector<Edit> edits = {Edit::setDim("batch", DimSpec{1, ""}), Edit::addOutput(value)};
    RecipeRecorder recorder;
    for (const auto& e : edits) {
      recorder.add(recipeStepForEdit(*original, e));
      auto r = applyEdit(*original, e);
      QVERIFY2(r, r.message().c_str());
    }
    auto text = recipeToText(recorder.recipe());
    auto recipe = parseRecipe(text);
    QVERIFY2(recipe, recipe.message().c_str());
    auto report = applyRecipe(copy, *recipe);
    QVERIFY2(report, report.message().c_str());
    QVERIFY2(report->allApplied(), reportText(*report).c_str());
    QCOMPARE(copy->graph().outputs().size(), size_t(2));
    const Value* exposed = copy->graph().outputs()[1];
    QVERIFY(exposed->name() != value);  // the copy's own name for it
    QCOMPARE(exposed->producer()->opType(), std::string("Softmax"));
    QCOMPARE(formatType(copy->toProto().graph().input(0).type()), std::string("int64[1,sequence]"));
    // It is the same value: equal numbers on the same inputs.
    auto x = randomInputs(*original, 3, {{"sequence", 16}});
    QVERIFY2(x, x.message().c_str());
    auto a = evaluate(*original, *x), b = evaluate(*copy, *x);
    QVERIFY2(a && b, (a ? b.message() : a.message()).c_str());
    auto da = arrayToDoubles(a->at(value)), db = arrayToDoubles(b->at(exposed->name()));
    QVERIFY(da && db);
    QCOMPARE(*da, *db);

    // Replayed again on the result: batch is 1 where it was declared, the output is there.
    auto again = applyRecipe(copy, *recipe);
    QVERIFY(again);
    QCOMPARE(again->steps[0].outcome, StepOutcome::AlreadyTrue);
    QCOMPARE(again->steps[1].outcome, StepOutcome::AlreadyTrue);
    // On a model where batch was fixed to another value the step cannot apply, and says why.
    auto other = renamedReorderedCopy(*exported("gpt6"));
    QVERIFY(applyEdit(*other, Edit::setDim("batch", DimSpec{2, ""})));
    auto elsewhere = applyRecipe(other, *recipe);
    QVERIFY(elsewhere);
    QCOMPARE(elsewhere->steps[0].outcome, StepOutcome::NotApplicable);
    QVERIFY2(elsewhere->steps[0].message.find("batch") != std::string::npos, elsewhere->steps[0].message.c_str());
  }

  void handWrittenRecipesUseNamesAndSayWhatIsWrong() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[batch,4] x) => (float[batch,4] y) {
  r = Relu(x)
  y = Sigmoid(r)
})");
    std::unique_ptr<Model> model = std::move(m);
    auto recipe = parseRecipe(R"({"format": "graft-recipe", "version": 1, "steps": [
      {"kind": "edit", "edit": "add-output", "value": "r"},
      {"kind": "edit", "edit": "rename-node", "node": "/blk/Relu", "new_name": "relu"},
      {"kind": "edit", "edit": "set-attribute", "node": {"op": "Relu", "name": "relu"}, "attribute": "alpha", "value": "1"},
      {"kind": "edit", "edit": "set-input-dim", "input": {"input": "x"}, "axis": 0, "value": 8},
      {"kind": "edit", "edit": "delete-node", "node": "nope"}
    ]})");
    QVERIFY2(recipe, recipe.message().c_str());
    auto report = applyRecipe(model, *recipe);
    QVERIFY(report);
    QCOMPARE(report->applied, size_t(3));
    QCOMPARE(report->notApplicable, size_t(2));
    QCOMPARE(report->steps[2].outcome, StepOutcome::NotApplicable);
    QVERIFY2(report->steps[2].message.find("has no attribute 'alpha'") != std::string::npos, report->steps[2].message.c_str());
    QVERIFY2(report->steps[4].message.find("'nope'") != std::string::npos, report->steps[4].message.c_str());
    QVERIFY(model->graph().findNodeByName("relu"));

    auto bad = [](const char* text, const char* mention) {
      auto r = parseRecipe(text, "r.json");
      QVERIFY2(!r, text);
      QVERIFY2(r.message().find(mention) != std::string::npos, r.message().c_str());
    };
    bad("{", "not JSON");
    bad(R"({"steps": [{"kind": "melt"}]})", "step 1: unknown kind 'melt'");
    bad(R"({"steps": [{"kind": "edit", "edit": "rename-node", "new_name": "a"}]})", "step 1: edit rename-node needs \"node\"");
    bad(R"({"version": 99, "steps": []})", "newer");
    bad(R"({"steps": [{"kind": "rewrite", "rule": "x"}]})", "needs \"at\"");
  }

  // A new step kind (what quantization adds) registers and replays like the built-in ones.
  void stepKindsCanBeAdded() {
    registerRecipeStepKind("test-metadata", StepKind{
                                                [](const nlohmann::json& s) -> std::string {
                                                  return s.contains("key") ? std::string() : "needs \"key\"";
                                                },
                                                [](const nlohmann::json& s) { return "mark " + s.value("key", std::string()); },
                                                [](StepContext& ctx, const nlohmann::json& s) {
                                                  StepReport r;
                                                  auto rec = applyEdit(*ctx.model, Edit::setMetadata(s.value("key", std::string()), "1"));
                                                  r.outcome = rec ? StepOutcome::Applied : StepOutcome::NotApplicable;
                                                  return r;
                                                }});
    auto recipe = parseRecipe(R"({"steps": [{"kind": "test-metadata", "key": "seen"}]})");
    QVERIFY2(recipe, recipe.message().c_str());
    QCOMPARE(describeStep(recipe->steps[0]), std::string("mark seen"));
    std::unique_ptr<Model> model = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x) => (float[4] y) { y = Relu(x) })");
    auto report = applyRecipe(model, *recipe);
    QVERIFY(report && report->applied == 1);
    QCOMPARE(model->shell().metadata_props(0).key(), std::string("seen"));
  }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "test_recipe.moc"
