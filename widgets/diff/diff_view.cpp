#include "diff/diff_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>
#include <limits>
#include <cmath>

#include "canvas/graph_canvas.h"

namespace graft {

namespace {

QString statusText(DiffStatus s) {
  switch (s) {
    case DiffStatus::Same: return DiffView::tr("same");
    case DiffStatus::Changed: return DiffView::tr("changed");
    case DiffStatus::Added: return DiffView::tr("added");
    case DiffStatus::Removed: return DiffView::tr("removed");
    case DiffStatus::Fused: return DiffView::tr("fused");
    case DiffStatus::Split: return DiffView::tr("split");
  }
  return {};
}

QString nodeNames(const std::vector<Node*>& nodes) {
  QStringList parts;
  for (std::size_t k = 0; k < nodes.size() && k < 4; ++k)
    parts << (nodes[k]->name().empty() ? QString::fromStdString(nodes[k]->opType()) : QString::fromStdString(nodes[k]->name()));
  if (nodes.size() > 4) parts << DiffView::tr("… (%n nodes)", nullptr, static_cast<int>(nodes.size()));
  return parts.join(QStringLiteral(", "));
}

}  // namespace

// ----------------------------------------------------------------------------- entry model

void DiffEntryModel::setDiff(std::shared_ptr<const ModelDiff> diff) {
  beginResetModel();
  diff_ = std::move(diff);
  endResetModel();
}

int DiffEntryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !diff_ ? 0 : static_cast<int>(diff_->nodes.size());
}

int DiffEntryModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant DiffEntryModel::data(const QModelIndex& index, int role) const {
  if (!diff_ || !index.isValid() || index.row() >= static_cast<int>(diff_->nodes.size())) return {};
  const NodeDiff& e = diff_->nodes[static_cast<std::size_t>(index.row())];
  if (role == StatusRole) return static_cast<int>(e.status);
  if (role == ScopeRole) return QString::fromStdString(e.scope);
  if (role == Qt::DecorationRole && index.column() == StatusColumn) return DiffView::statusColor(e.status);
  if (role == Qt::ToolTipRole && index.column() == ChangesColumn) {
    QStringList lines;
    for (const auto& c : e.changes) lines << QString::fromStdString(c).toHtmlEscaped();
    return lines.join(QStringLiteral("<br>"));
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case StatusColumn: return statusText(e.status);
    case OpColumn: return QString::fromStdString(e.op);
    case NodeAColumn: return nodeNames(e.a);
    case NodeBColumn: return nodeNames(e.b);
    case ScopeColumn: return e.scope.empty() ? DiffView::tr("(root)") : QString::fromStdString(e.scope);
    case ChangesColumn: {
      QStringList parts;
      for (const auto& c : e.changes) parts << QString::fromStdString(c);
      return parts.join(QStringLiteral("; "));
    }
    default: return {};
  }
}

QVariant DiffEntryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case StatusColumn: return DiffView::tr("Status");
    case OpColumn: return DiffView::tr("Op");
    case NodeAColumn: return DiffView::tr("Node in A");
    case NodeBColumn: return DiffView::tr("Node in B");
    case ScopeColumn: return DiffView::tr("Scope");
    case ChangesColumn: return DiffView::tr("Changes");
    default: return {};
  }
}

// ----------------------------------------------------------------------------- filter

void DiffFilterModel::setChangesOnly(bool on) {
  changesOnly_ = on;
  invalidateFilter();
}

void DiffFilterModel::setKind(int status) {
  kind_ = status;
  invalidateFilter();
}

void DiffFilterModel::setScope(const QString& scope, bool any) {
  scope_ = scope;
  anyScope_ = any;
  invalidateFilter();
}

bool DiffFilterModel::filterAcceptsRow(int row, const QModelIndex& parent) const {
  QModelIndex i = sourceModel()->index(row, 0, parent);
  int status = i.data(DiffEntryModel::StatusRole).toInt();
  if (changesOnly_ && status == static_cast<int>(DiffStatus::Same)) return false;
  if (kind_ >= 0 && status != kind_) return false;
  if (!anyScope_) {
    QString scope = i.data(DiffEntryModel::ScopeRole).toString();
    // A scope filter takes the scope and what is nested in it.
    if (scope != scope_ && !scope.startsWith(scope_ + QLatin1Char('/'))) return false;
  }
  return true;
}

// ----------------------------------------------------------------------------- view

