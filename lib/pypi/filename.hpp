#pragma once
// Distribution filenames: wheels (binary distribution format spec) and sdists.
// Versions stay strings here; they are checked against the PEP 440 grammar only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pypi/tags.hpp"
#include "util/error.hpp"

namespace mlpack::pypi {

// A wheel build tag: leading digits, then an optional suffix ("1000abc").
struct BuildTag {
  std::uint64_t number = 0;
  std::string suffix;
  auto operator<=>(const BuildTag&) const = default;
};

struct WheelFilename {
  std::string name;                // PEP 503-normalised
  std::string version;             // as written in the filename
  std::optional<BuildTag> build;
  std::vector<Tag> tags;           // expanded, sorted
};

struct SdistFilename {
  std::string name;     // PEP 503-normalised
  std::string version;  // as written
};

// True when `version` matches the PEP 440 grammar (case-insensitive, surrounding
// whitespace not allowed).
bool is_valid_version_string(std::string_view version);

// "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".
// invalid_input naming the filename and the reason.
util::Result<WheelFilename> parse_wheel_filename(std::string_view filename);

// "<name>-<version>.tar.gz" or ".zip"; the version is what follows the last `-`.
// invalid_input naming the filename and the reason.
util::Result<SdistFilename> parse_sdist_filename(std::string_view filename);

}  // namespace mlpack::pypi
