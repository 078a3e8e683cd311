// Match and rewrite in the studio, offscreen: a model with Conv+BatchNormalization+Relu, the
// onnxruntime-cpu backend chosen in the toolbar, the match listed in the dock and ringed on the
// canvas, the preview's before/after, apply, undo, redo, and a save that keeps the provenance.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QElapsedTimer>
#include <QFile>
#include <QProgressDialog>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QUndoView>
#include <QtTest>

#include <google/protobuf/util/message_differencer.h>
#include <onnx/defs/parser.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "main_window.h"
#include "node_table_model.h"
#include "diff/diff_view.h"
#include "rewrite/preview_dialog.h"
#include "rewrite/rewrite_panel.h"
#include "rewrite/rewrite_session.h"
#include "testutil.h"

using graft::MainWindow;

namespace {

std::string floats(int n, float scale, float offset) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ", ";
    s += std::to_string(offset + scale * static_cast<float>((i * 37) % 11 - 5) / 5.0f);
  }
  return s;
}

// Conv -> BatchNormalization -> Relu, named like a PyTorch export.
bool writeConvBnRelu(const QString& path) {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
convbn (float[1,3,8,8] input) => (float[1,4,8,8] output)
<float[4,3,3,3] conv_w = {)" + floats(108, 0.2f, 0.0f) +
                           R"(}, float[4] conv_b = {)" + floats(4, 0.1f, 0.0f) + R"(},
 float[4] bn_scale = {)" + floats(4, 0.2f, 1.0f) +
                           R"(}, float[4] bn_bias = {)" + floats(4, 0.1f, 0.0f) + R"(},
 float[4] bn_mean = {)" + floats(4, 0.05f, 0.0f) +
                           R"(}, float[4] bn_var = {)" + floats(4, 0.1f, 1.0f) + R"(}>
{
  c = Conv <pads = [1, 1, 1, 1], kernel_shape = [3, 3]> (input, conv_w, conv_b)
  b = BatchNormalization <epsilon = 0.00001> (c, bn_scale, bn_bias, bn_mean, bn_var)
  output = Relu (b)
}
)";
  onnx::ModelProto proto;
  onnx::OnnxParser parser(text.c_str());
  auto st = parser.Parse(proto);
  if (!st.IsOK()) {
    qWarning("bad model text: %s", st.ErrorMessage().c_str());
    return false;
  }
  const char* names[] = {"/features/conv/Conv", "/features/bn/BatchNormalization", "/features/act/Relu"};
  for (int i = 0; i < proto.graph().node_size(); ++i) proto.mutable_graph()->mutable_node(i)->set_name(names[i]);
  std::ofstream f(path.toStdString(), std::ios::binary);
  return proto.SerializeToOstream(&f);
}

// `blocks` times Conv(1x1) -> BatchNormalization -> Relu: the onnxruntime-cpu profile has two
// rewrites per block, so applying it takes a while.
bool writeConvBnChain(const QString& path, int blocks) {
  std::string inits, body, prev = "input";
  for (int b = 0; b < blocks; ++b) {
    const std::string k = std::to_string(b);
    inits += (b ? ", " : "") + std::string("float[4,4,1,1] w") + k + " = {" + floats(16, 0.2f, 0.0f) + "}, float[4] s" + k +
             " = {" + floats(4, 0.2f, 1.0f) + "}, float[4] o" + k + " = {" + floats(4, 0.1f, 0.0f) + "}, float[4] m" + k +
             " = {" + floats(4, 0.05f, 0.0f) + "}, float[4] v" + k + " = {" + floats(4, 0.1f, 1.0f) + "}";
    const std::string out = b + 1 == blocks ? "output" : "r" + k;
    body += "  c" + k + " = Conv(" + prev + ", w" + k + ")\n  n" + k + " = BatchNormalization(c" + k + ", s" + k + ", o" + k +
            ", m" + k + ", v" + k + ")\n  " + out + " = Relu(n" + k + ")\n";
    prev = out;
  }
  const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\nchain (float[1,4,4,4] input) => (float[1,4,4,4] output)\n<" +
                           inits + ">\n{\n" + body + "}\n";
  onnx::ModelProto proto;
  onnx::OnnxParser parser(text.c_str());
  if (!parser.Parse(proto).IsOK()) return false;
  for (int i = 0; i < proto.graph().node_size(); ++i) {
    auto* n = proto.mutable_graph()->mutable_node(i);
    n->set_name("/blocks." + std::to_string(i / 3) + "/" + n->op_type());
  }
  std::ofstream f(path.toStdString(), std::ios::binary);
  return proto.SerializeToOstream(&f);
}

