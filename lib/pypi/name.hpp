#pragma once
// Project names: PEP 503 normalisation and the PEP 508 name grammar.
#include <string>
#include <string_view>

namespace mlpack::pypi {

// PEP 503: ASCII-lowercases and turns each run of `-`, `_`, `.` into one `-`.
// It does not validate; "_x" becomes "-x". Non-ASCII bytes pass through unchanged.
std::string normalize_name(std::string_view name);

// PEP 508 name: ASCII letters/digits, with `.`, `_`, `-` allowed only between them.
bool is_valid_name(std::string_view name);

// True when `name` is valid and already in its normalised form ("foo-bar", not "foo--bar").
bool is_normalized_name(std::string_view name);

}  // namespace mlpack::pypi
