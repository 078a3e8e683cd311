#include "canvas/graph_view.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QNativeGestureEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace graft {

namespace {
constexpr double kMaxScale = 8.0;
constexpr double kMargin = 48;  // pixels of empty space around the scene when scrolled to an end
// Beyond this many items in view, the pre-rendered overview image is drawn instead: at that
// density single boxes are a pixel or two anyway, and the frame stays fast on 60k nodes.
constexpr size_t kVectorBudget = 12000;
}  // namespace

GraphView::GraphView(QWidget* parent) : QAbstractScrollArea(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setFrameShape(QFrame::NoFrame);
  viewport()->setMouseTracking(true);
  viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
  viewport()->setAttribute(Qt::WA_AcceptTouchEvents);
  viewport()->grabGesture(Qt::PinchGesture);
  palette_ = CanvasPalette::fromPalette(palette());
  setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
}

void GraphView::setOverlay(std::shared_ptr<const CanvasOverlay> overlay) {
  overlay_ = std::move(overlay);
  resolveOverlay();
  viewport()->update();
}

// The overlay names nodes by id; the painter wants layout indices, and a node inside a
// closed group marks the outermost closed group around it.
void GraphView::resolveOverlay() {
  nodeOutlines_.clear();
  groupOutlines_.clear();
  if (!overlay_ || overlay_->outlines.empty() || !scene_) return;
  const LayoutGraph& g = scene_->lg();
  std::unordered_map<NodeId, int> index;
  index.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].kind == LayoutGraph::NodeKind::Op) index.emplace(g.nodes[i].id, static_cast<int>(i));
  for (const auto& [id, rings] : overlay_->outlines) {
    auto it = index.find(id);
    if (it == index.end()) continue;
    nodeOutlines_[it->second] = rings;
    if (it->second < static_cast<int>(scene_->layout.nodeBox.size()) && scene_->layout.nodeBox[it->second] >= 0)
      continue;
    for (int grp : scene_->grouping().ancestors(it->second)) {
      if (grp < 0 || grp >= static_cast<int>(scene_->layout.groupBox.size())) continue;
      int gb = scene_->layout.groupBox[grp];
      if (gb < 0 || scene_->layout.groups[gb].expanded) continue;
      auto& mine = groupOutlines_[grp];
      for (const auto& r : rings)
        if (std::none_of(mine.begin(), mine.end(), [&](const NodeOutline& o) { return o.color == r.color; }) &&
            mine.size() < 3)
          mine.push_back(r);
      break;
    }
  }
}

void GraphView::setScene(std::shared_ptr<const CanvasScene> scene, bool keepView) {
  QPointF center = mapToScene(QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0));
  scene_ = std::move(scene);
  resolveOverlay();
  if (!keepView) {
    showStart();
  } else {
    updateScrollBars();
    centerOn(center);
  }
  viewport()->update();
}

double GraphView::fitScale() const {
  if (!scene_) return 1.0;
  QRectF b = scene_->bounds();
  double sx = (viewport()->width() - 2 * 16) / std::max(1.0, b.width());
  double sy = (viewport()->height() - 2 * 16) / std::max(1.0, b.height());
  return std::max(1e-5, std::min(sx, sy));
}

double GraphView::minScale() const { return std::min(0.05, fitScale() * 0.5); }

void GraphView::fitToView() {
  if (!scene_) return;
  if (fitScale() < kMinFitScale) {
    // All of a deep graph would be a one-pixel line (blank at 60k nodes): zoom out only as far
    // as boxes still show, around the part in view; the minimap gives the whole.
    const QPointF c = mapToScene(QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0));
    scale_ = kMinFitScale;
    updateScrollBars();
    const QRectF b = scene_->bounds();
    centerOn(QPointF(b.width() * scale_ <= viewport()->width() ? b.center().x() : c.x(), c.y()));
    emit viewChanged();
    viewport()->update();
    return;
  }
  // Fit, but never blow a small graph up beyond 100%: text would look oversized.
  scale_ = std::clamp(std::min(1.0, fitScale()), minScale(), kMaxScale);
  updateScrollBars();
  centerOn(scene_->bounds().center());
  // A tall graph at 100% starts at its top (the inputs), not in the middle.
  if (scale_ >= 1.0 - 1e-9 && scene_->bounds().height() * scale_ > viewport()->height()) {
    QRectF b = scene_->bounds();
    origin_.setY(b.top() - kMargin / scale_);
    updateScrollBars();
  }
  emit viewChanged();
  viewport()->update();
}

