#include "archive/decompress.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "archive/libarchive.hpp"
#include "util/expected.hpp"

namespace mlpack::archive {

using util::ErrorKind;
using util::fail;

namespace {

constexpr std::size_t in_chunk = 256 << 10;

// Replays the first bytes, read ahead to recognise the codec, then the rest of the input.
class Peeked final : public util::Reader {
 public:
  explicit Peeked(util::Reader& in) : in_(in) {}

  // Reads ahead until `n` bytes are held or the input ends.
  Result<void> peek(std::size_t n) {
    while (head_.size() < n && !eof_) {
      std::array<std::byte, 16> buf;
      auto got = TRY(in_.read(std::span(buf).first(std::min(buf.size(), n - head_.size()))));
      if (got == 0) eof_ = true;
      head_.insert(head_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got));
    }
    return {};
  }
  bool starts_with(std::initializer_list<unsigned> magic) const {
    if (head_.size() < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), head_.begin(),
                      [](unsigned m, std::byte b) { return m == std::to_integer<unsigned>(b); });
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (pos_ < head_.size()) {
      std::size_t n = std::min(out.size(), head_.size() - pos_);
      std::memcpy(out.data(), head_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    if (eof_) return 0;
    auto n = TRY(in_.read(out));
    if (n == 0 && !out.empty()) eof_ = true;
    consumed_ += n;
    return n;
  }

  // Compressed bytes taken from the input so far, the read-ahead included.
  std::uint64_t consumed() const { return consumed_ + head_.size(); }

  // Reads what is left, so a verifying reader underneath sees every byte.
  Result<void> drain() {
    std::vector<std::byte> buf(64 << 10);
    while (TRY(read(buf)) > 0) {}
    return {};
  }

 private:
  util::Reader& in_;
  std::vector<std::byte> head_;
  std::size_t pos_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
};

// RFC 1952 members, one after another, optionally followed by zero padding (some writers pad
// to a block size); anything else after a member is refused.
class GzipReader final : public util::Reader {
 public:
  explicit GzipReader(std::unique_ptr<Peeked> in) : in_(std::move(in)) {}
  ~GzipReader() override {
    if (ready_) inflateEnd(&z_);
  }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  Result<void> start() {
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) return fail(ErrorKind::internal, "gzip: inflateInit2 failed");
    ready_ = true;
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (done_ || out.empty()) return 0;
    for (;;) {
      if (z_.avail_in == 0 && !pending_output_) {
        auto n = TRY(in_->read(buf_));
        if (n == 0) {
          if (!member_done_) return fail(ErrorKind::integrity, "truncated gzip stream");
          done_ = true;
          return 0;
        }
        z_.next_in = reinterpret_cast<Bytef*>(buf_.data());
        z_.avail_in = static_cast<uInt>(n);
      }
      if (member_done_ && z_.avail_in > 0) {
        if (*z_.next_in == 0) {
          TRY(expect_zeros());
          done_ = true;
          return 0;
        }
        member_done_ = false;  // another member follows
      }
      z_.next_out = reinterpret_cast<Bytef*>(out.data());
      z_.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size(), 1u << 30));
      uInt room = z_.avail_out;
      int rc = inflate(&z_, Z_NO_FLUSH);
      std::size_t produced = room - z_.avail_out;
      pending_output_ = z_.avail_out == 0;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        pending_output_ = false;
        inflateReset(&z_);
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && z_.avail_in == 0)) {
        return fail(ErrorKind::integrity,
                    std::string("corrupt gzip stream: ") + (z_.msg ? z_.msg : "inflate error " + std::to_string(rc)));
      }
      if (produced > 0) return produced;
    }
  }

 private:
  Result<void> expect_zeros() {
    for (;;) {
      for (; z_.avail_in > 0; --z_.avail_in, ++z_.next_in)
        if (*z_.next_in != 0) return fail(ErrorKind::integrity, "garbage after the end of the gzip stream");
      auto n = TRY(in_->read(buf_));
      if (n == 0) return {};
      z_.next_in = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_in = static_cast<uInt>(n);
    }
  }

  std::unique_ptr<Peeked> in_;
  std::vector<std::byte> buf_ = std::vector<std::byte>(in_chunk);
  z_stream z_{};
  bool ready_ = false;
  bool member_done_ = false;
  bool pending_output_ = false;
  bool done_ = false;
};

