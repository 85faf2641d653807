#include "apt/client.hpp"

#include <ctime>
#include <mutex>
#include <optional>

#include "apt/decompress.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/verified_file.hpp"
#include "util/text.hpp"

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;
namespace fs = std::filesystem;

namespace {

// Hashes and counts what passes on to another writer.
class HashingWriter final : public util::Writer {
 public:
  explicit HashingWriter(util::Writer& inner) : inner_(inner) {}
  Result<void> write(util::Bytes data) override {
    hasher.update(data);
    count += data.size();
    return inner_.write(data);
  }
  util::Sha256Writer hasher;
  std::uint64_t count = 0;

 private:
  util::Writer& inner_;
};

bool is_gone(int status) { return status == 404 || status == 410; }

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

std::string parent_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

}  // namespace

ArchiveClient::ArchiveClient(std::shared_ptr<net::HttpClient> http, ClientOptions options, util::Clock& clock)
    : http_(std::move(http)), options_(std::move(options)), clock_(&clock) {}

fs::path ArchiveClient::blob_path(const util::Digest& digest) const {
  return options_.cache_dir / "blobs" / digest.algorithm() / digest.hex();
}

namespace {

struct Fetcher {
  net::HttpClient& http;
  const ClientOptions& options;
  util::Clock& clock;

  // GETs a small document into memory. A 404/410 is ErrorKind::not_found.
  Result<std::string> get_text(const std::string& url, std::size_t limit) const {
    net::Request req;
    req.url = url;
    req.max_buffered_body = limit;
    auto resp = TRY(net::send_with_retry(http, req, nullptr, net::RetryOptions{options.retry}, clock));
    if (!resp.ok())
      return fail(is_gone(resp.status) ? ErrorKind::not_found : ErrorKind::http,
                  "GET " + net::display_url(url) + ": " + net::status_line(resp.status));
    return std::move(resp.body);
  }

  // GETs into `sink`, starting the sink over before each try; `transfer` (when given) is told
  // about the bytes.
  Result<void> get_into(const std::string& url, util::VerifiedFile& sink,
                        util::WatchedTransfer* transfer = nullptr) const {
    TRY(sink.restart());
    net::Request req;
    req.url = url;
    net::RetryOptions retry{options.retry};
    retry.restart_sink = [&] {
      if (transfer) transfer->restarted();
      return sink.restart();
    };
    std::optional<util::WatchedWriter> watched;
    util::Writer* out = &sink;
    if (transfer) out = &watched.emplace(sink, *transfer);
    auto resp = TRY(net::send_with_retry(http, req, out, retry, clock));
    if (!resp.ok())
      return fail(is_gone(resp.status) ? ErrorKind::not_found : ErrorKind::http,
                  "GET " + net::display_url(url) + ": " + net::status_line(resp.status));
    return {};
  }
};

}  // namespace

Result<FetchedRelease> ArchiveClient::fetch_release(const Source& source) const {
  auto context = "reading apt source `" + source.display() + "`";
  TRY_CONTEXT(validate(source), context);
  FetchedRelease out;
  out.source = source;
  out.verified = options_.verify;
  auto root = TRY_CONTEXT(archive_root(source), context);
  out.root = root;
  out.dir = *release_dir(source);
  Fetcher f{*http_, options_, *clock_};

  std::string text;
  out.url = out.dir + "InRelease";
  auto inrelease = f.get_text(out.url, options_.max_release_size);
  if (inrelease) {
    if (options_.verify == Verify::yes) {
      auto v = TRY_CONTEXT(verify_clearsigned(*inrelease, source.keyring, net::display_url(out.url), options_.gpgv),
                           context);
      text = std::move(v.text);
      out.signers = std::move(v.signers);
    } else {
      text = TRY_CONTEXT(unverified_clearsigned_text(*inrelease, net::display_url(out.url)), context);
    }
  } else if (inrelease.error().kind == ErrorKind::not_found) {
    // Older and flat repositories publish only Release with a detached Release.gpg.
    out.url = out.dir + "Release";
    auto release = f.get_text(out.url, options_.max_release_size);
    if (!release) {
      if (release.error().kind == ErrorKind::not_found)
        return fail(ErrorKind::not_found, context + ": neither " + net::display_url(out.dir + "InRelease") +
                                              " nor " + net::display_url(out.url) +
                                              " exists; check the URL and suite");
      return std::unexpected(release.error().context(context));
    }
    if (options_.verify == Verify::yes) {
      auto sig = f.get_text(out.dir + "Release.gpg", 1 << 20);
      if (!sig) {
        if (sig.error().kind == ErrorKind::not_found)
          return fail(ErrorKind::integrity, context + ": the repository is not signed: it has no InRelease and no " +
                                                "Release.gpg");
        return std::unexpected(sig.error().context(context));
      }
      auto v = TRY_CONTEXT(verify_detached(*release, *sig, source.keyring, net::display_url(out.url), options_.gpgv),
                           context);
      out.signers = std::move(v.signers);
    }
    text = std::move(*release);
  } else {
    return std::unexpected(inrelease.error().context(context));
  }

  out.digest = util::Digest::sha256_of(text);
  out.release = TRY_CONTEXT(parse_release(text, net::display_url(out.url)), context);
  const Release& r = out.release;

  // A validly signed Release of another suite (an old one, say) must not stand in for this one.
  if (!source.flat() && !(r.suite.empty() && r.codename.empty()) && r.suite != source.suite &&
      r.codename != source.suite)
    return fail(ErrorKind::integrity, context + ": " + net::display_url(out.url) + " is for suite `" + util::printable_excerpt(r.suite) +
                                          "` (codename `" + util::printable_excerpt(r.codename) + "`), not `" + source.suite + "`");
  std::int64_t now = options_.wall_clock ? options_.wall_clock() : static_cast<std::int64_t>(std::time(nullptr));
  // Snapshots serve Release files as they were, so their Valid-Until is long past by design.
  if (r.valid_until && *r.valid_until < now && !source.snapshot)
    return fail(ErrorKind::integrity, context + ": " + net::display_url(out.url) + " expired on " +
                                          util::format_rfc3339(*r.valid_until) +
                                          " (a stale mirror, or a wrong clock; pin a `snapshot` to build "
                                          "from an archive as it was)");
  // An hour of clock skew is tolerated.
  if (r.date && *r.date > now + 3600)
    return fail(ErrorKind::integrity, context + ": " + net::display_url(out.url) + " is dated " +
                                          util::format_rfc3339(*r.date) +
                                          ", in the future (check the system clock)");
  return out;
}

