#include "archive/paths.hpp"

namespace mlpack::archive::detail {

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<std::string>> resolve_lexically(std::vector<std::string> base, std::string_view path,
                                                          Climb climb) {
  if (path.starts_with('/')) base.clear();
  for (auto c : components(path)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!base.empty()) {
        base.pop_back();
      } else if (climb == Climb::refuse) {
        return std::nullopt;
      }
      continue;
    }
    base.emplace_back(c);
  }
  return base;
}

bool is_clean_relative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto c = path.substr(i, j - i);
    if (c.empty() || c == "." || c == "..") return false;
    i = j + 1;
  }
  return true;
}

}  // namespace mlpack::archive::detail
