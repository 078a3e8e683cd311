// The node table: every node of the main graph in topological order with its op, tensors,
// inferred output types and cost; a proxy sorts it and filters by name, op or tensor name.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStringList>

#include <memory>

#include "model_document.h"

namespace graft {

class NodeTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  // What a reader scans first comes first; tensor names are long and go last.
  enum Column { IndexColumn, NameColumn, OpTypeColumn, OutputTypesColumn, MacsColumn, FlopsColumn,
                InputsColumn, OutputsColumn, DomainColumn, ColumnCount };
  // Numbers sort as numbers, unknown costs below zero.
  static constexpr int SortRole = Qt::UserRole + 1;
  static constexpr int NodeIdRole = Qt::UserRole + 2;

  explicit NodeTableModel(QObject* parent = nullptr);

  void setDocument(std::shared_ptr<const ModelDocument> document);
  const ModelDocument* document() const { return document_.get(); }
  const NodeRow* rowAt(int row) const;
  int rowOf(NodeId id) const;  // -1 when the node is not in the table

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

 private:
  std::shared_ptr<const ModelDocument> document_;
};

// Keeps rows whose name, op type, domain or input/output tensor names contain every
// whitespace-separated term of the filter (case-insensitive).
class NodeFilterProxyModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit NodeFilterProxyModel(QObject* parent = nullptr);
  void setFilterTerms(const QString& text);
  QString filterTerms() const { return text_; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
  // Compares the rows' fields directly: sorting 60,000 rows through QVariants is too slow.
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  QString text_;
  std::vector<std::string> terms_;
};

}  // namespace graft
