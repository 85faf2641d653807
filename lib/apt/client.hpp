#pragma once
// The apt archive client: verified Release files, Packages indexes checked against them, and
// .deb downloads into the content-addressed cache.
//
// Cache layout under ClientOptions::cache_dir:
//   apt/indexes/<sha256>   a Packages index, decompressed; named by the SHA256 that the signed
//                          Release lists for the file we downloaded (Packages.xz, .gz or plain),
//                          so an unchanged InRelease means no index downloads at all
//   blobs/sha256/<sha256>  a .deb, named by its own SHA256 (shared with image blobs)
// Everything appears under its final name only once complete and verified (util::AtomicFile).
// The InRelease itself is fetched every time: it is what says whether anything changed.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apt/release.hpp"
#include "apt/signature.hpp"
#include "apt/source.hpp"
#include "deb/control.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "util/clock.hpp"
#include "util/digest.hpp"
#include "util/transfer.hpp"

namespace mlpack::apt {

// Verify::no skips OpenPGP signature checks (and nothing else: index and .deb hashes are still
// checked against the unverified Release). Only for --insecure-skip-verify, which the CLI makes
// loud.
enum class Verify { yes, no };

struct ClientOptions {
  std::filesystem::path cache_dir;
  std::string arch = "amd64";  // Debian architecture; Packages for it include Architecture: all
  Verify verify = Verify::yes;
  std::size_t max_parallel = 8;  // concurrent downloads
  net::RetryPolicy retry;
  GpgvOptions gpgv;
  // Seconds since the epoch, for Valid-Until and Date checks; empty means the system's clock.
  std::function<std::int64_t()> wall_clock;
  std::size_t max_release_size = 32 << 20;
  std::uint64_t max_index_size = 2ULL << 30;  // decompressed
  // Told about .deb downloads as their bytes arrive (not index files); may be null.
  util::TransferObserver* transfers = nullptr;
};

// A Release file whose signature was checked (unless Verify::no) and whose fields were checked.
struct FetchedRelease {
  Source source;
  std::string root;  // archive root with any snapshot applied, ending in '/'; .deb URLs are below it
  std::string dir;   // the URL of the directory holding InRelease, ending in '/'
  std::string url;   // the file whose signature was checked: .../InRelease or .../Release
  Release release;
  Verify verified = Verify::yes;
  std::vector<std::string> signers;  // fingerprints of the accepted signatures
  util::Digest digest = util::Digest::sha256_of("");  // of the signed Release text
};

// A Packages index in the cache.
struct IndexFile {
  std::string component;  // "" for a flat repository
  std::string arch;
  std::string url;  // where it was (or would have been) fetched from
  std::filesystem::path path;  // decompressed text
  bool cached = false;         // found in the cache, not downloaded
};

// One .deb to fetch: it is stored as blobs/sha256/<sha256> and must have exactly this size.
struct DebFile {
  std::string package;            // names it in messages: "libc6 2.36-9+deb12u4 (amd64)"
  std::vector<std::string> urls;  // tried in order: the mirror first, then fallbacks (snapshots)
  util::Digest sha256;
  std::uint64_t size = 0;
};

class ArchiveClient {
 public:
  // `http` must allow plain http to the sources' hosts (plain_http_hosts()); `clock` paces retries.
  ArchiveClient(std::shared_ptr<net::HttpClient> http, ClientOptions options,
                util::Clock& clock = util::system_clock());

  // Fetches InRelease, or Release + Release.gpg when the archive has no InRelease, verifies the
  // signature against source.keyring with gpgv and parses the signed text. Refuses a Release
  // for another suite, one not valid yet, and one past its Valid-Until (unless the source is
  // a snapshot, where old Release files are expected).
  Result<FetchedRelease> fetch_release(const Source& source) const;

  // The Packages index of `component` ("" for a flat repository) for the configured
  // architecture: Packages.xz, else .gz, else plain, whichever Release lists; checked for size
  // and SHA256 against Release before it is decompressed, and cached by that hash.
  Result<IndexFile> fetch_packages(const FetchedRelease& release, std::string_view component) const;

  // fetch_packages() for every component of the source (the one index of a flat repository),
  // in parallel.
  Result<std::vector<IndexFile>> fetch_all_packages(const FetchedRelease& release) const;

  // fetch_release() then fetch_all_packages() for each source, sources in parallel.
  struct SourceIndexes {
    FetchedRelease release;
    std::vector<IndexFile> indexes;
  };
  Result<std::vector<SourceIndexes>> fetch_sources(std::span<const Source> sources) const;

  // Downloads a .deb into blobs/sha256/<hex> unless it is there already, hashing it as it
  // streams. A URL that answers 404/410 (or fails to answer) passes on to the next one. A
  // size or hash mismatch is ErrorKind::integrity naming the package, and leaves nothing in the
  // cache. Returns the blob's path.
  Result<std::filesystem::path> fetch_deb(const DebFile& deb) const;
  // fetch_deb() for each, at most max_parallel at a time; paths in the same order.
  Result<std::vector<std::filesystem::path>> fetch_debs(std::span<const DebFile> debs) const;

  std::filesystem::path blob_path(const util::Digest& digest) const;
  const ClientOptions& options() const { return options_; }

 private:
  std::shared_ptr<net::HttpClient> http_;
  ClientOptions options_;
  util::Clock* clock_;
};

// Reads an index from the cache and calls `visit` for each package paragraph.
Result<void> for_each_package(const IndexFile& index, const std::function<Result<void>(deb::Paragraph&&)>& visit);

}  // namespace mlpack::apt
