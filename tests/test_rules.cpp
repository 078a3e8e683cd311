// The rule library and the backend profiles on real PyTorch exports: each rule matches the model
// that contains its pattern, applies, and the result passes the checker and shape inference and
// computes the same outputs (the evaluator's verify); near misses say why a fusion did not happen.
#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "testutil.h"

namespace fs = std::filesystem;
using namespace graft;

namespace {

std::string rulesDir() { return test::sourceDir() + "/resources/rules"; }

// Every declared rule of resources/rules plus the registry's C++ rules, by name.
std::shared_ptr<const Rule> findRule(const std::string& name) {
  for (const auto& e : fs::directory_iterator(rulesDir())) {
    if (e.path().extension() != ".rules") continue;
    auto rules = loadRuleFile(e.path().string());
    if (!rules) continue;
    for (const auto& r : *rules)
      if (r->name() == name) return r;
  }
  return RuleRegistry::instance().create(name);
}

std::map<std::string, int> opCounts(const Model& m) {
  std::map<std::string, int> c;
  m.graph().forEachNode([&](const Node& n) {
    std::string d = n.domain().empty() || n.domain() == "ai.onnx" ? "" : n.domain() + ":";
    ++c[d + n.opType()];
  });
  return c;
}

Node* findNodeWhere(Model& m, const std::function<bool(const Node&)>& pred) {
  for (Node* n : m.graph().nodes())
    if (pred(*n)) return n;
  return nullptr;
}

}  // namespace

