// IndexClient: where files and metadata come from (find-links, indexes, file:// trees), with
// credentials, the page cache, memoisation and the blob store.
#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>

#include "pyindex/http_cache.hpp"
#include "pyindex/index.hpp"
#include "pyindex/netrc.hpp"
#include "pyindex/simple_api.hpp"
#include "util/url.hpp"
#include "pyindex/wheel_metadata.hpp"
#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "pypi/version.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/verified_file.hpp"

namespace mlpack::pyindex {

using util::ErrorKind;
using util::fail;

namespace {

template <class T>
using Memo = std::map<std::string, std::shared_future<Result<T>>>;

// Computes once per key, even when several threads ask at the same moment; the others wait.
template <class T, class F>
Result<T> memoise(std::mutex& mutex, Memo<T>& memo, const std::string& key, F&& compute) {
  std::promise<Result<T>> promise;
  std::shared_future<Result<T>> future;
  bool mine = false;
  {
    std::lock_guard lock(mutex);
    if (auto it = memo.find(key); it != memo.end()) {
      future = it->second;
    } else {
      future = promise.get_future().share();
      memo.emplace(key, future);
      mine = true;
    }
  }
  if (mine) promise.set_value(compute());
  return future.get();
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && util::to_lower(s.substr(s.size() - suffix.size())) == suffix;
}

// The normalised project a distribution filename belongs to, or "" when it is not one.
std::string project_of(std::string_view filename) {
  if (ends_with_ci(filename, ".whl")) {
    if (auto w = pypi::parse_wheel_filename(filename)) return w->name;
    return "";
  }
  for (std::string_view ext : {".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tbz", ".txz", ".tar.lz", ".tar.lzma"}) {
    if (!ends_with_ci(filename, ext)) continue;
    auto stem = filename.substr(0, filename.size() - ext.size());
    auto dash = stem.rfind('-');
    if (dash == std::string_view::npos || dash == 0) return "";
    return pypi::normalize_name(stem.substr(0, dash));
  }
  return "";
}

std::string with_slash(std::string s) {
  if (!s.ends_with('/')) s += '/';
  return s;
}

bool is_url(std::string_view s) { return s.find("://") != std::string_view::npos || util::is_file_url(s); }

// The public version a distribution filename names ("2.3.1" of torch-2.3.1+cu121-…whl), or "" when
// it names none that parses.
std::string public_version_of(std::string_view filename) {
  std::string version;
  if (auto w = pypi::parse_wheel_filename(filename)) version = w->version;
  else if (auto sd = pypi::parse_sdist_filename(filename)) version = sd->version;
  auto v = pypi::Version::parse(version);
  return v ? v->public_version().str() : std::string();
}

}  // namespace

struct IndexClient::Impl {
  std::shared_ptr<net::HttpClient> http;
  IndexOptions options;
  util::Clock& clock;
  Netrc netrc;
  HttpCache cache;
  std::map<std::string, util::Credentials> url_credentials;  // by authority, from the configured URLs
  std::vector<std::string> indexes;                     // no userinfo, trailing '/'
  std::vector<std::string> find_links;                  // no userinfo
  struct Route {
    const IndexRoute* route;
    std::vector<std::string> indexes;  // no userinfo, trailing '/'
  };
  std::vector<Route> routes;
  std::map<std::string, std::size_t> routed;  // normalised project → its route in `routes`

  std::mutex mutex;
  Memo<std::vector<DistFile>> projects;
  Memo<std::vector<DistFile>> find_links_memo;  // one key: every file find-links offer
  Memo<CoreMetadata> metadata;
  std::atomic<std::size_t> requests{0}, cache_hits{0}, range_requests{0}, full_downloads{0};

  Impl(std::shared_ptr<net::HttpClient> h, IndexOptions o)
      : http(std::move(h)),
        options(std::move(o)),
        clock(options.clock ? *options.clock : util::system_clock()),
        netrc(Netrc::load(options.netrc)),
        cache(options.cache_dir) {
    auto remember = [&](const std::string& url) {
      auto [clean, creds] = util::take_userinfo(url);
      if (creds) url_credentials.emplace(util::url_authority(clean), *creds);
      return clean;
    };
    if (!options.no_index) {
      if (options.index_urls.empty()) indexes.push_back(std::string(default_index));
      for (const auto& u : options.index_urls) indexes.push_back(with_slash(remember(u)));
    }
    for (const auto& f : options.find_links) find_links.push_back(is_url(f) ? remember(f) : f);
    for (const auto& r : options.routes) {
      Route route{&r, {}};
      for (const auto& u : r.urls) route.indexes.push_back(with_slash(remember(u)));
      for (const auto& p : r.projects) routed.emplace(pypi::normalize_name(p), routes.size());
      routes.push_back(std::move(route));
    }
  }