QColor DiffView::statusColor(DiffStatus status) {
  switch (status) {
    case DiffStatus::Added: return QColor(0x2e, 0xa0, 0x43);    // green
    case DiffStatus::Removed: return QColor(0xd7, 0x3a, 0x49);  // red
    case DiffStatus::Changed: return QColor(0xe3, 0x9b, 0x0b);  // amber
    case DiffStatus::Fused:
    case DiffStatus::Split: return QColor(0x8e, 0x44, 0xc9);    // purple
    case DiffStatus::Same: break;
  }
  return QColor(0x9a, 0x9a, 0x9a);  // grey
}

QColor DiffView::errorColor(const NodeError& e, double atol, double rtol) {
  if (!e.beyondTolerance) return QColor(0x2e, 0xa0, 0x43);
  // How far beyond: max abs against the tolerance at a unit value.
  double ratio = e.maxAbs / std::max(atol + rtol, 1e-30);
  return ratio < 10 ? QColor(0xe3, 0x9b, 0x0b) : QColor(0xd7, 0x3a, 0x49);
}

DiffView::DiffView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);

  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);

  split_ = new QSplitter(Qt::Vertical, this);
  auto* sides = new QSplitter(Qt::Horizontal, split_);
  auto side = [&](QLabel*& title, GraphCanvas*& canvas) {
    auto* box = new QWidget(sides);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    title = new QLabel(box);
    title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(title);
    canvas = new GraphCanvas(box);
    v->addWidget(canvas, 1);
  };
  side(titleA_, canvasA_);
  side(titleB_, canvasB_);

  auto* bottom = new QWidget(split_);
  auto* bl = new QVBoxLayout(bottom);
  bl->setContentsMargins(0, 0, 0, 0);
  auto* filters = new QHBoxLayout;
  changesOnly_ = new QCheckBox(tr("Changes only"), bottom);
  changesOnly_->setChecked(true);
  kind_ = new QComboBox(bottom);
  kind_->addItem(tr("All kinds"), -1);
  for (DiffStatus s : {DiffStatus::Changed, DiffStatus::Added, DiffStatus::Removed, DiffStatus::Fused, DiffStatus::Split, DiffStatus::Same})
    kind_->addItem(statusText(s), static_cast<int>(s));
  scope_ = new QComboBox(bottom);
  scope_->addItem(tr("All scopes"));
  numericBox_ = new QCheckBox(tr("Numeric"), bottom);
  numericBox_->setToolTip(tr("Colour nodes by the error of their output after a numeric run"));
  numericBox_->setEnabled(false);
  runNumeric_ = new QPushButton(tr("Run Numeric Diff"), bottom);
  runNumeric_->setToolTip(tr("Run both models on the same seeded inputs and compare every paired value"));
  cancelNumeric_ = new QPushButton(tr("Cancel"), bottom);
  cancelNumeric_->setVisible(false);
  progress_ = new QProgressBar(bottom);
  progress_->setRange(0, 1000);
  progress_->setVisible(false);
  filters->addWidget(changesOnly_);
  filters->addWidget(new QLabel(tr("Kind:"), bottom));
  filters->addWidget(kind_);
  filters->addWidget(new QLabel(tr("Scope:"), bottom));
  filters->addWidget(scope_, 1);
  filters->addWidget(numericBox_);
  filters->addWidget(runNumeric_);
  filters->addWidget(progress_);
  filters->addWidget(cancelNumeric_);
  bl->addLayout(filters);

  entries_ = new DiffEntryModel(this);
  filter_ = new DiffFilterModel(this);
  filter_->setSourceModel(entries_);
  list_ = new QTableView(bottom);
  list_->setModel(filter_);
  list_->setSelectionBehavior(QAbstractItemView::SelectRows);
  list_->setSelectionMode(QAbstractItemView::SingleSelection);
  list_->verticalHeader()->setVisible(false);
  list_->verticalHeader()->setDefaultSectionSize(list_->fontMetrics().height() + 6);
  list_->horizontalHeader()->setStretchLastSection(true);
  list_->setWordWrap(false);
  bl->addWidget(list_, 1);
  split_->setStretchFactor(0, 3);
  split_->setStretchFactor(1, 1);
  layout->addWidget(split_, 1);

  connect(changesOnly_, &QCheckBox::toggled, filter_, &DiffFilterModel::setChangesOnly);
  connect(kind_, &QComboBox::currentIndexChanged, this, [this] { filter_->setKind(kind_->currentData().toInt()); });
  connect(scope_, &QComboBox::currentIndexChanged, this,
          [this](int i) { filter_->setScope(scope_->currentData().toString(), i <= 0); });
  connect(list_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) { onListCurrent(current); });
  connect(canvasA_, &GraphCanvas::nodeSelected, this, [this](const Node* n) { onSelected(true, n); });
  connect(canvasB_, &GraphCanvas::nodeSelected, this, [this](const Node* n) { onSelected(false, n); });
  connect(canvasA_, &GraphCanvas::layoutFinished, this, [this] { mirrorExpansion(true); });
  connect(canvasB_, &GraphCanvas::layoutFinished, this, [this] { mirrorExpansion(false); });
  connect(numericBox_, &QCheckBox::toggled, this, &DiffView::setNumericMode);
  connect(runNumeric_, &QPushButton::clicked, this, [this] { runNumeric(); });
  connect(cancelNumeric_, &QPushButton::clicked, this, &DiffView::cancelNumeric);
}

