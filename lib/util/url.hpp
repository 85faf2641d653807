#pragma once
// URLs as text, knowing nothing of HTTP: RFC 3986 reference resolution with dot-segment removal
// (index pages link with "../../packages/x", conda's base_url with "../linux-64"), file:// URLs
// (no host), percent-encoding, and userinfo split off so credentials travel as a header, never in
// a URL we show. Shared by the index clients (pyindex, condaindex) and conda's repodata.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mlpack::util {

struct UrlSplit {
  std::string scheme;     // lowercase, without "://"; empty for a relative reference
  bool has_authority = false;
  std::string authority;  // userinfo@host:port as written
  std::string path;
  std::optional<std::string> query;     // without '?'
  std::optional<std::string> fragment;  // without '#'
};
UrlSplit split_url(std::string_view url);
std::string join_url(const UrlSplit& parts);

// RFC 3986 section 5.2: `ref` resolved against the absolute `base`.
std::string resolve_reference(std::string_view base, std::string_view ref);

// The URL without its fragment, and the fragment ("" when none).
std::pair<std::string, std::string> split_fragment(std::string_view url);

struct Credentials {
  std::string user;
  std::string password;
};

// Removes userinfo from an absolute URL, returning it percent-decoded.
std::pair<std::string, std::optional<Credentials>> take_userinfo(std::string_view url);

// "host" or "host:port" of an absolute URL, lowercase, without userinfo.
std::string url_authority(std::string_view url);

std::string percent_decode(std::string_view s);

bool is_file_url(std::string_view url);
// file:///a/b%20c → /a/b c. nullopt for a file URL naming another host.
std::optional<std::filesystem::path> file_url_to_path(std::string_view url);
std::string path_to_file_url(const std::filesystem::path& path);

// The last path segment, percent-decoded ("numpy-2.0-….whl").
std::string url_filename(std::string_view url);

// Percent-encodes (uppercase hex) every byte except ASCII letters, digits and those in `keep`.
std::string percent_encode(std::string_view s, std::string_view keep);

// A URL safe for messages and records: userinfo removed entirely.
std::string strip_userinfo(std::string_view url);

}  // namespace mlpack::util
