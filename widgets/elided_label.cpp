#include "elided_label.h"

#include <QPainter>
#include <QStyle>

namespace graft {

ElidedLabel::ElidedLabel(QWidget* parent, Qt::TextElideMode mode) : ElidedLabel(QString(), parent, mode) {}

ElidedLabel::ElidedLabel(const QString& text, QWidget* parent, Qt::TextElideMode mode) : QLabel(text, parent), mode_(mode) {
  setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  setTextFormat(Qt::PlainText);
  setWordWrap(false);
}

QSize ElidedLabel::minimumSizeHint() const {
  return {0, QLabel::minimumSizeHint().height()};
}

QString ElidedLabel::shownText() const {
  const QRect area = contentsRect();
  return fontMetrics().elidedText(text(), mode_, area.width());
}

void ElidedLabel::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  const QString shown = shownText();
  // The tooltip carries the whole text only while it is cut.
  const QString tip = shown == text() ? QString() : text();
  if (toolTip() != tip) setToolTip(tip);
  style()->drawItemText(&painter, contentsRect(), static_cast<int>(alignment()), palette(), isEnabled(), shown, foregroundRole());
}

}  // namespace graft
