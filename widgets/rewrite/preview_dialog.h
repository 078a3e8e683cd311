// The preview of one rewrite: the region it touches before and after, side by side on two
// graph canvases, with removed, added and changed nodes coloured; nothing is committed here.
#pragma once

#include <QDialog>
#include <QStringList>

#include <memory>

#include "graft/rewrite.h"
#include "model_document.h"

class QLabel;
class QPushButton;

namespace graft {

class GraphCanvas;

class RewritePreviewDialog : public QDialog {
  Q_OBJECT

 public:
  // source: the open document, for opset imports, weights' shapes and inferred types.
  RewritePreviewDialog(const Preview& preview, const ModelDocument& source, const QString& title,
                       QWidget* parent = nullptr);

  GraphCanvas* beforeCanvas() const { return before_; }
  GraphCanvas* afterCanvas() const { return after_; }
  QPushButton* applyButton() const { return apply_; }
  // Node names (or "<Op> producing <output>") by what the rewrite does to them.
  const QStringList& removedNodes() const { return removed_; }
  const QStringList& addedNodes() const { return added_; }
  const QStringList& changedNodes() const { return changed_; }
  int beforeNodeCount() const;
  int afterNodeCount() const;

  static QColor removedColor() { return {220, 38, 38}; }
  static QColor addedColor() { return {22, 163, 74}; }
  static QColor changedColor() { return {217, 119, 6}; }

 signals:
  void applyRequested();

 private:
  std::shared_ptr<ModelDocument> beforeDoc_, afterDoc_;
  GraphCanvas* before_ = nullptr;
  GraphCanvas* after_ = nullptr;
  QPushButton* apply_ = nullptr;
  QStringList removed_, added_, changed_;
};

}  // namespace graft
