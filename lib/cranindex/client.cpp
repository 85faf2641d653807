// Client: PACKAGES indexes per repository through a file cache, Archive listings, and verified
// downloads. The index is streamed to disk and parsed from there (CRAN's is ~15 MB inflated).
#include "cranindex/client.hpp"

#include <algorithm>
#include <atomic>

#include "archive/decompress.hpp"
#include "cran/depends.hpp"
#include "cran/repository.hpp"
#include "net/authorized_get.hpp"
#include "net/spool.hpp"
#include "net/validators.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::cranindex {

namespace fs = std::filesystem;
using util::ErrorKind;
using util::fail;

namespace {

std::string trim_slashes(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

// A repository URL split for requests (no userinfo) and credentials (sent as a header).
struct Repo {
  std::string url;  // without userinfo or trailing '/': records and messages
  std::optional<util::Credentials> credentials;
  bool is_file() const { return util::is_file_url(url); }
};

Repo split_repo(std::string_view text) {
  auto [url, credentials] = util::take_userinfo(text);
  return {trim_slashes(util::redact_url(url)), std::move(credentials)};
}

}  // namespace

struct Client::Impl {
  std::shared_ptr<net::HttpClient> http;
  ClientOptions options;
  util::Clock& clock;
  std::atomic<std::size_t> requests{0}, not_modified{0}, gz_fallbacks{0}, cache_hits{0};

  Impl(std::shared_ptr<net::HttpClient> h, ClientOptions o)
      : http(std::move(h)), options(std::move(o)), clock(options.clock ? *options.clock : util::system_clock()) {}

  net::Request request_for(std::string url, const std::optional<util::Credentials>& credentials) const {
    return net::authorized_get(std::move(url), credentials, options.user_agent);
  }

  util::Result<net::Response> send(const net::Request& request, util::Writer* sink,
                                   std::function<util::Result<void>()> restart = {}) {
    if (!http) return fail(ErrorKind::internal, "no HTTP client for " + util::redact_url(request.url));
    ++requests;
    net::RetryOptions retry;
    retry.policy = options.retry;
    retry.restart_sink = std::move(restart);
    return net::send_with_retry(*http, request, sink, retry, clock);
  }

  static util::Error status_error(const net::Response& r, std::string_view what) {
    return net::status_error(r, what, "credentials come from the repository URL: `https://user:password@host/…`");
  }

  // ---- indexes ---------------------------------------------------------------------------

  util::Result<std::vector<cran::PackageRecord>> parse_file(const fs::path& path, const std::string& origin) {
    auto text = util::read_file(path, options.max_index_bytes);
    if (!text) return std::unexpected(text.error().context("reading " + origin));
    return cran::parse_packages_index(*text, origin);
  }

  // Inflates the gzip at `from` into `to` (atomically), bounded.
  util::Result<void> gunzip(const fs::path& from, const fs::path& to, const std::string& what) {
    auto in = TRY(util::FileReader::open(from.string()));
    archive::DecompressOptions limits;
    limits.max_size = options.max_index_bytes;
    limits.max_ratio = 1000;
    auto content = TRY_CONTEXT(archive::decompress(*in, archive::Codec::gzip, limits), what);
    auto out = TRY(util::AtomicFile::create(to));
    TRY_CONTEXT(util::copy(*content, *out), what);
    return out->commit();
  }

  util::Result<std::vector<cran::PackageRecord>> fetch_file_repo(const Repo& repo) {
    auto dir = util::file_url_to_path(repo.url);
    if (!dir) return fail(ErrorKind::invalid_input, "repository " + repo.url + " names another host");
    const auto contrib = *dir / "src" / "contrib";
    const auto contrib_url = cran::contrib_url(repo.url);
    std::error_code ec;
    if (fs::is_regular_file(contrib / "PACKAGES.gz", ec)) {
      auto scratch = TRY(util::TempDir::create());
      TRY(gunzip(contrib / "PACKAGES.gz", scratch.path() / "PACKAGES", "`" + contrib_url + "/PACKAGES.gz`"));
      return parse_file(scratch.path() / "PACKAGES", contrib_url + "/PACKAGES.gz");
    }
    if (fs::is_regular_file(contrib / "PACKAGES", ec))
      return parse_file(contrib / "PACKAGES", contrib_url + "/PACKAGES");
    return fail(ErrorKind::not_found, "repository " + repo.url + " not found (no " + contrib_url +
                                          "/PACKAGES.gz or PACKAGES); a CRAN-like repository has its index there");
  }

  fs::path entry_dir(const Repo& repo) const {
    // Keyed by what decides the answer: the URL, the user and the User-Agent (Posit Package
    // Manager answers R with binaries, others with sources).
    auto key = repo.url + "\n" + (repo.credentials ? repo.credentials->user : "") + "\n" + options.user_agent;
    return options.cache_dir / "cran-index-v1" / util::Digest::sha256_of(key).hex().substr(0, 32);
  }