Result<IndexFile> ArchiveClient::fetch_packages(const FetchedRelease& fetched, std::string_view component) const {
  const Release& r = fetched.release;
  const Source& source = fetched.source;
  std::string context = "fetching Packages for `" + source.display() + "`" +
                        (component.empty() ? std::string() : " component `" + std::string(component) + "`");
  if (!source.flat()) {
    if (!r.architectures.empty() &&
        std::find(r.architectures.begin(), r.architectures.end(), options_.arch) == r.architectures.end())
      return fail(ErrorKind::not_found, context + ": the suite has no packages for architecture `" +
                                            options_.arch + "` (it has: " + join(r.architectures, ", ") + ")");
    // debian-security lists its components as "updates/main".
    bool known = r.components.empty();
    for (const auto& c : r.components)
      if (c == component || c.ends_with("/" + std::string(component))) known = true;
    if (!known)
      return fail(ErrorKind::not_found, context + ": the suite has no component `" + std::string(component) +
                                            "` (it has: " + join(r.components, ", ") + ")");
  }

  const std::string base = packages_path(component, options_.arch);
  IndexFile out;
  out.component = std::string(component);
  out.arch = options_.arch;
  fs::path dir = options_.cache_dir / "apt" / "indexes";

  std::vector<std::pair<Compression, const IndexEntry*>> candidates;
  for (auto c : {Compression::xz, Compression::gzip, Compression::none})
    if (auto e = r.find(base + std::string(extension(c)))) candidates.emplace_back(c, e);
  if (candidates.empty())
    return fail(ErrorKind::not_found, context + ": " + net::display_url(fetched.url) + " lists no " + base +
                                          "{.xz,.gz,}");

  // A cache hit needs no request at all.
  for (auto [c, e] : candidates) {
    out.url = fetched.dir + base + std::string(extension(c));
    out.path = dir / e->sha256;
    std::error_code ec;
    if (fs::is_regular_file(out.path, ec)) {
      out.cached = true;
      return out;
    }
  }
  TRY_CONTEXT(util::make_dirs(dir), context);

  Fetcher f{*http_, options_, *clock_};
  std::vector<std::string> misses;
  for (auto [c, e] : candidates) {
    std::string name = base + std::string(extension(c));
    auto digest = TRY_CONTEXT(util::Digest::parse("sha256:" + e->sha256), context);
    // by-hash URLs name content, so they cannot change under us while a mirror syncs.
    std::vector<std::string> urls;
    if (r.acquire_by_hash) urls.push_back(fetched.dir + parent_of(name) + "by-hash/SHA256/" + e->sha256);
    urls.push_back(fetched.dir + name);
    out.url = urls.back();

    util::VerifiedFile sink(dir / ("download-" + e->sha256), digest, e->size, net::display_url(out.url));
    bool got = false;
    for (const auto& url : urls) {
      auto g = f.get_into(url, sink);
      if (g) {
        got = true;
        break;
      }
      if (g.error().kind != ErrorKind::not_found) return std::unexpected(g.error().context(context));
      misses.push_back(g.error().message);
    }
    if (!got) continue;
    // Decompress next to the cache entry; the compressed download is dropped either way.
    auto verified = TRY_CONTEXT(sink.take(), context);
    auto compressed = std::move(verified);
    auto target = TRY_CONTEXT(util::AtomicFile::create(out.path), context);
    HashingWriter hashing(*target);
    TRY_CONTEXT(decompress_file(compressed->temp_path(), c, hashing, options_.max_index_size),
                context + ": " + net::display_url(out.url));
    // Debian's Release also lists the uncompressed index, which checks the decompressor too.
    if (auto plain = r.find(base); plain && c != Compression::none) {
      auto actual = hashing.hasher.finish();
      if (hashing.count != plain->size || actual.hex() != plain->sha256)
        return fail(ErrorKind::integrity, context + ": " + net::display_url(out.url) +
                                              " decompresses to content that does not match the " + base +
                                              " entry of Release");
    }
    TRY_CONTEXT(target->commit(), context);
    return out;
  }
  return fail(ErrorKind::not_found, context + ": Release lists it, but the mirror does not have it (" +
                                        join(misses, "; ") + ")");
}

