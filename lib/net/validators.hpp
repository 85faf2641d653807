#pragma once
// Conditional GETs for files kept on disk between runs: the validators a response carried (ETag,
// Last-Modified), sent back as If-None-Match / If-Modified-Since so an unchanged file costs one
// 304 and no body, and the small JSON record (`state.json`) a cache entry keeps beside its body.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "net/http.hpp"
#include "util/error.hpp"

namespace mlpack::net {

struct Validators {
  std::optional<std::string> etag, last_modified;

  // The ETag and Last-Modified of `response` (either may be absent).
  static Validators of(const Response& response);
  bool empty() const { return !etag && !last_modified; }
  // Sets If-None-Match / If-Modified-Since for those present.
  void add_to(Request& request) const;
};

// What a cache entry remembers besides its body: where it came from, which of the server's
// files (`variant`, e.g. "gz" or "plain") the validators belong to, and any whole numbers its
// owner keeps (condaindex: `zst_missing_at`). Stored as one JSON object with the keys `url`,
// `variant`, `etag`, `last_modified` and the numbers' names, so caches written by earlier
// versions read the same.
struct EntryState {
  std::string url;  // without credentials, for people reading the cache
  std::string variant;
  Validators validators;
  std::map<std::string, std::int64_t, std::less<>> numbers;
};

// nullopt when the file is missing, unreadable, larger than 64 KiB or not a JSON object: the
// entry is then fetched in full. Missing or mistyped keys read as absent.
std::optional<EntryState> load_entry_state(const std::filesystem::path& path);
// Written atomically (util::write_file_atomic).
util::Result<void> store_entry_state(const std::filesystem::path& path, const EntryState& state);

}  // namespace mlpack::net