void GraphView::showStart() {
  if (!scene_) return;
  const QRectF b = scene_->bounds();
  if (std::min(1.0, fitScale()) >= kReadableScale) {
    fitToView();
    return;
  }
  // A fit of a tall graph is a smear nobody can read: fit the width instead, but keep the
  // text readable and never blow it up past 100%.
  const double vw = viewport()->width();
  const double fitWidth = (vw - 2 * 16) / std::max(1.0, b.width());
  scale_ = std::clamp(fitWidth, kReadableScale, 1.0);
  double top = b.top() - 16 / scale_;
  double left = b.center().x() - vw / 2 / scale_;
  if (b.width() * scale_ > vw - 2 * 16) {
    // Wider than the view: centre on the first row of boxes (the graph inputs), found through
    // the spatial index so this touches only the boxes near the top.
    std::vector<int> hits[4];
    scene_->index.query(QRectF(b.left(), b.top(), b.width(), std::min(b.height(), 200.0)), hits);
    double rowTop = b.bottom(), lo = b.right(), hi = b.left();
    for (int nb : hits[SceneIndex::NodeItem]) rowTop = std::min(rowTop, scene_->layout.nodes[nb].rect.y);
    for (int nb : hits[SceneIndex::NodeItem]) {
      const auto& r = scene_->layout.nodes[nb].rect;
      if (r.y > rowTop + 40) continue;
      lo = std::min(lo, r.x);
      hi = std::max(hi, r.right());
    }
    if (lo <= hi) {
      left = (lo + hi) / 2 - vw / 2 / scale_;
      // A first row wider than the view starts at its left end.
      if ((hi - lo) * scale_ > vw - 2 * 16) left = lo - 16 / scale_;
    } else {
      left = b.left() - 16 / scale_;
    }
  }
  origin_ = QPointF(left, top);
  updateScrollBars();
  emit viewChanged();
  viewport()->update();
}

void GraphView::zoomToActualSize() {
  setScale(1.0);
}

void GraphView::zoomBy(double factor) { setScale(scale_ * factor); }

void GraphView::setScale(double scale, QPointF anchor) {
  if (anchor.x() < 0) anchor = QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0);
  QPointF sceneAnchor = mapToScene(anchor);
  scale_ = std::clamp(scale, minScale(), kMaxScale);
  origin_ = sceneAnchor - anchor / scale_;
  updateScrollBars();
  emit viewChanged();
  viewport()->update();
}

void GraphView::centerOn(QPointF p) {
  origin_ = p - QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0) / scale_;
  updateScrollBars();
  emit viewChanged();
  viewport()->update();
}

void GraphView::ensureVisible(const QRectF& r) {
  QRectF v = visibleSceneRect();
  double m = 40 / scale_;
  QRectF want = r.adjusted(-m, -m, m, m);
  if (v.contains(want)) return;
  if (want.width() > v.width() || want.height() > v.height()) {
    centerOn(r.center());
    return;
  }
  QPointF o = origin_;
  if (want.left() < v.left()) o.setX(want.left());
  if (want.right() > v.right()) o.setX(want.right() - v.width());
  if (want.top() < v.top()) o.setY(want.top());
  if (want.bottom() > v.bottom()) o.setY(want.bottom() - v.height());
  origin_ = o;
  updateScrollBars();
  emit viewChanged();
  viewport()->update();
}

void GraphView::panBy(double dx, double dy) {
  origin_ += QPointF(dx, dy) / scale_;
  updateScrollBars();
  emit viewChanged();
  viewport()->update();
}

QRectF GraphView::visibleSceneRect() const {
  return {origin_, QSizeF(viewport()->width() / scale_, viewport()->height() / scale_)};
}

QPointF GraphView::mapToScene(QPointF pos) const { return origin_ + pos / scale_; }
QPointF GraphView::mapFromScene(QPointF p) const { return (p - origin_) * scale_; }

void GraphView::updateScrollBars() {
  syncingBars_ = true;
  if (scene_) {
    QRectF b = scene_->bounds();
    auto setup = [&](QScrollBar* bar, double lo, double hi, double page, double value) {
      // Scroll range in device pixels; a scene smaller than the view can still be moved a bit.
      double min = std::min(lo * scale_ - kMargin, value * scale_);
      double max = std::max(hi * scale_ + kMargin - page, value * scale_);
      bar->setRange(static_cast<int>(std::floor(min)), static_cast<int>(std::ceil(std::max(min, max))));
      bar->setPageStep(static_cast<int>(page));
      bar->setSingleStep(24);
      bar->setValue(static_cast<int>(std::lround(value * scale_)));
    };
    setup(horizontalScrollBar(), b.left(), b.right(), viewport()->width(), origin_.x());
    setup(verticalScrollBar(), b.top(), b.bottom(), viewport()->height(), origin_.y());
  } else {
    horizontalScrollBar()->setRange(0, 0);
    verticalScrollBar()->setRange(0, 0);
  }
  syncingBars_ = false;
}

