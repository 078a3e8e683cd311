#include "canvas/tensor_viewer.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "canvas/canvas_style.h"
#include "format.h"
#include "graft/dtype.h"
#include "graft/io.h"

namespace graft {

namespace {


float bf16ToFloat(std::uint16_t h) {
  std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Calls fn(double) for every element, from raw bytes or the typed field the dtype uses.
// Returns false when the dtype is not numeric or the data does not match the dims.
template <typename Fn>
bool forEachValue(const onnx::TensorProto& t, std::string_view raw, std::uint64_t count, Fn&& fn,
                  std::string* error) {
  using TP = onnx::TensorProto;
  const int dt = t.data_type();
  auto fromRaw = [&](size_t size, auto convert) {
    if (raw.size() < count * size) {
      *error = "the stored data holds " + std::to_string(raw.size()) + " bytes, the shape needs " +
               std::to_string(count * size);
      return false;
    }
    const char* p = raw.data();
    for (std::uint64_t i = 0; i < count; ++i) fn(convert(p + i * size));
    return true;
  };
  auto read = [](auto tag, const char* p) {
    decltype(tag) v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<double>(v);
  };
  if (dt >= dtype::kFloat8E4M3FN && dt <= dtype::kLastKnown) {
    // float8, e8m0: one byte each; int4, int2, float4: packed, first element in the low bits.
    // Typed storage keeps one (packed) byte per int32_data entry.
    std::string bytes;
    if (!raw.empty() || t.has_raw_data()) {
      bytes.assign(raw.data(), raw.size());
    } else {
      bytes.reserve(static_cast<std::size_t>(t.int32_data_size()));
      for (auto v : t.int32_data()) bytes.push_back(static_cast<char>(v & 0xff));
    }
    std::uint64_t need = packedByteCount(dt, count).value_or(0);
    if (bytes.size() < need) {
      *error = "the stored data holds " + std::to_string(bytes.size()) + " bytes, the shape needs " + std::to_string(need);
      return false;
    }
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(count));
    const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data());
    if (isSubByteType(dt)) unpackSubByte(dt, b, count, codes.data());
    else std::memcpy(codes.data(), b, codes.size());
    const ElementTypeInfo& info = elementTypeInfo(dt);
    for (std::uint8_t c : codes) {
      if (info.kind == ElementKind::Float) fn(double(narrowFloatToFloat(dt, c)));
      else if (info.kind == ElementKind::SignedInt) fn(double(static_cast<std::int8_t>(c)));
      else fn(double(c));
    }
    return true;
  }
  if (!raw.empty() || t.has_raw_data()) {
    switch (dt) {
      case TP::FLOAT: return fromRaw(4, [&](const char* p) { return read(float{}, p); });
      case TP::DOUBLE: return fromRaw(8, [&](const char* p) { return read(double{}, p); });
      case TP::FLOAT16: return fromRaw(2, [&](const char* p) { std::uint16_t h; std::memcpy(&h, p, 2); return double(halfToFloat(h)); });
      case TP::BFLOAT16: return fromRaw(2, [&](const char* p) { std::uint16_t h; std::memcpy(&h, p, 2); return double(bf16ToFloat(h)); });
      case TP::INT8: return fromRaw(1, [&](const char* p) { return read(std::int8_t{}, p); });
      case TP::UINT8: return fromRaw(1, [&](const char* p) { return read(std::uint8_t{}, p); });
      case TP::BOOL: return fromRaw(1, [&](const char* p) { return double(*p != 0); });
      case TP::INT16: return fromRaw(2, [&](const char* p) { return read(std::int16_t{}, p); });
      case TP::UINT16: return fromRaw(2, [&](const char* p) { return read(std::uint16_t{}, p); });
      case TP::INT32: return fromRaw(4, [&](const char* p) { return read(std::int32_t{}, p); });
      case TP::UINT32: return fromRaw(4, [&](const char* p) { return read(std::uint32_t{}, p); });
      case TP::INT64: return fromRaw(8, [&](const char* p) { return read(std::int64_t{}, p); });
      case TP::UINT64: return fromRaw(8, [&](const char* p) { return read(std::uint64_t{}, p); });
      default: break;
    }
    *error = std::string("values of type ") + dataTypeName(dt) + " are not shown";
    return false;
  }
  auto typed = [&](const auto& field, auto convert) {
    if (static_cast<std::uint64_t>(field.size()) < count) {
      *error = "the tensor stores " + std::to_string(field.size()) + " values, the shape needs " + std::to_string(count);
      return false;
    }
    for (std::uint64_t i = 0; i < count; ++i) fn(convert(field.Get(static_cast<int>(i))));
    return true;
  };
  switch (dt) {
    case TP::FLOAT: return typed(t.float_data(), [](float v) { return double(v); });
    case TP::DOUBLE: return typed(t.double_data(), [](double v) { return v; });
    case TP::INT64: return typed(t.int64_data(), [](std::int64_t v) { return double(v); });
    case TP::UINT64:
    case TP::UINT32: return typed(t.uint64_data(), [](std::uint64_t v) { return double(v); });
    case TP::FLOAT16: return typed(t.int32_data(), [](std::int32_t v) { return double(halfToFloat(static_cast<std::uint16_t>(v))); });
    case TP::BFLOAT16: return typed(t.int32_data(), [](std::int32_t v) { return double(bf16ToFloat(static_cast<std::uint16_t>(v))); });
    case TP::INT32:
    case TP::INT16:
    case TP::INT8:
    case TP::UINT16:
    case TP::UINT8:
    case TP::BOOL: return typed(t.int32_data(), [](std::int32_t v) { return double(v); });
    default: break;
  }
  *error = std::string("values of type ") + dataTypeName(dt) + " are not shown";
  return false;
}

}  // namespace

