// ChannelClient: repodata per (channel, subdir) through a file cache, and verified downloads.
// Repodata is streamed to disk and parsed from there: conda-forge's is hundreds of MB, more than
// a response body may buffer and more than pyindex's in-memory page cache is made for.
#include "condaindex/client.hpp"

#include <atomic>
#include <optional>

#include "archive/decompress.hpp"
#include "conda/channel_url.hpp"
#include "net/authorized_get.hpp"
#include "net/spool.hpp"
#include "net/validators.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/url.hpp"
#include "util/verified_file.hpp"

namespace mlpack::condaindex {

namespace fs = std::filesystem;
using util::ErrorKind;
using util::fail;

namespace {

// The state.json key under which a cache entry remembers when the channel last refused the .zst.
constexpr std::string_view zst_missing_at_key = "zst_missing_at";

}  // namespace

struct ChannelClient::Impl {
  std::shared_ptr<net::HttpClient> http;
  ClientOptions options;
  util::Clock& clock;
  std::atomic<std::size_t> requests{0}, not_modified{0}, zst_fallbacks{0}, cache_hits{0};

  Impl(std::shared_ptr<net::HttpClient> h, ClientOptions o)
      : http(std::move(h)), options(std::move(o)), clock(options.clock ? *options.clock : util::system_clock()) {}

