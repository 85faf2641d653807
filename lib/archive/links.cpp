#include "archive/links.hpp"

#include <set>
#include <vector>

#include "archive/paths.hpp"

namespace mlpack::archive {

namespace {

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::vector<std::string> owned(std::string_view path) {
  std::vector<std::string> out;
  for (auto c : detail::components(path))
    if (c != ".") out.emplace_back(c);
  return out;
}

}  // namespace

util::Result<void> check_links(std::span<const LinkSpec> links, std::string_view root,
                               std::span<const LinkSpec> existing) {
  std::set<std::string> link_paths;
  for (const auto* set : {&links, &existing})
    for (const auto& l : *set) link_paths.insert(joined(owned(l.path)));
  const auto root_parts = owned(root);
  const std::string root_shown = root.empty() ? "/" : "/" + joined(root_parts);

  for (const auto& l : links) {
    auto refuse = [&](const std::string& why) {
      return util::fail(util::ErrorKind::integrity,
                        "symlink `" + l.path + "` points to `" + l.target + "`, " + why);
    };
    if (l.target.empty() || l.target.front() == '/' || l.target.find('\0') != std::string::npos)
      return refuse("outside " + root_shown + " (an absolute or empty target)");
    auto stack = owned(l.path);
    if (stack.empty()) return refuse("but a link needs a name");
    stack.pop_back();
    if (stack.size() < root_parts.size() || !std::equal(root_parts.begin(), root_parts.end(), stack.begin()))
      return refuse("but the link itself lies outside " + root_shown);
    for (std::size_t i = root_parts.size(); i < stack.size(); ++i)
      if (link_paths.contains(joined({stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(i) + 1})))
        return refuse("but it lies in `" + joined({stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(i) + 1}) +
                      "`, which is a link");

    auto parts = detail::components(l.target);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto c = parts[i];
      if (c == ".") continue;
      if (c == "..") {
        if (stack.size() <= root_parts.size()) return refuse("outside " + root_shown);
        stack.pop_back();
        continue;
      }
      stack.emplace_back(c);
      bool last = true;
      for (std::size_t j = i + 1; j < parts.size(); ++j) last = last && parts[j] == ".";
      if (!last && link_paths.contains(joined(stack)))
        return refuse("through `" + joined(stack) + "`, another link, where it could lead out of " + root_shown);
    }
    if (stack.size() <= root_parts.size()) return refuse("outside " + root_shown + " (at its top)");
  }
  return {};
}

}  // namespace mlpack::archive