TensorStats computeTensorStats(const onnx::TensorProto& proto, std::string_view raw, int bins, int firstCount) {
  TensorStats s;
  std::uint64_t count = 1;
  for (auto d : proto.dims()) count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
  if (proto.data_type() == onnx::TensorProto::STRING) {
    s.numeric = false;
    s.error = "string tensors have no statistics";
    return s;
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  double mean = 0, m2 = 0;
  bool ok = forEachValue(proto, raw, count, [&](double v) {
    if (static_cast<int>(s.first.size()) < firstCount) s.first.push_back(v);
    ++s.count;
    if (std::isnan(v)) {
      ++s.nans;
      return;
    }
    if (std::isinf(v)) {
      ++s.infs;
      return;
    }
    if (v == 0) ++s.zeros;
    ++s.finite;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    // Welford: stable for millions of values.
    double d = v - mean;
    mean += d / static_cast<double>(s.finite);
    m2 += d * (v - mean);
  }, &s.error);
  if (!ok) {
    s.numeric = false;
    return s;
  }
  if (s.finite > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = mean;
    s.std = std::sqrt(m2 / static_cast<double>(s.finite));
    s.histogram.assign(bins, 0);
    const double width = hi > lo ? (hi - lo) / bins : 1.0;
    std::string ignored;
    forEachValue(proto, raw, count, [&](double v) {
      if (!std::isfinite(v)) return;
      int b = hi > lo ? static_cast<int>((v - lo) / width) : bins / 2;
      s.histogram[std::clamp(b, 0, bins - 1)]++;
    }, &ignored);
  }
  return s;
}

// ---------------------------------------------------------------- histogram

class HistogramView : public QWidget {
 public:
  explicit HistogramView(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(110);
    setObjectName(QStringLiteral("tensorHistogram"));
  }
  void setStats(const TensorStats* s) {
    stats_ = s;
    update();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    if (!stats_ || stats_->histogram.empty()) {
      p.setPen(palette().color(QPalette::PlaceholderText));
      p.drawText(rect(), Qt::AlignCenter, stats_ && !stats_->error.empty() ? QString() : tr("No histogram"));
      return;
    }
    const auto& h = stats_->histogram;
    std::uint64_t peak = *std::max_element(h.begin(), h.end());
    QRectF area = QRectF(rect()).adjusted(6, 6, -6, -20);
    double bw = area.width() / h.size();
    p.setPen(Qt::NoPen);
    p.setBrush(palette().color(QPalette::Highlight));
    for (size_t i = 0; i < h.size(); ++i) {
      if (!h[i]) continue;
      // Square-root scale: a spike at zero does not flatten everything else.
      double f = std::sqrt(static_cast<double>(h[i]) / static_cast<double>(std::max<std::uint64_t>(peak, 1)));
      double bh = std::max(1.0, f * area.height());
      p.drawRect(QRectF(area.left() + i * bw, area.bottom() - bh, std::max(1.0, bw - 1), bh));
    }
    p.setPen(palette().color(QPalette::Text));
    QRectF labels(area.left(), area.bottom() + 2, area.width(), 16);
    p.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, QString::number(stats_->min, 'g', 4));
    p.drawText(labels, Qt::AlignRight | Qt::AlignVCenter, QString::number(stats_->max, 'g', 4));
    p.drawText(labels, Qt::AlignHCenter | Qt::AlignVCenter, tr("count (√ scale)"));
  }

 private:
  const TensorStats* stats_ = nullptr;
};

