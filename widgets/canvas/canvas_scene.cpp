#include "canvas/canvas_scene.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace graft {

namespace {

QRectF toQ(const LayoutRect& r) { return {r.x, r.y, r.width, r.height}; }
QPointF toQ(const LayoutPoint& p) { return {p.x, p.y}; }

// Counted texts with Qt's plural forms ("1 node", "2 nodes"; German and Chinese differ again).
// The context is spelled out at each call so lupdate files them where the lookup finds them.
QString nodesText(int n) { return QCoreApplication::translate("graft::ScenePainter", "%n node(s)", nullptr, n); }

// Pills for a node's initializers, in scene coordinates, as drawn and hit-tested.
struct BadgeRect {
  QRectF rect;
  int badge;  // index into NodeDisplay::badges, -1 for the "+N" pill
};

std::vector<BadgeRect> badgeRects(const QRectF& box, const NodeDisplay& d, const CanvasFonts& fonts) {
  std::vector<BadgeRect> out;
  if (d.badges.isEmpty()) return out;
  QFontMetricsF fm(fonts.badge);
  const double h = 11;
  const double y = box.bottom() - canvas_metrics::padY - h;
  std::vector<double> widths;
  double total = 0;
  for (const auto& b : d.badges) {
    widths.push_back(fm.horizontalAdvance(b.label + QStringLiteral(" ") + b.shape) + 8);
    total += widths.back() + 2;
  }
  if (d.hiddenBadges) total += 22;
  double x = box.center().x() - std::min(total, box.width() - 8) / 2;
  const double right = box.right() - 4;
  for (int i = 0; i < d.badges.size(); ++i) {
    double w = std::min(widths[i], right - x);
    if (w < 14) break;
    out.push_back({QRectF(x, y, w, h), i});
    x += w + 2;
  }
  if (d.hiddenBadges && right - x >= 14) out.push_back({QRectF(x, y, std::min(20.0, right - x), h), -1});
  return out;
}

QPainterPath bezierPath(const std::vector<LayoutPoint>& pts) {
  QPainterPath path(toQ(pts.front()));
  for (size_t i = 1; i + 2 < pts.size(); i += 3) path.cubicTo(toQ(pts[i]), toQ(pts[i + 1]), toQ(pts[i + 2]));
  return path;
}

}  // namespace

// ---------------------------------------------------------------- index

void SceneIndex::insert(const QRectF& r, std::uint32_t item) {
  int c0 = std::clamp(static_cast<int>((r.left() - bounds_.left()) / cell_), 0, cols_ - 1);
  int c1 = std::clamp(static_cast<int>((r.right() - bounds_.left()) / cell_), 0, cols_ - 1);
  int r0 = std::clamp(static_cast<int>((r.top() - bounds_.top()) / cell_), 0, rows_ - 1);
  int r1 = std::clamp(static_cast<int>((r.bottom() - bounds_.top()) / cell_), 0, rows_ - 1);
  for (int row = r0; row <= r1; ++row)
    for (int col = c0; col <= c1; ++col) cells_[static_cast<size_t>(row) * cols_ + col].push_back(item);
}

void SceneIndex::build(const LayoutScene& scene, const std::vector<QRectF>& edgeBounds) {
  bounds_ = toQ(scene.bounds).adjusted(-64, -64, 64, 64);
  // Aim at about 32k cells: fine enough that a zoomed-in frame reads a handful of them.
  double area = std::max(1.0, bounds_.width() * bounds_.height());
  cell_ = std::max(256.0, std::sqrt(area / 32768.0));
  cols_ = std::max(1, static_cast<int>(std::ceil(bounds_.width() / cell_)));
  rows_ = std::max(1, static_cast<int>(std::ceil(bounds_.height() / cell_)));
  cells_.assign(static_cast<size_t>(cols_) * rows_, {});
  // Expanded groups are only hit or drawn through their frame, but their title and border
  // must be found too: index the whole rect (few groups, so few cells each on average).
  for (size_t i = 0; i < scene.groups.size(); ++i) insert(toQ(scene.groups[i].rect), (GroupItem << 28) | i);
  for (size_t i = 0; i < scene.nodes.size(); ++i) insert(toQ(scene.nodes[i].rect), (NodeItem << 28) | i);
  for (size_t i = 0; i < scene.edges.size(); ++i) insert(edgeBounds[i], (EdgeItem << 28) | i);
  for (size_t i = 0; i < scene.stubs.size(); ++i) {
    const auto& s = scene.stubs[i];
    insert(QRectF(s.at.x - 80, s.at.y - 24, 160, 48), (StubItem << 28) | i);
  }
  counts_[0] = scene.nodes.size();
  counts_[1] = scene.groups.size();
  counts_[2] = scene.edges.size();
  counts_[3] = scene.stubs.size();
  for (int k = 0; k < 4; ++k) stamp_[k].assign(counts_[k], 0);
  epoch_ = 0;
}

