#pragma once
// PEP 508 environment markers: parsed once, evaluated for the *target* interpreter and platform
// (never the host's), normalised for display.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

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
  bool evaluate(const MarkerEnvironment& env, std::span<const std::string> extras = {}) const;

  // packaging's str(): `python_version >= "3.8" and extra == "socks"` (double quotes, single
  // spaces, extra values normalised, redundant parentheses kept as written).
  std::string str() const;

  // True when the marker mentions `extra` anywhere.
  bool uses_extra() const;

  struct Node;  // defined in marker.cpp

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace mlpack::pypi
