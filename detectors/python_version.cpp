#include "detectors/python_version.hpp"

#include <algorithm>
#include <string_view>

#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_internal.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

using util::ErrorKind;
using internal::absolute_normal;
using internal::split_lines;
using internal::strip;
using internal::ticked;

std::optional<std::string> parse_python_request(std::string_view text, Precision precision) {
  auto parts = util::split(text, '.');
  std::size_t least = precision == Precision::major_allowed ? 1 : 2;
  if (parts.size() < least || parts.size() > 3) return std::nullopt;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 4 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    if (p.size() > 1 && p[0] == '0') return std::nullopt;
  }
  return std::string(text);
}

Result<std::optional<PythonVersionFile>> read_python_version(const fs::path& dir, const fs::path& project_root) {
  auto root = absolute_normal(project_root);
  for (std::string_view name : {"runtime.txt", ".python-version"}) {
    auto path = absolute_normal(dir.is_relative() ? root / dir : dir) / name;
    if (!project_file_present(path)) continue;
    auto shown = display_path(path, root);
    auto text = TRY(read_project_file(path, root, 1 << 16));
    int number = 0;
    for (const auto& raw : split_lines(text)) {
      ++number;
      auto line = strip(raw);
      if (line.empty() || line[0] == '#') continue;
      auto where = shown + ":" + std::to_string(number) + ": ";
      if (name == "runtime.txt") {
        // repo2docker's runtime.txt also pins R (`r-4.3-2024-01-15`): not ours.
        if (line.starts_with("r-")) break;
        std::optional<std::string> version;
        if (line.starts_with("python-")) version = parse_python_request(line.substr(7), Precision::major_allowed);
        if (!version)
          return util::fail(ErrorKind::invalid_input,
                            where + "expected `python-X.Y`, `python-X.Y.Z` or `python-3`, got " + ticked(line));
        return PythonVersionFile{*version, shown};
      }
      std::string_view v = line;
      for (std::string_view prefix : {"cpython-", "cpython@", "cpython"})
        if (v.starts_with(prefix)) {
          v.remove_prefix(prefix.size());
          break;
        }
      auto version = parse_python_request(v, Precision::major_allowed);
      if (!version)
        return util::fail(ErrorKind::invalid_input,
                          where + "expected a CPython version such as `3.11` or `3.11.4`, got " + ticked(line));
      return PythonVersionFile{*version, shown};
    }
  }
  return std::optional<PythonVersionFile>{};
}

}  // namespace mlpack::detectors
