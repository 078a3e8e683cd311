// The graph canvas on the offscreen platform: selecting fills the node panel, find opens the
// group hiding a node, expand/collapse change what is laid out, edits relayout, subgraph
// bodies can be entered and left, export writes real images, the tensor viewer reads weights.
#include <QLineEdit>
#include <QListWidget>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QToolButton>
#include <QtTest>

#include <cmath>
#include <cstring>

#include "canvas/find_panel.h"
#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "canvas/minimap.h"
#include "canvas/tensor_viewer.h"
#include "graft/analysis.h"
#include "graft/io.h"
#include "model_document.h"
#include "models/decoder_builder.h"
#include "node_details_panel.h"
#include "testutil.h"

using namespace graft;

namespace {

std::shared_ptr<ModelDocument> documentFor(std::unique_ptr<Model> model, const std::string& path = "memory") {
  auto doc = std::make_shared<ModelDocument>();
  doc->path = path;
  doc->model = std::move(model);
  if (auto inferred = inferShapes(*doc->model)) doc->inference = std::move(inferred.value());
  return doc;
}

std::shared_ptr<ModelDocument> openTestModel(const std::string& relative) {
  auto doc = openModelDocument(test::testdataDir() + "/" + relative, {});
  if (!doc) qWarning("%s: %s", relative.c_str(), doc.message().c_str());
  return doc ? doc.value() : nullptr;
}

// Waits until the canvas has shown a layout and nothing more is running or queued.
bool settle(GraphCanvas& canvas, int timeoutMs = 30000) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < timeoutMs) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (!canvas.isLayoutRunning() && canvas.currentScene() &&
        canvas.currentScene()->graph->layout->revision == canvas.document()->model->revision()) {
      // A queued follow-up (select after expand) runs from the finished handler.
      QCoreApplication::processEvents();
      if (!canvas.isLayoutRunning()) return true;
    }
    QTest::qWait(10);
  }
  return false;
}

int indexOf(const GraphCanvas& canvas, const std::string& name) {
  const auto& nodes = canvas.currentScene()->lg().nodes;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

// Where a node box is on screen (viewport coordinates), after scrolling it into view.
QPoint screenPointOf(GraphCanvas& canvas, int node) {
  const CanvasScene* scene = canvas.currentScene();
  int nb = scene->layout.nodeBox[node];
  if (nb < 0) return {-1, -1};
  const auto& r = scene->layout.nodes[nb].rect;
  canvas.view()->centerOn(QPointF(r.x + r.width / 2, r.y + r.height / 2));
  return canvas.view()->mapFromScene(QPointF(r.x + r.width / 2, r.y + 6)).toPoint();
}

bool notBlank(const QImage& image) {
  if (image.isNull()) return false;
  QRgb first = image.pixel(0, 0);
  int different = 0;
  for (int y = 0; y < image.height(); y += 3)
    for (int x = 0; x < image.width(); x += 3)
      if (image.pixel(x, y) != first) ++different;
  return different > 50;
}

void maybeSave(const QImage& image, const QString& name) {
  // GRAFT_CANVAS_SHOTS=dir keeps pictures of what the tests saw, for a human to look at.
  QString dir = qEnvironmentVariable("GRAFT_CANVAS_SHOTS");
  if (!dir.isEmpty()) image.save(dir + "/" + name + ".png");
}

}  // namespace

class TestGuiCanvas : public QObject {
  Q_OBJECT

 private slots:
  void tensorViewerDecodesPackedInt4AndFloat8Values() {
    // int4 [-8, 7, -1] packed in raw_data, first element in the low nibble.
    onnx::TensorProto w;
    w.set_data_type(22);
    w.add_dims(3);
    w.set_raw_data(std::string("\x78\x0f", 2));
    TensorStats s = computeTensorStats(w, w.raw_data());
    QVERIFY2(s.error.empty(), s.error.c_str());
    QCOMPARE(s.first, (std::vector<double>{-8, 7, -1}));
    // float8e4m3fn codes one per int32_data entry: 1.0 (0x38), -448 (0xfe) and NaN (0x7f).
    onnx::TensorProto f;
    f.set_data_type(17);
    f.add_dims(3);
    for (int c : {0x38, 0xfe, 0x7f}) f.add_int32_data(c);
    TensorStats t = computeTensorStats(f, {});
    QVERIFY2(t.error.empty(), t.error.c_str());
    QCOMPARE(t.min, -448.0);
    QCOMPARE(t.max, 1.0);
    QCOMPARE(t.nans, std::uint64_t(1));
  }

