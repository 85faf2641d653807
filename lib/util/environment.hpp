#pragma once
// The process environment, read once by the CLI and handed down (STYLE.md habit 13): library code
// never calls getenv, so what a function depends on is visible in its arguments and a test can
// give it any environment it likes.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mlpack::util {

class Environment {
 public:
  Environment() = default;  // an empty environment: every variable unset
  explicit Environment(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}
  // Parses a NAME=value array such as POSIX `environ` (only cli/ passes the real one).
  static Environment from_envp(const char* const* envp);

  // The value when the variable is set, even to "".
  std::optional<std::string> get(std::string_view name) const;
  // The value when the variable is set and not empty: what most conventions mean by "given".
  std::optional<std::string> non_empty(std::string_view name) const;
  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace mlpack::util
