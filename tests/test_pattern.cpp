// pattern: rule files (parsing, file:line:column errors, load-nothing-on-error), the matcher
// (commutative inputs, every condition kind, intermediate values), near-miss reasons, overlaps.
#include <fstream>
#include <stdexcept>

#include "graft/pattern.h"
#include "graft/rewrite.h"
#include "rewrite_testutil.h"

using namespace graft;
using namespace graft::test;

namespace {

// x*0.5*(1+erf(x/sqrt2)): GELU as PyTorch exports it, with the constants as initializers.
const char* kGeluModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,8] x) => (float[2,8] y)
<float s2 = {1.4142135}, float one = {1.0}, float half = {0.5}>
{
  d = Div(x, s2)
  e = Erf(d)
  a = Add(one, e)
  m = Mul(x, a)
  y = Mul(half, m)
})";

const char* kGeluRule = R"(# GELU (Erf form)
rule gelu {
  description: "GELU written with Erf"
  benefit: 10
  backends: onnxruntime-cpu, onnxruntime-cuda
  pattern (x, sqrt2, one, half) => (y) {
    d = Div(x, sqrt2)
    e = Erf(d)
    a = Add(e, one)
    m = Mul(x, a)
    y = Mul(m, half)
  }
  where {
    value(sqrt2) == sqrt(2) tol 1e-4
    value(one) == 1
    value(half) == 0.5
  }
  replace (x) => (y) {
    y = com.microsoft.Gelu(x)
  }
}
)";

MatchReport matchWith(const std::vector<std::shared_ptr<const Rule>>& rules, const Model& m, bool nearMisses = true) {
  auto rw = Rewriter::fromRules(rules);
  MatchOptions o;
  o.nearMisses = nearMisses;
  return rw.match(m, o);
}

// A one-rule file around a pattern/where, replacing by Identity (matching only is tested here).
std::string ruleWith(const std::string& pattern, const std::string& where, const std::string& inputs = "x") {
  return "rule r {\n  pattern " + pattern + "\n  where {\n" + where + "\n  }\n  replace (" + inputs +
         ") => (y) {\n    y = Identity(x)\n  }\n}\n";
}

}  // namespace

class TestPattern : public QObject {
  Q_OBJECT

 private slots:
  void parsesARuleFile() {
    auto rules = parseRules(kGeluRule, "gelu.rules");
    QVERIFY2(rules.isOk(), rules.message().c_str());
    QCOMPARE(rules->size(), size_t(1));
    const Rule& r = *rules->front();
    QCOMPARE(r.name(), std::string("gelu"));
    QCOMPARE(r.benefit(), 10);
    QCOMPARE(r.description(), std::string("GELU written with Erf"));
    QCOMPARE(r.backends(), (std::vector<std::string>{"onnxruntime-cpu", "onnxruntime-cuda"}));
    QCOMPARE(r.rootOps(), std::vector<std::string>{"Mul"});
    const RuleSpec* spec = declaredSpec(r);
    QVERIFY(spec);
    QCOMPARE(spec->pattern.nodes.size(), size_t(5));
    QCOMPARE(spec->conditions.size(), size_t(3));
    QCOMPARE(spec->replacement.nodes[0].domain(), std::string("com.microsoft"));
    QCOMPARE(r.source().str(), std::string("gelu.rules:2:6"));
  }

