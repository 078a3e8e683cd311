// What a new user hits first, offscreen: File → Export Graph and `graft --export-graph`
// (the graph alone, same bytes under any locale), --select on a model shown before its
// analysis, nothing pre-selected after opening, and op docs that keep their Tensor<T>.
#include <QApplication>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <clocale>

#include <QRegularExpression>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "canvas/minimap.h"
#include "model_properties_panel.h"
#include "canvas/tensor_viewer.h"
#include "graft/eval.h"
#include "rewrite/rewrite_panel.h"
#include "rewrite/rewrite_session.h"

#include <QCheckBox>
#include <QLabel>
#include <QDockWidget>
#include <QPushButton>
#include <QScrollArea>
#include <cmath>
#include "graft/io.h"
#include "main_window.h"
#include "models/decoder_builder.h"
#include "node_details_panel.h"
#include "testutil.h"

using namespace graft;

namespace {

struct Run {
  int exitCode = -1;
  QString err;
  QString out;  // the log (spdlog writes to standard output)
};

Run runGraft(const QStringList& args, const QString& locale = QStringLiteral("C.UTF-8")) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("QT_QPA_PLATFORM", "offscreen");
  env.insert("LANG", locale);
  env.insert("LC_ALL", locale);
  env.remove("LANGUAGE");
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(GRAFT_STUDIO_PATH), args);
  Run r;
  if (!p.waitForFinished(180000)) {
    p.kill();
    p.waitForFinished();
    r.err = "graft did not finish";
    return r;
  }
  r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.err = QString::fromUtf8(p.readAllStandardError());
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  return r;
}

QByteArray bytesOf(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool openAndWait(MainWindow& w, const QString& path) {
  QSignalSpy loaded(&w, &MainWindow::modelLoaded);
  w.openFile(path);
  return loaded.wait(60000) || loaded.count() > 0;
}

bool settle(GraphCanvas& canvas, int timeoutMs = 60000) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (!canvas.isLayoutRunning() && canvas.currentScene()) {
      QCoreApplication::processEvents();
      if (!canvas.isLayoutRunning()) return true;
    }
    QTest::qWait(10);
  }
  return false;
}

QAction* findAction(QWidget* w, const QString& name) { return w->findChild<QAction*>(name); }

bool localeAvailable(const char* name) {
  const char* before = std::setlocale(LC_ALL, nullptr);
  std::string saved = before ? before : "C";
  const bool ok = std::setlocale(LC_ALL, name) != nullptr;
  std::setlocale(LC_ALL, saved.c_str());
  return ok;
}

}  // namespace