  std::int64_t now_seconds() const {
    if (options.epoch_seconds) return options.epoch_seconds();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // A GET for `url` (token in the path kept), with `credentials` as Basic authentication.
  static net::Request request_for(std::string url, const std::optional<util::Credentials>& credentials) {
    return net::authorized_get(std::move(url), credentials);
  }

  util::Result<net::Response> send(const net::Request& request, util::Writer* sink,
                                   std::function<util::Result<void>()> restart = {}) {
    if (!http) return fail(ErrorKind::internal, "no HTTP client for " + conda::redact_channel_url(request.url));
    ++requests;
    net::RetryOptions retry;
    retry.policy = options.retry;
    retry.restart_sink = std::move(restart);
    return net::send_with_retry(*http, request, sink, retry, clock);
  }

  // Messages from below (the HTTP client names the URL it was given) with the channel's secrets
  // replaced: a token in the path is not userinfo, so display_url would leave it.
  static util::Error scrub(util::Error e, std::string_view request_url,
                           const std::optional<util::Credentials>& credentials) {
    if (auto token = conda::channel_token(request_url)) e = net::scrub_secret(std::move(e), *token);
    return net::scrub_credentials(std::move(e), credentials);
  }

  // ---- repodata --------------------------------------------------------------------------

  fs::path entry_dir(const Channel& channel, const std::string& subdir) const {
    // Keyed by what decides the answer: the URL with its token, and the user.
    auto key = channel.request_base + "\n" + subdir + "\n" + (channel.credentials ? channel.credentials->user : "");
    auto hex = util::Digest::sha256_of(key).hex();
    return options.cache_dir / "conda-repodata-v1" / hex.substr(0, 32);
  }

  // nullopt: the subdir does not exist (404).
  util::Result<std::optional<conda::Repodata>> fetch_subdir(const Channel& channel, const std::string& subdir) {
    const auto subdir_url = channel.url + "/" + subdir + "/";
    const auto source = subdir_url + "repodata.json";
    if (channel.is_file()) {
      auto dir = util::file_url_to_path(channel.url);
      if (!dir) return fail(ErrorKind::invalid_input, "channel " + channel.url + " names another host");
      auto path = *dir / subdir / "repodata.json";
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) return std::optional<conda::Repodata>();
      return std::optional(TRY(conda::parse_repodata_file(path, channel.url, source)));
    }

    std::optional<util::TempDir> scratch;
    fs::path dir;
    if (options.cache_dir.empty()) {
      scratch.emplace(TRY(util::TempDir::create()));
      dir = scratch->path();
    } else {
      dir = entry_dir(channel, subdir);
      TRY(util::make_dirs(dir));
      util::remove_abandoned_temp_paths(dir);  // what a killed run left half-written
    }
    const auto body_path = dir / "repodata.json";
    const auto state_path = dir / "state.json";
    std::error_code ec;
    std::optional<net::EntryState> state;
    if (!scratch && fs::is_regular_file(body_path, ec)) state = net::load_entry_state(state_path);
    net::EntryState next;
    next.url = source;
    std::optional<std::int64_t> zst_missing_at, was_missing_at;
    if (state)
      if (auto it = state->numbers.find(zst_missing_at_key); it != state->numbers.end())
        zst_missing_at = was_missing_at = it->second;
    // A failure to store costs a full fetch next time.
    auto store = [&](net::EntryState s) {
      if (scratch) return;
      s.numbers.erase(std::string(zst_missing_at_key));
      if (zst_missing_at) s.numbers.emplace(zst_missing_at_key, *zst_missing_at);
      (void)net::store_entry_state(state_path, s);
    };

    const auto request_base = channel.request_base + "/" + subdir + "/";
    auto parse_cached = [&]() -> util::Result<std::optional<conda::Repodata>> {
      ++not_modified;
      return std::optional(TRY(conda::parse_repodata_file(body_path, channel.url, source)));
    };

    // One variant: 304 → the cached body; 200 → a new body; else the response for the caller.
    enum class Outcome { cached, fresh, other };
    auto get = [&](const std::string& variant, net::Response& out) -> util::Result<Outcome> {
      auto request =
          request_for(request_base + (variant == "zst" ? "repodata.json.zst" : "repodata.json"), channel.credentials);
      if (state && state->variant == variant) state->validators.add_to(request);
      const auto what = "`" + source + (variant == "zst" ? ".zst`" : "`");
      net::Spool spool(variant == "zst" ? dir / "repodata.json.zst" : body_path, options.max_repodata_bytes, what);
      TRY(spool.restart());
      out = TRY(send(request, &spool, [&] { return spool.restart(); }));
      if (out.status == 304 && state && state->variant == variant) return Outcome::cached;
      if (out.status != 200) return Outcome::other;
      if (variant == "zst") {
        // Decompressed beside the spool, which is dropped uncommitted.
        auto in = TRY(util::FileReader::open(spool.file().temp_path().string()));
        archive::DecompressOptions limits;
        limits.max_size = options.max_repodata_bytes;
        auto content = TRY_CONTEXT(archive::decompress(*in, archive::Codec::zstd, limits), what);
        auto body = TRY(util::AtomicFile::create(body_path));
        TRY_CONTEXT(util::copy(*content, *body), what);
        TRY(body->commit());
      } else {
        TRY(spool.file().commit());
      }
      next.variant = variant;
      next.validators = net::Validators::of(out);
      return Outcome::fresh;
    };
    auto status_error = [&](const net::Response& r, std::string_view file) -> util::Result<std::optional<conda::Repodata>> {
      return std::unexpected(net::status_error(
          r, file, "credentials come from the channel URL: `https://user:password@host/…` or `/t/<token>/`"));
    };

    net::Response response;
    bool zst_known_missing = zst_missing_at && now_seconds() - *zst_missing_at < options.zst_recheck.count();
    if (!zst_known_missing) {
      auto outcome = TRY(get("zst", response));
      if (outcome == Outcome::cached) return parse_cached();
      if (outcome == Outcome::fresh) {
        zst_missing_at.reset();
        store(next);
        return std::optional(TRY(conda::parse_repodata_file(body_path, channel.url, source)));
      }
      // Servers refuse what they do not have in several ways (404, 403 from object stores); any
      // client error means: ask for the plain file.
      if (response.status < 400 || response.status >= 500) return status_error(response, source + ".zst");
      zst_missing_at = now_seconds();
      ++zst_fallbacks;
    }
    auto outcome = TRY(get("json", response));
    if (outcome == Outcome::cached) {
      if (zst_missing_at != was_missing_at) {
        auto kept = *state;
        kept.url = source;
        store(std::move(kept));
      }
      return parse_cached();
    }
    if (outcome == Outcome::fresh) {
      store(next);
      return std::optional(TRY(conda::parse_repodata_file(body_path, channel.url, source)));
    }
    if (response.status == 404) return std::optional<conda::Repodata>();
    return status_error(response, source);
  }

