#include "registry/client.hpp"

#include <nlohmann/json.hpp>

#include "net/curl_client.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"
#include "util/verified_file.hpp"

namespace mlpack::registry {

using util::ErrorKind;
using util::fail;

namespace {

std::string describe(const net::Request& r) { return r.method + " " + net::display_url(r.url); }

// Reads at most `limit` bytes of another reader, which it does not own.
class WindowReader final : public util::Reader {
 public:
  WindowReader(util::Reader& inner, std::uint64_t limit) : inner_(inner), left_(limit) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    if (left_ == 0) return 0;
    auto n = TRY(inner_.read(out.first(std::min<std::uint64_t>(out.size(), left_))));
    left_ -= n;
    return n;
  }

 private:
  util::Reader& inner_;
  std::uint64_t left_;
};

// Reads and drops `count` bytes (through the verifying reader, so its hash stays whole).
Result<void> skip(util::Reader& r, std::uint64_t count) {
  std::vector<std::byte> buf(256 * 1024);
  while (count > 0) {
    auto n = TRY(r.read(std::span(buf).first(std::min<std::uint64_t>(buf.size(), count))));
    if (n == 0) return fail(ErrorKind::integrity, "blob ended early while resuming an upload");
    count -= n;
  }
  return {};
}

// How many bytes an upload holds, from the Range header of "0-<last byte>" in an upload status;
// nullopt when absent or malformed. "0-0" is read as nothing: registries send it for an empty
// upload too, and starting over from 0 is safe (a registry that disagrees answers 416).
std::optional<std::uint64_t> uploaded_bytes(const net::Response& r) {
  auto range = r.headers.get("Range");
  if (!range) return std::nullopt;
  std::string v = util::trim(*range);
  if (v.starts_with("bytes=")) v = v.substr(6);
  auto dash = v.find('-');
  if (dash == std::string::npos || dash + 1 >= v.size()) return std::nullopt;
  try {
    auto end = std::stoull(v.substr(dash + 1));
    return end == 0 ? 0 : end + 1;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

Result<std::shared_ptr<RegistryClient>> RegistryClient::create(std::string registry, const RegistryOptions& options) {
  std::optional<Credentials> creds;
  if (options.docker_config)
    creds = TRY_CONTEXT(lookup_credentials(registry, *options.docker_config), "reading credentials for " + registry);
  auto http = options.http;
  if (!http) {
    net::CurlOptions curl;
    curl.insecure_hosts = options.insecure_hosts;
    curl.ca_file = options.ca_file;
    http = net::make_curl_client(std::move(curl));
  }
  return std::shared_ptr<RegistryClient>(new RegistryClient(std::move(registry), options, std::move(http),
                                                            std::move(creds), options.docker_config));
}

RegistryClient::RegistryClient(std::string registry, const RegistryOptions& options,
                               std::shared_ptr<net::HttpClient> http, std::optional<Credentials> credentials,
                               std::optional<fs::path> config_path)
    : registry_(std::move(registry)),
      api_host_(registry_ == "docker.io" ? "registry-1.docker.io" : registry_),
      options_(options),
      http_(std::move(http)),
      clock_(options.clock ? options.clock : &util::system_clock()),
      config_path_(std::move(config_path)),
      auth_(Authenticator::Context{registry_, std::move(credentials), http_.get(), clock_, options.retry}) {}

std::string RegistryClient::url(const std::string& path_or_url) const {
  if (path_or_url.find("://") != std::string::npos) return path_or_url;
  return base_url_ + path_or_url;
}

Result<void> RegistryClient::ping() {
  std::lock_guard lock(ping_mutex_);
  if (pinged_) return {};
  auto parts = TRY_CONTEXT(net::parse_url("https://" + api_host_ + "/"), "registry `" + registry_ + "`");
  const bool plain_allowed = net::plain_http_allowed(parts, options_.insecure_hosts);

  // Loopback registries are tried over plain http first: that traffic never leaves the machine,
  // the ping carries no credentials, and a local test registry then costs no failed TLS
  // handshake. Elsewhere https comes first and plain http only for --insecure-registry hosts.
  std::vector<std::string> schemes{"https"};
  if (plain_allowed) {
    if (net::is_loopback_host(parts.host)) schemes.insert(schemes.begin(), "http");
    else schemes.push_back("http");
  }
  std::optional<util::Error> https_error, http_error;
  for (std::size_t i = 0; i < schemes.size(); ++i) {
    const std::string& scheme = schemes[i];
    const bool more = i + 1 < schemes.size();
    net::Request req;
    req.url = scheme + "://" + api_host_ + "/v2/";
    req.max_buffered_body = 1 << 20;
    // Retried like every other request: a transient status or a dropped connection says nothing
    // about the scheme. What does (a TLS handshake failing, a TLS port answering plain http with
    // 400) is never retried, so the next scheme still comes at once.
    net::RetryOptions retry{options_.retry};
    auto resp = net::send_with_retry(*http_, req, nullptr, retry, *clock_);
    if (!resp) {
      (scheme == "https" ? https_error : http_error) = resp.error();
      continue;
    }
    if (resp->status == 401) auth_.set_challenge(resp->headers);
    if (resp->ok() || resp->status == 401) {
      base_url_ = scheme + "://" + api_host_;
      pinged_ = true;
      return {};
    }
    auto error = status_error(req, *resp).context("registry " + registry_ + " does not answer the /v2/ API");
    // It speaks this scheme and kept failing: another scheme would only hide that.
    if (net::is_retryable_status(resp->status)) return std::unexpected(error);
    // A TLS registry answers plain http with 400: that says nothing about the registry.
    if (more) {
      (scheme == "https" ? https_error : http_error) = error;
      continue;
    }
    if (scheme == "http" && https_error) return std::unexpected(*https_error);
    return std::unexpected(error);
  }
  // Both failed; the https error is the more telling one when the http one is a mere refusal.
  if (https_error && http_error)
    return std::unexpected(
        util::Error{https_error->kind, https_error->message + "; and over plain http: " + http_error->message});
  return std::unexpected(https_error ? *https_error : *http_error);
}

util::Error RegistryClient::status_error(const net::Request& request, const net::Response& response) const {
  std::string msg = describe(request) + ": " + net::status_line(response.status);
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    if (auto errs = doc.find("errors"); errs != doc.end() && errs->is_array() && !errs->empty() && (*errs)[0].is_object()) {
      const auto& e = (*errs)[0];
      if (auto c = e.find("code"); c != e.end() && c->is_string()) msg += ": " + c->get<std::string>();
      if (auto m = e.find("message"); m != e.end() && m->is_string() && !m->get<std::string>().empty())
        msg += ": " + m->get<std::string>();
    }
  }
  if (response.attempts > 1) msg += " (after " + std::to_string(response.attempts) + " attempts)";

  const auto& creds = auth_.credentials();
  if (response.status == 401) {
    if (creds && !creds->username.empty())
      return {ErrorKind::auth, "registry " + registry_ + " refused the credentials for user `" + creds->username + "`: " + msg};
    if (!config_path_)
      return {ErrorKind::auth, "registry " + registry_ + " requires authentication and no Docker config was given: " + msg};
    return {ErrorKind::auth, "registry " + registry_ + " requires authentication and `" + config_path_->string() +
                                 "` has no credentials for it: " + msg};
  }
  if (response.status == 403) return {ErrorKind::auth, "registry " + registry_ + " denied access: " + msg};
  if (response.status == 404) return {ErrorKind::not_found, msg};
  return {ErrorKind::http, msg};
}

Result<net::Response> RegistryClient::send(net::Request request, const std::string& scopes, util::Writer* sink,
                                           net::RetryNetworkErrors retry_network,
                                           std::function<Result<void>()> restart_sink) {
  TRY(ping());
  request.url = url(request.url);
  net::RetryOptions retry{options_.retry, retry_network, std::move(restart_sink)};
  auto authorization = TRY(auth_.authorization(scopes, false));
  for (int round = 0;; ++round) {
    if (authorization.empty()) request.headers.remove("Authorization");
    else request.headers.set("Authorization", authorization);

    auto resp = net::send_with_retry(*http_, request, sink, retry, *clock_);
    if (!resp || resp->status != 401 || round > 0) return resp;
    // A token may have expired early or lack a scope; the challenge says what is needed now.
    auth_.set_challenge(resp->headers);
    auth_.invalidate(scopes);
    auto next = TRY(auth_.authorization(scopes, true));
    // Sending the same Basic credentials (or none) again would only repeat the 401.
    if (next.empty() || (next == authorization && next.starts_with("Basic "))) return resp;
    authorization = std::move(next);
  }
}

Result<bool> RegistryClient::blob_exists(const std::string& repository, const util::Digest& digest) {
  net::Request req;
  req.method = "HEAD";
  req.url = "/v2/" + repository + "/blobs/" + digest.str();
  auto resp = TRY(send(req, repository_scope(repository, false)));
  if (resp.ok()) return true;
  if (resp.status == 404) return false;
  req.url = url(req.url);
  return std::unexpected(status_error(req, resp));
}

Result<bool> RegistryClient::mount_blob(const std::string& repository, const util::Digest& digest, const std::string& from) {
  net::Request req;
  req.method = "POST";
  req.url = "/v2/" + repository + "/blobs/uploads/?mount=" + net::url_encode(digest.str()) + "&from=" + net::url_encode(from);
  auto resp = TRY(send(req, repository_scope(repository, true) + " " + repository_scope(from, false)));
  if (resp.status == 201) return true;
  if (resp.status == 202) {
    // The registry opened an ordinary upload instead; cancel it (best effort) so it does not linger.
    if (auto loc = resp.headers.get("Location"))
      if (auto target = net::resolve_url(resp.url.empty() ? url(req.url) : resp.url, *loc)) {
        net::Request del;
        del.method = "DELETE";
        del.url = *target;
        (void)send(del, repository_scope(repository, true));
      }
  }
  // Anything else (no access to the source, mounting unsupported) just means: upload it.
  return false;
}

Result<std::string> RegistryClient::start_upload(const std::string& repository) {
  net::Request req;
  req.method = "POST";
  req.url = "/v2/" + repository + "/blobs/uploads/";
  auto resp = TRY(send(req, repository_scope(repository, true)));
  req.url = url(req.url);
  if (resp.status != 202) return std::unexpected(status_error(req, resp));
  auto loc = resp.headers.get("Location");
  if (!loc) return fail(ErrorKind::http, describe(req) + ": the registry gave no upload Location");
  return net::resolve_url(req.url, *loc);
}

Result<void> RegistryClient::finish_upload(const std::string& repository, const std::string& location,
                                           const oci::Descriptor& blob, std::optional<net::Body> rest) {
  net::Request req;
  req.method = "PUT";
  req.url = net::append_query(location, "digest", net::url_encode(blob.digest.str()));
  if (rest) req.headers.set("Content-Type", "application/octet-stream");
  req.headers.set("Content-Length", std::to_string(rest ? rest->length : 0));
  req.body = std::move(rest);
  // A dropped connection may have left part of the body in the session, so it is not resent
  // here; upload_blob starts a fresh session instead.
  auto resp = TRY(send(req, repository_scope(repository, true), nullptr, net::RetryNetworkErrors::no));
  if (resp.status != 201) return std::unexpected(status_error(req, resp));
  return {};
}

Result<void> RegistryClient::upload_monolithic(const std::string& repository, const oci::Descriptor& blob,
                                               const oci::BlobOpener& open) {
  auto location = TRY(start_upload(repository));
  auto body = net::Body::from_stream(
      [&]() -> Result<std::unique_ptr<util::Reader>> {
        auto r = TRY(open());
        return oci::verify_reader(std::move(r), blob);
      },
      static_cast<std::uint64_t>(blob.size));
  return finish_upload(repository, location, blob, std::move(body));
}

Result<void> RegistryClient::upload_chunked(const std::string& repository, const oci::Descriptor& blob,
                                            const oci::BlobOpener& open) {
  auto location = TRY(start_upload(repository));
  const auto size = static_cast<std::uint64_t>(blob.size);
  const std::string scopes = repository_scope(repository, true);

  std::unique_ptr<util::Reader> reader;
  std::uint64_t offset = 0;
  auto reopen_at = [&](std::uint64_t at) -> Result<void> {
    auto r = TRY(open());
    reader = oci::verify_reader(std::move(r), blob);
    offset = at;
    return skip(*reader, at);
  };
  TRY(reopen_at(0));

  int resumes = 0;
  while (offset < size) {
    const std::uint64_t n = std::min(options_.chunk_size, size - offset);
    net::Request req;
    req.method = "PATCH";
    req.url = location;
    req.headers.set("Content-Type", "application/octet-stream");
    req.headers.set("Content-Range", std::to_string(offset) + "-" + std::to_string(offset + n - 1));
    req.headers.set("Content-Length", std::to_string(n));
    bool opened = false;
    const std::uint64_t chunk_start = offset;
    req.body = net::Body::from_stream(
        [&]() -> Result<std::unique_ptr<util::Reader>> {
          // curl resends a request itself when a reused connection turns out dead, and rewinds
          // the body for that; the chunk then has to be read again from a fresh stream.
          if (std::exchange(opened, true)) TRY(reopen_at(chunk_start));
          return std::unique_ptr<util::Reader>(new WindowReader(*reader, n));
        },
        n);
    auto resp = send(req, scopes, nullptr, net::RetryNetworkErrors::no);
    if (resp && resp->status == 202) {
      offset += n;
      if (auto loc = resp->headers.get("Location")) {
        location = TRY(net::resolve_url(location, *loc));
      }
      continue;
    }
    // Only a dropped connection or a transient status is worth resuming; our own reader's
    // errors (a digest mismatch) and the registry's refusals are final.
    bool transient = resp ? net::is_retryable_status(resp->status) || resp->status == 416
                          : resp.error().kind == ErrorKind::network;
    util::Error error = resp ? status_error(req, *resp) : resp.error();
    if (!transient || ++resumes >= std::max(1, options_.upload_attempts)) return std::unexpected(error);

    // Ask the registry how much it has, and go on from there.
    clock_->sleep_for(net::backoff_delay(options_.retry, resumes));
    net::Request status_req;
    status_req.url = location;
    auto status = send(status_req, scopes);
    if (!status) return std::unexpected(error);
    if (status->status != 204 && status->status != 202) return std::unexpected(error);
    std::uint64_t have = 0;
    if (auto n = uploaded_bytes(*status)) have = *n;
    if (have > size) return fail(ErrorKind::http, "the registry claims " + std::to_string(have) + " bytes of a " +
                                                      std::to_string(size) + "-byte upload");
    if (auto loc = status->headers.get("Location"))
      if (auto next = net::resolve_url(location, *loc)) location = *next;
    TRY(reopen_at(have));
  }
  // Read to the end of the stream so the verifying reader checks digest and size before the
  // registry is asked to commit the upload.
  std::byte probe[1];
  auto tail = TRY(reader->read(probe));
  if (tail != 0) return fail(ErrorKind::integrity, "blob " + blob.digest.str() + " is longer than its declared size");
  return finish_upload(repository, location, blob);
}

Result<void> RegistryClient::upload_blob(const std::string& repository, const oci::Descriptor& blob,
                                         const oci::BlobOpener& open) {
  const std::string what = "uploading blob " + blob.digest.str() + " (" + util::human_bytes(blob.size) + ") to " +
                           registry_ + "/" + repository;
  const int attempts = std::max(1, options_.upload_attempts);
  for (int attempt = 1;; ++attempt) {
    auto r = static_cast<std::uint64_t>(blob.size) <= options_.monolithic_limit ? upload_monolithic(repository, blob, open)
                                                                               : upload_chunked(repository, blob, open);
    if (r) return r;
    // A fresh upload session helps after a dropped connection; nothing else gets better by repeating.
    if (r.error().kind != ErrorKind::network || net::is_tls_failure(r.error()) || attempt >= attempts) {
      auto e = r.error();
      if (attempt > 1) e.message += " (after " + std::to_string(attempt) + " upload attempts)";
      return std::unexpected(std::move(e).context(what));
    }
    clock_->sleep_for(net::backoff_delay(options_.retry, attempt));
  }
}

Result<oci::RawManifest> RegistryClient::get_manifest(const std::string& repository, const std::string& reference,
                                                      const std::optional<util::Digest>& expected) {
  net::Request req;
  req.url = "/v2/" + repository + "/manifests/" + reference;
  req.headers.set("Accept", std::string(oci::media::oci_manifest) + ", " + std::string(oci::media::oci_index) + ", " +
                                std::string(oci::media::docker_manifest) + ", " +
                                std::string(oci::media::docker_manifest_list));
  req.max_buffered_body = 8 << 20;
  const std::string what = "getting manifest " + registry_ + "/" + repository + ":" + reference;
  auto resp = TRY_CONTEXT(send(req, repository_scope(repository, false)), what);
  req.url = url(req.url);
  if (!resp.ok()) return std::unexpected(status_error(req, resp).context(what));

  oci::RawManifest m;
  m.bytes = std::move(resp.body);
  m.digest = util::Digest::sha256_of(m.bytes);
  std::string type = resp.headers.get("Content-Type").value_or("");
  type = util::trim(type.substr(0, type.find(';')));  // drop parameters such as charset
  if (type.empty() || type == "application/json" || type == "text/plain") type = oci::detect_media_type(m.bytes);
  m.media_type = type;

  std::optional<util::Digest> want = expected;
  if (!want) {
    if (auto header = resp.headers.get("Docker-Content-Digest"))
      if (auto d = util::Digest::parse(util::trim(*header)); d && d->algorithm() == "sha256") want = *d;
  }
  if (want && want->algorithm() != "sha256")
    return fail(ErrorKind::unsupported, what + ": cannot verify a " + want->algorithm() + " digest");
  if (want && *want != m.digest)
    return fail(ErrorKind::integrity, what + ": the registry sent a manifest with digest " + m.digest.str() +
                                          ", expected " + want->str());
  return m;
}

Result<void> RegistryClient::put_manifest(const std::string& repository, const std::string& reference,
                                          const oci::RawManifest& manifest) {
  net::Request req;
  req.method = "PUT";
  req.url = "/v2/" + repository + "/manifests/" + reference;
  req.headers.set("Content-Type", manifest.media_type);
  req.body = net::Body::from_string(manifest.bytes);
  const std::string what = "putting manifest " + manifest.digest.short_str() + " as " + registry_ + "/" + repository +
                           (reference.starts_with("sha256:") ? "@" : ":") + reference;
  auto resp = TRY_CONTEXT(send(req, repository_scope(repository, true)), what);
  req.url = url(req.url);
  if (resp.status != 201 && resp.status != 200) return std::unexpected(status_error(req, resp).context(what));
  if (auto header = resp.headers.get("Docker-Content-Digest"))
    if (auto d = util::Digest::parse(util::trim(*header)); d && d->algorithm() == "sha256" && *d != manifest.digest)
      return fail(ErrorKind::integrity, what + ": the registry stored digest " + d->str() + ", expected " +
                                            manifest.digest.str());
  return {};
}

Result<fs::path> RegistryClient::fetch_blob(const std::string& repository, const oci::Descriptor& blob,
                                            const fs::path& cache_dir) {
  const std::string what = "downloading blob " + blob.digest.str() + " from " + registry_ + "/" + repository;
  if (blob.digest.algorithm() != "sha256")
    return fail(ErrorKind::unsupported, what + ": only sha256 digests are supported");
  const fs::path dir = cache_dir / "blobs" / "sha256";
  const fs::path dest = dir / blob.digest.hex();
  std::error_code ec;
  // The cache only ever holds verified blobs (they are renamed in after the check), so a file of
  // the right size is the blob.
  if (auto size = fs::file_size(dest, ec); !ec && size == static_cast<std::uintmax_t>(blob.size)) return dest;
  TRY_CONTEXT(util::make_dirs(dir), what);

  util::VerifiedFile download(dest, blob.digest, static_cast<std::uint64_t>(blob.size), "blob " + blob.digest.str());
  TRY_CONTEXT(download.restart(), what);
  net::Request req;
  req.url = "/v2/" + repository + "/blobs/" + blob.digest.str();
  auto resp = TRY_CONTEXT(send(req, repository_scope(repository, false), &download, net::RetryNetworkErrors::yes,
                               [&] { return download.restart(); }),
                          what);
  req.url = url(req.url);
  if (!resp.ok()) return std::unexpected(status_error(req, resp).context(what));
  TRY_CONTEXT(download.commit(), what);
  return dest;
}

}  // namespace mlpack::registry
