#pragma once
// Credentials for indexes: userinfo in the configured URLs, else a netrc file. They leave this
// module only as an Authorization header; messages show URLs through net::display_url.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/url.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace mlpack::pyindex {

// A parsed netrc: `machine`, `default`, `login`, `password`, `account` (ignored) and `macdef`
// (skipped to the next blank line), tokens separated by any whitespace, quotes allowed.
class Netrc {
 public:
  static Netrc parse(std::string_view text);
  // The file at `path`; nullopt, or a missing or unreadable file, is an empty Netrc.
  static Netrc load(const std::optional<std::filesystem::path>& path);
  // The file curl and pip would read in `env`: $NETRC, else $HOME/.netrc; nullopt without either.
  // The CLI passes its environment; nothing here reads the process's.
  static std::optional<std::filesystem::path> default_path(const util::Environment& env);
  // The entry for `host` (no port), else `default`.
  std::optional<util::Credentials> lookup(std::string_view host) const;
  bool empty() const { return machines_.empty() && !default_; }

 private:
  std::map<std::string, util::Credentials> machines_;  // first entry per host wins, as in curl
  std::optional<util::Credentials> default_;
};

// "Basic <base64(user:password)>".
std::string basic_auth(const util::Credentials& c);

}  // namespace mlpack::pyindex