void GraphView::scrollContentsBy(int, int) {
  if (syncingBars_) return;
  origin_ = QPointF(horizontalScrollBar()->value() / scale_, verticalScrollBar()->value() / scale_);
  emit viewChanged();
  viewport()->update();
}

void GraphView::resizeEvent(QResizeEvent* event) {
  QAbstractScrollArea::resizeEvent(event);
  updateScrollBars();
  emit viewChanged();
}

void GraphView::changeEvent(QEvent* event) {
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
    palette_ = CanvasPalette::fromPalette(palette());
    viewport()->update();
  }
  QAbstractScrollArea::changeEvent(event);
}

void GraphView::paintEvent(QPaintEvent*) {
  QPainter p(viewport());
  p.fillRect(viewport()->rect(), palette_.background);
  ++frames_;
  if (!scene_) return;
  QRectF visible = visibleSceneRect();
  // The overview has no text: it stands in only where the vector drawing would have none
  // either, and only when it is sharp enough (or the view too dense to draw item by item).
  bool useImage = scale_ < Lod::simple && scale_ <= scene_->overviewScale;
  if (!useImage && scale_ < Lod::simple) {
    // Count cheaply: a dense far-out view would touch too many items for a smooth frame.
    std::vector<int> hits[4];
    scene_->index.query(visible, hits);
    useImage = hits[0].size() + hits[2].size() > kVectorBudget && !scene_->overview.isNull();
  }
  if (useImage && !scene_->overview.isNull()) {
    QRectF b = scene_->bounds();
    QRectF target(mapFromScene(b.topLeft()), mapFromScene(b.bottomRight()));
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    p.drawImage(target, scene_->overview);
    // The selection stays visible even in the image.
    if (state_.selectedNode >= 0 && scene_->layout.nodeBox[state_.selectedNode] >= 0) {
      const auto& r = scene_->layout.nodes[scene_->layout.nodeBox[state_.selectedNode]].rect;
      QRectF d(mapFromScene(QPointF(r.x, r.y)), mapFromScene(QPointF(r.right(), r.bottom())));
      p.setPen(QPen(palette_.selection, 2));
      p.setBrush(Qt::NoBrush);
      p.drawRect(d.adjusted(-3, -3, 3, 3));
    }
    return;
  }
  p.scale(scale_, scale_);
  p.translate(-origin_);
  state_.nodeOutlines = &nodeOutlines_;
  state_.groupOutlines = &groupOutlines_;
  ScenePainter(*scene_, palette_, fonts_).paint(p, visible, scale_, state_);
}

void GraphView::wheelEvent(QWheelEvent* event) {
  // Touchpads scroll by pixels: pan. A mouse wheel (or Ctrl+scroll) zooms at the cursor.
  if (!event->pixelDelta().isNull() && !(event->modifiers() & Qt::ControlModifier)) {
    panBy(-event->pixelDelta().x(), -event->pixelDelta().y());
    event->accept();
    return;
  }
  if (event->modifiers() & Qt::ShiftModifier) {
    panBy(-event->angleDelta().y(), 0);
    event->accept();
    return;
  }
  double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) setScale(scale_ * std::pow(1.2, steps), event->position());
  event->accept();
}

bool GraphView::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::NativeGesture) {
    auto* g = static_cast<QNativeGestureEvent*>(event);
    if (g->gestureType() == Qt::ZoomNativeGesture) {
      setScale(scale_ * (1.0 + g->value()), g->position());
      return true;
    }
  }
  if (event->type() == QEvent::ToolTip && scene_) {
    auto* help = static_cast<QHelpEvent*>(event);
    QPointF sp = mapToScene(help->pos());
    int nb = scene_->nodeAt(sp);
    QString tip;
    if (nb >= 0) {
      int n = scene_->layout.nodes[nb].node;
      const auto& node = scene_->lg().nodes[n];
      if (node.kind == LayoutGraph::NodeKind::Op) {
        const auto& d = scene_->graph->display[n];
        tip = QStringLiteral("<b>%1</b>").arg(d.op.toHtmlEscaped());
        if (!d.name.isEmpty()) tip += QStringLiteral("<br>%1").arg(d.name.toHtmlEscaped());
        for (int v : node.outputs)
          if (v >= 0)
            tip += QStringLiteral("<br>→ %1 <i>%2</i>")
                       .arg(QString::fromStdString(scene_->lg().values[v].name).toHtmlEscaped(),
                            QString::fromStdString(scene_->lg().values[v].type));
        if (overlay_)
          if (auto it = overlay_->notes.find(node.id); it != overlay_->notes.end())
            tip += QStringLiteral("<hr>") + it->second;
      } else {
        int v = node.kind == LayoutGraph::NodeKind::Output ? node.inputs[0] : node.outputs[0];
        tip = QStringLiteral("<b>%1</b><br><i>%2</i>")
                  .arg(QString::fromStdString(node.name).toHtmlEscaped(),
                       QString::fromStdString(v >= 0 ? scene_->lg().values[v].type : std::string()));
      }
    } else if (int gb = scene_->groupAt(sp); gb >= 0) {
      const auto& grp = scene_->grouping().groups[scene_->layout.groups[gb].group];
      tip = QStringLiteral("<b>%1</b><br>%2").arg(QString::fromStdString(grp.path).toHtmlEscaped(),
                                                   tr("%n node(s)", nullptr, grp.nodeCount));
    }
    if (tip.isEmpty())
      QToolTip::hideText();
    else
      QToolTip::showText(help->globalPos(), tip, viewport());
    return true;
  }
  return QAbstractScrollArea::viewportEvent(event);
}

