// Shared text handling of rule and profile files: a cursor with line/column tracking, and the
// parsers for conditions, literals and number expressions (so both files speak one language).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "graft/pattern.h"
#include "graft/result.h"

namespace graft::text {

// Walks a file keeping line and column (1-based) for messages.
class Cursor {
 public:
  Cursor(const std::string& text, std::string file) : text_(text), file_(std::move(file)) {}

  bool atEnd() const { return i_ >= text_.size(); }
  char peek(size_t ahead = 0) const { return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0'; }
  void advance(size_t n = 1);
  // Skips spaces, newlines and # comments.
  void skipSpace();
  // Skips spaces and comments but stops at the end of the line.
  void skipInlineSpace();
  bool consume(std::string_view s);     // after skipSpace
  std::string word();                   // [A-Za-z0-9_.\-:]+ (may be empty)
  std::string restOfLine();             // up to '#' (outside quotes) or newline, trimmed
  // `{ ... }` with nested braces, skipping strings and comments; returns it with the braces.
  Result<std::string> braced(SourcePos* start);
  SourcePos pos() const { return {file_, line_, col_}; }
  size_t offset() const { return i_; }
  const std::string& file() const { return file_; }

  Status error(const std::string& what) const { return error(pos(), what); }
  static Status error(const SourcePos& at, const std::string& what) {
    return {ErrorCode::InvalidArgument, at.str() + ": " + what};
  }

 private:
  const std::string& text_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

std::string trim(std::string_view s);
// Splits on commas that are not inside brackets, parentheses or quotes.
std::vector<std::string> splitTopLevel(std::string_view s, char sep = ',');

// "float32"/"float"/"f32"... -> onnx TensorProto_DataType, 0 when unknown.
std::int32_t dtypeFromName(std::string_view name);

// A literal as written in a condition, a `let` or a profile: number expression, list, "string", dtype.
Result<Literal> parseLiteral(const std::string& text, bool dtypeContext);
// One `where` line.
Result<Condition> parseCondition(const std::string& line, const SourcePos& pos);
// `let NAME = TERM` (without `let`).
Result<Binding> parseBinding(const std::string& text, const SourcePos& pos);

}  // namespace graft::text
