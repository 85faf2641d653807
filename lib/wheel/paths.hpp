#pragma once
// Lexical path helpers for image paths ("opt/venv/bin/x": relative, "/"-separated; internal to
// wheel).
#include <string>
#include <string_view>

namespace mlpack::wheel::detail {

// Not empty, no leading or trailing "/", no empty, "." or ".." components, no NUL or backslash
// (a Windows separator in a zip name means a path that other tools read differently).
bool is_clean_relative(std::string_view path);

std::string join(std::string_view a, std::string_view b);

// The directory part of a path ("a/b/c" -> "a/b", "c" -> "").
std::string parent_of(std::string_view path);

// How RECORD names an installed path: relative to site-packages, climbing with "../" for paths
// outside it ("../../../bin/x").
std::string record_path(std::string_view path, std::string_view site_packages);

}  // namespace mlpack::wheel::detail
