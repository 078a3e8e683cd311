// The tensor viewer: what an initializer or a Constant holds — dtype, shape, bytes, where it
// is stored, min/max/mean/std, zeros, NaN/Inf, a histogram and the first values.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/eval.h"
#include "graft/ir.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace graft {

struct TensorStats {
  std::uint64_t count = 0;     // elements read
  std::uint64_t finite = 0;
  double min = 0, max = 0, mean = 0, std = 0;
  std::uint64_t zeros = 0, nans = 0, infs = 0;
  std::vector<std::uint64_t> histogram;  // equal bins over [min, max] of the finite values
  std::vector<double> first;             // the first values in storage order
  bool numeric = true;                   // false for strings and unknown dtypes
  std::string error;                     // why the values could not be read
};

// Reads the values once to count and once to bin; never copies the tensor. `raw` is the
// tensor's raw bytes (raw_data or mapped external data), empty when it uses typed fields.
TensorStats computeTensorStats(const onnx::TensorProto& proto, std::string_view raw, int bins = 64,
                               int firstCount = 256);

class HistogramView;

class TensorViewer : public QWidget {
  Q_OBJECT

 public:
  explicit TensorViewer(QWidget* parent = nullptr);
  ~TensorViewer() override;

  // An initializer, or a value produced by a Constant node; anything else shows a hint.
  void showValue(const Value* value);
  // A value computed by a run of the model (the evaluator's array); `origin` says where it
  // came from ("computed by the last run").
  void showArray(const QString& name, const Array& array, const QString& origin);
  // Replaces the hint shown when there is nothing to show.
  void showHint(const QString& title, const QString& hint);
  void clear();
  bool isComputing() const;
  const TensorStats& stats() const { return stats_; }
  QString fieldText(const QString& field) const;  // the text shown for "Min", "Shape", ...
  // Writes the values shown to a NumPy .npy file; false with a message when nothing is shown
  // or the file cannot be written. The "Save .npy…" button asks for the file.
  bool saveNpy(const QString& path, QString* error = nullptr) const;
  bool canSave() const { return static_cast<bool>(exporter_); }

 signals:
  void statsReady();

 private:
  void showProto(const QString& name, const onnx::TensorProto& proto, std::string_view raw,
                 std::shared_ptr<const void> keepAlive, const QString& location);
  void setField(const QString& field, const QString& text);
  void onStats();

  void chooseNpyFile();

  std::function<Result<Array>()> exporter_;  // the values shown, as an array (on demand)
  QPushButton* saveNpy_ = nullptr;
  std::vector<std::pair<QString, QLabel*>> fields_;
  QLabel* title_ = nullptr;
  QLabel* hint_ = nullptr;
  HistogramView* histogram_ = nullptr;
  QTableWidget* values_ = nullptr;
  QFutureWatcher<TensorStats>* watcher_ = nullptr;
  TensorStats stats_;
  std::vector<std::int64_t> dims_;
  std::uint64_t token_ = 0;
};

}  // namespace graft