void SceneIndex::query(const QRectF& rect, std::vector<int> out[4]) const {
  for (int k = 0; k < 4; ++k) out[k].clear();
  if (cells_.empty()) return;
  if (++epoch_ == 0) {
    for (int k = 0; k < 4; ++k) std::fill(stamp_[k].begin(), stamp_[k].end(), 0);
    epoch_ = 1;
  }
  int c0 = std::clamp(static_cast<int>((rect.left() - bounds_.left()) / cell_), 0, cols_ - 1);
  int c1 = std::clamp(static_cast<int>((rect.right() - bounds_.left()) / cell_), 0, cols_ - 1);
  int r0 = std::clamp(static_cast<int>((rect.top() - bounds_.top()) / cell_), 0, rows_ - 1);
  int r1 = std::clamp(static_cast<int>((rect.bottom() - bounds_.top()) / cell_), 0, rows_ - 1);
  for (int row = r0; row <= r1; ++row)
    for (int col = c0; col <= c1; ++col)
      for (std::uint32_t item : cells_[static_cast<size_t>(row) * cols_ + col]) {
        std::uint32_t kind = item >> 28, idx = item & 0x0FFFFFFF;
        if (stamp_[kind][idx] == epoch_) continue;
        stamp_[kind][idx] = epoch_;
        out[kind].push_back(static_cast<int>(idx));
      }
  for (int k = 0; k < 4; ++k) std::sort(out[k].begin(), out[k].end());
}

// ---------------------------------------------------------------- scene

int CanvasScene::nodeAt(QPointF p) const {
  std::vector<int> hits[4];
  index.query(QRectF(p, QSizeF(0.01, 0.01)), hits);
  for (auto it = hits[SceneIndex::NodeItem].rbegin(); it != hits[SceneIndex::NodeItem].rend(); ++it)
    if (toQ(layout.nodes[*it].rect).contains(p)) return *it;
  return -1;
}

int CanvasScene::groupAt(QPointF p) const {
  std::vector<int> hits[4];
  index.query(QRectF(p, QSizeF(0.01, 0.01)), hits);
  // Groups are stored parents first: the last hit is the innermost.
  for (auto it = hits[SceneIndex::GroupItem].rbegin(); it != hits[SceneIndex::GroupItem].rend(); ++it)
    if (toQ(layout.groups[*it].rect).contains(p)) return *it;
  return -1;
}

int CanvasScene::stubAt(QPointF p) const {
  std::vector<int> hits[4];
  index.query(QRectF(p, QSizeF(0.01, 0.01)), hits);
  for (int s : hits[SceneIndex::StubItem]) {
    const auto& st = layout.stubs[s];
    QRectF r = st.source ? QRectF(st.at.x - 40, st.at.y, 80, 22) : QRectF(st.at.x - 60, st.at.y - 22, 120, 22);
    if (r.contains(p)) return s;
  }
  return -1;
}

int CanvasScene::badgeAt(int nodeBox, QPointF p) const {
  if (nodeBox < 0) return -1;
  int node = layout.nodes[nodeBox].node;
  const NodeDisplay& d = graph->display[node];
  static const CanvasFonts fonts;
  for (const auto& b : badgeRects(toQ(layout.nodes[nodeBox].rect), d, fonts))
    if (b.badge >= 0 && b.rect.contains(p)) return d.badges[b.badge].value;
  return -1;
}

