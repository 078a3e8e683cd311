// The model panel: file, IR version, producer, opsets, inputs/outputs, metadata, statistics,
// op histogram and the problems that inference and the checker found.
#pragma once

#include <QTreeWidget>

#include <memory>

#include "model_document.h"

namespace graft {

class ModelPropertiesPanel : public QTreeWidget {
  Q_OBJECT

 public:
  explicit ModelPropertiesPanel(QWidget* parent = nullptr);
  void setDocument(std::shared_ptr<const ModelDocument> document);
  // Number of problems listed (inference, validation, order); tests and the status bar use it.
  int problemCount() const { return problemCount_; }

 private:
  QTreeWidgetItem* section(const QString& title);
  QTreeWidgetItem* add(QTreeWidgetItem* parent, const QString& name, const QString& value);
  void showEmpty();

  std::shared_ptr<const ModelDocument> document_;
  int problemCount_ = 0;
};

}  // namespace graft
