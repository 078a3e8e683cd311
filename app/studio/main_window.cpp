#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>

#include "canvas/graph_canvas.h"
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <cstdio>

#include "elided_label.h"
#include "format.h"
#include "log_view.h"
#include "model_loader.h"
#include "model_properties_panel.h"
#include "node_details_panel.h"
#include "node_table_model.h"
#include "rewrite/rewrite_panel.h"
#include "rewrite/rewrite_session.h"
#include "run_panel.h"
#include "canvas/graph_view.h"
#include <QMouseEvent>
#include <cmath>

namespace graft {

namespace {

constexpr int kMaxRecent = 10;
const char* const kRecentKey = "recentFiles";
const char* const kGeometryKey = "mainWindow/geometry";
const char* const kStateKey = "mainWindow/state";

// Stages that openModelDocument reports, so they can be shown translated; stages named by
// other engine calls are shown as they come.
[[maybe_unused]] const char* const kStages[] = {
    QT_TRANSLATE_NOOP("graft::Stage", "Reading the model"),
    QT_TRANSLATE_NOOP("graft::Stage", "Inferring shapes"),
    QT_TRANSLATE_NOOP("graft::Stage", "Computing statistics"),
    QT_TRANSLATE_NOOP("graft::Stage", "Validating"),
    QT_TRANSLATE_NOOP("graft::Stage", "Preparing the node table"),
    QT_TRANSLATE_NOOP("graft::Stage", "Done"),
    // Reported by loadModel and inferShapes (engine/src/io, engine/src/analysis).
    QT_TRANSLATE_NOOP("graft::Stage", "Opening"),
    QT_TRANSLATE_NOOP("graft::Stage", "Parsing"),
    QT_TRANSLATE_NOOP("graft::Stage", "Building graph"),
    QT_TRANSLATE_NOOP("graft::Stage", "Loaded"),
    QT_TRANSLATE_NOOP("graft::Stage", "Preparing shape inference"),
    QT_TRANSLATE_NOOP("graft::Stage", "Collecting inferred types"),
    QT_TRANSLATE_NOOP("graft::Stage", "Checking inference node by node"),
    QT_TRANSLATE_NOOP("graft::Stage", "Shape inference done"),
};

}  // namespace

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), options_(options) {
  setObjectName(QStringLiteral("graftMainWindow"));
  setWindowIcon(QIcon(QStringLiteral(":/graft/icons/graft.svg")));
  setAcceptDrops(true);
  setDockNestingEnabled(true);

  loader_ = new ModelLoader(this);
  connect(loader_, &ModelLoader::loaded, this, &MainWindow::onLoaded);
  connect(loader_, &ModelLoader::analysed, this, &MainWindow::onAnalysed);
  connect(loader_, &ModelLoader::failed, this, &MainWindow::onFailed);
  connect(loader_, &ModelLoader::cancelled, this, &MainWindow::onCancelled);
  connect(loader_, &ModelLoader::progressChanged, this, &MainWindow::onProgress);

  createCentral();
  createDocks();
  createActions();
  createStatusBar();
  createRewrite();
  createQuant();
  createDiff();
  createEdit();
  updateTitle();

  resize(1280, 800);
  // After every dock exists and is tabified (tabifying resets the columns' widths).
  resizeDocks({modelDock_, nodeDock_}, {300, 340}, Qt::Horizontal);
  resizeDocks({logDock_}, {130}, Qt::Vertical);
  if (options_.useSettings) {
    QSettings settings;
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    docksSized_ = restoreState(settings.value(kStateKey).toByteArray());
  }
}

MainWindow::~MainWindow() = default;

