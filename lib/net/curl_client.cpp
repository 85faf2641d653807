#include "net/curl_client.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::net {

using util::ErrorKind;
using util::fail;
namespace fs = std::filesystem;

namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// State of one transfer, shared with curl's callbacks.
struct Transfer {
  const Request* request = nullptr;
  const Body* body = nullptr;  // null: an empty body
  std::uint64_t body_length = 0;
  util::Writer* sink = nullptr;
  Response response;
  std::unique_ptr<util::Reader> body_reader;
  std::uint64_t sent = 0;
  std::optional<util::Error> callback_error;  // from our reader or the caller's sink
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after 100 Continue, say) replaces what came before.
    t->response.headers = Headers{};
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) t->response.status = std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    t->response.headers.add(util::trim(line.substr(0, colon)), util::trim(line.substr(colon + 1)));
  return size * n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  if (t->sink && t->response.ok()) {
    if (auto r = t->sink->write({reinterpret_cast<const std::byte*>(data), len}); !r) {
      t->callback_error = r.error();
      return 0;
    }
    return len;
  }
  if (t->response.body.size() + len > t->request->max_buffered_body) {
    t->callback_error = util::Error{ErrorKind::http, "response body exceeds " +
                                                         util::human_bytes(t->request->max_buffered_body)};
    return 0;
  }
  t->response.body.append(data, len);
  return len;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::uint64_t length = t->body_length;
  std::size_t want = std::min<std::uint64_t>(size * n, length - t->sent);
  // At the declared length, read once more so a verifying reader sees the end of its stream.
  std::byte extra[1];
  std::span<std::byte> out = want ? std::span<std::byte>(reinterpret_cast<std::byte*>(buffer), want)
                                  : std::span<std::byte>(extra, 1);
  auto got = t->body_reader->read(out);
  if (!got) {
    t->callback_error = got.error();
    return CURL_READFUNC_ABORT;
  }
  if (want == 0 && *got > 0) {
    t->callback_error = util::Error{ErrorKind::integrity, "request body is longer than its declared " +
                                                              std::to_string(length) + " bytes"};
    return CURL_READFUNC_ABORT;
  }
  if (want > 0 && *got == 0) {
    t->callback_error = util::Error{ErrorKind::integrity, "request body ended after " + std::to_string(t->sent) +
                                                              " of " + std::to_string(length) + " bytes"};
    return CURL_READFUNC_ABORT;
  }
  t->sent += *got;
  return *got;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  // curl rewinds only to resend a body from the start; our bodies can be reopened for that.
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  Result<std::unique_ptr<util::Reader>> r = std::make_unique<util::StringReader>("");
  if (t->body) r = t->body->reader();
  if (!r) {
    t->callback_error = r.error();
    return CURL_SEEKFUNC_FAIL;
  }
  t->body_reader = std::move(*r);
  t->sent = 0;
  return CURL_SEEKFUNC_OK;
}

