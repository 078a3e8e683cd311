// The overview in a corner of the canvas: the whole graph small, the visible part framed;
// clicking or dragging in it moves the view there.
#pragma once

#include <QWidget>

namespace graft {

class GraphView;

class Minimap : public QWidget {
  Q_OBJECT

 public:
  explicit Minimap(GraphView* view, QWidget* parent);
  // Follows the view: size, position in the corner, shown only when the graph does not fit.
  void sync();
  // View → Minimap: off keeps it hidden whatever the graph's size.
  void setAllowed(bool allowed);
  bool isAllowed() const { return allowed_; }

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;

 private:
  QRectF imageRect() const;  // where the overview is drawn, in widget coordinates
  void moveViewTo(QPointF widgetPos);

  GraphView* view_;
  bool allowed_ = true;
};

}  // namespace graft
