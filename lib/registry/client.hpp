#pragma once
// A client for one registry, speaking the OCI distribution spec: ping and auth, blob existence,
// cross-repository mount, monolithic and chunked uploads, manifests, and verified blob downloads
// into a content-addressed cache.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/http.hpp"
#include "net/retry.hpp"
#include "oci/transport.hpp"
#include "oci/types.hpp"
#include "registry/auth.hpp"
#include "util/clock.hpp"

namespace mlpack::registry {

namespace fs = std::filesystem;

struct RegistryOptions {
  // Hosts ("host" or "host:port") that may be reached over plain http. Loopback hosts always may.
  std::vector<std::string> insecure_hosts;
  // Pulled blobs are kept in <cache_dir>/blobs/sha256/<hex>. Empty: a temporary directory that
  // lives as long as the source.
  fs::path cache_dir;
  // The Docker config file credentials come from (docker_config_path gives the one docker would
  // read in an environment). nullopt: none, every request goes without credentials.
  std::optional<fs::path> docker_config;
  // The HTTP client; null means libcurl (with insecure_hosts and ca_file).
  std::shared_ptr<net::HttpClient> http;
  // A PEM file of CA certificates the libcurl client trusts beside the system's; empty: none.
  fs::path ca_file;
  // The clock for backoff and token expiry; null means the system clock.
  util::Clock* clock = nullptr;
  net::RetryPolicy retry;
  // Blobs up to this size go up in one PUT; larger ones in PATCH chunks of chunk_size.
  std::uint64_t monolithic_limit = 64ull << 20;
  std::uint64_t chunk_size = 64ull << 20;
  // How many times one blob upload is resumed or restarted after a dropped connection.
  int upload_attempts = 3;
};

class RegistryClient {
 public:
  // `registry` as in a reference ("docker.io", "localhost:5000"). Reads credentials now (so a
  // broken config is reported early) but contacts the registry only on first use.
  static Result<std::shared_ptr<RegistryClient>> create(std::string registry, const RegistryOptions& options);

  const std::string& registry() const { return registry_; }

  // GET /v2/: picks https, or plain http when allowed and https does not answer, and records the
  // auth challenge. Done once, on first use; later calls return at once.
  Result<void> ping();

  // HEAD of a blob: true when the repository has it.
  Result<bool> blob_exists(const std::string& repository, const util::Digest& digest);
  // Asks the registry to mount a blob from another repository. False when the registry chose
  // not to (it then offered an upload session, which is cancelled).
  Result<bool> mount_blob(const std::string& repository, const util::Digest& digest, const std::string& from);
  // Uploads a blob: one PUT up to monolithic_limit, PATCH chunks above it. A dropped connection
  // resumes a chunked upload where the registry says it stands, or restarts the upload, up to
  // upload_attempts times. The bytes from `open` are verified against the descriptor as they go.
  Result<void> upload_blob(const std::string& repository, const oci::Descriptor& blob, const oci::BlobOpener& open);

  // GET of a manifest or index by tag or digest, with every manifest type we read in Accept. When
  // `expected` is set, or the registry sends Docker-Content-Digest, the bytes are checked.
  Result<oci::RawManifest> get_manifest(const std::string& repository, const std::string& reference,
                                        const std::optional<util::Digest>& expected = std::nullopt);
  // PUT of a manifest under a tag or its digest.
  Result<void> put_manifest(const std::string& repository, const std::string& reference, const oci::RawManifest& manifest);

  // Downloads a blob into <cache_dir>/blobs/sha256/<hex> unless it is already there, verifying
  // digest and size first: a mismatch leaves nothing in the cache. Returns the cached path.
  Result<fs::path> fetch_blob(const std::string& repository, const oci::Descriptor& blob, const fs::path& cache_dir);

  // Sends a request to the registry (its path relative to the registry's base URL, or absolute),
  // with authorization for `scopes`; on a 401 the credentials are refreshed once and the request
  // retried. HTTP error statuses come back as responses.
  Result<net::Response> send(net::Request request, const std::string& scopes, util::Writer* sink = nullptr,
                             net::RetryNetworkErrors retry_network = net::RetryNetworkErrors::yes,
                             std::function<Result<void>()> restart_sink = {});

  // The error for an unexpected response: `METHOD URL: STATUS: CODE: message` (the registry's
  // error JSON when present). 401/403 are ErrorKind::auth, 404 not_found, others http.
  util::Error status_error(const net::Request& request, const net::Response& response) const;

 private:
  RegistryClient(std::string registry, const RegistryOptions& options, std::shared_ptr<net::HttpClient> http,
                 std::optional<Credentials> credentials, std::optional<fs::path> config_path);

  Result<void> upload_monolithic(const std::string& repository, const oci::Descriptor& blob, const oci::BlobOpener& open);
  Result<void> upload_chunked(const std::string& repository, const oci::Descriptor& blob, const oci::BlobOpener& open);
  Result<std::string> start_upload(const std::string& repository);
  // PUT ?digest= to the upload `location`, which closes the session: with the rest of the blob as
  // the body, or with none once every chunk is in. 201 Created is success.
  Result<void> finish_upload(const std::string& repository, const std::string& location, const oci::Descriptor& blob,
                             std::optional<net::Body> rest = std::nullopt);
  std::string url(const std::string& path_or_url) const;

  std::string registry_;
  std::string api_host_;
  RegistryOptions options_;
  std::shared_ptr<net::HttpClient> http_;
  util::Clock* clock_;
  std::optional<fs::path> config_path_;  // for messages
  Authenticator auth_;

  std::mutex ping_mutex_;
  bool pinged_ = false;
  std::string base_url_;  // "https://host:port", set by ping()
};

}  // namespace mlpack::registry