bool is_tls_error(CURLcode c) {
  return c == CURLE_SSL_CONNECT_ERROR || c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
         c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_CIPHER || c == CURLE_SSL_ISSUER_ERROR ||
         c == CURLE_SSL_PINNEDPUBKEYNOTMATCH || c == CURLE_SSL_INVALIDCERTSTATUS;
}

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(CurlOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<Response> send(const Request& request, util::Writer* sink) override {
    Request current = request;
    for (int hop = 0;; ++hop) {
      auto response = TRY(send_one(current, sink));
      auto next = TRY_CONTEXT(redirect_request(current, response), describe(current));
      if (!next) return response;
      if (hop >= options_.max_redirects)
        return fail(ErrorKind::http, describe(request) + ": more than " + std::to_string(options_.max_redirects) +
                                         " redirects");
      current = std::move(*next);
    }
  }

 private:
  static std::string describe(const Request& r) { return r.method + " " + display_url(r.url); }

  EasyHandle acquire() {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      EasyHandle h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
    return EasyHandle(curl_easy_init());
  }

  // Handles keep their connection caches, so returning them to the pool reuses connections.
  void release(EasyHandle h) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 16) idle_.push_back(std::move(h));
  }

  // extra_ca_certificates, read once per host.
  std::string extra_cas(const UrlParts& url) {
    std::lock_guard lock(mutex_);
    auto key = url.authority();
    if (auto it = ca_cache_.find(key); it != ca_cache_.end()) return it->second;
    std::string pem = extra_ca_certificates(options_, url);
    ca_cache_[key] = pem;
    return pem;
  }

  Result<Response> send_one(const Request& request, util::Writer* sink) {
    const std::string what = describe(request);
    auto url = TRY_CONTEXT(parse_url(request.url), what);
    if (url.scheme != "https" && url.scheme != "http")
      return fail(ErrorKind::invalid_input, what + ": unsupported URL scheme `" + url.scheme + "`");
    if (url.scheme == "http" && !plain_http_allowed(url, options_.insecure_hosts))
      return fail(ErrorKind::invalid_input, what + ": plain http to `" + url.authority() +
                                                "` is not allowed (TLS is required unless the host is loopback "
                                                "or named as an insecure registry)");

    EasyHandle handle = acquire();
    if (!handle) return fail(ErrorKind::internal, what + ": curl_easy_init failed");
    CURL* h = handle.get();
    curl_easy_reset(h);

    Transfer t;
    t.request = &request;
    t.sink = sink;
    char errbuf[CURL_ERROR_SIZE] = {};

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);

    std::string cas;
    if (url.scheme == "https") {
      cas = extra_cas(url);
      if (!cas.empty()) {
        curl_blob blob{cas.data(), cas.size(), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
      }
    }

    Slist headers;
    auto add_header = [&](const std::string& line) {
      curl_slist* l = curl_slist_append(headers.get(), line.c_str());
      if (l) {
        (void)headers.release();
        headers.reset(l);
      }
    };
    for (const auto& [k, v] : request.headers.fields()) {
    // curl derives Content-Length from the body length it is given; two would be an error.
    if (util::to_lower(k) == "content-length") continue;
    add_header(v.empty() ? k + ";" : k + ": " + v);
  }
    // Registries answer at once; waiting for 100 Continue only adds a round trip.
    add_header("Expect:");

    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET" || request.body) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      std::uint64_t length = request.body ? request.body->length : 0;
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
      t.body_length = length;
      if (request.body) {
        t.body = &*request.body;
        t.body_reader = TRY_CONTEXT(request.body->reader(), what);
      } else {
        t.body_reader = std::make_unique<util::StringReader>("");
      }
      curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    if (rc != CURLE_OK) {
      // A failed handle may hold a broken connection; curl discards those itself.
      release(std::move(handle));
      if (t.callback_error) return std::unexpected(t.callback_error->context(what));
      std::string detail = errbuf[0] ? util::trim(errbuf) : curl_easy_strerror(rc);
      if (rc == CURLE_PEER_FAILED_VERIFICATION)
        detail += " (to trust a private CA, name its certificate in $SSL_CERT_FILE or put it in /etc/docker/certs.d/" +
                  url.authority() + "/ca.crt)";
      if (is_tls_error(rc)) return fail(ErrorKind::network, what + ": " + std::string(tls_error_marker) + detail);
      return fail(ErrorKind::network, what + ": " + detail);
    }
    release(std::move(handle));
    t.response.url = request.url;
    return std::move(t.response);
  }

  CurlOptions options_;
  std::mutex mutex_;
  std::vector<EasyHandle> idle_;
  std::map<std::string, std::string> ca_cache_;
};

}  // namespace

std::string extra_ca_certificates(const CurlOptions& options, const UrlParts& url) {
  std::string pem;
  auto add_file = [&](const fs::path& p) {
    if (auto text = util::read_file(p, 4 << 20)) pem += *text + "\n";
  };
  if (!options.ca_file.empty()) add_file(options.ca_file);
  std::error_code ec;
  for (const auto& dir : options.certs_dirs) {
    for (const auto& name : {url.authority(), url.host}) {
      for (const auto& entry : fs::directory_iterator(dir / name, ec))
        if (entry.path().extension() == ".crt") add_file(entry.path());
      if (name == url.host) break;
    }
  }
  if (pem.empty()) return pem;
  // CURLOPT_CAINFO_BLOB replaces the default bundle, so the system's goes in too.
  std::string system;
  if (auto h = EasyHandle(curl_easy_init())) {
    char* path = nullptr;
    if (curl_easy_getinfo(h.get(), CURLINFO_CAINFO, &path) == CURLE_OK && path)
      if (auto text = util::read_file(path, 16 << 20)) system = *text;
  }
  return system + "\n" + pem;
}

std::shared_ptr<HttpClient> make_curl_client(CurlOptions options) {
  return std::make_shared<CurlClient>(std::move(options));
}

}  // namespace mlpack::net
