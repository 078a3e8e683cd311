#pragma once
// A one-line label that never widens its window: it takes the width its layout gives it, cuts
// its text with an ellipsis when that is too narrow, and then shows the whole text as a tooltip.
// Used for status lines whose text grows with the model (counts, paths, long translations).
#include <QLabel>

namespace graft {

class ElidedLabel : public QLabel {
  Q_OBJECT

 public:
  explicit ElidedLabel(QWidget* parent = nullptr, Qt::TextElideMode mode = Qt::ElideRight);
  explicit ElidedLabel(const QString& text, QWidget* parent = nullptr, Qt::TextElideMode mode = Qt::ElideRight);

  QSize minimumSizeHint() const override;
  // The text as drawn now: the whole text, or a shortened one with an ellipsis.
  QString shownText() const;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  Qt::TextElideMode mode_;
};

}  // namespace graft
