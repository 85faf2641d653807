#include "archive/reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "archive/paths.hpp"

namespace mlpack::archive {

namespace {

using util::ErrorKind;
using util::fail;

// Turns the raw input into the decompressed tar stream, chunk by chunk. Decompression is ours
// rather than libarchive's so the decompressed bytes can be hashed (diff_id) on the way through.
class Decompressor {
 public:
  explicit Decompressor(util::Reader& in) : in_(in) {}
  ~Decompressor() {
    if (gzip_ready_) inflateEnd(&z_);
    if (zstd_) ZSTD_freeDCtx(zstd_);
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  Result<Compression> detect() {
    while (in_len_ < 4 && !eof_) {
      auto n = in_.read({inbuf_.data() + in_len_, inbuf_.size() - in_len_});
      if (!n) return std::unexpected(n.error());
      if (*n == 0) eof_ = true;
      in_len_ += *n;
    }
    auto b = [&](std::size_t i) { return std::to_integer<unsigned>(inbuf_[i]); };
    if (in_len_ >= 2 && b(0) == 0x1f && b(1) == 0x8b) {
      kind_ = Compression::gzip;
      if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) return fail(ErrorKind::internal, "gzip: inflateInit2 failed");
      gzip_ready_ = true;
      z_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
      z_.avail_in = static_cast<uInt>(in_len_);
    } else if (in_len_ >= 4 && b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd) {
      kind_ = Compression::zstd;
      zstd_ = ZSTD_createDCtx();  // its default window limit (128 MiB) bounds memory
      if (!zstd_) return fail(ErrorKind::internal, "zstd: cannot create a decompressor");
      zin_ = {inbuf_.data(), in_len_, 0};
    } else {
      kind_ = Compression::none;
    }
    return kind_;
  }

  // The next chunk of decompressed bytes, valid until the next call; empty at the end.
  Result<util::Bytes> next() {
    switch (kind_) {
      case Compression::none: return next_plain();
      case Compression::gzip: return next_gzip();
      case Compression::zstd: return next_zstd();
    }
    return util::Bytes{};
  }

 private:
  // Refills inbuf_; returns the byte count, 0 at the end of the input.
  Result<std::size_t> fill() {
    if (eof_) return 0;
    auto n = in_.read(inbuf_);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) eof_ = true;
    return *n;
  }

  Result<util::Bytes> next_plain() {
    if (!plain_started_) {
      plain_started_ = true;
      if (in_len_ > 0) return util::Bytes{inbuf_.data(), in_len_};
    }
    auto n = fill();
    if (!n) return std::unexpected(n.error());
    return util::Bytes{inbuf_.data(), *n};
  }

  Result<util::Bytes> next_gzip() {
    for (;;) {
      if (z_.avail_in == 0 && !pending_output_) {
        auto n = fill();
        if (!n) return std::unexpected(n.error());
        if (*n == 0) {
          if (member_done_) return util::Bytes{};
          return fail(ErrorKind::integrity, "truncated gzip stream");
        }
        z_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
        z_.avail_in = static_cast<uInt>(*n);
      }
      if (member_done_ && z_.avail_in > 0) {
        // Another gzip member follows, or zero padding that some writers add: accept only zeros.
        if (*z_.next_in == 0) {
          if (auto r = expect_zeros(); !r) return std::unexpected(r.error());
          return util::Bytes{};
        }
        member_done_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(outbuf_.data());
      z_.avail_out = static_cast<uInt>(outbuf_.size());
      int rc = inflate(&z_, Z_NO_FLUSH);
      std::size_t produced = outbuf_.size() - z_.avail_out;
      pending_output_ = z_.avail_out == 0;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        pending_output_ = false;
        inflateReset(&z_);
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && z_.avail_in == 0)) {
        return fail(ErrorKind::integrity,
                    std::string("corrupt gzip stream: ") + (z_.msg ? z_.msg : "inflate error " + std::to_string(rc)));
      }
      if (produced > 0) return util::Bytes{outbuf_.data(), produced};
    }
  }

