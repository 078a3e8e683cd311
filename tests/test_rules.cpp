// The rule library and the backend profiles on real PyTorch exports: each rule matches the model
// that contains its pattern, applies, and the result passes the checker and shape inference and
// computes the same outputs (the evaluator's verify); near misses say why a fusion did not happen.
#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "graft/analysis.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "rewrite_testutil.h"
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

// Inputs for a model: seeded random values, and every mask input (int32/int64, name containing
// "mask") a 0/1 pattern with padding at the end of each row, so masked positions are exercised.
NamedArrays inputsWithPadding(const Model& m, const std::map<std::string, std::int64_t>& dims = {}) {
  auto in = randomInputs(m, 7, dims);
  if (!in) qFatal("random inputs: %s", in.message().c_str());
  NamedArrays out = std::move(in.value());
  for (auto& [name, a] : out) {
    if (name.find("mask") == std::string::npos || a.rank() < 2) continue;
    const std::int64_t L = a.dim(a.rank() - 1), rows = a.size() / L;
    Array d(onnx::TensorProto_DataType_DOUBLE, a.shape());
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < L; ++j)  // row r keeps L - 1 - (r % (L - 1)) keys, at least one
        d.data<double>()[r * L + j] = j < L - (r % std::max<std::int64_t>(1, L - 1)) ? 1.0 : 0.0;
    auto c = castArray(d, a.dtype());
    if (!c) qFatal("mask cast: %s", c.message().c_str());
    a = c.value();
  }
  return out;
}

// Runs both models on the same inputs; every output agrees within atol + rtol * |a|. Returns the
// largest absolute difference (or -1 when a run failed, with the reason in *why).
double maxOutputDiff(const Model& a, const Model& b, const NamedArrays& inputs, std::string* why) {
  auto ra = evaluate(a, inputs), rb = evaluate(b, inputs);
  if (!ra || !rb) {
    *why = !ra ? "original: " + ra.message() : "rewritten: " + rb.message();
    return -1;
  }
  double worst = 0;
  for (const auto& [name, x] : ra.value()) {
    auto it = rb->find(name);
    if (it == rb->end()) {
      *why = "output " + name + " is missing";
      return -1;
    }
    auto da = arrayToDoubles(x), db = arrayToDoubles(it->second);
    if (!da || !db || da->size() != db->size()) {
      *why = "output " + name + " differs in size";
      return -1;
    }
    for (std::size_t i = 0; i < da->size(); ++i) {
      double d = std::abs((*da)[i] - (*db)[i]);
      if (!(d <= 1e-4 + 1e-3 * std::abs((*da)[i]))) *why = "output " + name + " differs at " + std::to_string(i);
      if (!(d <= worst)) worst = d;  // NaN counts as worst
    }
  }
  return worst;
}