  void reportsErrorsWithFileLineColumn_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    // An OnnxParser error inside a body is mapped to the file: line 4, the second 'x'.
    QTest::newRow("onnx text") << "rule a {\n  benefit: 1\n  pattern (x) => (y) {\n    y = Relu(x x)\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                               << "bad.rules:4:16: in ONNX text: Expected character ) not found.";
    QTest::newRow("onnx text first line") << "rule a {\n  pattern (x) => (y) { y = Relu(x x) }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                          << "bad.rules:2:35: in ONNX text";
    QTest::newRow("unknown key") << "rule a {\n  benfit: 3\n}\n" << "bad.rules:2:3: unknown key 'benfit'";
    QTest::newRow("unknown op") << "rule a {\n  pattern (x) => (y) {\n    y = Relux(x)\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                << "bad.rules:3:9: unknown operator 'Relux'";
    QTest::newRow("condition name") << "rule a {\n  pattern (x) => (y) { y = Relu(x) }\n  where {\n    constant(z)\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                    << "bad.rules:4:5: 'z' in 'constant(z)' is not a value of the pattern";
    QTest::newRow("condition syntax") << "rule a {\n  pattern (x) => (y) { y = Relu(x) }\n  where {\n    rank(x) ~ 3\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                      << "bad.rules:4:5: expected ==, !=, <, <=, >, >= or in";
    QTest::newRow("undefined let") << "rule a {\n  pattern (x) => (y) { y = Relu(x) }\n  replace (x) => (y) {\n    y = Elu <alpha = @a> (x)\n  }\n}\n"
                                   << "bad.rules:4:5: @a is not defined";
    QTest::newRow("unclosed") << "rule a {\n  pattern (x) => (y) {\n    y = Relu(x)\n" << "bad.rules:2:22: this '{' is never closed";
    QTest::newRow("dangling node") << "rule a {\n  pattern (x) => (y) {\n    y = Relu(x)\n    z = Neg(x)\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                   << "bad.rules:4:5: this Neg node does not lead to any output";
    QTest::newRow("replacement outputs") << "rule a {\n  pattern (x) => (y) { y = Relu(x) }\n  replace (x) => (z) { z = Identity(x) }\n}\n"
                                         << "bad.rules:3:11: the replacement must produce the pattern's outputs";
    QTest::newRow("bad number") << "rule a {\n  pattern (x, c) => (y) { y = Mul(x, c) }\n  where {\n    value(c) == sqrt(2/pie)\n  }\n  replace (x) => (y) { y = Identity(x) }\n}\n"
                                << "bad.rules:4:5: bad number expression";
  }
  void reportsErrorsWithFileLineColumn() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    auto r = parseRules(text.toStdString(), "bad.rules");
    QVERIFY(!r.isOk());
    QVERIFY2(r.message().rfind(expected.toStdString(), 0) == 0, r.message().c_str());
  }

  void aFileWithOneMistakeLoadsNothing() {
    QTemporaryDir dir;
    std::string path = dir.filePath("two.rules").toStdString();
    std::ofstream(path) << kGeluRule << "\nrule broken {\n  pattern (x) => (y) { y = Relu(x) }\n}\n";
    auto r = loadRuleFile(path);
    QVERIFY(!r.isOk());
    QVERIFY2(r.message().find(path + ":23:1: rule 'broken' has no replace block") != std::string::npos ||
                 r.message().find("has no replace block") != std::string::npos,
             r.message().c_str());
    QVERIFY(r.message().rfind(path + ":", 0) == 0);
  }

  void numberExpressions() {
    QCOMPARE(evalNumberExpression("0.5").value(), 0.5);
    QVERIFY(std::fabs(evalNumberExpression("sqrt(2/pi)").value() - 0.7978845608) < 1e-9);
    QCOMPARE(evalNumberExpression("1e-5").value(), 1e-5);
    QCOMPARE(evalNumberExpression("-2^2").value(), -4.0);
    QCOMPARE(evalNumberExpression("(1+2)*3").value(), 9.0);
    QVERIFY(!evalNumberExpression("2*").isOk());
  }

  void commutativeInputsMatchEitherOrder() {
    // The model writes Add(one, e) and Mul(half, m): swapped relative to the rule.
    auto m = modelFromText(kGeluModel, "/h.0/mlp");
    auto report = matchWith(rulesFromText(kGeluRule), *m);
    QCOMPARE(report.matches.size(), size_t(1));
    const Match& match = report.matches[0];
    QCOMPARE(match.nodes.size(), size_t(5));
    QCOMPARE(match.root->name(), std::string("/h.0/mlp/Mul_1"));
    QCOMPARE(match.values.at("half")->name(), std::string("half"));
    QCOMPARE(match.values.at("x")->name(), std::string("x"));
    QCOMPARE(match.becomes, std::string("Gelu"));
    QCOMPARE(match.nodeDelta, -4);
  }

  void conditionKinds_data() {
    QTest::addColumn<QString>("where");
    QTest::addColumn<bool>("matches");
    QTest::addColumn<QString>("reason");
    QTest::newRow("constant") << "constant(c)" << true << "";
    QTest::newRow("constant fails on input") << "constant(x)" << false << "is a graph input, not a constant";
    QTest::newRow("initializer") << "initializer(c)" << true << "";
    QTest::newRow("not initializer") << "not initializer(c)" << false << "does not hold";
    QTest::newRow("single consumer") << "single_consumer(m)" << true << "";
    QTest::newRow("single consumer fails") << "single_consumer(x)" << false << "has 2 consumers";
    QTest::newRow("rank") << "rank(x) == 3" << true << "";
    QTest::newRow("rank in") << "rank(x) in [2, 4]" << false << "it is 3";
    QTest::newRow("shape") << "shape(x) == [?, 4, 8]" << true << "";
    QTest::newRow("shape differs") << "shape(x) == [?, ?, 768]" << false << "[2, 4, 8]";
    QTest::newRow("dtype") << "dtype(x) == float32" << true << "";
    QTest::newRow("dtype set") << "dtype(x) in [float16, bfloat16]" << false << "float32";
    QTest::newRow("attr equals") << "attr(s, axis) == -1" << true << "";
    QTest::newRow("attr default") << "attr(s, axis) != 1" << true << "";
    QTest::newRow("attr set") << "attr(r, axes) in [[2], [-1]]" << true << "";
    QTest::newRow("attr range") << "attr(l, alpha) in 0..0.5" << true << "";
    QTest::newRow("attr range fails") << "attr(l, alpha) in 0.3..1" << false << "it is 0.2";
    QTest::newRow("axes") << "axes(r) == [2]" << true << "";
    QTest::newRow("last axis") << "last_axis(axes(r), x)" << true << "";
    QTest::newRow("last axis attr") << "last_axis(attr(s, axis), x)" << true << "";
    QTest::newRow("broadcastable") << "broadcastable(x, c)" << true << "";
    QTest::newRow("value") << "value(c) == 0.5" << true << "";
    QTest::newRow("value tol") << "value(k) == sqrt(2/pi) tol 1e-6" << true << "";
    QTest::newRow("value default tolerance") << "value(k) == 0.7978" << false << "0.797885";
    QTest::newRow("value compare") << "value(c) < 1" << true << "";
  }
  void conditionKinds() {
    QFETCH(QString, where);
    QFETCH(bool, matches);
    QFETCH(QString, reason);
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4,8] x) => (float[2,4,8] y, float[2,4,1] z)
<float c = {0.5}, float k = {0.7978845608}>
{
  m = Mul(x, c)
  l = LeakyRelu <alpha = 0.2> (m)
  s = Softmax <axis = -1> (l)
  t = Mul(s, k)
  y = Add(t, c)
  z = ReduceMean <axes = [2]> (x)
})");
    // c, k: constants; l: LeakyRelu; s: Softmax; r: a second branch (ReduceMean) not in this pattern.
    std::string text = ruleWith("(x, c, k) => (y) {\n    m = Mul(x, c)\n    l = LeakyRelu(m)\n    s = Softmax(l)\n"
                                "    t = Mul(s, k)\n    y = Add(t, c)\n  }",
                                where.toStdString().find("(r)") != std::string::npos ? "" : "    " + where.toStdString());
    if (where.toStdString().find("(r") != std::string::npos) {
      // Conditions on the ReduceMean need it in the pattern.
      text = ruleWith("(x) => (r) {\n    r = ReduceMean(x)\n  }", "    " + where.toStdString());
      const std::string from = "=> (y) {\n    y = Identity(x)";
      text.replace(text.find(from), from.size(), "=> (r) {\n    r = Identity(x)");
    }
    auto rules = parseRules(text, "c.rules");
    QVERIFY2(rules.isOk(), rules.message().c_str());
    auto report = matchWith(*rules, *m);
    QCOMPARE(report.matches.size(), size_t(matches ? 1 : 0));
    if (!matches) {
      QCOMPARE(report.nearMisses.size(), size_t(1));
      QVERIFY2(report.nearMisses[0].reason.find(reason.toStdString()) != std::string::npos,
               report.nearMisses[0].reason.c_str());
    }
  }

  void nearMissNamesNodeAndReason() {
    // LayerNorm whose epsilon is a graph input, and a second block whose Sub has an outside consumer.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4,8] x, float eps) => (float[2,4,8] y, float[2,4,8] w)
<float two = {2.0}>
{
  mean = ReduceMean <axes = [-1]> (x)
  d = Sub(x, mean)
  sq = Pow(d, two)
  var = ReduceMean <axes = [-1]> (sq)
  ve = Add(var, eps)
  sd = Sqrt(ve)
  y = Div(d, sd)
  w = Neg(d)
})",
                           "/h.3/ln_1");
    auto rules = rulesFromText(R"(rule LayerNorm {
  pattern (x, two, eps) => (y) {
    mean = ReduceMean(x)
    d = Sub(x, mean)
    sq = Pow(d, two)
    var = ReduceMean(sq)
    ve = Add(var, eps)
    sd = Sqrt(ve)
    y = Div(d, sd)
  }
  where {
    constant(eps)
  }
  replace (x) => (y) { y = LayerNormalization(x) }
}
)");
    auto report = matchWith(rules, *m);
    QCOMPARE(report.matches.size(), size_t(0));
    QCOMPARE(report.nearMisses.size(), size_t(1));
    const auto& nm = report.nearMisses[0];
    QCOMPARE(nm.rule, std::string("LayerNorm"));
    QCOMPARE(nm.rootName, std::string("/h.3/ln_1/Div"));
    // The second consumer of d is found before the conditions are checked.
    QVERIFY2(nm.reason.find("Sub '/h.3/ln_1/Sub' has a second consumer outside the match") != std::string::npos &&
                 nm.reason.find("Neg '/h.3/ln_1/Neg'") != std::string::npos,
             nm.reason.c_str());
    QCOMPARE(nm.partial.size(), size_t(7));

    // Without the outside consumer, the reason is the epsilon.
    auto m2 = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4,8] x, float eps) => (float[2,4,8] y)
