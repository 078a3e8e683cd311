// How the graph canvas looks: colours per op category that follow the light or dark system
// palette, fonts and metrics in scene units, and the text a node box shows (op, key attributes, weight badges).
#pragma once

#include <QColor>
#include <QFont>
#include <QPalette>
#include <QString>
#include <QVector>

#include <array>

#include "graft/ir.h"
#include "graft/layout.h"

namespace graft {

struct CanvasPalette {
  bool dark = false;
  QColor background, text, mutedText, edge, edgeLabel, selection, highlight;
  QColor groupFill, groupBorder, groupTitle, collapsedFill, collapsedBorder;
  QColor inputFill, inputBorder, outputFill, outputBorder, badgeFill, badgeText;
  std::array<QColor, 10> categoryFill;    // by OpCategory
  std::array<QColor, 10> categoryBorder;

  static CanvasPalette fromPalette(const QPalette& palette);
  QColor fill(OpCategory c) const { return categoryFill[static_cast<int>(c)]; }
  QColor border(OpCategory c) const { return categoryBorder[static_cast<int>(c)]; }
  // Expanded groups get slightly darker (lighter in dark mode) the deeper they nest.
  QColor groupFillAt(int depth) const;
};

// Fonts in scene units (1 unit = 1 point = 1 pixel at 100% zoom).
struct CanvasFonts {
  QFont op, attrs, badge, title, label, name;
  CanvasFonts();
};

// An initializer read by a node, shown as a small pill on it instead of a separate box.
struct Badge {
  QString label;  // the input's name in the op schema ("W", "B") or its position
  QString shape;  // "64×3×7×7"
  int value = -1; // LayoutGraph value index
};

// The text one node box shows, computed once when the snapshot is taken.
struct NodeDisplay {
  QString op;     // "Conv", "com.microsoft:Attention"
  QString attrs;  // "3×3 s2 g32"; empty when nothing worth showing
  QString name;   // shown on demand
  QVector<Badge> badges;
  int hiddenBadges = 0;  // more initializers than fit
  OpCategory category = OpCategory::Other;
  bool subgraph = false;  // If/Loop/Scan: can be entered
};

// Builds NodeDisplay for nodes and sizes their boxes with the same text, so the layout leaves
// exactly the room the drawing needs. Lives on the GUI thread (fonts, schemas).
class NodeDisplayBuilder {
 public:
  // foldConstants: inputs made by Constant nodes get badges like weights (SnapshotOptions).
  explicit NodeDisplayBuilder(bool showNames, bool foldConstants = false);
  NodeDisplay build(const Node& node);
  LayoutSize sizeOf(const NodeDisplay& display) const;

  static QString shapeText(const std::vector<std::int64_t>& dims);
  static QString attributeSummary(const Node& node);

 private:
  const std::vector<std::string>& inputNames(const Node& node);
  double width(const QString& text, bool bold) const;

  bool showNames_;
  bool foldConstants_ = false;
  CanvasFonts fonts_;
  std::array<double, 128> advance_{};
  std::array<double, 128> advanceBold_{};
  std::array<double, 128> advanceSmall_{};
  double fallbackAdvance_ = 7;
  std::unordered_map<std::string, std::vector<std::string>> schemaInputs_;
};

// Layout metrics of a node box in scene units.
namespace canvas_metrics {
constexpr double padX = 8;
constexpr double padY = 5;
constexpr double opLine = 14;
constexpr double attrLine = 12;
constexpr double badgeLine = 15;
constexpr double nameLine = 12;
constexpr double minWidth = 64;
constexpr double maxWidth = 260;
}  // namespace canvas_metrics

}  // namespace graft