bool onlyStandardOps(const Model& m, std::string* left) {
  bool ok = true;
  m.graph().forEachNode([&](const Node& n) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      ok = false;
      *left += n.domain() + ":" + n.opType() + " ";
    }
  });
  return ok;
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
  // Each decomposition on a model holding just the contrib op (weights as graph inputs, so every
  // value is random): the op is gone, only standard ONNX is left, the checker passes, and the result
  // computes what the evaluator's com.microsoft kernel computes, with masks that really mask.
  void decompose_data() {
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("text");
    auto row = [](const char* tag, const char* rule, const char* text) { QTest::newRow(tag) << QString(rule) << QString(text); };
    const char* ms = R"(<ir_version: 8, opset_import: ["" : 13, "com.microsoft" : 1]>)";
    auto with = [&](const char* header, const char* body) { return qstrdup((std::string(header) + body).c_str()); };
    row("attention mask [B,S]", "decompose.attention",
        with(ms, R"(g (float[2,6,16] x, float[16,48] w, float[48] b, int32[2,6] mask) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 4> (x, w, b, mask) })"));
    row("attention mask [B,S,S]", "decompose.attention",
        with(ms, R"(g (float[2,6,16] x, float[16,48] w, float[48] b, int32[2,6,6] mask) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 2> (x, w, b, mask) })"));
    row("attention unidirectional", "decompose.attention",
        with(ms, R"(g (float[2,6,16] x, float[16,48] w, float[48] b) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 4, unidirectional = 1> (x, w, b) })"));
    row("attention unidirectional+mask, scale, filter", "decompose.attention",
        with(ms, R"(g (float[2,6,16] x, float[16,48] w, float[48] b, int32[2,6] mask) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 4, unidirectional = 1, scale = 0.3, mask_filter_value = -1000.0> (x, w, b, mask) })"));
    row("attention dynamic shapes, no bias", "decompose.attention",
        with(ms, R"(g (float[N,S,16] x, float[16,48] w, int32[N,S] mask) => (float[N,S,16] y) {
          y = com.microsoft.Attention <num_heads = 4> (x, w, , mask) })"));
    row("attention qkv_hidden_sizes", "decompose.attention",
        with(ms, R"(g (float[2,6,16] x, float[16,64] w, float[64] b) => (float[2,6,32] y) {
          y = com.microsoft.Attention <num_heads = 4, qkv_hidden_sizes = [16, 16, 32]> (x, w, b) })"));
    row("multihead attention q/k/v, bias, mask", "decompose.multihead_attention",
        with(ms, R"(g (float[2,5,16] q, float[2,7,16] k, float[2,7,24] v, float[56] b, int32[2,7] key_padding_mask) => (float[2,5,24] y) {
          y = com.microsoft.MultiHeadAttention <num_heads = 4> (q, k, v, b, key_padding_mask) })"));
    row("multihead attention causal", "decompose.multihead_attention",
        with(ms, R"(g (float[2,5,16] q, float[2,5,16] k, float[2,5,16] v) => (float[2,5,16] y) {
          y = com.microsoft.MultiHeadAttention <num_heads = 2, unidirectional = 1, scale = 0.5> (q, k, v) })"));
    row("fusedmatmul transA transB alpha", "decompose.fusedmatmul",
        with(ms, R"(g (float[2,3,5,4] a, float[6,5] b) => (float[2,3,4,6] y) {
          y = com.microsoft.FusedMatMul <alpha = 0.125, transA = 1, transB = 1> (a, b) })"));
    row("skip layernorm opset 13, bias, sum output", "decompose.skip_layernorm",
        with(ms, R"(g (float[2,5,8] a, float[2,5,8] s, float[8] g, float[8] be, float[8] bi) => (float[2,5,8] y, float[2,5,8] sum) {
          y, mean, inv, sum = com.microsoft.SkipLayerNormalization <epsilon = 0.00001> (a, s, g, be, bi) })"));
    row("skip layernorm opset 17", "decompose.skip_layernorm",
        R"(<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
        g (float[2,5,8] a, float[2,5,8] s, float[8] g, float[8] be) => (float[2,5,8] y) {
          y = com.microsoft.SkipLayerNormalization (a, s, g, be) })");
    row("skip simplified layernorm", "decompose.skip_simplified_layernorm",
        with(ms, R"(g (float[2,5,8] a, float[2,5,8] s, float[8] g) => (float[2,5,8] y, float[2,5,8] sum) {
          y, mean, inv, sum = com.microsoft.SkipSimplifiedLayerNormalization <epsilon = 0.000001> (a, s, g) })"));
    row("simplified layernorm (default domain)", "decompose.simplified_layernorm",
        with(ms, R"(g (float[2,5,8] x, float[8] g) => (float[2,5,8] y) {
          y = SimplifiedLayerNormalization <axis = -1, epsilon = 0.000001> (x, g) })"));
    row("layernorm com.microsoft", "decompose.layernorm",
        with(ms, R"(g (float[2,5,8] x, float[8] g, float[8] b) => (float[2,5,8] y) {
          y = com.microsoft.LayerNormalization <axis = -1, epsilon = 0.00001> (x, g, b) })"));
    row("layernorm below opset 17 (ORT contrib)", "decompose.layernorm",
        with(ms, R"(g (float[2,5,8] x, float[8] g, float[8] b) => (float[2,5,8] y) {
          y = LayerNormalization <axis = 2> (x, g, b) })"));
    row("quickgelu alpha 1.702", "decompose.quickgelu",
        with(ms, R"(g (float[2,5,8] x) => (float[2,5,8] y) {
          y = com.microsoft.QuickGelu <alpha = 1.702> (x) })"));
  }

  void decompose() {
    QFETCH(QString, rule);
    QFETCH(QString, text);
    auto original = test::modelFromText(text.toStdString(), "/layer.0/attn");
    auto m = test::copyOf(*original);
    auto r = findRule(rule.toStdString());
    QVERIFY2(r, qPrintable("no rule " + rule));
    auto rw = Rewriter::fromRules({r});
    MatchOptions mo;
    mo.nearMisses = true;
    MatchReport report = rw.match(*m, mo);
    for (const auto& nm : report.nearMisses) qWarning("near miss: %s", nm.reason.c_str());
    QCOMPARE(static_cast<int>(report.matches.size()), 1);
    auto rec = rw.applyAll(*m);  // verify on: checker, inference, seeded random inputs
    QVERIFY2(rec, rec.message().c_str());
    QCOMPARE(static_cast<int>(rec->applied), 1);
    for (const auto& w : rec->warnings) QFAIL(w.c_str());
    std::string left;
    QVERIFY2(onlyStandardOps(*m, &left), left.c_str());
    ValidationResult v = validateModel(*m);
    for (const auto& p : v.problems)
      QVERIFY2(p.severity != Diagnostic::Severity::Error, (p.node + ": " + p.message).c_str());
    // Outputs keep their names; new nodes carry the rule.
    QCOMPARE(m->graph().outputs().size(), original->graph().outputs().size());
    for (std::size_t i = 0; i < m->graph().outputs().size(); ++i)
      QCOMPARE(m->graph().outputs()[i]->name(), original->graph().outputs()[i]->name());
    int tagged = 0;
    m->graph().forEachNode([&](const Node& n) { tagged += provenanceOf(n) == rule.toStdString(); });
    QCOMPARE(tagged, m->graph().nodeCount());
    // Numerically: the rewritten model against the com.microsoft kernel, padding masks included.
    std::string why;
    double diff = maxOutputDiff(*original, *m, inputsWithPadding(*original, {{"N", 3}, {"S", 7}}), &why);
    QVERIFY2(diff >= 0 && why.empty(), why.c_str());
    qInfo("%s: %d nodes, max abs diff %.3g", qPrintable(rule), static_cast<int>(m->graph().nodeCount()), diff);
    QVERIFY(rec->undo(*m));
    QVERIFY(test::sameModel(*m, *original));
  }

  // The forms a decomposition refuses are left alone, and the near miss names the node and the reason.
  void decomposeRefusals() {
    const char* cases[][3] = {
        {"decompose.attention", R"(g (float[2,6,16] x, float[16,48] w, float[48] b, float[2,2,4,3,4] past) => (float[2,6,16] y, float[2,2,4,9,4] present) {
          y, present = com.microsoft.Attention <num_heads = 4> (x, w, b, , past) })",
         "past"},
        {"decompose.attention", R"(g (float[2,6,16] x, float[16,48] w, float[48] b) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 4, qkv_hidden_sizes = [16, 8, 24]> (x, w, b) })",
         "qkv_hidden_sizes"},
        {"decompose.attention", R"(g (float[2,6,16] x, float[16,48] w, float[48] b, int32[2] mask) => (float[2,6,16] y) {
          y = com.microsoft.Attention <num_heads = 4> (x, w, b, mask) })",
         "1-D"},
        {"decompose.multihead_attention", R"(g (float[2,5,4,3,4] qkv) => (float[2,5,16] y) {
          y = com.microsoft.MultiHeadAttention <num_heads = 4> (qkv) })",
         "packed"},
    };
    for (const auto& c : cases) {
      auto m = test::modelFromText(std::string(R"(<ir_version: 8, opset_import: ["" : 13, "com.microsoft" : 1]>)") + c[1],
                                   "/h.0/attn");
      auto rw = Rewriter::fromRules({findRule(c[0])});
      MatchOptions mo;
      mo.nearMisses = true;
      MatchReport report = rw.match(*m, mo);
      QVERIFY2(report.matches.empty(), c[1]);
      for (const auto& w : report.warnings) qInfo("warning: %s", w.c_str());
      bool explained = false;
      for (const auto& nm : report.nearMisses) {
        qInfo("near miss: %s", nm.reason.c_str());
        explained |= nm.reason.find(c[2]) != std::string::npos && nm.reason.find("/h.0/attn/") != std::string::npos;
      }
      QVERIFY2(explained, (std::string("no near miss mentions '") + c[2] + "' and the node").c_str());
    }
  }

  // What ONNX Runtime's own optimizer saves below opset 17: LayerNormalization in the default domain
  // (which the onnx checker rejects there) next to contrib ops. The portable profile decomposes the
  // LayerNorms first, so the other decompositions pass the checker too and nothing non-standard is left.
  void portableTakesOrtOptimizedModel() {
    auto original = test::modelFromText(R"(<ir_version: 8, opset_import: ["" : 13, "com.microsoft" : 1]>
      g (float[2,6,16] x, float[16] g, float[16] b, float[16,16] w) => (float[2,6,16] y)
      <float[16] bias = {0.1, -0.2, 0.3, 0, 0.5, -0.1, 0.2, 0.05, -0.3, 0.4, 0, 0.1, -0.5, 0.25, 0.15, -0.05}> {
        n = LayerNormalization <axis = -1, epsilon = 0.000001> (x, g, b)
        m = com.microsoft.FusedMatMul <alpha = 0.5> (n, w)
        y = com.microsoft.BiasGelu(m, bias) })", "/enc/layer.0");
    auto m = test::copyOf(*original);
    auto portable = findProfile("portable");
    QVERIFY2(portable, portable.message().c_str());
    auto rw = Rewriter::create(*portable);
    QVERIFY2(rw, rw.message().c_str());
    auto rec = rw->applyAll(*m);
    QVERIFY2(rec, rec.message().c_str());
    for (const auto& w : rec->warnings) QFAIL(w.c_str());
    std::string left;
    QVERIFY2(onlyStandardOps(*m, &left), left.c_str());
    QCOMPARE(opCounts(*m)["LayerNormalization"], 0);
    ValidationResult v = validateModel(*m);
    for (const auto& p : v.problems)
      QVERIFY2(p.severity != Diagnostic::Severity::Error, (p.node + ": " + p.message).c_str());
    std::string why;
    double diff = maxOutputDiff(*original, *m, inputsWithPadding(*original), &why);
    QVERIFY2(diff >= 0 && why.empty(), why.c_str());
  }

  // Round trip on PyTorch exports: the onnxruntime-cpu profile fuses attention (padding-mask BERT at
  // opsets 13 and 17, causal GPT), LayerNorm, GELU into com.microsoft ops; the portable profile then
  // turns the model back into standard ONNX only, which passes the checker and computes what the
  // export computes (batch 2, sequence 16, padding in the masks).
  void portableRoundTripTransformers() {
    QProcess py;
    py.setProcessChannelMode(QProcess::MergedChannels);
    py.start("/usr/bin/python3", {QString::fromStdString(test::sourceDir() + "/tests/models/make_rewrite_models.py"),
                                  dir_.path(), "bert13", "bert17", "gpt6"});
    QVERIFY(py.waitForStarted(30000));
    QVERIFY2(py.waitForFinished(900000), "exporting the transformer models timed out");
    QVERIFY2(py.exitCode() == 0, py.readAll().constData());
    auto ort = findProfile("onnxruntime-cpu");
    auto portable = findProfile("portable");
    QVERIFY2(ort && portable, "profiles missing");
    auto rwOrt = Rewriter::create(*ort);
    auto rwP = Rewriter::create(*portable);
    QVERIFY2(rwOrt && rwP, "profiles do not load");
    const std::map<std::string, std::int64_t> dims{{"batch", 2}, {"sequence", 16}};
    for (const char* name : {"bert13", "bert17", "gpt6"}) {
      auto original = load(name);
      auto m = load(name);
      ApplyOptions opts;
      opts.dims = dims;
      auto r1 = rwOrt->applyAll(*m, opts);
      QVERIFY2(r1, r1.message().c_str());
      const int fused = m->graph().nodeCount();
      auto counts = opCounts(*m);
      QVERIFY2(counts["com.microsoft:Attention"] >= 4, name);
      std::string contribOps;
      for (const auto& [op, k] : counts)
        if (op.rfind("com.microsoft:", 0) == 0) contribOps += op + " x" + std::to_string(k) + " ";
      auto r2 = rwP->applyAll(*m, opts);
      QVERIFY2(r2, r2.message().c_str());
      for (const auto& w : r2->warnings) QFAIL((std::string(name) + ": " + w).c_str());
      std::string left;
      QVERIFY2(onlyStandardOps(*m, &left), (std::string(name) + ": left " + left).c_str());
      ValidationResult v = validateModel(*m);
      for (const auto& p : v.problems)
        QVERIFY2(p.severity != Diagnostic::Severity::Error, (std::string(name) + ": " + p.node + ": " + p.message).c_str());
      VerifyOptions vo;
      vo.dims = dims;
      auto vr = verifyModels(*original, *m, vo);
      QVERIFY2(vr && vr->comparable, name);
      double worst = 0;
      for (const auto& o : vr->outputs) worst = std::max(worst, o.maxAbsDiff);
      QVERIFY2(vr->withinTolerance, (std::string(name) + ": max abs diff " + std::to_string(worst)).c_str());
      std::string why;
      double padded = maxOutputDiff(*original, *m, inputsWithPadding(*original, dims), &why);
      QVERIFY2(padded >= 0 && why.empty(), (std::string(name) + ": " + why).c_str());
      qInfo("%s: %d nodes exported, %d after onnxruntime-cpu (%s), %d after portable; verify max abs diff %.3g, "
            "with padding %.3g",
            name, static_cast<int>(original->graph().nodeCount()), fused, contribOps.c_str(),
            static_cast<int>(m->graph().nodeCount()), worst, padded);
      auto saved = saveModel(*m, models_ + "/" + name + ".roundtrip.onnx");
      QVERIFY2(saved, saved.message().c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestRules)
#include "test_rules.moc"