DiffView::~DiffView() {
  cancelNumeric();
  if (numericWatcher_) numericWatcher_->waitForFinished();
}

void DiffView::setDiff(std::shared_ptr<ModelDocument> a, std::shared_ptr<ModelDocument> b, std::shared_ptr<const ModelDiff> diff) {
  a_ = std::move(a);
  b_ = std::move(b);
  diff_ = std::move(diff);
  numeric_.reset();
  numericError_.clear();
  overrides_.clear();  // they name nodes of the documents shown before
  numericBox_->setChecked(false);
  numericBox_->setEnabled(false);
  auto title = [](const std::shared_ptr<ModelDocument>& d, const QString& side) {
    QString path = d && !d->path.empty() ? QString::fromStdString(d->path) : tr("(in memory)");
    return QStringLiteral("<b>%1</b> %2").arg(side, path.toHtmlEscaped());
  };
  titleA_->setText(title(a_, tr("A")));
  titleB_->setText(title(b_, tr("B")));
  entries_->setDiff(diff_);
  scope_->blockSignals(true);
  scope_->clear();
  scope_->addItem(tr("All scopes"));
  if (diff_) {
    for (const auto& c : diff_->scopes) {
      if (c.changed + c.added + c.removed + c.fused + c.split == 0) continue;
      scope_->addItem(c.scope.empty() ? tr("(root)") : QString::fromStdString(c.scope), QString::fromStdString(c.scope));
    }
  }
  scope_->blockSignals(false);
  filter_->setScope({}, true);
  // The same grouping on both sides: every group open when both models are small, else closed,
  // whatever side of the canvas's own threshold each falls on.
  expandedA_.reset();
  expandedB_.reset();
  partnerA_.clear();
  partnerB_.clear();
  std::size_t larger = 0;
  if (diff_) {
    larger = std::max(diff_->summary.nodesA, diff_->summary.nodesB);
    for (const NodeDiff& e : diff_->nodes) {
      if (e.a.empty() || e.b.empty()) continue;
      for (const Node* n : e.a) partnerA_.emplace(n->id(), e.b.front()->id());
      for (const Node* n : e.b) partnerB_.emplace(n->id(), e.a.front()->id());
    }
  }
  const int limit = larger <= static_cast<std::size_t>(std::max(autoExpandLimit_, 0)) ? std::numeric_limits<int>::max() : 0;
  canvasA_->setAutoExpandLimit(limit);
  canvasB_->setAutoExpandLimit(limit);
  rebuildOverlays();
  canvasA_->setDocument(a_);
  canvasB_->setDocument(b_);
  // Wide enough for the first rows (Qt measures a thousand at most), the changes taking the rest.
  for (int c = 0; c < DiffEntryModel::ChangesColumn; ++c) {
    list_->resizeColumnToContents(c);
    list_->setColumnWidth(c, std::min(list_->columnWidth(c), 240));
  }
  updateSummary();
}

void DiffView::setStatusOverrides(std::unordered_map<const Node*, StatusOverride> overrides) {
  overrides_ = std::move(overrides);
  rebuildOverlays();
}

void DiffView::setNumericAvailable(bool available) {
  numericBox_->setVisible(available);
  runNumeric_->setVisible(available);
}

void DiffView::setSideTitles(const QString& a, const QString& b) {
  titleA_->setText(a);
  titleB_->setText(b);
}