  util::Result<std::vector<SubdirRepodata>> fetch_repodata(const std::vector<Channel>& channels,
                                                           const std::vector<std::string>& subdirs) {
    const auto n = channels.size() * subdirs.size();
    std::vector<std::optional<util::Result<std::optional<conda::Repodata>>>> results(n);
    (void)util::parallel_for(
        n, std::max<std::size_t>(1, options.max_parallel), [&](std::size_t i) -> util::Result<void> {
          const auto& channel = channels[i / subdirs.size()];
          const auto& subdir = subdirs[i % subdirs.size()];
          auto r = fetch_subdir(channel, subdir);
          if (!r)
            r = std::unexpected(scrub(std::move(r.error()), channel.request_base, channel.credentials)
                                    .context("fetching the repodata of channel " + channel.url + " (" + subdir + ")"));
          results[i] = std::move(r);
          return {};
        });
    std::vector<SubdirRepodata> out;
    out.reserve(n);
    for (std::size_t c = 0; c < channels.size(); ++c) {
      std::vector<std::string> missing;
      for (std::size_t s = 0; s < subdirs.size(); ++s) {
        auto& r = *results[c * subdirs.size() + s];
        if (!r) return std::unexpected(std::move(r.error()));
        SubdirRepodata d;
        d.channel = c;
        d.subdir = subdirs[s];
        d.found = r->has_value();
        if (d.found)
          d.repodata = std::move(**r);
        else
          missing.push_back(channels[c].url + "/" + subdirs[s] + "/repodata.json");
        out.push_back(std::move(d));
      }
      if (!subdirs.empty() && missing.size() == subdirs.size())
        return fail(ErrorKind::not_found, "channel " + channels[c].url + " not found (404 for " +
                                              util::join(missing, " and ") +
                                              "); check the channel's name and that it has packages for this platform");
    }
    return out;
  }

  // ---- packages --------------------------------------------------------------------------

  util::Result<fs::path> download_package(const PackageFile& file) {
    auto [url, credentials] = util::take_userinfo(file.url);
    const auto name = util::url_filename(url);
    const auto what = "downloading `" + name + "`";
    auto result = download(file, url, credentials, name, what);
    if (!result) return std::unexpected(scrub(std::move(result.error()), url, credentials));
    return result;
  }