std::shared_ptr<CanvasScene> makeCanvasScene(std::shared_ptr<const CanvasGraph> graph, LayoutScene layout,
                                             const CanvasPalette& palette) {
  auto scene = std::make_shared<CanvasScene>();
  scene->graph = std::move(graph);
  scene->layout = std::move(layout);
  scene->edgeBounds.reserve(scene->layout.edges.size());
  for (const auto& e : scene->layout.edges) {
    double x0 = e.points[0].x, x1 = x0, y0 = e.points[0].y, y1 = y0;
    for (const auto& p : e.points) {
      x0 = std::min(x0, p.x);
      x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y);
      y1 = std::max(y1, p.y);
    }
    // Room for the label beside the middle of the edge.
    scene->edgeBounds.push_back(QRectF(x0 - 4, y0 - 4, x1 - x0 + 140, y1 - y0 + 8));
  }
  scene->index.build(scene->layout, scene->edgeBounds);

  // Overview: at most 2048 pixels on the long side, at least 1.
  QRectF b = scene->bounds();
  double longSide = std::max({b.width(), b.height(), 1.0});
  scene->overviewScale = std::min(1.0, 2048.0 / longSide);
  QSize size(std::max(1, static_cast<int>(std::ceil(b.width() * scene->overviewScale))),
             std::max(1, static_cast<int>(std::ceil(b.height() * scene->overviewScale))));
  scene->overview = QImage(size, QImage::Format_ARGB32_Premultiplied);
  scene->overview.fill(palette.background);
  {
    QPainter p(&scene->overview);
    p.scale(scene->overviewScale, scene->overviewScale);
    p.translate(-b.topLeft());
    CanvasFonts fonts;
    ScenePainter(*scene, palette, fonts).paintOverview(p);
  }
  return scene;
}

// ---------------------------------------------------------------- painting

QString ScenePainter::valueLabel(const LayoutScene::Edge& e) const {
  const auto& values = scene_.lg().values;
  if (e.values.size() == 1) {
    const auto& v = values[e.values[0]];
    return v.type.empty() ? QStringLiteral("?") : QString::fromStdString(v.type);
  }
  // A plain int argument: lupdate does not see a translate() whose count is a cast.
  const int count = static_cast<int>(e.values.size());
  return QCoreApplication::translate("graft::ScenePainter", "%n tensor(s)", nullptr, count);
}

void ScenePainter::paintOverview(QPainter& p) const {
  const auto& L = scene_.layout;
  p.setRenderHint(QPainter::Antialiasing, false);
  QPen edgePen(palette_.edge, 0);
  edgePen.setCosmetic(true);
  p.setPen(edgePen);
  for (const auto& e : L.edges) {
    QPointF prev = toQ(e.points.front());
    for (size_t i = 3; i < e.points.size(); i += 3) {
      QPointF next = toQ(e.points[i]);
      p.drawLine(prev, next);
      prev = next;
    }
  }
  for (const auto& g : L.groups) {
    if (g.expanded) {
      p.setPen(QPen(palette_.groupBorder, 0));
      p.setBrush(palette_.groupFillAt(scene_.grouping().groups[g.group].depth));
    } else {
      p.setPen(Qt::NoPen);
      p.setBrush(palette_.collapsedBorder);
    }
    p.drawRect(toQ(g.rect));
  }
  p.setPen(Qt::NoPen);
  const auto& nodes = scene_.lg().nodes;
  for (const auto& nb : L.nodes) {
    const auto& n = nodes[nb.node];
    QColor c = n.kind == LayoutGraph::NodeKind::Op ? palette_.border(scene_.graph->display[nb.node].category)
               : n.kind == LayoutGraph::NodeKind::Output ? palette_.outputBorder
                                                          : palette_.inputBorder;
    p.fillRect(toQ(nb.rect), c);
  }
}

