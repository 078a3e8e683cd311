// The graph canvas: the model's graph drawn as boxes and edges, grouped by module scope and
// laid out off the GUI thread, with a breadcrumb into subgraph bodies, find, minimap and export.
#pragma once

#include <QFutureWatcher>
#include <QPointer>
#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "canvas/canvas_scene.h"
#include "graft/ir.h"
#include "graft/layout.h"
#include "model_document.h"

class QHBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;
class QToolButton;

namespace graft {

class FindPanel;
class GraphView;
class Minimap;

class GraphCanvas : public QWidget, private ModelObserver {
  Q_OBJECT

 public:
  explicit GraphCanvas(QWidget* parent = nullptr);
  ~GraphCanvas() override;

  // Shows the document's main graph (nullptr clears). The canvas observes the model and
  // lays out again after edits; the document must outlive the canvas's use of it.
  void setDocument(std::shared_ptr<ModelDocument> document);
  // The document's types changed without an edit (its analysis arrived): edge labels are
  // rebuilt and laid out again off the GUI thread, keeping the view and the selection.
  void refreshTypes();
  const std::shared_ptr<ModelDocument>& document() const { return document_; }

  // ---- selection and navigation
  const Node* selectedNode() const;
  // Selects a node of any graph of the model: enters its subgraph, expands the groups that
  // hide it and brings it into view (after the layout that needs, which runs off this thread).
  bool selectNode(const Node* node);
  bool selectNodeByName(const QString& name);  // first node with that name in the shown graph
  void clearSelection();

  // ---- groups
  std::set<std::string> expandedGroups() const;
  void setGroupExpanded(const std::string& path, bool expanded);
  void expandAll();
  void collapseAll();
  // Graphs with at most this many nodes open with every group expanded (default 300).
  void setAutoExpandLimit(int nodes) { autoExpandLimit_ = nodes; }
  void setShowNodeNames(bool show);
  // Constant nodes drawn as badges on their readers (on by default; View → Fold Constants).
  void setFoldConstants(bool fold);
  bool foldConstants() const { return foldConstants_; }
  // Each chain of shape arithmetic drawn as one box (View → Collapse Shape Computations).
  void setCollapseShapeComputations(bool collapse);
  bool collapseShapeComputations() const { return collapseShapes_; }
  bool showNodeNames() const { return showNames_; }

  // ---- subgraphs (If/Loop/Scan bodies open in place)
  const Graph* currentGraph() const;
  bool enterSubgraph(const Node* node, int index = 0);
  void leaveSubgraph();
  QStringList breadcrumb() const;  // "main", "Loop_0 ▸ body", ...

  // ---- find
  void showFind();
  // Matches by node name, op type or tensor name in every graph of the model; the results
  // are listed in the find panel and marked on the canvas.
  int find(const QString& text);
  bool activateFindResult(int row);
  const std::vector<const Node*>& findResults() const { return findResults_; }

  // ---- export (the graph at the current expansion: all of it, what the view shows, or the
  // selected node or group with a margin)
  enum class ExportArea { Whole, Visible, Selection };
  bool exportSvg(const QString& path, QString* error = nullptr, ExportArea area = ExportArea::Whole) const;
  bool exportPng(const QString& path, QString* error = nullptr, ExportArea area = ExportArea::Whole) const;
  // SVG or PNG by the file's suffix (.svg, else PNG).
  bool exportGraph(const QString& path, ExportArea area, QString* error = nullptr) const;
  // The scene rectangle an export of `area` covers; empty when there is nothing to export
  // (no graph, or no selection for ExportArea::Selection).
  QRectF exportRect(ExportArea area) const;
  // The whole scene as an image, at most maxSide pixels on the long side.
  QImage renderImage(int maxSide = 8192, ExportArea area = ExportArea::Whole) const;

  // ---- overlays from tools (rewrite matches, blockers): rings and tooltip notes by node id
  void setOverlay(std::shared_ptr<const CanvasOverlay> overlay);
  // While a worker edits the model the canvas must not hear of it on that thread: stop
  // observing, then resume (which refreshes when the model changed meanwhile).
  void suspendModelUpdates();
  void resumeModelUpdates();

  // ---- state for tests, benchmarks and the status bar
  bool isLayoutRunning() const { return jobRunning_; }
  const CanvasScene* currentScene() const;
  const LayoutStats& layoutStats() const { return stats_; }
  GraphView* view() const { return view_; }
  FindPanel* findPanel() const { return find_; }
  Minimap* minimap() const { return minimap_; }
  void cancelLayout();

