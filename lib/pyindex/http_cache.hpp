#pragma once
// Index pages kept on disk between runs and revalidated with ETag / Last-Modified, so an
// unchanged page costs one 304 and no body. Entries are replaced atomically (util::AtomicFile);
// a corrupt or unreadable entry is a miss.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "util/error.hpp"

namespace mlpack::pyindex {

struct CachedPage {
  std::string url;  // without credentials
  std::optional<std::string> etag, last_modified, content_type;
  std::string body;
};

class HttpCache {
 public:
  // Entries live under `dir`/http-v1; an empty `dir` disables the cache.
  explicit HttpCache(std::filesystem::path dir);
  bool enabled() const { return !dir_.empty(); }

  // `key` says what varies the answer besides the URL (the Accept header).
  std::optional<CachedPage> load(std::string_view url, std::string_view key) const;
  // Stores a 200 answer when it carries a validator and does not forbid storing.
  util::Result<void> store(std::string_view url, std::string_view key, const net::Response& response) const;
  // Adds If-None-Match / If-Modified-Since for `page`.
  static void add_validators(net::Request& request, const CachedPage& page);

 private:
  std::filesystem::path path_for(std::string_view url, std::string_view key) const;
  std::filesystem::path dir_;
};

}  // namespace mlpack::pyindex