  // A GET for `url` with credentials as a header: the URL's own userinfo, else what a configured
  // URL gave for that host, else netrc.
  net::Request request_for(std::string_view url) const {
    auto [clean, creds] = util::take_userinfo(url);
    net::Request r;
    r.url = std::move(clean);
    if (!creds) {
      auto authority = util::url_authority(r.url);
      if (auto it = url_credentials.find(authority); it != url_credentials.end()) creds = it->second;
      else creds = netrc.lookup(authority);
    }
    if (creds) r.headers.set("Authorization", basic_auth(*creds));
    return r;
  }

  Result<net::Response> send(const net::Request& request, util::Writer* sink,
                             std::function<Result<void>()> restart = {}) {
    if (!http) return fail(ErrorKind::internal, "no HTTP client for " + net::display_url(request.url));
    ++requests;
    net::RetryOptions retry;
    retry.policy = options.retry;
    retry.restart_sink = std::move(restart);
    return net::send_with_retry(*http, request, sink, retry, clock);
  }

  // ---- pages -------------------------------------------------------------------------------

  // A page's files, or nullopt when the page does not exist (404, or no such file).
  Result<std::optional<std::vector<DistFile>>> fetch_page(const std::string& page_url, std::string_view accept,
                                                          const std::string& index, bool forbidden_is_missing = false) {
    using Files = std::optional<std::vector<DistFile>>;
    if (util::is_file_url(page_url)) {
      auto path = util::file_url_to_path(page_url);
      if (!path) return fail(ErrorKind::invalid_input, "`" + page_url + "` names another host; only local file URLs work");
      std::error_code ec;
      if (std::filesystem::is_directory(*path, ec)) *path /= "index.html";
      if (!std::filesystem::exists(*path, ec)) return Files();
      auto text = TRY(util::read_file(*path));
      return Files(parse_html_page(text, page_url, index));
    }
    auto request = request_for(page_url);
    request.headers.set("Accept", std::string(accept));
    auto cached = cache.load(request.url, accept);
    if (cached) HttpCache::add_validators(request, *cached);
    auto resp = TRY(send(request, nullptr));
    if (resp.status == 404 || (resp.status == 403 && forbidden_is_missing)) return Files();
    std::optional<std::string> content_type;
    std::string body;
    if (resp.status == 304 && cached) {
      ++cache_hits;
      content_type = cached->content_type;
      body = std::move(cached->body);
    } else if (resp.status == 200) {
      // A failure to cache costs a refetch next time, nothing more.
      (void)cache.store(request.url, accept, resp);
      content_type = resp.headers.get("Content-Type");
      body = std::move(resp.body);
    } else {
      std::string hint = resp.status == 401 || resp.status == 403
                             ? " (credentials come from the index URL or netrc)"
                             : "";
      return fail(ErrorKind::http,
                  "GET " + net::display_url(request.url) + ": " + net::status_line(resp.status) + hint);
    }
    auto base = resp.url.empty() ? request.url : resp.url;
    std::optional<std::string_view> ct;
    if (content_type) ct = *content_type;
    auto files = TRY_CONTEXT(parse_page(body, ct, base, index), "GET " + net::display_url(request.url));
    return Files(std::move(files));
  }

  Result<std::vector<DistFile>> directory_files(const std::filesystem::path& dir, const std::string& location) {
    std::vector<DistFile> out;
    std::error_code ec;
    std::vector<std::filesystem::path> paths;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
      if (it->is_regular_file()) paths.push_back(it->path());
    if (ec) return std::unexpected(util::errno_error("listing", dir, ec.value()));
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      DistFile f;
      f.filename = p.filename().string();
      f.url = util::path_to_file_url(p);
      f.index = location;
      out.push_back(std::move(f));
    }
    return out;
  }

