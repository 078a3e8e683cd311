#include "log_view.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCharFormat>
#include <QTextCursor>

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace graft {

namespace {
constexpr size_t kRecent = 500;
}

QtLogSink::QtLogSink() : bridge_(std::make_unique<LogBridge>()) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>("%H:%M:%S.%e %-7l %v", spdlog::pattern_time_type::local,
                                                            std::string()));
}

QtLogSink::~QtLogSink() = default;

std::vector<std::pair<int, QString>> QtLogSink::recent() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {recent_.begin(), recent_.end()};
}

void QtLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  // base_sink holds mutex_ here, so recent_ and the formatter are safe from any thread.
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  QString text = QString::fromUtf8(formatted.data(), static_cast<qsizetype>(formatted.size()));
  int level = static_cast<int>(msg.level);
  recent_.emplace_back(level, text);
  if (recent_.size() > kRecent) recent_.pop_front();
  emit bridge_->message(level, text);
}

std::shared_ptr<QtLogSink> QtLogSink::instance() {
  static std::shared_ptr<QtLogSink> sink = [] {
    auto s = std::make_shared<QtLogSink>();
    // A logger's sink list is not safe to change while others log, so the default logger is
    // replaced by one that has the same sinks plus this one.
    auto old = spdlog::default_logger();
    std::vector<spdlog::sink_ptr> sinks = old->sinks();
    sinks.push_back(s);
    auto logger = std::make_shared<spdlog::logger>(old->name(), sinks.begin(), sinks.end());
    logger->set_level(old->level());
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return s;
  }();
  return sink;
}

LogView::LogView(QWidget* parent) : QPlainTextEdit(parent) {
  setReadOnly(true);
  setMaximumBlockCount(5000);
  setLineWrapMode(QPlainTextEdit::NoWrap);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  setFont(mono);
  auto sink = QtLogSink::instance();
  for (const auto& [level, text] : sink->recent()) append(level, text);
  connect(sink->bridge(), &LogBridge::message, this, &LogView::append, Qt::QueuedConnection);
}

void LogView::append(int level, const QString& text) {
  // Colours for warnings and errors are picked for the current palette's lightness, so they
  // read on light and dark themes; info keeps the palette's own text colour.
  const bool dark = palette().color(QPalette::Base).lightness() < 128;
  QTextCharFormat format;
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      format.setForeground(palette().brush(QPalette::PlaceholderText));
      break;
    case spdlog::level::warn:
      format.setForeground(dark ? QColor(0xe3, 0xb3, 0x41) : QColor(0x8a, 0x5a, 0x00));
      break;
    case spdlog::level::err:
    case spdlog::level::critical:
      format.setForeground(dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xb3, 0x26, 0x1e));
      format.setFontWeight(QFont::Bold);
      break;
    default:
      break;
  }
  const bool atBottom = verticalScrollBar()->value() == verticalScrollBar()->maximum();
  QTextCursor cursor(document());
  cursor.movePosition(QTextCursor::End);
  if (!document()->isEmpty()) cursor.insertBlock();
  cursor.insertText(text, format);
  if (atBottom) verticalScrollBar()->setValue(verticalScrollBar()->maximum());
  if (level >= spdlog::level::warn && level <= spdlog::level::critical) {
    ++problems_;
    emit problemLogged(level, text);
  }
}

}  // namespace graft