void DiffView::updateSummary() {
  if (!diff_) {
    summary_->clear();
    return;
  }
  const DiffSummary& s = diff_->summary;
  // The counts double as the legend of the rings on the canvases.
  auto chip = [](DiffStatus status, const QString& text) {
    return QStringLiteral("<span style=\"color:%1\">\u25A0</span>&nbsp;%2").arg(statusColor(status).name(), text.toHtmlEscaped());
  };
  QStringList parts{chip(DiffStatus::Same, tr("%1 same").arg(s.same)),
                    chip(DiffStatus::Changed, tr("%1 changed").arg(s.changed)),
                    chip(DiffStatus::Added, tr("%1 added").arg(s.added)),
                    chip(DiffStatus::Removed, tr("%1 removed").arg(s.removed)),
                    chip(DiffStatus::Fused, tr("%1 fused").arg(s.fused))};
  if (s.split) parts << chip(DiffStatus::Split, tr("%1 split").arg(s.split));
  QString text = parts.join(QStringLiteral(" &nbsp; "));
  text += QStringLiteral(" · ") + tr("weights: %1 changed, %2 added, %3 removed")
                                      .arg(s.weightsChanged)
                                      .arg(s.weightsAdded)
                                      .arg(s.weightsRemoved)
                                      .toHtmlEscaped();
  text += QStringLiteral(" · ") + tr("%1 of %2 nodes of A paired").arg(s.pairedNodes).arg(s.nodesA).toHtmlEscaped();
  QStringList model;
  for (const auto& c : diff_->modelChanges) model << QString::fromStdString(c).toHtmlEscaped();
  // A few model changes are read in place; many go to the tooltip.
  if (!model.isEmpty() && model.size() <= 3)
    text += QStringLiteral("<br>") + tr("Model: %1").arg(model.join(QStringLiteral("; ")));
  else if (!model.isEmpty())
    text += QStringLiteral(" · ") + tr("%n model change(s)", nullptr, static_cast<int>(model.size()));
  summary_->setToolTip(model.join(QStringLiteral("<br>")));
  if (numeric_) {
    if (numeric_->firstDivergence >= 0) {
      const NodeError& e = numeric_->nodes[static_cast<std::size_t>(numeric_->firstDivergence)];
      text += QStringLiteral("<br>") + tr("Numbers part first at <b>%1</b> (%2), max abs %3")
                                           .arg(QString::fromStdString(e.a->name().empty() ? e.a->opType() : e.a->name()).toHtmlEscaped(),
                                                QString::fromStdString(e.a->opType()), QString::number(e.maxAbs, 'g', 3));
    } else {
      text += QStringLiteral("<br>") + tr("Every paired value is within tolerance.");
    }
  }
  if (!numericError_.isEmpty())
    text += QStringLiteral("<br><span style=\"color:#d73a49\">%1</span>")
                .arg(tr("The numeric diff failed: %1").arg(numericError_.toHtmlEscaped()));
  summary_->setText(text);
}

void DiffView::rebuildOverlays() {
  overlayA_ = std::make_shared<CanvasOverlay>();
  overlayB_ = std::make_shared<CanvasOverlay>();
  if (diff_) {
    bool numericMode = numericBox_->isChecked() && numeric_;
    std::unordered_map<const Node*, const NodeError*> errorOf;
    if (numericMode)
      for (const auto& e : numeric_->nodes) errorOf[e.a] = &e;
    for (const NodeDiff& e : diff_->nodes) {
      QColor color = statusColor(e.status);
      QString note = QStringLiteral("<b>%1</b>").arg(statusText(e.status));
      for (const auto& c : e.changes) note += QStringLiteral("<br>") + QString::fromStdString(c).toHtmlEscaped();
      if (numericMode) {
        auto it = e.a.empty() ? errorOf.end() : errorOf.find(e.a[0]);
        if (it != errorOf.end()) {
          color = errorColor(*it->second, numeric_->atol, numeric_->rtol);
          note += QStringLiteral("<br>") + tr("max abs error %1").arg(QString::number(it->second->maxAbs, 'g', 3));
        } else {
          color = statusColor(DiffStatus::Same);
        }
      }
      NodeOutline ring{color, e.status == DiffStatus::Same && !numericMode ? Qt::DotLine : Qt::SolidLine};
      for (const Node* n : e.a) {
        overlayA_->outlines[n->id()].push_back(ring);
        overlayA_->notes[n->id()] = note;
      }
      for (const Node* n : e.b) {
        overlayB_->outlines[n->id()].push_back(ring);
        overlayB_->notes[n->id()] = note;
      }
    }
  }
  if (!numericBox_->isChecked() || !numeric_) {
    for (const auto& [node, o] : overrides_) {
      bool onA = a_ && a_->model && &node->graph().model() == a_->model.get();
      CanvasOverlay& overlay = onA ? *overlayA_ : *overlayB_;
      overlay.outlines[node->id()] = {NodeOutline{statusColor(o.status), Qt::SolidLine}};
      overlay.notes[node->id()] = o.note.toHtmlEscaped();
    }
  }
  canvasA_->setOverlay(overlayA_);
  canvasB_->setOverlay(overlayB_);
}

