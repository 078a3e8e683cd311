#include "canvas/graph_canvas.h"

#include <QApplication>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "canvas/find_panel.h"
#include "canvas/graph_view.h"
#include "canvas/minimap.h"
#include "elided_label.h"

namespace graft {

namespace {

// What the canvas opens with: the root, and a lone child group all the way down.
std::set<std::string> initialExpansion(const LayoutGrouping& grouping, int autoExpandLimit) {
  std::set<std::string> out;
  if (grouping.groups.empty()) return out;
  if (grouping.groups[0].nodeCount <= autoExpandLimit) {
    for (size_t g = 1; g < grouping.groups.size(); ++g) out.insert(grouping.groups[g].path);
    return out;
  }
  int g = 0;
  while (grouping.groups[g].children.size() == 1) {
    g = grouping.groups[g].children[0];
    out.insert(grouping.groups[g].path);
  }
  return out;
}

QString bodyLabel(const Node* owner, int index) {
  QString name = owner->name().empty() ? QString::fromStdString(owner->opType()) : QString::fromStdString(owner->name());
  const auto& sg = owner->subgraphs()[static_cast<size_t>(index)];
  QString attr = QString::fromStdString(sg.attribute);
  if (owner->subgraphs().size() > 1 && sg.index > 0) attr += QStringLiteral("[%1]").arg(sg.index);
  return name + QStringLiteral(" \u25B8 ") + attr;
}

bool containsInsensitive(const std::string& haystack, const std::string& lowerNeedle) {
  if (lowerNeedle.size() > haystack.size()) return false;
  auto it = std::search(haystack.begin(), haystack.end(), lowerNeedle.begin(), lowerNeedle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != haystack.end();
}

}  // namespace

GraphCanvas::GraphCanvas(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("graphCanvas"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);

  bar_ = new QWidget(this);
  bar_->setObjectName(QStringLiteral("canvasBar"));
  auto* barLayout = new QHBoxLayout(bar_);
  barLayout->setContentsMargins(6, 2, 6, 2);
  barLayout->setSpacing(4);
  crumbs_ = new QHBoxLayout;
  crumbs_->setSpacing(0);
  barLayout->addLayout(crumbs_);
  // The bar never sets the window's minimum width: the node count may shrink to nothing, and
  // buttons that do not fit (long labels in German or French) move into the toolbar's » menu.
  status_ = new ElidedLabel(bar_);
  status_->setObjectName(QStringLiteral("canvasStatus"));
  status_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
  barLayout->addWidget(status_, 1);
  auto* tools = new QToolBar(bar_);
  tools->setObjectName(QStringLiteral("canvasTools"));
  tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
  tools->setMovable(false);
  tools->setFloatable(false);
  tools->setStyleSheet(QStringLiteral("QToolBar { border: 0px; padding: 0px; spacing: 2px; }"));
  auto addButton = [&](const QString& text, const QString& tip, auto slot) {
    QAction* a = tools->addAction(text);
    a->setToolTip(tip);
    connect(a, &QAction::triggered, this, slot);
    return a;
  };
  addButton(tr("Fit"), tr("Fit the graph in the view (F)"), [this] { view_->fitToView(); });
  addButton(tr("100%"), tr("Actual size (1)"), [this] { view_->zoomToActualSize(); });
  addButton(tr("Expand all"), tr("Open every group"), [this] { expandAll(); });
  addButton(tr("Collapse all"), tr("Close every group"), [this] { collapseAll(); });
  addButton(tr("Find"), tr("Find a node (Ctrl+F)"), [this] { showFind(); });
  tools->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
  barLayout->addWidget(tools, 0);
  layout->addWidget(bar_);

  find_ = new FindPanel(this);
  layout->addWidget(find_);
  view_ = new GraphView(this);
  layout->addWidget(view_, 1);
  minimap_ = new Minimap(view_, this);

  progressBox_ = new QWidget(this);
  progressBox_->setObjectName(QStringLiteral("layoutProgress"));
  progressBox_->setAutoFillBackground(true);
  auto* pl = new QHBoxLayout(progressBox_);
  pl->setContentsMargins(8, 4, 8, 4);
  pl->addWidget(new QLabel(tr("Laying out…"), progressBox_));
  progressBar_ = new QProgressBar(progressBox_);
  progressBar_->setRange(0, 100);
  progressBar_->setMaximumWidth(160);
  pl->addWidget(progressBar_);
  auto* cancel = new QPushButton(tr("Cancel"), progressBox_);
  connect(cancel, &QPushButton::clicked, this, &GraphCanvas::cancelLayout);
  pl->addWidget(cancel);
  progressBox_->hide();
  progressTimer_ = new QTimer(this);
  progressTimer_->setInterval(100);
  connect(progressTimer_, &QTimer::timeout, this, &GraphCanvas::updateProgress);

  watcher_ = new QFutureWatcher<Outcome>(this);
  connect(watcher_, &QFutureWatcher<Outcome>::finished, this, &GraphCanvas::jobFinished);

  connect(view_, &GraphView::viewChanged, minimap_, &Minimap::sync);
  connect(view_, &GraphView::nodeClicked, this, [this](int node) { selectIndex(node, false); });
  connect(view_, &GraphView::nodeActivated, this, [this](int node) {
    const Node* n = nodeAt(node);
    if (n && !n->subgraphs().empty()) enterSubgraph(n, 0);
  });
  connect(view_, &GraphView::groupClicked, this, [this](int group) {
    const CanvasScene* scene = currentScene();
    if (!scene) return;
    int gb = scene->layout.groupBox[group];
    // Clicking an open group's title bar closes it; a closed group is selected first.
    if (gb >= 0 && scene->layout.groups[gb].expanded)
      toggleGroup(group);
    else
      selectGroup(group);
  });
  connect(view_, &GraphView::groupActivated, this, [this](int group) { toggleGroup(group); });
  connect(view_, &GraphView::backgroundClicked, this, &GraphCanvas::clearSelection);
  connect(view_, &GraphView::navigateKey, this, &GraphCanvas::onNavigateKey);
  connect(view_, &GraphView::badgeActivated, this, [this](int value) {
    const Level* lv = currentLevel();
    if (!lv || !lv->canvasGraph) return;
    const auto& v = lv->canvasGraph->layout->values[value];
    if (const Value* val = lv->graph->resolveValue(v.name)) emit tensorActivated(val);
  });
  connect(view_, &GraphView::stubActivated, this, [this](int value) {
    const Level* lv = currentLevel();
    if (!lv || !lv->canvasGraph) return;
    int producer = lv->canvasGraph->layout->values[value].producer;
    if (producer >= 0) {
      selectIndex(producer, true);
      showNodeInView(producer);
    }
  });

  connect(find_, &FindPanel::queryChanged, this, [this](const QString& text) { find(text); });
  connect(find_, &FindPanel::resultActivated, this, [this](int row) { activateFindResult(row); });
  connect(find_, &FindPanel::closed, this, [this] {
    view_->paintState().marked.clear();
    view_->refresh();
    view_->setFocus();
  });
  auto* findShortcut = new QShortcut(QKeySequence::Find, this);
  findShortcut->setContext(Qt::WidgetWithChildrenShortcut);
  connect(findShortcut, &QShortcut::activated, this, &GraphCanvas::showFind);
  rebuildBreadcrumb();
}

GraphCanvas::~GraphCanvas() {
  if (cancel_) cancel_->store(true);
  pending_.reset();
  if (watcher_) watcher_->waitForFinished();
  if (observed_ && !suspended_) observed_->removeObserver(this);
}

// ---------------------------------------------------------------- document

void GraphCanvas::setDocument(std::shared_ptr<ModelDocument> document) {
  if (cancel_) cancel_->store(true);
  pending_.reset();
  if (observed_ && !suspended_) observed_->removeObserver(this);
  observed_ = nullptr;
  suspended_ = false;
  levels_.clear();
  findResults_.clear();
  navCandidates_.clear();
  view_->paintState() = PaintState{};
  document_ = std::move(document);
  if (document_ && document_->model) {
    observed_ = document_->model.get();
    observed_->addObserver(this);
    pushLevel(&document_->model->graph(), nullptr, 0);
    requestLayout(false);
  } else {
    view_->setScene(nullptr, false);
  }
  rebuildBreadcrumb();
}

void GraphCanvas::refreshTypes() {
  ++typesRevision_;
  scheduleRefresh();
}

void GraphCanvas::setOverlay(std::shared_ptr<const CanvasOverlay> overlay) { view_->setOverlay(std::move(overlay)); }

void GraphCanvas::suspendModelUpdates() {
  if (suspended_ || !observed_) return;
  observed_->removeObserver(this);
  suspended_ = true;
}

void GraphCanvas::resumeModelUpdates() {
  if (!suspended_) return;
  suspended_ = false;
  if (!observed_) return;
  observed_->addObserver(this);
  // Levels showing bodies whose owner went away fall back to the main graph.
  for (size_t i = 1; i < levels_.size(); ++i) {
    if (levels_[i - 1].graph->findNode(levels_[i].owner->id()) != levels_[i].owner) {
      levels_.resize(i);
      break;
    }
  }
  if (!levels_.empty() && (!level().canvasGraph || level().canvasGraph->layout->revision != observed_->revision()))
    scheduleRefresh();
}

void GraphCanvas::pushLevel(const Graph* graph, const Node* owner, int bodyIndex) {
  if (!levels_.empty()) {
    levels_.back().center = view_->visibleSceneRect().center();
    levels_.back().scale = view_->scale();
  }
  Level lv;
  lv.graph = graph;
  lv.owner = owner;
  lv.bodyIndex = bodyIndex;
  lv.engine = std::make_shared<LayoutEngine>();
  levels_.push_back(std::move(lv));
}

void GraphCanvas::ensureSnapshot(Level& lv) {
  if (!document_ || !document_->model) return;
  const std::uint64_t revision = document_->model->revision();
  if (lv.canvasGraph && lv.canvasGraph->layout->revision == revision && lv.canvasGraph->showNames == showNames_ &&
      lv.canvasGraph->foldConstants == foldConstants_ && lv.canvasGraph->collapseShapes == collapseShapes_ &&
      lv.typesRevision == typesRevision_)
    return;
  lv.typesRevision = typesRevision_;
  auto started = std::chrono::steady_clock::now();
  auto cg = std::make_shared<CanvasGraph>();
  cg->graph = lv.graph;
  cg->showNames = showNames_;
  cg->foldConstants = foldConstants_;
  cg->collapseShapes = collapseShapes_;
  NodeDisplayBuilder builder(showNames_, foldConstants_);
  std::vector<NodeDisplay> byOrder;
  byOrder.reserve(lv.graph->nodeCount());
  // Shape computations collapsed to one box: the box of a chain's last node says so.
  std::unordered_map<NodeId, int> chainSize;
  if (collapseShapes_)
    for (const auto& chain : shapeComputations(*lv.graph)) {
      chainSize[chain.back()->id()] = static_cast<int>(chain.size());
      for (const Node* m : chain) cg->standsFor[m->id()] = chain.back()->id();
    }
  auto sizer = [&](const Node& node) {
    NodeDisplay d = builder.build(node);
    if (auto it = chainSize.find(node.id()); it != chainSize.end()) {
      d.op = tr("shape computation");
      d.attrs = tr("%n node(s)", nullptr, it->second);
      d.category = OpCategory::Shape;
      d.badges.clear();
      d.hiddenBadges = 0;
    }
    byOrder.push_back(std::move(d));
    return builder.sizeOf(byOrder.back());
  };
  const ModelDocument* doc = document_.get();
  const Graph* mainGraph = &document_->model->graph();
  auto typeOf = [doc, mainGraph](const Value& v) -> const onnx::TypeProto* {
    // Inference covers the main graph; bodies show what they declare.
    if (&v.graph() == mainGraph) return doc->typeOf(v.name());
    return v.declaredType();
  };
  SnapshotOptions options;
  options.foldConstants = foldConstants_;
  options.collapseShapeComputations = collapseShapes_;
  cg->layout = snapshotGraph(*lv.graph, sizer, typeOf, options);
  // The sizer ran once per op, in the snapshot's node order.
  cg->display.resize(cg->layout->nodes.size());
  size_t k = 0;
  for (size_t i = 0; i < cg->layout->nodes.size() && k < byOrder.size(); ++i)
    if (cg->layout->nodes[i].kind == LayoutGraph::NodeKind::Op) {
      cg->display[i] = std::move(byOrder[k++]);
      // Badges name values by index in the snapshot.
      auto& d = cg->display[i];
      int badge = 0;
      for (int v : cg->layout->nodes[i].inputs) {
        if (v < 0 || !cg->layout->values[v].initializer) continue;
        if (badge < d.badges.size()) d.badges[badge].value = v;
        ++badge;
      }
    }
  lv.canvasGraph = std::move(cg);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::debug("canvas: snapshot of {} nodes in {:.1f} ms", lv.graph->nodeCount(), ms);
}

void GraphCanvas::nodeRemoved(Node& node) {
  // A body being shown whose owner goes away: fall back to the graph around it.
  for (size_t i = 1; i < levels_.size(); ++i) {
    if (levels_[i].owner == &node) {
      levels_.resize(i);
      break;
    }
  }
  scheduleRefresh();
}

void GraphCanvas::scheduleRefresh() {
  if (refreshScheduled_) return;
  refreshScheduled_ = true;
  QTimer::singleShot(0, this, &GraphCanvas::refreshAfterEdit);
}

void GraphCanvas::refreshAfterEdit() {
  refreshScheduled_ = false;
  if (levels_.empty()) return;
  // Find results point at nodes that may be gone.
  findResults_.clear();
  view_->paintState().marked.clear();
  if (find_->isVisible()) find(find_->field()->text());
  Level& lv = level();
  // Keep the selection by node id across the new snapshot.
  NodeId selectedId = 0;
  if (lv.canvasGraph && lv.selected >= 0 && lv.selected < static_cast<int>(lv.canvasGraph->layout->nodes.size()))
    selectedId = lv.canvasGraph->layout->nodes[lv.selected].id;
  ensureSnapshot(lv);
  lv.selected = selectedId ? lv.canvasGraph->layout->findNode(selectedId) : -1;
  view_->paintState().selectedNode = lv.selected;
  rebuildBreadcrumb();
  requestLayout(true);
}

// ---------------------------------------------------------------- layout jobs

void GraphCanvas::requestLayout(bool keepView, std::function<void()> then) {
  if (levels_.empty()) return;
  Level& lv = level();
  ensureSnapshot(lv);
  auto req = std::make_unique<Request>();
  req->level = static_cast<int>(levels_.size()) - 1;
  req->generation = ++generation_;
  req->keepView = keepView;
  req->then = std::move(then);
  // A waiting request that asked for a fresh view keeps asking for it, and what it was to
  // do afterwards still happens.
  if (pending_ && !pending_->keepView) req->keepView = false;
  if (pending_ && pending_->then) {
    auto first = std::move(pending_->then);
    auto second = std::move(req->then);
    req->then = [first, second] {
      first();
      if (second) second();
    };
  }
  // The job about to be cancelled was to show a fresh view: the one replacing it does.
  if (jobRunning_ && !running_.keepView && running_.level == req->level) req->keepView = false;
  pending_ = std::move(req);
  if (jobRunning_) {
    if (cancel_) cancel_->store(true);
    return;
  }
  startNext();
}

void GraphCanvas::afterLayout(std::function<void()> then) {
  if (levels_.empty()) return;
  Level& lv = level();
  ensureSnapshot(lv);
  const int current = static_cast<int>(levels_.size()) - 1;
  auto chain = [](std::function<void()>& slot, std::function<void()> next) {
    if (!slot) {
      slot = std::move(next);
      return;
    }
    auto first = std::move(slot);
    slot = [first, next] {
      first();
      next();
    };
  };
  if (pending_ && pending_->level == current) {
    chain(pending_->then, std::move(then));
    return;
  }
  if (jobRunning_ && running_.level == current && running_.graph == lv.canvasGraph.get() && !cancel_->load()) {
    chain(running_.then, std::move(then));
    return;
  }
  requestLayout(true, std::move(then));
}

void GraphCanvas::startNext() {
  if (!pending_ || levels_.empty()) return;
  running_ = std::move(*pending_);
  pending_.reset();
  if (running_.level >= static_cast<int>(levels_.size())) return;
  Level& lv = levels_[running_.level];
  running_.graph = lv.canvasGraph.get();
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  progress_ = std::make_shared<std::atomic<double>>(0.0);
  jobRunning_ = true;
  auto engine = lv.engine;
  auto cg = lv.canvasGraph;
  auto expanded = lv.expanded;
  auto cancel = cancel_;
  auto progress = progress_;
  // What opens first depends on the grouping, which the worker computes.
  bool chooseExpansion = !lv.initialized;
  int autoExpand = autoExpandLimit_;
  CanvasPalette palette = view_->canvasPalette();
  watcher_->setFuture(QtConcurrent::run([engine, cg, expanded, cancel, progress, palette, chooseExpansion,
                                         autoExpand]() mutable -> Outcome {
    Outcome out;
    engine->setGraph(cg->layout);
    if (chooseExpansion) {
      expanded = initialExpansion(engine->grouping(), autoExpand);
      out.expanded = expanded;
      out.choseExpansion = true;
    }
    auto scene = engine->layout(expanded, [&](double f, std::string_view) {
      progress->store(f);
      return !cancel->load();
    });
    out.stats = engine->stats();
    if (!scene) {
      out.status = scene.status();
      return out;
    }
    out.scene = makeCanvasScene(cg, std::move(scene.value()), palette);
    return out;
  }));
  progressTimer_->start();
  QTimer::singleShot(250, this, [this, gen = running_.generation] {
    if (jobRunning_ && running_.generation == gen) {
      progressBox_->show();
      progressBox_->raise();
      updateProgress();
    }
  });
}

void GraphCanvas::jobFinished() {
  jobRunning_ = false;
  progressTimer_->stop();
  progressBox_->hide();
  Outcome out = watcher_->result();
  stats_ = out.stats;
  Request done = std::move(running_);
  if (pending_) {
    // Superseded: still show a finished result while the next one runs, and let the next
    // one do what this one was asked to do afterwards.
    if (out.scene && done.level < static_cast<int>(levels_.size()) &&
        levels_[done.level].canvasGraph == out.scene->graph && done.level == static_cast<int>(levels_.size()) - 1)
      showScene(levels_[done.level], out.scene, true);
    if (done.then) {
      auto first = std::move(done.then);
      auto second = std::move(pending_->then);
      pending_->then = [first, second] {
        first();
        if (second) second();
      };
    }
    startNext();
    return;
  }
  if (!out.scene) {
    if (out.status.code() != ErrorCode::Cancelled) {
      QString message = QString::fromStdString(out.status.message());
      spdlog::warn("canvas: {}", out.status.message());
      status_->setText(tr("Layout failed"));
      emit layoutFailed(message);
    }
    return;
  }
  if (done.level >= static_cast<int>(levels_.size())) return;
  Level& lv = levels_[done.level];
  if (lv.canvasGraph != out.scene->graph) return;  // the graph changed meanwhile
  if (out.choseExpansion && !lv.initialized) {
    lv.expanded = out.expanded;
    lv.initialized = true;
  }
  showScene(lv, out.scene, done.keepView);
  if (done.then) done.then();
  emit layoutFinished();
}

void GraphCanvas::showScene(Level& lv, std::shared_ptr<const CanvasScene> scene, bool keepView) {
  lv.scene = std::move(scene);
  if (&lv != &levels_.back()) return;
  view_->paintState().selectedNode = lv.selected;
  bool restore = !keepView && lv.scale > 0;
  view_->setScene(lv.scene, keepView || restore);
  if (restore) {
    view_->setScale(lv.scale);
    view_->centerOn(lv.center);
    lv.scale = 0;
  }
  const auto& g = lv.scene->grouping();
  const int nodes = g.groups.empty() ? 0 : g.groups[0].nodeCount;
  const int groups = g.groups.empty() ? 0 : static_cast<int>(g.groups.size()) - 1;
  status_->setText(tr("%n node(s)", nullptr, nodes) + QStringLiteral(", ") + tr("%n group(s)", nullptr, groups));
  minimap_->sync();
}

void GraphCanvas::cancelLayout() {
  pending_.reset();
  if (cancel_) cancel_->store(true);
}

void GraphCanvas::updateProgress() {
  if (progress_) progressBar_->setValue(static_cast<int>(progress_->load() * 100));
  QSize s = progressBox_->sizeHint();
  progressBox_->setGeometry((width() - s.width()) / 2, view_->geometry().top() + 8, s.width(), s.height());
}

const CanvasScene* GraphCanvas::currentScene() const {
  const Level* lv = currentLevel();
  return lv ? lv->scene.get() : nullptr;
}

// ---------------------------------------------------------------- groups

std::set<std::string> GraphCanvas::expandedGroups() const {
  const Level* lv = currentLevel();
  return lv ? lv->expanded : std::set<std::string>{};
}

void GraphCanvas::setGroupExpanded(const std::string& path, bool expanded) {
  if (levels_.empty()) return;
  Level& lv = level();
  lv.initialized = true;
  bool changed = expanded ? lv.expanded.insert(path).second : lv.expanded.erase(path) > 0;
  if (!changed) return;
  if (!expanded) {
    // Closing a group also closes what is inside it, so reopening starts tidy.
    std::string prefix = path + "/";
    for (auto it = lv.expanded.begin(); it != lv.expanded.end();)
      it = it->rfind(prefix, 0) == 0 ? lv.expanded.erase(it) : std::next(it);
  }
  requestLayout(true);
}

namespace {

QRectF rectOf(const LayoutRect& r) { return {r.x, r.y, r.width, r.height}; }

// Where a LayoutGraph node is drawn in a scene: its own box, or the collapsed group hiding it.
QRectF shownRect(const CanvasScene& scene, int node) {
  if (node < 0) return {};
  auto vis = scene.layout.visibleFor(node, scene.grouping());
  if (vis.nodeBox >= 0) return rectOf(scene.layout.nodes[static_cast<size_t>(vis.nodeBox)].rect);
  if (vis.groupBox >= 0) return rectOf(scene.layout.groups[static_cast<size_t>(vis.groupBox)].rect);
  return {};
}

// A node inside group g (its first, or the first of its first child group that has one).
int firstNodeOf(const LayoutGrouping& grouping, int g) {
  for (int depth = 0; g >= 0 && depth < 64; ++depth) {
    const auto& group = grouping.groups[static_cast<size_t>(g)];
    if (!group.nodes.empty()) return group.nodes.front();
    g = group.children.empty() ? -1 : group.children.front();
  }
  return -1;
}

}  // namespace

void GraphCanvas::expandAll() {
  if (levels_.empty()) return;
  Level& lv = level();
  const CanvasScene* scene = lv.scene.get();
  if (!scene) return;
  lv.initialized = true;
  for (size_t g = 1; g < scene->grouping().groups.size(); ++g) lv.expanded.insert(scene->grouping().groups[g].path);
  // Everything moves when every group opens; the scene point that was in the middle of the
  // view is empty space afterwards. Keep one node where it is on screen: the selected one, else
  // the one (or the group) in the middle of the view.
  int anchor = lv.selected;
  const QPointF middle(view_->viewport()->width() / 2.0, view_->viewport()->height() / 2.0);
  if (anchor < 0) {
    const QPointF at = view_->mapToScene(middle);
    if (int box = scene->nodeAt(at); box >= 0) anchor = scene->layout.nodes[static_cast<size_t>(box)].node;
    else if (int gb = scene->groupAt(at); gb >= 0) anchor = firstNodeOf(scene->grouping(), scene->layout.groups[static_cast<size_t>(gb)].group);
  }
  const QRectF before = shownRect(*scene, anchor);
  if (before.isNull()) {
    requestLayout(true);
    return;
  }
  const QPointF onScreen = view_->mapFromScene(before.center());
  requestLayout(true, [this, anchor, onScreen, middle] {
    const CanvasScene* now = currentScene();
    if (!now) return;
    const QRectF after = shownRect(*now, anchor);
    if (after.isNull()) return;
    view_->centerOn(after.center() + (middle - onScreen) / view_->scale());
  });
}

void GraphCanvas::collapseAll() {
  if (levels_.empty()) return;
  Level& lv = level();
  lv.initialized = true;
  lv.expanded.clear();
  requestLayout(false);
}

void GraphCanvas::toggleGroup(int group) {
  const CanvasScene* scene = currentScene();
  if (!scene || group <= 0 || group >= static_cast<int>(scene->grouping().groups.size())) return;
  const std::string& path = scene->grouping().groups[group].path;
  bool open = level().expanded.count(path) > 0;
  selectGroup(group);
  // After opening, keep the group's top-left where it was so the eye does not lose it.
  setGroupExpanded(path, !open);
}

void GraphCanvas::selectGroup(int group) {
  view_->paintState().selectedGroup = group;
  view_->refresh();
}

void GraphCanvas::setFoldConstants(bool fold) {
  if (fold == foldConstants_) return;
  foldConstants_ = fold;
  requestLayout(true);
}

void GraphCanvas::setCollapseShapeComputations(bool collapse) {
  if (collapse == collapseShapes_) return;
  collapseShapes_ = collapse;
  requestLayout(true);
}

void GraphCanvas::setShowNodeNames(bool show) {
  if (show == showNames_) return;
  showNames_ = show;
  requestLayout(true);
}

// ---------------------------------------------------------------- selection

const Node* GraphCanvas::nodeAt(int index) const {
  const Level* lv = currentLevel();
  if (!lv || !lv->canvasGraph || index < 0 || index >= static_cast<int>(lv->canvasGraph->layout->nodes.size()))
    return nullptr;
  const auto& n = lv->canvasGraph->layout->nodes[index];
  if (n.kind != LayoutGraph::NodeKind::Op) return nullptr;
  return lv->graph->findNode(n.id);
}

const Node* GraphCanvas::selectedNode() const {
  const Level* lv = currentLevel();
  return lv ? nodeAt(lv->selected) : nullptr;
}

void GraphCanvas::selectIndex(int node, bool center, bool emitSignal) {
  if (levels_.empty()) return;
  Level& lv = level();
  lv.selected = node;
  view_->paintState().selectedNode = node;
  view_->paintState().selectedGroup = -1;
  if (center) showNodeInView(node);
  view_->refresh();
  if (emitSignal) emit nodeSelected(nodeAt(node));
}

void GraphCanvas::clearSelection() {
  if (levels_.empty()) return;
  navCandidates_.clear();
  view_->paintState().selectedGroup = -1;
  if (level().selected < 0) {
    view_->refresh();
    return;
  }
  selectIndex(-1, false);
}

// Brings the node into view; a node hidden in a closed group opens the groups around it
// first (a layout off the GUI thread) and is centred when that layout arrives.
void GraphCanvas::showNodeInView(int node) {
  if (levels_.empty() || node < 0) return;
  Level& lv = level();
  const CanvasScene* scene = lv.scene.get();
  if (scene && scene->graph == lv.canvasGraph && node < static_cast<int>(scene->layout.nodeBox.size()) &&
      scene->layout.nodeBox[node] >= 0) {
    const auto& r = scene->layout.nodes[scene->layout.nodeBox[node]].rect;
    view_->ensureVisible(QRectF(r.x, r.y, r.width, r.height));
    return;
  }
  NodeId id = lv.canvasGraph->layout->nodes[node].id;
  if (!scene || scene->graph != lv.canvasGraph) {
    // The scene is older than the snapshot (a layout is on its way): try again when it lands.
    afterLayout([this, id] {
      if (levels_.empty()) return;
      int idx = level().canvasGraph->layout->findNode(id);
      if (idx >= 0 && level().scene && level().scene->graph == level().canvasGraph) showNodeInView(idx);
    });
    return;
  }
  // Open the groups that hide it.
  const auto& grouping = scene->grouping();
  for (int g : grouping.ancestors(node)) lv.expanded.insert(grouping.groups[g].path);
  lv.initialized = true;
  const Graph* graph = lv.graph;
  requestLayout(true, [this, id, graph] {
    if (levels_.empty() || level().graph != graph) return;
    Level& l = level();
    int idx = l.canvasGraph->layout->findNode(id);
    if (idx < 0 || !l.scene || l.scene->layout.nodeBox[idx] < 0) return;
    const auto& r = l.scene->layout.nodes[l.scene->layout.nodeBox[idx]].rect;
    view_->centerOn(QRectF(r.x, r.y, r.width, r.height).center());
  });
}

bool GraphCanvas::selectNode(const Node* node) {
  if (!node || !document_ || !document_->model) return false;
  // The chain of bodies from the main graph down to the node's graph.
  std::vector<std::pair<const Node*, int>> chain;
  for (const Graph* g = &node->graph(); g->parentNode(); g = &g->parentNode()->graph()) {
    const Node* owner = g->parentNode();
    int index = 0;
    for (size_t i = 0; i < owner->subgraphs().size(); ++i)
      if (owner->subgraphs()[i].graph.get() == g) index = static_cast<int>(i);
    chain.emplace_back(owner, index);
  }
  std::reverse(chain.begin(), chain.end());
  if (&node->graph().model() != document_->model.get()) return false;
  // Reuse the levels that already match; open the rest.
  size_t keep = 1;
  while (keep < levels_.size() && keep - 1 < chain.size() && levels_[keep].owner == chain[keep - 1].first &&
         levels_[keep].bodyIndex == chain[keep - 1].second)
    ++keep;
  bool changedLevel = keep != levels_.size() || keep - 1 != chain.size();
  if (changedLevel) {
    levels_.resize(keep);
    for (size_t i = keep - 1; i < chain.size(); ++i)
      pushLevel(chain[i].first->subgraphs()[chain[i].second].graph.get(), chain[i].first, chain[i].second);
    rebuildBreadcrumb();
    emit graphEntered(level().graph);
  }
  Level& lv = level();
  ensureSnapshot(lv);
  int index = lv.canvasGraph->layout->findNode(node->id());
  // A folded Constant is a badge on its reader: show the reader.
  if (index < 0 && lv.canvasGraph->foldConstants && isFoldableConstant(*node))
    index = lv.canvasGraph->layout->findNode(node->outputs()[0]->uses().front().node->id());
  // A node inside a collapsed shape computation is shown by the chain's box.
  if (auto it = lv.canvasGraph->standsFor.find(node->id()); index < 0 && it != lv.canvasGraph->standsFor.end())
    index = lv.canvasGraph->layout->findNode(it->second);
  if (index < 0) return false;
  if (changedLevel) {
    // The new level needs its first layout; select once it is there.
    lv.selected = index;
    requestLayout(false, [this, index] { showNodeInView(index); });
    view_->paintState().selectedNode = index;
    emit nodeSelected(node);
    return true;
  }
  selectIndex(index, true);
  return true;
}

bool GraphCanvas::selectNodeByName(const QString& name) {
  if (levels_.empty()) return false;
  const Node* node = level().graph->findNodeByName(name.toStdString());
  return node && selectNode(node);
}

void GraphCanvas::onNavigateKey(int key) {
  if (levels_.empty() || !level().canvasGraph) return;
  Level& lv = level();
  const LayoutGraph& g = *lv.canvasGraph->layout;
  switch (key) {
    case Qt::Key_Escape:
      if (find_->isVisible()) {
        find_->hide();
        view_->paintState().marked.clear();
      }
      clearSelection();
      return;
    case Qt::Key_Backspace:
      leaveSubgraph();
      return;
    case Qt::Key_Return:
    case Qt::Key_Enter: {
      int group = view_->paintState().selectedGroup;
      if (group > 0) {
        toggleGroup(group);
        return;
      }
      const Node* n = nodeAt(lv.selected);
      if (n && !n->subgraphs().empty()) enterSubgraph(n, 0);
      return;
    }
    default:
      break;
  }
  int sel = lv.selected;
  if (sel < 0) {
    // Nothing selected: start at the first node (the inputs come first).
    if (!g.nodes.empty()) {
      selectIndex(0, false);
      showNodeInView(0);
    }
    return;
  }
  if (key == Qt::Key_Left || key == Qt::Key_Right) {
    if (navCandidates_.size() < 2) return;
    int n = static_cast<int>(navCandidates_.size());
    navIndex_ = (navIndex_ + (key == Qt::Key_Right ? 1 : n - 1)) % n;
    selectIndex(navCandidates_[navIndex_], false);
    showNodeInView(navCandidates_[navIndex_]);
    return;
  }
  // Up follows the producers of the inputs, Down the consumers of the outputs; Left/Right
  // then step between them.
  std::vector<int> next;
  const auto& node = g.nodes[sel];
  if (key == Qt::Key_Up) {
    for (int v : node.inputs)
      if (v >= 0 && g.values[v].producer >= 0 &&
          std::find(next.begin(), next.end(), g.values[v].producer) == next.end())
        next.push_back(g.values[v].producer);
  } else if (key == Qt::Key_Down) {
    for (int v : node.outputs)
      if (v >= 0)
        for (int c : g.values[v].consumers)
          if (std::find(next.begin(), next.end(), c) == next.end()) next.push_back(c);
  }
  if (next.empty()) return;
  navCandidates_ = next;
  navIndex_ = 0;
  selectIndex(next[0], false);
  showNodeInView(next[0]);
}

// ---------------------------------------------------------------- subgraphs

const Graph* GraphCanvas::currentGraph() const {
  const Level* lv = currentLevel();
  return lv ? lv->graph : nullptr;
}

bool GraphCanvas::enterSubgraph(const Node* node, int index) {
  if (!node || levels_.empty() || index < 0 || index >= static_cast<int>(node->subgraphs().size())) return false;
  if (&node->graph() != level().graph) return false;
  pushLevel(node->subgraphs()[index].graph.get(), node, index);
  view_->paintState() = PaintState{};
  navCandidates_.clear();
  rebuildBreadcrumb();
  requestLayout(false);
  emit graphEntered(level().graph);
  emit nodeSelected(nullptr);
  return true;
}

void GraphCanvas::leaveSubgraph() {
  if (levels_.size() <= 1) return;
  const Node* owner = levels_.back().owner;
  levels_.pop_back();
  Level& lv = level();
  navCandidates_.clear();
  view_->paintState() = PaintState{};
  rebuildBreadcrumb();
  // Back where we were, with the node we came out of selected.
  ensureSnapshot(lv);
  int index = owner ? lv.canvasGraph->layout->findNode(owner->id()) : -1;
  lv.selected = index;
  if (lv.scene && lv.scene->graph == lv.canvasGraph) {
    showScene(lv, lv.scene, false);
  } else {
    requestLayout(false);
  }
  view_->paintState().selectedNode = index;
  view_->refresh();
  emit graphEntered(lv.graph);
  emit nodeSelected(owner);
}

QStringList GraphCanvas::breadcrumb() const {
  QStringList out;
  for (size_t i = 0; i < levels_.size(); ++i)
    out << (i == 0 ? tr("main graph") : bodyLabel(levels_[i].owner, levels_[i].bodyIndex));
  return out;
}

void GraphCanvas::rebuildBreadcrumb() {
  while (QLayoutItem* item = crumbs_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  QStringList names = breadcrumb();
  for (int i = 0; i < names.size(); ++i) {
    if (i > 0) crumbs_->addWidget(new QLabel(QStringLiteral(" \u203A "), bar_));
    auto* b = new QToolButton(bar_);
    b->setAutoRaise(true);
    b->setObjectName(QStringLiteral("crumb%1").arg(i));
    bool last = i == names.size() - 1;
    QFont f = b->font();
    f.setBold(last);
    b->setFont(f);
    // A long body or graph name is cut with an ellipsis; the whole name is in the tooltip.
    b->setText(QFontMetrics(f).elidedText(names[i], Qt::ElideMiddle, 180));
    if (b->text() != names[i]) b->setToolTip(names[i]);
    if (!last) {
      connect(b, &QToolButton::clicked, this, [this, i] {
        while (static_cast<int>(levels_.size()) > i + 1) leaveSubgraph();
      });
    } else if (i > 0 && levels_[i].owner->subgraphs().size() > 1) {
      // If has two bodies, Loop one: offer the sibling bodies of the same node.
      auto* menu = new QMenu(b);
      const Node* owner = levels_[i].owner;
      for (int k = 0; k < static_cast<int>(owner->subgraphs().size()); ++k) {
        menu->addAction(bodyLabel(owner, k), this, [this, owner, k] {
          leaveSubgraph();
          enterSubgraph(owner, k);
        });
      }
      b->setMenu(menu);
      b->setPopupMode(QToolButton::InstantPopup);
    }
    crumbs_->addWidget(b);
  }
}

// ---------------------------------------------------------------- find

void GraphCanvas::showFind() {
  find_->open();
}

int GraphCanvas::find(const QString& text) {
  findResults_.clear();
  view_->paintState().marked.clear();
  QStringList rows;
  const std::string needle = text.trimmed().toLower().toStdString();
  int total = 0;
  if (!needle.empty() && document_ && document_->model) {
    constexpr int kMaxRows = 500;
    std::vector<std::pair<const Node*, QString>> hits;
    document_->model->forEachGraph([&](const Graph& graph) {
      graph.forEachNode([&](const Node& n) {
        QString why;
        if (containsInsensitive(n.name(), needle))
          why = QString::fromStdString(n.name());
        else if (containsInsensitive(n.opType(), needle))
          why = QString::fromStdString(n.name().empty() ? n.opType() : n.name());
        else {
          for (const Value* v : n.outputs())
            if (v && containsInsensitive(v->name(), needle)) {
              why = tr("produces %1").arg(QString::fromStdString(v->name()));
              break;
            }
          if (why.isEmpty())
            for (const Value* v : n.inputs())
              if (v && containsInsensitive(v->name(), needle)) {
                why = tr("reads %1").arg(QString::fromStdString(v->name()));
                break;
              }
        }
        if (why.isEmpty()) return;
        ++total;
        if (static_cast<int>(hits.size()) < kMaxRows) hits.emplace_back(&n, why);
      });
    });
    for (const auto& [n, why] : hits) {
      findResults_.push_back(n);
      QString where = n->graph().parentNode() ? tr(" (in %1)").arg(QString::fromStdString(
                                                      n->graph().parentNode()->name().empty()
                                                          ? n->graph().parentNode()->opType()
                                                          : n->graph().parentNode()->name()))
                                              : QString();
      rows << QStringLiteral("%1 — %2%3").arg(QString::fromStdString(n->opType()), why, where);
    }
    // Mark the matches in the graph shown now.
    if (!levels_.empty() && level().canvasGraph) {
      const LayoutGraph& g = *level().canvasGraph->layout;
      std::unordered_map<NodeId, int> index;
      for (size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].kind == LayoutGraph::NodeKind::Op) index.emplace(g.nodes[i].id, static_cast<int>(i));
      for (const Node* n : findResults_)
        if (auto it = index.find(n->id()); it != index.end() && &n->graph() == level().graph)
          view_->paintState().marked.insert(it->second);
    }
  }
  find_->setResults(rows, total);
  view_->refresh();
  return total;
}

bool GraphCanvas::activateFindResult(int row) {
  if (row < 0 || row >= static_cast<int>(findResults_.size())) return false;
  return selectNode(findResults_[row]);
}

// ---------------------------------------------------------------- export

QRectF GraphCanvas::exportRect(ExportArea area) const {
  const CanvasScene* scene = currentScene();
  if (!scene) return {};
  const QRectF whole = scene->bounds().adjusted(-16, -16, 16, 16);
  switch (area) {
    case ExportArea::Whole:
      return whole;
    case ExportArea::Visible:
      return view_->visibleSceneRect().intersected(whole);
    case ExportArea::Selection: {
      const PaintState& state = view_->paintState();
      QRectF r;
      const auto& layout = scene->layout;
      if (state.selectedNode >= 0 && state.selectedNode < static_cast<int>(layout.nodeBox.size())) {
        const int box = layout.nodeBox[static_cast<size_t>(state.selectedNode)];
        if (box >= 0) {
          const auto& b = layout.nodes[static_cast<size_t>(box)].rect;
          r = QRectF(b.x, b.y, b.width, b.height);
        }
      } else if (state.selectedGroup >= 0 && state.selectedGroup < static_cast<int>(layout.groupBox.size())) {
        const int box = layout.groupBox[static_cast<size_t>(state.selectedGroup)];
        if (box >= 0) {
          const auto& b = layout.groups[static_cast<size_t>(box)].rect;
          r = QRectF(b.x, b.y, b.width, b.height);
        }
      }
      // Some room around the box, so the edges into and out of it show where they go.
      return r.isEmpty() ? QRectF() : r.adjusted(-60, -60, 60, 60).intersected(whole);
    }
  }
  return {};
}

namespace {
QString nothingToExport(GraphCanvas::ExportArea area) {
  return area == GraphCanvas::ExportArea::Selection
             ? GraphCanvas::tr("There is no selection to export: click a node or a group first.")
             : GraphCanvas::tr("There is no graph to export: open a model first.");
}
}  // namespace

QImage GraphCanvas::renderImage(int maxSide, ExportArea area) const {
  const CanvasScene* scene = currentScene();
  const QRectF b = exportRect(area);
  if (!scene || b.isEmpty()) return {};
  double s = std::min(2.0, maxSide / std::max(b.width(), b.height()));
  QImage image(QSize(std::max(1, static_cast<int>(b.width() * s)), std::max(1, static_cast<int>(b.height() * s))),
               QImage::Format_ARGB32_Premultiplied);
  const CanvasPalette& pal = view_->canvasPalette();
  image.fill(pal.background);
  QPainter p(&image);
  p.scale(s, s);
  p.translate(-b.topLeft());
  PaintState state = view_->paintState();
  ScenePainter(*scene, pal, view_->canvasFonts()).paint(p, b, s, state);
  return image;
}

bool GraphCanvas::exportPng(const QString& path, QString* error, ExportArea area) const {
  QImage image = renderImage(8192, area);
  if (image.isNull()) {
    if (error) *error = nothingToExport(area);
    return false;
  }
  if (!image.save(path, "PNG")) {
    if (error) *error = tr("Could not write %1: check that the folder exists and is writable.").arg(path);
    return false;
  }
  return true;
}

bool GraphCanvas::exportSvg(const QString& path, QString* error, ExportArea area) const {
  const CanvasScene* scene = currentScene();
  const QRectF b = exportRect(area);
  if (!scene || b.isEmpty()) {
    if (error) *error = nothingToExport(area);
    return false;
  }
  // QSvgGenerator writes numbers with '.', whatever the locale; the description is not
  // translated so that the same graph gives the same file under any language.
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(b.size().toSize());
  svg.setViewBox(QRectF(QPointF(0, 0), b.size()));
  svg.setTitle(QFileInfo(QString::fromStdString(document_ ? document_->path : std::string())).fileName());
  svg.setDescription(QStringLiteral("Graph exported by Graft"));
  QPainter p;
  if (!p.begin(&svg)) {
    if (error) *error = tr("Could not write %1: check that the folder exists and is writable.").arg(path);
    return false;
  }
  const CanvasPalette& pal = view_->canvasPalette();
  p.fillRect(QRectF(QPointF(0, 0), b.size()), pal.background);
  p.translate(-b.topLeft());
  // Full detail whatever the size: an SVG is zoomed in the viewer.
  ScenePainter(*scene, pal, view_->canvasFonts()).paint(p, b, 1.0, view_->paintState());
  p.end();
  if (!QFileInfo::exists(path)) {
    if (error) *error = tr("Could not write %1: check that the folder exists and is writable.").arg(path);
    return false;
  }
  return true;
}

bool GraphCanvas::exportGraph(const QString& path, ExportArea area, QString* error) const {
  return path.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive) ? exportSvg(path, error, area)
                                                                     : exportPng(path, error, area);
}

// ---------------------------------------------------------------- events

void GraphCanvas::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  minimap_->sync();
  if (progressBox_->isVisible()) updateProgress();
}

void GraphCanvas::changeEvent(QEvent* event) {
  if (event->type() == QEvent::PaletteChange && !levels_.empty()) {
    // The overview image carries colours: lay out again (cached, so only the image is redone).
    requestLayout(true);
  }
  QWidget::changeEvent(event);
}

}  // namespace graft
