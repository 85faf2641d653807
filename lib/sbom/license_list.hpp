#pragma once
// The SPDX License List's identifiers (license_list.cpp, generated; see README.md).
#include <array>
#include <string_view>

namespace mlpack::sbom::detail {

extern const std::array<std::string_view, 734> license_ids;
extern const std::array<std::string_view, 67> exception_ids;

}  // namespace mlpack::sbom::detail