bool sameProto(const graft::Model& m, const onnx::ModelProto& expected, std::string* report) {
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(report);
  return d.Compare(expected, m.toProto());
}

QByteArray fileBytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Opens `path` in `w`, chooses onnxruntime-cpu and waits for its matches.
bool openAndMatch(MainWindow& w, const QString& path) {
  QSignalSpy loaded(&w, &MainWindow::modelLoaded);
  w.openFile(path);
  if (!loaded.wait(20000) && loaded.isEmpty()) return false;
  if (!w.chooseBackend(QStringLiteral("onnxruntime-cpu"))) return false;
  graft::RewriteSession* session = w.rewriteSession();
  QElapsedTimer t;
  t.start();
  while (!(session->reportCurrent() && !session->isBusy()) && t.elapsed() < 20000) QTest::qWait(20);
  return session->reportCurrent();
}

std::set<std::string> nodeNames(const graft::Model& m) {
  std::set<std::string> out;
  m.graph().forEachNode([&](const graft::Node& n) { out.insert(n.name()); });
  return out;
}

int opBoxes(const graft::GraphCanvas* canvas) {
  const graft::CanvasScene* scene = canvas->currentScene();
  if (!scene) return -1;
  int n = 0;
  for (const auto& box : scene->layout.nodes)
    if (scene->lg().nodes[box.node].kind == graft::LayoutGraph::NodeKind::Op) ++n;
  return n;
}

QTreeWidgetItem* findItem(QTreeWidget* tree, const QString& prefix) {
  for (int t = 0; t < tree->topLevelItemCount(); ++t) {
    QTreeWidgetItem* top = tree->topLevelItem(t);
    if (top->text(0).startsWith(prefix)) return top;
  }
  return nullptr;
}

// Where the screenshots go: $GRAFT_SCREENSHOT_DIR when set (to look at them), else a temp dir.
QString shotDir(const QTemporaryDir& tmp) {
  QString d = qEnvironmentVariable("GRAFT_SCREENSHOT_DIR");
  return d.isEmpty() ? tmp.path() : d;
}

}  // namespace