  Result<std::vector<DistFile>> one_find_links(const std::string& location) {
    std::optional<std::filesystem::path> path;
    if (!is_url(location)) path = location;
    else if (util::is_file_url(location)) path = util::file_url_to_path(location);
    if (path) {
      std::error_code ec;
      if (std::filesystem::is_directory(*path, ec)) return directory_files(*path, location);
      if (!std::filesystem::exists(*path, ec))
        return fail(ErrorKind::not_found, "find-links location `" + path->string() + "` does not exist");
      auto text = TRY(util::read_file(*path));
      return parse_html_page(text, util::path_to_file_url(*path), location);
    }
    auto page = TRY(fetch_page(location, "text/html", net::display_url(location)));
    if (!page) return fail(ErrorKind::not_found, "find-links page " + net::display_url(location) + ": 404 Not Found");
    return std::move(*page);
  }

  Result<std::vector<DistFile>> all_find_links() {
    return memoise(mutex, find_links_memo, "", [&]() -> Result<std::vector<DistFile>> {
      std::vector<DistFile> all;
      for (const auto& location : find_links) {
        auto files = TRY_CONTEXT(one_find_links(location), "reading find-links `" + net::display_url(location) + "`");
        all.insert(all.end(), files.begin(), files.end());
      }
      return all;
    });
  }

  // A routed project: each public version from the first of the route's indexes that lists a file
  // of it that counts.
  Result<std::vector<DistFile>> routed_project(const std::string& name, const Route& route) {
    if (route.indexes.empty())
      return fail(ErrorKind::unsatisfiable, route.route->unavailable.empty()
                                                ? "`" + name + "` is served from no index"
                                                : route.route->unavailable);
    std::vector<std::vector<DistFile>> pages;
    for (const auto& index : route.indexes) {
      auto page = TRY_CONTEXT(fetch_page(index + name + "/", simple_accept, index, route.route->forbidden_is_missing),
                              "looking up `" + name + "` on index " + net::display_url(index));
      pages.push_back(page ? std::move(*page) : std::vector<DistFile>{});
    }
    // A version no index has a file of that counts (only an sdist, no wheel for the target) is
    // still listed, from the first index that has it, so the resolver can say why it is not used.
    std::map<std::string, std::size_t> chosen;  // public version → the page it comes from
    for (std::size_t i = 0; i < pages.size(); ++i)
      for (const auto& f : pages[i]) {
        auto version = public_version_of(f.filename);
        bool counts = !route.route->counts || route.route->counts(f);
        auto it = chosen.find(version);
        if (it == chosen.end()) chosen.emplace(version, counts ? i : pages.size() + i);
        else if (counts && it->second >= pages.size()) it->second = i;
      }
    std::vector<DistFile> out;
    for (std::size_t i = 0; i < pages.size(); ++i)
      for (auto& f : pages[i]) {
        auto at = chosen.at(public_version_of(f.filename));
        if (at == i || at == pages.size() + i) out.push_back(std::move(f));
      }
    return out;
  }

  Result<std::vector<DistFile>> compute_project(const std::string& name) {
    if (auto it = routed.find(name); it != routed.end()) return routed_project(name, routes[it->second]);
    std::vector<DistFile> out;
    if (!find_links.empty()) {
      auto links = TRY(all_find_links());
      for (const auto& f : links)
        if (project_of(f.filename) == name) out.push_back(f);
    }
    for (const auto& index : indexes) {
      auto page_url = index + name + "/";
      auto page = TRY_CONTEXT(fetch_page(page_url, simple_accept, index),
                              "looking up `" + name + "` on index " + net::display_url(index));
      if (!page) continue;
      out.insert(out.end(), page->begin(), page->end());
      if (options.strategy == IndexStrategy::first_index) break;
    }
    // One entry per URL (find-links and an index may list the same file); what the later
    // listing knows (hashes, metadata) is kept.
    std::vector<DistFile> unique;
    std::map<std::string, std::size_t> at;
    for (auto& f : out) {
      auto [it, fresh] = at.emplace(f.url, unique.size());
      if (fresh) {
        unique.push_back(std::move(f));
        continue;
      }
      auto& kept = unique[it->second];
      kept.hashes.merge(f.hashes);
      kept.metadata_hashes.merge(f.metadata_hashes);
      kept.has_metadata_file = kept.has_metadata_file || f.has_metadata_file;
      if (!kept.requires_python) kept.requires_python = f.requires_python;
      if (!kept.yanked) kept.yanked = f.yanked;
      if (!kept.size) kept.size = f.size;
    }
    return unique;
  }

