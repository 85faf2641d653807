#pragma once
// The client of CRAN-like repositories (CRAN itself, its mirrors, Posit Package Manager, a
// `file://` folder): each repository's `src/contrib/PACKAGES[.gz]` index, fetched in parallel and
// kept on disk between runs (revalidated with ETag / Last-Modified), the versions listed under
// `src/contrib/Archive/<name>/`, and verified downloads into the blob store. Every request
// carries the caller's User-Agent: Posit Package Manager serves Linux binaries only to R's
// ("R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)", cran::r_user_agent), sources to anyone else.
// It answers what the resolver needs and knows nothing of resolving or installing.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cran/package.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/transfer.hpp"

namespace mlpack::cranindex {

using util::Result;

struct ClientOptions {
  // Indexes live under cache_dir/cran-index-v1, packages in the blob store
  // cache_dir/blobs/sha256/<hex> (shared with images, wheels and conda packages). Empty: indexes
  // are fetched into a temporary folder each time, and download() is refused.
  std::filesystem::path cache_dir;
  // Sent with every request; R's (cran::r_user_agent) so Posit Package Manager serves binaries.
  // Empty: the HTTP client's own.
  std::string user_agent;
  std::size_t parallel = 4;                     // index fetches in flight
  util::TransferObserver* transfers = nullptr;  // told about download() bytes; may be null
  net::RetryPolicy retry;                       // for 429/5xx and dropped connections
  util::Clock* clock = nullptr;                 // retries' waits; default: the system clock
  // A PACKAGES index (after decompression) larger than this is refused (CRAN's is about 15 MB).
  std::uint64_t max_index_bytes = std::uint64_t(256) << 20;
  // A package larger than this is refused as it downloads (the largest on CRAN are ~100 MB).
  std::uint64_t max_package_bytes = std::uint64_t(2) << 30;
};

struct RepositoryIndex {
  std::string url;                            // the repository as given, without credentials or a trailing `/`
  std::vector<cran::PackageRecord> packages;  // cran::parse_packages_index's order: by name
};

struct Downloaded {
  std::filesystem::path path;  // <cache>/blobs/sha256/<sha256>
  std::string sha256;          // lowercase hex
  std::uint64_t size = 0;
};

class Client {
 public:
  Client(std::shared_ptr<net::HttpClient> http, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The index of each repository, in the order given whatever order the fetches finish in.
  // `<repo>/src/contrib/PACKAGES.gz`, else (a 4xx for it) `PACKAGES`; with a cache, revalidated
  // (304: the cached copy is used) and replaced atomically; `file://` repositories are read in
  // place. URL userinfo is sent as Basic authentication and never appears in a record or a
  // message. A repository with neither file is ErrorKind::not_found naming it; one that cannot
  // be reached passes its network error on; another status is ErrorKind::http; an index that
  // does not parse is invalid_input naming it (cran::parse_packages_index); a .gz that inflates
  // past max_index_bytes (or 1000:1) is integrity. Thread-safe.
  Result<std::vector<RepositoryIndex>> fetch_indexes(std::span<const std::string> repo_urls);

  // The versions of `name` under `<repo>/src/contrib/Archive/<name>/` (an Apache or nginx
  // listing; a file:// folder's files), in R's version order. A package never archived (404, no
  // folder) has none. invalid_input for a name R would not accept.
  Result<std::vector<std::string>> archived_versions(std::string_view repo, std::string_view name);

  // Downloads `url` into the blob store, checking what is known: its sha256 (a blob already
  // present under it is returned without a request), the index's MD5sum, and at most
  // max_package_bytes. A mismatch is ErrorKind::integrity naming the URL (without credentials),
  // and nothing is left under a blob's name. With neither digest the download is only named by
  // its sha256. file:// URLs are copied. Thread-safe.
  Result<Downloaded> download(std::string_view url, std::optional<std::string> sha256, std::optional<std::string> md5);

  struct Stats {
    std::size_t requests = 0;      // HTTP requests sent (retries not counted)
    std::size_t not_modified = 0;  // 304 answers: the cached index used
    std::size_t gz_fallbacks = 0;  // indexes read from PACKAGES after PACKAGES.gz was refused
    std::size_t cache_hits = 0;    // downloads already in the blob store
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlpack::cranindex
