// The scrollable, zoomable drawing of a CanvasScene: pan (drag, scroll bars, space+drag),
// zoom (wheel, pinch, fit, 100%), clicks and keys turned into signals for the canvas to act on.
#pragma once

#include <QAbstractScrollArea>
#include <QPointF>

#include <memory>

#include "canvas/canvas_scene.h"

namespace graft {

class GraphView : public QAbstractScrollArea {
  Q_OBJECT

 public:
  explicit GraphView(QWidget* parent = nullptr);

  // Shows a new scene. keepView: stay where we are (an expand), else the first view (a new graph).
  void setScene(std::shared_ptr<const CanvasScene> scene, bool keepView);
  const std::shared_ptr<const CanvasScene>& scene() const { return scene_; }

  PaintState& paintState() { return state_; }
  // Rings and tooltip notes from a tool (rewrite matches); kept across new scenes.
  void setOverlay(std::shared_ptr<const CanvasOverlay> overlay);
  const std::shared_ptr<const CanvasOverlay>& overlay() const { return overlay_; }
  void refresh() { viewport()->update(); }

  double scale() const { return scale_; }
  void setScale(double scale, QPointF anchorViewport = QPointF(-1, -1));
  void fitToView();
  // The first view of a graph: all of it when that is readable, else readable text at the
  // graph's inputs (top), as wide as fits, between kReadableScale and 100%.
  void showStart();
  static constexpr double kReadableScale = 0.85;
  // Fit stops here: below it a large graph is a line of specks.
  static constexpr double kMinFitScale = 0.1;
  void zoomToActualSize();  // 100%
  void zoomBy(double factor);
  void centerOn(QPointF scenePoint);
  // Scrolls (no zoom change) so that `rect` is in view, with a margin.
  void ensureVisible(const QRectF& sceneRect);
  // Pans by device pixels (used by keys and the bench).
  void panBy(double dx, double dy);

  QRectF visibleSceneRect() const;
  QPointF mapToScene(QPointF viewportPos) const;
  QPointF mapFromScene(QPointF scenePos) const;
  const CanvasPalette& canvasPalette() const { return palette_; }
  const CanvasFonts& canvasFonts() const { return fonts_; }

  // Frames painted since the view was made; the bench divides by time.
  std::uint64_t framesPainted() const { return frames_; }

 signals:
  void nodeClicked(int node);        // LayoutGraph node index
  void nodeActivated(int node);      // double-click / Enter: enter a subgraph
  void groupClicked(int group);      // grouping index
  void groupActivated(int group);    // double-click: expand or collapse
  void badgeActivated(int value);    // an initializer badge: open the tensor viewer
  void stubActivated(int value);     // a tensor stub: go to its producer
  void backgroundClicked();
  void navigateKey(int key);         // arrows and Enter/Backspace, for the canvas
  void viewChanged();                // pan or zoom (the minimap follows)

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void scrollContentsBy(int dx, int dy) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  bool viewportEvent(QEvent* event) override;
  void changeEvent(QEvent* event) override;

 private:
  void updateScrollBars();
  void resolveOverlay();
  double fitScale() const;
  double minScale() const;

  std::shared_ptr<const CanvasScene> scene_;
  PaintState state_;
  std::shared_ptr<const CanvasOverlay> overlay_;
  std::unordered_map<int, std::vector<NodeOutline>> nodeOutlines_, groupOutlines_;
  CanvasPalette palette_;
  CanvasFonts fonts_;
  double scale_ = 1.0;
  QPointF origin_;  // scene point at the viewport's top-left corner
  bool syncingBars_ = false;
  bool panning_ = false;
  bool spaceHeld_ = false;
  bool moved_ = false;
  QPoint pressPos_;
  QPoint lastPos_;
  std::uint64_t frames_ = 0;
};

}  // namespace graft
