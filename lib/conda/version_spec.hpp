#pragma once
// conda version specs (CEP 29's version field, conda's VersionSpec): `1.8` (exactly 1.8, so also
// 1.8.0), `1.8.*` / `1.8*` / `=1.8` (prefix), `==`, `!=` (and `!=1.3.*`), `<`, `<=`, `>`, `>=`, `~=`,
// globs with an inner `*` (`1.*.1`), regexes `^…$`, `*` (anything), joined by `,` (and), which
// binds tighter than `|` (or), with parentheses.
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "conda/version.hpp"
#include "util/error.hpp"

namespace mlpack::conda {

class VersionSpec {
 public:
  // Parses a spec as conda does; invalid_input "invalid version spec `…`: <reason>" otherwise.
  static Result<VersionSpec> parse(std::string_view text);

  // The canonical form: no white space, `1.8*` written `1.8.*`, parentheses only where needed.
  const std::string& str() const { return text_; }
  // A single `==v` or bare `v`.
  bool is_exact() const { return kind_ == Kind::exact || kind_ == Kind::equal; }
  // Anything (`*`).
  bool is_any() const { return kind_ == Kind::any; }
  // A single prefix match (`1.8.*`, `=1.8`): MatchSpec writes these as `name=1.8`.
  bool is_prefix() const { return kind_ == Kind::starts_with; }
  // The version of a single `==`, bare, prefix or relational spec.
  const std::optional<Version>& version() const { return version_; }

  bool matches(const Version& v) const;

 private:
  enum class Kind { any, exact, equal, not_equal, less, less_equal, greater, greater_equal, compatible,
                    starts_with, not_starts_with, regex, glob, all_of, any_of };
  static Result<VersionSpec> parse_leaf(std::string_view text);

  Kind kind_ = Kind::any;
  std::string text_;
  std::optional<Version> version_;
  std::optional<Version> compatible_prefix_;
  std::shared_ptr<const std::regex> regex_;
  std::string glob_;  // Kind::glob: `1.*.3*`, `*` anywhere but only at the end
  std::vector<VersionSpec> children_;
};

}  // namespace mlpack::conda