void ScenePainter::paint(QPainter& p, const QRectF& exposed, double scale, const PaintState& state) const {
  std::vector<int> hits[4];
  scene_.index.query(exposed, hits);
  exposed_ = exposed;
  const bool simple = scale < Lod::simple;
  p.setRenderHint(QPainter::Antialiasing, !simple);
  p.setRenderHint(QPainter::TextAntialiasing, true);
  // Groups first (outer frames under inner ones), then edges, then nodes on top.
  for (int g : hits[SceneIndex::GroupItem]) paintGroup(p, g, scale, state);
  for (int e : hits[SceneIndex::EdgeItem]) paintEdge(p, e, scale, state);
  if (!simple)
    for (int s : hits[SceneIndex::StubItem]) paintStub(p, s, scale);
  for (int n : hits[SceneIndex::NodeItem]) paintNode(p, n, scale, state);
  // Overlay rings go on top of everything, so neighbours never hide them.
  if (state.groupOutlines)
    for (int g : hits[SceneIndex::GroupItem]) {
      const auto& box = scene_.layout.groups[g];
      if (box.expanded) continue;
      if (auto it = state.groupOutlines->find(box.group); it != state.groupOutlines->end())
        paintOutlines(p, toQ(box.rect), 6, it->second, scale);
    }
  if (state.nodeOutlines)
    for (int n : hits[SceneIndex::NodeItem]) {
      const auto& box = scene_.layout.nodes[n];
      if (auto it = state.nodeOutlines->find(box.node); it != state.nodeOutlines->end())
        paintOutlines(p, toQ(box.rect), 4, it->second, scale);
    }
}

void ScenePainter::paintOutlines(QPainter& p, const QRectF& r, double radius, const std::vector<NodeOutline>& rings,
                                 double scale) const {
  // Rings stay at least ~2 device pixels wide when zoomed out, and nest outwards.
  const double width = std::max(3.0, 2.0 / std::max(scale, 1e-3));
  p.setBrush(Qt::NoBrush);
  for (size_t i = 0; i < rings.size(); ++i) {
    const double grow = 2.5 + width / 2 + static_cast<double>(i) * (width + 1.5);
    QPen pen(rings[i].color, width, rings[i].style);
    pen.setJoinStyle(Qt::RoundJoin);
    p.setPen(pen);
    p.drawRoundedRect(r.adjusted(-grow, -grow, grow, grow), radius + grow, radius + grow);
  }
}

void ScenePainter::paintGroup(QPainter& p, int gb, double scale, const PaintState& state) const {
  const auto& box = scene_.layout.groups[gb];
  const auto& grp = scene_.grouping().groups[box.group];
  QRectF r = toQ(box.rect);
  const bool simple = scale < Lod::simple;
  const bool selected = state.selectedGroup == box.group;
  if (box.expanded) {
    p.setBrush(palette_.groupFillAt(grp.depth));
    QPen pen(selected ? palette_.selection : palette_.groupBorder, selected ? 2.0 : 1.0);
    if (simple) pen.setCosmetic(true), pen.setWidthF(selected ? 2 : 1);
    p.setPen(pen);
    if (simple)
      p.drawRect(r);
    else
      p.drawRoundedRect(r, 6, 6);
    if (scale * 10 >= 5) {  // the title is readable
      p.setFont(fonts_.title);
      p.setPen(palette_.groupTitle);
      QString title = QStringLiteral("\u25BE ") + QString::fromStdString(grp.name) + QStringLiteral("  ") +
                      nodesText(grp.nodeCount);
      QRectF t(r.left() + 8, r.top() + 3, r.width() - 16, 16);
      p.drawText(t, Qt::AlignLeft | Qt::AlignVCenter, QFontMetricsF(fonts_.title).elidedText(title, Qt::ElideRight, t.width()));
    }
    return;
  }
  // Collapsed: a card standing for a stack of nodes.
  QPen pen(selected ? palette_.selection : palette_.collapsedBorder, selected ? 2.5 : 1.2);
  if (simple) {
    p.fillRect(r, selected ? palette_.selection : palette_.collapsedBorder);
    return;
  }
  p.setPen(QPen(palette_.collapsedBorder, 1.0));
  p.setBrush(palette_.collapsedFill);
  p.drawRoundedRect(r.translated(3, 3), 6, 6);
  p.setPen(pen);
  p.drawRoundedRect(r, 6, 6);
  if (scale < Lod::simple * 1.5) return;
  p.setPen(palette_.text);
  p.setFont(fonts_.op);
  QRectF nameRect(r.left() + 8, r.top() + 5, r.width() - 16, 16);
  p.drawText(nameRect, Qt::AlignCenter,
             QFontMetricsF(fonts_.op).elidedText(QString::fromStdString(grp.name), Qt::ElideMiddle, nameRect.width()));
  p.setFont(fonts_.attrs);
  p.setPen(palette_.mutedText);
  p.drawText(QRectF(r.left() + 8, r.top() + 22, r.width() - 16, 14), Qt::AlignCenter,
             QStringLiteral("\u229E ") + nodesText(grp.nodeCount));
}

