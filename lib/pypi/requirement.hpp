#pragma once
// PEP 508 dependency specifiers: `name[extra,…] (specifiers | @ url) ; marker`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pypi/marker.hpp"
#include "pypi/specifier.hpp"
#include "util/error.hpp"

namespace mlpack::pypi {

struct Requirement {
  std::string name;                 // as written (see normalized_name())
  std::vector<std::string> extras;  // sorted, duplicates removed, as written otherwise
  SpecifierSet specifier;           // empty for a direct reference
  std::string url;                  // PEP 508 direct reference (`name @ https://…`), else empty
  std::optional<Marker> marker;

  // Errors are ErrorKind::invalid_input and say what was expected where ("expected a version
  // specifier after `numpy` at column 7").
  static Result<Requirement> parse(std::string_view text);

  // packaging's str(): `name[a,b]>=1.0; python_version >= "3.8"` / `name @ url ; marker`.
  std::string str() const;
  std::string normalized_name() const;  // PEP 503

  // Whether the requirement applies on `env` when the distribution that declares it was asked for
  // with `extras` (no marker: always).
  bool applies(const MarkerEnvironment& env, std::span<const std::string> extras = {}) const;

  // packaging's equality: the same normalised name, extras (normalised), specifier set, URL and marker.
  friend bool operator==(const Requirement& a, const Requirement& b);
};

}  // namespace mlpack::pypi