  util::Result<fs::path> download(const PackageFile& file, const std::string& url,
                                  const std::optional<util::Credentials>& credentials, const std::string& name,
                                  const std::string& what) {
    if (options.cache_dir.empty())
      return fail(ErrorKind::invalid_input, what + ": downloading packages needs a cache directory");
    auto sha256 = util::to_lower(file.sha256);
    auto md5 = util::to_lower(file.md5);
    if (!sha256.empty() && !util::is_lower_hex(sha256, 64))
      return fail(ErrorKind::invalid_input, what + ": `" + sha256 + "` is not a sha256");
    if (sha256.empty() && !md5.empty() && !util::is_lower_hex(md5, 32))
      return fail(ErrorKind::invalid_input, what + ": `" + md5 + "` is not an md5");
    if (sha256.empty() && md5.empty())
      return fail(ErrorKind::invalid_input, what + ": no sha256 or md5 to check it against");
    auto blobs = options.cache_dir / "blobs" / "sha256";
    TRY(util::make_dirs(blobs));

    std::optional<util::Digest> digest;
    if (!sha256.empty()) {
      digest = *util::Digest::parse("sha256:" + sha256);
      std::error_code ec;
      if (fs::is_regular_file(blobs / sha256, ec)) {
        ++cache_hits;
        return blobs / sha256;
      }
    }

    // With a sha256 the file is checked as it lands (util::VerifiedFile); with only an md5 it is
    // hashed both ways and named by its sha256 once the md5 matched.
    std::unique_ptr<util::VerifiedFile> verified;
    std::unique_ptr<util::AtomicFile> plain;
    std::optional<util::Sha256Writer> sha_hasher;
    std::optional<util::Md5Writer> md5_hasher;
    std::uint64_t count = 0;
    struct Md5Sink final : util::Writer {
      std::function<util::Result<void>(util::Bytes)> write_fn;
      util::Result<void> write(util::Bytes data) override { return write_fn(data); }
    } md5_sink;
    util::Writer* sink = nullptr;
    std::function<util::Result<void>()> restart;
    if (digest) {
      verified = std::make_unique<util::VerifiedFile>(blobs / sha256, *digest, file.size, "`" + name + "`");
      TRY(verified->restart());
      sink = verified.get();
      restart = [&] { return verified->restart(); };
    } else {
      restart = [&]() -> util::Result<void> {
        plain.reset();
        plain = TRY(util::AtomicFile::create(blobs / "download"));
        sha_hasher.emplace();
        md5_hasher.emplace();
        count = 0;
        return {};
      };
      TRY(restart());
      md5_sink.write_fn = [&](util::Bytes data) -> util::Result<void> {
        count += data.size();
        if (file.size && count > file.size)
          return fail(ErrorKind::integrity,
                      "`" + name + "` is larger than the " + std::to_string(file.size) + " bytes expected");
        TRY(plain->write(data));
        TRY(sha_hasher->write(data));
        return md5_hasher->write(data);
      };
      sink = &md5_sink;
    }

    util::WatchedTransfer transfer(options.transfers, conda::redact_channel_url(url), name, file.size);
    util::WatchedWriter watched(*sink, transfer);
    auto watched_restart = [&]() -> util::Result<void> {
      transfer.restarted();
      return restart();
    };
    if (util::is_file_url(url)) {
      auto path = util::file_url_to_path(url);
      if (!path) return fail(ErrorKind::invalid_input, what + ": `" + url + "` names another host");
      auto in = TRY_CONTEXT(util::FileReader::open(path->string()), what);
      TRY_CONTEXT(util::copy(*in, watched), what);
    } else {
      auto resp = TRY_CONTEXT(send(request_for(url, credentials), &watched, watched_restart), what);
      if (resp.status != 200)
        return fail(ErrorKind::http,
                    what + ": GET " + conda::redact_channel_url(url) + ": " + net::status_line(resp.status));
    }
    if (verified) {
      TRY(verified->commit());
      transfer.succeeded();
      return blobs / sha256;
    }
    if (file.size && count != file.size)
      return fail(ErrorKind::integrity,
                  "`" + name + "` has " + std::to_string(count) + " bytes, expected " + std::to_string(file.size));
    auto actual_md5 = md5_hasher->finish_hex();
    if (actual_md5 != md5)
      return fail(ErrorKind::integrity, "`" + name + "` has md5 " + actual_md5 + ", expected " + md5);
    auto dest = blobs / sha_hasher->finish().hex();
    TRY_CONTEXT(plain->commit_as(dest), what);
    transfer.succeeded();
    return dest;
  }
};

ChannelClient::ChannelClient(std::shared_ptr<net::HttpClient> http, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(http), std::move(options))) {}

ChannelClient::~ChannelClient() = default;

Result<std::vector<SubdirRepodata>> ChannelClient::fetch_repodata(const std::vector<Channel>& channels,
                                                                  const std::vector<std::string>& subdirs) {
  return impl_->fetch_repodata(channels, subdirs);
}

Result<fs::path> ChannelClient::download_package(const PackageFile& file) {
  return impl_->download_package(file);
}

ChannelClient::Stats ChannelClient::stats() const {
  return {impl_->requests.load(), impl_->not_modified.load(), impl_->zst_fallbacks.load(), impl_->cache_hits.load()};
}

}  // namespace mlpack::condaindex