// One or more zstd frames. Its default window limit (128 MiB) bounds memory.
class ZstdReader final : public util::Reader {
 public:
  explicit ZstdReader(std::unique_ptr<Peeked> in) : in_(std::move(in)) {}
  ~ZstdReader() override { ZSTD_freeDCtx(z_); }
  ZstdReader(const ZstdReader&) = delete;
  ZstdReader& operator=(const ZstdReader&) = delete;

  Result<void> start() {
    z_ = ZSTD_createDCtx();
    if (!z_) return fail(ErrorKind::internal, "zstd: cannot create a decompressor");
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (done_ || out.empty()) return 0;
    for (;;) {
      if (zin_.pos == zin_.size && !pending_output_) {
        auto n = TRY(in_->read(buf_));
        if (n == 0) {
          if (frame_left_ != 0 || !started_) return fail(ErrorKind::integrity, "truncated zstd stream");
          done_ = true;
          return 0;
        }
        zin_ = {buf_.data(), n, 0};
      }
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      std::size_t taken = zin_.pos;
      std::size_t rc = ZSTD_decompressStream(z_, &o, &zin_);
      if (ZSTD_isError(rc)) return fail(ErrorKind::integrity, std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc));
      // After a frame ends, a call without input answers with the next frame's header size:
      // only a call that did something says where the stream stands.
      if (o.pos > 0 || zin_.pos != taken) {
        started_ = true;
        frame_left_ = rc;
      }
      pending_output_ = o.pos == o.size && rc != 0;
      if (o.pos > 0) return o.pos;
    }
  }

 private:
  std::unique_ptr<Peeked> in_;
  std::vector<std::byte> buf_ = std::vector<std::byte>(in_chunk);
  ZSTD_DCtx* z_ = nullptr;
  ZSTD_inBuffer zin_{};
  std::size_t frame_left_ = 0;
  bool started_ = false;
  bool pending_output_ = false;
  bool done_ = false;
};

// bzip2, xz and lzma: libarchive's "raw" format reads one compressed stream, with only the
// expected filter enabled.
class LibarchiveReader final : public util::Reader {
 public:
  LibarchiveReader(std::unique_ptr<Peeked> in, Codec codec) : in_(std::move(in)), codec_(codec), src_(*in_) {}