void MainWindow::createCentral() {
  stack_ = new QStackedWidget(this);

  // Shown until a model is open, so the first thing a user sees says what to do.
  auto* welcome = new QWidget(stack_);
  auto* wl = new QVBoxLayout(welcome);
  wl->addStretch(2);
  auto* title = new QLabel(tr("Open an ONNX model to inspect it"), welcome);
  QFont tf = title->font();
  tf.setPointSizeF(tf.pointSizeF() * 1.5);
  title->setFont(tf);
  title->setAlignment(Qt::AlignCenter);
  title->setWordWrap(true);
  auto* hint = new QLabel(tr("Use File → Open (%1), drop a .onnx file on this window, or pick one from File → Open Recent.")
                              .arg(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText)),
                          welcome);
  hint->setAlignment(Qt::AlignCenter);
  hint->setWordWrap(true);
  hint->setForegroundRole(QPalette::PlaceholderText);
  auto* open = new QPushButton(tr("Open Model…"), welcome);
  open->setObjectName(QStringLiteral("welcomeOpenButton"));
  connect(open, &QPushButton::clicked, this, &MainWindow::chooseFile);
  wl->addWidget(title);
  wl->addWidget(hint);
  auto* row = new QHBoxLayout;
  row->addStretch();
  row->addWidget(open);
  row->addStretch();
  wl->addLayout(row);
  wl->addStretch(3);
  stack_->addWidget(welcome);

  tabs_ = new QTabWidget(stack_);
  tabs_->setObjectName(QStringLiteral("centralTabs"));
  tabs_->setDocumentMode(true);

  // The graph comes first: it is what users look at; the table is for sorting and filtering.
  canvas_ = new GraphCanvas(tabs_);
  canvas_->setObjectName(QStringLiteral("graphCanvas"));
  tabs_->addTab(canvas_, tr("Graph"));
  connect(canvas_, &GraphCanvas::nodeSelected, this, [this](const Node* node) {
    if (node) details_->showNode(node);
  });
  // Clicking an edge shows the tensor it carries (GraphView turns node/group clicks into
  // signals; edges are picked here from the scene's polylines).
  canvas_->view()->viewport()->installEventFilter(this);

  auto* nodesPage = new QWidget(tabs_);
  auto* layout = new QVBoxLayout(nodesPage);
  layout->setContentsMargins(4, 4, 4, 0);
  auto* filterRow = new QHBoxLayout;
  filter_ = new QLineEdit(nodesPage);
  filter_->setObjectName(QStringLiteral("nodeFilter"));
  filter_->setPlaceholderText(tr("Filter nodes by name, op type or tensor name"));
  filter_->setClearButtonEnabled(true);
  filterCount_ = new QLabel(nodesPage);
  filterCount_->setForegroundRole(QPalette::PlaceholderText);
  filterRow->addWidget(filter_, 1);
  filterRow->addWidget(filterCount_);
  layout->addLayout(filterRow);

  tableModel_ = new NodeTableModel(this);
  proxy_ = new NodeFilterProxyModel(this);
  proxy_->setSourceModel(tableModel_);
  proxy_->setSortCaseSensitivity(Qt::CaseInsensitive);
  table_ = new QTableView(nodesPage);
  table_->setObjectName(QStringLiteral("nodeTable"));
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(NodeTableModel::IndexColumn, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  table_->setTextElideMode(Qt::ElideMiddle);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  QHeaderView* header = table_->horizontalHeader();
  header->setHighlightSections(false);
  header->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(header, &QHeaderView::customContextMenuRequested, this, &MainWindow::showColumnMenu);
  const int widths[NodeTableModel::ColumnCount] = {48, 240, 110, 170, 70, 70, 220, 200, 80};
  for (int c = 0; c < NodeTableModel::ColumnCount; ++c) header->resizeSection(c, widths[c]);
  table_->setColumnHidden(NodeTableModel::DomainColumn, true);  // mostly ai.onnx; the header menu shows it
  layout->addWidget(table_, 1);
  tabs_->addTab(nodesPage, tr("Nodes"));
  stack_->addWidget(tabs_);
  setCentralWidget(stack_);

  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
    proxy_->setFilterTerms(text);
    updateFilterCount();
  });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            const NodeRow* row = current.isValid() ? tableModel_->rowAt(proxy_->mapToSource(current).row()) : nullptr;
            details_->showNode(row ? row->node : nullptr);
          });
}

