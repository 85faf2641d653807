#include "cran/repository.hpp"

#include <algorithm>
#include <set>

namespace mlpack::cran {

namespace {

std::string without_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

// Trims `/` on both sides of a relative path piece (PACKAGES `Path:`).
std::string_view inner(std::string_view s) {
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string contrib_url(std::string_view repo) {
  return without_trailing_slashes(repo) + "/src/contrib";
}

std::string package_url(std::string_view repo, const PackageRecord& record) {
  auto url = contrib_url(repo);
  if (const auto path = inner(record.path); !path.empty()) url += "/" + std::string(path);
  url += "/";
  url += record.file.empty() ? record.name + "_" + record.version.str() + ".tar.gz" : record.file;
  return url;
}

std::string archive_url(std::string_view repo, std::string_view name, std::string_view version) {
  return archive_listing_url(repo, name) + std::string(name) + "_" + std::string(version) + ".tar.gz";
}

std::string archive_listing_url(std::string_view repo, std::string_view name) {
  return contrib_url(repo) + "/Archive/" + std::string(name) + "/";
}

std::string ppm_repository(std::string_view suite, std::string_view snapshot) {
  return "https://packagemanager.posit.co/cran/__linux__/" + std::string(suite) + "/" + std::string(snapshot);
}

std::string r_user_agent(const Version& r, std::string_view arch) {
  // R.version$platform: Debian's R is configured as `x86_64-pc-linux-gnu` on amd64 and
  // `aarch64-unknown-linux-gnu` on arm64 (config.guess's vendor part).
  const std::string vendor = arch == "x86_64" ? "pc" : "unknown";
  return "R (" + r.str() + " " + std::string(arch) + "-" + vendor + "-linux-gnu " + std::string(arch) + " linux-gnu)";
}

Result<std::vector<std::string>> parse_archive_listing(std::string_view html, std::string_view name) {
  if (html.size() > (std::size_t{16} << 20))
    return util::fail(util::ErrorKind::invalid_input, "the archive listing of `" + std::string(name) + "` is over 16 MiB");
  const std::string prefix = std::string(name) + "_";
  constexpr std::string_view suffix = ".tar.gz";
  std::vector<std::pair<Version, std::string>> found;
  std::size_t pos = 0;
  while ((pos = html.find("href=", pos)) != std::string_view::npos) {
    pos += 5;
    if (pos >= html.size() || (html[pos] != '"' && html[pos] != '\'')) continue;
    const char quote = html[pos++];
    const auto end = html.find(quote, pos);
    if (end == std::string_view::npos) break;
    auto target = html.substr(pos, end - pos);
    pos = end + 1;
    // Listings link relatively ("x_1.0.tar.gz"), some with "./" or a full path.
    if (const auto slash = target.rfind('/'); slash != std::string_view::npos) target.remove_prefix(slash + 1);
    if (!target.starts_with(prefix) || !target.ends_with(suffix)) continue;
    const auto text = target.substr(prefix.size(), target.size() - prefix.size() - suffix.size());
    auto version = Version::parse(text);
    if (!version) continue;
    found.emplace_back(std::move(*version), std::string(text));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  for (auto& [version, text] : found)
    if (seen.insert(text).second) out.push_back(std::move(text));
  return out;
}

}  // namespace mlpack::cran