  // ---- metadata ----------------------------------------------------------------------------

  std::optional<std::filesystem::path> cached_blob(const DistFile& file) const {
    if (options.cache_dir.empty()) return std::nullopt;
    auto it = file.hashes.find("sha256");
    if (it == file.hashes.end() || !util::Digest::parse("sha256:" + it->second)) return std::nullopt;
    auto path = options.cache_dir / "blobs" / "sha256" / it->second;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    return path;
  }

  // The PEP 658 `.metadata` file: its text, nullopt when the index does not have it after all.
  Result<std::optional<std::string>> metadata_file(const DistFile& file) {
    auto url = file.url + ".metadata";
    std::string text;
    if (util::is_file_url(url)) {
      auto path = util::file_url_to_path(url);
      std::error_code ec;
      if (!path || !std::filesystem::exists(*path, ec)) return std::optional<std::string>();
      text = TRY(util::read_file(*path));
    } else {
      auto resp = TRY(send(request_for(url), nullptr));
      if (resp.status == 404) return std::optional<std::string>();
      if (resp.status != 200)
        return fail(ErrorKind::http, "GET " + net::display_url(url) + ": " + net::status_line(resp.status));
      text = std::move(resp.body);
    }
    if (auto it = file.metadata_hashes.find("sha256"); it != file.metadata_hashes.end()) {
      auto actual = util::Digest::sha256_of(text).hex();
      if (actual != it->second)
        return fail(ErrorKind::integrity, "`" + file.filename + ".metadata` has sha256 " + actual + ", expected " + it->second);
    }
    return std::optional<std::string>(std::move(text));
  }

  Result<CoreMetadata> compute_metadata(const DistFile& file) {
    std::optional<std::string> text;
    if (file.has_metadata_file) {
      text = TRY(metadata_file(file));
    }
    bool wheel = ends_with_ci(file.filename, ".whl");
    if (!text && wheel) {
      std::shared_ptr<archive::RandomAccess> source;
      if (auto blob = cached_blob(file)) {
        ++cache_hits;
        source = TRY(archive::open_file_access(*blob));
      } else if (util::is_file_url(file.url)) {
        auto path = util::file_url_to_path(file.url);
        if (!path) return fail(ErrorKind::invalid_input, "`" + net::display_url(file.url) + "` names another host");
        source = TRY(archive::open_file_access(*path));
      } else {
        source = http_range_access([this](const net::Request& r, util::Writer* sink) { return send(r, sink); },
                                   request_for(file.url),
                                   {[this] { ++range_requests; }, [this] { ++full_downloads; }});
      }
      text = TRY(read_wheel_metadata(std::move(source), file.filename));
    }
    if (!text)
      return fail(ErrorKind::unsupported, "`" + file.filename +
                                              "` is a source distribution and its index serves no metadata for it; "
                                              "building it to learn its dependencies is not supported");
    auto meta = TRY(parse_core_metadata(*text));
    if (wheel) {
      auto w = pypi::parse_wheel_filename(file.filename);
      if (w && pypi::normalize_name(meta.name) != w->name)
        return fail(ErrorKind::integrity,
                    "metadata names project `" + meta.name + "`, not the wheel's `" + w->name + "`");
    }
    return meta;
  }

  // ---- downloads ---------------------------------------------------------------------------

