// Hand edits in the studio, offscreen: Delete on the canvas, a value typed into the attribute
// table, a shape typed into the input-shape table, Add Output; each one command of the history;
// undo to the exact protobuf and redo; File → Export Recipe; the recipe applied to another
// export whose names all differ, as one command with a report.
#include <QAction>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <google/protobuf/util/message_differencer.h>
#include <onnx/defs/parser.h>

#include <fstream>
#include <map>
#include <set>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "edit/edit_panels.h"
#include "graft/edit.h"
#include "graft/ir.h"
#include "graft/recipe.h"
#include "main_window.h"
#include "rewrite/rewrite_session.h"
#include "testutil.h"

using graft::MainWindow;

namespace {

const char* kModel = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[batch,4] x) => (float[batch,3] y, float[batch,3] z)
<float[4,3] w1 = {1,2,3,4,5,6,7,8,9,10,11,12}, float[3] b1 = {1,2,3}, float[4,3] w2 = {0,1,0,1,0,1,0,1,0,1,0,1}>
{
  i = Identity(x)
  m1 = MatMul(i, w1)
  a1 = Add(m1, b1)
  y = Softmax <axis = -1> (a1)
  m2 = MatMul(i, w2)
  z = Relu(m2)
})";

// The model with PyTorch-like names, or (renamed) with every node, value and weight name changed
// and the two branches in the other order, as a re-export might give it.
bool writeModel(const QString& path, bool renamed) {
  onnx::ModelProto m;
  onnx::OnnxParser parser(kModel);
  if (!parser.Parse(m).IsOK()) return false;
  auto& g = *m.mutable_graph();
  int k = 0;
  for (auto& n : *g.mutable_node()) n.set_name("/block/" + n.op_type() + "_" + std::to_string(k++));
  if (renamed) {
    std::map<std::string, std::string> to;
    auto fresh = [&](const std::string& s) {
      if (s == "x" || s == "y" || s == "z") return s;
      auto it = to.find(s);
      return it != to.end() ? it->second : to[s] = "onnx::t" + std::to_string(to.size());
    };
    for (auto& t : *g.mutable_initializer()) t.set_name(fresh(t.name()));
    for (auto& n : *g.mutable_node()) {
      for (auto& s : *n.mutable_input()) s = fresh(s);
      for (auto& s : *n.mutable_output()) s = fresh(s);
      n.set_name("node" + std::to_string(k++));
    }
    // Identity, MatMul_4, Relu_5, MatMul_1, Add_2, Softmax_3: still topological.
    google::protobuf::RepeatedPtrField<onnx::NodeProto> order;
    for (int i : {0, 4, 5, 1, 2, 3}) *order.Add() = g.node(i);
    *g.mutable_node() = order;
  }
  std::ofstream f(path.toStdString(), std::ios::binary);
  return m.SerializeToOstream(&f);
}

bool sameProto(const onnx::ModelProto& a, const onnx::ModelProto& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// Sets the text of the row whose first column is `key`, in `column`, as a user's edit does.
bool typeInto(QTableWidget* table, const QString& key, int column, const QString& text) {
  for (int r = 0; r < table->rowCount(); ++r)
    if (table->item(r, 0) && table->item(r, 0)->text() == key) {
      table->item(r, column)->setText(text);
      return true;
    }
  return false;
}

}  // namespace