void MainWindow::createDocks() {
  properties_ = new ModelPropertiesPanel(this);
  properties_->setObjectName(QStringLiteral("modelProperties"));
  modelDock_ = new QDockWidget(tr("Model"), this);
  modelDock_->setObjectName(QStringLiteral("modelDock"));
  modelDock_->setWidget(properties_);
  addDockWidget(Qt::LeftDockWidgetArea, modelDock_);

  details_ = new NodeDetailsPanel(this);
  details_->setObjectName(QStringLiteral("nodeDetails"));
  nodeDock_ = new QDockWidget(tr("Node"), this);
  nodeDock_->setObjectName(QStringLiteral("nodeDock"));
  nodeDock_->setWidget(details_);
  addDockWidget(Qt::RightDockWidgetArea, nodeDock_);

  run_ = new RunPanel(this);
  runDock_ = new QDockWidget(tr("Values"), this);
  runDock_->setObjectName(QStringLiteral("valuesDock"));
  // The viewer's histogram and table want ~560 px; scrolling keeps the window's minimum small.
  auto* runScroll = new QScrollArea(this);
  runScroll->setWidgetResizable(true);
  runScroll->setFrameShape(QFrame::NoFrame);
  runScroll->setWidget(run_);
  runDock_->setWidget(runScroll);
  addDockWidget(Qt::RightDockWidgetArea, runDock_);
  // A tab beside Node, not a split under it: both panels need height, and a split pushed the
  // window's minimum above 1000x700. Running or clicking a tensor raises this tab.
  tabifyDockWidget(nodeDock_, runDock_);
  nodeDock_->raise();
  connect(details_, &NodeDetailsPanel::tensorClicked, this, &MainWindow::showTensorValues);
  connect(run_, &RunPanel::runFinished, this, [this](bool ok, const QString& message) {
    if (ok) spdlog::info("{}", message.toStdString());
    else spdlog::warn("{}", message.toStdString());
  });

  log_ = new LogView(this);
  log_->setObjectName(QStringLiteral("logView"));
  logDock_ = new QDockWidget(tr("Log"), this);
  logDock_->setObjectName(QStringLiteral("logDock"));
  logDock_->setWidget(log_);
  addDockWidget(Qt::BottomDockWidgetArea, logDock_);

}

void MainWindow::addToFileMenu(std::initializer_list<QAction*> actions, bool group) {
  QAction* before = nullptr;
  for (QAction* item : fileMenu_->actions())
    if (item->isSeparator()) before = item;  // the one above Quit
  if (group) fileMenu_->insertSeparator(before);
  for (QAction* a : actions) fileMenu_->insertAction(before, a);
}

void MainWindow::createActions() {
  QMenu* file = fileMenu_ = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open…"), this,
                                  &MainWindow::chooseFile);
  open->setShortcut(QKeySequence::Open);
  open->setObjectName(QStringLiteral("actionOpen"));
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  recentMenu_->setObjectName(QStringLiteral("recentMenu"));
  connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
  rebuildRecentMenu();
  reloadAction_ = file->addAction(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("Re&load"), this, &MainWindow::reload);
  reloadAction_->setShortcut(QKeySequence::Refresh);
  reloadAction_->setEnabled(false);
  file->addSeparator();
  createExportMenu(file);
  file->addSeparator();
  QAction* quit = file->addAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setMenuRole(QAction::QuitRole);

  QMenu* edit = editMenu_ = menuBar()->addMenu(tr("&Edit"));
  QAction* filter = edit->addAction(tr("&Filter Nodes"), this, [this] {
    tabs_->setCurrentIndex(0);
    filter_->setFocus(Qt::ShortcutFocusReason);
    filter_->selectAll();
  });
  filter->setShortcut(QKeySequence(tr("Ctrl+L")));

  QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
  QAction* runAction = runMenu->addAction(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("&Run Model"), this, [this] {
    runDock_->show();
    runDock_->raise();
    run_->run();
  });
  runAction->setObjectName(QStringLiteral("actionRun"));
  runAction->setShortcut(QKeySequence(tr("Ctrl+R")));
  runAction->setStatusTip(tr("Run the model on the CPU with random or loaded inputs, keeping every tensor's values"));
  runMenu->addAction(tr("&Load Inputs…"), this, [this] {
    runDock_->show();
    run_->chooseInputFiles();
  });
  runMenu->addAction(tr("&Cancel Run"), run_, &RunPanel::cancel);

  QMenu* view = viewMenu_ = menuBar()->addMenu(tr("&View"));
  view->addAction(modelDock_->toggleViewAction());
  view->addAction(nodeDock_->toggleViewAction());
  view->addAction(runDock_->toggleViewAction());
  view->addAction(logDock_->toggleViewAction());
  createViewActions(view);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* keys = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
  keys->setObjectName(QStringLiteral("actionShortcuts"));
  keys->setShortcut(QKeySequence::HelpContents);
  QAction* about = help->addAction(tr("&About Graft"), this, [this] {
    QMessageBox::about(this, tr("About Graft"),
                       tr("<h3>Graft %1</h3><p>A desktop studio for ONNX models: inspect the graph, run it on the "
                          "CPU, match a backend's rules and rewrite with verification, quantize, compare two models, "
                          "edit by hand, replay recipes, export the graph.</p>"
                          "<p>Built with Qt %2 and onnx.</p>")
                           .arg(QStringLiteral(GRAFT_VERSION), QString::fromLatin1(qVersion())));
  });
  about->setMenuRole(QAction::AboutRole);
  help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::createStatusBar() {
  // The summary grows with the model and the translation; it is cut, never widens the window.
  summary_ = new ElidedLabel(tr("Ready"), this);
  statusBar()->addWidget(summary_, 1);

  progressBox_ = new QWidget(this);
  auto* layout = new QHBoxLayout(progressBox_);
  layout->setContentsMargins(0, 0, 0, 0);
  progressLabel_ = new QLabel(progressBox_);
  progressBar_ = new QProgressBar(progressBox_);
  progressBar_->setRange(0, 1000);
  progressBar_->setFixedWidth(180);
  progressBar_->setTextVisible(false);
  cancelButton_ = new QPushButton(tr("Cancel"), progressBox_);
  cancelButton_->setObjectName(QStringLiteral("cancelLoadButton"));
  connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelLoading);
  layout->addWidget(progressLabel_);
  layout->addWidget(progressBar_);
  layout->addWidget(cancelButton_);
  statusBar()->addPermanentWidget(progressBox_);
  // The bar is as tall as the progress row from the start, so showing it during a load does not
  // move the whole window's contents (or, in a small window, make the window taller).
  statusBar()->setMinimumHeight(progressBox_->sizeHint().height());
  progressBox_->hide();

  // Quick opens finish before the bar would flicker; slow ones show it after a quarter second.
  progressDelay_ = new QTimer(this);
  progressDelay_->setSingleShot(true);
  progressDelay_->setInterval(250);
  connect(progressDelay_, &QTimer::timeout, this, [this] {
    if (loader_->isRunning()) progressBox_->show();
  });
}

