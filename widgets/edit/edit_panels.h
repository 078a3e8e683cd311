// Editable tables for hand edits: a node's attributes (typed by the op's schema) under the Node
// panel, and the graph inputs' element types and shapes under the Model panel. Each change a
// user makes is handed out as an Edit; the tables never change the model themselves.
#pragma once

#include <QTableWidget>

#include <memory>

#include "graft/edit.h"
#include "model_document.h"

namespace graft {

class AttributeTable : public QTableWidget {
  Q_OBJECT

 public:
  explicit AttributeTable(QWidget* parent = nullptr);
  // The node's attributes and the ones its schema allows (empty: not set). nullptr clears.
  void showNode(std::shared_ptr<const ModelDocument> document, const Node* node);

 signals:
  void editRequested(const graft::Edit& edit);

 private:
  void onChanged(QTableWidgetItem* item);
  std::string nodeName_;
  bool filling_ = false;
};

class InputShapeTable : public QTableWidget {
  Q_OBJECT

 public:
  explicit InputShapeTable(QWidget* parent = nullptr);
  void setDocument(std::shared_ptr<const ModelDocument> document);

 signals:
  void editRequested(const graft::Edit& edit);
  void refused(const QString& message);  // text that is not a type or a shape

 private:
  void onChanged(QTableWidgetItem* item);
  bool filling_ = false;
};

}  // namespace graft