void ScenePainter::paintNode(QPainter& p, int nb, double scale, const PaintState& state) const {
  using namespace canvas_metrics;
  const auto& box = scene_.layout.nodes[nb];
  const auto& node = scene_.lg().nodes[box.node];
  QRectF r = toQ(box.rect);
  const bool selected = state.selectedNode == box.node;
  const bool marked = state.marked.count(box.node) > 0;
  const bool simple = scale < Lod::simple;
  const bool op = node.kind == LayoutGraph::NodeKind::Op;
  const NodeDisplay* d = op ? &scene_.graph->display[box.node] : nullptr;

  QColor fill, border;
  if (op) {
    fill = palette_.fill(d->category);
    border = palette_.border(d->category);
  } else if (node.kind == LayoutGraph::NodeKind::Output) {
    fill = palette_.outputFill;
    border = palette_.outputBorder;
  } else {
    fill = palette_.inputFill;
    border = palette_.inputBorder;
  }
  if (simple) {
    p.fillRect(r, selected ? palette_.selection : marked ? palette_.highlight : border);
    return;
  }
  double radius = op ? 4 : r.height() / 2;
  if (marked) {
    p.setPen(QPen(palette_.highlight, 4));
    p.setBrush(Qt::NoBrush);
    p.drawRoundedRect(r.adjusted(-3, -3, 3, 3), radius + 2, radius + 2);
  }
  QPen pen(selected ? palette_.selection : border, selected ? 2.5 : 1.0);
  if (op && d->category == OpCategory::Custom) pen.setStyle(Qt::DashLine);
  if (node.kind == LayoutGraph::NodeKind::Outer) pen.setStyle(Qt::DotLine);
  p.setPen(pen);
  p.setBrush(fill);
  p.drawRoundedRect(r, radius, radius);

  if (scale < Lod::simple * 1.5) return;
  p.setPen(palette_.text);
  if (!op) {
    p.setFont(fonts_.attrs);
    p.drawText(r.adjusted(6, 0, -6, 0), Qt::AlignCenter,
               QFontMetricsF(fonts_.attrs).elidedText(QString::fromStdString(node.name), Qt::ElideMiddle, r.width() - 12));
    return;
  }
  double y = r.top() + padY;
  p.setFont(fonts_.op);
  QRectF opRect(r.left() + padX, y, r.width() - 2 * padX - (d->subgraph ? 12 : 0), opLine);
  p.drawText(opRect, Qt::AlignCenter, QFontMetricsF(fonts_.op).elidedText(d->op, Qt::ElideRight, opRect.width()));
  if (d->subgraph) {
    // Two stacked boxes: "has a body inside". Drawn, not a glyph: U+2398 is in no font a
    // desktop can be assumed to have, and showed as a missing-glyph box.
    const QRectF mark(r.right() - padX - 11, y + opLine / 2 - 5, 11, 10);
    p.save();
    p.setPen(QPen(p.pen().color(), 1.0));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(mark.left() + 3, mark.top(), 8, 7));
    p.setBrush(palette_.background);
    p.drawRect(QRectF(mark.left(), mark.top() + 3, 8, 7));
    p.restore();
  }
  y += opLine;
  if (scale < Lod::full) return;
  if (scene_.graph->showNames && !d->name.isEmpty()) {
    p.setFont(fonts_.name);
    p.setPen(palette_.mutedText);
    QRectF nr(r.left() + padX, y, r.width() - 2 * padX, nameLine);
    p.drawText(nr, Qt::AlignCenter, QFontMetricsF(fonts_.name).elidedText(d->name, Qt::ElideLeft, nr.width()));
    y += nameLine;
  }
  if (!d->attrs.isEmpty()) {
    p.setFont(fonts_.attrs);
    p.setPen(palette_.mutedText);
    QRectF ar(r.left() + padX, y, r.width() - 2 * padX, attrLine);
    p.drawText(ar, Qt::AlignCenter, QFontMetricsF(fonts_.attrs).elidedText(d->attrs, Qt::ElideRight, ar.width()));
    y += attrLine;
  }
  if (!d->badges.isEmpty()) {
    p.setFont(fonts_.badge);
    for (const auto& b : badgeRects(r, *d, fonts_)) {
      p.setPen(QPen(border, 0.8));
      p.setBrush(palette_.badgeFill);
      p.drawRoundedRect(b.rect, 3, 3);
      p.setPen(palette_.badgeText);
      QString text = b.badge >= 0 ? d->badges[b.badge].label + QStringLiteral(" ") + d->badges[b.badge].shape
                                  : QStringLiteral("+%1").arg(d->hiddenBadges);
      p.drawText(b.rect.adjusted(3, 0, -3, 0), Qt::AlignCenter,
                 QFontMetricsF(fonts_.badge).elidedText(text, Qt::ElideRight, b.rect.width() - 6));
    }
  }
}