void MainWindow::openFile(const QString& path) {
  if (isSaving()) {  // opens once the save has succeeded
    afterSave_ = [this, path] { openFile(path); };
    return;
  }
  // Opening another model (or reloading this one) would drop unsaved rewrites: ask first.
  if (!settleUnsavedChanges([this, path] { openFile(path); })) return;
  const QString absolute = QFileInfo(path).absoluteFilePath();
  progressLabel_->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  progressBar_->setRange(0, 1000);
  progressBar_->setValue(0);
  summary_->setText(tr("Opening %1…").arg(absolute));
  progressDelay_->start();
  loader_->open(absolute);
}

void MainWindow::cancelLoading() {
  if (!loader_->isRunning()) return;
  progressLabel_->setText(tr("Cancelling…"));
  cancelButton_->setEnabled(false);
  loader_->cancel();
}

bool MainWindow::isLoading() const { return loader_->isRunning(); }

void MainWindow::chooseFile() {
  QString dir;
  if (document_) dir = QFileInfo(QString::fromStdString(document_->path)).absolutePath();
  else if (!recentFiles().isEmpty()) dir = QFileInfo(recentFiles().front()).absolutePath();
  QString path = QFileDialog::getOpenFileName(this, tr("Open Model"), dir,
                                              tr("ONNX models (*.onnx);;All files (*)"));
  if (!path.isEmpty()) openFile(path);
}

void MainWindow::reload() {
  if (document_) openFile(QString::fromStdString(document_->path));
}

void MainWindow::onProgress(double fraction, const QString& stage) {
  if (fraction < 0) {
    progressBar_->setRange(0, 0);  // busy indicator while the engine cannot tell
  } else {
    progressBar_->setRange(0, 1000);
    progressBar_->setValue(static_cast<int>(fraction * 1000));
  }
  if (cancelButton_->isEnabled())
    progressLabel_->setText(QCoreApplication::translate("graft::Stage", stage.toUtf8().constData()));
  emit loadProgress(fraction, stage);
}

void MainWindow::endLoading() {
  progressDelay_->stop();
  progressBox_->hide();
  cancelButton_->setEnabled(true);
}

