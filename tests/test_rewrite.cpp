// rewrite: applying declared and C++ rules, provenance and names, exact undo/redo through the
// edit journal, verification that undoes a wrong rule, the fixed-point cap, inverse rules,
// profiles, preview, and the generic cleanup rules on real models.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "rewrite_testutil.h"

using namespace graft;
using namespace graft::test;

namespace {

const char* kLayerNormModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4,8] x) => (float[2,4,8] out)
<float two = {2.0}, float eps = {0.00001}, float[8] scale = {1,2,3,4,5,6,7,8}, float[8] bias = {0,1,0,1,0,1,0,1}>
{
  mean = ReduceMean <axes = [-1]> (x)
  d = Sub(x, mean)
  sq = Pow(d, two)
  var = ReduceMean <axes = [-1]> (sq)
  ve = Add(var, eps)
  sd = Sqrt(ve)
  n = Div(d, sd)
  sc = Mul(n, scale)
  y = Add(sc, bias)
  out = Relu(y)
})";

const char* kLayerNormRule = R"(rule layernorm {
  description: "decomposed LayerNorm"
  benefit: 20
  pattern (x, two, eps, scale, bias) => (y) {
    mean = ReduceMean(x)
    d = Sub(x, mean)
    sq = Pow(d, two)
    var = ReduceMean(sq)
    ve = Add(var, eps)
    sd = Sqrt(ve)
    n = Div(d, sd)
    sc = Mul(n, scale)
    y = Add(sc, bias)
  }
  where {
    last_axis(axes(mean), x)
    last_axis(axes(var), x)
    value(two) == 2
    constant(eps)
    initializer(scale)
    initializer(bias)
  }
  let epsilon = value(eps)
  let axis = axes(mean)
  replace (x, scale, bias) => (y) {
    y = LayerNormalization <axis: int = @axis, epsilon: float = @epsilon> (x, scale, bias)
  }
}
)";

Rewriter rewriterFor(const std::string& rulesText) { return Rewriter::fromRules(rulesFromText(rulesText)); }

// `blocks` times Conv(1x1) -> BatchNormalization -> Relu in a chain, named like a PyTorch export:
// the onnxruntime-cpu profile folds every BatchNormalization and fuses every Relu.
std::unique_ptr<Model> convBnChain(int blocks) {
  std::string inits, body;
  auto vals = [](int n, float base) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(base + 0.05f * static_cast<float>((i * 7) % 5));
    return s;
  };
  std::string prev = "x";
  for (int b = 0; b < blocks; ++b) {
    std::string k = std::to_string(b);
    inits += (b ? ", " : "") + std::string("float[4,4,1,1] w") + k + " = {" + vals(16, 0.1f) + "}, float[4] s" + k + " = {" +
             vals(4, 0.9f) + "}, float[4] o" + k + " = {" + vals(4, 0.0f) + "}, float[4] m" + k + " = {" + vals(4, 0.01f) +
             "}, float[4] v" + k + " = {" + vals(4, 1.0f) + "}";
    std::string out = b + 1 == blocks ? "y" : "r" + k;
    body += "  c" + k + " = Conv(" + prev + ", w" + k + ")\n  n" + k + " = BatchNormalization(c" + k + ", s" + k + ", o" + k +
            ", m" + k + ", v" + k + ")\n  " + out + " = Relu(n" + k + ")\n";
    prev = out;
  }
  return modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1,4,3,3] x) => (float[1,4,3,3] y)\n<" +
                           inits + ">\n{\n" + body + "}\n",
                       "/features");
}

const Node* findOp(const Model& m, const std::string& op) {
  const Node* found = nullptr;
  m.graph().forEachNode([&](const Node& n) {
    if (!found && n.opType() == op) found = &n;
  });
  return found;
}

}  // namespace

class TestRewrite : public QObject {
  Q_OBJECT

