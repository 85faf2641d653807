#pragma once
// R's package versions (`package_version()`): non-negative integers separated by `.` or `-`
// ("1.1.1-1.1", "0.999375-7"), at least two of them for a package ("R: Writing R Extensions",
// 1.1.1: "a sequence of at least two (and usually three) non-negative integers separated by
// single . or - characters"). Compared as R compares them: numerically component by component,
// and when one is a prefix of the other the shorter one is smaller ("1.0" < "1.0.0", as
// `compareVersion("1.0", "1.0.0")` is -1). The separator does not count: "1.0-1" == "1.0.1".
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::cran {

using util::Result;

class Version {
 public:
  // Parses a package version, trimmed of surrounding whitespace. invalid_input "invalid R
  // version `…`: <reason>" for empty text, fewer than two components, a character other than a
  // digit, `.` or `-`, an empty component ("1..2", "1.", "-1") or a component beyond 2^63.
  static Result<Version> parse(std::string_view text);
  // The same rules but one component is enough (R's own `numeric_version`, which `R (>= 4)`
  // in a Depends field and R's version in a `Built:` field go through).
  static Result<Version> parse_numeric(std::string_view text);

  // The text as written (trimmed).
  const std::string& str() const { return text_; }
  const std::vector<std::uint64_t>& components() const { return parts_; }
  std::uint64_t major() const { return parts_.empty() ? 0 : parts_[0]; }
  std::uint64_t minor() const { return parts_.size() < 2 ? 0 : parts_[1]; }

  friend std::strong_ordering operator<=>(const Version& a, const Version& b) { return a.parts_ <=> b.parts_; }
  friend bool operator==(const Version& a, const Version& b) { return a.parts_ == b.parts_; }

 private:
  std::string text_;
  std::vector<std::uint64_t> parts_;
};

}  // namespace mlpack::cran