void MainWindow::onLoaded(std::shared_ptr<ModelDocument> document) {
  endLoading();
  pendingSelection_.clear();
  std::shared_ptr<ModelDocument> old = std::move(document_);
  document_ = std::move(document);
  std::shared_ptr<const ModelDocument> doc = document_;

  table_->setUpdatesEnabled(false);
  tableModel_->setDocument(doc);
  properties_->setDocument(doc);
  details_->setDocument(doc);
  run_->setDocument(doc);
  canvas_->setDocument(document_);
  table_->setUpdatesEnabled(true);
  stack_->setCurrentWidget(tabs_);
  reloadAction_->setEnabled(true);
  exportMenu_->setEnabled(true);
  // A large model takes a while to free; that happens on a worker, not here.
  if (old) (void)QtConcurrent::run([old = std::move(old)]() mutable { old.reset(); });

  const QString path = QString::fromStdString(document_->path);
  addRecentFile(path);
  updateTitle();
  updateFilterCount();
  // Op types vary from "Add" to "LayerNormalization"; the view measures only rows it shows.
  table_->resizeColumnToContents(NodeTableModel::OpTypeColumn);
  table_->setColumnWidth(NodeTableModel::OpTypeColumn,
                         std::clamp(table_->columnWidth(NodeTableModel::OpTypeColumn), 90, 220));
  // Nothing is pre-selected: the first node in order is usually off screen, and a selection
  // the user did not make only moves the view and the Node panel for no reason.

  updateSummary();
  // Rewrites edit the model, which the background analysis is still reading.
  rewritePanel_->setAnalysing(document_->analysisPending);
  rewrite_->setDocument(document_->analysisPending ? nullptr : document_);
  emit modelLoaded(path);
}

void MainWindow::onAnalysed(std::shared_ptr<ModelDocument> document, std::shared_ptr<ModelDocument> analysis) {
  if (document != document_ || !analysis) return;
  adoptAnalysis(*document_, std::move(*analysis));
  std::shared_ptr<const ModelDocument> doc = document_;
  table_->setUpdatesEnabled(false);
  tableModel_->setDocument(doc);
  properties_->setDocument(doc);
  details_->setDocument(doc);
  run_->setDocument(doc);
  table_->setUpdatesEnabled(true);
  // Inferred shapes replace the declared ones on the edge labels.
  canvas_->refreshTypes();
  updateFilterCount();
  table_->resizeColumnToContents(NodeTableModel::OpTypeColumn);
  table_->setColumnWidth(NodeTableModel::OpTypeColumn,
                         std::clamp(table_->columnWidth(NodeTableModel::OpTypeColumn), 90, 220));
  updateSummary();
  rewritePanel_->setAnalysing(false);
  rewrite_->setDocument(document_);
  if (!pendingSelection_.isEmpty()) selectNode(std::exchange(pendingSelection_, QString()));
  emit modelAnalysed(QString::fromStdString(document_->path));
}

void MainWindow::updateSummary() {
  if (!document_) return;
  if (document_->analysisPending) {
    std::size_t nodes = document_->model ? document_->model->graph().nodeCount() : 0;
    summary_->setText(tr("%n node(s)", nullptr, static_cast<int>(nodes)) + QStringLiteral(" · ") + tr("analysing…"));
    return;
  }
  const Statistics& s = document_->statistics;
  QString flops = s.nodesWithUnknownCost == 0 ? tr("%1 FLOPs").arg(formatCompact(s.flops))
                  : s.flops == 0                ? tr("FLOPs unknown")
                                                : tr("%1 FLOPs, unknown for %n node(s)", nullptr,
                                                     static_cast<int>(s.nodesWithUnknownCost))
                                                      .arg(formatCompact(s.flops));
  QString summary = tr("%n node(s)", nullptr, static_cast<int>(s.nodeCount)) + QStringLiteral(" · ") +
                    tr("%1 parameters").arg(formatCompact(s.parameters)) + QStringLiteral(" · ") + flops;
  const int problems = properties_->problemCount();
  summary += QStringLiteral(" · ") + (problems ? tr("%n problem(s)", nullptr, problems) : tr("no problems"));
  summary_->setText(summary);
}

