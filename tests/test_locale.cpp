// Decimal-comma locales (de_DE, fr_FR write 0,5): numbers that cross a text boundary
// (Graphviz attributes, rule files, the evaluator's string casts, CLI options) must not change
// meaning. Each check runs once under the C locale and once under a decimal-comma locale, which
// the test sets itself (scripts/setup generates de_DE.UTF-8 and fr_FR.UTF-8).
#include <spdlog/spdlog.h>

#include <QProcess>
#include <QtTest>

#include <clocale>
#include <future>
#include <filesystem>

#include "graft/eval.h"
#include "graft/io.h"
#include "graft/layout.h"
#include "graft/numbers.h"
#include "graft/pattern.h"
#include "graft/rewrite.h"
#include "models/decoder_builder.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

// Fractional sizes, so rounding or a lost decimal part shows in the positions.
LayoutSize sizer(const Node& n) { return {40.5 + 6.25 * static_cast<double>(n.opType().size()), 30.75}; }




struct Placed {
  std::vector<std::array<double, 4>> rects;
  bool operator==(const Placed& o) const { return rects == o.rects; }
};

Placed layoutHere(const Model& model) {
  LayoutEngine engine;
  engine.setGraph(snapshotGraph(model.graph(), sizer));
  auto scene = engine.layout(engine.allPaths());
  Placed p;
  if (!scene) return p;
  for (const auto& n : scene->nodes) p.rects.push_back({n.rect.x, n.rect.y, n.rect.width, n.rect.height});
  for (const auto& g : scene->groups) p.rects.push_back({g.rect.x, g.rect.y, g.rect.width, g.rect.height});
  return p;
}

Placed layoutOf(const Model& model) {
  // On a worker thread, as the studio lays out.
  return std::async(std::launch::async, [&model] { return layoutHere(model); }).get();
}

bool anyOverlap(const Placed& p) {
  for (size_t i = 0; i < p.rects.size(); ++i)
    for (size_t j = i + 1; j < p.rects.size(); ++j) {
      const auto& a = p.rects[i];
      const auto& b = p.rects[j];
      // Nodes only (groups contain their nodes): compare same-size boxes loosely.
      const bool separate = a[0] + a[2] <= b[0] + 0.01 || b[0] + b[2] <= a[0] + 0.01 || a[1] + a[3] <= b[1] + 0.01 ||
                            b[1] + b[3] <= a[1] + 0.01;
      const bool nested = (a[0] <= b[0] && a[1] <= b[1] && a[0] + a[2] >= b[0] + b[2] && a[1] + a[3] >= b[1] + b[3]) ||
                          (b[0] <= a[0] && b[1] <= a[1] && b[0] + b[2] >= a[0] + a[2] && b[1] + b[3] >= a[1] + a[3]);
      if (!separate && !nested) return true;
    }
  return false;
}

std::string matchKey(const MatchReport& r) {
  std::string out;
  for (const auto& m : r.matches) {
    out += m.rule + ":";
    for (auto id : m.nodeIds) out += std::to_string(id) + ",";
    out += "\n";
  }
  return out;
}

}  // namespace

class TestLocale : public QObject {
  Q_OBJECT

  std::string comma_;  // the decimal-comma locale in use, empty when none can be had
  QTemporaryDir dir_;

  void useC() { std::setlocale(LC_ALL, "C"); }
  void useComma() { std::setlocale(LC_ALL, comma_.c_str()); }

 private slots:
  void initTestCase() {
    spdlog::set_level(spdlog::level::warn);
    for (const char* name : {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "fr_FR.utf8"}) {
      if (std::setlocale(LC_ALL, name)) {
        comma_ = name;
        break;
      }
    }
    if (!comma_.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", 0.5);
      QVERIFY2(std::string(buf) == "0,5", "the decimal-comma locale does not write 0,5");
    }
    useC();
  }

  void cleanupTestCase() { useC(); }

  void decimalCommaLocaleIsAvailable() {
    if (comma_.empty())
      QSKIP("neither de_DE.UTF-8 nor fr_FR.UTF-8 is installed (scripts/setup generates them with localedef)");
  }

