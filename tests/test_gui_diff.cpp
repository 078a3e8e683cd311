// The side-by-side diff view on a GPT-style decoder exported by PyTorch and a copy with known
// edits: nodes ringed by what happened to them (added green, removed red, changed amber, fused
// purple, same grey), a click on one side selecting and centring the partner on the other, group
// expansion kept in step, the change list and its filters, the numeric colouring, and
// File → Diff With… / Compare with Original in the main window.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "diff/diff_view.h"
#include "diff_testutil.h"
#include "graft/analysis.h"
#include "graft/diff.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "main_window.h"
#include "rewrite/rewrite_session.h"
#include "exported_models.h"
#include "testutil.h"

using namespace graft;

namespace {

std::shared_ptr<ModelDocument> documentFor(const onnx::ModelProto& proto, const std::string& path) {
  auto doc = std::make_shared<ModelDocument>();
  doc->path = path;
  auto m = Model::fromProto(proto);
  if (!m) return nullptr;
  doc->model = std::move(m.value());
  if (auto inferred = inferShapes(*doc->model)) doc->inference = std::move(inferred.value());
  return doc;
}

bool settle(GraphCanvas& canvas, int timeoutMs = 30000) {
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

bool hasColour(const QImage& image, const QColor& want) {
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) {
      QColor c = image.pixelColor(x, y);
      if (std::abs(c.red() - want.red()) < 6 && std::abs(c.green() - want.green()) < 6 && std::abs(c.blue() - want.blue()) < 6)
        return true;
    }
  return false;
}

// The ring a node got on one side.
QColor ringOf(const CanvasOverlay& overlay, const Node* node) {
  auto it = overlay.outlines.find(node->id());
  return it == overlay.outlines.end() || it->second.empty() ? QColor() : it->second.front().color;
}

// The scene rectangle of a node's box, or an empty one when it is hidden in a closed group.
QRectF boxOf(const GraphCanvas& canvas, const Node* node) {
  const CanvasScene* scene = canvas.currentScene();
  int index = scene ? scene->lg().findNode(node->id()) : -1;
  int nb = index >= 0 ? scene->layout.nodeBox[static_cast<std::size_t>(index)] : -1;
  if (nb < 0) return {};
  const auto& r = scene->layout.nodes[static_cast<std::size_t>(nb)].rect;
  return {r.x, r.y, r.width, r.height};
}

const Node* nodeNamed(const ModelDocument& doc, const std::string& name) {
  return doc.model->graph().findNodeByName(name);
}

}  // namespace

class TestGuiDiff : public QObject {
  Q_OBJECT

  QString modelsDir_;
  QString skipReason_;
  onnx::ModelProto gpt_;

  struct Shown {
    test::MutatedModel truth;
    std::shared_ptr<ModelDocument> a, b;
    std::shared_ptr<const ModelDiff> diff;
  };

  // The export and its copy, reordered, with an Identity inserted, one attribute changed and one
  // weight scaled; renamed throughout when asked (else both sides have the same module scopes).
  Shown show(DiffView& view, bool rename, bool changeAttribute = true) {
    Shown s;
    test::MutationOptions o;
    o.rename = rename;
    o.changeAttribute = changeAttribute;
    s.truth = test::mutateModel(gpt_, o);
    s.a = documentFor(s.truth.a, "gpt.onnx");
    s.b = documentFor(s.truth.b, "gpt-edited.onnx");
    auto d = diffModels(*s.a->model, *s.b->model);
    if (d) s.diff = std::make_shared<const ModelDiff>(std::move(d.value()));
    view.resize(1400, 900);
    view.setDiff(s.a, s.b, s.diff);
    view.show();
    return s;
  }

 private slots:
  void initTestCase() {
    modelsDir_ = QCoreApplication::applicationDirPath() + "/diff-models";
    bool failed = false;
    skipReason_ = test::exportEvalModels(modelsDir_, {"gpt"}, &failed);
    QVERIFY2(!failed, qPrintable(skipReason_));
    if (!skipReason_.isEmpty()) return;
    auto m = loadModel((modelsDir_ + "/gpt/model.onnx").toStdString());
    QVERIFY2(m, m.message().c_str());
    gpt_ = m.value()->toProto();
  }

