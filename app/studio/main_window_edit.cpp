// The main window's hand edits: Delete / Shift+Delete / F2 on the canvas, Add Node…, Add Output
// on an edge's context menu, Extract…, the attribute table under the Node panel, the input
// shapes under the Model panel, and File → Export Recipe / Apply Recipe…. Each edit is one
// command in the same history as the rewrites (widgets/edit/edit_session.h).
#include <QAction>
#include <QContextMenuEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

#include "canvas/graph_canvas.h"
#include "canvas/graph_view.h"
#include "edit/edit_panels.h"
#include "edit/edit_session.h"
#include "graft/io.h"
#include "main_window.h"
#include "model_properties_panel.h"
#include "node_details_panel.h"
#include "rewrite/rewrite_session.h"

namespace graft {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// The canvas viewport's context menu: "Add Output" for the edge under the pointer.
class EdgeMenuFilter : public QObject {
 public:
  EdgeMenuFilter(MainWindow* window) : QObject(window), window_(window) {}
  bool eventFilter(QObject*, QEvent* event) override {
    if (event->type() != QEvent::ContextMenu) return false;
    auto* e = static_cast<QContextMenuEvent*>(event);
    const QString tensor = window_->tensorAtCanvasPoint(e->pos());
    if (tensor.isEmpty()) return false;
    QMenu menu;
    QAction* add = menu.addAction(MainWindow::tr("Add Output “%1”").arg(tensor));
    if (menu.exec(e->globalPos()) == add) {
      QString error;
      if (!window_->applyEdit(Edit::addOutput(tensor.toStdString()), &error)) window_->showEditError(error);
    }
    return true;
  }

 private:
  MainWindow* window_;
};

}  // namespace