void MainWindow::onFailed(const QString& path, const QString& message) {
  endLoading();
  summary_->setText(document_ ? tr("Could not open %1; still showing %2.")
                                    .arg(QFileInfo(path).fileName(),
                                         QFileInfo(QString::fromStdString(document_->path)).fileName())
                              : tr("Could not open %1.").arg(QFileInfo(path).fileName()));
  if (!QFileInfo::exists(path)) {
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    if (options_.useSettings && recent.removeAll(path) > 0) settings.setValue(kRecentKey, recent);
  }
  if (options_.errorDialogs) {
    auto* box = new QMessageBox(QMessageBox::Critical, tr("Could not open model"),
                                tr("Graft could not open %1.").arg(QFileInfo(path).fileName()), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->open();
  } else {
    std::fprintf(stderr, "graft: %s\n", message.toLocal8Bit().constData());
  }
  emit loadFailed(path, message);
}

void MainWindow::onCancelled(const QString& path) {
  endLoading();
  summary_->setText(tr("Opening %1 was cancelled.").arg(QFileInfo(path).fileName()));
  emit loadCancelled(path);
}

bool MainWindow::selectNode(const QString& name) {
  if (!document_) return false;
  const std::string wanted = name.toStdString();
  if (document_->rows.empty() && document_->analysisPending && document_->model) {
    // A large model is shown before its analysis (and table rows) exist: find the node in the
    // graph itself, select it on the canvas now and in the table once the analysis is in.
    const Node* found = nullptr;
    int stored = 0;
    document_->model->graph().forEachNode([&](const Node& n) {
      const bool named = !n.name().empty() ? n.name() == wanted : n.opType() + " #" + std::to_string(stored) == wanted;
      if (!found && named) found = &n;
      ++stored;
    });
    if (!found) return false;
    pendingSelection_ = name;
    canvas_->selectNode(found);
    details_->showNode(found);
    return true;
  }
  for (const NodeRow& row : document_->rows) {
    if (row.node->name() == wanted || row.displayName == wanted) {
      QModelIndex index = proxy_->mapFromSource(tableModel_->index(row.index, NodeTableModel::NameColumn));
      if (!index.isValid()) {  // hidden by the filter: clear it so the node can be shown
        filter_->clear();
        index = proxy_->mapFromSource(tableModel_->index(row.index, NodeTableModel::NameColumn));
      }
      table_->selectRow(index.row());
      table_->scrollTo(index, QAbstractItemView::PositionAtCenter);
      canvas_->selectNode(row.node);
      return true;
    }
  }
  return false;
}

QStringList MainWindow::recentFiles() const {
  if (!options_.useSettings) return {};
  return QSettings().value(kRecentKey).toStringList();
}

void MainWindow::addRecentFile(const QString& path) {
  if (!options_.useSettings) return;
  QSettings settings;
  QStringList recent = settings.value(kRecentKey).toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue(kRecentKey, recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  QStringList recent = recentFiles();
  // Files that were moved or deleted since are dropped, not offered.
  QStringList existing;
  for (const QString& f : recent)
    if (QFileInfo::exists(f)) existing << f;
  if (existing != recent && options_.useSettings) QSettings().setValue(kRecentKey, existing);
  int n = 0;
  for (const QString& f : existing) {
    ++n;
    QString label = QFileInfo(f).fileName().replace(QLatin1Char('&'), QStringLiteral("&&"));
    if (n <= 9) label = QStringLiteral("&%1 %2").arg(n).arg(label);
    QAction* a = recentMenu_->addAction(label, this, [this, f] { openFile(f); });
    a->setToolTip(f);
    a->setStatusTip(f);
  }
  if (existing.isEmpty()) recentMenu_->addAction(tr("No recent files"))->setEnabled(false);
  recentMenu_->addSeparator();
  QAction* clear = recentMenu_->addAction(tr("&Clear Recent Files"), this, [this] {
    if (options_.useSettings) QSettings().remove(kRecentKey);
    rebuildRecentMenu();
  });
  clear->setEnabled(!existing.isEmpty());
}

void MainWindow::updateFilterCount() {
  const int total = tableModel_->rowCount();
  const int shown = proxy_->rowCount();
  filterCount_->setText(shown == total ? tr("%n node(s)", nullptr, total) : tr("%1 of %2 nodes").arg(shown).arg(total));
}

void MainWindow::updateTitle() {
  if (document_) {
    const QString path = QString::fromStdString(document_->path);
    setWindowFilePath(path);
    // [*] shows unsaved rewrites (windowModified follows the undo stack's clean state).
    setWindowTitle(tr("%1[*] — Graft").arg(QFileInfo(path).fileName()));
  } else {
    setWindowTitle(tr("Graft"));
  }
}

void MainWindow::showColumnMenu(const QPoint& pos) {
  QMenu menu(this);
  for (int c = 0; c < NodeTableModel::ColumnCount; ++c) {
    QAction* a = menu.addAction(tableModel_->headerData(c, Qt::Horizontal).toString());
    a->setCheckable(true);
    a->setChecked(!table_->isColumnHidden(c));
    connect(a, &QAction::toggled, this, [this, c](bool on) { table_->setColumnHidden(c, !on); });
  }
  menu.exec(table_->horizontalHeader()->viewport()->mapToGlobal(pos));
}

QString MainWindow::onnxPathFrom(const QMimeData* mime) {
  if (!mime || !mime->hasUrls()) return {};
  for (const QUrl& url : mime->urls()) {
    if (!url.isLocalFile()) continue;
    QString path = url.toLocalFile();
    if (path.endsWith(QStringLiteral(".onnx"), Qt::CaseInsensitive)) return path;
  }
  return {};
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (!onnxPathFrom(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event) {
  if (!onnxPathFrom(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  QString path = onnxPathFrom(event->mimeData());
  if (path.isEmpty()) return;
  event->acceptProposedAction();
  openFile(path);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (isSaving()) {  // closes once the save has succeeded
    if (!afterSave_) afterSave_ = [this] { close(); };
    event->ignore();
    return;
  }
  if (!settleUnsavedChanges([this] { close(); })) {
    event->ignore();
    return;
  }
  loader_->cancel();
  if (options_.useSettings) {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
  }
  QMainWindow::closeEvent(event);
}

void MainWindow::showTensorValues(const QString& name) {
  if (name.isEmpty()) return;
  runDock_->show();
  runDock_->raise();
  run_->showTensor(name);
}

namespace {

double distanceToSegment(QPointF p, QPointF a, QPointF b) {
  QPointF d = b - a;
  double len2 = d.x() * d.x() + d.y() * d.y();
  double t = len2 > 0 ? std::clamp(((p.x() - a.x()) * d.x() + (p.y() - a.y()) * d.y()) / len2, 0.0, 1.0) : 0.0;
  QPointF q = a + t * d - p;
  return std::sqrt(q.x() * q.x() + q.y() * q.y());
}

}  // namespace

QString MainWindow::tensorAtCanvasPoint(QPointF viewportPos) const {
  GraphView* view = canvas_->view();
  const auto& scene = view->scene();
  if (!scene) return {};
  QPointF sp = view->mapToScene(viewportPos);
  if (scene->nodeAt(sp) >= 0) return {};
  // Within a few screen pixels of an edge's path (the spline's control polygon is close
  // enough to the drawn curve for picking).
  double best = 6.0 / std::max(view->scale(), 1e-6);
  int bestValue = -1;
  for (const auto& e : scene->layout.edges) {
    if (e.values.empty() || e.points.size() < 2) continue;
    for (std::size_t i = 0; i + 1 < e.points.size(); ++i) {
      double d = distanceToSegment(sp, QPointF(e.points[i].x, e.points[i].y), QPointF(e.points[i + 1].x, e.points[i + 1].y));
      if (d < best) {
        best = d;
        bestValue = e.values.front();
      }
    }
  }
  if (bestValue < 0) return {};
  return QString::fromStdString(scene->lg().values[static_cast<std::size_t>(bestValue)].name);
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (docksSized_) return;
  docksSized_ = true;
  // Rule names, match locations and block reasons need room; a wide window gives the docks
  // some of it (at 1600 px: about 480 left and 350 right) rather than all to the graph.
  const int w = width();
  resizeDocks({modelDock_, nodeDock_}, {std::clamp(w * 30 / 100, 300, 540), std::clamp(w * 22 / 100, 340, 460)},
              Qt::Horizontal);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
  if (canvas_ && watched == canvas_->view()->viewport()) {
    if (event->type() == QEvent::MouseButtonPress) {
      canvasPress_ = static_cast<QMouseEvent*>(event)->position().toPoint();
    } else if (event->type() == QEvent::MouseButtonRelease) {
      auto* me = static_cast<QMouseEvent*>(event);
      if (me->button() == Qt::LeftButton && (me->position().toPoint() - canvasPress_).manhattanLength() <= 3) {
        QString name = tensorAtCanvasPoint(me->position());
        if (!name.isEmpty()) showTensorValues(name);
      }
    }
  }
  return QMainWindow::eventFilter(watched, event);
}

}  // namespace graft
