#include "apt/source.hpp"

#include <algorithm>
#include <cctype>

#include "net/http.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;

namespace {

std::string with_slash(std::string_view url) {
  std::string s(url);
  if (!s.ends_with('/')) s += '/';
  return s;
}

// A path segment list without empty, "." or ".." parts is what we require of suites and
// components: they become URL path segments, and ".." would let a config escape the archive.
bool safe_segments(std::string_view s, bool allow_dot) {
  std::size_t start = 0;
  while (start <= s.size()) {
    auto slash = s.find('/', start);
    auto part = s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return false;
    if (part == "." && !allow_dot) return false;
    for (char c : part)
      if (std::isspace(static_cast<unsigned char>(c)) || c == '?' || c == '#' || c == '%' || c == '\\') return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

std::string Source::display() const {
  std::string s = url + " " + suite;
  for (const auto& c : components) s += " " + c;
  if (snapshot) s += " (snapshot " + *snapshot + ")";
  return s;
}

Result<std::vector<Source>> distribution_sources(std::string_view name, std::optional<std::string> snapshot) {
  auto colon = name.find(':');
  std::string_view distro = name.substr(0, colon);
  std::string_view release = colon == std::string_view::npos ? std::string_view{} : name.substr(colon + 1);
  if (distro != "debian")
    return fail(ErrorKind::invalid_input, "unknown distribution `" + std::string(name) +
                                              "`: only `debian:<codename>` (e.g. `debian:bookworm`) is built in; "
                                              "other archives can be given by URL, suite and keyring");
  static constexpr std::string_view known[] = {"bullseye", "bookworm", "trixie", "forky", "sid"};
  if (std::find(std::begin(known), std::end(known), release) == std::end(known))
    return fail(ErrorKind::invalid_input, "unknown Debian release `" + std::string(release) +
                                              "` in `" + std::string(name) +
                                              "`: use a codename such as `bookworm` or `trixie`");
  std::string codename(release);
  std::vector<Source> out;
  out.push_back(Source{"http://deb.debian.org/debian", codename, {"main"}, debian_archive_keyring, snapshot});
  // sid has no security suite; every stable-track release has one.
  if (codename != "sid")
    out.push_back(Source{"http://deb.debian.org/debian-security", codename + "-security", {"main"},
                         debian_archive_keyring, snapshot});
  return out;
}

bool is_snapshot_timestamp(std::string_view ts) {
  if (ts.size() != 16 || ts[8] != 'T' || ts[15] != 'Z') return false;
  for (std::size_t i = 0; i < 15; ++i)
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(ts[i]))) return false;
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(ts.substr(pos, len))); };
  int month = num(4, 2), day = num(6, 2), hour = num(9, 2), minute = num(11, 2), second = num(13, 2);
  return num(0, 4) >= 2005 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 &&
         second < 60;
}

Result<void> validate(const Source& source) {
  auto url = net::parse_url(source.url);
  if (!url || (url->scheme != "http" && url->scheme != "https"))
    return fail(ErrorKind::invalid_input, "apt source URL `" + source.url + "` is not an http(s) URL");
  if (source.url.find('?') != std::string::npos || source.url.find('#') != std::string::npos)
    return fail(ErrorKind::invalid_input, "apt source URL `" + source.url + "` must not have a query or fragment");
  if (source.suite.empty()) return fail(ErrorKind::invalid_input, "apt source `" + source.url + "` has no suite");
  if (!safe_segments(source.suite, source.flat()))
    return fail(ErrorKind::invalid_input, "apt suite `" + source.suite + "` is not a plain name or directory");
  if (source.flat() && !source.components.empty())
    return fail(ErrorKind::invalid_input, "apt source `" + source.url + " " + source.suite +
                                              "` is a flat repository (suite ends in `/`) and takes no components");
  if (!source.flat() && source.components.empty())
    return fail(ErrorKind::invalid_input, "apt source `" + source.url + " " + source.suite +
                                              "` needs at least one component, e.g. `main`");
  for (const auto& c : source.components)
    if (c.empty() || !safe_segments(c, false))
      return fail(ErrorKind::invalid_input, "apt component `" + c + "` is not a plain name");
  if (source.snapshot && !is_snapshot_timestamp(*source.snapshot))
    return fail(ErrorKind::invalid_input, "snapshot `" + *source.snapshot +
                                              "` is not a timestamp like `20240115T000000Z`");
  return {};
}

Result<std::string> snapshot_url(std::string_view url, std::string_view timestamp) {
  if (!is_snapshot_timestamp(timestamp))
    return fail(ErrorKind::invalid_input,
                "snapshot `" + std::string(timestamp) + "` is not a timestamp like `20240115T000000Z`");
  auto parts = TRY(net::parse_url(url));
  std::string host = util::to_lower(parts.host);
  std::string path = parts.path_and_query;
  while (path.size() > 1 && path.ends_with('/')) path.pop_back();
  std::string ts(timestamp);

  if (host == "snapshot.debian.org" && path.starts_with("/archive/")) {
    // Already a snapshot URL: /archive/<archive>/<old ts>; keep the archive, replace the time.
    auto rest = std::string_view(path).substr(9);
    auto slash = rest.find('/');
    return "https://snapshot.debian.org/archive/" + std::string(rest.substr(0, slash)) + "/" + ts + "/";
  }
  if ((host == "deb.debian.org" || host == "ftp.debian.org" || host == "httpredir.debian.org") &&
      (path == "/debian" || path == "/debian-security" || path == "/debian-ports"))
    return "https://snapshot.debian.org/archive" + path + "/" + ts + "/";
  if (host == "security.debian.org" && (path == "/debian-security" || path == "/"))
    return "https://snapshot.debian.org/archive/debian-security/" + ts + "/";
  if ((host == "archive.ubuntu.com" || host == "security.ubuntu.com" || host.ends_with(".archive.ubuntu.com")) &&
      path == "/ubuntu")
    return "https://snapshot.ubuntu.com/ubuntu/" + ts + "/";
  return fail(ErrorKind::unsupported, "no snapshot service is known for `" + std::string(url) +
                                          "`: snapshots work for deb.debian.org, security.debian.org and "
                                          "archive.ubuntu.com; remove `snapshot` for this source");
}

Result<std::string> archive_root(const Source& source) {
  if (source.snapshot) return snapshot_url(source.url, *source.snapshot);
  return with_slash(source.url);
}

Result<std::string> release_dir(const Source& source) {
  auto root = TRY(archive_root(source));
  if (!source.flat()) return root + "dists/" + source.suite + "/";
  // sources.list: "./" and "/" both mean the archive root itself.
  std::string_view dir = source.suite;
  while (dir.starts_with("./")) dir.remove_prefix(2);
  while (dir.starts_with('/')) dir.remove_prefix(1);
  return root + std::string(dir);
}

std::string packages_path(std::string_view component, std::string_view arch) {
  if (component.empty()) return "Packages";
  return std::string(component) + "/binary-" + std::string(arch) + "/Packages";
}

std::string file_url(std::string_view root, std::string_view filename) {
  while (filename.starts_with("./")) filename.remove_prefix(2);
  while (filename.starts_with('/')) filename.remove_prefix(1);
  return with_slash(root) + std::string(filename);
}

std::vector<std::string> plain_http_hosts(std::span<const Source> sources) {
  std::vector<std::string> hosts;
  for (const auto& s : sources) {
    if (s.snapshot) continue;  // snapshot services are https
    auto url = net::parse_url(s.url);
    if (!url || url->scheme != "http") continue;
    auto h = url->authority();
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

}  // namespace mlpack::apt