  void init() {
    if (!skipReason_.isEmpty()) QSKIP(qPrintable(skipReason_));
  }

  void nodesAreColouredByWhatHappenedToThem() {
    DiffView view;
    Shown s = show(view, false);
    QVERIFY(s.diff);
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    const Node* identity = nodeNamed(*s.b, s.truth.identityB);
    const Node* changed = nodeNamed(*s.a, s.truth.attributeNodeA);
    const Node* same = nodeNamed(*s.a, "/h.0/ln_1/ReduceMean");
    QVERIFY(identity && changed && same);
    QCOMPARE(ringOf(*view.overlayB(), identity), DiffView::statusColor(DiffStatus::Added));
    QCOMPARE(ringOf(*view.overlayA(), changed), DiffView::statusColor(DiffStatus::Changed));
    QCOMPARE(ringOf(*view.overlayB(), s.diff->pairing.partnerInB(changed)), DiffView::statusColor(DiffStatus::Changed));
    QCOMPARE(ringOf(*view.overlayA(), same), DiffView::statusColor(DiffStatus::Same));
    // Every node of both sides has a ring: the view leaves none out.
    std::size_t ringed = 0;
    s.a->model->graph().forEachNode([&](const Node& n) { ringed += view.overlayA()->outlines.count(n.id()); });
    QCOMPARE(ringed, s.a->model->graph().nodeCount());
    // The rings are painted: the added Identity's green is on B's canvas and nowhere on A's.
    QImage b = view.canvasB()->renderImage(2500);
    QImage a = view.canvasA()->renderImage(2500);
    QVERIFY(hasColour(b, DiffView::statusColor(DiffStatus::Added)));
    QVERIFY(!hasColour(a, DiffView::statusColor(DiffStatus::Added)));
    QVERIFY(hasColour(a, DiffView::statusColor(DiffStatus::Changed)));
    QVERIFY(!hasColour(a, DiffView::statusColor(DiffStatus::Removed)));
    // The summary counts what the engine found: one changed node, one added, one weight.
    QCOMPARE(s.diff->summary.changed, std::size_t{1});
    QCOMPARE(s.diff->summary.added, std::size_t{1});
    QCOMPARE(s.diff->summary.weightsChanged, std::size_t{1});
    const QString summary = view.summaryLabel()->text();
    for (const char* count : {"1 changed", "1 added", "0 removed", "weights: 1 changed"})
      QVERIFY2(summary.contains(QLatin1String(count)), qPrintable(summary));
    QVERIFY2(summary.contains(DiffView::statusColor(DiffStatus::Added).name()), qPrintable(summary));
  }

  void anOptimizedModelShowsItsFusionsInPurple() {
    // B is the export rewritten for ONNX Runtime: every node a rule made is in a fused (or split)
    // group, ringed purple, and the nodes it replaced on A are too.
    auto profile = findProfile("onnxruntime-cpu");
    QVERIFY2(profile, profile.message().c_str());
    auto rewriter = Rewriter::create(profile.value());
    QVERIFY2(rewriter, rewriter.message().c_str());
    auto a = documentFor(gpt_, "gpt.onnx");
    auto b = documentFor(gpt_, "gpt.ort.onnx");
    auto record = rewriter.value().applyAll(*b->model);
    QVERIFY2(record, record.message().c_str());
    auto d = diffModels(*a->model, *b->model);
    QVERIFY2(d, d.message().c_str());
    auto diff = std::make_shared<const ModelDiff>(std::move(d.value()));
    QVERIFY(diff->summary.fused > 0);
    DiffView view;
    view.resize(1400, 900);
    view.setDiff(a, b, diff);
    view.show();
    std::size_t made = 0;
    b->model->graph().forEachNode([&](const Node& n) {
      if (provenanceOf(n).empty()) return;
      ++made;
      QCOMPARE(ringOf(*view.overlayB(), &n), DiffView::statusColor(DiffStatus::Fused));
    });
    QVERIFY(made > 0);
    for (const NodeDiff& e : diff->nodes)
      if (e.status == DiffStatus::Fused)
        for (const Node* n : e.a) QCOMPARE(ringOf(*view.overlayA(), n), DiffView::statusColor(DiffStatus::Fused));
    view.kindChooser()->setCurrentIndex(view.kindChooser()->findData(static_cast<int>(DiffStatus::Fused)));
    QCOMPARE(view.changeList()->model()->rowCount(), static_cast<int>(diff->summary.fused));
    QVERIFY(settle(*view.canvasB()));
    QVERIFY(hasColour(view.canvasB()->renderImage(2500), DiffView::statusColor(DiffStatus::Fused)));
  }