  Result<void> expect_zeros() {
    for (;;) {
      for (; z_.avail_in > 0; --z_.avail_in, ++z_.next_in)
        if (*z_.next_in != 0) return fail(ErrorKind::integrity, "garbage after the end of the gzip stream");
      auto n = fill();
      if (!n) return std::unexpected(n.error());
      if (*n == 0) return {};
      z_.next_in = reinterpret_cast<Bytef*>(inbuf_.data());
      z_.avail_in = static_cast<uInt>(*n);
    }
  }

  Result<util::Bytes> next_zstd() {
    for (;;) {
      if (zin_.pos == zin_.size && !pending_output_) {
        auto n = fill();
        if (!n) return std::unexpected(n.error());
        if (*n == 0) {
          if (frame_left_ == 0) return util::Bytes{};
          return fail(ErrorKind::integrity, "truncated zstd stream");
        }
        zin_ = {inbuf_.data(), *n, 0};
      }
      ZSTD_outBuffer o{outbuf_.data(), outbuf_.size(), 0};
      std::size_t rc = ZSTD_decompressStream(zstd_, &o, &zin_);
      if (ZSTD_isError(rc)) return fail(ErrorKind::integrity, std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc));
      frame_left_ = rc;
      pending_output_ = o.pos == o.size;
      if (o.pos > 0) return util::Bytes{outbuf_.data(), o.pos};
    }
  }

  util::Reader& in_;
  std::vector<std::byte> inbuf_ = std::vector<std::byte>(256 * 1024);
  std::vector<std::byte> outbuf_ = std::vector<std::byte>(256 * 1024);
  std::size_t in_len_ = 0;
  bool eof_ = false;
  Compression kind_ = Compression::none;
  bool plain_started_ = false;
  bool pending_output_ = false;
  z_stream z_{};
  bool gzip_ready_ = false;
  bool member_done_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
  ZSTD_inBuffer zin_{};
  std::size_t frame_left_ = 0;
};

struct Feed {
  Decompressor& source;
  const ReadOptions& options;
  util::Sha256Writer hash;
  std::uint64_t total = 0;
  std::optional<util::Error> error;

  Result<util::Bytes> pull() {
    auto chunk = source.next();
    if (!chunk) return chunk;
    total += chunk->size();
    if (total > options.max_total_size)
      return fail(ErrorKind::integrity, "archive is larger than the limit of " + std::to_string(options.max_total_size) +
                                            " bytes uncompressed");
    hash.update(*chunk);
    return chunk;
  }
};

