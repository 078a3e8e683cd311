// Match and rewrite in the studio, offscreen: a model with Conv+BatchNormalization+Relu, the
// onnxruntime-cpu backend chosen in the toolbar, the match listed in the dock and ringed on the
// canvas, the preview's before/after, apply, undo, redo, and a save that keeps the provenance.
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QUndoView>
#include <QtTest>

#include <onnx/defs/parser.h>

#include <fstream>
#include <set>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "main_window.h"
#include "node_table_model.h"
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
    QVERIFY(preview->removedNodes().contains(QStringLiteral("/features/bn/BatchNormalization")));
    QCOMPARE(preview->removedNodes().size() + preview->changedNodes().size(), 2);
    QCOMPARE(preview->addedNodes().size() + preview->changedNodes().size(), 1);
    QCOMPARE(model.graph().nodeCount(), size_t(3));
    QCOMPARE(nodeNames(model), originalNames);
    QTRY_VERIFY_WITH_TIMEOUT(opBoxes(preview->beforeCanvas()) == 2 && opBoxes(preview->afterCanvas()) == 1, 20000);
    QVERIFY(preview->beforeCanvas()->view()->overlay() && !preview->beforeCanvas()->view()->overlay()->outlines.empty());
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
};

QTEST_MAIN(TestGuiRewrite)
#include "test_gui_rewrite.moc"
