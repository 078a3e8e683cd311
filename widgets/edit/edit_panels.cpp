#include "edit/edit_panels.h"

#include <QHeaderView>

#include "graft/analysis.h"

namespace graft {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString shapeText(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return QStringLiteral("?");
  std::vector<DimSpec> dims;
  for (const auto& d : type.tensor_type().shape().dim()) {
    DimSpec s;
    if (d.has_dim_value()) s.value = d.dim_value();
    else if (d.has_dim_param()) s.param = d.dim_param();
    dims.push_back(s);
  }
  return qs(formatShape(dims));
}

}  // namespace

// ----------------------------------------------------------------------------- attributes

AttributeTable::AttributeTable(QWidget* parent) : QTableWidget(parent) {
  setObjectName(QStringLiteral("attributeTable"));
  setColumnCount(3);
  setHorizontalHeaderLabels({tr("Attribute"), tr("Value"), tr("Type")});
  horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  verticalHeader()->hide();
  setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
  setToolTip(tr("Double-click a value to change it (3, 0.5, 1,2,3 or text); clear it to remove the attribute"));
  connect(this, &QTableWidget::itemChanged, this, &AttributeTable::onChanged);
}

void AttributeTable::showNode(std::shared_ptr<const ModelDocument> document, const Node* node) {
  filling_ = true;
  clearContents();
  setRowCount(0);
  nodeName_ = node ? node->name() : std::string();
  if (!node || !document) {
    filling_ = false;
    return;
  }
  OpDoc op = describeNode(*node);
  std::vector<std::string> seen;
  auto addRow = [&](const std::string& name, const QString& value, const QString& type, bool editable, const QString& hint) {
    int r = rowCount();
    insertRow(r);
    auto* n = new QTableWidgetItem(qs(name));
    n->setFlags(n->flags() & ~Qt::ItemIsEditable);
    auto* v = new QTableWidgetItem(value);
    if (!editable || nodeName_.empty()) v->setFlags(v->flags() & ~Qt::ItemIsEditable);
    v->setData(Qt::UserRole, value);
    if (!hint.isEmpty()) v->setToolTip(hint);
    auto* t = new QTableWidgetItem(type);
    t->setFlags(t->flags() & ~Qt::ItemIsEditable);
    setItem(r, 0, n);
    setItem(r, 1, v);
    setItem(r, 2, t);
  };
  for (const auto& a : node->proto().attribute()) {
    using AP = onnx::AttributeProto;
    const bool text = a.type() == AP::INT || a.type() == AP::FLOAT || a.type() == AP::STRING || a.type() == AP::INTS ||
                      a.type() == AP::FLOATS || a.type() == AP::STRINGS;
    addRow(a.name(), qs(attributeToText(a)), qs(AP::AttributeType_Name(a.type())).toLower(), text, {});
    seen.push_back(a.name());
  }
  for (const auto& a : op.attributes) {
    if (std::find(seen.begin(), seen.end(), a.name) != seen.end()) continue;
    const bool text = a.type == "int" || a.type == "float" || a.type == "string" || a.type == "ints" ||
                      a.type == "floats" || a.type == "strings";
    addRow(a.name, QString(), qs(a.type), text,
           a.defaultValue.empty() ? tr("not set") : tr("not set; default %1").arg(qs(a.defaultValue)));
  }
  resizeColumnToContents(0);
  filling_ = false;
}

void AttributeTable::onChanged(QTableWidgetItem* item) {
  if (filling_ || !item || item->column() != 1 || nodeName_.empty()) return;
  const QString before = item->data(Qt::UserRole).toString();
  const QString now = item->text().trimmed();
  if (now == before) return;
  const std::string attr = this->item(item->row(), 0)->text().toStdString();
  // The table shows the model again once the edit is in (or refused): put the old text back now.
  filling_ = true;
  item->setText(before);
  filling_ = false;
  if (now.isEmpty()) emit editRequested(Edit::removeAttribute(nodeName_, attr));
  else emit editRequested(Edit::setAttribute(nodeName_, attr, now.toStdString()));
}

// ----------------------------------------------------------------------------- input shapes

InputShapeTable::InputShapeTable(QWidget* parent) : QTableWidget(parent) {
  setObjectName(QStringLiteral("inputShapeTable"));
  setColumnCount(3);
  setHorizontalHeaderLabels({tr("Input"), tr("Type"), tr("Shape")});
  horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
  verticalHeader()->hide();
  setToolTip(tr("Double-click a type (float32, float16, int64, …) or a shape (1x3x224x224, batchx3x?x?) to change it"));
  connect(this, &QTableWidget::itemChanged, this, &InputShapeTable::onChanged);
}

void InputShapeTable::setDocument(std::shared_ptr<const ModelDocument> document) {
  filling_ = true;
  clearContents();
  setRowCount(0);
  if (document && document->model) {
    for (const Value* v : document->model->graph().inputs()) {
      if (v->isInitializer()) continue;
      int r = rowCount();
      insertRow(r);
      auto* n = new QTableWidgetItem(qs(v->name()));
      n->setFlags(n->flags() & ~Qt::ItemIsEditable);
      const onnx::TypeProto* t = v->declaredType();
      QString dtype = t && t->has_tensor_type() ? QString::fromLatin1(dataTypeName(t->tensor_type().elem_type())) : QStringLiteral("?");
      QString shape = t ? shapeText(*t) : QStringLiteral("?");
      auto* d = new QTableWidgetItem(dtype);
      d->setData(Qt::UserRole, dtype);
      auto* s = new QTableWidgetItem(shape);
      s->setData(Qt::UserRole, shape);
      setItem(r, 0, n);
      setItem(r, 1, d);
      setItem(r, 2, s);
    }
  }
  resizeColumnToContents(0);
  filling_ = false;
}

void InputShapeTable::onChanged(QTableWidgetItem* item) {
  if (filling_ || !item || item->column() == 0) return;
  const QString before = item->data(Qt::UserRole).toString();
  const QString now = item->text().trimmed();
  if (now == before) return;
  const std::string input = this->item(item->row(), 0)->text().toStdString();
  filling_ = true;
  item->setText(before);
  filling_ = false;
  if (item->column() == 1) {
    auto t = dataTypeFromName(now.toStdString());
    if (!t) {
      emit refused(tr("'%1' is not an element type (float32, float16, int64, int32, uint8, bool, …)").arg(now));
      return;
    }
    emit editRequested(Edit::setInputType(input, *t, std::nullopt));
  } else {
    auto shape = parseShape(now.toStdString());
    if (!shape) {
      emit refused(QString::fromStdString(shape.message()));
      return;
    }
    emit editRequested(Edit::setInputType(input, 0, *shape));
  }
}

}  // namespace graft