class TestGuiEdit : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QCoreApplication::setOrganizationName(QStringLiteral("graft-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_gui_edit"));
    qputenv("GRAFT_PROFILE_PATH", QByteArray::fromStdString(graft::test::sourceDir() + "/resources/profiles"));
  }

  void editInTheCanvasUndoRedoExportAndApplyTheRecipeElsewhere() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("model.onnx"));
    const QString other = tmp.filePath(QStringLiteral("reexport.onnx"));
    QVERIFY(writeModel(path, false));
    QVERIFY(writeModel(other, true));

    MainWindow w(MainWindow::Options{.useSettings = false, .errorDialogs = false});
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
    graft::RewriteSession* session = w.rewriteSession();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy() && !w.graphCanvas()->isLayoutRunning(), 20000);
    graft::Model& model = *w.document()->model;
    const onnx::ModelProto original = model.toProto();
    QUndoStack* stack = w.undoStack();
    QCOMPARE(stack->count(), 0);

    // The actions and their keys.
    auto* del = w.findChild<QAction*>(QStringLiteral("actionDeleteNode"));
    auto* cone = w.findChild<QAction*>(QStringLiteral("actionDeleteCone"));
    auto* rename = w.findChild<QAction*>(QStringLiteral("actionRenameNode"));
    QVERIFY(del && cone && rename);
    QCOMPARE(del->shortcut(), QKeySequence(QKeySequence::Delete));
    QCOMPARE(cone->shortcut(), QKeySequence(Qt::SHIFT | Qt::Key_Delete));
    QCOMPARE(rename->shortcut(), QKeySequence(Qt::Key_F2));
    QVERIFY(w.findChild<QAction*>(QStringLiteral("actionAddNode")));
    QVERIFY(w.findChild<QAction*>(QStringLiteral("actionExtract")));

    // 1. Select the Identity on the canvas and press Delete: its readers read x instead.
    QVERIFY(w.graphCanvas()->selectNodeByName(QStringLiteral("/block/Identity_0")));
    QTRY_VERIFY(w.graphCanvas()->selectedNode() != nullptr);
    w.activateWindow();
    w.graphCanvas()->view()->setFocus();
    QTest::keyClick(w.graphCanvas()->view(), Qt::Key_Delete);
    QTRY_COMPARE_WITH_TIMEOUT(stack->count(), 1, 5000);
    QCOMPARE(model.graph().nodeCount(), std::size_t(5));
    QVERIFY(!model.graph().findNodeByName("/block/Identity_0"));
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);

    // 2. The attribute table: Softmax's axis typed as 1.
    const graft::Node* softmax = model.graph().findNodeByName("/block/Softmax_3");
    QVERIFY(softmax);
    QVERIFY(w.graphCanvas()->selectNode(softmax));
    emit w.graphCanvas()->nodeSelected(softmax);
    graft::AttributeTable* attributes = w.attributeTable();
    QTRY_VERIFY(attributes->rowCount() >= 1);
    // A wrong type is refused and changes nothing.
    QVERIFY(typeInto(attributes, QStringLiteral("axis"), 1, QStringLiteral("two")));
    QCOMPARE(stack->count(), 1);
    QVERIFY(typeInto(attributes, QStringLiteral("axis"), 1, QStringLiteral("1")));
    QCOMPARE(stack->count(), 2);
    QCOMPARE(softmax->attribute("axis")->i(), std::int64_t(1));
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);

    // 3. The input-shape table in the Model panel: batch fixed to 1 on x.
    graft::InputShapeTable* shapes = w.inputShapeTable();
    QTRY_COMPARE(shapes->rowCount(), 1);
    QVERIFY(typeInto(shapes, QStringLiteral("x"), 2, QStringLiteral("1x4")));
    QCOMPARE(stack->count(), 3);
    QCOMPARE(model.toProto().graph().input(0).type().tensor_type().shape().dim(0).dim_value(), std::int64_t(1));
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);

    // 4. Add Output (the edge menu's action) at the Add before the Softmax.
    QString error;
    QVERIFY2(w.applyEdit(graft::Edit::addOutput("a1"), &error), qPrintable(error));
    QCOMPARE(stack->count(), 4);
    QCOMPARE(model.graph().outputs().size(), std::size_t(3));
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    const onnx::ModelProto edited = model.toProto();

    // Undo all four: the exact protobuf we opened. Redo: the edited one again.
    for (int i = 0; i < 4; ++i) stack->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QVERIFY(sameProto(model.toProto(), original));
    for (int i = 0; i < 4; ++i) stack->redo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QVERIFY(sameProto(model.toProto(), edited));

    // Export Recipe: one step per command, anchored.
    const QString recipePath = tmp.filePath(QStringLiteral("edits.recipe.json"));
    QVERIFY2(w.exportRecipe(recipePath, &error), qPrintable(error));
    auto recipe = graft::readRecipe(recipePath.toStdString());
    QVERIFY2(recipe, recipe.message().c_str());
    QCOMPARE(recipe->steps.size(), std::size_t(4));
    QCOMPARE(recipe->steps[0].json["edit"].get<std::string>(), std::string("delete-node"));
    QVERIFY(recipe->steps[0].json["node"].contains("neighbourhood"));
    // An undone command is not part of the recipe.
    stack->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QVERIFY(w.exportRecipe(tmp.filePath(QStringLiteral("three.json")), &error));
    QCOMPARE(graft::readRecipe(tmp.filePath(QStringLiteral("three.json")).toStdString())->steps.size(), std::size_t(3));
    stack->redo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);

    // Apply Recipe… on another export: every step applies, as one command.
    w.setUnsavedChangesPrompt([](const QString&) { return MainWindow::UnsavedAnswer::Discard; });
    w.openFile(other);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    graft::Model& copy = *w.document()->model;
    const onnx::ModelProto copyOriginal = copy.toProto();
    QCOMPARE(copy.graph().nodeCount(), std::size_t(6));
    const int before = w.undoStack()->count();
    QString report;
    QVERIFY2(w.applyRecipeFile(recipePath, &report), qPrintable(report));
    QCOMPARE(report.count(QStringLiteral(": applied")), 4);
    QCOMPARE(w.undoStack()->count(), before + 1);
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QCOMPARE(copy.graph().nodeCount(), std::size_t(5));
    QCOMPARE(copy.graph().outputs().size(), std::size_t(3));
    const graft::Value* exposed = copy.graph().outputs()[2];
    QVERIFY(exposed->producer() && exposed->producer()->opType() == "Add");
    QVERIFY(exposed->name() != "a1");  // the re-export's own name for it
    const graft::Node* copySoftmax = exposed->uses().front().node;
    QCOMPARE(copySoftmax->opType(), std::string("Softmax"));
    QCOMPARE(copySoftmax->attribute("axis")->i(), std::int64_t(1));
    QCOMPARE(copy.toProto().graph().input(0).type().tensor_type().shape().dim(0).dim_value(), std::int64_t(1));
    // One undo takes the whole recipe back.
    w.undoStack()->undo();
    QTRY_VERIFY_WITH_TIMEOUT(!session->isBusy(), 20000);
    QVERIFY(sameProto(copy.toProto(), copyOriginal));
  }
};

QTEST_MAIN(TestGuiEdit)
#include "test_gui_edit.moc"
