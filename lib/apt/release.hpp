#pragma once
// The Release file of an apt repository: what the suite is, until when it is valid, and the
// size and SHA256 of every index below it. Only a Release whose signature was verified
// (signature.hpp) should be trusted for the hashes it lists.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::apt {

using util::Result;

struct IndexEntry {
  std::uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
};

struct Release {
  std::string origin;
  std::string label;
  std::string suite;
  std::string codename;
  std::string version;
  std::optional<std::int64_t> date;         // seconds since the epoch, UTC
  std::optional<std::int64_t> valid_until;  // seconds since the epoch, UTC
  std::vector<std::string> architectures;
  std::vector<std::string> components;
  bool acquire_by_hash = false;
  // The SHA256 field: path relative to the Release file -> size and hash. Ordered.
  std::map<std::string, IndexEntry, std::less<>> files;

  const IndexEntry* find(std::string_view path) const {
    auto it = files.find(path);
    return it == files.end() ? nullptr : &it->second;
  }
};

// Parses a Release file (the signed text of InRelease, or Release). `source` names it in errors.
// Requires a SHA256 field (MD5Sum/SHA1 alone are not trusted); malformed entries, dates or
// hashes are ErrorKind::invalid_input.
Result<Release> parse_release(std::string_view text, std::string_view source);

// Parses an RFC 2822 date as Release files write it ("Sat, 10 Jun 2023 08:52:18 UTC", also with
// GMT, Z or a +hhmm offset; the weekday is optional). Returns seconds since the epoch.
std::optional<std::int64_t> parse_release_date(std::string_view text);

}  // namespace mlpack::apt