 signals:
  void nodeSelected(const graft::Node* node);  // nullptr when the selection is cleared
  // An initializer badge was opened (double-click): show it in the tensor viewer.
  void tensorActivated(const graft::Value* value);
  void graphEntered(const graft::Graph* graph);
  void layoutFinished();
  void layoutFailed(const QString& message);

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  struct Level {
    const Graph* graph = nullptr;
    const Node* owner = nullptr;  // node whose body this is; nullptr for the main graph
    int bodyIndex = 0;
    std::set<std::string> expanded;
    bool initialized = false;  // initial expansion chosen
    std::shared_ptr<LayoutEngine> engine;
    std::shared_ptr<const CanvasGraph> canvasGraph;
    std::uint64_t typesRevision = 0;  // typesRevision_ when canvasGraph was built
    std::shared_ptr<const CanvasScene> scene;
    int selected = -1;  // LayoutGraph node index
    QPointF center;
    double scale = 0;
  };
  struct Request {
    int level = 0;
    std::uint64_t generation = 0;
    bool keepView = true;
    std::function<void()> then;
    const CanvasGraph* graph = nullptr;  // the snapshot a running job lays out
  };
  struct Outcome {
    std::shared_ptr<CanvasScene> scene;
    Status status;
    LayoutStats stats;
    std::set<std::string> expanded;  // the first expansion, when the worker chose it
    bool choseExpansion = false;
  };

  // ModelObserver: edits arrive on the GUI thread; they are handled once, later.
  void nodeAdded(Node&) override { scheduleRefresh(); }
  void nodeRemoved(Node& node) override;
  void nodeChanged(Node&) override { scheduleRefresh(); }
  void valueChanged(Value&) override { scheduleRefresh(); }
  void graphChanged(Graph&) override { scheduleRefresh(); }
  void scheduleRefresh();
  void refreshAfterEdit();

  Level& level() { return levels_.back(); }
  const Level* currentLevel() const { return levels_.empty() ? nullptr : &levels_.back(); }
  void pushLevel(const Graph* graph, const Node* owner, int bodyIndex);
  void ensureSnapshot(Level& level);
  void requestLayout(bool keepView, std::function<void()> then = {});
  // Runs `then` once the current level's layout of its current snapshot is shown: after the
  // job already on its way when there is one (not cancelling it), else after a new one.
  void afterLayout(std::function<void()> then);
  void startNext();
  void jobFinished();
  void showScene(Level& level, std::shared_ptr<const CanvasScene> scene, bool keepView);
  void rebuildBreadcrumb();
  void selectIndex(int node, bool center, bool emitSignal = true);
  void selectGroup(int group);
  void toggleGroup(int group);
  void onNavigateKey(int key);
  void showNodeInView(int node);
  const Node* nodeAt(int index) const;
  void updateProgress();

  std::shared_ptr<ModelDocument> document_;
  Model* observed_ = nullptr;
  std::vector<Level> levels_;
  bool showNames_ = false;
  bool foldConstants_ = true;
  bool collapseShapes_ = false;
  std::uint64_t typesRevision_ = 0;
  int autoExpandLimit_ = 300;
  bool refreshScheduled_ = false;
  bool suspended_ = false;

  // One layout runs at a time (Graphviz is serialized anyway); a newer request replaces
  // the waiting one and cancels the running one.
  QFutureWatcher<Outcome>* watcher_ = nullptr;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::shared_ptr<std::atomic<double>> progress_;
  bool jobRunning_ = false;
  Request running_;
  std::unique_ptr<Request> pending_;
  std::uint64_t generation_ = 0;
  LayoutStats stats_;

  std::vector<int> navCandidates_;
  int navIndex_ = 0;
  std::vector<const Node*> findResults_;

  QWidget* bar_ = nullptr;
  QHBoxLayout* crumbs_ = nullptr;
  QLabel* status_ = nullptr;
  GraphView* view_ = nullptr;
  Minimap* minimap_ = nullptr;
  FindPanel* find_ = nullptr;
  QWidget* progressBox_ = nullptr;
  QProgressBar* progressBar_ = nullptr;
  QTimer* progressTimer_ = nullptr;
};

}  // namespace graft