  void clickingANodeSelectsAndCentresItsRenamedPartner() {
    DiffView view;
    Shown s = show(view, true);
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    view.changesOnlyBox()->setChecked(false);  // same pairs are listed too
    const Node* na = nodeNamed(*s.a, "/h.1/Softmax");
    QVERIFY(na);
    const Node* truth = nodeNamed(*s.b, s.truth.nodeAtoB.at(na->name()));
    QVERIFY(truth && truth->name() != na->name());
    // A real click on A's box.
    GraphView* viewA = view.canvasA()->view();
    QRectF box = boxOf(*view.canvasA(), na);
    QVERIFY(!box.isEmpty());
    viewA->centerOn(box.center());
    QTest::mouseClick(viewA->viewport(), Qt::LeftButton, {}, viewA->mapFromScene(box.center()).toPoint());
    QCOMPARE(view.canvasA()->selectedNode(), na);
    QTRY_COMPARE(view.canvasB()->selectedNode(), truth);
    QVERIFY(settle(*view.canvasB()));
    QTest::qWait(50);
    // The partner is in view on its side, near the middle.
    QRectF visible = view.canvasB()->view()->visibleSceneRect();
    QRectF partner = boxOf(*view.canvasB(), truth);
    QVERIFY(visible.contains(partner.center()));
    QVERIFY(std::abs(partner.center().x() - visible.center().x()) < visible.width() / 4);
    // The change list shows the pair's entry.
    QModelIndex row = view.changeFilter()->mapToSource(view.changeList()->currentIndex());
    QVERIFY(row.isValid());
    QCOMPARE(row.row(), static_cast<int>(s.diff->entryOf.at(na)));
    // And the other way round.
    const Node* nb = nodeNamed(*s.b, s.truth.nodeAtoB.at("/h.0/c_fc/MatMul"));
    QVERIFY(nb);
    view.canvasB()->selectNode(nb);
    QTRY_COMPARE(view.canvasA()->selectedNode(), nodeNamed(*s.a, "/h.0/c_fc/MatMul"));
  }

  void theChangeListFiltersByKindAndScope() {
    DiffView view;
    Shown s = show(view, false);
    auto* list = view.changeList();
    // Changes only (the default): the changed node and the added Identity.
    QCOMPARE(list->model()->rowCount(), 2);
    view.changesOnlyBox()->setChecked(false);
    QCOMPARE(list->model()->rowCount(), static_cast<int>(s.diff->nodes.size()));
    view.changesOnlyBox()->setChecked(true);
    view.kindChooser()->setCurrentIndex(view.kindChooser()->findData(static_cast<int>(DiffStatus::Added)));
    QCOMPARE(list->model()->rowCount(), 1);
    QCOMPARE(list->model()->index(0, DiffEntryModel::OpColumn).data().toString(), QStringLiteral("Identity"));
    view.kindChooser()->setCurrentIndex(view.kindChooser()->findData(static_cast<int>(DiffStatus::Changed)));
    QCOMPARE(list->model()->rowCount(), 1);
    QVERIFY(list->model()->index(0, DiffEntryModel::ChangesColumn).data().toString().contains(QString::fromStdString(s.truth.attributeName)));
    view.kindChooser()->setCurrentIndex(0);
    // The scope chooser lists the scopes with changes; choosing one keeps only its entries.
    std::string scope = scopeOfName(s.truth.attributeNodeA);
    QVERIFY(!scope.empty());
    int at = view.scopeChooser()->findData(QString::fromStdString(scope));
    QVERIFY2(at > 0, scope.c_str());
    view.scopeChooser()->setCurrentIndex(at);
    QVERIFY(list->model()->rowCount() >= 1);
    for (int r = 0; r < list->model()->rowCount(); ++r)
      QVERIFY(list->model()->index(r, DiffEntryModel::ScopeColumn).data().toString().startsWith(QString::fromStdString(scope)));
    view.scopeChooser()->setCurrentIndex(0);
    // Choosing a row selects its nodes on both sides: the added Identity on B only.
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    bool found = false;
    for (int r = 0; r < list->model()->rowCount(); ++r) {
      if (list->model()->index(r, DiffEntryModel::OpColumn).data().toString() != QStringLiteral("Identity")) continue;
      found = true;
      list->setCurrentIndex(list->model()->index(r, 0));
      QTRY_VERIFY(view.canvasB()->selectedNode() && view.canvasB()->selectedNode()->name() == s.truth.identityB);
      QVERIFY(!view.canvasA()->selectedNode());
    }
    QVERIFY(found);
  }

