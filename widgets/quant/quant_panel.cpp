// The Quantize dock (see quant_panel.h). Calibration and scoring run on a worker over the
// document's model (read only; the window keeps edits away while a job runs); applying goes
// through the rewrite session so it is one command on the shared undo stack.
#include "quant/quant_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <map>

#include "graft/recipe.h"
#include "graft/rewrite.h"
#include "rewrite/rewrite_session.h"

namespace graft {

namespace {

QString db(double v) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("-∞");
  return QLocale().toString(v, 'f', 1);
}

QString bytesText(std::uint64_t b) {
  return QLocale().formattedDataSize(static_cast<qint64>(b), 2, QLocale::DataSizeTraditionalFormat);
}

}  // namespace

QColor QuantPanel::colorForSqnr(double v) {
  // Red below 10 dB, orange to 20, yellow to 30, green above 40: what a user reads as "hurts" to "harmless".
  if (!std::isfinite(v) && v > 0) return QColor(0x2e, 0x9e, 0x4f);
  if (v < 10) return QColor(0xd7, 0x30, 0x27);
  if (v < 20) return QColor(0xf4, 0x6d, 0x43);
  if (v < 30) return QColor(0xfd, 0xae, 0x61);
  if (v < 40) return QColor(0xa6, 0xd9, 0x6a);
  return QColor(0x2e, 0x9e, 0x4f);
}

