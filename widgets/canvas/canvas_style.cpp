#include "canvas/canvas_style.h"

#include <QCoreApplication>
#include <QFontMetricsF>

#include <algorithm>
#include <cmath>

#include "graft/analysis.h"

namespace graft {

namespace {

QColor hsv(int h, double s, double v, int alpha = 255) {
  return QColor::fromHsvF(h / 360.0, std::clamp(s, 0.0, 1.0), std::clamp(v, 0.0, 1.0), alpha / 255.0);
}

// Hue per OpCategory, in enum order; Constant and Other are grey (saturation 0).
constexpr std::array<int, 10> kHue = {212, 272, 352, 150, 38, 188, 320, 0, 24, 0};

QString attrInts(const onnx::AttributeProto& a, const QString& sep) {
  QStringList parts;
  for (auto v : a.ints()) parts << QString::number(v);
  return parts.join(sep);
}

bool allEqual(const onnx::AttributeProto& a, std::int64_t value) {
  return std::all_of(a.ints().begin(), a.ints().end(), [&](std::int64_t v) { return v == value; });
}

QString compactNumber(double v) { return QString::number(v, 'g', 4); }

}  // namespace

CanvasPalette CanvasPalette::fromPalette(const QPalette& palette) {
  CanvasPalette p;
  p.background = palette.color(QPalette::Base);
  p.dark = p.background.lightnessF() < 0.5;
  p.text = palette.color(QPalette::Text);
  p.mutedText = palette.color(QPalette::PlaceholderText);
  p.selection = palette.color(QPalette::Highlight);
  p.highlight = p.dark ? QColor(255, 200, 60) : QColor(230, 140, 0);
  if (p.dark) {
    p.edge = QColor(150, 158, 170);
    p.edgeLabel = QColor(170, 178, 190);
    p.groupBorder = QColor(90, 98, 112);
    p.groupTitle = QColor(200, 206, 216);
    p.collapsedFill = QColor(58, 64, 76);
    p.collapsedBorder = QColor(120, 130, 148);
    p.inputFill = hsv(140, 0.45, 0.30);
    p.inputBorder = hsv(140, 0.55, 0.70);
    p.outputFill = hsv(20, 0.50, 0.32);
    p.outputBorder = hsv(20, 0.60, 0.80);
    p.badgeFill = QColor(30, 33, 40);
    p.badgeText = QColor(205, 210, 220);
    p.groupFill = p.background.lighter(112);
  } else {
    p.edge = QColor(110, 116, 126);
    p.edgeLabel = QColor(95, 100, 110);
    p.groupBorder = QColor(190, 196, 206);
    p.groupTitle = QColor(70, 76, 88);
    p.collapsedFill = QColor(236, 239, 244);
    p.collapsedBorder = QColor(140, 148, 162);
    p.inputFill = hsv(140, 0.16, 0.97);
    p.inputBorder = hsv(140, 0.60, 0.55);
    p.outputFill = hsv(20, 0.16, 0.99);
    p.outputBorder = hsv(20, 0.70, 0.80);
    p.badgeFill = QColor(255, 255, 255, 215);
    p.badgeText = QColor(60, 64, 72);
    p.groupFill = p.background.darker(103);
  }
  for (int i = 0; i < 10; ++i) {
    bool grey = i == static_cast<int>(OpCategory::Constant) || i == static_cast<int>(OpCategory::Other);
    double s = grey ? 0.0 : 1.0;
    if (p.dark) {
      p.categoryFill[i] = hsv(kHue[i], 0.42 * s, grey ? 0.30 : 0.36);
      p.categoryBorder[i] = hsv(kHue[i], 0.55 * s, grey ? 0.55 : 0.72);
    } else {
      p.categoryFill[i] = hsv(kHue[i], 0.20 * s, grey ? 0.93 : 0.98);
      p.categoryBorder[i] = hsv(kHue[i], 0.60 * s, grey ? 0.62 : 0.72);
    }
  }
  return p;
}

QColor CanvasPalette::groupFillAt(int depth) const {
  int step = std::min(depth, 6) * 4;
  return dark ? groupFill.lighter(100 + step) : groupFill.darker(100 + step / 2);
}

CanvasFonts::CanvasFonts() {
  // Pixel sizes: the canvas scales its painter, so 1 scene unit is 1 pixel at 100%.
  op.setPixelSize(11);
  op.setBold(true);
  attrs.setPixelSize(9);
  badge.setPixelSize(8);
  title.setPixelSize(10);
  title.setBold(true);
  label.setPixelSize(8);
  name.setPixelSize(8);
  name.setItalic(true);
}

NodeDisplayBuilder::NodeDisplayBuilder(bool showNames, bool foldConstants)
    : showNames_(showNames), foldConstants_(foldConstants) {
  // Per-character advances: measuring 60,000 strings with QFontMetrics each time is too slow
  // for the snapshot, and boxes need only to be about right (they have padding).
  QFontMetricsF op(fonts_.op), attrs(fonts_.attrs), badge(fonts_.badge);
  for (int c = 32; c < 127; ++c) {
    advanceBold_[c] = op.horizontalAdvance(QChar(c));
    advance_[c] = attrs.horizontalAdvance(QChar(c));
    advanceSmall_[c] = badge.horizontalAdvance(QChar(c));
  }
  fallbackAdvance_ = attrs.horizontalAdvance(QChar(0x00D7));
}

double NodeDisplayBuilder::width(const QString& text, bool bold) const {
  const auto& table = bold ? advanceBold_ : advance_;
  double w = 0;
  for (QChar ch : text) {
    ushort c = ch.unicode();
    w += c < 128 && c >= 32 ? table[c] : fallbackAdvance_;
  }
  return w;
}

QString NodeDisplayBuilder::shapeText(const std::vector<std::int64_t>& dims) {
  if (dims.empty()) return QCoreApplication::translate("graft::GraphCanvas", "scalar");
  QStringList parts;
  for (auto d : dims) parts << QString::number(d);
  return parts.join(QChar(0x00D7));
}

// The few attributes that tell nodes of one op apart at a glance; defaults are left out.
QString NodeDisplayBuilder::attributeSummary(const Node& node) {
  QStringList out;
  const std::string& op = node.opType();
  for (const auto& a : node.proto().attribute()) {
    const std::string& n = a.name();
    if (n == "kernel_shape") {
      out << attrInts(a, QString(QChar(0x00D7)));
    } else if (n == "strides") {
      if (!allEqual(a, 1)) out << QStringLiteral("s") + (allEqual(a, a.ints(0)) ? QString::number(a.ints(0)) : attrInts(a, QString(QChar(0x00D7))));
    } else if (n == "dilations") {
      if (!allEqual(a, 1)) out << QStringLiteral("d") + attrInts(a, QString(QChar(0x00D7)));
    } else if (n == "pads") {
      if (!allEqual(a, 0)) out << QStringLiteral("p") + (allEqual(a, a.ints(0)) ? QString::number(a.ints(0)) : attrInts(a, QStringLiteral(",")));
    } else if (n == "group") {
      if (a.i() != 1) out << QStringLiteral("g") + QString::number(a.i());
    } else if (n == "axis" || n == "axes") {
      out << QString::fromStdString(n) + QStringLiteral(" ") +
                 (a.type() == onnx::AttributeProto::INTS ? attrInts(a, QStringLiteral(",")) : QString::number(a.i()));
    } else if (n == "perm") {
      out << QStringLiteral("perm ") + attrInts(a, QStringLiteral(","));
    } else if (n == "to" && op == "Cast") {
      out << QStringLiteral("→ ") + QString::fromUtf8(dataTypeName(static_cast<std::int32_t>(a.i())));
    } else if ((n == "transA" || n == "transB") && a.i() != 0) {
      out << QString(QChar(n.back())) + QChar(0x1D40);
    } else if ((n == "alpha" || n == "beta") && op == "Gemm") {
      if (a.f() != 1.0f) out << QString::fromStdString(n) + QStringLiteral(" ") + compactNumber(a.f());
    } else if (n == "alpha" && (op == "LeakyRelu" || op == "Elu" || op == "HardSigmoid")) {
      out << QStringLiteral("α ") + compactNumber(a.f());
    } else if (n == "mode" || n == "direction" || n == "reduction") {
      out << QString::fromStdString(a.s());
    } else if (n == "value" && a.type() == onnx::AttributeProto::TENSOR) {
      const auto& t = a.t();
      QString type = QString::fromUtf8(dataTypeName(t.data_type()));
      std::vector<std::int64_t> dims(t.dims().begin(), t.dims().end());
      std::int64_t count = 1;
      for (auto d : dims) count *= d;
      if (count == 1 && t.int64_data_size() == 1) {
        out << QString::number(t.int64_data(0));
      } else if (count == 1 && t.float_data_size() == 1) {
        out << compactNumber(t.float_data(0));
      } else if (count == 1 && t.raw_data().size() == 8 && t.data_type() == onnx::TensorProto::INT64) {
        std::int64_t v;
        std::memcpy(&v, t.raw_data().data(), 8);
        out << QString::number(v);
      } else if (count == 1 && t.raw_data().size() == 4 && t.data_type() == onnx::TensorProto::FLOAT) {
        float v;
        std::memcpy(&v, t.raw_data().data(), 4);
        out << compactNumber(v);
      } else {
        out << type + QStringLiteral("[") + shapeText(dims) + QStringLiteral("]");
      }
    } else if (n.starts_with("value_") && a.type() == onnx::AttributeProto::FLOAT) {
      out << compactNumber(a.f());
    } else if (n.starts_with("value_") && a.type() == onnx::AttributeProto::INT) {
      out << QString::number(a.i());
    }
    if (out.join(QStringLiteral(" ")).size() > 36) break;
  }
  QString s = out.join(QStringLiteral(" "));
  if (s.size() > 40) s = s.left(39) + QChar(0x2026);
  return s;
}

const std::vector<std::string>& NodeDisplayBuilder::inputNames(const Node& node) {
  std::string key = node.domain() + ":" + node.opType();
  auto it = schemaInputs_.find(key);
  if (it != schemaInputs_.end()) return it->second;
  std::vector<std::string> names;
  OpDoc doc = describeNode(node);
  for (const auto& f : doc.inputs) names.push_back(f.name);
  return schemaInputs_.emplace(key, std::move(names)).first->second;
}

NodeDisplay NodeDisplayBuilder::build(const Node& node) {
  NodeDisplay d;
  d.category = opCategory(node.opType(), node.domain());
  bool standard = node.domain().empty() || node.domain() == "ai.onnx";
  d.op = standard ? QString::fromStdString(node.opType())
                  : QString::fromStdString(node.domain() + ":" + node.opType());
  d.attrs = attributeSummary(node);
  d.name = QString::fromStdString(node.name());
  d.subgraph = !node.subgraphs().empty();
  int shown = 0;
  for (size_t i = 0; i < node.inputs().size(); ++i) {
    const Value* v = node.inputs()[i];
    if (!v) continue;
    const Node* constant = foldConstants_ && v->producer() && isFoldableConstant(*v->producer()) ? v->producer() : nullptr;
    if (!v->initializer() && !constant) continue;
    if (shown >= 3) {
      ++d.hiddenBadges;
      continue;
    }
    const auto& names = inputNames(node);
    Badge b;
    b.label = i < names.size() ? QString::fromStdString(names[i]) : QStringLiteral("in%1").arg(i);
    if (b.label.size() > 8) b.label = b.label.left(7) + QChar(0x2026);
    if (v->initializer()) {
      b.shape = shapeText(v->initializer()->dims());
    } else if (const auto* a = constant->attribute("value"); a && a->has_t()) {
      b.shape = shapeText(std::vector<std::int64_t>(a->t().dims().begin(), a->t().dims().end()));
    }
    d.badges.push_back(b);
    ++shown;
  }
  return d;
}

LayoutSize NodeDisplayBuilder::sizeOf(const NodeDisplay& d) const {
  using namespace canvas_metrics;
  double w = width(d.op, true) + (d.subgraph ? 14 : 0);
  double h = 2 * padY + opLine;
  if (!d.attrs.isEmpty()) {
    w = std::max(w, width(d.attrs, false));
    h += attrLine;
  }
  if (showNames_ && !d.name.isEmpty()) {
    w = std::max(w, std::min(width(d.name, false), maxWidth - 2 * padX));
    h += nameLine;
  }
  if (!d.badges.isEmpty()) {
    double bw = 0;
    for (const auto& b : d.badges) {
      double t = 0;
      for (QChar ch : b.label + QStringLiteral(" ") + b.shape) {
        ushort c = ch.unicode();
        t += c < 128 && c >= 32 ? advanceSmall_[c] : fallbackAdvance_ * 0.9;
      }
      bw += t + 10;
    }
    if (d.hiddenBadges) bw += 22;
    w = std::max(w, bw);
    h += badgeLine;
  }
  w = std::clamp(w + 2 * padX, minWidth, maxWidth);
  return {std::ceil(w), std::ceil(h)};
}

}  // namespace graft