// ---------------------------------------------------------------- viewer

TensorViewer::TensorViewer(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("tensorViewer"));
  auto* outer = new QVBoxLayout(this);
  title_ = new QLabel(this);
  title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  title_->setWordWrap(true);
  QFont f = title_->font();
  f.setBold(true);
  title_->setFont(f);
  outer->addWidget(title_);
  hint_ = new QLabel(tr("Double-click a weight badge on a node, or select a Constant, to see its values."), this);
  hint_->setWordWrap(true);
  outer->addWidget(hint_);
  auto* form = new QFormLayout;
  for (const QString& name : {tr("Type"), tr("Shape"), tr("Elements"), tr("Bytes"), tr("Stored"), tr("Min"),
                              tr("Max"), tr("Mean"), tr("Std"), tr("Zeros"), tr("NaN / Inf")}) {
    auto* label = new QLabel(this);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    form->addRow(name, label);
    fields_.emplace_back(name, label);
  }
  outer->addLayout(form);
  histogram_ = new HistogramView(this);
  outer->addWidget(histogram_);
  saveNpy_ = new QPushButton(tr("Save .npy…"), this);
  saveNpy_->setObjectName(QStringLiteral("tensorSaveNpy"));
  saveNpy_->setToolTip(tr("Write these values to a NumPy .npy file"));
  connect(saveNpy_, &QPushButton::clicked, this, &TensorViewer::chooseNpyFile);
  auto* saveRow = new QHBoxLayout;
  saveRow->addWidget(saveNpy_);
  saveRow->addStretch();
  outer->addLayout(saveRow);
  values_ = new QTableWidget(0, 2, this);
  values_->setObjectName(QStringLiteral("tensorValues"));
  values_->setHorizontalHeaderLabels({tr("Index"), tr("Value")});
  values_->verticalHeader()->hide();
  values_->horizontalHeader()->setStretchLastSection(true);
  values_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  outer->addWidget(values_, 1);
  watcher_ = new QFutureWatcher<TensorStats>(this);
  connect(watcher_, &QFutureWatcher<TensorStats>::finished, this, &TensorViewer::onStats);
  clear();
}

TensorViewer::~TensorViewer() { watcher_->waitForFinished(); }

bool TensorViewer::saveNpy(const QString& path, QString* error) const {
  if (!exporter_) {
    if (error) *error = tr("There are no values to save: show a weight, a constant or a computed tensor first.");
    return false;
  }
  auto array = exporter_();
  if (!array) {
    if (error) *error = QString::fromStdString(array.message());
    return false;
  }
  if (auto st = writeNpy(path.toStdString(), array.value()); !st) {
    if (error) *error = QString::fromStdString(st.message());
    return false;
  }
  return true;
}