void MainWindow::createEdit() {
  edit_ = new EditSession(rewrite_, this);

  // ---- the attribute table under the Node panel, the input shapes under the Model panel
  attributes_ = new AttributeTable(this);
  auto* nodeSplit = new QSplitter(Qt::Vertical, nodeDock_);
  nodeSplit->setObjectName(QStringLiteral("nodeSplit"));
  nodeSplit->addWidget(details_);
  nodeSplit->addWidget(attributes_);
  nodeSplit->setStretchFactor(0, 3);
  nodeSplit->setStretchFactor(1, 1);
  nodeDock_->setWidget(nodeSplit);
  inputShapes_ = new InputShapeTable(this);
  auto* modelSplit = new QSplitter(Qt::Vertical, modelDock_);
  modelSplit->setObjectName(QStringLiteral("modelSplit"));
  modelSplit->addWidget(properties_);
  modelSplit->addWidget(inputShapes_);
  modelSplit->setStretchFactor(0, 3);
  modelSplit->setStretchFactor(1, 1);
  modelDock_->setWidget(modelSplit);
  auto request = [this](const Edit& e) {
    QString error;
    if (!applyEdit(e, &error)) showEditError(error);
  };
  connect(attributes_, &AttributeTable::editRequested, this, request);
  connect(inputShapes_, &InputShapeTable::editRequested, this, request);
  connect(inputShapes_, &InputShapeTable::refused, this, &MainWindow::showEditError);
  connect(canvas_, &GraphCanvas::nodeSelected, this, [this](const Node* node) { attributes_->showNode(document_, node); });
  auto refresh = [this] {
    inputShapes_->setDocument(document_);
    const Node* shown = canvas_->selectedNode();
    attributes_->showNode(document_, shown);
  };
  connect(rewrite_, &RewriteSession::documentChanged, this, refresh);
  connect(this, &MainWindow::modelLoaded, this, refresh);
  connect(this, &MainWindow::modelAnalysed, this, refresh);

  // ---- actions: on the canvas (its shortcuts only while it has the focus) and in Edit
  auto selectedName = [this]() -> std::string {
    const Node* n = canvas_->selectedNode();
    return n ? n->name() : std::string();
  };
  auto needNode = [this, selectedName]() -> std::string {
    std::string name = selectedName();
    if (name.empty()) showEditError(tr("Select a node on the canvas first (nodes without a name cannot be edited by name)."));
    return name;
  };
  auto* del = new QAction(QIcon::fromTheme(QStringLiteral("edit-delete")), tr("&Delete Node"), this);
  del->setObjectName(QStringLiteral("actionDeleteNode"));
  del->setShortcut(QKeySequence::Delete);
  del->setStatusTip(tr("Remove the selected node and connect its readers to its first input"));
  connect(del, &QAction::triggered, this, [this, needNode] {
    std::string n = needNode();
    QString error;
    if (!n.empty() && !applyEdit(Edit::deleteNode(n), &error)) showEditError(error);
  });
  auto* delCone = new QAction(tr("Delete Node and &Downstream"), this);
  delCone->setObjectName(QStringLiteral("actionDeleteCone"));
  delCone->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_Delete));
  delCone->setStatusTip(tr("Remove the selected node and everything that reads from it"));
  connect(delCone, &QAction::triggered, this, [this, needNode] {
    std::string n = needNode();
    QString error;
    if (!n.empty() && !applyEdit(Edit::deleteNode(n, Edit::DeleteMode::Cone), &error)) showEditError(error);
  });
  auto* rename = new QAction(tr("&Rename Node…"), this);
  rename->setObjectName(QStringLiteral("actionRenameNode"));
  rename->setShortcut(QKeySequence(Qt::Key_F2));
  connect(rename, &QAction::triggered, this, [this, needNode] {
    std::string n = needNode();
    if (n.empty()) return;
    bool ok = false;
    QString to = QInputDialog::getText(this, tr("Rename Node"), tr("New name of %1:").arg(qs(n)), QLineEdit::Normal, qs(n), &ok);
    QString error;
    if (ok && !to.isEmpty() && to != qs(n) && !applyEdit(Edit::renameNode(n, to.toStdString()), &error)) showEditError(error);
  });
  auto* addNode = new QAction(tr("&Add Node…"), this);
  addNode->setObjectName(QStringLiteral("actionAddNode"));
  connect(addNode, &QAction::triggered, this, &MainWindow::showAddNodeDialog);
  auto* extract = new QAction(tr("E&xtract Selection…"), this);
  extract->setObjectName(QStringLiteral("actionExtract"));
  connect(extract, &QAction::triggered, this, &MainWindow::showExtractDialog);
  for (QAction* a : {del, delCone, rename}) {
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    canvas_->addAction(a);
  }
  exportRecipeAction_ = new QAction(tr("&Export Recipe…"), this);
  exportRecipeAction_->setObjectName(QStringLiteral("actionExportRecipe"));
  exportRecipeAction_->setStatusTip(tr("Write the history as a recipe that replays on another export of this model"));
  connect(exportRecipeAction_, &QAction::triggered, this, [this] {
    QString path = QFileDialog::getSaveFileName(this, tr("Export Recipe"), QString(), tr("Graft recipes (*.json);;All files (*)"));
    QString error;
    if (!path.isEmpty() && !exportRecipe(path, &error)) showEditError(error);
  });
  applyRecipeAction_ = new QAction(tr("Apply Re&cipe…"), this);
  applyRecipeAction_->setObjectName(QStringLiteral("actionApplyRecipe"));
  connect(applyRecipeAction_, &QAction::triggered, this, [this] {
    QString path = QFileDialog::getOpenFileName(this, tr("Apply Recipe"), QString(), tr("Graft recipes (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    QString report;
    const bool ok = applyRecipeFile(path, &report);
    if (!options_.errorDialogs) return;
    auto* box = new QMessageBox(ok ? QMessageBox::Information : QMessageBox::Warning, tr("Apply Recipe"),
                                ok ? tr("Every step applied or was already true.") : tr("Some steps did not apply."),
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("recipeReportBox"));
    box->setDetailedText(report);
    box->setInformativeText(report.section(QLatin1Char('\n'), 0, 9));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
  });

  addToFileMenu({exportRecipeAction_, applyRecipeAction_}, true);
  editMenu_->addSeparator();
  for (QAction* x : {del, delCone, rename, addNode, extract}) editMenu_->addAction(x);
  canvas_->view()->viewport()->installEventFilter(new EdgeMenuFilter(this));
}

bool MainWindow::applyEdit(const Edit& edit, QString* error) {
  if (!edit_) return false;
  if (!edit_->apply(edit, error)) return false;
  statusBar()->showMessage(qs(describeEdit(edit)), 6000);
  historyDock_->raise();
  return true;
}

void MainWindow::showEditError(const QString& message) {
  if (message.isEmpty()) return;
  statusBar()->showMessage(message, 12000);
  if (!options_.errorDialogs) {
    spdlog::warn("{}", message.toStdString());
    return;
  }
  auto* box = new QMessageBox(QMessageBox::Warning, tr("The edit was not applied"), message, QMessageBox::Ok, this);
  box->setObjectName(QStringLiteral("editErrorBox"));
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setTextInteractionFlags(Qt::TextSelectableByMouse);
  box->open();
}

bool MainWindow::exportRecipe(const QString& path, QString* error) {
  Recipe recipe = edit_->historyRecipe();
  if (recipe.steps.empty()) {
    if (error) *error = tr("The history has no edits or rewrites to export.");
    return false;
  }
  auto st = writeRecipe(recipe, path.toStdString());
  if (!st) {
    if (error) *error = qs(st.message());
    return false;
  }
  statusBar()->showMessage(tr("Wrote a recipe of %n step(s) to %1", nullptr, static_cast<int>(recipe.steps.size())).arg(path), 6000);
  return true;
}

bool MainWindow::applyRecipeFile(const QString& path, QString* reportText) {
  auto recipe = readRecipe(path.toStdString());
  if (!recipe) {
    if (reportText) *reportText = qs(recipe.message());
    return false;
  }
  auto report = edit_->applyRecipe(*recipe);
  if (!report) {
    if (reportText) *reportText = qs(report.message());
    return false;
  }
  QStringList lines;
  for (size_t i = 0; i < report->steps.size(); ++i) {
    const auto& s = report->steps[i];
    QString outcome = s.outcome == StepOutcome::Applied       ? tr("applied")
                      : s.outcome == StepOutcome::AlreadyTrue ? tr("already true")
                                                              : tr("not applicable");
    QString line = QStringLiteral("%1. %2: %3").arg(i + 1).arg(qs(s.description), outcome);
    if (!s.message.empty()) line += QStringLiteral(" — ") + qs(s.message);
    lines << line;
  }
  if (reportText) *reportText = lines.join(QLatin1Char('\n'));
  spdlog::info("Recipe {}: {} applied, {} already true, {} not applicable", path.toStdString(), report->applied,
               report->alreadyTrue, report->notApplicable);
  return report->allApplied();
}

void MainWindow::showAddNodeDialog() {
  if (!document_ || !document_->model) return;
  QDialog dialog(this);
  dialog.setObjectName(QStringLiteral("addNodeDialog"));
  dialog.setWindowTitle(tr("Add Node"));
  auto* layout = new QVBoxLayout(&dialog);
  auto* search = new QLineEdit(&dialog);
  search->setPlaceholderText(tr("Search ops by name"));
  search->setClearButtonEnabled(true);
  auto* list = new QListWidget(&dialog);
  list->setObjectName(QStringLiteral("opList"));
  for (const auto& [domain, op] : catalogueOps(*document_->model)) {
    auto* item = new QListWidgetItem(domain.empty() ? qs(op) : qs(domain + ":" + op), list);
    item->setData(Qt::UserRole, qs(op));
    item->setData(Qt::UserRole + 1, qs(domain));
  }
  connect(search, &QLineEdit::textChanged, list, [list](const QString& text) {
    for (int i = 0; i < list->count(); ++i) list->item(i)->setHidden(!list->item(i)->text().contains(text, Qt::CaseInsensitive));
  });
  auto* form = new QFormLayout;
  auto* inputs = new QLineEdit(&dialog);
  const Node* sel = canvas_->selectedNode();
  if (sel && sel->output(0)) inputs->setText(qs(sel->output(0)->name()));
  inputs->setPlaceholderText(tr("value names, comma-separated"));
  auto* name = new QLineEdit(&dialog);
  name->setPlaceholderText(tr("made up from the op when empty"));
  auto* attrs = new QLineEdit(&dialog);
  attrs->setPlaceholderText(tr("axis=-1; perm=0,2,1"));
  form->addRow(tr("Inputs:"), inputs);
  form->addRow(tr("Name:"), name);
  form->addRow(tr("Attributes:"), attrs);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  layout->addWidget(search);
  layout->addWidget(list, 1);
  layout->addLayout(form);
  layout->addWidget(buttons);
  dialog.resize(420, 520);
  if (dialog.exec() != QDialog::Accepted || !list->currentItem()) return;
  std::vector<std::string> in;
  for (const QString& part : inputs->text().split(QLatin1Char(','))) in.push_back(part.trimmed().toStdString());
  if (in.size() == 1 && in[0].empty()) in.clear();
  Edit e = Edit::addNode(list->currentItem()->data(Qt::UserRole).toString().toStdString(), in, name->text().toStdString());
  e.domain = list->currentItem()->data(Qt::UserRole + 1).toString().toStdString();
  for (const QString& part : attrs->text().split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
    const int eq = part.indexOf(QLatin1Char('='));
    if (eq > 0) e.attributes.emplace_back(part.left(eq).trimmed().toStdString(), part.mid(eq + 1).trimmed().toStdString());
  }
  QString error;
  if (!applyEdit(e, &error)) showEditError(error);
}

void MainWindow::showExtractDialog() {
  if (!document_ || !document_->model) return;
  QDialog dialog(this);
  dialog.setObjectName(QStringLiteral("extractDialog"));
  dialog.setWindowTitle(tr("Extract Subgraph"));
  auto* form = new QFormLayout(&dialog);
  auto* inputs = new QLineEdit(&dialog);
  auto* outputs = new QLineEdit(&dialog);
  if (const Node* sel = canvas_->selectedNode()) {
    QStringList in, out;
    for (const Value* v : sel->inputs())
      if (v && !v->isInitializer()) in << qs(v->name());
    for (const Value* v : sel->outputs())
      if (v) out << qs(v->name());
    inputs->setText(in.join(QStringLiteral(", ")));
    outputs->setText(out.join(QStringLiteral(", ")));
  }
  form->addRow(new QLabel(tr("The nodes between these values are saved as a new model."), &dialog));
  form->addRow(tr("Inputs:"), inputs);
  form->addRow(tr("Outputs:"), outputs);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  form->addRow(buttons);
  if (dialog.exec() != QDialog::Accepted) return;
  auto split = [](const QString& text) {
    std::vector<std::string> out;
    for (const QString& p : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) out.push_back(p.trimmed().toStdString());
    return out;
  };
  auto sub = extractModel(*document_->model, split(inputs->text()), split(outputs->text()));
  if (!sub) {
    showEditError(qs(sub.message()));
    return;
  }
  QString path = QFileDialog::getSaveFileName(this, tr("Save Extracted Model"), QString(), tr("ONNX models (*.onnx);;All files (*)"));
  if (path.isEmpty()) return;
  auto saved = saveModel(**sub, path.toStdString());
  if (!saved) {
    showEditError(qs(saved.message()));
    return;
  }
  statusBar()->showMessage(tr("Saved the extracted model (%n node(s)) to %1", nullptr, static_cast<int>((*sub)->graph().nodeCount())).arg(path), 8000);
}

}  // namespace graft
