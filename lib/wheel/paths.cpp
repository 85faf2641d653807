#include "wheel/paths.hpp"

#include <vector>

#include "util/text.hpp"

namespace mlpack::wheel::detail {

namespace {

std::vector<std::string> parts(std::string_view path) {
  std::vector<std::string> out;
  for (auto& p : util::split(path, '/'))
    if (!p.empty()) out.push_back(std::move(p));
  return out;
}

}  // namespace

bool is_clean_relative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return false;
  for (const auto& c : util::split(path, '/'))
    if (c.empty() || c == "." || c == "..") return false;
  return true;
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

std::string parent_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string record_path(std::string_view path, std::string_view site_packages) {
  auto p = parts(path), s = parts(site_packages);
  std::size_t common = 0;
  while (common < p.size() && common < s.size() && p[common] == s[common]) ++common;
  std::string out;
  for (std::size_t i = common; i < s.size(); ++i) out += "../";
  for (std::size_t i = common; i < p.size(); ++i) {
    out += p[i];
    if (i + 1 < p.size()) out += '/';
  }
  return out;
}

}  // namespace mlpack::wheel::detail