void TensorViewer::chooseNpyFile() {
  QString name = title_->text();
  name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Values"), name + QStringLiteral(".npy"),
                                                    tr("NumPy arrays (*.npy)"));
  if (path.isEmpty()) return;
  QString error;
  if (!saveNpy(path, &error)) QMessageBox::warning(this, tr("Save Values"), error);
}

bool TensorViewer::isComputing() const { return watcher_->isRunning(); }

void TensorViewer::setField(const QString& field, const QString& text) {
  for (auto& [name, label] : fields_)
    if (name == field) label->setText(text);
}

QString TensorViewer::fieldText(const QString& field) const {
  for (const auto& [name, label] : fields_)
    if (name == field) return label->text();
  return {};
}

void TensorViewer::clear() {
  ++token_;
  exporter_ = nullptr;
  if (saveNpy_) saveNpy_->setEnabled(false);
  title_->setText(tr("Tensor"));
  hint_->show();
  for (auto& [name, label] : fields_) label->clear();
  stats_ = TensorStats{};
  histogram_->setStats(nullptr);
  values_->setRowCount(0);
}

void TensorViewer::showValue(const Value* value) {
  clear();
  if (!value) return;
  if (const Tensor* t = value->initializer()) {
    // Copies of the proto (external ones hold no bytes) and the mapping, so the worker reads
    // safely while the model is edited; inline bytes are copied with the proto.
    struct Holder {
      onnx::TensorProto proto;
      std::shared_ptr<const MappedFile> file;
    };
    auto holder = std::make_shared<Holder>();
    holder->proto = t->proto();
    QString location;
    std::string_view raw;
    if (const ExternalRef* ext = t->external()) {
      location = tr("external: %1, offset %2, %3 bytes")
                     .arg(QString::fromStdString(ext->location))
                     .arg(ext->offset)
                     .arg(ext->length);
      holder->file = ext->file;
      raw = t->rawBytes();
    } else {
      location = tr("inline in the model");
      raw = holder->proto.raw_data();
    }
    showProto(QString::fromStdString(value->name()), holder->proto, raw, holder, location);
    // A copy of the tensor (it shares the mapped file), so an edit of the model meanwhile is harmless.
    auto tensor = std::make_shared<Tensor>(*t);
    exporter_ = [tensor] { return arrayFromTensor(*tensor); };
    saveNpy_->setEnabled(true);
    return;
  }
  if (const Node* producer = value->producer(); producer && producer->opType() == "Constant") {
    if (const auto* a = producer->attribute("value"); a && a->has_t()) {
      auto copy = std::make_shared<onnx::TensorProto>(a->t());
      std::string_view r = copy->raw_data();
      showProto(QString::fromStdString(value->name()), *copy, r, copy, tr("Constant node %1").arg(QString::fromStdString(producer->name())));
      exporter_ = [copy] { return arrayFromProto(*copy); };
      saveNpy_->setEnabled(true);
      return;
    }
  }
  title_->setText(QString::fromStdString(value->name()));
  hint_->setText(tr("'%1' is computed while the model runs; only weights and constants have values here.")
                     .arg(QString::fromStdString(value->name())));
}

void TensorViewer::showArray(const QString& name, const Array& array, const QString& origin) {
  clear();
  if (!array.valid() || array.dtype() == onnx::TensorProto_DataType_STRING) {
    showHint(name, tr("'%1' holds no numbers to show.").arg(name));
    return;
  }
  // The array shares its bytes; the holder keeps them alive while the worker reads them.
  struct Holder {
    onnx::TensorProto proto;
    Array array;
  };
  auto holder = std::make_shared<Holder>();
  holder->array = array;
  exporter_ = [array] { return Result<Array>(array); };
  saveNpy_->setEnabled(true);
  holder->proto.set_data_type(array.dtype());
  for (auto d : array.shape()) holder->proto.add_dims(d);
  std::string_view raw(static_cast<const char*>(array.raw()), array.bytes());
  showProto(name, holder->proto, raw, holder, origin);
}

