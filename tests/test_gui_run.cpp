// Running the open model in the studio, offscreen: Run with inputs loaded from a .npy file on a
// worker thread, then the values of an intermediate tensor (clicked in the node panel, or as
// an edge on the canvas) shown with the right statistics; Cancel stops a long run.
#include <QApplication>
#include <QDockWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <onnx/onnx_pb.h>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "canvas/tensor_viewer.h"
#include "graft/eval.h"
#include "main_window.h"
#include "node_details_panel.h"
#include "run_panel.h"
#include "studio_setup.h"
#include "testutil.h"

using graft::MainWindow;

namespace {

void io(onnx::ValueInfoProto* vi, const std::string& name, std::int64_t n) {
  vi->set_name(name);
  auto* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  t->mutable_shape()->add_dim()->set_dim_value(n);
}

// x -> Relu -> r -> Mul(3) -> y: `r` is an intermediate value the test looks at.
onnx::ModelProto reluMul(int chain = 0) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("run");
  io(g->add_input(), "x", 6);
  auto* relu = g->add_node();
  relu->set_op_type("Relu");
  relu->set_name("relu");
  relu->add_input("x");
  relu->add_output("r");
  graft::Array three(onnx::TensorProto_DataType_FLOAT, {1});
  three.data<float>()[0] = 3;
  *g->add_initializer() = graft::arrayToProto(three, "three");
  auto* mul = g->add_node();
  mul->set_op_type("Mul");
  mul->set_name("mul");
  mul->add_input("r");
  mul->add_input("three");
  mul->add_output(chain ? "m0" : "y");
  // A long chain of cheap nodes, for Cancel.
  for (int i = 0; i < chain; ++i) {
    auto* n = g->add_node();
    n->set_op_type("Relu");
    n->set_name("c" + std::to_string(i));
    n->add_input("m" + std::to_string(i));
    n->add_output(i + 1 == chain ? "y" : "m" + std::to_string(i + 1));
  }
  io(g->add_output(), "y", 6);
  return m;
}

bool openAndWait(MainWindow& w, const QString& path) {
  QSignalSpy loaded(&w, &MainWindow::modelLoaded);
  w.openFile(path);
  return loaded.wait(60000) || loaded.count() > 0;
}

}  // namespace

