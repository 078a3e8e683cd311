// Numbers as text without the C locale: Graphviz attributes, rule files, messages and files
// read back by tools must read 0.5 under de_DE or fr_FR too, where printf writes 0,5.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace graft {

// "%.Nf" in the C locale: formatFixed(0.12345, 4) == "0.1235".
inline std::string formatFixed(double v, int decimals) {
  char buf[128];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) return "0";
  return std::string(buf, r.ptr);
}

// "%g" in the C locale (6 significant digits, exponent when short).
inline std::string formatGeneral(double v, int precision = 6) {
  char buf[128];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, precision);
  if (r.ec != std::errc()) return "0";
  return std::string(buf, r.ptr);
}

// The whole of text as a number with a '.' decimal point ("1e-5", "-0.5", "+2"); nullopt otherwise.
inline std::optional<double> parseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace graft