void DiffView::onSelected(bool fromA, const Node* node) {
  if (syncing_ || !diff_ || !node) return;
  auto it = diff_->entryOf.find(node);
  if (it == diff_->entryOf.end()) return;
  syncing_ = true;
  const NodeDiff& e = diff_->nodes[it->second];
  const auto& other = fromA ? e.b : e.a;
  GraphCanvas* canvas = fromA ? canvasB_ : canvasA_;
  if (!other.empty()) canvas->selectNode(other[0]);
  else canvas->clearSelection();
  QModelIndex src = entries_->index(static_cast<int>(it->second), 0);
  QModelIndex row = filter_->mapFromSource(src);
  if (row.isValid()) {
    list_->setCurrentIndex(row);
    list_->scrollTo(row);
  }
  syncing_ = false;
}

bool DiffView::selectEntry(std::size_t entry) {
  if (!diff_ || entry >= diff_->nodes.size()) return false;
  const NodeDiff& e = diff_->nodes[entry];
  syncing_ = true;
  if (!e.a.empty()) canvasA_->selectNode(e.a[0]);
  else canvasA_->clearSelection();
  if (!e.b.empty()) canvasB_->selectNode(e.b[0]);
  else canvasB_->clearSelection();
  QModelIndex row = filter_->mapFromSource(entries_->index(static_cast<int>(entry), 0));
  if (row.isValid()) list_->setCurrentIndex(row);
  syncing_ = false;
  return true;
}

void DiffView::onListCurrent(const QModelIndex& index) {
  if (syncing_ || !index.isValid()) return;
  selectEntry(static_cast<std::size_t>(filter_->mapToSource(index).row()));
}