 private slots:
  void appliesADeclaredRuleWithNamesAndProvenance() {
    auto m = modelFromText(kLayerNormModel, "/h.0/ln_1");
    auto rw = rewriterFor(kLayerNormRule);
    auto rec = rw.applyRule(*m, "layernorm");
    QVERIFY2(rec.isOk(), rec.message().c_str());
    QCOMPARE(rec->applied, size_t(1));
    QCOMPARE(rec->nodeDelta, std::int64_t(-8));
    QCOMPARE(rec->removed.size(), size_t(9));
    QCOMPARE(rec->added, std::vector<std::string>{"/h.0/ln_1/LayerNormalization"});
    QCOMPARE(opCounts(*m), (std::map<std::string, int>{{"LayerNormalization", 1}, {"Relu", 1}}));
    const Node* ln = findOp(*m, "LayerNormalization");
    QVERIFY(ln);
    // Attributes came from the matched constant and ReduceMean axes; the output kept its name.
    QCOMPARE(ln->attribute("epsilon")->f(), 1e-5f);
    QCOMPARE(ln->attribute("axis")->i(), std::int64_t(-1));
    QCOMPARE(ln->output(0)->name(), std::string("y"));
    QCOMPARE(provenanceOf(*ln), std::string("layernorm"));
    // Constants only the pattern read are gone with it.
    QVERIFY(!m->graph().findValue("two"));
    QVERIFY(!m->graph().findValue("eps"));
    QVERIFY(validateModel(*m).valid);

    // Provenance survives saving.
    QTemporaryDir dir;
    std::string path = dir.filePath("ln.onnx").toStdString();
    QVERIFY(saveModel(*m, path).isOk());
    auto back = loadModel(path);
    QVERIFY(back.isOk());
    const Node* saved = findOp(**back, "LayerNormalization");
    QVERIFY(saved->proto().doc_string().rfind("graft: rule layernorm (replaced /h.0/ln_1/ReduceMean, /h.0/ln_1/Sub", 0) == 0);
    QCOMPARE(provenanceOf(*saved), std::string("layernorm"));
  }

  void undoRestoresTheIdenticalModelAndRedoReplays() {
    auto m = modelFromText(kLayerNormModel, "/h.0/ln_1");
    auto before = copyOf(*m);
    auto rw = rewriterFor(kLayerNormRule);
    auto rec = rw.applyRule(*m, "layernorm");
    QVERIFY(rec.isOk());
    auto after = copyOf(*m);
    std::vector<NodeId> idsBefore;
    before->graph().forEachNode([&](const Node& n) { idsBefore.push_back(n.id()); });
    QVERIFY(rec->undo(*m).isOk());
    std::string diff;
    QVERIFY2(sameModel(*m, *before, &diff), diff.c_str());
    QVERIFY(rec->redo(*m).isOk());
    QVERIFY2(sameModel(*m, *after, &diff), diff.c_str());
    QVERIFY(rec->undo(*m).isOk());
    QVERIFY2(sameModel(*m, *before, &diff), diff.c_str());
    // The very same nodes are back (ids, so views keyed on ids stay valid).
    std::vector<NodeId> idsNow;
    m->graph().forEachNode([&](const Node& n) { idsNow.push_back(n.id()); });
    QCOMPARE(idsNow.size(), idsBefore.size());
  }