  Result<std::filesystem::path> download(const DistFile& file, std::string_view sha256) {
    if (options.cache_dir.empty())
      return fail(ErrorKind::invalid_input, "downloading `" + file.filename + "` needs a cache directory");
    auto blobs = options.cache_dir / "blobs" / "sha256";
    TRY(util::make_dirs(blobs));
    std::string expected(sha256);
    if (expected.empty())
      if (auto it = file.hashes.find("sha256"); it != file.hashes.end()) expected = it->second;
    expected = util::to_lower(expected);

    std::optional<util::Digest> digest;
    if (!expected.empty()) {
      auto d = util::Digest::parse("sha256:" + expected);
      if (!d) return fail(ErrorKind::invalid_input, "`" + file.filename + "`: `" + expected + "` is not a sha256");
      digest = *d;
      auto dest = blobs / d->hex();
      std::error_code ec;
      if (std::filesystem::is_regular_file(dest, ec)) {
        ++cache_hits;
        return dest;
      }
    }

    // Written under a temporary name beside the blobs; renamed once the digest is known (and
    // matches, when one was expected).
    util::Sha256Writer hasher;
    std::unique_ptr<util::AtomicFile> out;
    std::unique_ptr<util::VerifiedFile> verified;
    util::Writer* sink = nullptr;
    std::unique_ptr<util::TeeWriter> tee;
    std::function<Result<void>()> restart;
    if (digest) {
      verified = std::make_unique<util::VerifiedFile>(blobs / digest->hex(), *digest, file.size.value_or(0),
                                                      "`" + file.filename + "`");
      TRY(verified->restart());
      sink = verified.get();
      restart = [&] { return verified->restart(); };
    } else {
      out = TRY(util::AtomicFile::create(blobs / "download"));
      tee = std::make_unique<util::TeeWriter>(*out, hasher);
      sink = tee.get();
    }

    auto what = "downloading `" + file.filename + "`";
    util::WatchedTransfer transfer(options.transfers, file.url, file.filename, file.size.value_or(0));
    util::WatchedWriter watched(*sink, transfer);
    sink = &watched;
    if (restart) restart = [&, inner = std::move(restart)] {
      transfer.restarted();
      return inner();
    };
    if (util::is_file_url(file.url)) {
      auto path = util::file_url_to_path(file.url);
      if (!path) return fail(ErrorKind::invalid_input, what + ": `" + file.url + "` names another host");
      auto in = TRY_CONTEXT(util::FileReader::open(path->string()), what);
      TRY_CONTEXT(util::copy(*in, *sink), what);
    } else {
      ++full_downloads;
      auto resp = TRY_CONTEXT(send(request_for(file.url), sink, restart), what);
      if (resp.status != 200)
        return fail(ErrorKind::http,
                    what + ": GET " + net::display_url(file.url) + ": " + net::status_line(resp.status));
    }
    if (verified) {
      TRY(verified->commit());
      transfer.succeeded();
      return blobs / digest->hex();
    }
    auto dest = blobs / hasher.finish().hex();
    TRY_CONTEXT(out->commit_as(dest), what);
    transfer.succeeded();
    return dest;
  }
};

IndexClient::IndexClient(std::shared_ptr<net::HttpClient> http, IndexOptions options)
    : impl_(std::make_unique<Impl>(std::move(http), std::move(options))) {}

IndexClient::~IndexClient() = default;

Result<std::vector<DistFile>> IndexClient::project_files(std::string_view name) {
  auto normalized = pypi::normalize_name(name);
  return memoise(impl_->mutex, impl_->projects, normalized, [&] { return impl_->compute_project(normalized); });
}

Result<CoreMetadata> IndexClient::metadata(const DistFile& file) {
  return memoise(impl_->mutex, impl_->metadata, file.url, [&]() -> Result<CoreMetadata> {
    auto m = TRY_CONTEXT(impl_->compute_metadata(file), "reading the metadata of `" + file.filename + "`");
    return m;
  });
}

Result<fs::path> IndexClient::download(const DistFile& file, std::string_view sha256) {
  return impl_->download(file, sha256);
}

void IndexClient::prefetch_projects(const std::vector<std::string>& names) {
  (void)util::parallel_for(names.size(), impl_->options.max_parallel, [&](std::size_t i) -> Result<void> {
    (void)project_files(names[i]);
    return {};
  });
}

void IndexClient::prefetch_metadata(const std::vector<DistFile>& files) {
  (void)util::parallel_for(files.size(), impl_->options.max_parallel, [&](std::size_t i) -> Result<void> {
    (void)metadata(files[i]);
    return {};
  });
}

IndexClient::Stats IndexClient::stats() const {
  return {impl_->requests.load(), impl_->cache_hits.load(), impl_->range_requests.load(), impl_->full_downloads.load()};
}

}  // namespace mlpack::pyindex