std::string DiffView::partnerGroup(const std::string& path, bool fromA) const {
  GraphCanvas* from = fromA ? canvasA_ : canvasB_;
  GraphCanvas* to = fromA ? canvasB_ : canvasA_;
  const CanvasScene* sf = from->currentScene();
  const CanvasScene* st = to->currentScene();
  if (!sf || !st) return {};
  const LayoutGrouping& gf = sf->grouping();
  const LayoutGrouping& gt = st->grouping();
  auto it = gf.byPath.find(path);
  if (it == gf.byPath.end()) return {};
  const int depth = gf.groups[static_cast<std::size_t>(it->second)].depth;
  const auto& partner = fromA ? partnerA_ : partnerB_;
  // Each node of the group votes for the group of its partner at the same depth: scope names
  // may differ (a re-export renames modules), the pairing does not.
  std::unordered_map<int, int> votes;
  int voters = 0;
  std::vector<int> stack{it->second};
  while (!stack.empty()) {
    const LayoutGroup& g = gf.groups[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    stack.insert(stack.end(), g.children.begin(), g.children.end());
    for (int n : g.nodes) {
      auto p = partner.find(sf->lg().nodes[static_cast<std::size_t>(n)].id);
      if (p == partner.end()) continue;
      int j = st->lg().findNode(p->second);
      if (j < 0) continue;
      ++voters;
      int k = gt.groupOf[static_cast<std::size_t>(j)];
      while (k > 0 && gt.groups[static_cast<std::size_t>(k)].depth > depth) k = gt.groups[static_cast<std::size_t>(k)].parent;
      if (k > 0 && gt.groups[static_cast<std::size_t>(k)].depth == depth) ++votes[k];
    }
  }
  int best = -1, most = 0;
  for (const auto& [k, count] : votes)
    if (count > most || (count == most && k < best)) best = k, most = count;
  return best > 0 && 2 * most > voters ? gt.groups[static_cast<std::size_t>(best)].path : std::string();
}

void DiffView::mirrorExpansion(bool fromA) {
  GraphCanvas* from = fromA ? canvasA_ : canvasB_;
  GraphCanvas* to = fromA ? canvasB_ : canvasA_;
  auto& seen = fromA ? expandedA_ : expandedB_;
  auto& otherSeen = fromA ? expandedB_ : expandedA_;
  std::set<std::string> now = from->expandedGroups();
  // The first layout of a side is its starting point, not a change to carry over.
  if (!seen || !otherSeen || !from->document() || !to->document() || from->currentGraph() != &from->document()->model->graph() ||
      to->currentGraph() != &to->document()->model->graph()) {
    seen = std::move(now);
    return;
  }
  if (now == *seen) return;
  // Only what changed on this side since it was last seen is carried over, so the two sides do
  // not undo each other while their layouts finish at different times.
  std::vector<std::pair<std::string, bool>> changes;
  for (const auto& g : now)
    if (!seen->count(g)) changes.emplace_back(g, true);
  for (const auto& g : *seen)
    if (!now.count(g)) changes.emplace_back(g, false);
  seen = std::move(now);
  std::set<std::string> target = to->expandedGroups();
  for (const auto& [g, open] : changes) {
    std::string p = partnerGroup(g, fromA);
    if (p.empty() || target.count(p) == static_cast<std::size_t>(open)) continue;
    to->setGroupExpanded(p, open);
  }
  otherSeen = to->expandedGroups();
}

void DiffView::setNumericMode(bool on) {
  if (on && !numeric_) {
    numericBox_->setChecked(false);
    return;
  }
  rebuildOverlays();
}

void DiffView::runNumeric(const NumericDiffOptions& options) {
  if (numericRunning_ || !diff_ || !a_ || !b_ || !a_->model || !b_->model) return;
  numericRunning_ = true;
  numericCancel_ = std::make_shared<std::atomic<bool>>(false);
  numericProgress_ = std::make_shared<std::atomic<double>>(0.0);
  runNumeric_->setEnabled(false);
  cancelNumeric_->setVisible(true);
  progress_->setValue(0);
  progress_->setVisible(true);
  auto* timer = new QTimer(this);
  timer->setInterval(100);
  connect(timer, &QTimer::timeout, this, [this, timer] {
    if (!numericRunning_) {
      timer->deleteLater();
      return;
    }
    progress_->setValue(static_cast<int>(numericProgress_->load() * 1000));
  });
  timer->start();
  NumericDiffOptions o = options;
  auto cancel = numericCancel_;
  auto progress = numericProgress_;
  o.progress = [cancel, progress](double f, std::string_view) {
    progress->store(f);
    return !cancel->load();
  };
  auto a = a_;
  auto b = b_;
  auto diff = diff_;
  numericWatcher_ = new QFutureWatcher<Result<NumericDiff>>(this);
  connect(numericWatcher_, &QFutureWatcher<Result<NumericDiff>>::finished, this, [this, diff] {
    Result<NumericDiff> r = numericWatcher_->result();
    numericWatcher_->deleteLater();
    numericWatcher_ = nullptr;
    numericRunning_ = false;
    runNumeric_->setEnabled(true);
    cancelNumeric_->setVisible(false);
    progress_->setVisible(false);
    if (diff != diff_) {  // another pair was shown meanwhile: this run is about the old one
      emit numericFinished(false, tr("Another diff was shown before the numeric diff finished."));
      return;
    }
    if (!r) {
      numericError_ = r.status().code() == ErrorCode::Cancelled ? QString() : QString::fromStdString(r.message());
      updateSummary();
      emit numericFinished(false, QString::fromStdString(r.message()));
      return;
    }
    numeric_ = std::make_shared<NumericDiff>(std::move(r.value()));
    numericError_.clear();
    numericBox_->setEnabled(true);
    numericBox_->setChecked(true);
    rebuildOverlays();
    updateSummary();
    emit numericFinished(true, {});
  });
  numericWatcher_->setFuture(QtConcurrent::run([a, b, diff, o]() -> Result<NumericDiff> {
    return numericDiff(*a->model, *b->model, diff->pairing, o);
  }));
}

void DiffView::cancelNumeric() {
  if (numericCancel_) numericCancel_->store(true);
}

}  // namespace graft
