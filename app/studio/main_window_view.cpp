// View → zoom, fit, expand/collapse, edge labels and minimap; Help → Keyboard Shortcuts. The
// canvas keys (+, -, F, 0, arrows) work when the graph has focus; these make them findable.
#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "canvas/minimap.h"
#include "main_window.h"

namespace graft {

namespace {
const char* const kEdgeLabelsKey = "view/edgeLabels";
const char* const kMinimapKey = "view/minimap";
}  // namespace

void MainWindow::createViewActions(QMenu* view) {
  view->addSeparator();
  auto add = [&](const QString& text, const QKeySequence& key, const char* name, auto slot) {
    QAction* a = view->addAction(text, this, slot);
    if (!key.isEmpty()) a->setShortcut(key);
    a->setObjectName(QString::fromLatin1(name));
    return a;
  };
  add(tr("Zoom &In"), QKeySequence::ZoomIn, "actionZoomIn", [this] { canvas_->view()->zoomBy(1.25); });
  add(tr("Zoom &Out"), QKeySequence::ZoomOut, "actionZoomOut", [this] { canvas_->view()->zoomBy(0.8); });
  add(tr("&Actual Size"), QKeySequence(tr("Ctrl+0")), "actionActualSize", [this] { canvas_->view()->zoomToActualSize(); });
  add(tr("&Fit Graph"), QKeySequence(tr("Ctrl+Shift+F")), "actionFit", [this] { canvas_->view()->fitToView(); });
  view->addSeparator();
  add(tr("E&xpand All Groups"), QKeySequence(), "actionExpandAll", [this] { canvas_->expandAll(); });
  add(tr("&Collapse All Groups"), QKeySequence(), "actionCollapseAll", [this] { canvas_->collapseAll(); });
  view->addSeparator();
  QAction* fold = add(tr("Fold &Constants"), QKeySequence(), "actionFoldConstants", [] {});
  fold->setCheckable(true);
  fold->setChecked(canvas_->foldConstants());
  fold->setStatusTip(tr("Draw Constant nodes as badges on the nodes that read them, like weights"));
  connect(fold, &QAction::toggled, this, [this](bool on) { canvas_->setFoldConstants(on); });
  QAction* shapes = add(tr("Collapse &Shape Computations"), QKeySequence(), "actionCollapseShapes", [] {});
  shapes->setCheckable(true);
  shapes->setChecked(canvas_->collapseShapeComputations());
  shapes->setStatusTip(tr("Draw each chain of Shape, Gather, Unsqueeze, Concat… that computes a shape as one box"));
  connect(shapes, &QAction::toggled, this, [this](bool on) { canvas_->setCollapseShapeComputations(on); });
  view->addSeparator();
  const bool labels = options_.useSettings ? QSettings().value(kEdgeLabelsKey, true).toBool() : true;
  const bool minimap = options_.useSettings ? QSettings().value(kMinimapKey, true).toBool() : true;
  QAction* edgeLabels = add(tr("&Edge Labels"), QKeySequence(), "actionEdgeLabels", [] {});
  edgeLabels->setCheckable(true);
  edgeLabels->setChecked(labels);
  canvas_->view()->paintState().edgeLabels = labels;
  connect(edgeLabels, &QAction::toggled, this, [this](bool on) {
    canvas_->view()->paintState().edgeLabels = on;
    canvas_->view()->refresh();
    if (options_.useSettings) QSettings().setValue(kEdgeLabelsKey, on);
  });
  QAction* map = add(tr("&Minimap"), QKeySequence(), "actionMinimap", [] {});
  map->setCheckable(true);
  map->setChecked(minimap);
  canvas_->minimap()->setAllowed(minimap);
  connect(map, &QAction::toggled, this, [this](bool on) {
    canvas_->minimap()->setAllowed(on);
    if (options_.useSettings) QSettings().setValue(kMinimapKey, on);
  });
}

void MainWindow::showShortcuts() {
  QDialog dialog(this);
  dialog.setObjectName(QStringLiteral("shortcutsDialog"));
  dialog.setWindowTitle(tr("Keyboard Shortcuts"));
  auto* layout = new QVBoxLayout(&dialog);
  auto* tree = new QTreeWidget(&dialog);
  tree->setObjectName(QStringLiteral("shortcutsTree"));
  tree->setColumnCount(2);
  tree->setHeaderLabels({tr("Action"), tr("Keys")});
  tree->setRootIsDecorated(false);
  // Every menu action with a shortcut, in menu order.
  for (QAction* menuAction : menuBar()->actions()) {
    QMenu* menu = menuAction->menu();
    if (!menu) continue;
    std::function<void(QMenu*)> walk = [&](QMenu* m) {
      for (QAction* a : m->actions()) {
        if (a->menu()) {
          walk(a->menu());
          continue;
        }
        if (a->shortcuts().isEmpty()) continue;
        QStringList keys;
        for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
        auto* item = new QTreeWidgetItem(tree, {QString(a->text()).remove(QLatin1Char('&')), keys.join(QStringLiteral(", "))});
        item->setToolTip(0, a->statusTip());
      }
    };
    walk(menu);
  }
  // Keys the graph understands when it has focus.
  const std::pair<QString, QString> canvasKeys[] = {
      {tr("Graph: zoom in / out"), QStringLiteral("+, -")},
      {tr("Graph: fit / 100%"), QStringLiteral("F, 0")},
      {tr("Graph: move between nodes"), tr("Arrow keys")},
      {tr("Graph: open a group or subgraph / go back"), tr("Enter, Backspace")},
      {tr("Graph: pan"), tr("Space + drag, Page Up, Page Down")},
  };
  for (const auto& [what, keys] : canvasKeys) new QTreeWidgetItem(tree, {what, keys});
  tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  layout->addWidget(tree);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  layout->addWidget(buttons);
  dialog.resize(560, 520);
  if (shortcutsHook_) {
    shortcutsHook_(&dialog);
    return;
  }
  dialog.exec();
}

}  // namespace graft
