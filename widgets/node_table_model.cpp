#include "node_table_model.h"

#include <QApplication>
#include <QFont>
#include <QPalette>

#include "format.h"

namespace graft {

NodeTableModel::NodeTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void NodeTableModel::setDocument(std::shared_ptr<const ModelDocument> document) {
  beginResetModel();
  document_ = std::move(document);
  endResetModel();
}

const NodeRow* NodeTableModel::rowAt(int row) const {
  if (!document_ || row < 0 || row >= static_cast<int>(document_->rows.size())) return nullptr;
  return &document_->rows[static_cast<size_t>(row)];
}

int NodeTableModel::rowOf(NodeId id) const {
  const NodeRow* r = document_ ? document_->rowFor(id) : nullptr;
  return r ? r->index : -1;
}

int NodeTableModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() || !document_) return 0;
  return static_cast<int>(document_->rows.size());
}

int NodeTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant NodeTableModel::data(const QModelIndex& index, int role) const {
  const NodeRow* r = rowAt(index.row());
  if (!r) return {};
  const int column = index.column();
  auto cost = [&](bool flops) -> std::uint64_t { return flops ? r->cost.flops : r->cost.macs; };

  switch (role) {
    case Qt::DisplayRole:
      switch (column) {
        case IndexColumn: return r->index;
        case NameColumn: return QString::fromStdString(r->displayName);
        case OpTypeColumn: return QString::fromStdString(r->node->opType());
        case DomainColumn: return displayDomain(r->node->domain());
        case InputsColumn: return QString::fromStdString(r->inputs);
        case OutputsColumn: return QString::fromStdString(r->outputs);
        case OutputTypesColumn: return QString::fromStdString(r->outputTypes);
        case MacsColumn:
        case FlopsColumn:
          return r->cost.known ? formatCompact(cost(column == FlopsColumn)) : QStringLiteral("–");
        default: break;
      }
      break;
    case SortRole:
      switch (column) {
        case IndexColumn: return r->index;
        case MacsColumn:
        case FlopsColumn:
          return r->cost.known ? QVariant(static_cast<qlonglong>(cost(column == FlopsColumn))) : QVariant(-1LL);
        default: return data(index, Qt::DisplayRole);
      }
    case NodeIdRole:
      return QVariant::fromValue<qulonglong>(r->node->id());
    case Qt::ToolTipRole:
      switch (column) {
        case NameColumn:
          return r->unnamed ? tr("This node has no name; it is shown by its op type and position in the file.")
                            : QString::fromStdString(r->displayName);
        case InputsColumn: return QString::fromStdString(r->inputs);
        case OutputsColumn: return QString::fromStdString(r->outputs);
        case OutputTypesColumn: return QString::fromStdString(r->outputTypes);
        case MacsColumn:
        case FlopsColumn:
          return r->cost.known ? formatCount(cost(column == FlopsColumn))
                               : tr("Not counted: shapes are unknown or the op has no cost formula.");
        default: break;
      }
      break;
    case Qt::TextAlignmentRole:
      if (column == IndexColumn || column == MacsColumn || column == FlopsColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
      break;
    case Qt::FontRole:
      if (column == NameColumn && r->unnamed) {
        QFont f;
        f.setItalic(true);
        return f;
      }
      break;
    case Qt::ForegroundRole:
      // Dimmed from the palette so that dark and light themes both read well.
      if (column == NameColumn && r->unnamed) return QApplication::palette().brush(QPalette::PlaceholderText);
      break;
    default:
      break;
  }
  return {};
}

QVariant NodeTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::DisplayRole) {
    switch (section) {
      case IndexColumn: return tr("#");
      case NameColumn: return tr("Name");
      case OpTypeColumn: return tr("Op type");
      case DomainColumn: return tr("Domain");
      case InputsColumn: return tr("Inputs");
      case OutputsColumn: return tr("Outputs");
      case OutputTypesColumn: return tr("Output types");
      case MacsColumn: return tr("MACs");
      case FlopsColumn: return tr("FLOPs");
      default: break;
    }
  } else if (role == Qt::ToolTipRole) {
    switch (section) {
      case IndexColumn: return tr("Position in topological order");
      case OutputTypesColumn: return tr("Element type and shape of each output, from shape inference");
      case MacsColumn: return tr("Multiply-accumulate operations");
      case FlopsColumn: return tr("Floating-point operations");
      default: break;
    }
  } else if (role == Qt::TextAlignmentRole) {
    if (section == IndexColumn || section == MacsColumn || section == FlopsColumn)
      return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

NodeFilterProxyModel::NodeFilterProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(NodeTableModel::SortRole);
}

void NodeFilterProxyModel::setFilterTerms(const QString& text) {
  text_ = text;
  terms_.clear();
  for (const QString& t : text.toLower().split(QLatin1Char(' '), Qt::SkipEmptyParts)) terms_.push_back(t.toStdString());
  invalidateFilter();
}

bool NodeFilterProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  auto* table = qobject_cast<const NodeTableModel*>(sourceModel());
  const NodeRow* a = table ? table->rowAt(left.row()) : nullptr;
  const NodeRow* b = table ? table->rowAt(right.row()) : nullptr;
  if (!a || !b) return QSortFilterProxyModel::lessThan(left, right);
  auto text = [](const std::string& x, const std::string& y, int tie) {
    int c = QString::compare(QString::fromStdString(x), QString::fromStdString(y), Qt::CaseInsensitive);
    return c != 0 ? c < 0 : tie < 0;
  };
  // Unknown costs sort below every known one, zero included.
  auto cost = [](const NodeRow* r, bool flops) -> long double {
    return r->cost.known ? static_cast<long double>(flops ? r->cost.flops : r->cost.macs) : -1.0L;
  };
  const int tie = a->index - b->index;  // equal keys keep topological order
  switch (left.column()) {
    case NodeTableModel::IndexColumn: return a->index < b->index;
    case NodeTableModel::NameColumn: return text(a->displayName, b->displayName, tie);
    case NodeTableModel::OpTypeColumn: return text(a->node->opType(), b->node->opType(), tie);
    case NodeTableModel::DomainColumn: return text(a->node->domain(), b->node->domain(), tie);
    case NodeTableModel::InputsColumn: return text(a->inputs, b->inputs, tie);
    case NodeTableModel::OutputsColumn: return text(a->outputs, b->outputs, tie);
    case NodeTableModel::OutputTypesColumn: return text(a->outputTypes, b->outputTypes, tie);
    case NodeTableModel::MacsColumn:
    case NodeTableModel::FlopsColumn: {
      const bool flops = left.column() == NodeTableModel::FlopsColumn;
      const long double x = cost(a, flops), y = cost(b, flops);
      return x != y ? x < y : tie < 0;
    }
    default: return QSortFilterProxyModel::lessThan(left, right);
  }
}

bool NodeFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  if (terms_.empty() || sourceParent.isValid()) return true;
  auto* table = qobject_cast<const NodeTableModel*>(sourceModel());
  const NodeRow* r = table ? table->rowAt(sourceRow) : nullptr;
  if (!r) return false;
  for (const std::string& term : terms_)
    if (r->filterKey.find(term) == std::string::npos) return false;
  return true;
}

}  // namespace graft