  void clickingANodeSelectsItAndFillsTheNodePanel() {
    auto doc = openTestModel("pytorch-converted/test_Conv2d/model.onnx");
    QVERIFY(doc);
    GraphCanvas canvas;
    canvas.resize(900, 700);
    NodeDetailsPanel panel;
    panel.setDocument(doc);
    QObject::connect(&canvas, &GraphCanvas::nodeSelected, &panel, &NodeDetailsPanel::showNode);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));

    const Node* conv = nullptr;
    doc->model->graph().forEachNode([&](const Node& n) {
      if (n.opType() == "Conv") conv = &n;
    });
    QVERIFY(conv);
    int index = canvas.currentScene()->lg().findNode(conv->id());
    QVERIFY(index >= 0);
    QSignalSpy selected(&canvas, &GraphCanvas::nodeSelected);
    QPoint at = screenPointOf(canvas, index);
    QTest::mouseClick(canvas.view()->viewport(), Qt::LeftButton, {}, at);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).value<const graft::Node*>(), conv);
    QCOMPARE(canvas.selectedNode(), conv);
    QCOMPARE(panel.node(), conv);
    // The panel describes this node: op, opset, name, its inputs and outputs with their
    // inferred types, its attributes and the op's documentation from the schema.
    const QString text = panel.toPlainText();
    QVERIFY2(text.startsWith("Conv"), qPrintable(text));
    QVERIFY2(text.contains(QString("opset %1").arg(doc->model->opsetVersion(""))), qPrintable(text));
    if (!conv->name().empty()) QVERIFY2(text.contains(QString::fromStdString(conv->name())), qPrintable(text));
    for (const Value* v : conv->inputs())
      if (v) QVERIFY2(text.contains(QString::fromStdString(v->name())), v->name().c_str());
    const onnx::TypeProto* outType = doc->typeOf(conv->output(0)->name());
    QVERIFY(outType);
    QVERIFY2(text.contains(QString::fromStdString(formatType(*outType))), qPrintable(text));
    for (const auto& a : conv->proto().attribute())
      QVERIFY2(text.contains(QString::fromStdString(a.name())), a.name().c_str());
    QVERIFY2(text.contains("Documentation") && text.contains("convolution", Qt::CaseInsensitive), qPrintable(text));
    // Weights are badges on the Conv box, not boxes of their own.
    const auto& display = canvas.currentScene()->graph->display[index];
    QVERIFY(!display.badges.isEmpty());
    QCOMPARE(display.badges[0].label, QString("W"));
    for (const auto& nb : canvas.currentScene()->layout.nodes) {
      const auto& n = canvas.currentScene()->lg().nodes[nb.node];
      QVERIFY(n.kind != LayoutGraph::NodeKind::Input || n.name != conv->input(1)->name());
    }
    // Clicking the background clears it.
    QTest::mouseClick(canvas.view()->viewport(), Qt::LeftButton, {}, QPoint(3, 3));
    QCOMPARE(canvas.selectedNode(), nullptr);
    maybeSave(canvas.grab().toImage(), "conv2d");
  }

  void findOpensTheGroupHidingANode() {
    auto doc = documentFor(test::makeDecoder(12));
    GraphCanvas canvas;
    canvas.setAutoExpandLimit(0);  // start with every layer collapsed
    canvas.resize(1000, 800);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    int target = indexOf(canvas, "/h.7/attn/Softmax");
    QVERIFY(target >= 0);
    QCOMPARE(canvas.currentScene()->layout.nodeBox[target], -1);  // hidden in h.7

    canvas.showFind();
    QVERIFY(canvas.findPanel()->isVisible());
    canvas.findPanel()->field()->setText("h.7/attn/softmax");  // case does not matter
    QTRY_COMPARE(canvas.findPanel()->results()->count(), 1);
    QCOMPARE(canvas.findResults().size(), size_t(1));
    QSignalSpy selected(&canvas, &GraphCanvas::nodeSelected);
    QVERIFY(canvas.activateFindResult(0));
    QVERIFY(settle(canvas));
    QVERIFY(canvas.expandedGroups().count("/h.7"));
    QVERIFY(canvas.expandedGroups().count("/h.7/attn"));
    QVERIFY(!canvas.expandedGroups().count("/h.6"));
    const CanvasScene* scene = canvas.currentScene();
    int nb = scene->layout.nodeBox[target];
    QVERIFY(nb >= 0);
    QCOMPARE(canvas.selectedNode()->name(), std::string("/h.7/attn/Softmax"));
    QVERIFY(selected.count() >= 1);
    const auto& r = scene->layout.nodes[nb].rect;
    QVERIFY(canvas.view()->visibleSceneRect().contains(QPointF(r.x + r.width / 2, r.y + r.height / 2)));

    // Tensor names are found too, and a query matching many nodes lists them all.
    QCOMPARE(canvas.find("/h.3/attn/probs"), 2);  // produced by Softmax, read by MatMul_1
    QCOMPARE(canvas.find("softmax"), 12);
    maybeSave(canvas.grab().toImage(), "decoder-find");
  }

  void collapsingAndExpandingChangeWhatIsLaidOut() {
    auto doc = documentFor(test::makeDecoder(6));
    GraphCanvas canvas;
    canvas.setAutoExpandLimit(0);
    canvas.resize(900, 700);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    const size_t collapsedBoxes = canvas.currentScene()->layout.nodes.size();
    const auto dotBefore = canvas.layoutStats().dotCalls;
    QCOMPARE(canvas.currentScene()->layout.groups.size(), size_t(6));

    canvas.setGroupExpanded("/h.2", true);
    QVERIFY(settle(canvas));
    const CanvasScene* open = canvas.currentScene();
    QVERIFY(open->layout.nodes.size() > collapsedBoxes);
    QVERIFY(open->layout.nodeBox[indexOf(canvas, "/h.2/Add")] >= 0);
    QCOMPARE(open->layout.nodeBox[indexOf(canvas, "/h.3/Add")], -1);
    // Only h.2 and the top level were laid out for this.
    QCOMPARE(canvas.layoutStats().dotCalls - dotBefore, std::uint64_t(2));

    // Double-clicking an open group's title bar closes it again.
    int gb = open->layout.groupBox[open->grouping().byPath.at("/h.2")];
    QVERIFY(gb >= 0 && open->layout.groups[gb].expanded);
    const auto& gr = open->layout.groups[gb].rect;
    canvas.view()->centerOn(QPointF(gr.x + gr.width / 2, gr.y + 8));
    QPoint title = canvas.view()->mapFromScene(QPointF(gr.x + 30, gr.y + 8)).toPoint();
    QTest::mouseDClick(canvas.view()->viewport(), Qt::LeftButton, {}, title);
    QVERIFY(settle(canvas));
    QVERIFY(!canvas.expandedGroups().count("/h.2"));
    QCOMPARE(canvas.currentScene()->layout.nodes.size(), collapsedBoxes);

    canvas.expandAll();
    QVERIFY(settle(canvas));
    for (size_t i = 0; i < canvas.currentScene()->lg().nodes.size(); ++i)
      QVERIFY(canvas.currentScene()->layout.nodeBox[i] >= 0);
    canvas.collapseAll();
    QVERIFY(settle(canvas));
    QCOMPARE(canvas.currentScene()->layout.nodes.size(), collapsedBoxes);
  }

  void editingTheModelLaysItOutAgain() {
    auto doc = documentFor(test::makeDecoder(4));
    GraphCanvas canvas;
    canvas.setAutoExpandLimit(0);
    canvas.resize(900, 700);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    canvas.setGroupExpanded("/h.1", true);
    QVERIFY(settle(canvas));
    const auto regroupings = canvas.layoutStats().regroupings;
    const auto revision = canvas.currentScene()->graph->layout->revision;

    Graph& graph = doc->model->graph();
    Node* add = graph.findNodeByName("/h.1/Add");
    QVERIFY(add);
    Graph::NewNode spec;
    spec.opType = "Relu";
    spec.name = "/h.1/Probe";
    spec.inputs = {add->output(0)};
    spec.outputNames = {"/h.1/probe"};
    auto probe = graph.addNode(spec);
    QVERIFY(probe);
    // The canvas hears about the edit and lays out the new revision by itself.
    QVERIFY(settle(canvas));
    QVERIFY(canvas.currentScene()->graph->layout->revision > revision);
    QCOMPARE(canvas.layoutStats().regroupings, regroupings + 1);
    int p = indexOf(canvas, "/h.1/Probe");
    QVERIFY(p >= 0);
    QVERIFY(canvas.currentScene()->layout.nodeBox[p] >= 0);
    QVERIFY(canvas.expandedGroups().count("/h.1"));  // the open group stayed open

    QVERIFY(canvas.selectNode(probe.value()));
    QVERIFY(graph.removeNode(probe.value()).isOk());
    QVERIFY(settle(canvas));
    QCOMPARE(indexOf(canvas, "/h.1/Probe"), -1);
    QCOMPARE(canvas.selectedNode(), nullptr);
  }

  void loopBodyCanBeEnteredAndLeft() {
    auto doc = openTestModel("node/test_loop11/model.onnx");
    QVERIFY(doc);
    GraphCanvas canvas;
    canvas.setFoldConstants(false);  // every node of the body a box, Constants too
    canvas.resize(900, 700);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    const Node* loop = doc->model->graph().nodes().front();
    QCOMPARE(loop->opType(), std::string("Loop"));
    QCOMPARE(canvas.breadcrumb().size(), 1);
    int index = canvas.currentScene()->lg().findNode(loop->id());
    QVERIFY(canvas.currentScene()->graph->display[index].subgraph);

    QSignalSpy entered(&canvas, &GraphCanvas::graphEntered);
    QPoint at = screenPointOf(canvas, index);
    QTest::mouseDClick(canvas.view()->viewport(), Qt::LeftButton, {}, at);
    QVERIFY(settle(canvas));
    QCOMPARE(entered.count(), 1);
    const Graph* body = loop->subgraphs().front().graph.get();
    QCOMPARE(canvas.currentGraph(), body);
    QCOMPARE(canvas.breadcrumb().size(), 2);
    QVERIFY2(canvas.breadcrumb().last().contains("body"), qPrintable(canvas.breadcrumb().last()));
    // The body's nine nodes and its inputs/outputs are on the canvas.
    int ops = 0;
    for (const auto& nb : canvas.currentScene()->layout.nodes)
      if (canvas.currentScene()->lg().nodes[nb.node].kind == LayoutGraph::NodeKind::Op) ++ops;
    QCOMPARE(ops, 9);
    QVERIFY(canvas.findChild<QToolButton*>("crumb1"));
    maybeSave(canvas.grab().toImage(), "loop-body");

    // Backspace leaves the body; the Loop node is selected where we came from.
    canvas.view()->setFocus();
    QTest::keyClick(canvas.view(), Qt::Key_Backspace);
    QVERIFY(settle(canvas));
    QCOMPARE(canvas.currentGraph(), &doc->model->graph());
    QCOMPARE(canvas.breadcrumb().size(), 1);
    QCOMPARE(canvas.selectedNode(), loop);

    // Selecting a node inside the body from outside (the node table, find) opens the body.
    const Node* inner = body->findNodeByName(body->nodes()[3]->name());
    QVERIFY(inner);
    QVERIFY(canvas.selectNode(inner));
    QVERIFY(settle(canvas));
    QCOMPARE(canvas.currentGraph(), body);
    QCOMPARE(canvas.selectedNode(), inner);
  }

  void arrowKeysFollowProducersAndConsumers() {
    auto doc = documentFor(test::makeDecoder(2));
    GraphCanvas canvas;
    canvas.resize(900, 700);
    canvas.show();
    canvas.setDocument(doc);  // small: opens fully expanded
    QVERIFY(settle(canvas));
    QVERIFY(canvas.selectNodeByName("/h.0/attn/Softmax"));
    QVERIFY(settle(canvas));
    canvas.view()->setFocus();
    QTest::keyClick(canvas.view(), Qt::Key_Down);
    QCOMPARE(canvas.selectedNode()->name(), std::string("/h.0/attn/MatMul_1"));
    QTest::keyClick(canvas.view(), Qt::Key_Up);
    // MatMul_1 reads probs (Softmax) and centered (ln/Sub): Up goes to the first, Right to the next.
    QCOMPARE(canvas.selectedNode()->name(), std::string("/h.0/attn/Softmax"));
    QTest::keyClick(canvas.view(), Qt::Key_Right);
    QCOMPARE(canvas.selectedNode()->name(), std::string("/h.0/ln/Sub"));
    QTest::keyClick(canvas.view(), Qt::Key_Escape);
    QCOMPARE(canvas.selectedNode(), nullptr);
  }

  void zoomPanAndLevelOfDetail() {
    auto doc = documentFor(test::makeDecoder(12));
    GraphCanvas canvas;
    canvas.resize(800, 600);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    canvas.expandAll();
    QVERIFY(settle(canvas));
    GraphView* view = canvas.view();
    view->zoomToActualSize();
    QCOMPARE(view->scale(), 1.0);
    QImage full = view->grab().toImage();
    QVERIFY(notBlank(full));
    // A tall graph does not fit at 100%: the minimap shows where we are.
    QVERIFY(canvas.minimap()->isVisible());
    QPointF before = view->visibleSceneRect().topLeft();
    view->panBy(0, 300);
    QCOMPARE(view->visibleSceneRect().top(), before.y() + 300);
    // Wheel zooms around the cursor: the scene point under it stays put.
    QPoint cursor(400, 300);
    QPointF under = view->mapToScene(cursor);
    QWheelEvent wheel(cursor, view->viewport()->mapToGlobal(cursor), QPoint(), QPoint(0, -240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(view->viewport(), &wheel);
    QVERIFY(view->scale() < 1.0);
    QPointF after = view->mapToScene(cursor);
    QVERIFY(std::abs(after.x() - under.x()) < 1 && std::abs(after.y() - under.y()) < 1);
    // Far out: simplified drawing, still something on screen.
    view->setScale(0.05);
    QVERIFY(notBlank(view->grab().toImage()));
    view->fitToView();
    // Fit shows all of it, unless that needs a zoom below GraphView::kMinFitScale (boxes would
    // be specks): then it stops there, something of the graph in view, the minimap for the rest.
    const QRectF b = canvas.currentScene()->bounds();
    const double fits = std::min((view->viewport()->width() - 32) / b.width(), (view->viewport()->height() - 32) / b.height());
    if (fits >= GraphView::kMinFitScale) {
      QVERIFY(view->visibleSceneRect().contains(b));
      QVERIFY(!canvas.minimap()->isVisible());
    } else {
      QCOMPARE(view->scale(), GraphView::kMinFitScale);
      QVERIFY(view->visibleSceneRect().intersects(b));
      QVERIFY(notBlank(view->grab().toImage()));
    }
    maybeSave(full, "decoder-100");
  }

  void firstViewIsReadableAndStartsAtTheInputs() {
    // A tall graph (12 layers, every group open: ~100 boxes in a column) is not shrunk to fit:
    // it opens with readable text, at the top where its input is.
    auto doc = documentFor(test::makeDecoder(12));
    GraphCanvas canvas;
    canvas.setAutoExpandLimit(1000);
    canvas.resize(1000, 700);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    GraphView* view = canvas.view();
    const QRectF bounds = canvas.currentScene()->bounds();
    QVERIFY2(bounds.height() > 4 * view->viewport()->height(), "the test graph should be tall");
    QVERIFY2(view->scale() >= GraphView::kReadableScale && view->scale() <= 1.0,
             qPrintable(QString::number(view->scale())));
    const QRectF visible = view->visibleSceneRect();
    const double before = view->scale();
    QVERIFY(visible.top() <= bounds.top() && visible.bottom() < bounds.center().y());
    // The graph input "x" is in view, horizontally too.
    const int input = indexOf(canvas, "x");
    QVERIFY(input >= 0);
    const auto& r = canvas.currentScene()->layout.nodes[canvas.currentScene()->layout.nodeBox[input]].rect;
    QVERIFY(visible.contains(QRectF(r.x, r.y, r.width, r.height)));
    // Fit (F) shows all of it, or as much as stays legible (GraphView::kMinFitScale).
    view->fitToView();
    QVERIFY(view->visibleSceneRect().contains(bounds) || view->scale() == GraphView::kMinFitScale);
    view->showStart();
    QCOMPARE(view->scale(), before);
    QVERIFY(view->visibleSceneRect().top() <= bounds.top());

    // A small graph fits entirely, at no more than 100%.
    auto small = openTestModel("pytorch-converted/test_Conv2d/model.onnx");
    QVERIFY(small);
    canvas.setDocument(small);
    QVERIFY(settle(canvas));
    QVERIFY(view->visibleSceneRect().contains(canvas.currentScene()->bounds()));
    QVERIFY(view->scale() <= 1.0);
  }

  void darkPaletteFollowsTheSystem() {
    auto doc = documentFor(test::makeDecoder(2));
    GraphCanvas canvas;
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(30, 30, 34));
    dark.setColor(QPalette::Window, QColor(40, 40, 44));
    dark.setColor(QPalette::Text, QColor(230, 230, 230));
    canvas.setPalette(dark);
    canvas.resize(800, 600);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    QVERIFY(canvas.view()->canvasPalette().dark);
    QImage image = canvas.view()->grab().toImage();
    QVERIFY(notBlank(image));
    QCOMPARE(QColor(image.pixel(2, 2)), QColor(30, 30, 34));
    maybeSave(image, "decoder-dark");
  }

  void exportWritesPngAndSvg() {
    auto doc = openTestModel("pytorch-converted/test_Conv2d/model.onnx");
    QVERIFY(doc);
    GraphCanvas canvas;
    canvas.resize(800, 600);
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    QTemporaryDir dir;
    QString png = dir.filePath("graph.png"), svg = dir.filePath("graph.svg");
    QString error;
    QVERIFY2(canvas.exportPng(png, &error), qPrintable(error));
    QImage image(png);
    QVERIFY(notBlank(image));
    QRectF b = canvas.currentScene()->bounds();
    QVERIFY(image.width() >= b.width() && image.height() >= b.height());
    QVERIFY2(canvas.exportSvg(svg, &error), qPrintable(error));
    QSvgRenderer renderer(svg);
    QVERIFY(renderer.isValid());
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray text = f.readAll();
    QVERIFY(text.contains("Conv"));  // text stays text in the SVG
    QVERIFY(!canvas.exportPng(dir.filePath("missing/dir/graph.png"), &error));
    QVERIFY(error.contains("missing/dir"));
  }

  void tensorViewerShowsAWeight() {
    auto doc = openTestModel("pytorch-converted/test_Conv2d/model.onnx");
    QVERIFY(doc);
    const Node* conv = nullptr;
    doc->model->graph().forEachNode([&](const Node& n) {
      if (n.opType() == "Conv") conv = &n;
    });
    const Value* weight = conv->input(1);
    QVERIFY(weight && weight->initializer());

    GraphCanvas canvas;
    canvas.resize(900, 700);
    canvas.show();
    canvas.setDocument(doc);
    QVERIFY(settle(canvas));
    TensorViewer viewer;
    QObject::connect(&canvas, &GraphCanvas::tensorActivated, &viewer, &TensorViewer::showValue);
    QSignalSpy ready(&viewer, &TensorViewer::statsReady);
    // Double-clicking the W badge opens the weight.
    int index = canvas.currentScene()->lg().findNode(conv->id());
    int nb = canvas.currentScene()->layout.nodeBox[index];
    const auto& r = canvas.currentScene()->layout.nodes[nb].rect;
    canvas.view()->zoomToActualSize();
    canvas.view()->centerOn(QPointF(r.x + r.width / 2, r.y + r.height / 2));
    QPointF badge(r.x + r.width / 2 - 8, r.y + r.height - 9);
    QVERIFY(canvas.currentScene()->badgeAt(nb, badge) >= 0);
    QTest::mouseDClick(canvas.view()->viewport(), Qt::LeftButton, {}, canvas.view()->mapFromScene(badge).toPoint());
    QVERIFY(ready.wait(10000));

    // The same numbers computed here from the stored floats.
    const auto& proto = weight->initializer()->proto();
    std::vector<float> values;
    if (proto.float_data_size()) {
      values.assign(proto.float_data().begin(), proto.float_data().end());
    } else {
      values.resize(proto.raw_data().size() / 4);
      std::memcpy(values.data(), proto.raw_data().data(), values.size() * 4);
    }
    QVERIFY(!values.empty());
    double lo = *std::min_element(values.begin(), values.end());
    double hi = *std::max_element(values.begin(), values.end());
    double sum = 0;
    for (float v : values) sum += v;
    const TensorStats& s = viewer.stats();
    QCOMPARE(s.count, std::uint64_t(values.size()));
    QVERIFY(std::abs(s.min - lo) < 1e-6 && std::abs(s.max - hi) < 1e-6);
    QVERIFY(std::abs(s.mean - sum / values.size()) < 1e-5);
    QCOMPARE(s.first.size(), std::min<size_t>(256, values.size()));
    std::uint64_t binned = 0;
    for (auto c : s.histogram) binned += c;
    QCOMPARE(binned, std::uint64_t(values.size()));
    QVERIFY(viewer.fieldText("Shape").startsWith("["));
    QCOMPARE(viewer.fieldText("Type"), QString("float32"));
    QVERIFY(viewer.fieldText("Stored").contains("inline"));
  }
};

QTEST_MAIN(TestGuiCanvas)
#include "test_gui_canvas.moc"
