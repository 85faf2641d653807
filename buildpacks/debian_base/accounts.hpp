#pragma once
// The non-root user every image runs as (`app`, uid and gid 1000, home /home/app): the account
// lines mlpack writes into its own core OS, and the small layer that gives a registry base image
// the same user when it lacks one.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "archive/layer.hpp"

namespace mlpack::buildpacks::debian_base {

// The non-root user every base image has.
inline constexpr int app_uid = 1000;
inline constexpr std::string_view app_user = "app";

// The lines for `app` in /etc/passwd, /etc/group and /etc/shadow, each ending in "\n".
std::string app_passwd_line();
std::string app_group_line();
std::string app_shadow_line();

// /etc/passwd, /etc/group and /etc/shadow of mlpack's own core OS: base-passwd's masters plus `app`.
std::vector<archive::Entry> core_os_accounts();

// One account file of a base image, as its top layer left it.
struct AccountFile {
  std::string text;
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// What a registry base image says about its users.
struct BaseAccounts {
  std::optional<AccountFile> passwd, group, shadow;  // nullopt: the base has no such file
  // Set when one of the three could not be taken as it is (a link, or over the size bound); the
  // accounts are then left alone.
  bool unreadable = false;
  std::set<std::string> dirs;  // every directory the base has, relative: "home", "home/app"
};

struct AccountsLayer {
  std::vector<archive::Entry> entries;  // empty: the base already has all the user needs
  std::string contents;                 // "accounts: user app (1000)"
};

// The layer that makes uid 1000 a named user with a home on `base`: the base's files with the
// `app` lines appended, and its home directory (0755, 1000:1000). Nothing is appended where the
// base already has the user; see accounts.cpp for how an existing uid 1000 or `app` is used.
// Pure and deterministic: the same base accounts give the same entries.
AccountsLayer app_accounts_layer(const BaseAccounts& base);

}  // namespace mlpack::buildpacks::debian_base
