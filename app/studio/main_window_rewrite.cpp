// The main window's match-and-rewrite part: the backend chooser in the toolbar, the rewrite and
// history docks, undo/redo and save, and keeping every view current after each change.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QUndoView>

#include <spdlog/spdlog.h>

#include "canvas/graph_canvas.h"
#include "graft/io.h"
#include "main_window.h"
#include "model_properties_panel.h"
#include "node_details_panel.h"
#include "node_table_model.h"
#include "rewrite/preview_dialog.h"
#include "rewrite/rewrite_panel.h"
#include "rewrite/rewrite_session.h"

namespace graft {

namespace {

// While a worker edits the model, input to the window would reach views reading it: swallow
// it (painting goes on, and the progress dialog with its Cancel button stays usable).
class InputBlocker : public QObject {
 public:
  InputBlocker(QWidget* window, QObject* parent) : QObject(parent), window_(window) {}
  bool eventFilter(QObject* watched, QEvent* event) override {
    switch (event->type()) {
      case QEvent::MouseButtonPress:
      case QEvent::MouseButtonRelease:
      case QEvent::MouseButtonDblClick:
      case QEvent::Wheel:
      case QEvent::KeyPress:
      case QEvent::KeyRelease:
      case QEvent::Shortcut:
      case QEvent::ShortcutOverride: {
        auto* w = qobject_cast<QWidget*>(watched);
        if (w && w->window() == window_) return true;
        break;
      }
      default:
        break;
    }
    return false;
  }

