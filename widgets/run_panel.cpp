#include "run_panel.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>

#include "canvas/tensor_viewer.h"
#include "format.h"

namespace graft {

RunPanel::RunPanel(QWidget* parent) : QWidget(parent), shared_(std::make_shared<Shared>()) {
  setObjectName(QStringLiteral("runPanel"));
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(4, 4, 4, 4);

  // Run and Cancel first: the panel is wider than a narrow dock (the viewer wants ~560 px)
  // and scrolls; buttons at the right end were cut off there.
  auto* row = new QHBoxLayout;
  runButton_ = new QPushButton(tr("Run"), this);
  runButton_->setObjectName(QStringLiteral("runButton"));
  connect(runButton_, &QPushButton::clicked, this, &RunPanel::run);
  row->addWidget(runButton_);
  cancelButton_ = new QPushButton(tr("Cancel"), this);
  cancelButton_->setObjectName(QStringLiteral("runCancelButton"));
  cancelButton_->setEnabled(false);
  connect(cancelButton_, &QPushButton::clicked, this, &RunPanel::cancel);
  row->addWidget(cancelButton_);
  row->addSpacing(12);
  row->addWidget(new QLabel(tr("Seed"), this));
  seed_ = new QSpinBox(this);
  seed_->setObjectName(QStringLiteral("runSeed"));
  seed_->setRange(0, 1'000'000);
  seed_->setToolTip(tr("Random inputs are drawn from this seed: the same seed gives the same inputs."));
  row->addWidget(seed_);
  loadButton_ = new QPushButton(tr("Load Inputs…"), this);
  loadButton_->setObjectName(QStringLiteral("runLoadInputs"));
  loadButton_->setToolTip(tr("Feed inputs from .npy or .pb files (matched to inputs by file name)."));
  connect(loadButton_, &QPushButton::clicked, this, &RunPanel::chooseInputFiles);
  row->addWidget(loadButton_);
  row->addStretch();
  outer->addLayout(row);

  inputsLabel_ = new QLabel(this);
  inputsLabel_->setWordWrap(true);
  inputsLabel_->setForegroundRole(QPalette::PlaceholderText);
  outer->addWidget(inputsLabel_);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(false);
  progress_->hide();
  outer->addWidget(progress_);
  status_ = new QLabel(this);
  status_->setObjectName(QStringLiteral("runStatus"));
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  outer->addWidget(status_);

  viewer_ = new TensorViewer(this);
  outer->addWidget(viewer_, 1);

  watcher_ = new QFutureWatcher<Outcome>(this);
  connect(watcher_, &QFutureWatcher<Outcome>::finished, this, &RunPanel::onFinished);
  poll_ = new QTimer(this);
  poll_->setInterval(100);
  connect(poll_, &QTimer::timeout, this, &RunPanel::pollProgress);
  setDocument(nullptr);
}

RunPanel::~RunPanel() {
  shared_->cancel = true;
  watcher_->waitForFinished();
}

void RunPanel::setDocument(std::shared_ptr<const ModelDocument> document) {
  cancel();
  document_ = std::move(document);
  results_.reset();
  inputFiles_.clear();
  shown_.clear();
  runButton_->setEnabled(document_ && !isRunning());
  loadButton_->setEnabled(document_ != nullptr);
  status_->setText(document_ ? tr("Run the model to see the values of every tensor: click an edge or a tensor name afterwards.")
                             : tr("Open a model to run it."));
  viewer_->showHint(tr("Values"), tr("Weights and constants show their values any time; every other tensor after a run."));
  updateInputsLabel();
}

bool RunPanel::isRunning() const { return watcher_->isRunning(); }

void RunPanel::setSeed(quint64 seed) { seed_->setValue(static_cast<int>(seed)); }

void RunPanel::setInputFile(const QString& input, const QString& path) {
  if (path.isEmpty()) inputFiles_.remove(input);
  else inputFiles_[input] = path;
  updateInputsLabel();
}

void RunPanel::chooseInputFiles() {
  if (!document_) return;
  QStringList files = QFileDialog::getOpenFileNames(this, tr("Load Inputs"), QString(),
                                                    tr("Arrays (*.npy *.pb);;All files (*)"));
  if (files.isEmpty()) return;
  std::vector<InputSpec> specs = modelInputs(*document_->model);
  QStringList unmatched;
  for (const QString& f : files) {
    QString base = QFileInfo(f).completeBaseName();
    bool matched = false;
    for (const auto& s : specs) {
      QString name = QString::fromStdString(s.name);
      // Files written by `graft-cli run --output-dir` replace unsafe characters with '_'.
      QString safe = name;
      for (QChar& c : safe)
        if (!(c.isLetterOrNumber() || c == '_' || c == '.' || c == '-')) c = '_';
      if (base == name || base == safe) {
        setInputFile(name, f);
        matched = true;
      }
    }
    if (!matched && specs.size() == 1 && files.size() == 1) {
      setInputFile(QString::fromStdString(specs[0].name), f);
      matched = true;
    }
    if (!matched) unmatched << QFileInfo(f).fileName();
  }
  if (!unmatched.isEmpty())
    status_->setText(tr("No input is named like %1: name each file after the input it feeds.").arg(unmatched.join(QStringLiteral(", "))));
}

void RunPanel::updateInputsLabel() {
  if (!document_) {
    inputsLabel_->clear();
    return;
  }
  QStringList parts;
  for (const auto& s : modelInputs(*document_->model)) {
    QString name = QString::fromStdString(s.name);
    parts << (inputFiles_.contains(name) ? tr("%1 from %2").arg(name, QFileInfo(inputFiles_[name]).fileName())
                                         : tr("%1 random").arg(name));
  }
  inputsLabel_->setText(tr("Inputs: %1").arg(parts.isEmpty() ? tr("none") : parts.join(QStringLiteral("; "))));
}

void RunPanel::run() {
  if (!document_ || !document_->model || isRunning()) return;
  shared_ = std::make_shared<Shared>();
  results_.reset();
  auto shared = shared_;
  auto document = document_;
  auto seed = static_cast<std::uint64_t>(seed_->value());
  std::map<std::string, std::string> files;
  for (auto it = inputFiles_.begin(); it != inputFiles_.end(); ++it) files[it.key().toStdString()] = it.value().toStdString();
  runButton_->setEnabled(false);
  cancelButton_->setEnabled(true);
  progress_->setValue(0);
  progress_->show();
  status_->setText(tr("Running…"));
  poll_->start();
  emit runStarted();
  // The worker reads the model; the studio does not edit it while a run is going (a new
  // document cancels the run first, and the document is kept alive by this capture).
  watcher_->setFuture(QtConcurrent::run([document, shared, seed, files]() -> Outcome {
    Outcome out;
    auto t0 = std::chrono::steady_clock::now();
    const Model& model = *document->model;
    auto inputs = randomInputs(model, seed);
    if (!inputs) {
      out.status = inputs.status();
      return out;
    }
    for (const auto& [name, path] : files) {
      auto a = readArrayFile(path);
      if (!a) {
        out.status = Status(a.status().code(), "input '" + name + "': " + a.message());
        return out;
      }
      inputs.value()[name] = a.value();
    }
    auto ev = Evaluator::create(model);
    if (!ev) {
      out.status = ev.status();
      return out;
    }
    EvalOptions options;
    options.keepAllValues = true;
    options.progress = [shared](double f, std::string_view stage) {
      shared->fraction = f;
      {
        std::lock_guard<std::mutex> lock(shared->mutex);
        shared->stage.assign(stage);
      }
      return !shared->cancel.load();
    };
    auto r = ev.value()->run(inputs.value(), options);
    if (!r) {
      out.status = r.status();
      return out;
    }
    // The inputs are values of the run too.
    for (auto& [name, a] : inputs.value()) r.value().emplace(name, a);
    out.values = std::make_shared<const NamedArrays>(std::move(r.value()));
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.peakBytes = ev.value()->lastStats().peakBytes;
    out.nodes = ev.value()->lastStats().nodesRun;
    return out;
  }));
}

void RunPanel::cancel() {
  if (!isRunning()) return;
  shared_->cancel = true;
  status_->setText(tr("Cancelling…"));
  cancelButton_->setEnabled(false);
}

void RunPanel::pollProgress() {
  progress_->setValue(static_cast<int>(shared_->fraction.load() * 1000));
  std::string stage;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    stage = shared_->stage;
  }
  if (!stage.empty() && !shared_->cancel) status_->setText(tr("Running %1…").arg(QString::fromStdString(stage)));
}

