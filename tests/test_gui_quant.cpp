// Quantization in the studio, offscreen: calibrate on a worker, the per-node SQNR heatmap on the
// canvas overlay, clicking a node keeps it in float and re-scores, apply as one undo step, undo.
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest>

#include <onnx/defs/parser.h>

#include <fstream>

#include "canvas/graph_canvas.h"
#include "graft/ir.h"
#include "graft/recipe.h"
#include "main_window.h"
#include "quant/quant_panel.h"
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

// Conv -> Relu -> Conv -> Relu, named like a PyTorch export.
bool writeConvChain(const QString& path) {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
convs (float[1,3,8,8] input) => (float[1,4,8,8] output)
<float[4,3,3,3] w1 = {)" + floats(108, 0.3f, 0.0f) + R"(}, float[4] b1 = {)" + floats(4, 0.1f, 0.0f) +
                           R"(}, float[4,4,3,3] w2 = {)" + floats(144, 0.3f, 0.0f) + R"(}, float[4] b2 = {)" + floats(4, 0.1f, 0.0f) + R"(}>
{
  c1 = Conv <pads = [1, 1, 1, 1], kernel_shape = [3, 3]> (input, w1, b1)
  r1 = Relu (c1)
  c2 = Conv <pads = [1, 1, 1, 1], kernel_shape = [3, 3]> (r1, w2, b2)
  output = Relu (c2)
}
)";
  onnx::ModelProto proto;
  onnx::OnnxParser parser(text.c_str());
  if (!parser.Parse(proto).IsOK()) return false;
  const char* names[] = {"/conv1/Conv", "/relu1/Relu", "/conv2/Conv", "/relu2/Relu"};
  for (int i = 0; i < proto.graph().node_size(); ++i) proto.mutable_graph()->mutable_node(i)->set_name(names[i]);
  std::ofstream f(path.toStdString(), std::ios::binary);
  return proto.SerializeToOstream(&f);
}

}  // namespace

class TestGuiQuant : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("graft-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_gui_quant"));
    qputenv("GRAFT_PROFILE_PATH", QByteArray::fromStdString(graft::test::sourceDir() + "/resources/profiles"));
  }

  void calibrateHeatmapExcludeRescoreApplyUndo() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("convs.onnx"));
    QVERIFY(writeConvChain(path));
    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.resize(1400, 900);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
    graft::RewriteSession* session = w.rewriteSession();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    graft::Model& model = *w.document()->model;
    QCOMPARE(model.graph().nodeCount(), std::size_t(4));

    graft::QuantPanel* panel = w.quantPanel();
    QVERIFY(panel);
    w.quantDock()->show();
    w.quantDock()->raise();
    QCOMPARE(panel->modeBox()->currentData().toString(), QStringLiteral("static"));

    // Calibrate runs on a worker and ends in scores for both Convs.
    QSignalSpy scored(panel, &graft::QuantPanel::scored);
    QSignalSpy overlays(panel, &graft::QuantPanel::overlayChanged);
    QTRY_VERIFY_WITH_TIMEOUT(panel->calibrateButton()->isEnabled(), 20000);
    QSignalSpy failed(panel, &graft::QuantPanel::failed);
    panel->calibrateButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(scored.count() == 1 || failed.count() == 1, 30000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    QVERIFY(panel->result());
    QCOMPARE(panel->result()->report.nodes.size(), std::size_t(2));
    QVERIFY(panel->result()->error.randomData);
    QVERIFY(!panel->sizeLabel()->text().isEmpty());
    QVERIFY(panel->legendLabel()->text().contains(QStringLiteral("dB")));

    // The heatmap: each quantized Conv outlined in its SQNR colour, with the figure in its tooltip.
    QVERIFY(overlays.count() >= 1);
    auto ov = panel->overlay();
    QVERIFY(ov);
    const graft::Node* conv2 = model.graph().findNodeByName("/conv2/Conv");
    QVERIFY(conv2);
    QVERIFY(ov->outlines.count(conv2->id()));
    QCOMPARE(ov->outlines.at(conv2->id()).front().color, graft::QuantPanel::colorForSqnr(panel->result()->error.nodes.back().sqnr));
    QVERIFY(ov->notes.at(conv2->id()).contains(QStringLiteral("SQNR")));

    // Clicking a node on the canvas keeps it in float and re-scores at once.
    QVERIFY(panel->clickToExcludeBox()->isChecked());
    emit w.graphCanvas()->nodeSelected(conv2);
    QTRY_COMPARE_WITH_TIMEOUT(scored.count(), 2, 30000);
    QVERIFY(panel->excluded().count("/conv2/Conv"));
    QCOMPARE(panel->result()->report.nodes.size(), std::size_t(1));
    QCOMPARE(panel->overlay()->outlines.at(conv2->id()).front().style, Qt::DashLine);

    // Apply: one undoable step that quantizes the open model the same way.
    QUndoStack* stack = w.undoStack();
    const int before = stack->count();
    QSignalSpy applied(session, &graft::RewriteSession::applied);
    panel->applyButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 1, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(stack->count(), before + 1);
    int quantizeNodes = 0;
    model.graph().forEachNode([&](const graft::Node& n) { quantizeNodes += n.opType() == "QuantizeLinear"; });
    QVERIFY(quantizeNodes >= 1);
    QVERIFY(model.graph().findNodeByName("/conv2/Conv"));
    QVERIFY(model.graph().nodeCount() > 4);

    // The history exports the quantization as one recipe step with its settings.
    QTemporaryDir out;
    const QString recipePath = out.filePath(QStringLiteral("quant.json"));
    QString recipeError;
    QVERIFY2(w.exportRecipe(recipePath, &recipeError), qPrintable(recipeError));
    auto recipe = graft::readRecipe(recipePath.toStdString());
    QVERIFY2(recipe, recipe.message().c_str());
    QCOMPARE(recipe->steps.back().kind(), std::string("quantize"));
    QCOMPARE(recipe->steps.back().json["mode"].get<std::string>(), std::string("static"));
    QCOMPARE(recipe->steps.back().json["exclude"].size(), std::size_t(1));
    QCOMPARE(recipe->steps.back().json["exclude"][0]["op"].get<std::string>(), std::string("Conv"));

    // Undo puts the float model back.
    stack->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(model.graph().nodeCount(), std::size_t(4));
    quantizeNodes = 0;
    model.graph().forEachNode([&](const graft::Node& n) { quantizeNodes += n.opType() == "QuantizeLinear"; });
    QCOMPARE(quantizeNodes, 0);
  }
};

QTEST_MAIN(TestGuiQuant)
#include "test_gui_quant.moc"