  void newDomainsAreImportedAndUndone() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x) => (float[2,3] y) {
  a = Relu(x)
  y = Neg(a)
})");
    auto before = copyOf(*m);
    auto rw = rewriterFor("rule g {\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) { y = com.microsoft.Gelu(x) }\n}\n");
    ApplyOptions o;
    o.verify = false;
    auto rec = rw.applyRule(*m, "g", o);
    QVERIFY2(rec.isOk(), rec.message().c_str());
    QCOMPARE(m->opsetVersion("com.microsoft"), std::int64_t(1));
    QVERIFY(rec->undo(*m).isOk());
    QCOMPARE(m->opsetVersion("com.microsoft"), std::int64_t(-1));
    QVERIFY(sameModel(*m, *before));
  }

  void ruleNeedingANewerOpsetDoesNotMatch() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x) => (float[2,3] y) {
  y = Relu(x)
})");
    auto rw = rewriterFor("rule n {\n opset: 17\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) { y = Neg(x) }\n}\n");
    MatchOptions mo;
    mo.nearMisses = true;
    auto rep = rw.match(*m, mo);
    QCOMPARE(rep.matches.size(), size_t(0));
    QCOMPARE(rep.nearMisses.size(), size_t(1));
    QVERIFY(rep.nearMisses[0].reason.find("needs opset 17, the model imports 13") != std::string::npos);
  }

  void journalUndoesFoldingAndEveryEditKind() {
    // Folding renames, adds initializers, rewires graph outputs and removes nodes and initializers.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x) => (float[4] y, float[4] k)
<float[4] a = {1,2,3,4}, float[4] b = {1,1,1,1}>
{
  k = Add(a, b)
  t = Identity(k)
  y = Mul(x, t)
})");
    auto before = copyOf(*m);
    EditJournal journal;
    QVERIFY(m->beginJournal(&journal).isOk());
    auto report = foldConstants(*m);
    QVERIFY(report.isOk());
    QVERIFY(!report->folded.empty());
    Node* mul = m->graph().findNodeByName("/blk/Mul");
    QVERIFY(m->graph().setNodeName(mul, "renamed").isOk());
    onnx::AttributeProto attr;
    attr.set_name("extra");
    attr.set_type(onnx::AttributeProto::INT);
    attr.set_i(3);
    QVERIFY(m->graph().setAttribute(mul, attr).isOk());
    QVERIFY(m->graph().setDocString(mul, "doc").isOk());
    onnx::TypeProto t;
    t.mutable_tensor_type()->set_elem_type(1);
    QVERIFY(m->graph().setDeclaredType(mul->output(0), t).isOk());
    m->endJournal();
    QVERIFY(!sameModel(*m, *before));
    auto after = copyOf(*m);
    m->undoJournal(journal);
    std::string diff;
    QVERIFY2(sameModel(*m, *before, &diff), diff.c_str());
    m->redoJournal(journal);
    QVERIFY2(sameModel(*m, *after, &diff), diff.c_str());
  }

  void verificationFailureUndoesAndNamesTheRule() {
    // A wrong rule: Relu(x) is not Neg(x). The checker passes, the outputs do not.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] x) => (float[2,3] y) {
  r = Relu(x)
  y = Sigmoid(r)
})",
                           "/enc/act");
    auto before = copyOf(*m);
    auto rw = rewriterFor("rule wrong {\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) { y = Neg(x) }\n}\n");
    auto rec = rw.applyRule(*m, "wrong");
    QVERIFY(!rec.isOk());
    QVERIFY2(rec.message().find("rule 'wrong'") != std::string::npos &&
                 rec.message().find("/enc/act/Relu") != std::string::npos &&
                 rec.message().find("was undone") != std::string::npos && rec.message().find("differs") != std::string::npos,
             rec.message().c_str());
    std::string diff;
    QVERIFY2(sameModel(*m, *before, &diff), diff.c_str());

    // Whole-profile apply: the wrong rule is undone and reported, a good one stays.
    auto rw2 = Rewriter::fromRules(rulesFromText(
        "rule wrong {\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) { y = Neg(x) }\n}\n"
        "rule sig {\n pattern (x) => (y) {\n  r = Relu(x)\n  y = Sigmoid(r)\n }\n"
        " replace (x) => (y) {\n  r = Relu(x)\n  y = Sigmoid(r)\n }\n inverse: no\n}\n"));
    auto all = rw2.applyAll(*m);
    QVERIFY2(all.isOk(), all.message().c_str());
    bool reported = false;
    for (const auto& w : all->warnings) reported = reported || w.find("rule 'wrong' was undone") != std::string::npos;
    QVERIFY(reported);
    QCOMPARE(opCounts(*m).count("Neg"), size_t(0));
  }

  void checkerFailureUndoes() {
    // A replacement that breaks the model structurally (Gemm on a 1-D input).
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3] x) => (float[3] y) {
  y = Relu(x)
})");
    auto before = copyOf(*m);
    auto rw = rewriterFor("rule bad {\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) { y = Gemm(x, x) }\n}\n");
    auto rec = rw.applyRule(*m, "bad");
    QVERIFY(!rec.isOk());
    QVERIFY2(rec.message().find("rule 'bad'") != std::string::npos, rec.message().c_str());
    QVERIFY(sameModel(*m, *before));
  }

  void fixedPointIsCappedWithAWarning() {
    // Each round creates a new Relu that matches again.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3] x) => (float[3] y) {
  y = Relu(x)
})");
    auto rw = rewriterFor(
        "rule grow {\n pattern (x) => (y) { y = Relu(x) }\n replace (x) => (y) {\n  a = Relu(x)\n  y = Abs(a)\n }\n}\n");
    ApplyOptions o;
    o.maxIterations = 5;
    o.verify = false;
    auto rec = rw.applyAll(*m, o);
    QVERIFY(rec.isOk());
    QCOMPARE(rec->applied, size_t(5));
    QCOMPARE(rec->warnings.size(), size_t(1));
    QVERIFY(rec->warnings[0].find("stopped after 5 rounds") != std::string::npos);
    QCOMPARE(opCounts(*m)["Abs"], 5);
    // The whole apply undoes as one step.
    QVERIFY(rec->undo(*m).isOk());
    QCOMPARE(m->graph().nodeCount(), size_t(1));
  }

  void inverseRuleSwapsPatternAndReplacement() {
    auto rules = rulesFromText(R"(rule gemm {
  pattern (a, b, c) => (y) {
    t = MatMul(a, b)
    y = Add(t, c)
  }
  where {
    rank(a) == 2
    initializer(b)
  }
  replace (a, b, c) => (y) {
    y = Gemm(a, b, c)
  }
}
rule dropscale {
  pattern (x, h) => (y) { y = Mul(x, h) }
  where { constant(h) }
  replace (x) => (y) { y = Identity(x) }
}
)");
    auto inv = rules[0]->inverse();
    QVERIFY2(inv.isOk(), inv.message().c_str());
    QCOMPARE((*inv)->name(), std::string("gemm.inverse"));
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,3] a) => (float[2,4] y)
<float[3,4] b = {1,2,3,4,5,6,7,8,9,10,11,12}, float[4] c = {1,1,1,1}>
{
  y = Gemm(a, b, c)
})",
                           "/fc");
    auto rw = Rewriter::fromRules({*inv});
    auto rec = rw.applyAll(*m);
    QVERIFY2(rec.isOk(), rec.message().c_str());
    QCOMPARE(opCounts(*m), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));
    QCOMPARE(m->graph().outputs()[0]->name(), std::string("y"));
    // A rule whose replacement drops an unpinned input has no inverse, and says why.
    auto none = rules[1]->inverse();
    QVERIFY(!none.isOk());
    QVERIFY2(none.message().find("pattern input 'h' is not kept by the replacement and not pinned") != std::string::npos,
             none.message().c_str());
  }

  void profileParsingAndErrors() {
    auto p = parseProfile(R"(# test profile
profile test-backend
description: "for tests"
opset: 17
domains: ai.onnx, com.microsoft
apply: cleanup.identity, inverse gemm
backend-fuses: relu_sig
block op Loop: "loops run node by node"
block attribute Resize.mode in ["cubic"]: "no cubic kernel"
block dtype float64: "no double kernels"
block dynamic-shape Reshape: "static shapes only"
)",
                          "t.profile");
    QVERIFY2(p.isOk(), p.message().c_str());
    QCOMPARE(p->name, std::string("test-backend"));
    QCOMPARE(p->opset, std::int64_t(17));
    QCOMPARE(p->domains, (std::vector<std::string>{"", "com.microsoft"}));
    QCOMPARE(p->rules.size(), size_t(2));
    QVERIFY(p->rules[1].inverse);
    QCOMPARE(p->rules[1].name, std::string("gemm"));
    QCOMPARE(p->blockers.size(), size_t(4));
    QCOMPARE(p->blockers[1].attribute, std::string("mode"));
    QCOMPARE(p->blockers[1].values[0].text, std::string("cubic"));

    auto bad = parseProfile("profile x\nblock op Loop\n", "bad.profile");
    QVERIFY(!bad.isOk());
    QVERIFY2(bad.message().rfind("bad.profile:2:7: a block line ends with", 0) == 0, bad.message().c_str());
    auto bad2 = parseProfile("description: \"x\"\n", "bad.profile");
    QVERIFY(bad2.message().rfind("bad.profile:1:1: a profile file starts with 'profile NAME'", 0) == 0);
  }

  void profileDrivesMatchesBlockersAndBackendFuses() {
    QTemporaryDir dir;
    std::string rules = dir.filePath("t.rules").toStdString();
    std::ofstream(rules) << "rule relu_sig {\n pattern (x) => (y) {\n  r = Relu(x)\n  y = Sigmoid(r)\n }\n"
                            " replace (x) => (y) { y = HardSigmoid(x) }\n}\n";
    std::string prof = dir.filePath("t.profile").toStdString();
    std::ofstream(prof) << "profile t\nrules: t.rules\napply: cleanup.identity\nbackend-fuses: relu_sig\n"
                           "block op Sigmoid: \"slow here\"\n";
    auto p = findProfile(prof);
    QVERIFY2(p.isOk(), p.message().c_str());
    auto rw = Rewriter::create(*p);
    QVERIFY2(rw.isOk(), rw.message().c_str());
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[3] x) => (float[3] y) {
  i = Identity(x)
  r = Relu(i)
  y = Sigmoid(r)
})",
                           "/m");
    auto rep = rw->match(*m);
    QCOMPARE(rep.matches.size(), size_t(1));
    QCOMPARE(rep.matches[0].rule, std::string("cleanup.identity"));
    QCOMPARE(rep.backendFuses.size(), size_t(1));
    QCOMPARE(rep.blocks.size(), size_t(1));
    QCOMPARE(rep.blocks[0].nodeName, std::string("/m/Sigmoid"));
    QCOMPARE(rep.blocks[0].reason, std::string("slow here"));
    // An unknown rule in a profile is an error that names the place.
    std::ofstream(prof) << "profile t\napply: nope\n";
    auto p2 = findProfile(prof);
    QVERIFY(p2.isOk());
    auto rw2 = Rewriter::create(*p2);
    QVERIFY(!rw2.isOk());
    QVERIFY2(rw2.message().find(":2:1: unknown rule 'nope'") != std::string::npos, rw2.message().c_str());
  }

  void previewShowsBeforeAndAfterWithoutChanging() {
    auto m = modelFromText(kLayerNormModel, "/h.0/ln_1");
    auto before = copyOf(*m);
    auto rw = rewriterFor(kLayerNormRule);
    auto rep = rw.match(*m);
    QCOMPARE(rep.matches.size(), size_t(1));
    auto pv = rw.preview(*m, rep.matches[0]);
    QVERIFY2(pv.isOk(), pv.message().c_str());
    QCOMPARE(pv->before.node_size(), 9);
    QCOMPARE(pv->after.node_size(), 1);
    QCOMPARE(pv->after.node(0).op_type(), std::string("LayerNormalization"));
    QCOMPARE(pv->before.output(0).name(), std::string("y"));
    QCOMPARE(pv->after.output(0).name(), std::string("y"));
    QVERIFY(sameModel(*m, *before));
    // The match is still valid after a preview (same nodes back).
    auto rec = rw.applyMatch(*m, rep.matches[0]);
    QVERIFY2(rec.isOk(), rec.message().c_str());
  }

  void previewCountsWhatApplyRemovesAndShowsTheCheck() {
    // The LayerNorm's 2 and epsilon come from Constant nodes only the match reads: the rewrite
    // leaves them without readers, Apply removes them, and the preview counted only the match.
    std::string text = kLayerNormModel;
    text.replace(text.find("<float two = {2.0}, float eps = {0.00001}, "), std::string("<float two = {2.0}, float eps = {0.00001}, ").size(), "<");
    text.replace(text.find("{\n  mean"), 2, "{\n  two = Constant <value = float {2.0}> ()\n  eps = Constant <value = float {0.00001}> ()\n ");
    auto m = modelFromText(text.c_str(), "/h.0/ln_1");
    const int nodesBefore = static_cast<int>(m->graph().nodeCount());
    QCOMPARE(nodesBefore, 12);
    auto rw = rewriterFor(kLayerNormRule);
    auto rep = rw.match(*m);
    QCOMPARE(rep.matches.size(), size_t(1));
    auto pv = rw.preview(*m, rep.matches[0]);
    QVERIFY2(pv.isOk(), pv.message().c_str());
    QCOMPARE(static_cast<int>(m->graph().nodeCount()), nodesBefore);
    QVERIFY(pv->verification.structural);
    QVERIFY(pv->verification.numeric);
    QCOMPARE(pv->verification.inputSets, 1);
    QVERIFY(pv->verification.maxAbsDiff < 1e-4);
    auto rec = rw.applyMatch(*m, rep.matches[0]);
    QVERIFY2(rec.isOk(), rec.message().c_str());
    const int removed = nodesBefore + static_cast<int>(pv->added.size()) - static_cast<int>(m->graph().nodeCount());
    QCOMPARE(static_cast<int>(pv->removed.size()), removed);
    QCOMPARE(pv->before.node_size(), static_cast<int>(pv->removed.size()) + static_cast<int>(pv->changedFrom.size()));
    QVERIFY(rec->verification.numeric);
    QVERIFY(rec->verification.maxAbsDiff < 1e-4);
  }

  void cleanupProfileOnGeneratedModel() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,4] x) => (float[2,3,4] y, float[2,4,3] z)