<float two = {2.0}>
{
  mean = ReduceMean <axes = [-1]> (x)
  d = Sub(x, mean)
  sq = Pow(d, two)
  var = ReduceMean <axes = [-1]> (sq)
  ve = Add(var, eps)
  sd = Sqrt(ve)
  y = Div(d, sd)
})",
                            "/h.3/ln_1");
    auto r2 = matchWith(rules, *m2);
    QCOMPARE(r2.nearMisses.size(), size_t(1));
    QVERIFY2(r2.nearMisses[0].reason.find("eps ('eps') is a graph input, not a constant") != std::string::npos,
             r2.nearMisses[0].reason.c_str());

    // A structural failure names what was expected and found.
    auto m3 = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4,8] x, float eps) => (float[2,4,8] y)
<float two = {2.0}>
{
  mean = ReduceMean <axes = [-1]> (x)
  d = Sub(x, mean)
  sq = Mul(d, d)
  var = ReduceMean <axes = [-1]> (sq)
  ve = Add(var, eps)
  sd = Sqrt(ve)
  y = Div(d, sd)
})",
                            "/h.3/ln_1");
    auto r3 = matchWith(rules, *m3);
    QCOMPARE(r3.nearMisses.size(), size_t(1));
    QVERIFY2(r3.nearMisses[0].reason.find("expected Pow feeding input #0 of ReduceMean '/h.3/ln_1/ReduceMean_1', found Mul '/h.3/ln_1/Mul'") != std::string::npos,
             r3.nearMisses[0].reason.c_str());
  }

  void patternAttributesMustBeEqual() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2,4] x) => (float[2,4] y) {
  y = Softmax <axis = 0> (x)
})");
    auto withAxis = [&](const std::string& axis) {
      return matchWith(rulesFromText("rule s {\n pattern (x) => (y) { y = Softmax <axis = " + axis +
                                     "> (x) }\n replace (x) => (y) { y = Identity(x) }\n}\n"),
                       *m);
    };
    QCOMPARE(withAxis("0").matches.size(), size_t(1));
    auto miss = withAxis("-1");
    QCOMPARE(miss.matches.size(), size_t(0));
    QVERIFY(miss.nearMisses[0].reason.find("has axis different from the pattern's") != std::string::npos);
  }

  void overlapsResolveByBenefitThenOrder() {
    // Two chains Relu->Neg; rule A (benefit 5) takes Neg(Relu); rule B (benefit 9) takes Relu alone.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x) => (float[4] y) {
  a = Relu(x)
  b = Neg(a)
  c = Relu(b)
  y = Neg(c)
})");
    auto rules = rulesFromText(R"(
rule A {
  benefit: 5
  pattern (x) => (y) {
    a = Relu(x)
    y = Neg(a)
  }
  replace (x) => (y) { y = Identity(x) }
}
rule B {
  benefit: 9
  pattern (x) => (y) { y = Relu(x) }
  replace (x) => (y) { y = Identity(x) }
}
rule C {
  benefit: 5
  pattern (x) => (y) {
    a = Neg(x)
    y = Relu(a)
  }
  replace (x) => (y) { y = Identity(x) }
}
)");
    auto report = matchWith(rules, *m, false);
    // B wins both Relus (highest benefit), so A and C (which need a Relu) lose.
    QCOMPARE(report.matches.size(), size_t(2));
    QCOMPARE(report.matches[0].rule, std::string("B"));
    QCOMPARE(report.matches[0].root->name(), std::string("/blk/Relu"));
    QCOMPARE(report.matches[1].root->name(), std::string("/blk/Relu_1"));
    QCOMPARE(report.overlapped.size(), size_t(3));
    // Without B: A and C overlap on Neg(/blk/Neg) with equal benefit: the earlier root wins (C's Relu_1
    // comes after A's Neg), so A takes Relu+Neg and then A again the second pair.
    std::vector<std::shared_ptr<const Rule>> ac = {rules[0], rules[2]};
    auto r1 = matchWith(ac, *m, false), r2 = matchWith({rules[2], rules[0]}, *m, false);
    QCOMPARE(r1.matches.size(), size_t(2));
    QCOMPARE(r1.matches[0].rule, std::string("A"));
    QCOMPARE(r1.matches[0].root->name(), std::string("/blk/Neg"));
    QCOMPARE(r1.matches[1].rule, std::string("A"));
    QCOMPARE(r1.matches[1].root->name(), std::string("/blk/Neg_1"));
    // Rule order in the profile does not change the outcome.
    QCOMPARE(r2.matches.size(), r1.matches.size());
    for (size_t i = 0; i < r1.matches.size(); ++i) {
      QCOMPARE(r2.matches[i].rule, r1.matches[i].rule);
      QCOMPARE(r2.matches[i].nodeIds, r1.matches[i].nodeIds);
    }
  }

  void placeholderUsedTwiceMustBeOneValue() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[4] x, float[4] z) => (float[4] y, float[4] w) {
  y = Mul(x, x)
  w = Mul(x, z)
})");
    auto report = matchWith(rulesFromText("rule sq {\n pattern (x) => (y) { y = Mul(x, x) }\n replace (x) => (y) { y = Pow(x, x) }\n}\n"), *m);
    QCOMPARE(report.matches.size(), size_t(1));
    QCOMPARE(report.matches[0].root->name(), std::string("/blk/Mul"));
    QCOMPARE(report.nearMisses.size(), size_t(1));
    QVERIFY(report.nearMisses[0].reason.find("must be one value") != std::string::npos);
  }

  void domainQualifiedOpsMatchTheirDomain() {
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
g (float[4] x) => (float[4] y) {
  g1 = com.microsoft.Gelu(x)
  y = Relu(g1)
})");
    auto rules = rulesFromText(R"(rule gr {
  pattern (x) => (y) {
    g = com.microsoft.Gelu(x)
    y = Relu(g)
  }
  replace (x) => (y) { y = com.microsoft.FastGelu(x) }
}
)");
    QCOMPARE(matchWith(rules, *m).matches.size(), size_t(1));
  }

  void matchValuesReadLikeAMapInNameOrder() {
    // Declared rules share one name table; C++ rules bind by name (m.values["x"] = v).
    auto m = modelFromText(kGeluModel);
    Value* x = m->graph().findValue("x");
    Value* y = m->graph().findValue("y");
    MatchValues values;
    QVERIFY(values.empty());
    values["y"] = y;
    values["x"] = x;
    values["y"] = y;  // binding a name again replaces, it does not add
    QCOMPARE(values.size(), size_t(2));
    std::vector<std::string> names;
    for (const auto& [name, v] : values) names.push_back(name + "=" + v->name());
    QCOMPARE(names, (std::vector<std::string>{"x=x", "y=y"}));
    QCOMPARE(values.begin()->second, x);
    QCOMPARE(values.at("y"), y);
    QVERIFY(values.get("z") == nullptr);
    QVERIFY(!values.contains("z"));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, values.at("z"));
    // A copy that binds another name leaves the shared table of the original alone.
    MatchValues copy = values;
    copy["w"] = x;
    QCOMPARE(copy.size(), size_t(3));
    QCOMPARE(values.size(), size_t(2));
    QVERIFY(values.get("w") == nullptr);

    auto rules = rulesFromText(kGeluRule);
    auto rw = Rewriter::fromRules(rules);
    auto report = rw.match(*m);
    QCOMPARE(report.matches.size(), size_t(1));
    const Match& match = report.matches[0];
    names.clear();
    for (const auto& [name, v] : match.values) names.push_back(name + "=" + v->name());
    QCOMPARE(names, (std::vector<std::string>{"a=a", "d=d", "e=e", "half=half", "m=m", "one=one", "sqrt2=s2",
                                              "x=x", "y=y"}));
  }

  void foldingFollowsChainsInOnePass() {
    // One match run finds a whole chain of foldable nodes (each reads what the one before
    // folds), in topological order; a node that also reads a computed value does not fold.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x) => (float[2,3] y, int64[1] dims)
<float[3] w = {1,2,3}, int64[1] zero = {0}>
{
  c = Constant <value = float[3] {1.0, 1.0, 1.0}> ()
  early = Relu(x)
  a = Add(w, c)
  b = Mul(a, w)
  n = Neg(b)
  y0 = Add(early, n)
  y = Relu(y0)
  s = Shape(x)
  g1 = Gather <axis = 0> (s, zero)
  dims = Identity(g1)
})");
    auto ctx = MatchContext::create(m->graph());
    QVERIFY(ctx.isOk());
    auto found = [&](const char* rule) {
      std::vector<Match> out;
      RuleRegistry::instance().create(rule)->findMatches(**ctx, out, nullptr);
      std::vector<std::string> outputs;
      for (const auto& match : out) outputs.push_back(match.nodes[0]->output(0)->name());
      return outputs;
    };
    QCOMPARE(found("cleanup.fold_constants"), (std::vector<std::string>{"a", "b", "n", "s", "g1", "dims"}));
    QCOMPARE(found("cleanup.shape_chain"), (std::vector<std::string>{"s", "g1", "dims"}));
  }

  void deadConesAreFoundWhole() {
    // A node is dead when all its readers are: the whole unused cone, in topological order.
    auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] x) => (float[2,3] y)
{
  d1 = Neg(x)
  y = Relu(x)
  d2 = Abs(d1)
  d3 = Add(d1, d2)
})");
    auto ctx = MatchContext::create(m->graph());
    QVERIFY(ctx.isOk());
    std::vector<Match> out;
    RuleRegistry::instance().create("cleanup.dead_nodes")->findMatches(**ctx, out, nullptr);
    std::vector<std::string> outputs;
    for (const auto& match : out) outputs.push_back(match.nodes[0]->output(0)->name());
    QCOMPARE(outputs, (std::vector<std::string>{"d1", "d2", "d3"}));
  }
};

QTEST_GUILESS_MAIN(TestPattern)
#include "test_pattern.moc"