QuantPanel::QuantPanel(RewriteSession* session, QWidget* parent) : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  mode_ = new QComboBox(this);
  mode_->setObjectName(QStringLiteral("quantMode"));
  mode_->addItem(tr("Static INT8"), QStringLiteral("static"));
  mode_->addItem(tr("Dynamic INT8"), QStringLiteral("dynamic"));
  mode_->addItem(tr("Weight-only 4-bit"), QStringLiteral("w4"));
  mode_->addItem(tr("Weight-only 8-bit"), QStringLiteral("w8"));
  form->addRow(tr("Mode:"), mode_);
  backend_ = new QComboBox(this);
  for (const auto& p : availableProfiles()) backend_->addItem(QString::fromStdString(p), QString::fromStdString(p));
  backend_->setCurrentIndex(std::max(0, backend_->findData(QStringLiteral("onnxruntime-cpu"))));
  backend_->setToolTip(tr("The backend profile decides where Q/DQ go and in which types"));
  form->addRow(tr("Backend:"), backend_);
  encoding_ = new QComboBox(this);
  encoding_->addItem(tr("MatMulNBits (ONNX Runtime)"), QStringLiteral("matmulnbits"));
  encoding_->addItem(tr("DequantizeLinear (opset 21)"), QStringLiteral("qdq"));
  form->addRow(tr("Encoding:"), encoding_);
  block_ = new QSpinBox(this);
  block_->setRange(16, 256);
  block_->setValue(32);
  // Powers of two only: MatMulNBits' block_size.
  connect(block_, &QSpinBox::valueChanged, this, [this](int v) {
    int p = 16;
    while (p < v) p *= 2;
    if (p != v) block_->setValue(v < block_->property("last").toInt() ? p / 2 : p);
    block_->setProperty("last", block_->value());
  });
  block_->setProperty("last", 32);
  form->addRow(tr("Block size:"), block_);
  symmetric_ = new QCheckBox(tr("Symmetric"), this);
  form->addRow(QString(), symmetric_);
  method_ = new QComboBox(this);
  form->addRow(tr("Method:"), method_);
  auto* folderRow = new QHBoxLayout;
  folder_ = new QLineEdit(this);
  folder_->setPlaceholderText(tr("none: seeded random inputs"));
  folder_->setToolTip(tr("One subfolder per sample with INPUTNAME.npy files, or test_data_set_K/input_J.pb"));
  browse_ = new QPushButton(tr("Browse…"), this);
  folderRow->addWidget(folder_);
  folderRow->addWidget(browse_);
  form->addRow(tr("Calibration data:"), folderRow);
  auto* targetRow = new QHBoxLayout;
  useTarget_ = new QCheckBox(tr("Keep in float until"), this);
  useTarget_->setToolTip(tr("Keep the worst nodes in float until the output reaches this SQNR"));
  target_ = new QDoubleSpinBox(this);
  target_->setRange(0, 120);
  target_->setValue(30);
  target_->setSuffix(tr(" dB"));
  targetRow->addWidget(useTarget_);
  targetRow->addWidget(target_);
  form->addRow(tr("Target SQNR:"), targetRow);
  // Long labels move above their field in a narrow dock instead of widening it.
  form->setRowWrapPolicy(QFormLayout::WrapLongRows);
  for (QComboBox* box : {mode_, backend_, encoding_, method_}) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(12);
  }
  layout->addLayout(form);

  auto* buttons = new QHBoxLayout;
  calibrate_ = new QPushButton(tr("Calibrate"), this);
  calibrate_->setObjectName(QStringLiteral("quantCalibrate"));
  cancel_ = new QPushButton(tr("Cancel"), this);
  buttons->addWidget(calibrate_);
  buttons->addWidget(cancel_);
  layout->addLayout(buttons);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(false);
  layout->addWidget(progress_);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  layout->addWidget(status_);
  size_ = new QLabel(this);
  size_->setWordWrap(true);
  size_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(size_);
  legend_ = new QLabel(this);
  QString legend = tr("Node SQNR:") + QStringLiteral(" ");
  const std::pair<double, QString> steps[] = {{5, tr("< 10 dB")}, {15, tr("10–20")}, {25, tr("20–30")}, {35, tr("30–40")}, {45, tr("≥ 40 dB")}};
  for (const auto& [v, text] : steps)
    legend += QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;&nbsp;</span>&nbsp;%2&nbsp; ").arg(colorForSqnr(v).name(), text.toHtmlEscaped());
  legend += QStringLiteral("<br>") + tr("dashed grey: kept in float");
  legend_->setText(legend);
  legend_->setWordWrap(true);
  layout->addWidget(legend_);
  // A short label (the dock is narrow, German is long); the whole sentence is the tooltip.
  clickExclude_ = new QCheckBox(tr("Clicks on the graph toggle float"), this);
  clickExclude_->setToolTip(tr("Click a node on the graph to keep it in float or quantize it again"));
  clickExclude_->setChecked(true);
  layout->addWidget(clickExclude_);
  nodes_ = new QTreeWidget(this);
  nodes_->setColumnCount(4);
  nodes_->setHeaderLabels({tr("Node"), tr("Op"), tr("SQNR (dB)"), tr("Cosine")});
  nodes_->setRootIsDecorated(false);
  nodes_->setSortingEnabled(true);
  nodes_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  nodes_->setToolTip(tr("Double-click a node to keep it in float or quantize it again"));
  layout->addWidget(nodes_, 1);
  auto* actions = new QHBoxLayout;
  preview_ = new QPushButton(tr("Preview"), this);
  apply_ = new QPushButton(tr("Apply"), this);
  save_ = new QPushButton(tr("Save As…"), this);
  actions->addWidget(preview_);
  actions->addWidget(apply_);
  actions->addWidget(save_);
  layout->addLayout(actions);

  watcher_ = new QFutureWatcher<QuantJobResult>(this);
  progressTimer_ = new QTimer(this);
  progressTimer_->setInterval(100);
  connect(progressTimer_, &QTimer::timeout, this, [this] {
    double f = progressValue_ ? progressValue_->load() : -1;
    if (f < 0) progress_->setRange(0, 0);
    else {
      progress_->setRange(0, 1000);
      progress_->setValue(static_cast<int>(f * 1000));
    }
  });
  connect(watcher_, &QFutureWatcher<QuantJobResult>::finished, this, &QuantPanel::finished);
  connect(calibrate_, &QPushButton::clicked, this, &QuantPanel::calibrate);
  connect(cancel_, &QPushButton::clicked, this, &QuantPanel::cancel);
  connect(apply_, &QPushButton::clicked, this, &QuantPanel::apply);
  connect(save_, &QPushButton::clicked, this, &QuantPanel::saveRequested);
  connect(preview_, &QPushButton::clicked, this, [this] {
    auto* l = new QLabel(previewText(), nullptr);
    l->setWindowTitle(tr("Quantization preview"));
    l->setAttribute(Qt::WA_DeleteOnClose);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setMargin(12);
    l->setObjectName(QStringLiteral("quantPreview"));
    l->show();
  });
  connect(browse_, &QPushButton::clicked, this, [this] {
    QString dir = QFileDialog::getExistingDirectory(this, tr("Calibration data folder"), folder_->text());
    if (!dir.isEmpty()) folder_->setText(dir);
  });
  connect(nodes_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) { toggleExclusion(item->text(0)); });
  connect(mode_, &QComboBox::currentIndexChanged, this, &QuantPanel::onModeChanged);
  // Option changes re-score with the cached statistics (no new float run).
  auto rescoreIfReady = [this] {
    if (calibrationCurrent()) rescore();
  };
  connect(method_, &QComboBox::currentIndexChanged, this, rescoreIfReady);
  connect(encoding_, &QComboBox::currentIndexChanged, this, rescoreIfReady);
  connect(symmetric_, &QCheckBox::toggled, this, rescoreIfReady);
  connect(backend_, &QComboBox::currentIndexChanged, this, rescoreIfReady);
  connect(block_, &QSpinBox::editingFinished, this, rescoreIfReady);
  connect(useTarget_, &QCheckBox::toggled, this, rescoreIfReady);
  connect(session_, &RewriteSession::documentChanged, this, [this] {
    // Another model or an edit: statistics and scores belong to the old graph.
    if (calibration_ && !calibrationCurrent()) {
      result_.reset();
      overlay_.reset();
      emit overlayChanged(nullptr);
      rebuild();
    }
    updateButtons();
  });
  connect(session_, &RewriteSession::busyChanged, this, [this](bool busy) {
    updateButtons();
    if (!busy && pendingStart_) {
      bool calibrateFirst = pendingStart_ == 2;
      pendingStart_ = 0;
      start(calibrateFirst);
    }
  });
  // A newly opened model: the session announces it with its (empty) match list.
  connect(session_, &RewriteSession::matchesChanged, this, [this] {
    if (calibration_ && !calibrationCurrent() && result_) {
      result_.reset();
      excluded_.clear();
      rebuild();
    }
    updateButtons();
  });
  onModeChanged();
}

