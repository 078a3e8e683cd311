// String kernels: StringConcat, StringSplit, RegexFullMatch (opset 20) and StringNormalizer.
#include <algorithm>
#include <cctype>
#include <regex>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

Status requireStrings(const Context& ctx, std::size_t i) {
  if (ctx.input(i).dtype() != kString)
    return ctx.fail("input " + std::to_string(i) + " must be a string tensor, not " + formatArrayType(ctx.input(i)));
  return Status::ok();
}

Status stringConcatK(Context& ctx) {
  if (auto s = ctx.require(1, "Y"); !s) return s;
  if (auto s = requireStrings(ctx, 0); !s) return s;
  if (auto s = requireStrings(ctx, 1); !s) return s;
  auto shape = broadcastShapes(ctx.input(0).shape(), ctx.input(1).shape());
  if (!shape) return ctx.fail(shape.message());
  Array a = expandTo(ctx.input(0), shape.value()), b = expandTo(ctx.input(1), shape.value());
  Array out = Array::uninitialized(kString, shape.value());
  for (std::size_t i = 0; i < out.strings().size(); ++i) out.strings()[i] = a.strings()[i] + b.strings()[i];
  ctx.setOutput(0, out);
  return Status::ok();
}

// Python's str.split: by `delimiter` (every occurrence, empty fields kept) or, without one, by
// runs of whitespace (no empty fields); at most maxsplit splits.
std::vector<std::string> splitString(const std::string& s, const std::string& delimiter, std::int64_t maxsplit) {
  std::vector<std::string> parts;
  if (delimiter.empty()) {
    std::size_t i = 0;
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (i < s.size()) {
      while (i < s.size() && space(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) {
        std::size_t e = s.size();
        while (e > i && space(s[e - 1])) --e;
        parts.push_back(s.substr(i, e - i));
        break;
      }
      std::size_t j = i;
      while (j < s.size() && !space(s[j])) ++j;
      parts.push_back(s.substr(i, j - i));
      i = j;
    }
    return parts;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t at = s.find(delimiter, start);
    if (at == std::string::npos || (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit)) {
      parts.push_back(s.substr(start));
      break;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + delimiter.size();
  }
  return parts;
}

// StringSplit-20: Y [..., max parts] padded with "", Z [...] the number of parts.
Status stringSplitK(Context& ctx) {
  if (auto s = requireStrings(ctx, 0); !s) return s;
  const Array& x = ctx.input(0);
  std::string delimiter = ctx.attrString("delimiter", "");
  std::int64_t maxsplit = ctx.hasAttr("maxsplit") ? ctx.attrInt("maxsplit", -1) : -1;
  std::vector<std::vector<std::string>> parts(static_cast<std::size_t>(x.size()));
  std::int64_t width = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i] = splitString(x.strings()[i], delimiter, maxsplit);
    width = std::max<std::int64_t>(width, static_cast<std::int64_t>(parts[i].size()));
  }
  std::vector<std::int64_t> shape = x.shape();
  shape.push_back(width);
  Array y(kString, shape);
  Array z = Array::uninitialized(kInt64, x.shape());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    for (std::size_t k = 0; k < parts[i].size(); ++k) y.strings()[i * static_cast<std::size_t>(width) + k] = parts[i][k];
    z.data<std::int64_t>()[i] = static_cast<std::int64_t>(parts[i].size());
  }
  ctx.setOutput(0, y);
  ctx.setOutput(1, z);
  return Status::ok();
}

// RegexFullMatch-20: whether each string matches `pattern` entirely. ONNX names RE2 syntax; the
// common subset (classes, quantifiers, groups, alternation, anchors) means the same in ECMAScript.
Status regexFullMatchK(Context& ctx) {
  if (auto s = requireStrings(ctx, 0); !s) return s;
  const Array& x = ctx.input(0);
  std::regex re;
  try {
    re = std::regex(ctx.attrString("pattern", ""), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return ctx.fail("pattern '" + ctx.attrString("pattern", "") + "' is not a valid regular expression: " + e.what());
  }
  Array out = Array::uninitialized(kBool, x.shape());
  for (std::size_t i = 0; i < x.strings().size(); ++i) out.data<bool>()[i] = std::regex_match(x.strings()[i], re);
  ctx.setOutput(0, out);
  return Status::ok();
}

std::string changeCase(std::string s, bool upper) {
  for (char& c : s) c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// StringNormalizer-10: drops stop words (case-insensitively unless is_case_sensitive), then
// changes case; [C] or [1, C] in, the same rank out; nothing left gives one empty string.
Status stringNormalizerK(Context& ctx) {
  if (auto s = requireStrings(ctx, 0); !s) return s;
  const Array& x = ctx.input(0);
  if (x.rank() > 2 || (x.rank() == 2 && x.dim(0) != 1)) return ctx.fail("X must be [C] or [1, C], not " + formatArrayType(x));
  std::string action = ctx.attrString("case_change_action", "NONE");
  bool sensitive = ctx.attrInt("is_case_sensitive", 0) != 0;
  std::vector<std::string> stop = ctx.attrStrings("stopwords");
  if (!sensitive)
    for (auto& w : stop) w = changeCase(w, false);
  std::vector<std::string> kept;
  for (const auto& s : x.strings()) {
    std::string key = sensitive ? s : changeCase(s, false);
    if (std::find(stop.begin(), stop.end(), key) != stop.end()) continue;
    kept.push_back(action == "LOWER" ? changeCase(s, false) : action == "UPPER" ? changeCase(s, true) : s);
  }
  if (kept.empty()) kept.emplace_back();
  std::vector<std::int64_t> shape = {static_cast<std::int64_t>(kept.size())};
  if (x.rank() == 2) shape.insert(shape.begin(), 1);
  Array out(kString, shape);
  out.strings() = kept;
  ctx.setOutput(0, out);
  return Status::ok();
}

}  // namespace

void registerStringKernels() {
  registerKernel("", "StringConcat", stringConcatK, true);
  registerKernel("", "StringSplit", stringSplitK, true);
  registerKernel("", "RegexFullMatch", regexFullMatchK, true);
  registerKernel("", "StringNormalizer", stringNormalizerK, true);
}

}  // namespace graft::eval