void TensorViewer::showHint(const QString& title, const QString& hint) {
  clear();
  title_->setText(title);
  hint_->setText(hint);
}

void TensorViewer::showProto(const QString& name, const onnx::TensorProto& proto, std::string_view raw,
                             std::shared_ptr<const void> keepAlive, const QString& location) {
  hint_->hide();
  title_->setText(name);
  dims_.assign(proto.dims().begin(), proto.dims().end());
  std::uint64_t count = 1;
  for (auto d : dims_) count *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
  setField(tr("Type"), QString::fromUtf8(dataTypeName(proto.data_type())));
  setField(tr("Shape"), QStringLiteral("[") + NodeDisplayBuilder::shapeText(dims_) + QStringLiteral("]"));
  setField(tr("Elements"), formatCount(count));
  Tensor probe(proto);
  std::uint64_t bytes = raw.empty() ? probe.storedBytes() : raw.size();
  setField(tr("Bytes"), formatBytes(bytes));
  setField(tr("Stored"), location);
  for (const QString& f : {tr("Min"), tr("Max"), tr("Mean"), tr("Std"), tr("Zeros"), tr("NaN / Inf")})
    setField(f, tr("computing…"));
  const std::uint64_t token = ++token_;
  // The proto is copied when it is small (cheap), referenced when it is held alive by keepAlive.
  auto protoRef = std::shared_ptr<const onnx::TensorProto>(keepAlive, &proto);
  watcher_->setProperty("token", QVariant::fromValue<qulonglong>(token));
  watcher_->setFuture(QtConcurrent::run([protoRef, raw]() { return computeTensorStats(*protoRef, raw); }));
}

void TensorViewer::onStats() {
  if (watcher_->property("token").toULongLong() != token_) return;
  stats_ = watcher_->result();
  auto num = [](double v) { return QString::number(v, 'g', 6); };
  if (!stats_.numeric) {
    for (const QString& f : {tr("Min"), tr("Max"), tr("Mean"), tr("Std"), tr("Zeros"), tr("NaN / Inf")})
      setField(f, QStringLiteral("—"));
    setField(tr("Min"), QString::fromStdString(stats_.error));
  } else {
    setField(tr("Min"), num(stats_.min));
    setField(tr("Max"), num(stats_.max));
    setField(tr("Mean"), num(stats_.mean));
    setField(tr("Std"), num(stats_.std));
    double zeroFraction = stats_.count ? 100.0 * static_cast<double>(stats_.zeros) / static_cast<double>(stats_.count) : 0;
    setField(tr("Zeros"), tr("%1 (%2%)").arg(formatCount(stats_.zeros)).arg(zeroFraction, 0, 'f', 2));
    setField(tr("NaN / Inf"), tr("%1 / %2").arg(formatCount(stats_.nans), formatCount(stats_.infs)));
  }
  histogram_->setStats(&stats_);
  values_->setRowCount(static_cast<int>(stats_.first.size()));
  for (size_t i = 0; i < stats_.first.size(); ++i) {
    // The index as coordinates: [0, 2, 1] reads better than a flat 9 for a 3-d weight.
    QStringList coords;
    std::uint64_t rest = i;
    for (size_t d = dims_.size(); d-- > 0;) {
      std::uint64_t extent = static_cast<std::uint64_t>(std::max<std::int64_t>(dims_[d], 1));
      coords.prepend(QString::number(rest % extent));
      rest /= extent;
    }
    values_->setItem(static_cast<int>(i), 0, new QTableWidgetItem(QStringLiteral("[") + coords.join(QStringLiteral(", ")) + QStringLiteral("]")));
    values_->setItem(static_cast<int>(i), 1, new QTableWidgetItem(num(stats_.first[i])));
  }
  emit statsReady();
}

}  // namespace graft
