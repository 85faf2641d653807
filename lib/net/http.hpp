#pragma once
// HTTP at the I/O boundary: plain request/response values and one client interface, so the
// registry code can be tested against a fake and run against libcurl (net/curl_client.hpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"
#include "util/io.hpp"
#include "util/url.hpp"

namespace mlpack::net {

using util::Result;

// Header fields in the order given. Lookup ignores the case of names.
class Headers {
 public:
  // Replaces every field called `name`.
  void set(std::string_view name, std::string value);
  void add(std::string name, std::string value);
  void remove(std::string_view name);
  // The first field called `name`.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// A request body: bytes in memory, or a stream of known length that can be opened again, so a
// request can be retried (and a large upload never sits in memory).
struct Body {
  using Opener = std::function<Result<std::unique_ptr<util::Reader>>()>;

  std::uint64_t length = 0;
  std::string data;  // used when `open` is empty
  Opener open;

  static Body from_string(std::string data);
  static Body from_stream(Opener open, std::uint64_t length);
  // A fresh reader over the body.
  Result<std::unique_ptr<util::Reader>> reader() const;
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::optional<Body> body;
  // Bodies that are not streamed into a sink are buffered up to this size; more is an error.
  std::size_t max_buffered_body = 16 << 20;
};

struct Response {
  int status = 0;
  Headers headers;
  // The body, unless it went to the caller's sink.
  std::string body;
  // The URL that answered (after redirects).
  std::string url;
  // How many tries it took (set by send_with_retry).
  int attempts = 1;

  bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request. A 2xx response body goes to `body_sink` when one is given; any other body
  // is buffered into Response::body (up to Request::max_buffered_body). An HTTP error status is
  // a Response, not an error: errors are ErrorKind::network (could not connect, connection
  // dropped, timed out), the sink's or the body reader's own error, or invalid_input (a URL we
  // refuse, such as plain http to a host not allowed it). Thread-safe. Messages never contain
  // credentials.
  virtual Result<Response> send(const Request& request, util::Writer* body_sink = nullptr) = 0;
};

// Network errors from a failed TLS handshake carry this in their message. They are not worth
// retrying: an untrusted certificate stays untrusted.
inline constexpr std::string_view tls_error_marker = "TLS: ";
bool is_tls_failure(const util::Error& error);

// "Not Found" for 404; "" for codes we do not name.
std::string_view status_text(int status);
// "404 Not Found".
std::string status_line(int status);

// The parts of an absolute URL we need. `host` keeps IPv6 brackets; `port` is empty when absent.
struct UrlParts {
  std::string scheme;  // lowercase
  std::string host;
  std::string port;
  std::string path_and_query;  // starts with '/'
  // "host" or "host:port".
  std::string authority() const { return port.empty() ? host : host + ":" + port; }
};
Result<UrlParts> parse_url(std::string_view url);
// Resolves a Location header value (absolute, host-relative or path-relative) against `base`.
Result<std::string> resolve_url(std::string_view base, std::string_view location);
// Appends `key=value` with '?' or '&'. The value must already be URL-safe.
std::string append_query(std::string_view url, std::string_view key, std::string_view value);
// Percent-encoding lives with the other URL text helpers (util/url.hpp).
using util::percent_encode;
// Percent-encodes everything except unreserved characters (RFC 3986).
std::string url_encode(std::string_view s);
// A URL fit for messages: credentials removed, and a long query (upload state tokens) elided.
std::string display_url(std::string_view url);

// localhost, 127.0.0.0/8 or ::1 (with or without brackets), without a port.
bool is_loopback_host(std::string_view host);

// The request to send after a redirect response, or nullopt when `response` is not a redirect.
// The Authorization header is dropped when the new location is on another host or scheme, and
// 303 (or 301/302 after POST) turns the request into a bodiless GET.
Result<std::optional<Request>> redirect_request(const Request& request, const Response& response);

// Which hosts may be contacted over plain http: loopback hosts always, others only when listed
// (as "host" or "host:port").
bool plain_http_allowed(const UrlParts& url, const std::vector<std::string>& insecure_hosts);

}  // namespace mlpack::net