  void expandingAGroupOnOneSideExpandsItsPartnerOnTheOther() {
    // B's modules are renamed ("/h.1" is "/layer1" there, as a re-export may call them): the
    // group to open is found through the paired nodes, not by its name.
    test::MutationOptions o;
    o.rename = false;
    test::MutatedModel truth = test::mutateModel(gpt_, o);
    for (auto& n : *truth.b.mutable_graph()->mutable_node())
      if (n.name().rfind("/h.", 0) == 0) n.set_name("/layer" + n.name().substr(3));
    auto a = documentFor(truth.a, "gpt.onnx");
    auto b = documentFor(truth.b, "gpt-renamed.onnx");
    auto d = diffModels(*a->model, *b->model);
    QVERIFY2(d, d.message().c_str());
    DiffView view;
    view.setAutoExpandLimit(0);  // both sides open with their groups closed, as large models do
    view.resize(1400, 900);
    view.setDiff(a, b, std::make_shared<const ModelDiff>(std::move(d.value())));
    view.show();
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    QVERIFY(!view.canvasA()->expandedGroups().count("/h.1"));
    QVERIFY(!view.canvasB()->expandedGroups().count("/layer1"));
    QCOMPARE(view.partnerGroup("/h.1", true), std::string("/layer1"));
    QCOMPARE(view.partnerGroup("/layer0/ln_2", false), std::string("/h.0/ln_2"));
    view.canvasA()->setGroupExpanded("/h.1", true);
    QVERIFY(settle(*view.canvasA()));
    QTRY_VERIFY(view.canvasB()->expandedGroups().count("/layer1"));
    QVERIFY(settle(*view.canvasB()));
    QVERIFY(!view.canvasB()->expandedGroups().count("/layer0"));  // only the partner opened
    view.canvasB()->setGroupExpanded("/layer1", false);
    QVERIFY(settle(*view.canvasB()));
    QTRY_VERIFY(!view.canvasA()->expandedGroups().count("/h.1"));
    // A side at its first layout is not a change: the two sides opened the same way.
    QCOMPARE(view.canvasA()->expandedGroups().size(), view.canvasB()->expandedGroups().size());
  }

  void smallModelsOpenWithTheSameGroupsOnBothSides() {
    // 157 and 158 nodes: both under the limit, so every group of both sides is open.
    DiffView view;
    Shown s = show(view, false);
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    QTest::qWait(50);
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    QVERIFY(view.canvasA()->expandedGroups().count("/h.0/ln_1"));
    QCOMPARE(view.canvasA()->expandedGroups(), view.canvasB()->expandedGroups());
  }

