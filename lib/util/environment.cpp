#include "util/environment.hpp"

namespace mlpack::util {

Environment Environment::from_envp(const char* const* envp) {
  Environment env;
  for (; envp && *envp; ++envp) {
    std::string_view entry(*envp);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.vars_.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Environment::non_empty(std::string_view name) const {
  auto v = get(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

}  // namespace mlpack::util
