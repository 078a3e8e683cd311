#include "canvas/minimap.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

#include "canvas/graph_view.h"

namespace graft {

namespace {
constexpr int kMaxSide = 180;
constexpr int kMargin = 12;
}  // namespace

Minimap::Minimap(GraphView* view, QWidget* parent) : QWidget(parent), view_(view) {
  setObjectName(QStringLiteral("minimap"));
  setCursor(Qt::PointingHandCursor);
  setToolTip(tr("Overview: click or drag to move the view"));
  hide();
}

void Minimap::setAllowed(bool allowed) {
  allowed_ = allowed;
  sync();
}

void Minimap::sync() {
  const auto& scene = view_->scene();
  if (!allowed_ || !scene || scene->overview.isNull()) {
    hide();
    return;
  }
  QRectF b = scene->bounds();
  QRectF visible = view_->visibleSceneRect();
  if (visible.contains(b)) {
    hide();
    return;
  }
  // Tall graphs (decoders) get a narrow, tall overview; it never covers much of the view.
  // Never more than a sixth of the view's width or a third of its height: it covers content.
  QWidget* port = view_->viewport();
  const double side = std::min<double>(kMaxSide, port->width() / 6.0);
  const double tall = std::min<double>(2.0 * side, port->height() / 3.0);
  double s = std::min(side / std::max(1.0, b.width()), tall / std::max(1.0, b.height()));
  QSize size(std::max(24, static_cast<int>(b.width() * s)) + 6, std::max(24, static_cast<int>(b.height() * s)) + 6);
  QWidget* vp = view_->viewport();
  QPoint corner = vp->mapTo(parentWidget(), QPoint(vp->width(), vp->height()));
  setGeometry(QRect(corner - QPoint(size.width() + kMargin, size.height() + kMargin), size));
  show();
  raise();
  update();
}

QRectF Minimap::imageRect() const { return QRectF(rect()).adjusted(3, 3, -3, -3); }

void Minimap::paintEvent(QPaintEvent*) {
  const auto& scene = view_->scene();
  if (!scene) return;
  QPainter p(this);
  const auto& pal = view_->canvasPalette();
  QColor frame = pal.groupBorder;
  p.setPen(QPen(frame, 1));
  QColor bg = pal.background;
  bg.setAlpha(235);
  p.setBrush(bg);
  p.drawRoundedRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
  QRectF target = imageRect();
  p.setRenderHint(QPainter::SmoothPixmapTransform, true);
  p.drawImage(target, scene->overview);
  QRectF b = scene->bounds();
  QRectF v = view_->visibleSceneRect().intersected(b);
  auto map = [&](QPointF s) {
    return QPointF(target.left() + (s.x() - b.left()) / b.width() * target.width(),
                   target.top() + (s.y() - b.top()) / b.height() * target.height());
  };
  QRectF box(map(v.topLeft()), map(v.bottomRight()));
  QColor sel = pal.selection;
  p.setPen(QPen(sel, 1.5));
  sel.setAlpha(40);
  p.setBrush(sel);
  p.drawRect(box.adjusted(0, 0, std::max(0.0, 3 - box.width()), std::max(0.0, 3 - box.height())));
}

void Minimap::moveViewTo(QPointF pos) {
  const auto& scene = view_->scene();
  if (!scene) return;
  QRectF target = imageRect();
  QRectF b = scene->bounds();
  double fx = std::clamp((pos.x() - target.left()) / target.width(), 0.0, 1.0);
  double fy = std::clamp((pos.y() - target.top()) / target.height(), 0.0, 1.0);
  view_->centerOn(QPointF(b.left() + fx * b.width(), b.top() + fy * b.height()));
}

void Minimap::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton) moveViewTo(event->position());
}

void Minimap::mouseMoveEvent(QMouseEvent* event) {
  if (event->buttons() & Qt::LeftButton) moveViewTo(event->position());
}

}  // namespace graft