void ScenePainter::paintEdge(QPainter& p, int ei, double scale, const PaintState& state) const {
  const auto& e = scene_.layout.edges[ei];
  const auto& values = scene_.lg().values;
  const bool simple = scale < Lod::simple;
  const bool touched = state.selectedNode >= 0 && (e.from == state.selectedNode || e.to == state.selectedNode);
  QColor color = touched ? palette_.selection : palette_.edge;
  if (simple) {
    QPen pen(color, touched ? 2 : 0);
    pen.setCosmetic(true);
    p.setPen(pen);
    QPointF prev = toQ(e.points.front());
    for (size_t i = 3; i < e.points.size(); i += 3) {
      QPointF next = toQ(e.points[i]);
      p.drawLine(prev, next);
      prev = next;
    }
    return;
  }
  bool unknown = e.values.size() == 1 && !values[e.values[0]].shapeKnown;
  QPen pen(color, (touched ? 2.0 : 1.1) * (e.values.size() > 1 ? 1.4 : 1.0));
  if (unknown) pen.setStyle(Qt::DashLine);
  p.setPen(pen);
  p.setBrush(Qt::NoBrush);
  if (unknown || exposed_.isNull()) {
    // Dashes must keep their phase along the whole curve: draw it all.
    p.drawPath(bezierPath(e.points));
  } else {
    // Only the segments whose control hull reaches the exposed rect (grown by the pen and
    // antialiasing): the rest cannot touch a visible pixel, and with a solid pen a gap at a
    // point outside the rect leaves no cap or join inside it.
    const double pad = pen.widthF() + 2;
    const QRectF area = exposed_.adjusted(-pad, -pad, pad, pad);
    QPainterPath path;
    QPointF last(qQNaN(), qQNaN());
    // A hull much larger than the rect is split in halves (exact sub-curves), so one cubic
    // spanning the whole graph still draws only its visible stretch.
    const double big = 4 * std::max(area.width(), area.height());
    auto add = [&](auto&& self, QPointF a, QPointF b, QPointF c, QPointF d, int depth) -> void {
      double x0 = std::min({a.x(), b.x(), c.x(), d.x()}), x1 = std::max({a.x(), b.x(), c.x(), d.x()});
      double y0 = std::min({a.y(), b.y(), c.y(), d.y()}), y1 = std::max({a.y(), b.y(), c.y(), d.y()});
      if (x1 < area.left() || x0 > area.right() || y1 < area.top() || y0 > area.bottom()) return;
      if (depth < 24 && std::max(x1 - x0, y1 - y0) > big) {
        QPointF ab = (a + b) / 2, bc = (b + c) / 2, cd = (c + d) / 2;
        QPointF abc = (ab + bc) / 2, bcd = (bc + cd) / 2, m = (abc + bcd) / 2;
        self(self, a, ab, abc, m, depth + 1);
        self(self, m, bcd, cd, d, depth + 1);
        return;
      }
      if (a != last) path.moveTo(a);
      path.cubicTo(b, c, d);
      last = d;
    };
    for (size_t i = 0; i + 3 < e.points.size(); i += 3) {
      const LayoutPoint* q = &e.points[i];
      add(add, toQ(q[0]), toQ(q[1]), toQ(q[2]), toQ(q[3]), 0);
    }
    if (!path.isEmpty()) p.drawPath(path);
  }
  if (e.arrow && e.points.size() >= 4) {
    QPointF tip = toQ(e.points.back());
    QPointF from = toQ(e.points[e.points.size() - 2]);
    QPointF d = tip - from;
    double len = std::hypot(d.x(), d.y());
    if (len < 1e-6) {
      from = toQ(e.points[e.points.size() - 4]);
      d = tip - from;
      len = std::hypot(d.x(), d.y());
    }
    if (len > 1e-6) {
      d /= len;
      QPointF n(-d.y(), d.x());
      QPolygonF head({tip, tip - d * 7 + n * 3.2, tip - d * 7 - n * 3.2});
      p.setPen(Qt::NoPen);
      p.setBrush(color);
      p.drawPolygon(head);
    }
  }
  // Labels: only where they are readable, and not on the short connectors inside groups.
  if (state.edgeLabels && scale >= Lod::full && e.arrow && e.points.size() >= 4) {
    size_t seg = (e.points.size() - 1) / 3 / 2;  // middle Bezier segment
    const LayoutPoint* q = &e.points[seg * 3];
    auto at = [&](double t) {
      double u = 1 - t;
      return QPointF(u * u * u * q[0].x + 3 * u * u * t * q[1].x + 3 * u * t * t * q[2].x + t * t * t * q[3].x,
                     u * u * u * q[0].y + 3 * u * u * t * q[1].y + 3 * u * t * t * q[2].y + t * t * t * q[3].y);
    };
    QPointF mid = at(0.5);
    QString label = valueLabel(e);
    p.setFont(fonts_.label);
    QFontMetricsF fm(fonts_.label);
    QRectF tr(mid.x() + 4, mid.y() - fm.height() / 2, fm.horizontalAdvance(label) + 2, fm.height());
    // Parallel edges would stack their labels into a smear: try the other side, else skip.
    auto collides = [&](const QRectF& r) {
      return std::any_of(placedLabels_.begin(), placedLabels_.end(), [&](const QRectF& o) { return o.intersects(r); });
    };
    if (collides(tr)) tr.moveRight(mid.x() - 4);
    if (collides(tr)) return;
    placedLabels_.push_back(tr);
    QColor halo = palette_.background;
    halo.setAlpha(200);
    p.fillRect(tr, halo);
    p.setPen(touched ? palette_.selection : palette_.edgeLabel);
    p.drawText(tr, Qt::AlignLeft | Qt::AlignVCenter, label);
  }
}

