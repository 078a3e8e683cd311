// The node panel: what one node is (op, domain, opset), its inputs and outputs with types,
// its attributes next to the schema's defaults, its cost, and the op's documentation.
#pragma once

#include <QTextBrowser>

#include <memory>

#include "model_document.h"

namespace graft {

class NodeDetailsPanel : public QTextBrowser {
  Q_OBJECT

 public:
  explicit NodeDetailsPanel(QWidget* parent = nullptr);
  void setDocument(std::shared_ptr<const ModelDocument> document);
  // nullptr shows the hint to select a node.
  void showNode(const Node* node);
  const Node* node() const { return node_; }

 signals:
  // A tensor name was clicked: show that tensor's values (weights, or the last run's values).
  void tensorClicked(const QString& name);

 private:
  void showHint();

  std::shared_ptr<const ModelDocument> document_;
  const Node* node_ = nullptr;
};

}  // namespace graft