  void theNumericToggleColoursNodesByTheirError() {
    DiffView view;
    // B must run: the attribute the mutation would change is Split's axis.
    Shown s = show(view, false, false);
    QVERIFY(!view.numericBox()->isEnabled());
    QSignalSpy done(&view, &DiffView::numericFinished);
    view.runNumeric();
    QVERIFY(done.wait(60000));
    QVERIFY2(done.front().at(0).toBool(), qPrintable(done.front().at(1).toString()));
    QVERIFY(view.numericBox()->isChecked());
    const NumericDiff& n = *view.numeric();
    QVERIFY(n.firstDivergence >= 0);
    const NodeError& first = n.nodes[static_cast<std::size_t>(n.firstDivergence)];
    // The numbers part first at the node that reads the scaled weight.
    bool readsWeight = false;
    for (const Value* v : first.a->inputs()) readsWeight |= v && v->name() == s.truth.weightA;
    QVERIFY2(readsWeight, first.a->name().c_str());
    QColor beyond = ringOf(*view.overlayA(), first.a);
    QVERIFY(beyond == QColor(0xe3, 0x9b, 0x0b) || beyond == QColor(0xd7, 0x3a, 0x49));
    QCOMPARE(ringOf(*view.overlayA(), n.nodes.front().a), QColor(0x2e, 0xa0, 0x43));
    QVERIFY(view.summaryLabel()->text().contains(QString::fromStdString(first.a->name())));
    // The node's tooltip note carries its error.
    QVERIFY(view.overlayA()->notes.at(first.a->id()).contains(QStringLiteral("max abs")));
    // Off again: back to the status colours.
    view.numericBox()->setChecked(false);
    QCOMPARE(ringOf(*view.overlayA(), n.nodes.front().a), DiffView::statusColor(DiffStatus::Same));
  }

  void aNumericRunThatFailsSaysWhy() {
    DiffView view;
    // The attribute the mutation changes is Split's axis, out of range now: B cannot run.
    Shown s = show(view, false);
    QVERIFY2(s.truth.attributeNodeA.find("Split") != std::string::npos, s.truth.attributeNodeA.c_str());
    QSignalSpy done(&view, &DiffView::numericFinished);
    view.runNumeric();
    QVERIFY(done.wait(60000));
    QVERIFY(!done.front().at(0).toBool());
    QVERIFY(!view.numericBox()->isEnabled());
    const QString message = done.front().at(1).toString();
    QVERIFY(message.contains(QStringLiteral("Split")));
    QVERIFY2(view.summaryLabel()->text().contains(message.toHtmlEscaped()), qPrintable(view.summaryLabel()->text()));
    QVERIFY(view.runNumericButton()->isEnabled());
  }

  void selectingANodeInsideALoopBodySelectsItsPartnerInTheOtherBody() {
    auto loaded = loadModel(test::testdataDir() + "/node/test_loop11/model.onnx");
    if (!loaded) QSKIP("libonnx-testdata is missing (test_loop11)");
    auto mutated = test::mutateModel(loaded.value()->toProto());  // the main graph renamed and reordered
    auto a = documentFor(mutated.a, "loop.onnx");
    auto b = documentFor(mutated.b, "loop-renamed.onnx");
    auto d = diffModels(*a->model, *b->model);
    QVERIFY2(d, d.message().c_str());
    auto diff = std::make_shared<const ModelDiff>(std::move(d.value()));
    QCOMPARE(diff->pairing.bodies.size(), std::size_t{1});
    DiffView view;
    view.resize(1400, 900);
    view.setDiff(a, b, diff);
    view.show();
    QVERIFY(settle(*view.canvasA()) && settle(*view.canvasB()));
    const Graph* bodyA = diff->pairing.bodies[0].pairing->a.graph;
    const Graph* bodyB = diff->pairing.bodies[0].pairing->b.graph;
    const Node* slice = nullptr;
    bodyA->forEachNode([&](const Node& n) {
      if (n.opType() == "Slice") slice = &n;
    });
    QVERIFY(slice);
    // Body nodes are in the change list and ringed like any other.
    QCOMPARE(ringOf(*view.overlayA(), slice), DiffView::statusColor(DiffStatus::Same));
    view.canvasA()->selectNode(slice);
    QTRY_COMPARE(view.canvasB()->currentGraph(), bodyB);
    QTRY_VERIFY(view.canvasB()->selectedNode() && view.canvasB()->selectedNode()->opType() == "Slice");
    QCOMPARE(view.canvasB()->selectedNode(), diff->pairing.partnerInB(slice));
    QCOMPARE(view.canvasA()->currentGraph(), bodyA);
  }