class TestGuiRewrite : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("graft-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_gui_rewrite"));
    qputenv("GRAFT_PROFILE_PATH", QByteArray::fromStdString(graft::test::sourceDir() + "/resources/profiles"));
  }

  void matchPreviewApplyUndoRedoSave() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("convbn.onnx"));
    QVERIFY(writeConvBnRelu(path));

    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.resize(1400, 900);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
    graft::Model& model = *w.document()->model;
    const auto originalNames = nodeNames(model);
    QCOMPARE(model.graph().nodeCount(), size_t(3));
    QTRY_VERIFY_WITH_TIMEOUT(!w.graphCanvas()->isLayoutRunning() && opBoxes(w.graphCanvas()) == 3, 20000);

    // The backend chooser offers the profiles; choosing one matches off the GUI thread.
    QComboBox* chooser = w.backendChooser();
    QVERIFY(chooser->findData(QStringLiteral("onnxruntime-cpu")) >= 0);
    QVERIFY(chooser->findData(QStringLiteral("portable")) >= 0);
    QString error;
    QVERIFY2(w.chooseBackend(QStringLiteral("onnxruntime-cpu"), &error), qPrintable(error));
    QCOMPARE(chooser->currentData().toString(), QStringLiteral("onnxruntime-cpu"));
    graft::RewriteSession* session = w.rewriteSession();
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);

    // The dock lists the BatchNormalization fusion with the nodes it takes and what it becomes.
    graft::RewritePanel* panel = w.rewritePanel();
    QTreeWidgetItem* bnRule = findItem(panel->matchTree(), QStringLiteral("fuse.bn_conv"));
    QVERIFY2(bnRule, "the dock does not list fuse.bn_conv");
    QVERIFY(bnRule->childCount() >= 1);
    QTreeWidgetItem* bnMatch = bnRule->child(0);
    QVERIFY(bnMatch->text(3).contains(QStringLiteral("/features/bn/BatchNormalization")));
    QVERIFY(bnMatch->text(3).contains(QStringLiteral("/features/conv/Conv")));
    QCOMPARE(bnMatch->text(1), QStringLiteral("-1"));
    QVERIFY(panel->legend()->text().contains(QStringLiteral("fuse.bn_conv")));

    // The canvas rings the matched nodes and explains them on hover.
    auto overlay = w.graphCanvas()->view()->overlay();
    QVERIFY(overlay);
    const graft::Node* bn = model.graph().findNodeByName("/features/bn/BatchNormalization");
    QVERIFY(bn);
    QVERIFY(overlay->outlines.count(bn->id()));
    QVERIFY(overlay->notes.at(bn->id()).contains(QStringLiteral("fuse.bn_conv")));

    // Clicking the match selects its root on the canvas.
    panel->matchTree()->setCurrentItem(bnMatch);
    QVERIFY(panel->currentMatch() >= 0);
    QTRY_VERIFY(w.graphCanvas()->selectedNode() != nullptr);
    QVERIFY(panel->applyButton()->isEnabled());

    // Preview: before and after of the region, nothing committed.
    const auto revision = model.revision();
    (void)revision;
    panel->previewButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.previewDialog() != nullptr && !session->isBusy(), 20000);
    graft::RewritePreviewDialog* preview = w.previewDialog();
    QCOMPARE(preview->beforeNodeCount(), 2);
    QCOMPARE(preview->afterNodeCount(), 1);
    // The Conv stays a Conv with folded weights: changed, not removed and added again.
    QCOMPARE(preview->removedNodes(), QStringList{QStringLiteral("/features/bn/BatchNormalization")});
    QCOMPARE(preview->changedNodes().size(), 1);
    QVERIFY(preview->addedNodes().isEmpty());
    {
      const graft::Node* conv = nullptr;
      preview->afterCanvas()->document()->model->graph().forEachNode([&](const graft::Node& n) { conv = &n; });
      QVERIFY(conv && conv->opType() == "Conv");
      QCOMPARE(QString::fromStdString(graft::MatchContext::label(conv)), preview->changedNodes().front());
      // Its new weight, which the rewrite made, is shown with its real shape, not as a scalar.
      const graft::Value* w = conv->input(1);
      QVERIFY(w && w->isInitializer() && w->name() != "conv_w");
      QCOMPARE(std::vector<std::int64_t>(w->initializer()->proto().dims().begin(), w->initializer()->proto().dims().end()),
               (std::vector<std::int64_t>{4, 3, 3, 3}));
      auto after = preview->afterCanvas()->view()->overlay();
      QVERIFY(after && after->outlines.count(conv->id()));
      QCOMPARE(after->outlines.at(conv->id()).front().color, graft::RewritePreviewDialog::changedColor());
      const graft::Node* oldConv = preview->beforeCanvas()->document()->model->graph().findNodeByName("/features/conv/Conv");
      auto beforeOv = preview->beforeCanvas()->view()->overlay();
      QVERIFY(oldConv && beforeOv->outlines.count(oldConv->id()));
      QCOMPARE(beforeOv->outlines.at(oldConv->id()).front().color, graft::RewritePreviewDialog::changedColor());
      QVERIFY(preview->findChild<QLabel*>(QStringLiteral("previewLegend"))->text().contains(QStringLiteral("changed (1)")));
    }
    QCOMPARE(model.graph().nodeCount(), size_t(3));
    QCOMPARE(nodeNames(model), originalNames);
    QTRY_VERIFY_WITH_TIMEOUT(opBoxes(preview->beforeCanvas()) == 2 && opBoxes(preview->afterCanvas()) == 1, 20000);
    QVERIFY(preview->beforeCanvas()->view()->overlay() && !preview->beforeCanvas()->view()->overlay()->outlines.empty());
    // The preview is the diff view: selecting the old Conv selects the new one, and the change
    // list holds the rewrite as one fused group.
    {
      const graft::Node* oldConv = preview->beforeCanvas()->document()->model->graph().findNodeByName("/features/conv/Conv");
      preview->beforeCanvas()->selectNode(oldConv);
      QTRY_VERIFY(preview->afterCanvas()->selectedNode() && preview->afterCanvas()->selectedNode()->opType() == "Conv");
      QCOMPARE(preview->diffView()->changeList()->model()->rowCount(), 1);
      QCOMPARE(preview->diffView()->diff()->summary.fused, std::size_t{1});
    }
    QVERIFY(preview->grab().save(shotDir(tmp) + QStringLiteral("/rewrite_preview.png")));
    QVERIFY(w.grab().save(shotDir(tmp) + QStringLiteral("/rewrite_window.png")));
    preview->close();
    QTRY_VERIFY(w.previewDialog() == nullptr);
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);

    // Apply the one match: an undoable command; node count, table and canvas follow.
    QVERIFY(panel->selectMatch(panel->currentMatch() >= 0 ? panel->currentMatch() : 0));
    QTreeWidgetItem* current = panel->matchTree()->currentItem();
    QVERIFY(current && current->parent() && current->parent()->text(0).startsWith(QStringLiteral("fuse.bn_conv")));
    QVERIFY(!w.isWindowModified());
    panel->applyButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.undoStack()->count() == 1 && !session->isBusy(), 30000);
    QCOMPARE(model.graph().nodeCount(), size_t(2));
    QCOMPARE(w.nodeTableModel()->rowCount(), 2);
    QVERIFY(w.isWindowModified());
    QVERIFY(w.undoAction()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!w.graphCanvas()->isLayoutRunning() && opBoxes(w.graphCanvas()) == 2, 20000);
    QCOMPARE(w.historyView()->stack(), w.undoStack());
    QVERIFY(w.undoStack()->text(0).contains(QStringLiteral("fuse.bn_conv")));
    const auto fusedNames = nodeNames(model);
    QVERIFY(!fusedNames.count("/features/bn/BatchNormalization"));
    // The matches were run again on the new graph: no BatchNormalization left to fuse.
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);
    QVERIFY(!findItem(panel->matchTree(), QStringLiteral("fuse.bn_conv")));

    // Undo restores the original graph (names and count), redo does it again.
    w.undoAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(model.graph().nodeCount(), size_t(3));
    QCOMPARE(nodeNames(model), originalNames);
    QCOMPARE(w.nodeTableModel()->rowCount(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(!w.graphCanvas()->isLayoutRunning() && opBoxes(w.graphCanvas()) == 3, 20000);
    QVERIFY(!w.isWindowModified());
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent(), 20000);
    QVERIFY(findItem(panel->matchTree(), QStringLiteral("fuse.bn_conv")));

    QVERIFY(w.redoAction()->isEnabled());
    w.redoAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(model.graph().nodeCount(), size_t(2));
    QCOMPARE(nodeNames(model), fusedNames);
    QTRY_VERIFY_WITH_TIMEOUT(!w.graphCanvas()->isLayoutRunning() && opBoxes(w.graphCanvas()) == 2, 20000);

    // Save writes the rewritten model; the new node tells which rule made it.
    const QString out = tmp.filePath(QStringLiteral("convbn.fused.onnx"));
    QVERIFY2(w.saveTo(out, &error), qPrintable(error));
    QVERIFY(!w.isWindowModified());
    QVERIFY(w.windowTitle().contains(QStringLiteral("convbn.fused.onnx")));
    auto reloaded = graft::loadModel(out.toStdString());
    QVERIFY2(reloaded, reloaded ? "" : reloaded.message().c_str());
    QCOMPARE((*reloaded)->graph().nodeCount(), size_t(2));
    bool provenance = false;
    (*reloaded)->graph().forEachNode([&](const graft::Node& n) {
      if (graft::provenanceOf(n) == "fuse.bn_conv") provenance = true;
    });
    QVERIFY(provenance);
    QVERIFY(w.grab().save(shotDir(tmp) + QStringLiteral("/rewrite_after_apply.png")));
  }

  void applyProfileAndBadRuleFile() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("convbn.onnx"));
    QVERIFY(writeConvBnRelu(path));
    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
    QString error;
    QVERIFY(w.chooseBackend(QStringLiteral("onnxruntime-cpu"), &error));
    graft::RewriteSession* session = w.rewriteSession();
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);
    QVERIFY(w.rewritePanel()->applyAllButton()->isEnabled());

    // The whole profile in one undoable step: Conv+BN+Relu ends as fewer nodes.
    w.rewritePanel()->applyAllButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.undoStack()->count() == 1 && !session->isBusy(), 30000);
    const size_t after = w.document()->model->graph().nodeCount();
    QVERIFY2(after < 3, qPrintable(QString::number(after)));
    w.undoAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(w.document()->model->graph().nodeCount(), size_t(3));

    // A rule file with a mistake says where, and loads nothing.
    const QString bad = tmp.filePath(QStringLiteral("bad.rules"));
    {
      std::ofstream f(bad.toStdString());
      f << "rule oops {\n  benfit: 3\n}\n";
    }
    QVERIFY(!w.loadRuleFile(bad, &error));
    QVERIFY2(error.contains(QStringLiteral("bad.rules:2")), qPrintable(error));
    QCOMPARE(w.rewriteSession()->ruleFiles().size(), 0);

    // A good one adds its rule to the matches.
    const QString good = tmp.filePath(QStringLiteral("relu.rules"));
    {
      std::ofstream f(good.toStdString());
      f << "rule my_relu_to_clip {\n  description: \"test rule\"\n  benefit: 1\n  backends: *\n"
           "  pattern (x) => (y) {\n    y = Relu(x)\n  }\n  replace (x) => (y) {\n    y = LeakyRelu <alpha = 0.0> (x)\n  }\n}\n";
    }
    QVERIFY2(w.loadRuleFile(good, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);
    bool found = false;
    for (const auto& m : session->report()->matches) found |= m.rule == "my_relu_to_clip";
    for (const auto& m : session->report()->overlapped) found |= m.rule == "my_relu_to_clip";
    QVERIFY(found);
  }

  void cancelStopsALongApplyMidway() {
    QElapsedTimer clock;
    clock.start();
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("chain.onnx"));
    QVERIFY(writeConvBnChain(path, 40));
    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.show();
    QVERIFY(openAndMatch(w, path));
    graft::RewriteSession* session = w.rewriteSession();
    graft::Model& model = *w.document()->model;
    const onnx::ModelProto original = model.toProto();
    QCOMPARE(model.graph().nodeCount(), size_t(120));

    // A long apply: every step of the engine takes a little time (as on a large model).
    std::atomic<int> steps{0};
    session->applyOptions().progress = [&](double, std::string_view) {
      ++steps;
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      return true;
    };
    // The user presses Cancel in the progress dialog once the bar has moved.
    auto* progress = w.findChild<QProgressDialog*>(QStringLiteral("rewriteProgress"));
    QVERIFY(progress);
    int valueAtCancel = -1;
    connect(session, &graft::RewriteSession::progressChanged, this, [&](double f, const QString&) {
      if (valueAtCancel < 0 && steps.load() >= 20 && f > 0 && progress->maximum() > 0) {
        valueAtCancel = progress->value();
        auto* button = progress->findChild<QPushButton*>();
        QVERIFY(button);
        button->click();
      }
    });
    QSignalSpy failed(session, &graft::RewriteSession::applyFailed);
    w.rewritePanel()->applyAllButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT((!failed.isEmpty() || w.undoStack()->count() > 0) && !session->isBusy(), 60000);
    qInfo("cancelled after %d engine steps, %lld ms", steps.load(), static_cast<long long>(clock.elapsed()));
    QVERIFY2(valueAtCancel > 0, "the progress bar did not show the engine's progress");
    QCOMPARE(failed.size(), 1);
    // The engine stopped there: it did not run the remaining matches (2 per block, 80 in all).
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("midway")), qPrintable(failed.first().first().toString()));
    QVERIFY2(steps.load() < 70, qPrintable(QString::number(steps.load())));
    QCOMPARE(w.undoStack()->count(), 0);
    QVERIFY(!w.isWindowModified());
    std::string report;
    QVERIFY2(sameProto(model, original, &report), report.c_str());
    QCOMPARE(w.nodeTableModel()->rowCount(), 120);

    // Without Cancel the same apply goes through.
    session->applyOptions().progress = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);
    w.rewritePanel()->applyAllButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.undoStack()->count() == 1 && !session->isBusy(), 60000);
    QCOMPARE(model.graph().nodeCount(), size_t(40));
  }

  void saveRunsOnAWorkerAndACancelledSaveKeepsTheFile() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("convbn.onnx"));
    QVERIFY(writeConvBnRelu(path));
    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.show();
    QVERIFY(openAndMatch(w, path));
    graft::RewriteSession* session = w.rewriteSession();
    w.rewritePanel()->applyAllButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(w.undoStack()->count() == 1 && !session->isBusy(), 30000);
    QVERIFY(w.hasUnsavedChanges());
    const QByteArray original = fileBytes(path);
    QVERIFY(!original.isEmpty());

    // Cancelled while writing: the file on disk is untouched, the changes still unsaved.
    session->saveProgressHook() = [](double, std::string_view stage) { return stage != "Writing model"; };
    QString error;
    QVERIFY(!w.saveTo(path, &error));
    QVERIFY2(error.contains(QStringLiteral("cancelled")) && error.contains(QStringLiteral("as it was")), qPrintable(error));
    QCOMPARE(fileBytes(path), original);
    QVERIFY(w.hasUnsavedChanges());
    QVERIFY(w.isWindowModified());
    QVERIFY(!QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden).join(QLatin1Char(' ')).contains(QStringLiteral("graft-tmp")));

    // A save that fails says so and changes nothing either.
    session->saveProgressHook() = nullptr;
    QVERIFY(!w.saveTo(tmp.filePath(QStringLiteral("no/such/folder/x.onnx")), &error));
    QVERIFY2(error.contains(QStringLiteral("Could not save")), qPrintable(error));
    QVERIFY(w.hasUnsavedChanges());

    // File → Save: runs on the worker, the window keeps handling events meanwhile.
    QSignalSpy saved(&w, &MainWindow::saved);
    w.findChild<QAction*>(QStringLiteral("actionSave"))->trigger();
    QVERIFY(w.isSaving() || !saved.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
    QVERIFY(!w.hasUnsavedChanges());
    QVERIFY(!w.isWindowModified());
    QVERIFY(fileBytes(path) != original);
    auto back = graft::loadModel(path.toStdString());
    QVERIFY(back);
    QCOMPARE((*back)->graph().nodeCount(), w.document()->model->graph().nodeCount());
  }

  void unsavedChangesAskSaveDiscardOrCancel() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("convbn.onnx"));
    const QString other = tmp.filePath(QStringLiteral("other.onnx"));
    QVERIFY(writeConvBnRelu(path));
    QVERIFY(writeConvBnChain(other, 2));
    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.show();
    QVERIFY(openAndMatch(w, path));
    graft::RewriteSession* session = w.rewriteSession();
    auto applyAll = [&] {
      QTRY_VERIFY_WITH_TIMEOUT(session->reportCurrent() && !session->isBusy(), 20000);
      const int before = w.undoStack()->count();
      w.rewritePanel()->applyAllButton()->click();
      QTRY_VERIFY_WITH_TIMEOUT(w.undoStack()->count() == before + 1 && !session->isBusy(), 30000);
    };
    QStringList asked;
    MainWindow::UnsavedAnswer answer = MainWindow::UnsavedAnswer::Cancel;
    w.setUnsavedChangesPrompt([&](const QString& file) {
      asked << file;
      return answer;
    });

    // Nothing changed yet: no question.
    QVERIFY(!w.hasUnsavedChanges());
    applyAll();
    QVERIFY(w.hasUnsavedChanges());
    const QByteArray original = fileBytes(path);

    // Cancel keeps everything: the window stays open, the model and the history stay.
    QVERIFY(!w.close());
    QCOMPARE(asked, QStringList{QStringLiteral("convbn.onnx")});
    QVERIFY(w.isVisible());
    QCOMPARE(w.undoStack()->count(), 1);
    QVERIFY(w.hasUnsavedChanges());
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openFile(other);
    QCOMPARE(asked.size(), 2);
    QTest::qWait(300);
    QVERIFY(loaded.isEmpty() && !w.isLoading());
    QCOMPARE(QFileInfo(QString::fromStdString(w.document()->path)).fileName(), QStringLiteral("convbn.onnx"));
    QCOMPARE(fileBytes(path), original);

    // Discard opens the other model without saving.
    answer = MainWindow::UnsavedAnswer::Discard;
    w.openFile(other);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
    QCOMPARE(asked.size(), 3);
    QCOMPARE(QFileInfo(QString::fromStdString(w.document()->path)).fileName(), QStringLiteral("other.onnx"));
    QCOMPARE(fileBytes(path), original);
    QVERIFY(!w.hasUnsavedChanges());
    QCOMPARE(w.undoStack()->count(), 0);

    // Save writes the changes first, then closes.
    QVERIFY(w.chooseBackend(QStringLiteral("onnxruntime-cpu")));
    applyAll();
    const size_t nodes = w.document()->model->graph().nodeCount();
    QVERIFY(nodes < 6);
    answer = MainWindow::UnsavedAnswer::Save;
    QSignalSpy saved(&w, &MainWindow::saved);
    w.close();
    QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), 20000);
    QCOMPARE(asked.size(), 4);
    QCOMPARE(saved.count(), 1);
    auto back = graft::loadModel(other.toStdString());
    QVERIFY(back);
    QCOMPARE((*back)->graph().nodeCount(), nodes);
    QVERIFY(!w.hasUnsavedChanges());
  }
};

QTEST_MAIN(TestGuiRewrite)
#include "test_gui_rewrite.moc"