QuantPanel::~QuantPanel() {
  if (cancelFlag_) cancelFlag_->store(true);
  watcher_->waitForFinished();
}

void QuantPanel::onModeChanged() {
  const QString mode = mode_->currentData().toString();
  bool weightOnly = mode.startsWith(QLatin1Char('w'));
  method_->blockSignals(true);
  method_->clear();
  if (mode == QLatin1String("static")) {
    method_->addItem(tr("Percentile (99.999)"), QStringLiteral("percentile"));
    method_->addItem(tr("MinMax"), QStringLiteral("minmax"));
    method_->addItem(tr("Moving average"), QStringLiteral("moving-average"));
    method_->addItem(tr("Entropy (KL)"), QStringLiteral("entropy"));
  } else if (weightOnly) {
    method_->addItem(tr("RTN"), QStringLiteral("rtn"));
    method_->addItem(tr("GPTQ"), QStringLiteral("gptq"));
    method_->addItem(tr("AWQ"), QStringLiteral("awq"));
  }
  method_->blockSignals(false);
  method_->setEnabled(method_->count() > 0);
  encoding_->setEnabled(weightOnly);
  block_->setEnabled(weightOnly);
  symmetric_->setEnabled(weightOnly);
  // GPTQ/AWQ need Gram matrices a static calibration did not collect: the next Calibrate runs again.
  if (calibrationCurrent()) rescore();
  updateButtons();
}

