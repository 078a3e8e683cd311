// What the graph canvas draws: a composed layout with the text of its nodes, a spatial index
// so a frame only touches what is visible, and the painter shared by the view, export and minimap.
#pragma once

#include <QImage>
#include <QPainter>
#include <QRectF>

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "canvas/canvas_style.h"
#include "graft/layout.h"

namespace graft {

// A snapshot of one graph plus the text of each of its nodes (by LayoutGraph node index).
struct CanvasGraph {
  const Graph* graph = nullptr;  // the graph shown; never dereferenced off the GUI thread
  std::shared_ptr<const LayoutGraph> layout;
  std::vector<NodeDisplay> display;
  bool showNames = false;
  bool foldConstants = false;
  bool collapseShapes = false;
  std::unordered_map<NodeId, NodeId> standsFor;  // node in a collapsed shape computation -> its box's node
};

// Items of a scene in cells of a uniform grid, so a frame or a click looks at a few cells.
class SceneIndex {
 public:
  enum Kind : std::uint32_t { NodeItem = 0, GroupItem = 1, EdgeItem = 2, StubItem = 3 };
  void build(const LayoutScene& scene, const std::vector<QRectF>& edgeBounds);
  // Items whose bounds meet `rect`, each once, in index order per kind.
  void query(const QRectF& rect, std::vector<int> out[4]) const;

 private:
  void insert(const QRectF& r, std::uint32_t item);
  QRectF bounds_;
  double cell_ = 512;
  int cols_ = 1, rows_ = 1;
  std::vector<std::vector<std::uint32_t>> cells_;
  std::size_t counts_[4] = {0, 0, 0, 0};
  mutable std::vector<std::uint32_t> stamp_[4];
  mutable std::uint32_t epoch_ = 0;
};

struct CanvasScene {
  std::shared_ptr<const CanvasGraph> graph;
  LayoutScene layout;
  SceneIndex index;
  std::vector<QRectF> edgeBounds;
  // The whole scene drawn small without text: the minimap, and the view when zoomed far out.
  QImage overview;
  double overviewScale = 0;  // overview pixels per scene unit

  const LayoutGraph& lg() const { return *layout.graph; }
  const LayoutGrouping& grouping() const { return *layout.grouping; }
  QRectF bounds() const {
    return {layout.bounds.x, layout.bounds.y, layout.bounds.width, layout.bounds.height};
  }
  // Node/group box under a scene point: topmost first (nodes over groups).
  int nodeAt(QPointF p) const;
  int groupAt(QPointF p) const;  // index into layout.groups
  int stubAt(QPointF p) const;
  // The badge of a node box under p, as the value index; -1 if none.
  int badgeAt(int nodeBox, QPointF p) const;
};

// Builds the index and the overview; runs on the layout worker (no widgets involved).
std::shared_ptr<CanvasScene> makeCanvasScene(std::shared_ptr<const CanvasGraph> graph, LayoutScene layout,
                                             const CanvasPalette& palette);

// A ring drawn around a node box by a tool that explains the graph (rewrite matches in
// their rule's colour, blockers in red, "backend will fuse" dashed).
struct NodeOutline {
  QColor color;
  Qt::PenStyle style = Qt::SolidLine;
};

// What such a tool puts over the canvas, by node id so it survives new layouts. Nodes hidden
// in a closed group outline the group instead; `notes` are added to a node's tooltip (HTML).
struct CanvasOverlay {
  std::unordered_map<NodeId, std::vector<NodeOutline>> outlines;
  std::unordered_map<NodeId, QString> notes;
};

// What the painter highlights.
struct PaintState {
  int selectedNode = -1;        // LayoutGraph node index
  int selectedGroup = -1;       // grouping index
  std::unordered_set<int> marked;  // find results (node indices)
  int hoverNode = -1;
  bool edgeLabels = true;  // tensor names/types beside edges (View → Edge Labels)
  // The overlay resolved for the scene shown (by LayoutGraph node / grouping index); owned by the view.
  const std::unordered_map<int, std::vector<NodeOutline>>* nodeOutlines = nullptr;
  const std::unordered_map<int, std::vector<NodeOutline>>* groupOutlines = nullptr;
};

// Levels of detail: below `simple` only filled shapes, below `full` no attributes or labels.
struct Lod {
  static constexpr double full = 0.55;
  static constexpr double simple = 0.22;
};

class ScenePainter {
 public:
  ScenePainter(const CanvasScene& scene, const CanvasPalette& palette, const CanvasFonts& fonts)
      : scene_(scene), palette_(palette), fonts_(fonts) {}
  // Paints the part of the scene inside `exposed` (scene coordinates). The painter must already
  // map scene to device coordinates with scale `scale` (device pixels per unit, for LOD).
  void paint(QPainter& p, const QRectF& exposed, double scale, const PaintState& state) const;
  // Everything, simplified (no text): for the overview image.
  void paintOverview(QPainter& p) const;

 private:
  void paintGroup(QPainter& p, int gb, double scale, const PaintState& state) const;
  void paintNode(QPainter& p, int nb, double scale, const PaintState& state) const;
  void paintEdge(QPainter& p, int e, double scale, const PaintState& state) const;
  void paintStub(QPainter& p, int s, double scale) const;
  void paintOutlines(QPainter& p, const QRectF& r, double radius, const std::vector<NodeOutline>& rings,
                     double scale) const;
  QString valueLabel(const LayoutScene::Edge& e) const;

  const CanvasScene& scene_;
  const CanvasPalette& palette_;
  const CanvasFonts& fonts_;
  mutable std::vector<QRectF> placedLabels_;  // edge labels drawn in this paint
  // The scene rect being painted: long edges draw only their Bezier segments that reach it,
  // since stroking a curve tens of thousands of pixels long costs per pixel of its length.
  mutable QRectF exposed_;
};

}  // namespace graft
