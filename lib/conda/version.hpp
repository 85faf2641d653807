#pragma once
// conda versions (CEP 33, conda's VersionOrder): `[epoch!]version[+local]`, compared
// case-insensitively component by component. Components are split on `.` and `_` (`-` is read as
// `_` when the text has no `_`), each into runs of digits and non-digits; numbers compare
// numerically and after strings, `dev` < `_` < other letters < (nothing) < `post`, a component
// starting with a letter gets a leading 0, and missing parts read as 0, so 1.0 == 1.0.0.
#include <compare>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::conda {

using util::Result;

// One run inside a component: a number (digits without leading zeros, any length), `post` (above
// every number) or text (lower case; `dev` is kept as "DEV" so that it sorts first).
struct Atom {
  enum class Kind { text, number, post };  // declared in sort order
  Kind kind = Kind::number;
  std::string text;
  friend bool operator==(const Atom&, const Atom&) = default;
};
using Component = std::vector<Atom>;

class Version {
 public:
  // Parses a version as conda does, refusing with invalid_input "invalid version `…`: <reason>"
  // (empty, invalid characters, epoch not an integer, `!` or `+` twice, an empty component).
  static Result<Version> parse(std::string_view text);

  // The text as conda keeps it: trimmed, lower case, `-` turned into `_` when that was needed.
  const std::string& str() const { return text_; }
  // The epoch as the first component, then the release components; the local components.
  const std::vector<Component>& components() const { return version_; }
  const std::vector<Component>& local() const { return local_; }

  // conda's prefix test behind `1.7.*` and `=1.7`: the components of `prefix` up to its last atom
  // are equal, and the last atom is equal (a number) or a string prefix (text).
  bool starts_with(const Version& prefix) const;

  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }

  // Equal versions hash equally (trailing zeros and empty components do not count).
  std::size_t hash() const;

 private:
  std::string text_;
  std::vector<Component> version_;
  std::vector<Component> local_;
};

}  // namespace mlpack::conda

template <>
struct std::hash<mlpack::conda::Version> {
  std::size_t operator()(const mlpack::conda::Version& v) const { return v.hash(); }
};