  void numbersHelpersIgnoreTheLocale() {
    if (comma_.empty()) QSKIP("no decimal-comma locale");
    useComma();
    QCOMPARE(formatFixed(0.5, 4), std::string("0.5000"));
    QCOMPARE(formatGeneral(1e-5), std::string("1e-05"));
    QCOMPARE(parseNumber("0.75").value_or(-1), 0.75);
    QVERIFY(!parseNumber("0,75"));
    auto v = evalNumberExpression("0.5 * 3");
    QVERIFY2(v, v.message().c_str());
    QCOMPARE(v.value(), 1.5);
    useC();
  }

  void layoutIsTheSameUnderDecimalComma_data() {
    QTest::addColumn<QString>("model");
    // The Loop/If models of the backend test data, and a 12-layer decoder with module groups
    // (built in memory) standing for a real network.
    for (const char* m : {"node/test_if/model.onnx", "node/test_loop11/model.onnx", "pytorch-converted/test_Conv2d/model.onnx",
                          "decoder"})
      QTest::newRow(m) << QString(m);
  }

  void layoutIsTheSameUnderDecimalComma() {
    if (comma_.empty()) QSKIP("no decimal-comma locale");
    QFETCH(QString, model);
    std::unique_ptr<Model> built;
    if (model == "decoder") {
      built = test::makeDecoder(12);
    } else {
      const std::string path = test::testdataDir() + "/" + model.toStdString();
      if (!fs::exists(path)) QSKIP(("missing " + path).c_str());
      auto loaded = loadModel(path);
      QVERIFY2(loaded, loaded.message().c_str());
      built = std::move(loaded.value());
    }
    auto* m = &built;
    useC();
    Placed c = layoutOf(**m);
    useComma();
    Placed comma = layoutOf(**m);
    useC();
    QVERIFY(!c.rects.empty());
    QVERIFY2(!anyOverlap(comma), "boxes overlap under the decimal-comma locale");
    QVERIFY2(c == comma, "positions differ between the C and the decimal-comma locale");
  }

  void ruleMatchesAreTheSameUnderDecimalComma() {
    // The BERT-style encoder: declared rules with decimal constants (LayerNorm epsilon, GELU's
    // 0.5 and 1.4142...) stopped matching when the rule files were parsed under de_DE.
    if (comma_.empty()) QSKIP("no decimal-comma locale");
    QVERIFY(dir_.isValid());
    QProcess py;
    py.setProcessChannelMode(QProcess::MergedChannels);
    py.start("/usr/bin/python3", {QString::fromStdString(test::sourceDir() + "/tests/models/make_rewrite_models.py"),
                                  dir_.path(), "bert13"});
    if (!py.waitForStarted(30000)) QSKIP("/usr/bin/python3 is not available to export the BERT model");
    QVERIFY2(py.waitForFinished(600000), "exporting the BERT model timed out");
    const QByteArray out = py.readAll();
    if (out.contains("No module named 'torch'")) QSKIP("torch is not installed: cannot export the BERT model");
    QVERIFY2(py.exitCode() == 0, out.constData());
    auto m = loadModel(dir_.path().toStdString() + "/bert13.onnx");
    QVERIFY2(m, m.message().c_str());

    auto matchUnder = [&](bool comma) {
      comma ? useComma() : useC();
      auto profile = findProfile("onnxruntime-cpu");
      if (!profile) qFatal("%s", profile.message().c_str());
      auto rw = Rewriter::create(*profile);
      if (!rw) qFatal("%s", rw.message().c_str());
      MatchReport r = rw->match(*m.value());
      useC();
      return r;
    };
    MatchReport c = matchUnder(false);
    MatchReport comma = matchUnder(true);
    QVERIFY(c.matches.size() > 10);
    QCOMPARE(comma.matches.size(), c.matches.size());
    QCOMPARE(matchKey(comma), matchKey(c));
  }

  void stringCastReadsDecimalPointUnderDecimalComma() {
    if (comma_.empty()) QSKIP("no decimal-comma locale");
    useComma();
    Array s(onnx::TensorProto::STRING, {2});
    s.strings() = {"0.5", "-1.25e2"};
    auto f = castArray(s, onnx::TensorProto::FLOAT);
    useC();
    QVERIFY2(f, f.message().c_str());
    QCOMPARE(f->data<float>()[0], 0.5f);
    QCOMPARE(f->data<float>()[1], -125.0f);
  }
};

QTEST_GUILESS_MAIN(TestLocale)
#include "test_locale.moc"