quant::QuantizeOptions QuantPanel::currentOptions() const {
  quant::QuantizeOptions o;
  const QString mode = mode_->currentData().toString();
  o.mode = mode == QLatin1String("static") ? quant::Mode::Static : mode == QLatin1String("dynamic") ? quant::Mode::Dynamic : quant::Mode::WeightOnly;
  o.bits = mode == QLatin1String("w8") ? 8 : 4;
  o.blockSize = block_->value();
  o.symmetric = symmetric_->isChecked();
  o.format = encoding_->currentData().toString() == QLatin1String("qdq") ? quant::BlockedFormat::Qdq : quant::BlockedFormat::MatMulNBits;
  const QString method = method_->currentData().toString();
  if (auto m = quant::parseCalibrationMethod(method.toStdString())) o.method = *m;
  o.weightMethod = method == QLatin1String("gptq") ? quant::WeightMethod::Gptq : method == QLatin1String("awq") ? quant::WeightMethod::Awq : quant::WeightMethod::Rtn;
  if (auto p = findProfile(backend_->currentData().toString().toStdString())) o.placement = quant::placementFor(p.value());
  o.exclude = excluded_;
  return o;
}

bool QuantPanel::calibrationCurrent() const {
  const auto& doc = session_->document();
  if (!calibration_ || !samples_ || !doc || !doc->model || !calibration_->matches(*doc->model, *samples_)) return false;
  // GPTQ/AWQ need the Gram matrices.
  auto o = currentOptions();
  if (o.mode == quant::Mode::WeightOnly && o.weightMethod != quant::WeightMethod::Rtn && calibration_->gram.empty()) return false;
  if (o.mode == quant::Mode::Static && calibration_->stats.empty()) return false;
  return true;
}

void QuantPanel::calibrate() { start(true); }

void QuantPanel::rescore() {
  if (isBusy()) {
    rescoreQueued_ = true;
    return;
  }
  start(!calibrationCurrent());
}

void QuantPanel::cancel() {
  if (cancelFlag_) cancelFlag_->store(true);
}

void QuantPanel::start(bool calibrateFirst) {
  const auto& doc = session_->document();
  if (!doc || !doc->model || isBusy()) return;
  // The session's own jobs (matching, analysis) read the model too: start once they are done.
  if (session_->isBusy()) {
    pendingStart_ = calibrateFirst ? 2 : std::max(pendingStart_, 1);
    return;
  }
  auto model = std::shared_ptr<const Model>(doc, doc->model.get());
  auto options = currentOptions();
  std::optional<double> target;
  if (useTarget_->isChecked()) target = target_->value();
  auto cal = calibrateFirst ? nullptr : calibration_;
  auto samples = calibrateFirst ? nullptr : samples_;
  const std::string folder = folder_->text().trimmed().toStdString();
  cancelFlag_ = std::make_shared<std::atomic<bool>>(false);
  progressValue_ = std::make_shared<std::atomic<double>>(-1);
  auto cancel = cancelFlag_;
  auto progress = progressValue_;
  status_->setText(calibrateFirst ? tr("Calibrating…") : tr("Scoring…"));
  watcher_->setFuture(QtConcurrent::run([model, options, target, cal, samples, folder, cancel, progress]() mutable {
    QuantJobResult r;
    ProgressFn fn = [cancel, progress](double f, std::string_view) {
      progress->store(f);
      return !cancel->load();
    };
    if (!cal) {
      auto s = folder.empty() ? quant::randomSamples(*model, 8, 4) : quant::loadSampleFolder(*model, folder);
      if (!s) {
        r.status = s.status();
        return r;
      }
      samples = std::make_shared<quant::SampleSet>(std::move(s.value()));
      quant::CalibrateOptions co;
      // Everything a later option change may need, so switching mode or method only re-scores.
      co.collectStats = true;
      co.collectGram = true;
      co.progress = fn;
      auto c = quant::calibrate(*model, *samples, co);
      if (!c) {
        r.status = c.status();
        r.cancelled = c.status().code() == ErrorCode::Cancelled;
        return r;
      }
      cal = c.value();
    }
    r.calibration = cal;
    r.samples = samples;
    options.progress = fn;
    auto scored = quant::quantizeAndScore(*model, options, cal.get(), *samples, target);
    if (!scored) {
      r.status = scored.status();
      r.cancelled = scored.status().code() == ErrorCode::Cancelled || cancel->load();
      return r;
    }
    r.scored = std::make_shared<quant::AutoResult>(std::move(scored.value()));
    return r;
  }));
  progressTimer_->start();
  emit busyChanged(true);
  updateButtons();
}

