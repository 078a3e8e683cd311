// The Quantize dock: mode, encoding, block size, method, calibration folder and target SQNR;
// calibration and scoring on a worker with progress and Cancel; the per-node SQNR heatmap for the
// canvas with its legend; exclusion by click with an immediate re-score; preview and apply.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "canvas/canvas_scene.h"
#include "graft/quant.h"
#include "model_document.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace graft {

class RewriteSession;

// What a worker job hands back: a calibration (cached for re-scoring) and/or a scored candidate.
struct QuantJobResult {
  Status status;
  std::shared_ptr<quant::Calibration> calibration;
  std::shared_ptr<quant::SampleSet> samples;
  std::shared_ptr<quant::AutoResult> scored;
  bool cancelled = false;
};

class QuantPanel : public QWidget {
  Q_OBJECT

 public:
  explicit QuantPanel(RewriteSession* session, QWidget* parent = nullptr);
  ~QuantPanel() override;

  // Runs the float model over the samples (folder or seeded random), then scores the current
  // options; ends in scored() or failed(). Statistics are kept for the model revision and data,
  // so later changes of options or exclusions only re-score.
  void calibrate();
  // Quantizes a copy with the current options and exclusions and scores it on the held-back samples.
  void rescore();
  void cancel();
  bool isBusy() const { return watcher_->isRunning() || pendingStart_ != 0; }
  // Keeps a node in float (or quantizes it again) and re-scores at once.
  void toggleExclusion(const QString& nodeName);
  const std::set<std::string>& excluded() const { return excluded_; }
  // Applies the current options to the open model as one undoable step (through the rewrite session).
  void apply();
  // The before/after summary the Preview button shows.
  QString previewText() const;

  const quant::AutoResult* result() const { return result_.get(); }
  std::shared_ptr<CanvasOverlay> overlay() const { return overlay_; }
  quant::QuantizeOptions currentOptions() const;
  // SQNR colour scale of the heatmap (and its legend).
  static QColor colorForSqnr(double db);

  QComboBox* modeBox() const { return mode_; }
  QComboBox* encodingBox() const { return encoding_; }
  QComboBox* methodBox() const { return method_; }
  QSpinBox* blockSizeBox() const { return block_; }
  QCheckBox* symmetricBox() const { return symmetric_; }
  QCheckBox* clickToExcludeBox() const { return clickExclude_; }
  QLineEdit* folderEdit() const { return folder_; }
  QDoubleSpinBox* targetBox() const { return target_; }
  QPushButton* calibrateButton() const { return calibrate_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* previewButton() const { return preview_; }
  QPushButton* applyButton() const { return apply_; }
  QTreeWidget* nodeTree() const { return nodes_; }
  QLabel* sizeLabel() const { return size_; }
  QLabel* legendLabel() const { return legend_; }

 signals:
  void scored();
  void failed(const QString& message);
  void busyChanged(bool busy);
  void overlayChanged(std::shared_ptr<graft::CanvasOverlay> overlay);
  void saveRequested();

 private:
  void start(bool calibrateFirst);
  void finished();
  void rebuild();
  void updateButtons();
  void onModeChanged();
  bool calibrationCurrent() const;

  RewriteSession* session_;
  QComboBox *mode_, *encoding_, *method_, *backend_;
  QSpinBox* block_;
  QCheckBox *symmetric_, *clickExclude_, *useTarget_;
  QLineEdit* folder_;
  QDoubleSpinBox* target_;
  QPushButton *browse_, *calibrate_, *cancel_, *preview_, *apply_, *save_;
  QProgressBar* progress_;
  QLabel *status_, *size_, *legend_;
  QTreeWidget* nodes_;

  QFutureWatcher<QuantJobResult>* watcher_;
  std::shared_ptr<std::atomic<bool>> cancelFlag_;
  std::shared_ptr<std::atomic<double>> progressValue_;
  QTimer* progressTimer_;
  std::shared_ptr<quant::Calibration> calibration_;
  std::shared_ptr<quant::SampleSet> samples_;
  std::shared_ptr<quant::AutoResult> result_;
  std::shared_ptr<CanvasOverlay> overlay_;
  std::set<std::string> excluded_;
  bool rescoreQueued_ = false;
  int pendingStart_ = 0;  // 1: score, 2: calibrate, once the session's job ends
};

}  // namespace graft
