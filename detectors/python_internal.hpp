#pragma once
// Shared by the Python project-file readers (requirements.cpp, pyproject.cpp, python_version.cpp);
// not part of the detectors' API.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpack::detectors::internal {

namespace fs = std::filesystem;

// Python's str.isspace() for ASCII (it includes \x1c-\x1f): pip strips lines and finds comments
// with Python's notion of whitespace.
bool is_space(char ch);
// Python's str.strip().
std::string strip(std::string_view s);
// Python's str.splitlines(): \r\n, \r, \n, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029; no empty
// last line for a trailing break.
std::vector<std::string> split_lines(std::string_view s);

std::string ticked(std::string_view s);  // "`s`", made safe for a message (detectors::quote_text)
std::string replace_all(std::string s, std::string_view from, std::string_view to);

// Lexically normal, without the trailing separator that "dir/." or "dir/" would leave.
fs::path normal(const fs::path& p);
fs::path absolute_normal(const fs::path& p);
// Filesystem tests that take an error as "no".
bool path_exists(const fs::path& p);
bool is_dir(const fs::path& p);
bool is_file(const fs::path& p);

// A URL's scheme, lowercased; "" without a `:`.
std::string url_scheme(std::string_view s);
std::string percent_decode(std::string_view s);
// A file: URL's local path (relative ones against `base`); nullopt for other schemes and for a
// host other than localhost (a network share).
std::optional<fs::path> file_url_path(std::string_view url, const fs::path& base);

}  // namespace mlpack::detectors::internal
