#include "condaindex/channel.hpp"

#include <algorithm>
#include <cctype>

#include "conda/channel_url.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::condaindex {

using util::ErrorKind;
using util::fail;

namespace {

constexpr std::string_view anaconda_defaults[] = {"https://repo.anaconda.com/pkgs/main",
                                                  "https://repo.anaconda.com/pkgs/r"};

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
}

std::unexpected<util::Error> refuse(std::string_view text, std::string_view why) {
  return fail(ErrorKind::invalid_input, "channel `" + conda::redact_channel_url(text) + "`: " + std::string(why));
}

// A channel from an absolute URL (http, https or file), secrets split off.
Result<Channel> from_url(std::string_view text, std::string name) {
  auto parts = util::split_url(text);
  if (parts.scheme != "http" && parts.scheme != "https" && parts.scheme != "file")
    return refuse(text, "only http://, https:// and file:// channels are supported");
  if (parts.query || parts.fragment) return refuse(text, "a channel URL has no query or fragment");
  Channel c;
  auto [no_userinfo, credentials] = util::take_userinfo(text);
  while (no_userinfo.ends_with('/')) no_userinfo.pop_back();
  if (parts.scheme == "file") {
    if (credentials) return refuse(text, "a file:// channel has no credentials");
    auto path = util::file_url_to_path(no_userinfo);
    if (!path) return refuse(text, "names another host; only local file:// URLs work");
    if (!path->is_absolute()) return refuse(text, "a file:// channel needs an absolute path");
  } else if (util::url_authority(no_userinfo).empty()) {
    return refuse(text, "no host");
  }
  c.request_base = no_userinfo;
  c.credentials = std::move(credentials);
  c.url = conda::strip_channel_credentials(no_userinfo);
  while (c.url.ends_with('/')) c.url.pop_back();
  c.name = name.empty() ? c.url : std::move(name);
  return c;
}

}  // namespace

std::string Channel::with_credentials(std::string_view canonical) const {
  if (!canonical.starts_with(url) || (canonical.size() > url.size() && canonical[url.size()] != '/'))
    return std::string(canonical);
  std::string out = request_base + std::string(canonical.substr(url.size()));
  if (!credentials) return out;
  auto parts = util::split_url(out);
  parts.authority = util::percent_encode(credentials->user, "-._~!$&'()*+,;=") + ":" +
                    util::percent_encode(credentials->password, "-._~!$&'()*+,;=") + "@" + parts.authority;
  return util::join_url(parts);
}

Result<std::vector<Channel>> parse_channel(std::string_view text, std::string_view channel_alias) {
  auto trimmed = util::trim(text);
  if (trimmed.empty()) return fail(ErrorKind::invalid_input, "an empty channel");
  if (trimmed.find("${") != std::string::npos)
    return refuse(trimmed, "`${…}` is not expanded; set the variable so the environment file's channel is complete");
  std::vector<Channel> out;
  if (trimmed.starts_with('/')) {  // a folder's name may hold spaces; a URL or a name may not
    out.push_back(TRY(from_url(util::path_to_file_url(trimmed), "")));
    return out;
  }
  if (std::any_of(trimmed.begin(), trimmed.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return refuse(trimmed, "a channel has no spaces (a URL spells them `%20`)");
  if (trimmed == "defaults") {
    for (auto url : anaconda_defaults) {
      auto c = TRY(from_url(url, std::string(url.substr(url.find("pkgs/")))));
      out.push_back(std::move(c));
    }
    return out;
  }
  if (trimmed.find("://") != std::string::npos || util::starts_with_ci(trimmed, "file:")) {
    out.push_back(TRY(from_url(trimmed, "")));
    return out;
  }
  if (trimmed.starts_with('.') || trimmed.starts_with('~'))
    return refuse(trimmed, "a local channel must be an absolute path or a file:// URL");
  if (trimmed.find("::") != std::string::npos) return refuse(trimmed, "`::` belongs in a package spec, not a channel");
  std::string name = trimmed;
  while (name.ends_with('/')) name.pop_back();
  if (name.empty() || !std::all_of(name.begin(), name.end(), name_char))
    return refuse(trimmed, "not a channel name (letters, digits, `-`, `_`, `.` and `/`)");
  for (const auto& segment : util::split(name, '/'))
    if (segment.empty() || segment == "." || segment == "..") return refuse(trimmed, "not a channel name");
  std::string alias(channel_alias);
  while (alias.ends_with('/')) alias.pop_back();
  auto c = TRY_CONTEXT(from_url(alias + "/" + name, name), "channel alias");
  out.push_back(std::move(c));
  return out;
}

Result<std::string> platform_subdir(std::string_view os, std::string_view architecture) {
  if (os == "linux") {
    if (architecture == "amd64") return std::string("linux-64");
    if (architecture == "arm64") return std::string("linux-aarch64");
    if (architecture == "ppc64le") return std::string("linux-ppc64le");
    if (architecture == "s390x") return std::string("linux-s390x");
    if (architecture == "386") return std::string("linux-32");
  }
  return fail(ErrorKind::unsupported, "no conda subdir for platform `" + std::string(os) + "/" +
                                          std::string(architecture) +
                                          "`; conda packages are built for linux/amd64, linux/arm64, "
                                          "linux/ppc64le and linux/s390x");
}

}  // namespace mlpack::condaindex
