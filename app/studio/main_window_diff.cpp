// File → Diff With… and File → Compare with Original: the open model against another file (or
// against its own file on disk after rewrites), loaded and diffed off the GUI thread, shown in a
// side-by-side DiffView window.
#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QTimer>
#include <QtConcurrent>

#include <atomic>

#include "diff/diff_view.h"
#include "graft/io.h"
#include "main_window.h"
#include "model_document.h"
#include "rewrite/rewrite_session.h"

namespace graft {

namespace {

struct DiffJob {
  std::shared_ptr<ModelDocument> a, b;
  std::shared_ptr<const ModelDiff> diff;
  Status status;
};

// A copy of the open model that later edits of the document cannot reach: the diff keeps
// pointers into both models for as long as its window is open. Made from bytes serialized on the
// GUI thread (where edits happen); analysed like a file that size would be (large ones show their
// declared types, as when they are opened).
Result<std::shared_ptr<ModelDocument>> snapshotDocument(const std::string& bytes, const std::string& sourcePath,
                                                        const std::string& sourceDir, const std::string& label,
                                                        const ProgressFn& progress) {
  auto model = loadModelFromBytes(bytes, sourceDir);
  if (!model) return model.status();
  auto copy = std::make_shared<ModelDocument>();
  copy->path = label;
  copy->model = std::move(model.value());
  copy->model->setSource(sourcePath, sourceDir);
  if (copy->model->graph().nodeCount() > kAnalyseBeforeShowingNodes) {
    copy->analysisPending = true;
    return copy;
  }
  auto analysed = analyseModel(*copy, progress);
  if (analysed) adoptAnalysis(*copy, std::move(*analysed.value()));
  else copy->analysisPending = true;
  return copy;
}

}  // namespace

void MainWindow::createDiff() {
  diffWithAction_ = new QAction(tr("&Diff With…"), this);
  diffWithAction_->setObjectName(QStringLiteral("actionDiffWith"));
  diffWithAction_->setToolTip(tr("Compare the open model with another model side by side"));
  diffWithAction_->setEnabled(false);
  connect(diffWithAction_, &QAction::triggered, this, [this] {
    QString start = document_ ? QFileInfo(QString::fromStdString(document_->path)).absolutePath() : QString();
    QString path = QFileDialog::getOpenFileName(this, tr("Diff With"), start, tr("ONNX models (*.onnx);;All files (*)"));
    if (!path.isEmpty()) diffWith(path);
  });
  compareOriginalAction_ = new QAction(tr("Compare with &Original"), this);
  compareOriginalAction_->setObjectName(QStringLiteral("actionCompareWithOriginal"));
  compareOriginalAction_->setToolTip(tr("Compare the model as edited with the file on disk"));
  compareOriginalAction_->setEnabled(false);
  connect(compareOriginalAction_, &QAction::triggered, this, &MainWindow::compareWithOriginal);
  addToFileMenu({diffWithAction_, compareOriginalAction_}, true);
  connect(this, &MainWindow::modelLoaded, this, [this] {
    diffWithAction_->setEnabled(true);
    compareOriginalAction_->setEnabled(true);
  });
}

DiffView* MainWindow::diffView() const { return diffView_; }

void MainWindow::diffWith(const QString& otherPath) {
  if (!document_ || !document_->model) return;
  startDiff(tr("Comparing with %1").arg(QFileInfo(otherPath).fileName()), otherPath.toStdString(), false);
}

void MainWindow::compareWithOriginal() {
  if (!document_ || !document_->model || document_->path.empty()) return;
  startDiff(tr("Comparing with the file on disk"), document_->path, true);
}

void MainWindow::startDiff(const QString& what, const std::string& otherPath, bool fileIsA) {
  if (diffRunning_) return;
  // A rewrite or quantization job edits the model on a worker: the snapshot must not race it.
  if (rewrite_ && rewrite_->isEditing()) {
    QString message = tr("Wait until the running rewrite has finished, then compare again.");
    if (options_.errorDialogs) QMessageBox::information(this, tr("Diff"), message);
    emit diffFailed(message);
    return;
  }
  auto bytes = serializeModel(*document_->model);
  if (!bytes) {
    QString message = QString::fromStdString(bytes.message());
    if (options_.errorDialogs) QMessageBox::warning(this, tr("Diff"), message);
    emit diffFailed(message);
    return;
  }
  auto snapshotBytes = std::make_shared<const std::string>(std::move(bytes.value()));
  std::string sourcePath = document_->model->sourcePath(), sourceDir = document_->model->sourceDir();
  diffRunning_ = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto fraction = std::make_shared<std::atomic<double>>(0.0);
  auto* dialog = new QProgressDialog(what + QStringLiteral("…"), tr("Cancel"), 0, 1000, this);
  dialog->setObjectName(QStringLiteral("diffProgress"));
  dialog->setWindowModality(Qt::WindowModal);
  dialog->setMinimumDuration(300);
  dialog->setAutoClose(false);
  dialog->setAutoReset(false);
  connect(dialog, &QProgressDialog::canceled, this, [cancel] { cancel->store(true); });
  auto* timer = new QTimer(dialog);
  connect(timer, &QTimer::timeout, dialog, [dialog, fraction] { dialog->setValue(static_cast<int>(fraction->load() * 1000)); });
  timer->start(100);

  std::shared_ptr<ModelDocument> current = document_;
  std::string currentLabel = fileIsA ? tr("%1 (as edited)").arg(QString::fromStdString(current->path)).toStdString() : current->path;
  auto stage = [cancel, fraction](double from, double to) {
    return ProgressFn([cancel, fraction, from, to](double f, std::string_view) {
      if (f >= 0) fraction->store(from + (to - from) * f);
      return !cancel->load();
    });
  };
  auto* watcher = new QFutureWatcher<DiffJob>(this);
  connect(watcher, &QFutureWatcher<DiffJob>::finished, this, [this, watcher, dialog] {
    DiffJob job = watcher->result();
    watcher->deleteLater();
    dialog->deleteLater();
    diffRunning_ = false;
    if (!job.status) {
      if (job.status.code() != ErrorCode::Cancelled) {
        QString message = QString::fromStdString(job.status.message());
        if (options_.errorDialogs) QMessageBox::warning(this, tr("Diff"), message);
        emit diffFailed(message);
      }
      return;
    }
    if (!diffView_) {
      // A window of its own, owned by this one so it goes when the studio closes.
      diffView_ = new DiffView(this);
      diffView_->setWindowFlag(Qt::Window);
      diffView_->setAttribute(Qt::WA_DeleteOnClose);
      if (testAttribute(Qt::WA_DontShowOnScreen)) diffView_->setAttribute(Qt::WA_DontShowOnScreen);
      diffView_->resize(size());
    }
    diffView_->setWindowTitle(tr("Diff — %1 ↔ %2")
                                  .arg(QFileInfo(QString::fromStdString(job.a->path)).fileName(),
                                       QFileInfo(QString::fromStdString(job.b->path)).fileName()));
    diffView_->setDiff(job.a, job.b, job.diff);
    diffView_->show();
    diffView_->raise();
    emit diffReady();
  });
  watcher->setFuture(QtConcurrent::run([snapshotBytes, sourcePath, sourceDir, currentLabel, otherPath, fileIsA, stage]() -> DiffJob {
    DiffJob job;
    auto snapshot = snapshotDocument(*snapshotBytes, sourcePath, sourceDir, currentLabel, stage(0.0, 0.3));
    if (!snapshot) {
      job.status = snapshot.status();
      return job;
    }
    auto other = openModelDocument(otherPath, stage(0.3, 0.6), kAnalyseBeforeShowingNodes);
    if (!other) {
      job.status = other.status();
      return job;
    }
    job.a = fileIsA ? other.value() : snapshot.value();
    job.b = fileIsA ? snapshot.value() : other.value();
    DiffOptions options;
    options.progress = stage(0.6, 1.0);
    auto diff = diffModels(*job.a->model, *job.b->model, options);
    if (!diff) {
      job.status = diff.status();
      return job;
    }
    job.diff = std::make_shared<const ModelDiff>(std::move(diff.value()));
    return job;
  }));
}

}  // namespace graft
