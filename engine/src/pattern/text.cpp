#include "pattern/text.h"

#include "graft/numbers.h"

#include <cctype>
#include <cmath>
#include <map>
#include <numbers>

namespace graft {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Literal::str() const {
  auto num = [](double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    return formatGeneral(v);
  };
  switch (kind) {
    case Kind::Number: return num(number);
    case Kind::String: return "\"" + text + "\"";
    case Kind::DType: return text;
    case Kind::List: {
      std::string s = "[";
      for (size_t i = 0; i < list.size(); ++i) {
        if (i) s += ", ";
        s += (i < unknown.size() && unknown[i]) ? "?" : num(list[i]);
      }
      return s + "]";
    }
  }
  return {};
}

namespace {

// Recursive descent over + - * / ^, unary minus, parentheses, pi, e and a few functions.
class ExprParser {
 public:
  explicit ExprParser(std::string_view s) : s_(s) {}
  Result<double> parse() {
    auto v = sum();
    if (!v) return v;
    space();
    if (i_ != s_.size()) return fail("unexpected '" + std::string(s_.substr(i_)) + "'");
    return v;
  }

 private:
  Result<double> fail(const std::string& what) {
    return Status(ErrorCode::InvalidArgument, "bad number expression '" + std::string(s_) + "': " + what);
  }
  void space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<double> sum() {
    auto a = product();
    if (!a) return a;
    double v = *a;
    for (;;) {
      if (eat('+')) {
        auto b = product();
        if (!b) return b;
        v += *b;
      } else if (eat('-')) {
        auto b = product();
        if (!b) return b;
        v -= *b;
      } else {
        return v;
      }
    }
  }
  Result<double> product() {
    auto a = unary();
    if (!a) return a;
    double v = *a;
    for (;;) {
      if (eat('*')) {
        auto b = unary();
        if (!b) return b;
        v *= *b;
      } else if (eat('/')) {
        auto b = unary();
        if (!b) return b;
        v /= *b;
      } else {
        return v;
      }
    }
  }
  // Unary minus binds looser than '^' (-2^2 is -4), as in mathematics.
  Result<double> unary() {
    if (eat('-')) {
      auto v = unary();
      if (!v) return v;
      return -*v;
    }
    if (eat('+')) return unary();
    return power();
  }
  Result<double> power() {
    auto a = atom();
    if (!a) return a;
    if (eat('^')) {
      auto b = unary();
      if (!b) return b;
      return std::pow(*a, *b);
    }
    return a;
  }
  Result<double> atom() {
    space();
    if (eat('(')) {
      auto v = sum();
      if (!v) return v;
      if (!eat(')')) return fail("missing ')'");
      return v;
    }
    if (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) {
      size_t start = i_;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) ++i_;
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        size_t save = i_++;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
          while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        } else {
          i_ = save;
        }
      }
      // Not std::stod: it reads the C locale's decimal point, and under de_DE "0.5" stops at ".".
      if (auto v = parseNumber(s_.substr(start, i_ - start))) return *v;
      return fail("'" + std::string(s_.substr(start, i_ - start)) + "' is not a number");
    }
    if (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) {
      size_t start = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
      std::string id(s_.substr(start, i_ - start));
      if (id == "pi") return std::numbers::pi;
      if (id == "e") return std::numbers::e;
      if (id == "inf") return INFINITY;
      static const std::map<std::string, double (*)(double)> fns = {
          {"sqrt", [](double x) { return std::sqrt(x); }},
          {"exp", [](double x) { return std::exp(x); }},
          {"log", [](double x) { return std::log(x); }},
          {"abs", [](double x) { return std::fabs(x); }},
          {"tanh", [](double x) { return std::tanh(x); }},
      };
      auto f = fns.find(id);
      if (f == fns.end()) return fail("unknown name '" + id + "' (known: pi, e, inf, sqrt, exp, log, abs, tanh)");
      if (!eat('(')) return fail("'" + id + "' needs parentheses");
      auto v = sum();
      if (!v) return v;
      if (!eat(')')) return fail("missing ')'");
      return f->second(*v);
    }
    return fail(i_ < s_.size() ? "unexpected '" + std::string(1, s_[i_]) + "'" : "it ends too early");
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<double> evalNumberExpression(const std::string& text) { return ExprParser(text).parse(); }

namespace text {

void Cursor::advance(size_t n) {
  for (size_t k = 0; k < n && i_ < text_.size(); ++k) {
    if (text_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
}

void Cursor::skipSpace() {
  for (;;) {
    while (!atEnd() && std::isspace(static_cast<unsigned char>(peek()))) advance();
    if (peek() == '#') {
      while (!atEnd() && peek() != '\n') advance();
      continue;
    }
    return;
  }
}

void Cursor::skipInlineSpace() {
  while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) advance();
}

bool Cursor::consume(std::string_view s) {
  skipSpace();
  if (text_.compare(i_, s.size(), s) == 0) {
    advance(s.size());
    return true;
  }
  return false;
}

std::string Cursor::word() {
  skipSpace();
  std::string w;
  while (!atEnd()) {
    char c = peek();
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ':') {
      // ':' ends a word when followed by space (the `key: value` separator).
      if (c == ':' && (peek(1) == ' ' || peek(1) == '\t' || peek(1) == '\n' || peek(1) == '\0')) break;
      w += c;
      advance();
    } else {
      break;
    }
  }
  return w;
}

std::string Cursor::restOfLine() {
  skipInlineSpace();
  std::string s;
  bool quoted = false;
  while (!atEnd() && peek() != '\n') {
    char c = peek();
    if (c == '"') quoted = !quoted;
    if (c == '#' && !quoted) {
      while (!atEnd() && peek() != '\n') advance();
      break;
    }
    s += c;
    advance();
  }
  return trim(s);
}

Result<std::string> Cursor::braced(SourcePos* start) {
  skipSpace();
  if (start) *start = pos();
  if (peek() != '{') return error("expected '{'");
  size_t begin = i_;
  int depth = 0;
  SourcePos open = pos();
  while (!atEnd()) {
    char c = peek();
    if (c == '"') {
      advance();
      while (!atEnd() && peek() != '"' && peek() != '\n') advance();
    } else if (c == '#') {
      while (!atEnd() && peek() != '\n') advance();
      continue;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) {
        advance();
        return text_.substr(begin, i_ - begin);
      }
    }
    advance();
  }
  return error(open, "this '{' is never closed");
}

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

std::vector<std::string> splitTopLevel(std::string_view s, char sep) {
  std::vector<std::string> parts;
  int depth = 0;
  bool quoted = false;
  std::string cur;
  for (char c : s) {
    if (c == '"') quoted = !quoted;
    if (!quoted) {
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      if (c == sep && depth == 0) {
        parts.push_back(trim(cur));
        cur.clear();
        continue;
      }
    }
    cur += c;
  }
  if (!trim(cur).empty() || !parts.empty()) parts.push_back(trim(cur));
  return parts;
}

std::int32_t dtypeFromName(std::string_view n) {
  static const std::map<std::string, std::int32_t, std::less<>> names = {
      {"float", 1},   {"float32", 1}, {"uint8", 2},    {"int8", 3},     {"uint16", 4},  {"int16", 5},
      {"int32", 6},   {"int64", 7},   {"string", 8},   {"bool", 9},     {"float16", 10}, {"half", 10},
      {"double", 11}, {"float64", 11}, {"uint32", 12}, {"uint64", 13},  {"bfloat16", 16},
  };
  auto it = names.find(n);
  return it == names.end() ? 0 : it->second;
}

Result<Literal> parseLiteral(const std::string& raw, bool dtypeContext) {
  std::string t = trim(raw);
  Literal lit;
  if (t.empty()) return Status(ErrorCode::InvalidArgument, "a value is missing");
  if (t.front() == '"') {
    if (t.size() < 2 || t.back() != '"') return Status(ErrorCode::InvalidArgument, "string " + t + " is not closed");
    lit.kind = Literal::Kind::String;
    lit.text = t.substr(1, t.size() - 2);
    return lit;
  }
  if (t.front() == '[') {
    if (t.back() != ']') return Status(ErrorCode::InvalidArgument, "list " + t + " has no closing ']'");
    lit.kind = Literal::Kind::List;
    for (const auto& item : splitTopLevel(std::string_view(t).substr(1, t.size() - 2))) {
      if (item.empty()) continue;
      if (item == "?") {
        lit.list.push_back(0);
        lit.unknown.push_back(true);
        continue;
      }
      auto v = evalNumberExpression(item);
      if (!v) return v.status();
      lit.list.push_back(*v);
      lit.unknown.push_back(false);
    }
    return lit;
  }
  if (std::int32_t dt = dtypeFromName(t); dt && (dtypeContext || !std::isdigit(static_cast<unsigned char>(t[0])))) {
    lit.kind = Literal::Kind::DType;
    lit.text = t;
    lit.dtype = dt;
    return lit;
  }
  if (dtypeContext) return Status(ErrorCode::InvalidArgument, "'" + t + "' is not a dtype (float32, float16, int64, ...)");
  auto v = evalNumberExpression(t);
  if (!v) return v.status();
  lit.number = *v;
  lit.isInteger = t.find_first_of(".eE") == std::string::npos || (t.find_first_not_of("-0123456789") == std::string::npos);
  lit.isInteger = lit.isInteger && std::floor(*v) == *v;
  return lit;
}

namespace {

struct Call {
  std::string fn;
  std::vector<std::string> args;
  size_t end = 0;  // index after ')'
};

// "name(a, b)" at the start of s.
Result<Call> parseCall(const std::string& s) {
  Call c;
  size_t i = 0;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  c.fn = s.substr(0, i);
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (c.fn.empty() || j >= s.size() || s[j] != '(')
    return Status(ErrorCode::InvalidArgument, "expected a condition such as constant(x), rank(x) == 3 or "
                                              "value(c) == 0.5; got '" + s + "'");
  int depth = 0;
  size_t k = j;
  for (; k < s.size(); ++k) {
    if (s[k] == '(') ++depth;
    if (s[k] == ')' && --depth == 0) break;
  }
  if (k >= s.size()) return Status(ErrorCode::InvalidArgument, "missing ')' in '" + s + "'");
  c.args = splitTopLevel(std::string_view(s).substr(j + 1, k - j - 1));
  c.end = k + 1;
  return c;
}

Status termFromCall(const Call& c, Condition::Term& term, std::vector<std::string>& args, std::string& attribute) {
  static const std::map<std::string, std::pair<Condition::Term, size_t>> terms = {
      {"rank", {Condition::Term::Rank, 1}},   {"shape", {Condition::Term::Shape, 1}},
      {"dtype", {Condition::Term::DType, 1}}, {"attr", {Condition::Term::Attr, 2}},
      {"axes", {Condition::Term::Axes, 1}},   {"value", {Condition::Term::Value, 1}},
  };
  auto it = terms.find(c.fn);
  if (it == terms.end())
    return {ErrorCode::InvalidArgument, "unknown term '" + c.fn + "' (known: rank, shape, dtype, attr, axes, value)"};
  if (c.args.size() != it->second.second)
    return {ErrorCode::InvalidArgument, c.fn + "() takes " + std::to_string(it->second.second) + " argument" +
                                            (it->second.second > 1 ? "s" : "")};
  term = it->second.first;
  args.push_back(c.args[0]);
  if (term == Condition::Term::Attr) attribute = c.args[1];
  return Status::ok();
}

}  // namespace

Result<Condition> parseCondition(const std::string& line, const SourcePos& pos) {
  Condition cond;
  cond.text = trim(line);
  cond.pos = pos;
  std::string s = cond.text;
  auto bad = [&](const std::string& what) { return Status(ErrorCode::InvalidArgument, what); };
  if (s.rfind("not ", 0) == 0) {
    cond.negated = true;
    s = trim(s.substr(4));
  }
  auto call = parseCall(s);
  if (!call) return call.status();
  std::string rest = trim(s.substr(call->end));
  static const std::map<std::string, Condition::Kind> preds = {
      {"constant", Condition::Kind::Constant},
      {"initializer", Condition::Kind::Initializer},
      {"single_consumer", Condition::Kind::SingleConsumer},
      {"broadcastable", Condition::Kind::Broadcastable},
      {"last_axis", Condition::Kind::LastAxis},
  };
  if (auto p = preds.find(call->fn); p != preds.end()) {
    if (!rest.empty()) return bad("unexpected '" + rest + "' after " + call->fn + "(...)");
    cond.kind = p->second;
    size_t want = (cond.kind == Condition::Kind::Broadcastable || cond.kind == Condition::Kind::LastAxis) ? 2 : 1;
    if (call->args.size() != want)
      return bad(call->fn + "() takes " + std::to_string(want) + " argument" + (want > 1 ? "s" : ""));
    if (cond.kind == Condition::Kind::LastAxis) {
      auto inner = parseCall(call->args[0]);
      if (!inner) return bad("last_axis(TERM, x): TERM is axes(v) or attr(v, axis)");
      if (auto st = termFromCall(*inner, cond.term, cond.args, cond.attribute); !st) return st;
      if (cond.term != Condition::Term::Axes && cond.term != Condition::Term::Attr)
        return bad("last_axis(TERM, x): TERM is axes(v) or attr(v, axis)");
      cond.args.push_back(call->args[1]);
    } else {
      cond.args = call->args;
    }
    for (const auto& a : cond.args)
      if (a.empty()) return bad("an argument of " + call->fn + "() is empty");
    return cond;
  }
  cond.kind = Condition::Kind::Compare;
  if (auto st = termFromCall(*call, cond.term, cond.args, cond.attribute); !st) return st;
  if (rest.empty()) return bad("'" + cond.text + "' needs a comparison (==, !=, <, <=, >, >=, in)");
  static const std::pair<const char*, Condition::Op> ops[] = {
      {"==", Condition::Op::Eq}, {"!=", Condition::Op::Ne}, {"<=", Condition::Op::Le}, {">=", Condition::Op::Ge},
      {"<", Condition::Op::Lt},  {">", Condition::Op::Gt},  {"in ", Condition::Op::In},
  };
  bool found = false;
  for (const auto& [text, op] : ops)
    if (rest.rfind(text, 0) == 0) {
      cond.op = op;
      rest = trim(rest.substr(std::string_view(text).size()));
      found = true;
      break;
    }
  if (!found) return bad("expected ==, !=, <, <=, >, >= or in after " + call->fn + "(...), got '" + rest + "'");
  bool dtypeCtx = cond.term == Condition::Term::DType;
  if (cond.op == Condition::Op::In) {
    if (!rest.empty() && rest.front() == '[') {
      if (rest.back() != ']') return bad("the set " + rest + " has no closing ']'");
      for (const auto& item : splitTopLevel(std::string_view(rest).substr(1, rest.size() - 2))) {
        auto lit = parseLiteral(item, dtypeCtx);
        if (!lit) return lit.status();
        cond.rhs.push_back(*lit);
      }
      if (cond.rhs.empty()) return bad("the set [] is empty");
      return cond;
    }
    auto dots = rest.find("..");
    if (dots == std::string::npos) return bad("'in' takes a set [a, b, c] or a range lo..hi");
    cond.op = Condition::Op::InRange;
    for (const auto& part : {rest.substr(0, dots), rest.substr(dots + 2)}) {
      auto lit = parseLiteral(part, false);
      if (!lit) return lit.status();
      if (lit->kind != Literal::Kind::Number) return bad("range bounds must be numbers");
      cond.rhs.push_back(*lit);
    }
    return cond;
  }
  std::string valueText = rest;
  if (auto t = rest.find(" tol "); t != std::string::npos) {
    valueText = rest.substr(0, t);
    auto tol = evalNumberExpression(rest.substr(t + 5));
    if (!tol) return tol.status();
    cond.tolerance = *tol;
  }
  auto lit = parseLiteral(valueText, dtypeCtx);
  if (!lit) return lit.status();
  cond.rhs.push_back(*lit);
  if (cond.term == Condition::Term::Shape && lit->kind != Literal::Kind::List)
    return bad("shape() compares to a list such as [?, ?, 768]");
  return cond;
}

Result<Binding> parseBinding(const std::string& textIn, const SourcePos& pos) {
  Binding b;
  b.pos = pos;
  auto eq = textIn.find('=');
  if (eq == std::string::npos) return Status(ErrorCode::InvalidArgument, "expected 'let NAME = TERM'");
  b.name = trim(textIn.substr(0, eq));
  if (b.name.empty() || !std::isalpha(static_cast<unsigned char>(b.name[0])))
    return Status(ErrorCode::InvalidArgument, "'" + b.name + "' is not a name for let");
  auto call = parseCall(trim(textIn.substr(eq + 1)));
  if (!call) return call.status();
  std::vector<std::string> args;
  if (auto st = termFromCall(*call, b.term, args, b.attribute); !st) return st;
  b.value = args[0];
  return b;
}

}  // namespace text
}  // namespace graft
