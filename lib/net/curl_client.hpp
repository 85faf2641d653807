#pragma once
// The real HttpClient, on libcurl.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net/http.hpp"

namespace mlpack::net {

struct CurlOptions {
  // Hosts ("host" or "host:port") that may be contacted over plain http. Loopback hosts always may.
  std::vector<std::string> insecure_hosts;
  std::string user_agent = "mlpack";
  std::chrono::seconds connect_timeout{30};
  // A transfer that moves less than one byte a second for this long counts as dropped.
  std::chrono::seconds stall_timeout{60};
  int max_redirects = 10;
  // Directories searched for per-host CA certificates as <dir>/<host[:port]>/ca.crt, the layout
  // Docker and Podman use.
  std::vector<std::filesystem::path> certs_dirs = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
  // A PEM file of CA certificates trusted for every host beside the system bundle (the CLI passes
  // $SSL_CERT_FILE). Empty: none. A file that cannot be read adds nothing.
  std::filesystem::path ca_file;
};

// TLS peers are always verified, against the system CA bundle plus, when present, `ca_file` and
// the registry's own ca.crt from `certs_dirs`. Redirects are followed here
// (see redirect_request) so Authorization never goes to another host. Connections are kept and
// reused across requests; the client is thread-safe.
std::shared_ptr<HttpClient> make_curl_client(CurlOptions options = {});

// The PEM text the client trusts for `url`'s host beyond the system bundle: `ca_file`, then the
// *.crt files in <certs_dir>/<host:port>/ and <certs_dir>/<host>/. "" when there are none; else
// the system bundle comes first, since libcurl then uses this text instead of its default.
std::string extra_ca_certificates(const CurlOptions& options, const UrlParts& url);

}  // namespace mlpack::net
