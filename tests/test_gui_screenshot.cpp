// `graft --screenshot` through the real executable: it opens a model without a window, waits for
// the canvas layout, and writes a PNG of the requested size showing the graph; --select marks a
// node, --expand all opens every group; bad arguments fail with a message and no file.
#include <QApplication>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <set>

#include "canvas/canvas_style.h"
#include "graft/io.h"
#include "models/decoder_builder.h"
#include "testutil.h"

using namespace graft;

namespace {

struct Shot {
  int exitCode = -1;
  QString err;
  QImage image;
};

Shot screenshot(const QString& png, const QStringList& extra, const QString& model, const QString& size = "1000x700",
                const QString& lang = QString()) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("QT_QPA_PLATFORM", "offscreen");
  if (lang.isEmpty()) {
    env.insert("LANGUAGE", "en");  // compare against English colours/texts only; no locale effect
  } else {
    env.insert("LANG", lang);
    env.insert("LANGUAGE", lang.section('_', 0, 0));
    env.remove("LC_ALL");
  }
  p.setProcessEnvironment(env);
  QStringList args = {"--screenshot", png, "--size", size};
  args << extra << model;
  p.start(QStringLiteral(GRAFT_STUDIO_PATH), args);
  Shot shot;
  if (!p.waitForFinished(180000)) {
    p.kill();
    p.waitForFinished();
    shot.err = "graft did not finish";
    return shot;
  }
  shot.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  shot.err = QString::fromUtf8(p.readAllStandardError());
  if (QFileInfo::exists(png)) shot.image = QImage(png).convertToFormat(QImage::Format_RGB32);
  return shot;
}

bool near(QRgb a, const QColor& b, int tolerance) {
  return std::abs(qRed(a) - b.red()) <= tolerance && std::abs(qGreen(a) - b.green()) <= tolerance &&
         std::abs(qBlue(a) - b.blue()) <= tolerance;
}

// Pixels of exactly one of these colours (within a small tolerance for antialiasing).
int countColour(const QImage& image, const std::vector<QColor>& colours, int tolerance = 2) {
  int n = 0;
  for (int y = 0; y < image.height(); ++y) {
    const QRgb* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    for (int x = 0; x < image.width(); ++x)
      for (const QColor& c : colours)
        if (near(line[x], c, tolerance)) {
          ++n;
          break;
        }
  }
  return n;
}

int distinctColours(const QImage& image) {
  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2)
    for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
  return static_cast<int>(colours.size());
}

}  // namespace