void QuantPanel::finished() {
  progressTimer_->stop();
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  QuantJobResult r = watcher_->result();
  if (r.calibration) {
    calibration_ = r.calibration;
    samples_ = r.samples;
  }
  if (r.cancelled) {
    status_->setText(tr("Cancelled."));
  } else if (!r.status) {
    status_->setText(QString::fromStdString(r.status.message()));
    emit failed(QString::fromStdString(r.status.message()));
  } else if (r.scored) {
    result_ = r.scored;
    // Nodes the target kept in float count as excluded from now on (the user can take them back).
    for (const auto& e : result_->error.excluded) excluded_.insert(e);
    rebuild();
  }
  emit busyChanged(false);
  updateButtons();
  if (r.scored && !r.cancelled && r.status) emit scored();
  if (rescoreQueued_) {
    rescoreQueued_ = false;
    rescore();
  }
}

void QuantPanel::toggleExclusion(const QString& nodeName) {
  const std::string n = nodeName.toStdString();
  if (!excluded_.erase(n)) excluded_.insert(n);
  rescore();
}

void QuantPanel::rebuild() {
  nodes_->setSortingEnabled(false);
  nodes_->clear();
  auto ov = std::make_shared<CanvasOverlay>();
  const auto& doc = session_->document();
  if (result_ && doc && doc->model) {
    const auto& e = result_->error;
    const Graph& g = doc->model->graph();
    auto idOf = [&](const std::string& name, const std::string& output) -> std::optional<NodeId> {
      if (const Node* n = g.findNodeByName(name)) return n->id();
      if (const Value* v = g.findValue(output); v && v->producer()) return v->producer()->id();
      return std::nullopt;
    };
    for (const auto& n : e.nodes) {
      auto* item = new QTreeWidgetItem(nodes_);
      item->setText(0, QString::fromStdString(n.node));
      item->setText(1, QString::fromStdString(n.opType));
      item->setData(2, Qt::DisplayRole, std::isfinite(n.sqnr) ? QVariant(std::round(n.sqnr * 100) / 100) : QVariant(QStringLiteral("∞")));
      item->setData(3, Qt::DisplayRole, std::round(n.cosine * 100000) / 100000);
      item->setBackground(2, colorForSqnr(n.sqnr));
      if (auto id = idOf(n.node, n.output)) {
        ov->outlines[*id].push_back({colorForSqnr(n.sqnr), Qt::SolidLine});
        ov->notes[*id] = tr("SQNR %1 dB, cosine %2").arg(db(n.sqnr), QLocale().toString(n.cosine, 'f', 5));
      }
    }
    for (const auto& x : excluded_) {
      auto* item = new QTreeWidgetItem(nodes_);
      item->setText(0, QString::fromStdString(x));
      item->setText(1, tr("kept in float"));
      if (const Node* n = g.findNodeByName(x)) {
        ov->outlines[n->id()].push_back({QColor(0x80, 0x80, 0x80), Qt::DashLine});
        ov->notes[n->id()] = tr("Kept in float");
      }
    }
    QString text = tr("Output SQNR %1 dB on %n held-back sample(s)", nullptr, e.samples).arg(db(e.sqnr));
    if (e.top1Agreement) text += QStringLiteral(" · ") + tr("top-1 agreement %1%").arg(QLocale().toString(100 * *e.top1Agreement, 'f', 1));
    if (e.randomData) text += QStringLiteral("<br><b>") + tr("Random inputs: give a calibration folder for meaningful ranges and scores.") + QStringLiteral("</b>");
    for (std::size_t i = 0; i < e.excluded.size() && i < e.excludedWhy.size(); ++i)
      text += QStringLiteral("<br>") + tr("Kept %1 in float: %2").arg(QString::fromStdString(e.excluded[i]), QString::fromStdString(e.excludedWhy[i]));
    status_->setText(text);
    size_->setText(tr("Weights: %1 → %2 (%3 → %4 bytes); %5 bits per quantized weight, scales and zero points counted")
                       .arg(bytesText(e.sizes.bytesBefore), bytesText(e.sizes.bytesAfter), QLocale().toString(static_cast<qulonglong>(e.sizes.bytesBefore)),
                            QLocale().toString(static_cast<qulonglong>(e.sizes.bytesAfter)), QLocale().toString(e.sizes.bitsPerWeight(), 'f', 2)));
  } else {
    size_->clear();
  }
  nodes_->setSortingEnabled(true);
  nodes_->sortByColumn(2, Qt::AscendingOrder);
  overlay_ = result_ ? ov : nullptr;
  emit overlayChanged(overlay_);
}

