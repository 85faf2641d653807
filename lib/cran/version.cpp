#include "cran/version.hpp"

#include <limits>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::cran {

namespace {

using util::trim_view;
bool is_space(char c) { return util::is_ascii_space(c); }

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input,
                     "invalid R version `" + util::printable_excerpt(text, 60) + "`: " + std::string(why)};
}

// One pass: digits accumulate into the current component, `.` or `-` closes it. Anything else,
// an empty component or an overflow is refused.
Result<std::vector<std::uint64_t>> parse_components(std::string_view s, std::size_t min_components) {
  if (s.empty()) return std::unexpected(invalid(s, "empty"));
  std::vector<std::uint64_t> parts;
  std::uint64_t value = 0;
  bool have_digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (value > (std::numeric_limits<std::uint64_t>::max() / 2 - d) / 10)
        return std::unexpected(invalid(s, "a component is too large"));
      value = value * 10 + d;
      have_digit = true;
    } else if (c == '.' || c == '-') {
      if (!have_digit) return std::unexpected(invalid(s, "empty component"));
      parts.push_back(value);
      value = 0;
      have_digit = false;
    } else {
      return std::unexpected(invalid(s, "only digits separated by `.` or `-` are allowed"));
    }
  }
  if (!have_digit) return std::unexpected(invalid(s, "empty component"));
  parts.push_back(value);
  if (parts.size() < min_components)
    return std::unexpected(invalid(s, "a package version needs at least two components (`1.0`)"));
  return parts;
}

}  // namespace

Result<Version> Version::parse(std::string_view text) {
  Version v;
  v.text_ = trim_view(text);
  v.parts_ = TRY(parse_components(v.text_, 2));
  return v;
}

Result<Version> Version::parse_numeric(std::string_view text) {
  Version v;
  v.text_ = trim_view(text);
  v.parts_ = TRY(parse_components(v.text_, 1));
  return v;
}

}  // namespace mlpack::cran
