#include "format.h"

#include "graft/rewrite.h"

#include <QCoreApplication>
#include <QLocale>
#include <QStringList>

#include "graft/ir.h"

namespace graft {

QString formatCount(std::uint64_t value) { return QLocale().toString(static_cast<qulonglong>(value)); }

QString formatCompact(std::uint64_t value) {
  if (value < 10000) return QLocale().toString(static_cast<qulonglong>(value));
  static const char* const suffixes[] = {"K", "M", "G", "T", "P", "E"};
  double v = static_cast<double>(value);
  int i = -1;
  while (v >= 1000.0 && i < 5) {
    v /= 1000.0;
    ++i;
  }
  int decimals = v < 10 ? 2 : (v < 100 ? 1 : 0);
  return QLocale().toString(v, 'f', decimals) + QStringLiteral(" ") + QLatin1String(suffixes[i]);
}

QString formatBytes(std::uint64_t bytes) {
  return QLocale().formattedDataSize(static_cast<qint64>(bytes), 2, QLocale::DataSizeIecFormat);
}

QString formatCountWithCompact(std::uint64_t value) {
  if (value < 10000) return formatCount(value);
  return QStringLiteral("%1 (%2)").arg(formatCount(value), formatCompact(value));
}

namespace {

// Long lists are cut so a 1,000-element INTS attribute does not flood a panel.
template <typename Range, typename Fn>
QString formatList(const Range& values, Fn&& fn) {
  constexpr int kMax = 16;
  QStringList parts;
  int n = 0;
  for (const auto& v : values) {
    if (n++ == kMax) {
      parts << QStringLiteral("… (%1)").arg(values.size());
      break;
    }
    parts << fn(v);
  }
  return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QString quoted(const std::string& s) {
  constexpr int kMax = 200;
  QString q = QString::fromStdString(s);
  if (q.size() > kMax) q = q.left(kMax) + QStringLiteral("…");
  return QLatin1Char('"') + q + QLatin1Char('"');
}

QString formatTensorSummary(const onnx::TensorProto& t) {
  QStringList dims;
  for (auto d : t.dims()) dims << QString::number(d);
  QString s = QString::fromLatin1(dataTypeName(t.data_type())) + QLatin1Char('[') + dims.join(QLatin1Char(',')) +
              QLatin1Char(']');
  if (!t.name().empty()) s += QLatin1Char(' ') + QString::fromStdString(t.name());
  return s;
}

}  // namespace

QString formatAttributeValue(const onnx::AttributeProto& a) {
  auto num = [](auto v) { return QString::number(v); };
  auto real = [](float v) { return QString::number(static_cast<double>(v), 'g', 7); };
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      return num(a.i());
    case onnx::AttributeProto::FLOAT:
      return real(a.f());
    case onnx::AttributeProto::STRING:
      return quoted(a.s());
    case onnx::AttributeProto::INTS:
      return formatList(a.ints(), num);
    case onnx::AttributeProto::FLOATS:
      return formatList(a.floats(), real);
    case onnx::AttributeProto::STRINGS:
      return formatList(a.strings(), quoted);
    case onnx::AttributeProto::TENSOR:
      return formatTensorSummary(a.t());
    case onnx::AttributeProto::TENSORS:
      return formatList(a.tensors(), formatTensorSummary);
    case onnx::AttributeProto::GRAPH:
      // The body itself lives in Node::subgraphs(); callers that have the node add its size.
      return QCoreApplication::translate("graft::Format", "subgraph");
    case onnx::AttributeProto::GRAPHS:
      return QCoreApplication::translate("graft::Format", "subgraphs");
    case onnx::AttributeProto::SPARSE_TENSOR:
      return QCoreApplication::translate("graft::Format", "sparse %1").arg(formatTensorSummary(a.sparse_tensor().values()));
    case onnx::AttributeProto::TYPE_PROTO:
      return QCoreApplication::translate("graft::Format", "type");
    default:
      break;
  }
  if (!a.ref_attr_name().empty()) return QStringLiteral("@") + QString::fromStdString(a.ref_attr_name());
  return QStringLiteral("?");
}

QString displayDomain(const std::string& domain) {
  return domain.empty() ? QStringLiteral("ai.onnx") : QString::fromStdString(domain);
}

QString formatVerification(const Verification& v) {
  auto tr = [](const char* text) { return QCoreApplication::translate("graft::Format", text); };
  if (v.numeric)
    return QCoreApplication::translate("graft::Format", "Verified: max abs diff %1 on %n input set(s)", nullptr, v.inputSets)
        .arg(QString::number(v.maxAbsDiff, 'g', 3));
  if (v.structural)
    return tr("Checked by the onnx checker and shape inference; outputs not compared") +
           (v.note.empty() ? QString() : QStringLiteral(" (") + QString::fromStdString(v.note) + QStringLiteral(")"));
  return v.note.empty() ? tr("Not verified") : QString::fromStdString(v.note);
}

}  // namespace graft