<float[3] w = {1,2,3}, float[3] w2 = {1,2,3}, float[5] unused = {1,2,3,4,5}, int64[3] shp = {2,3,4}, int64[6] zeros = {0,0,0,0,0,0}, int64 one = {1}>
{
  i = Identity(x)
  d = Dropout(i)
  c = Cast <to = 1> (d)
  r = Reshape(c, shp)
  t1 = Transpose <perm = [0,2,1]> (r)
  t2 = Transpose <perm = [0,2,1]> (t1)
  p = Pad(t2, zeros)
  s = Shape(p)
  g1 = Gather <axis = 0> (s, one)
  dead = Neg(p)
  y = Identity(p)
  a = Transpose <perm = [0,2,1]> (p)
  wc = Add(w, w2)
  w2c = Mul(wc, w2)
  z = Mul(a, w2c)
})");
    auto before = copyOf(*m);
    Profile prof;
    prof.name = "cleanup";
    prof.rules.push_back({"cleanup.*", false, {}});
    auto rw = Rewriter::create(prof);
    QVERIFY2(rw.isOk(), rw.message().c_str());
    auto rec = rw->applyAll(*m);
    QVERIFY2(rec.isOk(), rec.message().c_str());
    for (const auto& w : rec->warnings) qWarning("%s", w.c_str());
    auto counts = opCounts(*m);
    for (const auto& [op, n] : counts) qInfo("%s %d", op.c_str(), n);
    // y must stay y (graph output names are kept, and x is an input, so one Identity stays);
    // everything else but the Transpose and Mul feeding z folds away or disappears.
    QCOMPARE(counts, (std::map<std::string, int>{{"Identity", 1}, {"Mul", 1}, {"Transpose", 1}}));
    QCOMPARE(m->graph().outputs()[0]->name(), std::string("y"));
    QCOMPARE(m->graph().outputs()[1]->name(), std::string("z"));
    QVERIFY(!m->graph().findValue("unused"));
    QVERIFY(validateModel(*m).valid);
    auto v = verifyModels(*before, *m);
    QVERIFY(v.isOk());
    QVERIFY(v->withinTolerance);
    QVERIFY(rec->undo(*m).isOk());
    std::string diff;
    QVERIFY2(sameModel(*m, *before, &diff), diff.c_str());
  }

  void cleanupOnRealModels() {
    // Models from the ONNX backend test data: cleanup must keep them valid and equal, never grow them.
    auto models = corpusModels({"pytorch-converted", "simple"});
    if (models.empty()) QSKIP("libonnx-testdata is not installed");
    Profile prof;
    prof.name = "cleanup";
    prof.rules.push_back({"cleanup.*", false, {}});
    auto rw = Rewriter::create(prof);
    QVERIFY(rw.isOk());
    int tried = 0, changed = 0;
    for (const auto& path : models) {
      auto m = loadModel(path);
      if (!m) continue;
      auto before = copyOf(**m);
      if (!validateModel(*before).valid) continue;
      ++tried;
      auto rec = rw->applyAll(**m);
      QVERIFY2(rec.isOk(), (path + ": " + rec.message()).c_str());
      for (const auto& w : rec->warnings)
        QVERIFY2(w.find("was undone") == std::string::npos, (path + ": " + w).c_str());
      QVERIFY((*m)->graph().nodeCount() <= before->graph().nodeCount());
      if (rec->applied) ++changed;
      QVERIFY(rec->undo(**m).isOk());
      QVERIFY2(sameModel(**m, *before), path.c_str());
    }
    QVERIFY(tried > 20);
    qInfo("cleanup changed %d of %d real models", changed, tried);
  }

  void cancellingAProfileApplyMidwayLeavesTheModelAsItWas() {
    auto m = convBnChain(30);
    const onnx::ModelProto original = m->toProto();
    auto profile = findProfile(sourceDir() + "/resources/profiles/onnxruntime-cpu.profile");
    QVERIFY2(profile.isOk(), profile.message().c_str());
    auto rw = Rewriter::create(*profile);
    QVERIFY2(rw.isOk(), rw.message().c_str());
    QVERIFY(rw->match(*m).matches.size() >= 30);

    // Cancel once the apply is well under way: some blocks are rewritten by then.
    ApplyOptions o;
    std::vector<double> seen;
    size_t nodesAtCancel = 0;
    o.progress = [&](double f, std::string_view) {
      seen.push_back(f);
      if (m->graph().nodeCount() <= 80) {  // ten BatchNormalizations folded, twenty to go
        nodesAtCancel = m->graph().nodeCount();
        return false;
      }
      return true;
    };
    auto rec = rw->applyAll(*m, o);
    QVERIFY(!rec.isOk());
    QCOMPARE(rec.status().code(), ErrorCode::Cancelled);
    QVERIFY2(rec.message().find("cancelled") != std::string::npos, rec.message().c_str());
    QCOMPARE(nodesAtCancel, size_t(80));  // midway: stopped at once
    QVERIFY(seen.size() > 10);  // per match, not only per rule
    QVERIFY(std::is_sorted(seen.begin(), seen.end()));
    google::protobuf::util::MessageDifferencer diff;
    std::string report;
    diff.ReportDifferencesToString(&report);
    QVERIFY2(diff.Compare(original, m->toProto()), report.c_str());

    // The same apply, not cancelled, runs to the end and reports it.
    seen.clear();
    o.progress = [&](double f, std::string_view) {
      seen.push_back(f);
      return true;
    };
    auto done = rw->applyAll(*m, o);
    QVERIFY2(done.isOk(), done.message().c_str());
    QCOMPARE(m->graph().nodeCount(), size_t(30));
    QVERIFY(std::is_sorted(seen.begin(), seen.end()));
    QCOMPARE(seen.back(), 1.0);
    QVERIFY(done->undo(*m).isOk());
    report.clear();
    QVERIFY2(diff.Compare(original, m->toProto()), report.c_str());
  }

  void cancellingARuleOrOneMatchUndoesIt() {
    auto m = convBnChain(12);
    const onnx::ModelProto original = m->toProto();
    auto profile = findProfile(sourceDir() + "/resources/profiles/onnxruntime-cpu.profile");
    QVERIFY(profile.isOk());
    auto rw = Rewriter::create(*profile);
    QVERIFY(rw.isOk());
    ApplyOptions o;
    int calls = 0;
    size_t nodesAtCancel = 0;
    o.progress = [&](double, std::string_view) {
      if (++calls < 6) return true;
      nodesAtCancel = m->graph().nodeCount();
      return false;
    };
    auto rec = rw->applyRule(*m, "fuse.bn_conv", o);
    QCOMPARE(rec.status().code(), ErrorCode::Cancelled);
    QVERIFY(nodesAtCancel < 36);
    QVERIFY(google::protobuf::util::MessageDifferencer::Equals(original, m->toProto()));

    // One match: cancelled after the rewrite (while verifying) is undone too.
    auto report = rw->match(*m);
    QVERIFY(!report.matches.empty());
    calls = 0;
    o.progress = [&](double f, std::string_view) { return f < 0.5; };
    auto one = rw->applyMatch(*m, report.matches[0], o);
    QCOMPARE(one.status().code(), ErrorCode::Cancelled);
    QVERIFY(google::protobuf::util::MessageDifferencer::Equals(original, m->toProto()));

    // Matching stops between rules and says so.
    MatchOptions mo;
    mo.progress = [&](double f, std::string_view) { return f < 0.2; };
    auto partial = rw->match(*m, mo);
    QVERIFY(partial.cancelled);
    QVERIFY(!rw->match(*m).cancelled);
  }

  void previewMarksAFoldedConvAsChangedWithItsNewWeight() {
    auto m = convBnChain(1);
    auto profile = findProfile(sourceDir() + "/resources/profiles/onnxruntime-cpu.profile");
    QVERIFY(profile.isOk());
    auto rw = Rewriter::create(*profile);
    QVERIFY(rw.isOk());
    auto report = rw->match(*m);
    const Match* bn = nullptr;
    for (const auto& mt : report.matches)
      if (mt.rule == "fuse.bn_conv") bn = &mt;
    QVERIFY(bn);
    auto before = copyOf(*m);
    auto pv = rw->preview(*m, *bn);
    QVERIFY2(pv.isOk(), pv.message().c_str());
    QVERIFY(sameModel(*m, *before));
    // The Conv stays a Conv with new weights: changed, not removed and added.
    QCOMPARE(pv->changedFrom, std::vector<std::string>{"/features/Conv"});
    QCOMPARE(pv->changed.size(), size_t(1));
    QCOMPARE(pv->removed, std::vector<std::string>{"/features/BatchNormalization"});
    QVERIFY(pv->added.empty());
    // The folded weight the rewrite made is described with its real shape in `after`.
    QCOMPARE(pv->after.node_size(), 1);
    const std::string w = pv->after.node(0).input(1);
    QVERIFY(w != "w0");
    bool found = false;
    for (const auto& t : pv->after.initializer())
      if (t.name() == w) {
        found = true;
        QCOMPARE(std::vector<std::int64_t>(t.dims().begin(), t.dims().end()), (std::vector<std::int64_t>{4, 4, 1, 1}));
        QCOMPARE(t.data_type(), int(onnx::TensorProto_DataType_FLOAT));
      }
    QVERIFY2(found, w.c_str());
  }
};

QTEST_GUILESS_MAIN(TestRewrite)
#include "test_rewrite.moc"
