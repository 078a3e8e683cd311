// Errors as values: every engine call that can fail returns a Status or a Result<T>.
// The message is written for a user: what went wrong, where, and what to do.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace graft {

// What kind of failure; callers branch on it (e.g. the CLI's exit code), users read the message.
enum class ErrorCode {
  Ok = 0,
  InvalidArgument,  // the caller asked for something impossible
  NotFound,         // a file, tensor, node or input that does not exist
  Io,               // the OS refused a read or write
  Corrupt,          // the bytes are not a valid ONNX model
  Unsafe,           // e.g. an external-data path leaving the model's folder
  Unsupported,      // valid ONNX that this build cannot handle
  Invalid,          // a well-formed model that breaks ONNX rules (checker, cycle, ...)
  Cancelled,        // the user pressed Cancel
  Internal,
};

const char* errorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool isOk() const { return code_ == ErrorCode::Ok; }
  explicit operator bool() const { return isOk(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::Ok;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  Result(ErrorCode code, std::string message) : status_(code, std::move(message)) {}

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace graft