class TestGuiScreenshot : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY2(QFileInfo::exists(GRAFT_STUDIO_PATH), "graft was not built");
    QVERIFY(dir_.isValid());
    // 40 layers, 323 nodes: more than the canvas opens expanded, so like a real decoder it
    // opens with its layers collapsed.
    auto decoder = test::makeDecoder(40);
    QVERIFY(decoder->graph().nodeCount() > 300);
    decoder_ = dir_.filePath("decoder.onnx");
    QVERIFY(static_cast<bool>(saveModel(*decoder, decoder_.toStdString())));
    // What the canvas paints with, in the same (offscreen, default) palette graft gets.
    palette_ = CanvasPalette::fromPalette(QApplication::palette());
    for (int c = 0; c < static_cast<int>(palette_.categoryFill.size()); ++c)
      if (palette_.categoryFill[c] != palette_.collapsedFill) opFills_.push_back(palette_.categoryFill[c]);
  }

  void writesAPictureOfTheGraphAtTheRequestedSize() {
    const QString conv = QString::fromStdString(test::testdataDir() + "/pytorch-converted/test_Conv2d/model.onnx");
    Shot shot = screenshot(dir_.filePath("conv.png"), {}, conv, "900x650");
    QCOMPARE(shot.exitCode, 0);
    QVERIFY2(!shot.image.isNull(), qPrintable(shot.err));
    QCOMPARE(shot.image.size() / shot.image.devicePixelRatio(), QSize(900, 650));
    QVERIFY2(distinctColours(shot.image) > 40, "the screenshot looks blank");
    // The Conv box is drawn in its category colour: a filled box, not a speck.
    const int convFill = countColour(shot.image, {palette_.fill(OpCategory::Convolution)});
    QVERIFY2(convFill > 300, qPrintable(QString("conv-coloured pixels: %1").arg(convFill)));
    save(shot.image, "conv");
  }

  // A narrow window keeps the size asked for in every language the studio ships: long German
  // labels, the node count and the status line are cut or moved into a menu, they do not widen
  // the window (German needed 1048 pixels, and English on another machine's fonts 920). 640
  // pixels tall leaves room for the docks' minimum heights, which vary by a few pixels while a
  // model is still being analysed.
  void keepsTheRequestedSizeInEveryLanguage() {
    const QString conv = QString::fromStdString(test::testdataDir() + "/pytorch-converted/test_Conv2d/model.onnx");
    for (const QString& lang : {QStringLiteral("en_US.UTF-8"), QStringLiteral("de_DE.UTF-8"), QStringLiteral("zh_CN.UTF-8")}) {
      for (const QString& dock : {QStringLiteral("model"), QStringLiteral("rewrite"), QStringLiteral("quantize")}) {
        Shot shot = screenshot(dir_.filePath("small-" + lang + "-" + dock + ".png"), {"--dock", dock}, conv, "760x640", lang);
        QVERIFY2(shot.exitCode == 0, qPrintable(lang + ": " + shot.err));
        QVERIFY2(shot.image.size() / shot.image.devicePixelRatio() == QSize(760, 640),
                 qPrintable(QStringLiteral("%1, %2 dock: %3x%4").arg(lang, dock).arg(shot.image.width()).arg(shot.image.height())));
      }
    }
  }

  void selectMarksTheNode() {
    Shot plain = screenshot(dir_.filePath("plain.png"), {}, decoder_);
    QCOMPARE(plain.exitCode, 0);
    Shot selected = screenshot(dir_.filePath("selected.png"), {"--select", "/h.0/attn/Softmax"}, decoder_);
    QCOMPARE(selected.exitCode, 0);
    QVERIFY2(!selected.image.isNull(), qPrintable(selected.err));
    QCOMPARE(selected.image.size() / selected.image.devicePixelRatio(), QSize(1000, 700));
    QVERIFY2(distinctColours(selected.image) > 40, "the screenshot looks blank");
    // The node sits in a collapsed layer: --select opened it, so op boxes are on screen now,
    // and the selection outline is drawn.
    const int selectionBefore = countColour(plain.image, {palette_.selection}, 12);
    const int selectionAfter = countColour(selected.image, {palette_.selection}, 12);
    QVERIFY2(selectionAfter > selectionBefore + 40,
             qPrintable(QString("selection pixels %1 -> %2").arg(selectionBefore).arg(selectionAfter)));
    QVERIFY(countColour(selected.image, opFills_) > 1000);
    QVERIFY(selected.image != plain.image);
    save(plain.image, "decoder-plain");
    save(selected.image, "decoder-select");
  }

  void expandAllOpensEveryGroup() {
    Shot collapsed = screenshot(dir_.filePath("collapsed.png"), {}, decoder_);
    QCOMPARE(collapsed.exitCode, 0);
    Shot expanded = screenshot(dir_.filePath("expanded.png"), {"--expand", "all"}, decoder_);
    QCOMPARE(expanded.exitCode, 0);
    QVERIFY2(!expanded.image.isNull(), qPrintable(expanded.err));
    QCOMPARE(expanded.image.size() / expanded.image.devicePixelRatio(), QSize(1000, 700));
    QVERIFY2(distinctColours(expanded.image) > 40, "the screenshot looks blank");
    // Collapsed layers are cards; with every group open there are none, only op boxes.
    const int cardsBefore = countColour(collapsed.image, {palette_.collapsedFill}, 1);
    const int cardsAfter = countColour(expanded.image, {palette_.collapsedFill}, 1);
    const int opsBefore = countColour(collapsed.image, opFills_);
    const int opsAfter = countColour(expanded.image, opFills_);
    QVERIFY2(cardsBefore > 2000 && cardsAfter < cardsBefore / 10,
             qPrintable(QString("card pixels %1 -> %2").arg(cardsBefore).arg(cardsAfter)));
    QVERIFY2(opsAfter > opsBefore + 2000, qPrintable(QString("op pixels %1 -> %2").arg(opsBefore).arg(opsAfter)));
    // Both, together: the selected node in the opened graph.
    Shot both = screenshot(dir_.filePath("both.png"), {"--expand", "all", "--select", "/h.30/attn/Softmax"}, decoder_);
    QCOMPARE(both.exitCode, 0);
    QVERIFY(countColour(both.image, {palette_.selection}, 12) > 40);
    save(collapsed.image, "decoder-collapsed");
    save(expanded.image, "decoder-expanded");
    save(both.image, "decoder-expanded-select");
  }

  void badArgumentsFailWithoutAFile() {
    const QString png = dir_.filePath("never.png");
    Shot unknownNode = screenshot(png, {"--select", "no/such/node"}, decoder_);
    QCOMPARE(unknownNode.exitCode, 1);
    QVERIFY2(unknownNode.err.contains("no/such/node"), qPrintable(unknownNode.err));
    QVERIFY(!QFileInfo::exists(png));
    Shot badExpand = screenshot(png, {"--expand", "some"}, decoder_);
    QCOMPARE(badExpand.exitCode, 2);
    QVERIFY2(badExpand.err.contains("--expand"), qPrintable(badExpand.err));
    QVERIFY(!QFileInfo::exists(png));
  }

 private:
  void save(const QImage& image, const QString& name) {
    // GRAFT_CANVAS_SHOTS=dir keeps the pictures for a human to look at.
    const QString out = qEnvironmentVariable("GRAFT_CANVAS_SHOTS");
    if (!out.isEmpty()) image.save(out + "/" + name + ".png");
  }

  QTemporaryDir dir_;
  QString decoder_;
  CanvasPalette palette_;
  std::vector<QColor> opFills_;
};

QTEST_MAIN(TestGuiScreenshot)
#include "test_gui_screenshot.moc"
