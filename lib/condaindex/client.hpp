#pragma once
// The conda channel client: each channel's repodata for the target's subdirs, fetched in parallel
// and kept on disk between runs (revalidated with ETag / Last-Modified), and verified package
// downloads into the blob store. It answers what the solver needs and knows nothing of solving.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "conda/repodata.hpp"
#include "condaindex/channel.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/transfer.hpp"

namespace mlpack::condaindex {

// One subdir of one channel.
struct SubdirRepodata {
  std::size_t channel = 0;  // index into the channels given to fetch_repodata
  std::string subdir;
  // Whether the channel has this subdir. A missing one (404, or no folder in a file:// channel)
  // is empty, as conda tolerates; only a channel missing every subdir asked for is an error.
  bool found = false;
  // Records name the channel's canonical URL (Channel::url): no userinfo, no token.
  conda::Repodata repodata;
};

// A package file to download, as a lock or a repodata record describes it.
struct PackageFile {
  // May carry userinfo and a `/t/<token>/` segment (Channel::with_credentials); userinfo is sent
  // as Basic authentication, and neither ever appears in a message.
  std::string url;
  std::string sha256;      // lowercase hex; checked when set
  std::string md5;         // lowercase hex; checked when sha256 is empty (old repodata has only md5)
  std::uint64_t size = 0;  // checked when not 0
};

struct ClientOptions {
  // Repodata lives under cache_dir/conda-repodata-v1, packages in the blob store
  // cache_dir/blobs/sha256/<hex> (shared with images and wheels). Empty: repodata is fetched into
  // a temporary folder each time, and download_package is refused.
  std::filesystem::path cache_dir;
  std::size_t max_parallel = 8;                 // repodata fetches in flight
  net::RetryPolicy retry;                       // for 429/5xx and dropped connections
  util::Clock* clock = nullptr;                 // retries' waits; default: the system clock (tests pass a fake)
  util::TransferObserver* transfers = nullptr;  // told about download_package bytes; may be null
  // A repodata.json (after decompression) larger than this is refused (conda-forge's linux-64 is
  // about 300 MB).
  std::uint64_t max_repodata_bytes = std::uint64_t(2) << 30;
  // How long a channel's missing `repodata.json.zst` (a 4xx) is remembered before asking again.
  std::chrono::seconds zst_recheck = std::chrono::hours(24 * 14);
  // Wall-clock seconds since the epoch, for zst_recheck; default: the system clock.
  std::function<std::int64_t()> epoch_seconds;
};

class ChannelClient {
 public:
  ChannelClient(std::shared_ptr<net::HttpClient> http, ClientOptions options);
  ~ChannelClient();
  ChannelClient(const ChannelClient&) = delete;
  ChannelClient& operator=(const ChannelClient&) = delete;

  // The repodata of every channel for every subdir (the platform's and `noarch`), in the order
  // channels × subdirs whatever order the fetches finish in. Each is `<channel>/<subdir>/
  // repodata.json.zst`, else (after a 4xx for it, remembered for zst_recheck) `repodata.json`;
  // with a cache, revalidated (304: the cached copy is used) and replaced atomically; file://
  // channels are read in place. Errors name the channel's canonical URL, never its secrets: a
  // channel that has none of the subdirs is ErrorKind::not_found "channel <url> not found (404
  // …)"; a server that cannot be reached after the retries passes its network error on; another
  // status is ErrorKind::http; repodata that is not JSON or lacks info.subdir is invalid_input
  // naming the file's URL. Thread-safe.
  Result<std::vector<SubdirRepodata>> fetch_repodata(const std::vector<Channel>& channels,
                                                     const std::vector<std::string>& subdirs);

  // Downloads `file` into the blob store and returns its path there (named by its sha256),
  // checking size, then sha256 (or md5 when that is all there is): a mismatch is
  // ErrorKind::integrity naming the file, and nothing is left under the blob's name. A blob
  // already present for the expected sha256 is returned without a request. file:// URLs are
  // copied. Thread-safe.
  Result<std::filesystem::path> download_package(const PackageFile& file);

  struct Stats {
    std::size_t requests = 0;       // HTTP requests sent (retries not counted)
    std::size_t not_modified = 0;   // 304 answers: cached repodata used
    std::size_t zst_fallbacks = 0;  // subdirs read from repodata.json after a .zst was refused
    std::size_t cache_hits = 0;     // packages already in the blob store
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlpack::condaindex
