#include "net/http.hpp"

#include <algorithm>
#include <cctype>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::net {

using util::ErrorKind;
using util::fail;

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) out.push_back(v);
  return out;
}

Body Body::from_string(std::string data) {
  Body b;
  b.length = data.size();
  b.data = std::move(data);
  return b;
}

Body Body::from_stream(Opener open, std::uint64_t length) {
  Body b;
  b.length = length;
  b.open = std::move(open);
  return b;
}

Result<std::unique_ptr<util::Reader>> Body::reader() const {
  if (open) return open();
  return std::make_unique<util::StringReader>(data);
}

bool is_tls_failure(const util::Error& error) {
  return error.kind == ErrorKind::network && error.message.find(tls_error_marker) != std::string::npos;
}

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string status_line(int status) {
  auto text = status_text(status);
  return text.empty() ? std::to_string(status) : std::to_string(status) + " " + std::string(text);
}

Result<UrlParts> parse_url(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return fail(ErrorKind::invalid_input, "not an absolute URL: `" + util::redact_url(url) + "`");
  UrlParts out;
  out.scheme = util::to_lower(url.substr(0, sep));
  auto rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  out.path_and_query = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (!out.path_and_query.empty() && out.path_and_query[0] != '/') out.path_and_query.insert(0, "/");
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(ErrorKind::invalid_input, "unterminated IPv6 address in `" + util::redact_url(url) + "`");
    out.host = std::string(authority.substr(0, close + 1));
    auto after = authority.substr(close + 1);
    if (after.starts_with(':')) out.port = std::string(after.substr(1));
    else if (!after.empty())
      return fail(ErrorKind::invalid_input, "bad host in `" + util::redact_url(url) + "`");
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) return fail(ErrorKind::invalid_input, "no host in `" + util::redact_url(url) + "`");
  if (!std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail(ErrorKind::invalid_input, "bad port in `" + util::redact_url(url) + "`");
  return out;
}

Result<std::string> resolve_url(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) {
    TRY(parse_url(location));
    return std::string(location);
  }
  auto b = TRY(parse_url(base));
  std::string origin = b.scheme + "://" + b.authority();
  if (location.starts_with("//")) return b.scheme + ":" + std::string(location);
  if (location.starts_with('/')) return origin + std::string(location);
  std::string path = b.path_and_query.substr(0, b.path_and_query.find_first_of("?#"));
  if (location.empty()) return origin + b.path_and_query;
  if (location.starts_with('?')) return origin + path + std::string(location);
  return origin + path.substr(0, path.rfind('/') + 1) + std::string(location);
}

std::string append_query(std::string_view url, std::string_view key, std::string_view value) {
  std::string out(url);
  out += url.find('?') == std::string_view::npos ? '?' : '&';
  out += key;
  out += '=';
  out += value;
  return out;
}

std::string url_encode(std::string_view s) { return percent_encode(s, "-_.~"); }

std::string display_url(std::string_view url) {
  std::string out = util::redact_url(url);
  // Upload locations carry long opaque state tokens that only clutter a message.
  if (auto q = out.find('?'); q != std::string::npos && out.size() - q > 80) out = out.substr(0, q) + "?…";
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (iequals(host, "localhost") || host == "::1") return true;
  // 127.0.0.0/8 in dotted-quad form.
  auto parts = util::split(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    if (std::stoi(p) > 255) return false;
  }
  return true;
}

bool plain_http_allowed(const UrlParts& url, const std::vector<std::string>& insecure_hosts) {
  if (is_loopback_host(url.host)) return true;
  for (const auto& h : insecure_hosts)
    if (iequals(h, url.host) || iequals(h, url.authority())) return true;
  return false;
}

Result<std::optional<Request>> redirect_request(const Request& request, const Response& response) {
  int s = response.status;
  if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) return std::optional<Request>();
  auto location = response.headers.get("Location");
  if (!location) return std::optional<Request>();
  auto target = TRY_CONTEXT(resolve_url(request.url, *location), "following a redirect");
  auto from = TRY(parse_url(request.url));
  auto to = TRY(parse_url(target));

  Request next = request;
  next.url = target;
  // Credentials for the registry must not leak to a storage backend on another host, nor go out
  // in the clear after a redirect from https to http.
  if (from.scheme != to.scheme || !iequals(from.authority(), to.authority())) next.headers.remove("Authorization");
  if (s == 303 || ((s == 301 || s == 302) && request.method == "POST")) {
    next.method = "GET";
    next.body.reset();
    next.headers.remove("Content-Type");
    next.headers.remove("Content-Length");
  }
  return std::optional<Request>(std::move(next));
}

}  // namespace mlpack::net