void GraphView::mousePressEvent(QMouseEvent* event) {
  pressPos_ = lastPos_ = event->position().toPoint();
  moved_ = false;
  if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && spaceHeld_)) {
    panning_ = true;
    viewport()->setCursor(Qt::ClosedHandCursor);
    return;
  }
  if (event->button() != Qt::LeftButton || !scene_) return;
  QPointF sp = mapToScene(event->position());
  // Nothing under the cursor: the drag pans.
  if (scene_->nodeAt(sp) < 0 && scene_->groupAt(sp) < 0) {
    panning_ = true;
    viewport()->setCursor(Qt::ClosedHandCursor);
  }
}

void GraphView::mouseMoveEvent(QMouseEvent* event) {
  QPoint pos = event->position().toPoint();
  if ((pos - pressPos_).manhattanLength() > 3) moved_ = true;
  if (panning_) {
    QPoint d = pos - lastPos_;
    panBy(-d.x(), -d.y());
  }
  lastPos_ = pos;
}

void GraphView::mouseReleaseEvent(QMouseEvent* event) {
  bool wasPanning = panning_;
  panning_ = false;
  viewport()->setCursor(spaceHeld_ ? Qt::OpenHandCursor : Qt::ArrowCursor);
  if (event->button() != Qt::LeftButton || !scene_ || moved_) return;
  QPointF sp = mapToScene(event->position());
  if (int nb = scene_->nodeAt(sp); nb >= 0) {
    emit nodeClicked(scene_->layout.nodes[nb].node);
    return;
  }
  if (int st = scene_->stubAt(sp); st >= 0) {
    emit stubActivated(scene_->layout.stubs[st].value);
    return;
  }
  if (int gb = scene_->groupAt(sp); gb >= 0) {
    const auto& box = scene_->layout.groups[gb];
    // On an open group only the title bar counts: the rest of the frame is background.
    if (!box.expanded || sp.y() <= box.rect.y + 20) {
      emit groupClicked(box.group);
      return;
    }
  }
  if (wasPanning || !moved_) emit backgroundClicked();
}

void GraphView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (!scene_ || event->button() != Qt::LeftButton) return;
  QPointF sp = mapToScene(event->position());
  if (int nb = scene_->nodeAt(sp); nb >= 0) {
    if (int value = scene_->badgeAt(nb, sp); value >= 0) {
      emit badgeActivated(value);
      return;
    }
    emit nodeActivated(scene_->layout.nodes[nb].node);
    return;
  }
  if (int gb = scene_->groupAt(sp); gb >= 0) {
    const auto& box = scene_->layout.groups[gb];
    if (!box.expanded || sp.y() <= box.rect.y + 20) emit groupActivated(box.group);
  }
}

void GraphView::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_Space:
      if (!event->isAutoRepeat()) {
        spaceHeld_ = true;
        viewport()->setCursor(Qt::OpenHandCursor);
      }
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      zoomBy(1.25);
      return;
    case Qt::Key_Minus:
      zoomBy(0.8);
      return;
    case Qt::Key_F:
      if (event->modifiers() == Qt::NoModifier) {
        fitToView();
        return;
      }
      break;
    case Qt::Key_1:
    case Qt::Key_0:
      if (event->modifiers() == Qt::NoModifier || event->modifiers() == Qt::ControlModifier) {
        zoomToActualSize();
        return;
      }
      break;
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Backspace:
    case Qt::Key_Escape:
      emit navigateKey(event->key());
      return;
    case Qt::Key_PageUp:
      panBy(0, -viewport()->height() * 0.8);
      return;
    case Qt::Key_PageDown:
      panBy(0, viewport()->height() * 0.8);
      return;
    default:
      break;
  }
  QAbstractScrollArea::keyPressEvent(event);
}

void GraphView::keyReleaseEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
    spaceHeld_ = false;
    viewport()->setCursor(Qt::ArrowCursor);
    return;
  }
  QAbstractScrollArea::keyReleaseEvent(event);
}

}  // namespace graft
