// The preview of one rewrite: the region it touches before and after, side by side in the diff
// view (synced selection, change list), with removed, added and changed nodes coloured as the
// engine's preview says; nothing is committed here.
#pragma once

#include <QDialog>
#include <QStringList>

#include <memory>

#include "graft/rewrite.h"
#include "model_document.h"

class QLabel;
class QPushButton;

namespace graft {

class DiffView;
class GraphCanvas;

class RewritePreviewDialog : public QDialog {
  Q_OBJECT

 public:
  // source: the open document, for opset imports, weights' shapes and inferred types.
  RewritePreviewDialog(const Preview& preview, const ModelDocument& source, const QString& title,
                       QWidget* parent = nullptr);

  GraphCanvas* beforeCanvas() const;
  GraphCanvas* afterCanvas() const;
  DiffView* diffView() const { return view_; }
  QPushButton* applyButton() const { return apply_; }
  // Node names (or "<Op> producing <output>") by what the rewrite does to them.
  const QStringList& removedNodes() const { return removed_; }
  const QStringList& addedNodes() const { return added_; }
  const QStringList& changedNodes() const { return changed_; }
  int beforeNodeCount() const;
  int afterNodeCount() const;

  // The diff view's colours, so a preview and a diff read the same.
  static QColor removedColor();
  static QColor addedColor();
  static QColor changedColor();

 signals:
  void applyRequested();

 private:
  std::shared_ptr<ModelDocument> beforeDoc_, afterDoc_;
  DiffView* view_ = nullptr;
  QPushButton* apply_ = nullptr;
  QStringList removed_, added_, changed_;
};

}  // namespace graft
