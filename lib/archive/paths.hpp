#pragma once
// Lexical path handling shared by the scanner, the writer and the reader (internal to archive).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpack::archive::detail {

// The non-empty components of a "/"-separated path ("a//b/" -> {"a", "b"}).
std::vector<std::string_view> components(std::string_view path);

// What ".." does at the top of the stack: refuse (the path escapes) or stay (as "/.." == "/").
enum class Climb { refuse, clamp };

// Applies `path` to the component stack `base` ("." skipped, ".." pops; an absolute path starts
// from an empty stack). Returns the resulting components, or nothing when ".." climbs above the
// top and `climb` is refuse.
std::optional<std::vector<std::string>> resolve_lexically(std::vector<std::string> base, std::string_view path,
                                                          Climb climb);

// Whether `path` is a clean relative member path: not empty, no leading "/", no empty, "." or
// ".." components, no trailing "/", no NUL.
bool is_clean_relative(std::string_view path);

}  // namespace mlpack::archive::detail