  util::Result<std::vector<cran::PackageRecord>> fetch_index(const Repo& repo) {
    if (repo.is_file()) return fetch_file_repo(repo);
    const auto contrib = cran::contrib_url(repo.url);
    std::optional<util::TempDir> scratch;
    fs::path dir;
    if (options.cache_dir.empty()) {
      scratch.emplace(TRY(util::TempDir::create()));
      dir = scratch->path();
    } else {
      dir = entry_dir(repo);
      TRY(util::make_dirs(dir));
      util::remove_abandoned_temp_paths(dir);  // what a killed run left half-written
    }
    const auto body_path = dir / "PACKAGES";
    const auto state_path = dir / "state.json";
    std::error_code ec;
    std::optional<net::EntryState> state;
    if (!scratch && fs::is_regular_file(body_path, ec)) state = net::load_entry_state(state_path);

    enum class Outcome { cached, fresh, other };
    std::string origin;  // the file the index came from, for messages
    auto get = [&](const std::string& variant, net::Response& out) -> util::Result<Outcome> {
      const auto file = variant == "gz" ? std::string("PACKAGES.gz") : std::string("PACKAGES");
      origin = contrib + "/" + file;
      auto request = request_for(contrib + "/" + file, repo.credentials);
      if (state && state->variant == variant) state->validators.add_to(request);
      const auto what = "`" + origin + "`";
      net::Spool spool(variant == "gz" ? dir / "PACKAGES.gz" : body_path, options.max_index_bytes, what,
                       ErrorKind::invalid_input);
      TRY(spool.restart());
      out = TRY(send(request, &spool, [&] { return spool.restart(); }));
      if (out.status == 304 && state && state->variant == variant) return Outcome::cached;
      if (out.status != 200) return Outcome::other;
      if (variant == "gz")
        TRY(gunzip(spool.file().temp_path(), body_path, what));  // the spool is dropped uncommitted
      else
        TRY(spool.file().commit());
      if (!scratch) {
        net::EntryState next{origin, variant, net::Validators::of(out), {}};
        (void)net::store_entry_state(state_path, next);  // a failure costs a full fetch next time
      }
      return Outcome::fresh;
    };

    net::Response response;
    auto outcome = TRY(get("gz", response));
    if (outcome == Outcome::other) {
      // Servers refuse what they do not have in several ways (404, 403 from object stores): any
      // client error means: ask for the plain file.
      if (response.status < 400 || response.status >= 500) return std::unexpected(status_error(response, origin));
      ++gz_fallbacks;
      outcome = TRY(get("plain", response));
      if (outcome == Outcome::other) {
        if (response.status == 404 || response.status == 410)
          return fail(ErrorKind::not_found, "repository " + repo.url + " not found (" +
                                                net::status_line(response.status) + " for " + contrib +
                                                "/PACKAGES.gz and PACKAGES); check the URL: R reads the index at "
                                                "<repository>/src/contrib/PACKAGES");
        return std::unexpected(status_error(response, origin));
      }
    }
    if (outcome == Outcome::cached) ++not_modified;
    return parse_file(body_path, origin);
  }

  util::Result<std::vector<RepositoryIndex>> fetch_indexes(std::span<const std::string> repo_urls) {
    std::vector<std::optional<util::Result<std::vector<cran::PackageRecord>>>> results(repo_urls.size());
    std::vector<Repo> repos;
    for (const auto& url : repo_urls) repos.push_back(split_repo(url));
    (void)util::parallel_for(repos.size(), std::max<std::size_t>(1, options.parallel),
                             [&](std::size_t i) -> util::Result<void> {
                               auto r = fetch_index(repos[i]);
                               if (!r)
                                 r = std::unexpected(net::scrub_credentials(std::move(r.error()), repos[i].credentials)
                                                         .context("fetching the index of repository " + repos[i].url));
                               results[i] = std::move(r);
                               return {};
                             });
    std::vector<RepositoryIndex> out;
    out.reserve(repos.size());
    for (std::size_t i = 0; i < repos.size(); ++i) {
      auto& r = *results[i];
      if (!r) return std::unexpected(std::move(r.error()));
      out.push_back({repos[i].url, std::move(*r)});
    }
    return out;
  }

  // ---- Archive listings ------------------------------------------------------------------

  util::Result<std::vector<std::string>> archived_versions(std::string_view repo_text, std::string_view name) {
    if (!cran::is_valid_package_name(name))
      return fail(ErrorKind::invalid_input, "`" + util::printable_excerpt(name) + "` is not an R package name");
    auto repo = split_repo(repo_text);
    const auto listing_url = cran::archive_listing_url(repo.url, name);
    if (repo.is_file()) {
      auto dir = util::file_url_to_path(listing_url);
      if (!dir) return fail(ErrorKind::invalid_input, "repository " + repo.url + " names another host");
      std::error_code ec;
      if (!fs::is_directory(*dir, ec)) return std::vector<std::string>{};
      // The folder's files, as the hrefs of a listing, so one rule reads both.
      std::string hrefs;
      for (const auto& entry : fs::directory_iterator(*dir, ec))
        if (entry.is_regular_file(ec)) hrefs += "<a href=\"" + entry.path().filename().string() + "\">\n";
      if (ec) return fail(ErrorKind::io, "listing " + dir->string() + ": " + ec.message());
      return cran::parse_archive_listing(hrefs, name);
    }
    auto request = request_for(listing_url, repo.credentials);
    auto response = send(request, nullptr);
    if (!response)
      return std::unexpected(net::scrub_credentials(std::move(response.error()), repo.credentials)
                                 .context("listing the archived versions of " + std::string(name)));
    if (response->status == 404 || response->status == 410) return std::vector<std::string>{};
    if (response->status != 200) return std::unexpected(status_error(*response, listing_url));
    return TRY_CONTEXT(cran::parse_archive_listing(response->body, name), "reading " + listing_url);
  }

