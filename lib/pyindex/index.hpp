#pragma once
// A client for Python package indexes: the simple API (PEP 503 HTML, PEP 691 JSON, chosen by
// content negotiation), find-links pages and directories, and file:// indexes. It answers what the
// resolver asks: which files a project has, and each candidate's core metadata, fetched as cheaply
// as the server allows (PEP 658/714 `.metadata`, else HTTP range requests into the wheel's zip
// directory, else a full download).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"
#include "net/retry.hpp"
#include "util/clock.hpp"
#include "util/error.hpp"
#include "util/transfer.hpp"

namespace mlpack::pyindex {

namespace fs = std::filesystem;
using util::Result;

// One file of a project, as an index or find-links location lists it.
struct DistFile {
  std::string filename;                       // "numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
  std::string url;                            // absolute, fragment removed; may carry userinfo
  std::map<std::string, std::string> hashes;  // "sha256" → lowercase hex (from JSON or #sha256=)
  std::optional<std::string> requires_python; // data-requires-python / "requires-python"
  std::optional<std::string> yanked;          // set when yanked (PEP 592): the reason, maybe ""
  // PEP 658/714: the index serves `<url>.metadata`; with its hashes when given.
  bool has_metadata_file = false;
  std::map<std::string, std::string> metadata_hashes;
  std::optional<std::uint64_t> size;          // PEP 700, when the index says
  std::string index;                          // the index (or find-links location) it came from
};

// The parts of core metadata (METADATA / PKG-INFO) the resolver needs.
struct CoreMetadata {
  std::string name;
  std::string version;
  std::optional<std::string> requires_python;
  std::vector<std::string> requires_dist;   // PEP 508 strings, unparsed
  std::vector<std::string> provides_extra;
  // The licence as the distribution states it: PEP 639's License-Expression, else the License
  // field, else the `License ::` trove classifiers (each "License :: OSI Approved :: MIT License").
  std::optional<std::string> license_expression;
  std::optional<std::string> license;
  std::vector<std::string> license_classifiers;
};

// Parses RFC 822-style core metadata (continuation lines, repeated fields, body ignored).
Result<CoreMetadata> parse_core_metadata(std::string_view text);

enum class IndexStrategy {
  first_index,  // default: the first index that has the project is the only one used (as uv does)
  best_match,   // opt-in: files from every index are merged and the best version wins
};

// Projects served only from given indexes, never from the other indexes or find-links (as uv's
// `explicit = true` indexes that [tool.uv.sources] name): the torch family from the PyTorch backend
// indexes of the project's CUDA decision. Each version (its public part: 2.3.1 of 2.3.1+cu121)
// comes from the first of `urls` that lists a file of it that `counts` (every file when unset), so
// `urls` newest backend first gives, per version, the newest backend that has it for the target.
struct IndexRoute {
  std::vector<std::string> projects;  // normalised names
  std::vector<std::string> urls;      // in order of preference; may carry userinfo
  std::function<bool(const DistFile&)> counts;
  // download.pytorch.org answers 403 (S3 behind CloudFront), not 404, for a project it lacks.
  bool forbidden_is_missing = false;
  // When `urls` is empty: why these projects have no index (project_files fails with it,
  // ErrorKind::unsatisfiable).
  std::string unavailable;
};

struct IndexOptions {
  // The primary index first, then extra indexes in order. Empty with no_index false means PyPI.
  std::vector<std::string> index_urls;
  bool no_index = false;
  std::vector<std::string> find_links;  // URLs, file:// URLs or local directories
  IndexStrategy strategy = IndexStrategy::first_index;
  fs::path cache_dir;                    // HTTP cache (ETag / Last-Modified) lives below it
  std::optional<fs::path> netrc;         // credentials file (Netrc::default_path); nullopt: none
  std::size_t max_parallel = 8;          // concurrent fetches in prefetch()
  net::RetryPolicy retry;                // for 429/5xx and dropped connections
  util::Clock* clock = nullptr;          // default: the system clock (tests pass a fake)
  util::TransferObserver* transfers = nullptr;  // told about download() bytes; may be null
  std::vector<IndexRoute> routes;  // a project in several routes takes the first
};

inline constexpr std::string_view default_index = "https://pypi.org/simple/";

class IndexClient {
 public:
  IndexClient(std::shared_ptr<net::HttpClient> http, IndexOptions options);
  ~IndexClient();
  IndexClient(const IndexClient&) = delete;
  IndexClient& operator=(const IndexClient&) = delete;

  // The files of project `name` (any spelling; normalised per PEP 503), from find-links plus the
  // indexes as the strategy says. A project no index has gives an empty list. An index that cannot
  // be reached (ErrorKind::network), or answers other than 200/304/404 (ErrorKind::http), is an
  // error that names it (credentials never shown). Under first_index, an index "has" a project
  // when it serves a page for it, even an empty one. Find-links files come first. Answers are
  // memoised (errors too); thread-safe. A project that options.routes names is looked up on its
  // route's indexes only (see IndexRoute).
  Result<std::vector<DistFile>> project_files(std::string_view name);

  // Core metadata of one wheel (or an sdist's PKG-INFO when the index serves `.metadata` for it),
  // fetched as cheaply as possible; verified against metadata_hashes when given. Memoised;
  // thread-safe.
  Result<CoreMetadata> metadata(const DistFile& file);

  // Downloads `file` into the content-addressed cache (cache_dir/blobs/sha256/<hex>) and returns
  // its path, verifying `sha256` (hex) when given, else the index's sha256. A mismatch is
  // ErrorKind::integrity naming the file. Thread-safe.
  Result<fs::path> download(const DistFile& file, std::string_view sha256 = {});

  // Warms the memo for several projects / files at once, up to options.max_parallel in flight.
  // Errors are kept for the later project_files()/metadata() call to report.
  void prefetch_projects(const std::vector<std::string>& names);
  void prefetch_metadata(const std::vector<DistFile>& files);

  struct Stats {
    std::size_t requests = 0, cache_hits = 0, range_requests = 0, full_downloads = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlpack::pyindex