Result<std::vector<IndexFile>> ArchiveClient::fetch_all_packages(const FetchedRelease& fetched) const {
  std::vector<std::string> components = fetched.source.components;
  if (fetched.source.flat()) components = {""};
  std::vector<IndexFile> out(components.size());
  TRY(util::parallel_for(components.size(), options_.max_parallel, [&](std::size_t i) -> Result<void> {
    out[i] = TRY(fetch_packages(fetched, components[i]));
    return {};
  }));
  return out;
}

Result<std::vector<ArchiveClient::SourceIndexes>> ArchiveClient::fetch_sources(std::span<const Source> sources) const {
  std::vector<SourceIndexes> out(sources.size());
  TRY(util::parallel_for(sources.size(), options_.max_parallel, [&](std::size_t i) -> Result<void> {
    auto release = TRY(fetch_release(sources[i]));
    auto indexes = TRY(fetch_all_packages(release));
    out[i] = SourceIndexes{std::move(release), std::move(indexes)};
    return {};
  }));
  return out;
}

Result<fs::path> ArchiveClient::fetch_deb(const DebFile& deb) const {
  std::string context = "fetching package " + deb.package;
  if (deb.sha256.algorithm() != "sha256")
    return fail(ErrorKind::invalid_input, context + ": needs a sha256 digest, not " + deb.sha256.algorithm());
  fs::path dest = blob_path(deb.sha256);
  std::error_code ec;
  if (fs::is_regular_file(dest, ec) && (!deb.size || fs::file_size(dest, ec) == deb.size)) return dest;
  if (deb.urls.empty()) return fail(ErrorKind::invalid_input, context + ": no URL to fetch it from");
  TRY_CONTEXT(util::make_dirs(dest.parent_path()), context);

  Fetcher f{*http_, options_, *clock_};
  std::vector<util::Error> failures;
  for (const auto& url : deb.urls) {
    util::VerifiedFile sink(dest, deb.sha256, deb.size, net::display_url(url));
    // The pool file name reads best (libc6_2.36-9_amd64.deb); the URL is unique among transfers.
    auto slash = url.rfind('/');
    util::WatchedTransfer transfer(options_.transfers, url, slash == std::string::npos ? url : url.substr(slash + 1),
                                   deb.size);
    auto g = f.get_into(url, sink, &transfer);
    if (!g) {
      // A hash or size mismatch is the mirror serving something else: never try to paper over it.
      if (g.error().kind == ErrorKind::integrity) return std::unexpected(g.error().context(context));
      failures.push_back(g.error());
      continue;
    }
    TRY_CONTEXT(sink.commit(), context);
    transfer.succeeded();
    return dest;
  }
  // not_found only when every URL said so; otherwise the kind of the last other failure.
  ErrorKind kind = ErrorKind::not_found;
  std::vector<std::string> messages;
  for (const auto& e : failures) {
    if (e.kind != ErrorKind::not_found) kind = e.kind;
    messages.push_back(e.message);
  }
  return fail(kind, context + ": " + join(messages, "; "));
}

Result<std::vector<fs::path>> ArchiveClient::fetch_debs(std::span<const DebFile> debs) const {
  std::vector<fs::path> out(debs.size());
  TRY(util::parallel_for(debs.size(), options_.max_parallel, [&](std::size_t i) -> Result<void> {
    out[i] = TRY(fetch_deb(debs[i]));
    return {};
  }));
  return out;
}

Result<void> for_each_package(const IndexFile& index, const std::function<Result<void>(deb::Paragraph&&)>& visit) {
  auto text = TRY(util::read_file(index.path, 4ULL << 30));
  return deb::for_each_paragraph(text, net::display_url(index.url), visit);
}

}  // namespace mlpack::apt