  Result<void> start() {
    a_ = TRY(la::new_reader());
    switch (codec_) {
      case Codec::bzip2: archive_read_support_filter_bzip2(a_.get()); break;
      case Codec::xz: archive_read_support_filter_xz(a_.get()); break;
      case Codec::lzma: archive_read_support_filter_lzma(a_.get()); break;
      default: return fail(ErrorKind::internal, "libarchive decompresses only bzip2, xz and lzma here");
    }
    archive_read_support_format_raw(a_.get());
    archive_read_support_format_empty(a_.get());  // content of no bytes (an empty Packages.xz)
    if (la::open_reader(a_.get(), src_) != ARCHIVE_OK) return failure();
    // The filter is chosen when the archive is opened: without it, this is not `codec_` data.
    if (archive_filter_count(a_.get()) < 2)
      return fail(ErrorKind::integrity, "not " + std::string(codec_name(codec_)) + " data");
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) {  // the empty format: a stream that decompresses to nothing
      done_ = true;
      return in_->drain();
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return failure();
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (done_ || out.empty()) return 0;
    la_ssize_t n = archive_read_data(a_.get(), out.data(), out.size());
    if (n < 0) return failure();
    if (n == 0) {
      done_ = true;
      TRY(in_->drain());  // libarchive may stop before the end of the input
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

 private:
  std::unexpected<util::Error> failure() {
    if (src_.error) return std::unexpected(*src_.error);
    return fail(ErrorKind::integrity, "corrupt " + std::string(codec_name(codec_)) + " data: " +
                                          la::error_message(a_.get(), "cannot decompress"));
  }

  std::unique_ptr<Peeked> in_;
  Codec codec_;
  la::ReaderSource src_;
  la::ReadArchive a_;
  bool done_ = false;
};

// Refuses content past the size limit, or inflating past the ratio limit from what `compressed`
// has taken of the input (the decompressor's read-ahead counts, which only errs in the data's
// favour).
class Limited final : public util::Reader {
 public:
  Limited(std::unique_ptr<util::Reader> inner, const Peeked* compressed, const DecompressOptions& options)
      : inner_(std::move(inner)), compressed_(compressed), options_(options) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = TRY(inner_->read(out));
    total_ += n;
    if (total_ > options_.max_size)
      return fail(ErrorKind::integrity, "the data decompresses to more than " + std::to_string(options_.max_size) + " bytes");
    if (options_.max_ratio > 0 && total_ > options_.ratio_floor &&
        total_ / options_.max_ratio > std::max<std::uint64_t>(compressed_->consumed(), 1))
      return fail(ErrorKind::integrity, "the data decompresses to more than " + std::to_string(options_.max_ratio) +
                                            " times its compressed size (" + std::to_string(total_) + " bytes from " +
                                            std::to_string(compressed_->consumed()) + ")");
    return n;
  }

 private:
  std::unique_ptr<util::Reader> inner_;
  const Peeked* compressed_;
  DecompressOptions options_;
  std::uint64_t total_ = 0;
};

bool has_magic(const Peeked& p, Codec c) {
  switch (c) {
    case Codec::gzip: return p.starts_with({0x1f, 0x8b});
    case Codec::bzip2: return p.starts_with({'B', 'Z', 'h'});
    case Codec::xz: return p.starts_with({0xfd, '7', 'z', 'X', 'Z', 0x00});
    case Codec::zstd: return p.starts_with({0x28, 0xb5, 0x2f, 0xfd});
    case Codec::lzma:  // no magic: libarchive's bidder decides
    case Codec::none: return true;
  }
  return false;
}

Result<std::unique_ptr<util::Reader>> open(std::unique_ptr<Peeked> in, Codec codec, const DecompressOptions& options) {
  const Peeked* compressed = in.get();  // owned by `out` from here on, which outlives its use
  std::unique_ptr<util::Reader> out;
  switch (codec) {
    case Codec::none: out = std::move(in); break;
    case Codec::gzip: {
      auto r = std::make_unique<GzipReader>(std::move(in));
      TRY(r->start());
      out = std::move(r);
      break;
    }
    case Codec::zstd: {
      auto r = std::make_unique<ZstdReader>(std::move(in));
      TRY(r->start());
      out = std::move(r);
      break;
    }
    case Codec::bzip2:
    case Codec::xz:
    case Codec::lzma: {
      auto r = std::make_unique<LibarchiveReader>(std::move(in), codec);
      TRY(r->start());
      out = std::move(r);
      break;
    }
  }
  if (options.max_size == std::numeric_limits<std::uint64_t>::max() && (options.max_ratio == 0 || codec == Codec::none))
    return out;
  DecompressOptions bounds = options;
  if (codec == Codec::none) bounds.max_ratio = 0;  // nothing to inflate
  return std::make_unique<Limited>(std::move(out), compressed, bounds);
}

}  // namespace

std::string_view codec_name(Codec c) {
  switch (c) {
    case Codec::none: return "plain";
    case Codec::gzip: return "gzip";
    case Codec::bzip2: return "bzip2";
    case Codec::xz: return "xz";
    case Codec::lzma: return "lzma";
    case Codec::zstd: return "zstd";
  }
  return "?";
}

Codec codec_of(std::string_view name) {
  if (name.ends_with(".gz")) return Codec::gzip;
  if (name.ends_with(".bz2")) return Codec::bzip2;
  if (name.ends_with(".xz")) return Codec::xz;
  if (name.ends_with(".lzma")) return Codec::lzma;
  if (name.ends_with(".zst")) return Codec::zstd;
  return Codec::none;
}

Result<std::unique_ptr<util::Reader>> decompress(util::Reader& in, Codec codec, const DecompressOptions& options) {
  auto p = std::make_unique<Peeked>(in);
  TRY(p->peek(6));
  if (codec != Codec::none && codec != Codec::lzma && !has_magic(*p, codec))
    return fail(ErrorKind::integrity, "not " + std::string(codec_name(codec)) + " data");
  return open(std::move(p), codec, options);
}

Result<Detected> decompress_detected(util::Reader& in, const DecompressOptions& options) {
  auto p = std::make_unique<Peeked>(in);
  TRY(p->peek(6));
  Codec codec = Codec::none;
  for (Codec c : {Codec::gzip, Codec::zstd, Codec::xz, Codec::bzip2})
    if (has_magic(*p, c)) {
      codec = c;
      break;
    }
  return Detected{codec, TRY(open(std::move(p), codec, options))};
}

}  // namespace mlpack::archive