class TestGuiFirstUse : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString decoder_;  // a few hundred nodes
  QString big_;      // above kAnalyseBeforeShowingNodes: shown before it is analysed

 private slots:
  void initTestCase() {
    QVERIFY2(QFileInfo::exists(GRAFT_STUDIO_PATH), "graft was not built");
    QVERIFY(dir_.isValid());
    decoder_ = dir_.filePath("decoder.onnx");
    QVERIFY(static_cast<bool>(saveModel(*test::makeDecoder(12), decoder_.toStdString())));
    auto big = test::makeDecoder(420);
    QVERIFY(big->graph().nodeCount() > 3000);
    big_ = dir_.filePath("big.onnx");
    QVERIFY(static_cast<bool>(saveModel(*big, big_.toStdString())));
  }

  void exportGraphWritesTheGraphAloneAsSvgAndPng() {
    const QString svg = dir_.filePath("graph.svg");
    Run r = runGraft({"--export-graph", svg, "--expand", "all", decoder_});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QByteArray bytes = bytesOf(svg);
    QVERIFY(bytes.contains("<svg"));
    // The graph's own names are drawn; the window's (menus, docks) are not.
    QVERIFY(bytes.contains("Softmax"));
    QVERIFY(!bytes.contains("Log") || !bytes.contains("Backend"));

    const QString png = dir_.filePath("graph.png");
    r = runGraft({"--export-graph", png, "--size", "1000x700", decoder_});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY2(image.size() != QSize(1000, 700), "that is the window, not the graph");
  }

  void helpWorksWithoutADisplay() {
    // It aborted in QApplication ("could not connect to display") before printing anything.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* var : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) env.remove(var);
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(GRAFT_STUDIO_PATH), {"--help"});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("--export-graph"));
  }

  void screenshotWaitsForTheRulesToBeMatched() {
    // The picture used to show "Matching…" with an empty list, depending on timing.
    const QString png = dir_.filePath("matched.png");
    Run r = runGraft({"--screenshot", png, "--dock", "rewrite", decoder_});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!QImage(png).isNull());
    static const QRegularExpression shown(QStringLiteral("(\\d+) rule matches shown"));
    const auto m = shown.match(r.out);
    QVERIFY2(m.hasMatch(), qPrintable(r.out));
    QVERIFY2(m.captured(1).toInt() > 0, qPrintable(r.out));
    QCOMPARE(runGraft({"--screenshot", png, "--dock", "nosuchpanel", decoder_}).exitCode, 2);
  }

  void exportGraphExitCodesAreThoseOfScreenshot() {
    const QString out = dir_.filePath("x.svg");
    QCOMPARE(runGraft({"--export-graph", out, dir_.filePath("missing.onnx")}).exitCode, 1);
    QCOMPARE(runGraft({"--export-graph", out, "--expand", "some", decoder_}).exitCode, 2);
    QCOMPARE(runGraft({"--export-graph", out, "--select", "no/such/node", decoder_}).exitCode, 1);
    QCOMPARE(runGraft({"--export-graph", out}).exitCode, 2);
    QCOMPARE(runGraft({"--export-graph", dir_.filePath("no/such/folder/x.png"), decoder_}).exitCode, 1);
  }

  void exportGraphIsByteIdenticalUnderFrenchAndC() {
    if (!localeAvailable("fr_FR.UTF-8"))
      QSKIP("fr_FR.UTF-8 is not installed (scripts/setup generates it with localedef)");
    for (const char* suffix : {"svg", "png"}) {
      const QString c = dir_.filePath(QStringLiteral("c.%1").arg(suffix));
      const QString fr = dir_.filePath(QStringLiteral("fr.%1").arg(suffix));
      Run rc = runGraft({"--export-graph", c, "--expand", "all", decoder_}, "C.UTF-8");
      Run rf = runGraft({"--export-graph", fr, "--expand", "all", decoder_}, "fr_FR.UTF-8");
      QVERIFY2(rc.exitCode == 0 && rf.exitCode == 0, qPrintable(rc.err + rf.err));
      const QByteArray a = bytesOf(c), b = bytesOf(fr);
      QVERIFY(!a.isEmpty());
      QVERIFY2(a == b, suffix);
    }
  }

  void selectWorksBeforeTheAnalysisOfALargeModel() {
    // Above 3,000 nodes the model is shown before its analysis; --select used to fail there.
    const QString png = dir_.filePath("big.png");
    Run r = runGraft({"--export-graph", png, "--select", "/h.400/attn/Softmax", big_});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(!QImage(png).isNull());

    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QString error;
    QVERIFY2(w.chooseBackend(QStringLiteral("onnxruntime-cpu"), &error), qPrintable(error));
    QSignalSpy analysed(&w, &MainWindow::modelAnalysed);
    QVERIFY(openAndWait(w, big_));
    QVERIFY(w.document()->analysisPending);
    // The rewrite dock says why nothing is matched yet, not "Open a model".
    auto* summary = w.rewritePanel()->findChild<QLabel*>(QStringLiteral("rewriteSummary"));
    QVERIFY(summary);
    QVERIFY2(summary->text().contains(QStringLiteral("Analysing")), qPrintable(summary->text()));
    QVERIFY(w.selectNode("/h.400/attn/Softmax"));
    QVERIFY(settle(*w.graphCanvas()));
    QVERIFY(w.graphCanvas()->selectedNode());
    QCOMPARE(w.graphCanvas()->selectedNode()->name(), std::string("/h.400/attn/Softmax"));
    // Once the analysis is in, the table selects the same node (the spy exists since before
    // the model was opened: the analysis can finish before this line).
    if (analysed.count() == 0) QVERIFY(analysed.wait(120000));
    QVERIFY(w.nodeTable()->currentIndex().isValid());
  }

  void nothingIsSelectedAfterOpening() {
    MainWindow w(MainWindow::Options{false, false});
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    QVERIFY(settle(*w.graphCanvas()));
    QVERIFY(!w.graphCanvas()->selectedNode());
    QVERIFY(!w.nodeTable()->selectionModel()->hasSelection());
  }

  void fileMenuExportsWholeVisibleAndSelection() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QAction* whole = findAction(&w, "actionExportWhole");
    QAction* visible = findAction(&w, "actionExportVisible");
    QAction* selection = findAction(&w, "actionExportSelection");
    QVERIFY(whole && visible && selection);
    QVERIFY(openAndWait(w, decoder_));
    QVERIFY(settle(*w.graphCanvas()));
    const QString all = w.exportGraphAs(GraphCanvas::ExportArea::Whole, dir_.filePath("all.png"));
    QVERIFY(!all.isEmpty());
    // Nothing selected: nothing to export, and it says so.
    QVERIFY(w.exportGraphAs(GraphCanvas::ExportArea::Selection, dir_.filePath("sel.png")).isEmpty());
    QVERIFY(w.selectNode("/h.0/attn/Softmax"));
    QVERIFY(settle(*w.graphCanvas()));
    QVERIFY(!w.exportGraphAs(GraphCanvas::ExportArea::Selection, dir_.filePath("sel.png")).isEmpty());
    QVERIFY(!w.exportGraphAs(GraphCanvas::ExportArea::Visible, dir_.filePath("vis.svg")).isEmpty());
    const QSize wholeSize = QImage(all).size(), selSize = QImage(dir_.filePath("sel.png")).size();
    QVERIFY2(selSize.width() < wholeSize.width() || selSize.height() < wholeSize.height(),
             "the selection export is not smaller than the whole graph");
    QVERIFY(bytesOf(dir_.filePath("vis.svg")).contains("<svg"));
  }

  void noShortcutIsRegisteredTwice() {
    // Redo listed Ctrl+Shift+Z twice ("Ambiguous shortcut overload") and did nothing.
    MainWindow w(MainWindow::Options{false, false});
    QMap<QString, QString> owner;
    for (QAction* a : w.findChildren<QAction*>()) {
      for (const QKeySequence& k : a->shortcuts()) {
        const QString key = k.toString(QKeySequence::PortableText);
        const QString name = a->text().isEmpty() ? a->objectName() : a->text();
        QVERIFY2(!owner.contains(key), qPrintable(key + " is used by " + owner.value(key) + " and " + name));
        owner.insert(key, name);
      }
    }
    QVERIFY(owner.contains("Ctrl+Shift+Z"));
    QVERIFY(w.redoAction()->shortcuts().contains(QKeySequence("Ctrl+Shift+Z")));
  }

  void saveAsRenamesTheModelPanel() {
    MainWindow w(MainWindow::Options{false, false});
    QVERIFY(openAndWait(w, decoder_));
    QTemporaryDir other;
    const QString target = other.filePath("renamed.onnx");
    QString error;
    QVERIFY2(w.saveTo(target, &error), qPrintable(error));
    auto* tree = w.propertiesPanel()->findChild<QTreeWidget*>();
    if (!tree) tree = qobject_cast<QTreeWidget*>(w.propertiesPanel());
    QVERIFY(tree);
    QStringList values;
    for (QTreeWidgetItemIterator it(tree); *it; ++it) values << (*it)->text(1);
    QVERIFY2(values.contains("renamed.onnx"), qPrintable(values.join(" | ")));
    QVERIFY2(values.contains(QFileInfo(target).absolutePath()), qPrintable(values.join(" | ")));
  }

  void viewMenuZoomsFitsAndHidesLabelsAndMinimap() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    QVERIFY(settle(*w.graphCanvas()));
    GraphView* view = w.graphCanvas()->view();
    const double before = view->scale();
    findAction(&w, "actionZoomIn")->trigger();
    QVERIFY(view->scale() > before);
    findAction(&w, "actionZoomOut")->trigger();
    QVERIFY(std::abs(view->scale() - before) < 1e-6);
    findAction(&w, "actionActualSize")->trigger();
    QCOMPARE(view->scale(), 1.0);
    QAction* labels = findAction(&w, "actionEdgeLabels");
    QVERIFY(labels && labels->isChecked());
    labels->setChecked(false);
    QVERIFY(!view->paintState().edgeLabels);
    QAction* minimap = findAction(&w, "actionMinimap");
    QVERIFY(minimap && minimap->isChecked());
    minimap->setChecked(false);
    QVERIFY(!w.graphCanvas()->minimap()->isVisible());
    QVERIFY(findAction(&w, "actionFit"));
    QVERIFY(findAction(&w, "actionShortcuts"));
    // Help → Keyboard Shortcuts lists the menu shortcuts and the canvas keys.
    int rows = 0;
    w.setShortcutsHook([&](QDialog* d) {
      auto* tree = d->findChild<QTreeWidget*>("shortcutsTree");
      rows = tree ? tree->topLevelItemCount() : 0;
    });
    w.showShortcuts();
    QVERIFY2(rows > 10, qPrintable(QString::number(rows)));
  }

  void expandAllKeepsTheSelectedNodeInPlace() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    GraphCanvas* canvas = w.graphCanvas();
    QVERIFY(settle(*canvas));
    QVERIFY(w.selectNode("/h.6/attn/Softmax"));
    QVERIFY(settle(*canvas));
    auto screenPos = [&]() -> QPointF {
      const CanvasScene* s = canvas->currentScene();
      const Node* n = canvas->selectedNode();
      if (!s || !n) return QPointF(-1e9, -1e9);
      int idx = s->graph->layout->findNode(n->id());
      int box = idx >= 0 ? s->layout.nodeBox[static_cast<size_t>(idx)] : -1;
      if (box < 0) return QPointF(-1e9, -1e9);
      const auto& r = s->layout.nodes[static_cast<size_t>(box)].rect;
      return canvas->view()->mapFromScene(QPointF(r.x + r.width / 2, r.y + r.height / 2));
    };
    const QPointF before = screenPos();
    QVERIFY(before.x() > -1e8);
    canvas->expandAll();
    QVERIFY(settle(*canvas));
    const QPointF after = screenPos();
    QVERIFY2((after - before).manhattanLength() < 4,
             qPrintable(QStringLiteral("moved from %1,%2 to %3,%4").arg(before.x()).arg(before.y()).arg(after.x()).arg(after.y())));
  }

  void fitStopsAtALegibleZoomOnDeepGraphs() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    GraphCanvas* canvas = w.graphCanvas();
    QVERIFY(settle(*canvas));
    canvas->expandAll();
    QVERIFY(settle(*canvas));
    canvas->view()->fitToView();
    QVERIFY2(canvas->view()->scale() >= GraphView::kMinFitScale - 1e-9, qPrintable(QString::number(canvas->view()->scale())));
    // Something is in view: the middle of the viewport is within the graph.
    QVERIFY(canvas->currentScene()->bounds().intersects(canvas->view()->visibleSceneRect()));
  }

  void constantsAreFoldedIntoTheirReadersByDefault() {
    // The decoder's layers read Constant nodes (shapes, scales): badges, not boxes.
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1200, 800);
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    GraphCanvas* canvas = w.graphCanvas();
    QVERIFY(settle(*canvas));
    auto constantBoxes = [&] {
      int n = 0;
      for (const auto& node : canvas->currentScene()->graph->layout->nodes) n += node.opType == "Constant";
      return n;
    };
    int constants = 0;
    w.document()->model->graph().forEachNode([&](const Node& n) { constants += n.opType() == "Constant"; });
    QVERIFY(constants > 0);
    QCOMPARE(constantBoxes(), 0);
    QAction* fold = findAction(&w, "actionFoldConstants");
    QVERIFY(fold && fold->isChecked());
    fold->setChecked(false);
    QVERIFY(settle(*canvas));
    QCOMPARE(constantBoxes(), constants);
  }

  void nodePanelHintNamesTheGraph() {
    MainWindow w(MainWindow::Options{false, false});
    QVERIFY(openAndWait(w, decoder_));
    const QString hint = w.detailsPanel()->toPlainText();
    QVERIFY2(hint.contains("graph"), qPrintable(hint));
  }

  void legendColoursAreDistinctAndNotTheSelection() {
    // cleanup.noop_cast and fuse.bias_gelu were the same magenta.
    MatchReport report;
    const std::vector<std::string> rules = {"cleanup.noop_cast", "fuse.bias_gelu", "fuse.attention", "fuse.layernorm",
                                            "fuse.gelu", "fuse.matmul_add_gemm", "cleanup.identity", "fuse.skip_layernorm",
                                            "fuse.conv_bn", "cleanup.dead_nodes"};
    for (const auto& r : rules) {
      Match m;
      m.rule = r;
      report.matches.push_back(m);
    }
    auto distance = [](const QColor& a, const QColor& b) {
      return std::sqrt(std::pow(a.red() - b.red(), 2) + std::pow(a.green() - b.green(), 2) + std::pow(a.blue() - b.blue(), 2));
    };
    const QColor selection = QApplication::palette().color(QPalette::Highlight);
    const std::vector<QColor> reserved = {selection, QColor(37, 99, 235), QColor(220, 38, 38), QColor(100, 116, 139),
                                          QColor(217, 119, 6)};
    std::vector<QColor> colours;
    for (const auto& r : rules) colours.push_back(RewriteSession::colorOf(r, &report));
    for (size_t i = 0; i < colours.size(); ++i) {
      for (size_t j = i + 1; j < colours.size(); ++j)
        QVERIFY2(distance(colours[i], colours[j]) > 40, (rules[i] + " and " + rules[j] + " look alike").c_str());
      for (const QColor& r : reserved)
        QVERIFY2(distance(colours[i], r) > 60, (rules[i] + " looks like " + r.name().toStdString()).c_str());
    }
  }

  void overlaySwitchAndLegendHideRings() {
    MatchReport report;
    Match a, b;
    a.rule = "fuse.gelu";
    a.nodeIds = {1, 2};
    b.rule = "cleanup.noop_cast";
    b.nodeIds = {3};
    report.matches = {a, b};
    BlockerHit block;
    block.node = 4;
    block.reason = "custom op";
    report.blocks.push_back(block);
    RewritePanel::OverlayFilter filter;
    auto all = RewritePanel::makeOverlay(report, -1, QColor(), filter);
    QCOMPARE(all->outlines.size(), size_t(4));
    filter.hidden.insert("fuse.gelu");
    auto some = RewritePanel::makeOverlay(report, -1, QColor(), filter);
    QVERIFY(!some->outlines.count(1) && !some->outlines.count(2));
    QVERIFY(some->outlines.count(3) && some->outlines.count(4));
    filter.hidden.insert("@blocks");
    QVERIFY(!RewritePanel::makeOverlay(report, -1, QColor(), filter)->outlines.count(4));
    filter.enabled = false;
    QVERIFY(RewritePanel::makeOverlay(report, -1, QColor(), filter)->outlines.empty());
    // The dock's switch and legend drive the filter.
    MainWindow w(MainWindow::Options{false, false});
    RewritePanel* panel = w.rewritePanel();
    QSignalSpy changed(panel, &RewritePanel::overlayFilterChanged);
    panel->overlaySwitch()->setChecked(false);
    QVERIFY(!panel->overlayFilter().enabled);
    panel->setRuleShown("fuse.gelu", false);
    QVERIFY(panel->overlayFilter().hidden.count("fuse.gelu"));
    QCOMPARE(changed.count(), 2);
  }

  void whyNotGroupsByRuleAndHidesTheRestBehindShowAll() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1600, 1000);
    w.show();
    QVERIFY(openAndWait(w, decoder_));
    QString error;
    QVERIFY2(w.chooseBackend(QStringLiteral("onnxruntime-cpu"), &error), qPrintable(error));
    RewriteSession* session = w.rewriteSession();
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 60000);
    const MatchReport& report = *session->report();
    const RankedNearMisses kept = rankNearMisses(report), all = rankNearMisses(report, true);
    QVERIFY2(kept.shown > 0 && all.shown > kept.shown,
             qPrintable(QStringLiteral("the decoder should have near misses beyond those kept: %1 of %2").arg(kept.shown).arg(all.shown)));
    RewritePanel* panel = w.rewritePanel();
    QTreeWidget* tree = panel->whyNotTree();
    auto check = [&](const RankedNearMisses& want) {
      QCOMPARE(tree->topLevelItemCount(), static_cast<int>(want.groups.size()));
      for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem* g = tree->topLevelItem(i);
        // Each group names its rule and holds that rule's near misses, each with its reason.
        const auto& group = want.groups[static_cast<size_t>(i)];
        QVERIFY2(g->text(0).startsWith(QString::fromStdString(group.rule)), qPrintable(g->text(0)));
        QCOMPARE(g->childCount(), static_cast<int>(group.shown.size()));
        for (int c = 0; c < g->childCount(); ++c) QVERIFY(!g->child(c)->text(1).isEmpty());
      }
    };
    check(kept);
    QVERIFY(panel->showAllNearMissesBox()->isEnabled());
    // The counts are in the label beside the box (it wraps; the box's own text stays short).
    auto* counts = panel->findChild<QLabel*>(QStringLiteral("rewriteNearMissCount"));
    QVERIFY(counts);
    QVERIFY2(counts->text().contains(QString::number(all.shown)), qPrintable(counts->text()));
    panel->showAllNearMissesBox()->setChecked(true);
    check(all);
    // Choosing a near miss selects its root on the canvas.
    QTreeWidgetItem* first = tree->topLevelItem(0)->child(0);
    tree->setCurrentItem(first);
    QTRY_VERIFY(w.graphCanvas()->selectedNode() != nullptr);
  }

  void tensorValuesSaveAsNpy() {
    const QString conv = QString::fromStdString(test::testdataDir() + "/pytorch-converted/test_Conv2d/model.onnx");
    if (!QFileInfo::exists(conv)) QSKIP("libonnx-testdata is missing");
    MainWindow w(MainWindow::Options{false, false});
    QVERIFY(openAndWait(w, conv));
    const Value* weight = nullptr;
    for (const Value* v : w.document()->model->graph().initializers()) weight = weight ? weight : v;
    QVERIFY(weight);
    w.showTensorValues(QString::fromStdString(weight->name()));
    auto* viewer = w.findChild<TensorViewer*>();
    QVERIFY(viewer && viewer->canSave());
    const QString path = dir_.filePath("weight.npy");
    QString error;
    QVERIFY2(viewer->saveNpy(path, &error), qPrintable(error));
    auto back = readNpy(path.toStdString());
    QVERIFY2(back, back.message().c_str());
    QCOMPARE(back->shape(), weight->initializer()->dims());
  }

  void valuesDockShowsItsCancelButton() {
    MainWindow w(MainWindow::Options{false, false});
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w) || true);
    auto* dock = w.findChild<QDockWidget*>("valuesDock");
    QVERIFY(dock);
    dock->show();
    dock->raise();
    QCoreApplication::processEvents();
    auto* cancel = w.findChild<QPushButton*>("runCancelButton");
    QVERIFY(cancel);
    auto* scroll = qobject_cast<QScrollArea*>(dock->widget());
    QVERIFY(scroll);
    const QRect inViewport(cancel->mapTo(scroll->viewport(), QPoint(0, 0)), cancel->size());
    QVERIFY2(scroll->viewport()->rect().contains(inViewport),
             qPrintable(QStringLiteral("Cancel at %1,%2 %3x%4 in a %5 px wide dock")
                            .arg(inViewport.x()).arg(inViewport.y()).arg(inViewport.width()).arg(inViewport.height())
                            .arg(scroll->viewport()->width())));
  }

  void reluDocumentationKeepsTensorT() {
    MainWindow w(MainWindow::Options{false, false});
    const QString relu = QString::fromStdString(test::testdataDir() + "/node/test_relu/model.onnx");
    if (!QFileInfo::exists(relu)) QSKIP("libonnx-testdata's test_relu is missing");
    QVERIFY(openAndWait(w, relu));
    QVERIFY(w.selectNode("Relu #0") || w.selectNode(QString::fromStdString(w.document()->rows.at(0).displayName)));
    const QString text = w.detailsPanel()->toPlainText();
    QVERIFY2(text.contains("Tensor<T>"), qPrintable(text.right(400)));
    QVERIFY2(text.contains("produces one output data"), qPrintable(text.right(400)));
  }
};

QTEST_MAIN(TestGuiFirstUse)
#include "test_gui_first_use.moc"