void ScenePainter::paintStub(QPainter& p, int si, double scale) const {
  const auto& s = scene_.layout.stubs[si];
  QPointF at = toQ(s.at);
  QPen pen(palette_.edge, 1.0, Qt::DotLine);
  p.setPen(pen);
  p.setBrush(palette_.edge);
  if (s.source) {
    p.drawLine(at, at + QPointF(0, 10));
    p.drawEllipse(at + QPointF(0, 10), 2, 2);
  } else {
    p.drawLine(at - QPointF(0, 12), at);
    p.drawEllipse(at - QPointF(0, 12), 2, 2);
  }
  if (scale < Lod::full) return;
  p.setFont(fonts_.label);
  p.setPen(palette_.edgeLabel);
  QString name = QString::fromStdString(scene_.lg().values[s.value].name);
  QFontMetricsF fm(fonts_.label);
  if (s.source) {
    QString text = fm.elidedText(name, Qt::ElideMiddle, 110) + QStringLiteral(" \u2192 ") +
                   QCoreApplication::translate("graft::ScenePainter", "%n use(s)", nullptr, s.uses);
    p.drawText(QRectF(at.x() + 4, at.y() + 6, 200, 12), Qt::AlignLeft | Qt::AlignVCenter, text);
  } else {
    p.drawText(QRectF(at.x() + 4, at.y() - 20, 140, 12), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(name, Qt::ElideMiddle, 120));
  }
}

}  // namespace graft