class TestRules : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string models_;

  std::unique_ptr<Model> load(const std::string& name) {
    auto m = loadModel(models_ + "/" + name + ".onnx");
    if (!m) qFatal("cannot load %s: %s", name.c_str(), m.message().c_str());
    return std::move(m.value());
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    models_ = dir_.path().toStdString();
    // Realistic exports of each pattern (torch.onnx, TorchScript exporter), made now, never committed.
    QProcess py;
    py.setProcessChannelMode(QProcess::MergedChannels);
    py.start("/usr/bin/python3", {QString::fromStdString(test::sourceDir() + "/tests/models/make_rewrite_models.py"),
                                  dir_.path(), "patterns"});
    if (!py.waitForStarted(30000)) QSKIP("/usr/bin/python3 is not available to export the pattern models");
    QVERIFY2(py.waitForFinished(600000), "exporting the pattern models timed out");
    const QByteArray out = py.readAll();
    if (out.contains("No module named 'torch'")) QSKIP("torch is not installed: cannot export the pattern models");
    QVERIFY2(py.exitCode() == 0, out.constData());
  }

  // Every rule file and profile shipped loads, and every rule a profile names resolves (including
  // the inverses portable/TensorRT ask for).
  void shippedFilesLoad() {
    int files = 0;
    for (const auto& e : fs::directory_iterator(rulesDir())) {
      if (e.path().extension() != ".rules") continue;
      auto rules = loadRuleFile(e.path().string());
      QVERIFY2(rules, rules.message().c_str());
      QVERIFY2(!rules->empty(), e.path().c_str());
      ++files;
    }
    QVERIFY(files >= 4);
    for (const char* name : {"onnxruntime-cpu", "onnxruntime-cuda", "tensorrt", "openvino", "portable"}) {
      auto p = findProfile(name);
      QVERIFY2(p, p.message().c_str());
      QVERIFY2(!p->rules.empty(), name);
      auto rw = Rewriter::create(*p);
      QVERIFY2(rw, (std::string(name) + ": " + rw.message()).c_str());
      QVERIFY(!rw->rules().empty());
    }
  }

  void rule_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QStringList>("rules");
    QTest::addColumn<QString>("produces");  // op type (domain:Op) the rewrite must create
    QTest::addColumn<QString>("removes");   // op type that must be gone afterwards
    auto row = [](const char* tag, const char* model, QStringList rules, const char* produces, const char* removes) {
      QTest::newRow(tag) << QString(model) << rules << QString(produces) << QString(removes);
    };
    row("matmul+add->gemm", "p_matmul_add", {"fuse.matmul_add_gemm"}, "Gemm", "MatMul");
    row("conv+relu", "p_conv_relu", {"fuse.conv_activation"}, "com.microsoft:FusedConv", "Relu");
    row("conv+clip", "p_conv_clip", {"fuse.conv_activation"}, "com.microsoft:FusedConv", "Clip");
    row("conv+leakyrelu", "p_conv_leakyrelu", {"fuse.conv_activation"}, "com.microsoft:FusedConv", "LeakyRelu");
    row("conv+sigmoid", "p_conv_sigmoid", {"fuse.conv_activation"}, "com.microsoft:FusedConv", "Sigmoid");
    row("gemm+relu", "p_gemm_relu", {"fuse.gemm_activation"}, "com.microsoft:FusedGemm", "Relu");
    row("conv+bn", "p_conv_bn", {"fuse.bn_conv"}, "Conv", "BatchNormalization");
    row("convtranspose+bn", "p_convtranspose_bn", {"fuse.bn_convtranspose"}, "ConvTranspose", "BatchNormalization");
    row("gemm+bn", "p_gemm_bn", {"fuse.bn_gemm"}, "Gemm", "BatchNormalization");
    row("layernorm opset17", "p_layernorm17", {"fuse.layernorm"}, "LayerNormalization", "ReduceMean");
    row("rmsnorm", "p_rmsnorm", {"fuse.rmsnorm.ort"}, "SimplifiedLayerNormalization", "ReduceMean");
    row("gelu erf", "p_gelu_erf", {"fuse.gelu_erf"}, "com.microsoft:Gelu", "Erf");
    row("gelu tanh", "p_gelu_tanh", {"fuse.gelu_tanh"}, "com.microsoft:FastGelu", "Tanh");
    row("bias+gelu", "p_bias_gelu", {"fuse.bias_gelu", "fuse.gelu_erf"}, "com.microsoft:BiasGelu", "Erf");
    row("add+layernorm op (opset 17)", "p_add_layernorm17", {"fuse.skip_layernorm"},
        "com.microsoft:SkipLayerNormalization", "LayerNormalization");
    row("add+decomposed layernorm (opset 13)", "p_add_layernorm", {"fuse.skip_layernorm_decomposed"},
        "com.microsoft:SkipLayerNormalization", "ReduceMean");
    row("self-attention", "p_attention", {"fuse.attention"}, "com.microsoft:Attention", "Softmax");
    row("causal self-attention", "p_attention_causal", {"fuse.attention_causal"}, "com.microsoft:Attention", "Softmax");
  }

  // A rule on the model that contains its pattern: it matches, applies, records provenance, and the
  // result is valid and computes what the export computed.
  void rule() {
    QFETCH(QString, model);
    QFETCH(QStringList, rules);
    QFETCH(QString, produces);
    QFETCH(QString, removes);
    std::vector<std::shared_ptr<const Rule>> list;
    for (const auto& r : rules) {
      auto rule = findRule(r.toStdString());
      QVERIFY2(rule, qPrintable("no rule named " + r));
      list.push_back(rule);
    }
    auto original = load(model.toStdString());
    auto m = load(model.toStdString());
    auto rw = Rewriter::fromRules(list);

    MatchReport report = rw.match(*m);
    bool matched = false;
    for (const auto& mt : report.matches)
      if (mt.rule == rules.front().toStdString()) matched = true;
    QVERIFY2(matched, qPrintable(rules.front() + " found no match in " + model));

    ApplyOptions opts;
    opts.verify = true;
    auto rec = rw.applyAll(*m, opts);
    QVERIFY2(rec, rec.message().c_str());
    QVERIFY(rec->applied >= 1);
    for (const auto& w : rec->warnings) qWarning("%s", w.c_str());

    auto counts = opCounts(*m);
    QVERIFY2(counts[produces.toStdString()] >= 1, qPrintable(produces + " was not created"));
    QCOMPARE(counts[removes.toStdString()], 0);
    QVERIFY(m->graph().nodeCount() < original->graph().nodeCount());

    // Provenance: the created node names the rule that made it.
    bool tagged = false;
    m->graph().forEachNode([&](const Node& n) {
      std::string d = n.domain().empty() ? "" : n.domain() + ":";
      if (d + n.opType() == produces.toStdString() && !provenanceOf(n).empty()) tagged = true;
    });
    QVERIFY2(tagged, "the created node carries no provenance");

    // Checker and inference.
    ValidationResult v = validateModel(*m);
    for (const auto& p : v.problems)
      QVERIFY2(p.severity != Diagnostic::Severity::Error, (p.node + ": " + p.message).c_str());
    auto inf = inferShapes(*m);
    QVERIFY2(inf, inf.message().c_str());
    for (const auto& p : inf->problems)
      QVERIFY2(p.severity != Diagnostic::Severity::Error, (p.node + ": " + p.message).c_str());

    // The evaluator computes the same outputs on seeded random inputs.
    const std::string op = produces.toStdString();
    const auto colon = op.find(':');
    const std::string domain = colon == std::string::npos ? "" : op.substr(0, colon);
    const std::string type = colon == std::string::npos ? op : op.substr(colon + 1);
    QVERIFY2(isOpSupported(type, domain), ("the evaluator has no kernel for " + op + " yet").c_str());
    VerifyOptions vo;
    auto vr = verifyModels(*original, *m, vo);
    QVERIFY2(vr, vr.message().c_str());
    QVERIFY2(vr->comparable, vr->whyNot.c_str());
    for (const auto& o : vr->outputs)
      QVERIFY2(o.withinTolerance, (o.name + ": max abs diff " + std::to_string(o.maxAbsDiff)).c_str());
    QVERIFY(vr->withinTolerance);

    // Undo restores the export exactly.
    QVERIFY(rec->undo(*m));
    QCOMPARE(m->graph().nodeCount(), original->graph().nodeCount());
  }

  // LayerNorm whose epsilon arrives as a graph input: no fusion, and the near miss says why.
  void nearMissLayerNormEpsilon() {
    auto m = load("p_add_layernorm");
    Node* addEps = findNodeWhere(*m, [](const Node& n) {
      return n.opType() == "Add" && n.output(0)->uses().size() == 1 && n.output(0)->uses()[0].node->opType() == "Sqrt";
    });
    QVERIFY(addEps);
    int epsIndex = addEps->input(0)->producer() && addEps->input(0)->producer()->opType() == "ReduceMean" ? 1 : 0;
    onnx::TypeProto t;
    t.mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    t.mutable_tensor_type()->mutable_shape();
    auto eps = m->graph().addInput("epsilon", t);
    QVERIFY(eps);
    QVERIFY(m->graph().setInput(addEps, static_cast<size_t>(epsIndex), eps.value()));

    auto rw = Rewriter::fromRules({findRule("fuse.skip_layernorm_decomposed")});
    MatchOptions mo;
    mo.nearMisses = true;
    MatchReport report = rw.match(*m, mo);
    QVERIFY(report.matches.empty());
    bool explained = false;
    for (const auto& nm : report.nearMisses) {
      qInfo("near miss: %s", nm.reason.c_str());
      if (nm.rule == "fuse.skip_layernorm_decomposed" && nm.reason.find("eps") != std::string::npos) explained = true;
    }
    QVERIFY2(explained, "no near miss names the epsilon");
  }

  // Attention whose mask Add is read by something else too: not fused, and the near miss says so.
  void nearMissAttentionMaskSecondConsumer() {
    auto m = load("p_attention");
    Node* maskAdd = findNodeWhere(*m, [](const Node& n) {
      return n.opType() == "Add" && n.output(0)->uses().size() == 1 && n.output(0)->uses()[0].node->opType() == "Softmax";
    });
    QVERIFY(maskAdd);
    Graph::NewNode spy;
    spy.opType = "Identity";
    spy.name = "/spy/Identity";
    spy.inputs = {maskAdd->output(0)};
    spy.outputNames = {"scores_seen_elsewhere"};
    auto n = m->graph().addNode(spy);
    QVERIFY(n);
    QVERIFY(m->graph().addOutput(n.value()->output(0)));

    auto rw = Rewriter::fromRules({findRule("fuse.attention")});
    MatchOptions mo;
    mo.nearMisses = true;
    MatchReport report = rw.match(*m, mo);
    QVERIFY(report.matches.empty());
    bool explained = false;
    for (const auto& nm : report.nearMisses) {
      qInfo("near miss: %s", nm.reason.c_str());
      if (nm.rule == "fuse.attention" && nm.reason.find("mask Add has a second consumer") != std::string::npos)
        explained = true;
    }
    QVERIFY2(explained, "no near miss says the mask Add has a second consumer");
  }

  // The ONNX Runtime CPU profile, then the portable one: the contrib ops it produced go back to
  // standard ONNX and the model still computes the same.
  void portableUndoesContribOps() {
    for (const char* name : {"p_gelu_tanh", "p_conv_relu", "p_bias_gelu"}) {
      auto original = load(name);
      auto m = load(name);
      auto ort = findProfile("onnxruntime-cpu");
      QVERIFY2(ort, ort.message().c_str());
      auto rwOrt = Rewriter::create(*ort);
      QVERIFY2(rwOrt, rwOrt.message().c_str());
      auto r1 = rwOrt->applyAll(*m);
      QVERIFY2(r1, r1.message().c_str());
      bool contrib = false;
      m->graph().forEachNode([&](const Node& n) { contrib |= n.domain() == "com.microsoft"; });
      QVERIFY2(contrib, name);

      auto portable = findProfile("portable");
      QVERIFY2(portable, portable.message().c_str());
      auto rwP = Rewriter::create(*portable);
      QVERIFY2(rwP, rwP.message().c_str());
      auto r2 = rwP->applyAll(*m);
      QVERIFY2(r2, r2.message().c_str());
      m->graph().forEachNode([&](const Node& n) {
        QVERIFY2(n.domain().empty() || n.domain() == "ai.onnx", (std::string(name) + ": " + n.domain() + ":" + n.opType() + " left").c_str());
      });
      auto vr = verifyModels(*original, *m);
      QVERIFY2(vr, vr.message().c_str());
      QVERIFY2(vr->withinTolerance, name);
    }
  }
};

QTEST_GUILESS_MAIN(TestRules)
#include "test_rules.moc"