  void diffWithOpensTheSideBySideWindow() {
    QTemporaryDir dir;
    test::MutationOptions o;
    o.rename = true;
    auto truth = test::mutateModel(gpt_, o);
    std::string pa = dir.filePath("a.onnx").toStdString(), pb = dir.filePath("b.onnx").toStdString();
    {
      std::ofstream fa(pa, std::ios::binary), fb(pb, std::ios::binary);
      truth.a.SerializeToOstream(&fa);
      truth.b.SerializeToOstream(&fb);
    }
    MainWindow window(MainWindow::Options{false, false});
    // File → Diff With… is there, enabled once a model is open.
    QAction* action = window.findChild<QAction*>(QStringLiteral("actionDiffWith"));
    QVERIFY(action);
    QVERIFY(!action->isEnabled());
    bool inFileMenu = false;
    for (QAction* m : window.menuBar()->actions())
      if (m->menu() && m->menu()->actions().contains(action)) inFileMenu = true;
    QVERIFY(inFileMenu);
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openFile(QString::fromStdString(pa));
    QVERIFY(loaded.wait(30000));
    QVERIFY(action->isEnabled());
    QSignalSpy ready(&window, &MainWindow::diffReady);
    window.diffWith(QString::fromStdString(pb));
    QVERIFY(ready.wait(30000));
    QVERIFY(window.diffView());
    QVERIFY(window.diffView()->isVisible());
    QCOMPARE(window.diffView()->diff()->summary.added, std::size_t{1});
    QCOMPARE(window.diffView()->diff()->summary.changed, std::size_t{1});
    QCOMPARE(window.diffView()->diff()->summary.removed, std::size_t{0});
    QVERIFY(window.diffView()->windowTitle().contains(QStringLiteral("b.onnx")));
    // Unedited, the document equals its file.
    window.compareWithOriginal();
    QVERIFY(ready.wait(30000));
    QVERIFY2(window.diffView()->diff()->identical(), qPrintable(window.diffView()->summaryLabel()->text()));
    // After a rewrite (ONNX Runtime's fusions, as one undoable edit) the file is A and the edited
    // document B: every fusion is a fused group, and the open document is not touched.
    QSignalSpy applied(window.rewriteSession(), &RewriteSession::applied);
    window.rewriteSession()->applyEdit(QStringLiteral("fuse for ONNX Runtime"), [](Model& m, const ProgressFn&) -> Status {
      auto profile = findProfile("onnxruntime-cpu");
      if (!profile) return profile.status();
      auto rewriter = Rewriter::create(profile.value());
      if (!rewriter) return rewriter.status();
      auto record = rewriter.value().applyAll(m);
      return record ? Status{} : record.status();
    });
    QVERIFY(applied.wait(60000));
    const std::size_t edited = window.document()->model->graph().nodeCount();
    window.compareWithOriginal();
    QVERIFY(ready.wait(30000));
    QVERIFY(window.diffView()->diff()->summary.fused > 0);
    QCOMPARE(window.diffView()->diff()->summary.nodesB, edited);
    QVERIFY(window.diffView()->windowTitle().contains(QStringLiteral("a.onnx")));
    // A file that is not a model fails with a message, and the window stays as it was.
    QSignalSpy failed(&window, &MainWindow::diffFailed);
    window.diffWith(dir.filePath("missing.onnx"));
    QVERIFY(failed.wait(30000));
    QVERIFY(failed.front().at(0).toString().contains(QStringLiteral("missing.onnx")));
    QVERIFY(window.diffView()->diff()->summary.fused > 0);
    window.diffView()->close();
  }
};

QTEST_MAIN(TestGuiDiff)
#include "test_gui_diff.moc"
