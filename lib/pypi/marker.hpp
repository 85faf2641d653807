#pragma once
// PEP 508 environment markers: parsed once, evaluated for the *target* interpreter and platform
// (never the host's), normalised for display.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pypi/tags.hpp"
#include "util/error.hpp"

namespace mlpack::pypi {

using util::Result;

// The variables a marker may name, with their values on the target. Missing variables evaluate as
// the empty string (as packaging does for a partial environment).
struct MarkerEnvironment {
  // python_version, python_full_version, os_name, sys_platform, platform_release, platform_system,
  // platform_version, platform_machine, platform_python_implementation, implementation_name,
  // implementation_version.
  std::map<std::string, std::string> values;
  // The dependency groups being installed, for `"dev" in dependency_groups` (PEP 751 lock files);
  // the set-valued `extras` variable is the `extras` given to evaluate().
  std::vector<std::string> dependency_groups;

  // A Linux target: os_name "posix", sys_platform "linux", platform_system "Linux",
  // platform_machine target.arch, implementation from target.implementation ("cp" → "cpython" /
  // "CPython"), python_version "X.Y", python_full_version `full_version` when given (e.g. the
  // base's "3.11.2"), else "X.Y.0"; implementation_version likewise.
  static MarkerEnvironment for_target(const Target& target, std::string_view full_version = {});
};

class Marker {
 public:
  // Errors are ErrorKind::invalid_input with the column of the problem.
  static Result<Marker> parse(std::string_view text);

  // `extras`: the extras requested of the distribution whose Requires-Dist carries this marker
  // (names normalised per PEP 685 before comparing); with none, `extra == "x"` is false.
  // When several extras are given the marker holds if it holds for any one of them (as pip asks).
  // A comparison that is undefined (see try_evaluate) makes the whole marker false.
  bool evaluate(const MarkerEnvironment& env, std::span<const std::string> extras = {}) const;

  // Like evaluate(), but an undefined comparison is an invalid_input error instead of false, as
  // packaging raises UndefinedComparison: `~=`/`===` on a value that is not a version
  // (`os_name === "posix"`), or a set-valued variable (`extras`, `dependency_groups`) on the left.
  Result<bool> try_evaluate(const MarkerEnvironment& env, std::span<const std::string> extras = {}) const;

  // packaging's str(): `python_version >= "3.8" and extra == "socks"` (double quotes, single
  // spaces, extra values normalised, redundant parentheses kept as written).
  std::string str() const;

  // True when the marker mentions `extra` anywhere.
  bool uses_extra() const;

  // Equal when str() is (packaging's rule).
  friend bool operator==(const Marker& a, const Marker& b) { return a.str() == b.str(); }

  struct Node;  // defined in marker.cpp

 private:
  friend struct MarkerParser;
  std::shared_ptr<const Node> root_;
};

namespace detail {

// A PEP 508 syntax error: packaging's message ("Expected a marker variable or quoted string") and
// the byte span of the source it points at (the caret goes under `end`).
struct SyntaxError {
  std::string message;
  std::size_t start = 0;
  std::size_t end = 0;
};

// Length in bytes of the one white-space character (Python's str.isspace(), UTF-8) at the front of
// `s`, 0 when there is none.
std::size_t space_length(std::string_view s);

// Python's regex `\w` for the character starting at byte `i` of UTF-8 `s` (false past the end):
// ASCII letters, digits and `_`, and any non-ASCII character but white space; `word_before` asks
// the same of the character that ends before `i`; `word_boundary` is `\b` at `i`.
bool word_at(std::string_view s, std::size_t i);
bool word_before(std::string_view s, std::size_t i);
bool word_boundary(std::string_view s, std::size_t i);

// invalid_input with the message, the column of the caret (1-based, in code points), and the source
// with packaging's `~~~^` underline beneath it.
util::Error to_error(std::string_view source, const SyntaxError& e);

// Parses the marker of a requirement: from `pos` in `source` for as long as the marker grammar
// goes, leaving `pos` after it (and after trailing blanks). Spans are positions in `source`.
std::expected<Marker, SyntaxError> parse_marker_at(std::string_view source, std::size_t& pos);

}  // namespace detail

}  // namespace mlpack::pypi
