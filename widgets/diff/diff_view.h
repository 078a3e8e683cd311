// The side-by-side diff of two models: two graph canvases with the same grouping, nodes ringed in
// the colour of what happened to them, a filterable change list, selection and expansion in step.
#pragma once

#include <QAbstractTableModel>
#include <QColor>
#include <QFutureWatcher>
#include <QSortFilterProxyModel>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>
#include <unordered_map>
#include <set>
#include <string>

#include "canvas/canvas_scene.h"
#include "graft/diff.h"
#include "model_document.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTableView;

namespace graft {

class GraphCanvas;

// The entries of a ModelDiff as table rows: status, op, node in A, node in B, scope, changes.
class DiffEntryModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { StatusColumn, OpColumn, NodeAColumn, NodeBColumn, ScopeColumn, ChangesColumn, ColumnCount };
  static constexpr int StatusRole = Qt::UserRole + 1;  // DiffStatus as int
  static constexpr int ScopeRole = Qt::UserRole + 2;

  using QAbstractTableModel::QAbstractTableModel;
  void setDiff(std::shared_ptr<const ModelDiff> diff);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::shared_ptr<const ModelDiff> diff_;
};

// Filters of the change list: changes only, one kind, one scope.
class DiffFilterModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  using QSortFilterProxyModel::QSortFilterProxyModel;
  void setChangesOnly(bool on);
  void setKind(int status);  // -1: every kind
  void setScope(const QString& scope, bool any);

 protected:
  bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

 private:
  bool changesOnly_ = true;
  int kind_ = -1;
  QString scope_;
  bool anyScope_ = true;
};

class DiffView : public QWidget {
  Q_OBJECT

 public:
  explicit DiffView(QWidget* parent = nullptr);
  ~DiffView() override;

  // Shows the two documents and their diff (computed by diffModels on a.model and b.model).
  void setDiff(std::shared_ptr<ModelDocument> a, std::shared_ptr<ModelDocument> b, std::shared_ptr<const ModelDiff> diff);
  const std::shared_ptr<const ModelDiff>& diff() const { return diff_; }

  // Added green, removed red, changed amber, fused/split purple, same grey.
  static QColor statusColor(DiffStatus status);
  // Numeric mode: green within tolerance, amber up to 10x beyond, red further.
  static QColor errorColor(const NodeError& error, double atol, double rtol);

  GraphCanvas* canvasA() const { return canvasA_; }
  GraphCanvas* canvasB() const { return canvasB_; }
  QTableView* changeList() const { return list_; }
  DiffFilterModel* changeFilter() const { return filter_; }
  QCheckBox* changesOnlyBox() const { return changesOnly_; }
  QComboBox* kindChooser() const { return kind_; }
  QComboBox* scopeChooser() const { return scope_; }
  QCheckBox* numericBox() const { return numericBox_; }
  QPushButton* runNumericButton() const { return runNumeric_; }
  QLabel* summaryLabel() const { return summary_; }
  // The overlays drawn on each side (for tests: the colour a node got).
  const std::shared_ptr<CanvasOverlay>& overlayA() const { return overlayA_; }
  const std::shared_ptr<CanvasOverlay>& overlayB() const { return overlayB_; }

  // Both sides open with every group expanded when the larger model has at most this many
  // nodes (default 300, as the canvas), else with their groups closed: the same grouping.
  void setAutoExpandLimit(int nodes) { autoExpandLimit_ = nodes; }
  // The group on the other side holding most partners of the nodes in `path` (at its depth),
  // or "" when there is none.
  std::string partnerGroup(const std::string& path, bool fromA) const;

  // Rings that another account of the change decides (the rewrite preview's: what the rewrite
  // says it removed, added or edited in place), by node of either side, with a tooltip note.
  // Nodes not listed keep the colour of their diff entry.
  struct StatusOverride {
    DiffStatus status = DiffStatus::Same;
    QString note;
  };
  void setStatusOverrides(std::unordered_map<const Node*, StatusOverride> overrides);
  // Off where the documents cannot run (a preview's region holds weights without their values).
  void setNumericAvailable(bool available);
  // Headings above the two canvases (default: "A" and "B" with the file paths).
  void setSideTitles(const QString& a, const QString& b);

  // Selects an entry (index into diff()->nodes) on both sides and in the list.
  bool selectEntry(std::size_t entry);

  // Numeric diff on a worker (progress bar, Cancel); numericFinished follows.
  void runNumeric(const NumericDiffOptions& options = {});
  void cancelNumeric();
  bool isNumericRunning() const { return numericRunning_; }
  const std::shared_ptr<const NumericDiff>& numeric() const { return numeric_; }
  void setNumericMode(bool on);

 signals:
  void numericFinished(bool ok, const QString& message);

 private:
  void rebuildOverlays();
  void onSelected(bool fromA, const Node* node);
  void onListCurrent(const QModelIndex& index);
  void mirrorExpansion(bool fromA);
  void updateSummary();

  std::shared_ptr<ModelDocument> a_, b_;
  std::shared_ptr<const ModelDiff> diff_;
  std::shared_ptr<const NumericDiff> numeric_;
  QString numericError_;  // why the last numeric run failed, shown under the summary
  std::shared_ptr<CanvasOverlay> overlayA_, overlayB_;
  // Expanded groups per side when last seen; nullopt until a side's first layout is in.
  std::optional<std::set<std::string>> expandedA_, expandedB_;
  std::unordered_map<NodeId, NodeId> partnerA_, partnerB_;  // node id of one side → a partner's id
  std::unordered_map<const Node*, StatusOverride> overrides_;
  int autoExpandLimit_ = 300;
  bool syncing_ = false;

  QSplitter* split_ = nullptr;
  GraphCanvas* canvasA_ = nullptr;
  GraphCanvas* canvasB_ = nullptr;
  QLabel* titleA_ = nullptr;
  QLabel* titleB_ = nullptr;
  QLabel* summary_ = nullptr;
  QCheckBox* changesOnly_ = nullptr;
  QComboBox* kind_ = nullptr;
  QComboBox* scope_ = nullptr;
  QCheckBox* numericBox_ = nullptr;
  QPushButton* runNumeric_ = nullptr;
  QPushButton* cancelNumeric_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QTableView* list_ = nullptr;
  DiffEntryModel* entries_ = nullptr;
  DiffFilterModel* filter_ = nullptr;

  QFutureWatcher<Result<NumericDiff>>* numericWatcher_ = nullptr;
  std::shared_ptr<std::atomic<bool>> numericCancel_;
  std::shared_ptr<std::atomic<double>> numericProgress_;
  bool numericRunning_ = false;
};

}  // namespace graft
