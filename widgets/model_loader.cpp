#include "model_loader.h"

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

namespace graft {

ModelLoader::ModelLoader(QObject* parent) : QObject(parent) {}

ModelLoader::~ModelLoader() {
  for (auto& [job, future] : running_) job->cancel = true;
  for (auto& [job, future] : running_) future.waitForFinished();
}

bool ModelLoader::isRunning() const { return watcher_ != nullptr; }

void ModelLoader::cancel() {
  if (job_) job_->cancel = true;
}

void ModelLoader::open(const QString& path) {
  if (analysisJob_) {
    analysisJob_->cancel = true;
    analysisJob_.reset();
  }
  if (job_) {
    // The running open is dropped: finished() ignores it, the cleanup below still runs.
    job_->cancel = true;
    watcher_ = nullptr;
  }
  auto job = std::make_shared<Job>();
  job_ = job;
  path_ = path;

  auto clock = std::make_shared<QElapsedTimer>();
  clock->start();
  ProgressFn progress = [this, job, clock](double fraction, std::string_view stage) {
    if (job->cancel) return false;
    long long now = clock->elapsed();
    bool newStage = stage != job->lastStage;
    if (newStage || fraction >= 1.0 || now - job->lastReportMs >= 40) {
      job->lastReportMs = now;
      if (newStage) job->lastStage = std::string(stage);
      QString text = QString::fromUtf8(stage.data(), static_cast<qsizetype>(stage.size()));
      // Delivered on the GUI thread; dropped if this loader is gone or has moved on.
      QMetaObject::invokeMethod(
          this,
          [this, job, fraction, text] {
            if (job == job_) emit progressChanged(fraction, text);
          },
          Qt::QueuedConnection);
    }
    return !job->cancel.load();
  };

  auto* watcher = new QFutureWatcher<Outcome>(this);
  watcher_ = watcher;
  connect(watcher, &QFutureWatcher<Outcome>::finished, this,
          [this, watcher, job, path] { finished(watcher, job, path); });
  // Stale watchers too have to go away when their worker ends.
  connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, job, watcher] {
    std::erase_if(running_, [&](const auto& entry) { return entry.first == job; });
    watcher->deleteLater();
  });

  std::string file = path.toStdString();
  spdlog::info("Opening {}", file);
  QFuture<Outcome> future = QtConcurrent::run([file, progress]() -> Outcome {
    try {
      auto result = openModelDocument(file, progress, kAnalyseBeforeShowingNodes);
      if (result) return {std::move(result.value()), Status::ok()};
      return {nullptr, result.status()};
    } catch (const std::exception& e) {
      // The engine promises values, not exceptions; this keeps the studio alive if one slips out.
      return {nullptr, Status(ErrorCode::Internal, std::string("Unexpected error while opening the model: ") + e.what())};
    }
  });
  running_.emplace_back(job, future);
  watcher->setFuture(future);
}

void ModelLoader::finished(QFutureWatcher<Outcome>* watcher, std::shared_ptr<Job> job, QString path) {
  if (job != job_) return;
  Outcome outcome = watcher->result();
  watcher_ = nullptr;
  job_.reset();
  if (outcome.document) {
    emit loaded(outcome.document);
    if (outcome.document->analysisPending) analyseLater(outcome.document);
  } else if (outcome.status.code() == ErrorCode::Cancelled || job->cancel) {
    spdlog::info("Cancelled opening {}", path.toStdString());
    emit cancelled(path);
  } else {
    spdlog::error("{}", outcome.status.message());
    emit failed(path, QString::fromStdString(outcome.status.message()));
  }
}

void ModelLoader::analyseLater(std::shared_ptr<ModelDocument> document) {
  auto job = std::make_shared<Job>();
  analysisJob_ = job;
  ProgressFn progress = [job](double, std::string_view) { return !job->cancel.load(); };
  auto* watcher = new QFutureWatcher<Outcome>(this);
  connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher, job, document] {
    std::erase_if(running_, [&](const auto& entry) { return entry.first == job; });
    watcher->deleteLater();
    if (job != analysisJob_) return;
    analysisJob_.reset();
    Outcome outcome = watcher->result();
    if (outcome.document) {
      emit analysed(document, outcome.document);
    } else if (outcome.status.code() != ErrorCode::Cancelled) {
      spdlog::error("Analysing {}: {}", document->path, outcome.status.message());
    }
  });
  // Reads the model only; the studio keeps edits away from it until analysed() arrives.
  QFuture<Outcome> future = QtConcurrent::run([document, progress]() -> Outcome {
    try {
      auto result = analyseModel(*document, progress);
      if (result) return {std::move(result.value()), Status::ok()};
      return {nullptr, result.status()};
    } catch (const std::exception& e) {
      return {nullptr, Status(ErrorCode::Internal, std::string("Unexpected error while analysing the model: ") + e.what())};
    }
  });
  running_.emplace_back(job, future);
  watcher->setFuture(future);
}

}  // namespace graft
