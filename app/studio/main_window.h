// The studio's main window: menus and actions, recent files, drag and drop, the panels
// around the central tabs (node table now, graph canvas next), and the open-model workflow.
#pragma once

#include <QDialog>
#include <QMainWindow>
#include <QPoint>
#include <QPointF>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

#include "canvas/graph_canvas.h"
#include "model_document.h"

class QAction;
class QComboBox;
class QProgressDialog;
class QUndoStack;
class QUndoView;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QMimeData;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTimer;

namespace graft {

class DiffView;
class LogView;
class ModelLoader;
class ModelPropertiesPanel;
class NodeDetailsPanel;
class NodeFilterProxyModel;
class NodeTableModel;
class RunPanel;
class QuantPanel;
class RewritePanel;
class RewritePreviewDialog;
class RewriteSession;
class EditSession;
class AttributeTable;
class InputShapeTable;
struct Edit;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  struct Options {
    bool useSettings = true;   // restore/save geometry and recent files (off for --screenshot)
    bool errorDialogs = true;  // off: errors go to the log and stderr only
  };
  explicit MainWindow(QWidget* parent = nullptr) : MainWindow(Options{}, parent) {}
  explicit MainWindow(Options options, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts opening a model off the GUI thread; ends in modelLoaded, loadFailed or loadCancelled.
  // The open model stays until a new one has loaded.
  void openFile(const QString& path);
  void cancelLoading();
  bool isLoading() const;

  std::shared_ptr<const ModelDocument> document() const { return document_; }
  // Selects a node in the table by name or "<op_type> #<index>" display name; false if absent.
  bool selectNode(const QString& name);
  QStringList recentFiles() const;

  // The central tabs: "Nodes" now; the graph canvas is added beside it.
  QTabWidget* centralTabs() const { return tabs_; }
  QTableView* nodeTable() const { return table_; }
  GraphCanvas* graphCanvas() const { return canvas_; }
  NodeTableModel* nodeTableModel() const { return tableModel_; }
  NodeFilterProxyModel* nodeFilterModel() const { return proxy_; }
  QLineEdit* filterEdit() const { return filter_; }
  ModelPropertiesPanel* propertiesPanel() const { return properties_; }
  NodeDetailsPanel* detailsPanel() const { return details_; }
  LogView* logView() const { return log_; }
  RunPanel* runPanel() const { return run_; }
  // Shows a tensor's values in the Values dock (the last run's, or a weight's).
  void showTensorValues(const QString& name);
  // The tensor an edge of the canvas carries at a viewport point, or "" when no edge is there.
  QString tensorAtCanvasPoint(QPointF viewportPos) const;
  QPushButton* cancelButton() const { return cancelButton_; }

  // ---- export (main_window_export.cpp)
  // Writes the graph (SVG or PNG by suffix) for `area`; asks for a file when `path` is empty.
  // Returns the path written, or "" (cancelled, or failed with a message).
  QString exportGraphAs(GraphCanvas::ExportArea area, const QString& path = QString());
  // ---- view (main_window_view.cpp): Help → Keyboard Shortcuts. Tests set a hook that gets the
  // dialog instead of it running modally.
  void showShortcuts();
  void setShortcutsHook(std::function<void(QDialog*)> hook) { shortcutsHook_ = std::move(hook); }

  // ---- match and rewrite (main_window_rewrite.cpp)
  RewriteSession* rewriteSession() const { return rewrite_; }
  RewritePanel* rewritePanel() const { return rewritePanel_; }
  QComboBox* backendChooser() const { return backend_; }
  QUndoStack* undoStack() const;
  QUndoView* historyView() const { return history_; }
  QAction* undoAction() const { return undoAction_; }
  QAction* redoAction() const { return redoAction_; }
  // Chooses a backend profile by name or path (as the toolbar does); false with a message if it fails.
  bool chooseBackend(const QString& nameOrPath, QString* error = nullptr);
  bool loadRuleFile(const QString& path, QString* error = nullptr);
  // Starts saving the open model on a worker (atomically, through graft::saveModel), with progress
  // and Cancel; ends in saved() (the undo stack becomes clean) or saveFailed() (the file at `path`
  // is as it was).
  void startSave(const QString& path);
  bool isSaving() const;
  // startSave, waiting for the result with the event loop running (for scripts and tests).
  bool saveTo(const QString& path, QString* error = nullptr);
  // Rewrites not written to disk yet (the undo stack is not at its clean state).
  bool hasUnsavedChanges() const;
  // Closing the window or opening another model with unsaved changes asks what to do. The
  // default asks with a message box; tests set a prompt that answers without a modal loop.
  enum class UnsavedAnswer { Save, Discard, Cancel };
  using UnsavedChangesPrompt = std::function<UnsavedAnswer(const QString& fileName)>;
  void setUnsavedChangesPrompt(UnsavedChangesPrompt prompt);
  // ---- quantization (main_window_quant.cpp)
  QuantPanel* quantPanel() const { return quantPanel_; }
  QDockWidget* quantDock() const { return quantDock_; }
  // The preview dialog opened last (nullptr once closed).
  RewritePreviewDialog* previewDialog() const;

  // ---- diff (main_window_diff.cpp)
  // The open model (A) against another file (B), side by side in a DiffView window; ends in
  // diffReady or diffFailed.
  void diffWith(const QString& otherPath);
  // The file on disk (A) against the open model as edited (B).
  void compareWithOriginal();
  DiffView* diffView() const;
  // ---- hand edits and recipes (main_window_edit.cpp)
  EditSession* editSession() const { return edit_; }
  AttributeTable* attributeTable() const { return attributes_; }
  InputShapeTable* inputShapeTable() const { return inputShapes_; }
  // Applies an edit to the open model as one command of the history; false with the reason.
  bool applyEdit(const Edit& edit, QString* error = nullptr);
  // A refused edit: the status bar, and a message box unless errorDialogs is off.
  void showEditError(const QString& message);
  // File → Export Recipe: the history (up to its current state) as a recipe file.
  bool exportRecipe(const QString& path, QString* error = nullptr);
  // File → Apply Recipe…: replays a recipe file on the open model as one command; `report`
  // gets one line per step. True when every step applied or was already true.
  bool applyRecipeFile(const QString& path, QString* report = nullptr);

 signals:
  void modelLoaded(const QString& path);
  // A large model is shown before it is analysed; this follows once the analyses are in.
  void modelAnalysed(const QString& path);
  void loadFailed(const QString& path, const QString& message);
  void loadCancelled(const QString& path);
  void loadProgress(double fraction, const QString& stage);
  void saved(const QString& path);
  void saveFailed(const QString& path, const QString& message);
  void diffReady();
  void diffFailed(const QString& message);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dragMoveEvent(QDragMoveEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void createCentral();
  void createDocks();
  void createActions();
  void createStatusBar();
  void chooseFile();
  void reload();
  void onLoaded(std::shared_ptr<ModelDocument> document);
  void onAnalysed(std::shared_ptr<ModelDocument> document, std::shared_ptr<ModelDocument> analysis);
  void onFailed(const QString& path, const QString& message);
  void onCancelled(const QString& path);
  void onProgress(double fraction, const QString& stage);
  void endLoading();
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();
  void updateFilterCount();
  void updateTitle();
  void showColumnMenu(const QPoint& pos);
  static QString onnxPathFrom(const QMimeData* mime);
  void createExportMenu(QMenu* file);
  void createViewActions(QMenu* view);
  void createRewrite();  // toolbar chooser, rewrite and history docks, undo/redo, save
  void createQuant();    // the Quantize dock and its heatmap on the canvas
  void createDiff();     // File → Diff With…, Compare with Original
  void startDiff(const QString& what, const std::string& otherPath, bool fileIsA);
  void createEdit();     // edit actions, attribute and input-shape tables, recipes
  void showAddNodeDialog();
  void showExtractDialog();
  void onRewriteDocumentChanged();
  void updateSummary();
  void save();
  void saveAs();
  void onSaveFinished(const QString& path, bool ok, bool cancelled, const QString& message);
  UnsavedAnswer askAboutUnsavedChanges();
  // True: nothing unsaved, or the user discards it; go on. False: stop here (Cancel, or a save
  // was started and `then` runs once it has succeeded).
  bool settleUnsavedChanges(std::function<void()> then);

  Options options_;
  std::shared_ptr<ModelDocument> document_;
  ModelLoader* loader_ = nullptr;

  QStackedWidget* stack_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QLineEdit* filter_ = nullptr;
  QLabel* filterCount_ = nullptr;
  QTableView* table_ = nullptr;
  GraphCanvas* canvas_ = nullptr;
  NodeTableModel* tableModel_ = nullptr;
  NodeFilterProxyModel* proxy_ = nullptr;
  ModelPropertiesPanel* properties_ = nullptr;
  NodeDetailsPanel* details_ = nullptr;
  LogView* log_ = nullptr;
  RunPanel* run_ = nullptr;
  QDockWidget* runDock_ = nullptr;
  QPoint canvasPress_;
  QDockWidget* modelDock_ = nullptr;
  QDockWidget* nodeDock_ = nullptr;
  QDockWidget* logDock_ = nullptr;

  QMenu* recentMenu_ = nullptr;
  // The menus createActions makes, which the topic files (rewrite, quant, diff, edit) extend.
  QMenu* fileMenu_ = nullptr;
  QMenu* editMenu_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  // Inserts `actions` into File above the separator before Quit, after a separator when `group`.
  void addToFileMenu(std::initializer_list<QAction*> actions, bool group);
  QAction* reloadAction_ = nullptr;

  QWidget* progressBox_ = nullptr;
  QLabel* progressLabel_ = nullptr;
  QProgressBar* progressBar_ = nullptr;
  QPushButton* cancelButton_ = nullptr;
  QTimer* progressDelay_ = nullptr;
  QLabel* summary_ = nullptr;

  RewriteSession* rewrite_ = nullptr;
  RewritePanel* rewritePanel_ = nullptr;
  QDockWidget* rewriteDock_ = nullptr;
  QDockWidget* historyDock_ = nullptr;
  QUndoView* history_ = nullptr;
  QComboBox* backend_ = nullptr;
  QAction* undoAction_ = nullptr;
  QAction* redoAction_ = nullptr;
  QAction* saveAction_ = nullptr;
  QAction* saveAsAction_ = nullptr;
  QProgressDialog* editProgress_ = nullptr;
  QObject* inputBlocker_ = nullptr;
  QPointer<QDialog> preview_;
  QString savingPath_;
  QString lastSaveError_;
  std::function<void()> afterSave_;
  UnsavedChangesPrompt unsavedPrompt_;
  int focusMatch_ = -1;
  QString pendingSelection_;
  QMenu* exportMenu_ = nullptr;
  bool docksSized_ = false;  // sized for the window once (unless restored from settings)
  std::function<void(QDialog*)> shortcutsHook_;  // selectNode before the table rows existed (large models)
  QuantPanel* quantPanel_ = nullptr;
  QDockWidget* quantDock_ = nullptr;
  QAction* diffWithAction_ = nullptr;
  QAction* compareOriginalAction_ = nullptr;
  QPointer<DiffView> diffView_;
  bool diffRunning_ = false;
  EditSession* edit_ = nullptr;
  AttributeTable* attributes_ = nullptr;
  InputShapeTable* inputShapes_ = nullptr;
  QAction* exportRecipeAction_ = nullptr;
  QAction* applyRecipeAction_ = nullptr;
};

}  // namespace graft