void RunPanel::onFinished() {
  poll_->stop();
  progress_->hide();
  cancelButton_->setEnabled(false);
  runButton_->setEnabled(document_ != nullptr);
  Outcome out = watcher_->result();
  if (!out.status) {
    bool cancelled = out.status.code() == ErrorCode::Cancelled || shared_->cancel;
    QString message = cancelled ? tr("Run cancelled.") : tr("Run failed: %1").arg(QString::fromStdString(out.status.message()));
    status_->setText(message);
    emit runFinished(false, message);
    return;
  }
  results_ = out.values;
  QString message = tr("Ran %n node(s) in %1 s; peak activations %2. Click an edge or a tensor name to see its values.", nullptr,
                       static_cast<int>(out.nodes))
                        .arg(out.seconds, 0, 'f', 2)
                        .arg(formatBytes(out.peakBytes));
  status_->setText(message);
  if (!shown_.isEmpty()) showTensor(shown_);
  emit runFinished(true, message);
}

QString RunPanel::statusText() const { return status_->text(); }

void RunPanel::showTensor(const QString& name) {
  shown_ = name;
  if (results_) {
    if (auto it = results_->find(name.toStdString()); it != results_->end()) {
      viewer_->showArray(name, it->second, tr("computed by the last run (seed %1)").arg(seed_->value()));
      return;
    }
  }
  if (document_ && document_->model) {
    if (const Value* v = document_->model->graph().findValue(name.toStdString());
        v && (v->isInitializer() || (v->producer() && v->producer()->opType() == "Constant"))) {
      viewer_->showValue(v);
      return;
    }
  }
  viewer_->showHint(name, results_ ? tr("'%1' is not a value of the main graph's last run (inside a subgraph?).").arg(name)
                                   : tr("'%1' is computed while the model runs: press Run to see its values.").arg(name));
}

}  // namespace graft