la_ssize_t feed_read(struct archive* a, void* ctx, const void** buffer) {
  auto& feed = *static_cast<Feed*>(ctx);
  auto chunk = feed.pull();
  if (!chunk) {
    feed.error = chunk.error();
    archive_set_error(a, EIO, "%s", chunk.error().message.c_str());
    return -1;
  }
  *buffer = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Normalizes a member path, refusing absolute paths and ".." components.
Result<std::string> member_path(std::string_view raw) {
  if (raw.starts_with('/')) return fail(ErrorKind::integrity, "absolute path");
  if (raw.find('\0') != std::string_view::npos) return fail(ErrorKind::integrity, "NUL in path");
  std::string out;
  for (auto c : detail::components(raw)) {
    if (c == ".") continue;
    if (c == "..") return fail(ErrorKind::integrity, "path climbs out with `..`");
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

class MemberReader final : public util::Reader {
 public:
  MemberReader(struct archive* a, Feed& feed, std::string name) : a_(a), feed_(feed), name_(std::move(name)) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    la_ssize_t n = archive_read_data(a_, out.data(), out.size());
    if (n < 0) {
      if (feed_.error) return std::unexpected(feed_.error->context("member `" + name_ + "`"));
      return fail(ErrorKind::integrity, "member `" + name_ + "`: " + archive_error_string(a_));
    }
    return static_cast<std::size_t>(n);
  }

 private:
  struct archive* a_;
  Feed& feed_;
  std::string name_;
};

}  // namespace

Result<ReadResult> read_tar(util::Reader& in, const TarVisitor& visit, const ReadOptions& options) {
  Decompressor source(in);
  auto kind = source.detect();
  if (!kind) return std::unexpected(kind.error());
  Feed feed{source, options};

  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  if (!a) return fail(ErrorKind::internal, "libarchive: cannot allocate a reader");
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &feed, nullptr, feed_read, nullptr) != ARCHIVE_OK) {
    if (feed.error) return std::unexpected(*feed.error);
    return fail(ErrorKind::integrity, std::string("not a tar archive: ") + archive_error_string(a.get()));
  }

  std::string previous;
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      std::string where = previous.empty() ? "reading tar" : "reading tar after member `" + previous + "`";
      if (feed.error) return std::unexpected(feed.error->context(where));
      return fail(ErrorKind::integrity, where + ": " + archive_error_string(a.get()));
    }
    const char* raw = archive_entry_pathname(e);
    if (!raw) return fail(ErrorKind::integrity, "tar member after `" + previous + "` has an undecodable name");
    auto refuse = [&](const std::string& why) { return fail(ErrorKind::integrity, "tar member `" + std::string(raw) + "`: " + why); };
    auto path = member_path(raw);
    if (!path) return refuse(path.error().message);

    TarEntry entry;
    entry.path = *path;
    entry.mode = archive_entry_perm(e) & 07777;
    entry.mtime = archive_entry_mtime(e);
    entry.uid = archive_entry_uid(e);
    entry.gid = archive_entry_gid(e);
    if (const char* hl = archive_entry_hardlink(e)) {
      auto target = member_path(hl);
      if (!target || target->empty()) return refuse("hardlink target `" + std::string(hl) + "`: " +
                                                    (target ? "empty" : target.error().message));
      entry.type = TarType::hardlink;
      entry.link_target = *target;
    } else {
      switch (archive_entry_filetype(e)) {
        case AE_IFREG: entry.type = TarType::file; break;
        case AE_IFDIR: entry.type = TarType::directory; break;
        case AE_IFLNK:
          entry.type = TarType::symlink;
          entry.link_target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
          if (entry.link_target.empty()) return refuse("symlink without a target");
          break;
        case AE_IFCHR: entry.type = TarType::char_device; break;
        case AE_IFBLK: entry.type = TarType::block_device; break;
        case AE_IFIFO: entry.type = TarType::fifo; break;
        default: return refuse("unsupported member type");
      }
      if (entry.type == TarType::char_device || entry.type == TarType::block_device) {
        entry.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(e));
        entry.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(e));
      }
    }
    if (entry.path.empty() && entry.type != TarType::directory) return refuse("empty path");
    if (entry.type == TarType::file) {
      la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
      if (size < 0) return refuse("negative size");
      entry.size = static_cast<std::uint64_t>(size);
      if (entry.size > options.max_member_size)
        return refuse(std::to_string(entry.size) + " bytes is over the limit of " +
                      std::to_string(options.max_member_size));
    }
    MemberReader content(a.get(), feed, entry.path);
    util::StringReader nothing("");
    if (auto r = visit(entry, entry.type == TarType::file ? static_cast<util::Reader&>(content) : nothing); !r)
      return std::unexpected(r.error());
    previous = raw;
  }

  // The diff_id covers the whole stream, including what follows the end-of-archive blocks.
  for (;;) {
    auto chunk = feed.pull();
    if (!chunk) return std::unexpected(chunk.error().context("reading tar"));
    if (chunk->empty()) break;
  }
  return ReadResult{*kind, feed.hash.finish(), feed.total};
}

}  // namespace mlpack::archive