QString QuantPanel::previewText() const {
  if (!result_) return tr("Calibrate first.");
  const auto& e = result_->error;
  const auto& doc = session_->document();
  std::size_t before = doc && doc->model ? doc->model->graph().nodeCount() : 0;
  std::size_t after = result_->model ? result_->model->graph().nodeCount() : 0;
  std::map<std::string, int> ops;
  if (result_->model) result_->model->graph().forEachNode([&](const Node& n) { ++ops[n.opType()]; });
  QString s = QStringLiteral("<table cellspacing=6><tr><th></th><th>%1</th><th>%2</th></tr>").arg(tr("Before"), tr("After"));
  s += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>").arg(tr("Nodes"), QString::number(before), QString::number(after));
  s += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>").arg(tr("Weights"), bytesText(e.sizes.bytesBefore), bytesText(e.sizes.bytesAfter));
  s += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>").arg(tr("Output SQNR"), QStringLiteral("∞"), db(e.sqnr) + tr(" dB"));
  s += QStringLiteral("</table><p>") + tr("Quantized nodes: %1; kept in float: %2").arg(e.nodes.size()).arg(excluded_.size()) + QStringLiteral("</p><p>");
  for (const auto& [op, count] : ops)
    if (op.find("Quantize") != std::string::npos || op.find("Integer") != std::string::npos || op == "MatMulNBits" || op == "DynamicQuantizeMatMul")
      s += QStringLiteral("%1 × %2<br>").arg(count).arg(QString::fromStdString(op));
  return s + QStringLiteral("</p>");
}

void QuantPanel::apply() {
  if (!result_ || !calibration_) return;
  auto options = currentOptions();
  auto cal = calibration_;
  // Nodes the target search kept in float are in excluded_ already. As a recipe step: the
  // settings, the data calibrate() used, the nodes kept in float by structure.
  std::vector<RecipeStep> steps{recipeStepForQuantize(*session_->document()->model, options,
                                                      folder_->text().trimmed().toStdString(), -1)};
  session_->applyEdit(tr("Quantize (%1)").arg(mode_->currentText()), [options, cal](Model& model, const ProgressFn& progress) mutable {
    options.progress = progress;
    auto r = quant::quantizeModel(model, options, cal.get());
    return r ? Status::ok() : r.status();
  }, std::move(steps));
}

void QuantPanel::updateButtons() {
  bool busy = isBusy();
  bool docReady = session_->document() && session_->document()->model && !session_->isBusy();
  calibrate_->setEnabled(!busy && docReady);
  cancel_->setEnabled(busy);
  preview_->setEnabled(!busy && result_ != nullptr);
  apply_->setEnabled(!busy && docReady && result_ != nullptr && calibrationCurrent());
  save_->setEnabled(!busy && docReady);
}

}  // namespace graft
