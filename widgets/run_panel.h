// The run panel: runs the open model on the CPU with the engine's reference evaluator (seeded
// random inputs, or inputs loaded from .npy/.pb files) off the GUI thread, and shows the values
// of any tensor of the last run (statistics, histogram, table) in the tensor viewer.
#pragma once

#include <QFutureWatcher>
#include <QMap>
#include <QWidget>

#include <atomic>
#include <memory>
#include <mutex>

#include "graft/eval.h"
#include "model_document.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace graft {

class TensorViewer;

class RunPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunPanel(QWidget* parent = nullptr);
  ~RunPanel() override;

  // A new model: the last run's values no longer apply.
  void setDocument(std::shared_ptr<const ModelDocument> document);
  // Starts a run on a worker thread (nothing when one runs or no model is open).
  void run();
  void cancel();
  bool isRunning() const;
  bool hasResults() const { return results_ != nullptr; }

  void setSeed(quint64 seed);
  // Feeds graph input `input` from a .npy or .pb file instead of random values; an empty
  // path goes back to random.
  void setInputFile(const QString& input, const QString& path);
  // Asks for files and matches them to inputs by file name (or takes the only input).
  void chooseInputFiles();

  // The tensor's values from the last run, or a weight's values, or a hint.
  void showTensor(const QString& name);
  TensorViewer* viewer() const { return viewer_; }
  QString statusText() const;
  QPushButton* runButton() const { return runButton_; }
  QPushButton* cancelButton() const { return cancelButton_; }

 signals:
  void runStarted();
  void runFinished(bool ok, const QString& message);

 private:
  struct Outcome {
    Status status;
    std::shared_ptr<const NamedArrays> values;
    double seconds = 0;
    std::size_t peakBytes = 0;
    std::size_t nodes = 0;
  };
  void onFinished();
  void updateInputsLabel();
  void pollProgress();

  std::shared_ptr<const ModelDocument> document_;
  std::shared_ptr<const NamedArrays> results_;
  QMap<QString, QString> inputFiles_;
  QString shown_;

  // Shared with the worker: cancel flag and progress (fraction, stage).
  struct Shared {
    std::atomic<bool> cancel{false};
    std::atomic<double> fraction{0};
    std::mutex mutex;
    std::string stage;
  };
  std::shared_ptr<Shared> shared_;
  QFutureWatcher<Outcome>* watcher_ = nullptr;
  QTimer* poll_ = nullptr;

  QSpinBox* seed_ = nullptr;
  QPushButton* runButton_ = nullptr;
  QPushButton* cancelButton_ = nullptr;
  QPushButton* loadButton_ = nullptr;
  QLabel* inputsLabel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  TensorViewer* viewer_ = nullptr;
};

}  // namespace graft
