// Opens a model off the GUI thread: load, inference, statistics and validation on a worker,
// with progress and Cancel, delivering a ModelDocument (or the engine's error) on the GUI thread.
// A large model is delivered right after loading and analysed afterwards (see analysed()).
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model_document.h"

namespace graft {

class ModelLoader : public QObject {
  Q_OBJECT

 public:
  explicit ModelLoader(QObject* parent = nullptr);
  ~ModelLoader() override;  // cancels and waits for a running open

  // Starts opening `path`; an open still running is cancelled and its result dropped.
  void open(const QString& path);
  void cancel();
  bool isRunning() const;
  QString currentPath() const { return path_; }

 signals:
  void progressChanged(double fraction, const QString& stage);  // fraction < 0: unknown
  void loaded(std::shared_ptr<graft::ModelDocument> document);
  // The background analysis of a document delivered with analysisPending: `analysis` is to be
  // adopted into `document` (adoptAnalysis) on the GUI thread. Not sent when the open was
  // superseded or the loader is going away.
  void analysed(std::shared_ptr<graft::ModelDocument> document, std::shared_ptr<graft::ModelDocument> analysis);
  void failed(const QString& path, const QString& message);
  void cancelled(const QString& path);

 private:
  struct Job {
    std::atomic<bool> cancel{false};
    // Touched by the worker only: throttles progress so the GUI queue is not flooded.
    long long lastReportMs = -1000;
    std::string lastStage;
  };
  struct Outcome {
    std::shared_ptr<ModelDocument> document;
    Status status;
  };

  void finished(QFutureWatcher<Outcome>* watcher, std::shared_ptr<Job> job, QString path);
  void analyseLater(std::shared_ptr<ModelDocument> document);

  std::shared_ptr<Job> job_;  // the open whose result counts
  std::shared_ptr<Job> analysisJob_;  // the background analysis whose result counts
  QFutureWatcher<Outcome>* watcher_ = nullptr;
  // Every worker still running, stale ones included: the destructor waits for them all,
  // because their progress callbacks point at this loader.
  std::vector<std::pair<std::shared_ptr<Job>, QFuture<Outcome>>> running_;
  QString path_;
};

}  // namespace graft

Q_DECLARE_METATYPE(std::shared_ptr<graft::ModelDocument>)