class TestGuiRun : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("graft-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_gui_run"));
    QSettings().clear();
    graft::setupLogging(false);
    QVERIFY(tmp_.isValid());
  }

  void runShowsAnIntermediateValuesStatistics() {
    QString model = tmp_.filePath("relu_mul.onnx");
    {
      std::ofstream f(model.toStdString(), std::ios::binary);
      QVERIFY(reluMul().SerializeToOstream(&f));
    }
    graft::Array x(onnx::TensorProto_DataType_FLOAT, {6});
    const float xs[6] = {-1, 2, -3, 4, 0.5f, -6};
    std::copy(xs, xs + 6, x.data<float>());
    QString npy = tmp_.filePath("x.npy");
    QVERIFY(graft::writeNpy(npy.toStdString(), x));

    MainWindow::Options options;
    options.useSettings = false;
    options.errorDialogs = false;
    MainWindow w(options);
    w.resize(1200, 800);
    w.show();
    QVERIFY(openAndWait(w, model));
    graft::RunPanel* run = w.runPanel();
    QVERIFY(run);
    // Before a run, an intermediate tensor says what to do.
    w.detailsPanel()->tensorClicked(QStringLiteral("r"));
    QVERIFY(run->viewer()->fieldText(QStringLiteral("Min")).isEmpty());

    run->setInputFile(QStringLiteral("x"), npy);
    QSignalSpy finished(run, &graft::RunPanel::runFinished);
    run->run();
    // The worker may already be done (a 2-node model), but its result arrives through the event
    // loop, so until then the button stays disabled.
    QVERIFY(!run->runButton()->isEnabled());
    QVERIFY(finished.count() == 1 || finished.wait(30000));
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));

    // The node panel's link for `r` (Relu's output): relu(x) = [0, 2, 0, 4, 0.5, 0].
    graft::TensorViewer* viewer = run->viewer();
    QSignalSpy ready(viewer, &graft::TensorViewer::statsReady);
    emit w.detailsPanel()->tensorClicked(QStringLiteral("r"));
    QVERIFY(ready.count() > 0 || ready.wait(10000));
    QCOMPARE(viewer->fieldText(QStringLiteral("Shape")), QStringLiteral("[6]"));
    QCOMPARE(viewer->fieldText(QStringLiteral("Min")), QStringLiteral("0"));
    QCOMPARE(viewer->fieldText(QStringLiteral("Max")), QStringLiteral("4"));
    QCOMPARE(viewer->fieldText(QStringLiteral("Mean")), QStringLiteral("1.08333"));
    QVERIFY(viewer->fieldText(QStringLiteral("Zeros")).startsWith(QStringLiteral("3 ")));
    QCOMPARE(viewer->stats().first.size(), std::size_t(6));
    QCOMPARE(viewer->stats().first[3], 4.0);

    // The same tensor by clicking its edge on the canvas (Relu -> Mul).
    graft::GraphCanvas* canvas = w.graphCanvas();
    QTRY_VERIFY_WITH_TIMEOUT(canvas->view()->scene() != nullptr, 30000);
    const auto& scene = canvas->view()->scene();
    QPointF at;
    bool found = false;
    for (const auto& e : scene->layout.edges) {
      if (e.values.empty() || e.points.size() < 2) continue;
      if (scene->lg().values[static_cast<std::size_t>(e.values.front())].name != "r") continue;
      std::size_t mid = e.points.size() / 2;
      at = QPointF((e.points[mid - 1].x + e.points[mid].x) / 2, (e.points[mid - 1].y + e.points[mid].y) / 2);
      found = true;
    }
    QVERIFY2(found, "no edge carries r");
    canvas->view()->centerOn(at);
    QPoint vp = canvas->view()->mapFromScene(at).toPoint();
    QCOMPARE(w.tensorAtCanvasPoint(vp), QStringLiteral("r"));
    emit w.detailsPanel()->tensorClicked(QStringLiteral("y"));  // show something else first
    QVERIFY(ready.wait(10000));
    QCOMPARE(viewer->fieldText(QStringLiteral("Max")), QStringLiteral("12"));
    ready.clear();
    QTest::mouseClick(canvas->view()->viewport(), Qt::LeftButton, Qt::NoModifier, vp);
    QVERIFY(ready.count() > 0 || ready.wait(10000));
    QCOMPARE(viewer->fieldText(QStringLiteral("Max")), QStringLiteral("4"));

    if (!qEnvironmentVariableIsEmpty("GRAFT_GUI_GRAB")) w.grab().save(qEnvironmentVariable("GRAFT_GUI_GRAB"));
  }

  void cancelStopsALongRun() {
    QString model = tmp_.filePath("long.onnx");
    {
      std::ofstream f(model.toStdString(), std::ios::binary);
      QVERIFY(reluMul(20000).SerializeToOstream(&f));
    }
    MainWindow::Options options;
    options.useSettings = false;
    options.errorDialogs = false;
    MainWindow w(options);
    QVERIFY(openAndWait(w, model));
    graft::RunPanel* run = w.runPanel();
    QSignalSpy finished(run, &graft::RunPanel::runFinished);
    run->run();
    run->cancel();
    QVERIFY(finished.count() == 1 || finished.wait(30000));
    // Either the run was cancelled, or it had already finished before Cancel was seen.
    if (!finished.at(0).at(0).toBool()) QVERIFY(run->statusText().contains(QStringLiteral("cancelled")));
    QVERIFY(run->runButton()->isEnabled());
  }
};

QTEST_MAIN(TestGuiRun)
#include "test_gui_run.moc"
