// The log dock's contents: a thread-safe spdlog sink that hands each message to the GUI
// thread through a queued signal, and a read-only view that colours them by level.
#pragma once

#include <QObject>
#include <QPlainTextEdit>
#include <QString>

#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <spdlog/sinks/base_sink.h>

namespace graft {

// Lives on the GUI thread; the sink emits through it from any thread.
class LogBridge : public QObject {
  Q_OBJECT
 signals:
  void message(int level, const QString& text);  // level: spdlog::level::level_enum
};

class QtLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  QtLogSink();
  ~QtLogSink() override;
  LogBridge* bridge() const { return bridge_.get(); }
  // The last messages, so a view created after they were logged still shows them.
  std::vector<std::pair<int, QString>> recent();

  // The sink every studio log view reads; attached to spdlog's default logger on first use.
  // Call first from the GUI thread before worker threads log.
  static std::shared_ptr<QtLogSink> instance();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::unique_ptr<LogBridge> bridge_;
  std::deque<std::pair<int, QString>> recent_;
};

class LogView : public QPlainTextEdit {
  Q_OBJECT

 public:
  explicit LogView(QWidget* parent = nullptr);
  // Number of messages at warning level or above since the view was created.
  int problemCount() const { return problems_; }

 public slots:
  void append(int level, const QString& text);

 signals:
  void problemLogged(int level, const QString& text);

 private:
  int problems_ = 0;
};

}  // namespace graft