  // ---- downloads -------------------------------------------------------------------------

  util::Result<Downloaded> download(std::string_view url_text, std::optional<std::string> sha256_in,
                                    std::optional<std::string> md5_in) {
    auto [url, credentials] = util::take_userinfo(url_text);
    const auto shown = util::redact_url(url);
    const auto what = "downloading " + shown;
    auto result = download_into(url, credentials, shown, what, sha256_in, md5_in);
    if (!result) return std::unexpected(net::scrub_credentials(std::move(result.error()), credentials));
    return result;
  }

  util::Result<Downloaded> download_into(const std::string& url, const std::optional<util::Credentials>& credentials,
                                         const std::string& shown, const std::string& what,
                                         const std::optional<std::string>& sha256_in,
                                         const std::optional<std::string>& md5_in) {
    if (options.cache_dir.empty())
      return fail(ErrorKind::invalid_input, what + ": downloading packages needs a cache directory");
    auto sha256 = util::to_lower(sha256_in.value_or(""));
    auto md5 = util::to_lower(md5_in.value_or(""));
    if (!sha256.empty() && !util::is_lower_hex(sha256, 64))
      return fail(ErrorKind::invalid_input, what + ": `" + util::printable_excerpt(sha256) + "` is not a sha256");
    if (!md5.empty() && !util::is_lower_hex(md5, 32))
      return fail(ErrorKind::invalid_input, what + ": `" + util::printable_excerpt(md5) + "` is not an md5");
    const auto blobs = options.cache_dir / "blobs" / "sha256";
    TRY(util::make_dirs(blobs));
    if (!sha256.empty()) {
      std::error_code ec;
      auto size = fs::file_size(blobs / sha256, ec);
      if (!ec && fs::is_regular_file(blobs / sha256, ec)) {
        ++cache_hits;
        return Downloaded{blobs / sha256, sha256, size};
      }
    }

    const auto name = util::url_filename(url);
    net::Spool spool(blobs / "download", options.max_package_bytes, "`" + shown + "`", ErrorKind::integrity,
                     net::Spool::Hashes::sha256_md5);
    TRY(spool.restart());
    util::WatchedTransfer transfer(options.transfers, shown, name, 0);
    util::WatchedWriter watched(spool, transfer);
    if (util::is_file_url(url)) {
      auto path = util::file_url_to_path(url);
      if (!path) return fail(ErrorKind::invalid_input, what + ": the URL names another host");
      auto in = TRY_CONTEXT(util::FileReader::open(path->string()), what);
      TRY_CONTEXT(util::copy(*in, watched), what);
    } else {
      auto restart = [&]() -> util::Result<void> {
        transfer.restarted();
        return spool.restart();
      };
      auto response = TRY_CONTEXT(send(request_for(url, credentials), &watched, restart), what);
      if (response.status != 200) return std::unexpected(status_error(response, shown).context(what));
    }
    const auto actual_sha = spool.sha256_hex();
    const auto actual_md5 = spool.md5_hex();
    if (!sha256.empty() && actual_sha != sha256)
      return fail(ErrorKind::integrity, shown + " has sha256 " + actual_sha + ", expected " + sha256 +
                                            " (the repository changed it, or it was corrupted on the way)");
    if (!md5.empty() && actual_md5 != md5)
      return fail(ErrorKind::integrity,
                  shown + " has md5 " + actual_md5 + ", expected " + md5 +
                      " from the repository's index (corrupted on the way, or the index is stale)");
    const auto dest = blobs / actual_sha;
    const auto size = spool.count();
    TRY_CONTEXT(spool.file().commit_as(dest), what);
    transfer.succeeded();
    return Downloaded{dest, actual_sha, size};
  }
};

Client::Client(std::shared_ptr<net::HttpClient> http, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(http), std::move(options))) {}

Client::~Client() = default;

Result<std::vector<RepositoryIndex>> Client::fetch_indexes(std::span<const std::string> repo_urls) {
  return impl_->fetch_indexes(repo_urls);
}

Result<std::vector<std::string>> Client::archived_versions(std::string_view repo, std::string_view name) {
  return impl_->archived_versions(repo, name);
}

Result<Downloaded> Client::download(std::string_view url, std::optional<std::string> sha256,
                                    std::optional<std::string> md5) {
  return impl_->download(url, std::move(sha256), std::move(md5));
}

Client::Stats Client::stats() const {
  return {impl_->requests.load(), impl_->not_modified.load(), impl_->gz_fallbacks.load(), impl_->cache_hits.load()};
}

}  // namespace mlpack::cranindex