 private:
  QWidget* window_;
};

constexpr const char* kNoBackend = "";
constexpr const char* kLoadRules = "\x01rules";

}  // namespace

QUndoStack* MainWindow::undoStack() const { return rewrite_ ? rewrite_->undoStack() : nullptr; }

RewritePreviewDialog* MainWindow::previewDialog() const {
  return qobject_cast<RewritePreviewDialog*>(preview_.data());
}

void MainWindow::createRewrite() {
  rewrite_ = new RewriteSession(this);
  QUndoStack* stack = rewrite_->undoStack();

  // ---- toolbar: the backend chooser
  QToolBar* bar = addToolBar(tr("Backend"));
  bar->setObjectName(QStringLiteral("backendToolBar"));
  bar->setMovable(false);
  auto* label = new QLabel(tr("Backend: "), bar);
  label->setContentsMargins(6, 0, 0, 0);
  bar->addWidget(label);
  backend_ = new QComboBox(bar);
  backend_->setObjectName(QStringLiteral("backendChooser"));
  backend_->setToolTip(tr("The backend whose rules are matched on the model; its profile says what it fuses and what blocks it"));
  backend_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  backend_->addItem(tr("None"), QString::fromLatin1(kNoBackend));
  for (const QString& p : RewriteSession::availableProfiles()) backend_->addItem(p, p);
  backend_->insertSeparator(backend_->count());
  backend_->addItem(tr("Load Profile File…"), QStringLiteral("\x01profile"));
  backend_->addItem(tr("Load Rule File…"), QString::fromLatin1(kLoadRules));
  bar->addWidget(backend_);
  connect(backend_, &QComboBox::activated, this, [this](int index) {
    const QString key = backend_->itemData(index).toString();
    auto restore = [this] {
      const int i = backend_->findData(rewrite_->profileName());
      backend_->setCurrentIndex(i >= 0 ? i : 0);
    };
    QString error;
    if (key == QLatin1String(kLoadRules)) {
      QString path = QFileDialog::getOpenFileName(this, tr("Load Rule File"), QString(), tr("Rule files (*.rules);;All files (*)"));
      if (!path.isEmpty() && !loadRuleFile(path, &error) && options_.errorDialogs)
        QMessageBox::warning(this, tr("Could not load the rule file"), error);
      restore();
      return;
    }
    if (key == QStringLiteral("\x01profile")) {
      QString path = QFileDialog::getOpenFileName(this, tr("Load Backend Profile"), QString(),
                                                  tr("Backend profiles (*.profile);;All files (*)"));
      if (!path.isEmpty() && !chooseBackend(path, &error) && options_.errorDialogs)
        QMessageBox::warning(this, tr("Could not load the profile"), error);
      restore();
      return;
    }
    if (key.isEmpty()) return;
    if (!chooseBackend(key, &error) && options_.errorDialogs) QMessageBox::warning(this, tr("Could not load the profile"), error);
  });

  // ---- docks: matches and history
  rewritePanel_ = new RewritePanel(rewrite_, this);
  rewritePanel_->setObjectName(QStringLiteral("rewritePanel"));
  rewriteDock_ = new QDockWidget(tr("Rewrite"), this);
  rewriteDock_->setObjectName(QStringLiteral("rewriteDock"));
  rewriteDock_->setWidget(rewritePanel_);
  addDockWidget(Qt::LeftDockWidgetArea, rewriteDock_);
  history_ = new QUndoView(stack, this);
  history_->setObjectName(QStringLiteral("historyView"));
  history_->setEmptyLabel(tr("Opened model"));
  historyDock_ = new QDockWidget(tr("History"), this);
  historyDock_->setObjectName(QStringLiteral("historyDock"));
  historyDock_->setWidget(history_);
  addDockWidget(Qt::BottomDockWidgetArea, historyDock_);
  // Matches share the left column with the model properties, the history the bottom with the
  // log (as tabs), so the window keeps fitting small screens.
  if (modelDock_) tabifyDockWidget(modelDock_, rewriteDock_);
  if (logDock_) tabifyDockWidget(logDock_, historyDock_);
  rewriteDock_->raise();
  if (logDock_) logDock_->raise();

  // ---- actions: undo/redo follow the stack, but not while a job reads or edits the model
  undoAction_ = new QAction(QIcon::fromTheme(QStringLiteral("edit-undo")), tr("&Undo"), this);
  undoAction_->setObjectName(QStringLiteral("actionUndo"));
  undoAction_->setShortcut(QKeySequence::Undo);
  redoAction_ = new QAction(QIcon::fromTheme(QStringLiteral("edit-redo")), tr("&Redo"), this);
  redoAction_->setObjectName(QStringLiteral("actionRedo"));
  // The platform's Redo keys plus Ctrl+Shift+Z, once: where Redo already is Ctrl+Shift+Z, listing
  // it twice registered an ambiguous shortcut that did nothing.
  QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
  if (!redoKeys.contains(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z)))
    redoKeys.prepend(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
  redoAction_->setShortcuts(redoKeys);
  connect(undoAction_, &QAction::triggered, stack, &QUndoStack::undo);
  connect(redoAction_, &QAction::triggered, stack, &QUndoStack::redo);
  auto syncUndo = [this, stack] {
    const bool free = !rewrite_->isBusy();
    undoAction_->setEnabled(free && stack->canUndo());
    redoAction_->setEnabled(free && stack->canRedo());
    undoAction_->setText(stack->canUndo() ? tr("&Undo %1").arg(stack->undoText()) : tr("&Undo"));
    redoAction_->setText(stack->canRedo() ? tr("&Redo %1").arg(stack->redoText()) : tr("&Redo"));
    history_->setEnabled(free);
    saveAction_->setEnabled(free && document_ && !isSaving());
    saveAsAction_->setEnabled(free && document_ && !isSaving());
  };
  saveAction_ = new QAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save"), this);
  saveAction_->setObjectName(QStringLiteral("actionSave"));
  saveAction_->setShortcut(QKeySequence::Save);
  saveAsAction_ = new QAction(QIcon::fromTheme(QStringLiteral("document-save-as")), tr("Save &As…"), this);
  saveAsAction_->setObjectName(QStringLiteral("actionSaveAs"));
  saveAsAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
  connect(saveAction_, &QAction::triggered, this, &MainWindow::save);
  connect(saveAsAction_, &QAction::triggered, this, &MainWindow::saveAs);
  connect(stack, &QUndoStack::indexChanged, this, syncUndo);
  connect(stack, &QUndoStack::cleanChanged, this, [this](bool clean) { setWindowModified(!clean); });
  connect(rewrite_, &RewriteSession::busyChanged, this, syncUndo);
  connect(this, &MainWindow::modelLoaded, this, syncUndo);
  syncUndo();

  // Menus were made by createActions: File gets Save, Edit gets Undo/Redo, View the docks.
  addToFileMenu({saveAction_, saveAsAction_}, false);
  QAction* first = editMenu_->actions().value(0);
  editMenu_->insertAction(first, undoAction_);
  editMenu_->insertAction(first, redoAction_);
  editMenu_->insertSeparator(first);
  viewMenu_->addSeparator();
  viewMenu_->addAction(rewriteDock_->toggleViewAction());
  viewMenu_->addAction(historyDock_->toggleViewAction());
  viewMenu_->addAction(bar->toggleViewAction());

  // ---- jobs: block input while the model is edited off the GUI thread, show progress
  inputBlocker_ = new InputBlocker(this, this);
  editProgress_ = new QProgressDialog(this);
  editProgress_->setObjectName(QStringLiteral("rewriteProgress"));
  editProgress_->setWindowModality(Qt::WindowModal);
  editProgress_->setMinimumDuration(300);
  editProgress_->setAutoReset(false);
  editProgress_->setAutoClose(false);
  editProgress_->setRange(0, 0);
  editProgress_->reset();
  editProgress_->hide();
  connect(editProgress_, &QProgressDialog::canceled, rewrite_, &RewriteSession::cancel);
  connect(rewrite_, &RewriteSession::editStarted, this, [this](const QString& what) {
    canvas_->suspendModelUpdates();
    qApp->installEventFilter(inputBlocker_);
    editProgress_->setLabelText(what + QStringLiteral("…"));
    editProgress_->setRange(0, 0);
    editProgress_->setValue(0);
  });
  connect(rewrite_, &RewriteSession::saveFinished, this, &MainWindow::onSaveFinished);
  connect(rewrite_, &RewriteSession::progressChanged, this, [this](double f, const QString& what) {
    if (!rewrite_->isEditing() && !isSaving()) return;
    editProgress_->setLabelText(what + QStringLiteral("…"));
    if (f < 0) {
      editProgress_->setRange(0, 0);
    } else {
      editProgress_->setRange(0, 1000);
      editProgress_->setValue(static_cast<int>(f * 1000));
    }
  });
  connect(rewrite_, &RewriteSession::editFinished, this, [this] {
    qApp->removeEventFilter(inputBlocker_);
    editProgress_->reset();
    editProgress_->hide();
    canvas_->resumeModelUpdates();
  });
  connect(rewrite_, &RewriteSession::documentChanged, this, &MainWindow::onRewriteDocumentChanged);
  connect(rewrite_, &RewriteSession::matchesChanged, this, [this] {
    focusMatch_ = -1;
    const MatchReport* report = rewrite_->report();
    canvas_->setOverlay(report && rewrite_->reportCurrent()
                            ? RewritePanel::makeOverlay(*report, -1, QColor(), rewritePanel_->overlayFilter())
                            : nullptr);
  });
  connect(rewritePanel_, &RewritePanel::overlayFilterChanged, this, [this] {
    const MatchReport* report = rewrite_->report();
    if (!report || !rewrite_->reportCurrent()) return;
    canvas_->setOverlay(RewritePanel::makeOverlay(*report, focusMatch_, palette().highlight().color(),
                                                  rewritePanel_->overlayFilter()));
  });
  connect(rewrite_, &RewriteSession::applied, this, [this](const QString& summary) {
    statusBar()->showMessage(summary, 8000);
    historyDock_->raise();
  });
  connect(rewrite_, &RewriteSession::applyFailed, this, [this](const QString& message) {
    spdlog::warn("{}", message.toStdString());
    statusBar()->showMessage(message, 12000);
    if (options_.errorDialogs) {
      auto* box = new QMessageBox(QMessageBox::Warning, tr("The rewrite was not applied"), message, QMessageBox::Ok, this);
      box->setObjectName(QStringLiteral("rewriteErrorBox"));
      box->setAttribute(Qt::WA_DeleteOnClose);
      box->setTextInteractionFlags(Qt::TextSelectableByMouse);
      box->open();
    }
  });
  connect(rewrite_, &RewriteSession::previewFailed, this, [this](const QString& message) {
    spdlog::warn("{}", message.toStdString());
    statusBar()->showMessage(message, 12000);
  });
  connect(rewrite_, &RewriteSession::previewReady, this, [this](const Preview& pv, int matchIndex) {
    if (!document_ || !rewrite_->report()) return;
    if (preview_) preview_->close();
    QString title;
    if (matchIndex >= 0 && matchIndex < static_cast<int>(rewrite_->report()->matches.size())) {
      const Match& m = rewrite_->report()->matches[static_cast<size_t>(matchIndex)];
      title = QStringLiteral("%1 → %2").arg(QString::fromStdString(m.rule), QString::fromStdString(m.becomes));
    }
    auto* dialog = new RewritePreviewDialog(pv, *document_, title, this);
    connect(dialog, &RewritePreviewDialog::applyRequested, this,
            [this, matchIndex] { rewrite_->apply(RewriteSession::Scope::Match, matchIndex); });
    preview_ = dialog;
    dialog->show();
  });
  // A match chosen in the dock: its nodes ringed in the selection colour, the root selected
  // and brought into view (opening the groups that hide it).
  connect(rewritePanel_, &RewritePanel::nodesActivated, this, [this](const std::vector<NodeId>& nodes, int match) {
    if (!document_ || nodes.empty() || !rewrite_->reportCurrent()) return;
    focusMatch_ = match;
    canvas_->setOverlay(
        RewritePanel::makeOverlay(*rewrite_->report(), match, palette().highlight().color(), rewritePanel_->overlayFilter()));
    if (const Node* n = document_->model->graph().findNode(nodes.front())) {
      tabs_->setCurrentWidget(canvas_);
      canvas_->selectNode(n);
    }
  });

  // The first backend: the last one used, else ONNX Runtime's CPU profile when it is there.
  QString initial = QStringLiteral("onnxruntime-cpu");
  if (options_.useSettings) initial = QSettings().value(QStringLiteral("rewrite/backend"), initial).toString();
  if (backend_->findData(initial) >= 0) (void)chooseBackend(initial);
}

bool MainWindow::chooseBackend(const QString& nameOrPath, QString* error) {
  QString message;
  if (!rewrite_->setProfile(nameOrPath, &message)) {
    spdlog::error("{}", message.toStdString());
    if (error) *error = message;
    return false;
  }
  const QString name = rewrite_->profileName();
  int index = backend_->findData(name);
  if (index < 0) {
    // A profile loaded from a file joins the list under its own name.
    index = backend_->findData(QStringLiteral("\x01profile"));
    backend_->insertItem(index - 1, name, nameOrPath);
    index = backend_->findData(nameOrPath);
  }
  backend_->setCurrentIndex(index);
  if (options_.useSettings && !nameOrPath.contains(QLatin1Char('/'))) QSettings().setValue(QStringLiteral("rewrite/backend"), name);
  spdlog::info("Backend profile: {}", name.toStdString());
  return true;
}

bool MainWindow::loadRuleFile(const QString& path, QString* error) {
  QString message;
  if (!rewrite_->addRuleFile(path, &message)) {
    spdlog::error("{}", message.toStdString());
    if (error) *error = message;
    return false;
  }
  spdlog::info("Rules loaded from {}", path.toStdString());
  return true;
}

void MainWindow::onRewriteDocumentChanged() {
  if (!document_) return;
  std::shared_ptr<const ModelDocument> doc = document_;
  // The table and panels hold rows of the old graph: give them the new analysis.
  const Node* shown = canvas_->selectedNode();
  table_->setUpdatesEnabled(false);
  tableModel_->setDocument(doc);
  properties_->setDocument(doc);
  details_->setDocument(doc);
  table_->setUpdatesEnabled(true);
  if (shown && document_->model->graph().findNode(shown->id()) == shown) details_->showNode(shown);
  updateFilterCount();
  updateSummary();
}

bool MainWindow::hasUnsavedChanges() const {
  return document_ && rewrite_ && !rewrite_->undoStack()->isClean();
}

void MainWindow::setUnsavedChangesPrompt(UnsavedChangesPrompt prompt) { unsavedPrompt_ = std::move(prompt); }

MainWindow::UnsavedAnswer MainWindow::askAboutUnsavedChanges() {
  const QString name = document_ ? QFileInfo(QString::fromStdString(document_->path)).fileName() : QString();
  if (unsavedPrompt_) return unsavedPrompt_(name);
  QMessageBox box(QMessageBox::Question, tr("Unsaved Changes"),
                  tr("%1 has rewrites that are not saved.").arg(name),
                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
  box.setObjectName(QStringLiteral("unsavedChangesBox"));
  box.setInformativeText(tr("Save them before going on, discard them, or cancel and keep working?"));
  box.setDefaultButton(QMessageBox::Save);
  switch (box.exec()) {
    case QMessageBox::Save: return UnsavedAnswer::Save;
    case QMessageBox::Discard: return UnsavedAnswer::Discard;
    default: return UnsavedAnswer::Cancel;
  }
}

bool MainWindow::settleUnsavedChanges(std::function<void()> then) {
  if (!hasUnsavedChanges()) return true;
  switch (askAboutUnsavedChanges()) {
    case UnsavedAnswer::Discard:
      return true;
    case UnsavedAnswer::Cancel:
      return false;
    case UnsavedAnswer::Save:
      // Goes on only once the save has succeeded; a failed or cancelled save keeps everything.
      afterSave_ = std::move(then);
      startSave(QString::fromStdString(document_->path));
      return false;
  }
  return false;
}

bool MainWindow::isSaving() const { return !savingPath_.isEmpty(); }

void MainWindow::startSave(const QString& path) {
  if (!document_ || !document_->model) {
    onSaveFinished(path, false, false, tr("There is no model to save: open one first."));
    return;
  }
  if (isSaving()) return;
  savingPath_ = path;
  editProgress_->setLabelText(tr("Saving %1…").arg(QFileInfo(path).fileName()));
  editProgress_->setRange(0, 0);
  editProgress_->setValue(0);  // shown after its minimum duration, if the save takes that long
  saveAction_->setEnabled(false);
  saveAsAction_->setEnabled(false);
  rewrite_->save(path);
}

void MainWindow::onSaveFinished(const QString& path, bool ok, bool cancelled, const QString& message) {
  if (path != savingPath_ && !savingPath_.isEmpty()) return;
  savingPath_.clear();
  editProgress_->reset();
  editProgress_->hide();
  saveAction_->setEnabled(document_ && !rewrite_->isBusy());
  saveAsAction_->setEnabled(document_ && !rewrite_->isBusy());
  std::function<void()> then = std::move(afterSave_);
  afterSave_ = nullptr;
  const QString absolute = QFileInfo(path).absoluteFilePath();
  if (!ok) {
    const QString text = cancelled ? tr("Saving was cancelled; %1 is as it was.").arg(absolute)
                                   : tr("Could not save the model; %1 is as it was.").arg(absolute);
    lastSaveError_ = cancelled ? text : text + QStringLiteral("\n") + message;
    spdlog::warn("{}", lastSaveError_.toStdString());
    statusBar()->showMessage(text, 12000);
    if (!cancelled && options_.errorDialogs) {
      auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not save the model"), text, QMessageBox::Ok, this);
      box->setObjectName(QStringLiteral("saveErrorBox"));
      box->setInformativeText(message);
      box->setAttribute(Qt::WA_DeleteOnClose);
      box->setTextInteractionFlags(Qt::TextSelectableByMouse);
      box->open();
    }
    emit saveFailed(path, lastSaveError_);
    return;
  }
  lastSaveError_.clear();
  if (document_ && absolute != QFileInfo(QString::fromStdString(document_->path)).absoluteFilePath()) {
    document_->path = absolute.toStdString();
    updateTitle();
    addRecentFile(absolute);
    properties_->setDocument(document_);  // its Name and Folder rows name the file
  }
  setWindowModified(false);
  statusBar()->showMessage(tr("Saved %1").arg(absolute), 6000);
  spdlog::info("Saved {}", absolute.toStdString());
  emit saved(absolute);
  if (then) then();
}

bool MainWindow::saveTo(const QString& path, QString* error) {
  if (!document_ || !document_->model) {
    if (error) *error = tr("There is no model to save: open one first.");
    return false;
  }
  if (isSaving()) {
    if (error) *error = tr("A save is still running; try again when it has finished.");
    return false;
  }
  // The same worker as File → Save; this waits for it with the event loop running.
  QEventLoop loop;
  bool ok = false;
  auto done = connect(this, &MainWindow::saved, &loop, [&] {
    ok = true;
    loop.quit();
  });
  auto failed = connect(this, &MainWindow::saveFailed, &loop, [&](const QString&, const QString& message) {
    if (error) *error = message;
    loop.quit();
  });
  startSave(path);
  if (isSaving()) loop.exec();
  disconnect(done);
  disconnect(failed);
  return ok;
}

void MainWindow::save() {
  if (!document_) return;
  startSave(QString::fromStdString(document_->path));
}

void MainWindow::saveAs() {
  if (!document_) return;
  // A new name beside the original, so Save As does not offer to overwrite what was opened.
  const QFileInfo current(QString::fromStdString(document_->path));
  QString proposed = current.absolutePath() + QLatin1Char('/') + current.completeBaseName() + QStringLiteral("-rewritten.onnx");
  for (int n = 2; QFileInfo::exists(proposed) && n < 100; ++n)
    proposed = current.absolutePath() + QLatin1Char('/') + current.completeBaseName() +
               QStringLiteral("-rewritten-%1.onnx").arg(n);
  QString path = QFileDialog::getSaveFileName(this, tr("Save Model As"), proposed, tr("ONNX models (*.onnx);;All files (*)"));
  if (path.isEmpty()) return;
  startSave(path);
}

}  // namespace graft
