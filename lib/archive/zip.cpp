#include "archive/zip.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::archive {

using util::ErrorKind;
using util::fail;

namespace {

constexpr std::uint32_t eocd_signature = 0x06054b50;
constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
constexpr std::uint32_t zip64_eocd_signature = 0x06064b50;
constexpr std::uint32_t central_signature = 0x02014b50;
constexpr std::uint32_t local_signature = 0x04034b50;
constexpr std::size_t eocd_size = 22;
constexpr std::size_t zip64_locator_size = 20;
constexpr std::size_t zip64_eocd_size = 56;
constexpr std::size_t central_size = 46;
constexpr std::size_t local_size = 30;
// The end record with the longest comment, and the zip64 locator before it.
constexpr std::size_t max_tail = eocd_size + 0xffff + zip64_locator_size;
// The first look at the tail: what pyindex's range source fetches in its first request, enough
// for the end record of nearly every zip (and often the whole central directory of a wheel).
constexpr std::size_t first_tail = 64 << 10;
// A central directory larger than this is refused: torch's, with ~15,000 members, is ~2 MiB.
constexpr std::uint64_t max_central_directory = 256ULL << 20;
// General purpose flags: 0 encrypted, 3 sizes and CRC in a data descriptor after the data,
// 6 strong encryption, 13 the local headers' values masked (central directory encryption).
constexpr std::uint64_t flag_encrypted = 1 << 0;
constexpr std::uint64_t flag_descriptor = 1 << 3;
constexpr std::uint64_t flag_strong_encryption = 1 << 6;
constexpr std::uint64_t flag_masked_headers = 1 << 13;
constexpr std::uint16_t method_stored = 0;
constexpr std::uint16_t method_deflate = 8;
// Deflate's best case is a 258-byte match in two bits: no stream expands more than 1032 times.
constexpr std::uint64_t max_deflate_ratio = 1032;
// Streamed members are read from the source in pieces of this size.
constexpr std::size_t stream_chunk = 256 << 10;

// Little-endian fields out of a byte string, bounds-checked by the callers.
std::uint64_t le(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

std::span<std::byte> writable(char* p, std::size_t n) { return {reinterpret_cast<std::byte*>(p), n}; }

Result<std::string> read_exact(RandomAccess& src, std::uint64_t offset, std::size_t n) {
  std::string buf(n, '\0');
  TRY(src.read_at(offset, writable(buf.data(), n)));
  return buf;
}

// The most compressed bytes a deflate encoder needs for `size` bytes: stored blocks cost 5 bytes
// per 64 KiB (zlib's deflateBound is below this). A one-shot read that would take more is refused
// before its input is allocated.
std::uint64_t deflate_bound(std::uint64_t size) { return size + size / 1024 + 1024; }

// ---- sources -------------------------------------------------------------------------------

class FileAccess final : public RandomAccess {
 public:
  FileAccess(int fd, fs::path path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~FileAccess() override { ::close(fd_); }
  FileAccess(const FileAccess&) = delete;
  FileAccess& operator=(const FileAccess&) = delete;

  Result<std::uint64_t> size() override { return size_; }
  Result<void> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t r = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return std::unexpected(util::errno_error("read", path_, errno));
      }
      if (r == 0) return fail(ErrorKind::integrity, "the zip file is truncated");
      done += static_cast<std::size_t>(r);
    }
    return {};
  }

 private:
  int fd_;
  fs::path path_;
  std::uint64_t size_;
};

class MemoryAccess final : public RandomAccess {
 public:
  explicit MemoryAccess(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<std::uint64_t> size() override { return bytes_.size(); }
  Result<void> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset)
      return fail(ErrorKind::integrity, "the zip file is truncated");
    std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return {};
  }

 private:
  std::string bytes_;
};

// ---- the central directory -----------------------------------------------------------------

struct Directory {
  std::uint64_t entries = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
};

// The end record in a window of the file's tail: the last one whose comment runs exactly to the
// end of the file.
std::optional<std::size_t> find_end_record(std::string_view t) {
  if (t.size() < eocd_size) return std::nullopt;
  for (std::size_t i = t.size() - eocd_size + 1; i-- > 0;)
    if (le(t, i, 4) == eocd_signature && i + eocd_size + le(t, i + 20, 2) == t.size()) return i;
  return std::nullopt;
}

// Finds the end-of-central-directory record (and its zip64 twin) in the file's tail.
Result<Directory> find_directory(RandomAccess& src, std::uint64_t file_size) {
  auto not_zip = [] { return fail(ErrorKind::integrity, "not a zip file (no end of central directory record)"); };
  if (file_size < eocd_size) return not_zip();
  std::size_t tail_len = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, first_tail));
  std::uint64_t tail_at = file_size - tail_len;
  std::string t = TRY(read_exact(src, tail_at, tail_len));
  auto at = find_end_record(t);
  // Not in the first window, or too near its start to see a zip64 locator: look at all a comment
  // allows.
  if ((!at || *at < zip64_locator_size) && tail_at > 0 && tail_len < max_tail) {
    tail_len = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, max_tail));
    tail_at = file_size - tail_len;
    t = TRY(read_exact(src, tail_at, tail_len));
    at = find_end_record(t);
  }
  if (!at) return not_zip();
  std::size_t e = *at;
  if (le(t, e + 4, 2) != 0 || le(t, e + 6, 2) != 0)
    return fail(ErrorKind::unsupported, "multi-disk zip files are not supported");
  Directory d{le(t, e + 10, 2), le(t, e + 12, 4), le(t, e + 16, 4)};
  std::uint64_t directory_end = tail_at + e;  // where the directory must end
  bool zip64 = d.entries == 0xffff || d.size == 0xffffffff || d.offset == 0xffffffff;
  if (e >= zip64_locator_size && le(t, e - zip64_locator_size, 4) == zip64_locator_signature) {
    std::uint64_t z = le(t, e - zip64_locator_size + 8, 8);
    if (z > tail_at + e - zip64_locator_size || tail_at + e - zip64_locator_size - z < zip64_eocd_size)
      return fail(ErrorKind::integrity, "the zip64 end of central directory record lies outside the file");
    auto rec = TRY(read_exact(src, z, zip64_eocd_size));
    if (le(rec, 0, 4) != zip64_eocd_signature)
      return fail(ErrorKind::integrity, "the zip64 end of central directory record is missing");
    if (le(rec, 16, 4) != 0 || le(rec, 20, 4) != 0)
      return fail(ErrorKind::unsupported, "multi-disk zip files are not supported");
    d = {le(rec, 32, 8), le(rec, 40, 8), le(rec, 48, 8)};
    directory_end = z;
  } else if (zip64) {
    return fail(ErrorKind::integrity, "the zip64 end of central directory locator is missing");
  }
  // Wheels never carry a prefix (self-extracting stubs), so the directory must end exactly where
  // its end record starts; anything else is a zip that readers would interpret differently.
  if (d.size > max_central_directory || d.offset > directory_end || directory_end - d.offset != d.size)
    return fail(ErrorKind::integrity, "the central directory's size and offset do not match the file");
  // Every entry takes at least central_size bytes: a count beyond that is a lie, refused before
  // anything is reserved for it.
  if (d.entries > d.size / central_size)
    return fail(ErrorKind::integrity, "the central directory claims more entries than it can hold");
  return d;
}

Result<std::vector<ZipMember>> parse_directory(std::string_view cd, std::uint64_t entries) {
  std::vector<ZipMember> out;
  out.reserve(static_cast<std::size_t>(entries));
  std::size_t at = 0;
  auto bad = [&](std::string why) {
    return fail(ErrorKind::integrity, "central directory entry " + std::to_string(out.size() + 1) + ": " + why);
  };
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (cd.size() - at < central_size || le(cd, at, 4) != central_signature) return bad("truncated or malformed");
    std::uint64_t made_by = le(cd, at + 4, 2);
    std::uint64_t flags = le(cd, at + 8, 2);
    std::uint64_t method = le(cd, at + 10, 2);
    std::uint64_t crc = le(cd, at + 16, 4);
    std::uint64_t compressed = le(cd, at + 20, 4);
    std::uint64_t size = le(cd, at + 24, 4);
    std::size_t name_len = le(cd, at + 28, 2), extra_len = le(cd, at + 30, 2), comment_len = le(cd, at + 32, 2);
    std::uint64_t disk = le(cd, at + 34, 2);
    std::uint64_t external = le(cd, at + 38, 4);
    std::uint64_t offset = le(cd, at + 42, 4);
    if (cd.size() - at - central_size < name_len + extra_len + comment_len) return bad("truncated");
    std::size_t end = at + central_size + name_len + extra_len + comment_len;
    ZipMember m;
    m.name = std::string(cd.substr(at + central_size, name_len));
    std::string_view extra = cd.substr(at + central_size + name_len, extra_len);
    if (flags & (flag_encrypted | flag_strong_encryption | flag_masked_headers))
      return bad("`" + m.name + "` is encrypted");
    // The zip64 extra field holds, in this order, only the values whose 32-bit fields overflowed.
    for (std::size_t x = 0; x + 4 <= extra.size();) {
      std::size_t id = le(extra, x, 2), len = le(extra, x + 2, 2);
      if (x + 4 + len > extra.size()) return bad("`" + m.name + "`: malformed extra field");
      if (id == 0x0001) {
        std::size_t f = x + 4, f_end = x + 4 + len;
        for (std::uint64_t* v : {&size, &compressed, &offset}) {
          if (*v != 0xffffffff) continue;
          if (f + 8 > f_end) return bad("`" + m.name + "`: short zip64 extra field");
          *v = le(extra, f, 8);
          f += 8;
        }
        if (disk == 0xffff && f + 4 <= f_end) disk = le(extra, f, 4);
      }
      x += 4 + len;
    }
    if (disk != 0) return bad("`" + m.name + "` lies on another disk");
    if (method != method_stored && method != method_deflate)
      return fail(ErrorKind::unsupported, "central directory entry " + std::to_string(out.size() + 1) + ": `" +
                                              m.name + "` uses compression method " + std::to_string(method) +
                                              "; only stored (0) and deflate (8) are supported");
    if (method == method_stored && compressed != size)
      return bad("`" + m.name + "` is stored, but its compressed and uncompressed sizes differ");
    if (method == method_deflate && size / max_deflate_ratio > compressed)
      return bad("`" + m.name + "` claims " + std::to_string(size) + " bytes from " + std::to_string(compressed) +
                 " compressed, more than deflate can expand to");
    m.size = size;
    m.compressed_size = compressed;
    m.offset = offset;
    m.crc32 = static_cast<std::uint32_t>(crc);
    m.method = static_cast<std::uint16_t>(method);
    if ((made_by >> 8) == 3) m.unix_mode = static_cast<std::uint32_t>(external >> 16);
    out.push_back(std::move(m));
    at = end;
  }
  if (at != cd.size()) return fail(ErrorKind::integrity, "the central directory has trailing bytes");
  return out;
}

// Every member's local header, name and data must fit before the next member's local header
// (in offset order) and the last before the central directory: no overlaps, nothing outside.
Result<void> place_members(std::vector<ZipMember>& members, std::uint64_t directory_offset) {
  std::vector<std::size_t> order(members.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return members[a].offset < members[b].offset; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto& m = members[order[k]];
    m.limit = k + 1 < order.size() ? members[order[k + 1]].offset : directory_offset;
    std::uint64_t room = m.limit >= m.offset ? m.limit - m.offset : 0;
    std::uint64_t least = local_size + m.name.size();
    if (m.offset >= directory_offset || room < least || room - least < m.compressed_size)
      return fail(ErrorKind::integrity, "`" + m.name + "`: its data does not fit between offset " +
                                            std::to_string(m.offset) + " and " + std::to_string(m.limit) +
                                            " (members overlap or lie outside the file)");
  }
  return {};
}

Result<std::vector<ZipMember>> read_directory(RandomAccess& src) {
  auto file_size = TRY(src.size());
  auto dir = TRY(find_directory(src, file_size));
  auto cd = TRY(read_exact(src, dir.offset, static_cast<std::size_t>(dir.size)));
  auto members = TRY(parse_directory(cd, dir.entries));
  TRY(place_members(members, dir.offset));
  return members;
}

// ---- members -------------------------------------------------------------------------------

// Checks the local header at the member's offset against the directory; returns where the
// member's data starts.
Result<std::uint64_t> data_offset(RandomAccess& src, const ZipMember& m) {
  auto h = TRY(read_exact(src, m.offset, local_size));
  if (le(h, 0, 4) != local_signature) return fail(ErrorKind::integrity, "no local header at the member's offset");
  std::uint64_t flags = le(h, 6, 2), method = le(h, 8, 2), crc = le(h, 14, 4);
  std::uint64_t compressed = le(h, 18, 4), size = le(h, 22, 4);
  std::uint64_t name_len = le(h, 26, 2), extra_len = le(h, 28, 2);
  if (flags & (flag_encrypted | flag_strong_encryption | flag_masked_headers))
    return fail(ErrorKind::integrity, "the local header marks the member encrypted");
  if (m.limit < m.offset || m.limit - m.offset < local_size + name_len + extra_len)
    return fail(ErrorKind::integrity, "the local header runs past the next member (members overlap)");
  auto name = TRY(read_exact(src, m.offset + local_size, static_cast<std::size_t>(name_len)));
  if (name != m.name)
    return fail(ErrorKind::integrity, "the local header names `" + name + "`, the central directory `" + m.name + "`");
  if (method != m.method)
    return fail(ErrorKind::integrity, "the local header says compression method " + std::to_string(method) +
                                          ", the central directory " + std::to_string(m.method));
  // Without a data descriptor the local header carries the real CRC-32 and sizes (0xffffffff:
  // in its zip64 extra field); they must be the directory's.
  if (!(flags & flag_descriptor) &&
      (crc != m.crc32 || (compressed != 0xffffffff && compressed != m.compressed_size) ||
       (size != 0xffffffff && size != m.size)))
    return fail(ErrorKind::integrity, "the local header's CRC-32 or sizes differ from the central directory's");
  std::uint64_t start = m.offset + local_size + name_len + extra_len;
  if (start > m.limit || m.limit - start < m.compressed_size)
    return fail(ErrorKind::integrity, "the member's data runs past the next member (members overlap)");
  return start;
}

std::unexpected<util::Error> crc_error() {
  return fail(ErrorKind::integrity, "corrupt zip member: its CRC-32 does not match the central directory");
}

std::unexpected<util::Error> size_error(const ZipMember& m, bool longer) {
  return fail(ErrorKind::integrity, "the content is " + std::string(longer ? "longer" : "shorter") +
                                        " than the central directory's " + std::to_string(m.size) + " bytes");
}

struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// The whole member, inflated in one shot (the member is at most zip_one_shot_limit bytes).
Result<std::string> read_whole(RandomAccess& src, const ZipMember& m, Crc crc) {
  if (m.size > zip_one_shot_limit) return fail(ErrorKind::internal, "`" + m.name + "` is too large to be read whole");
  if (m.method == method_deflate && m.compressed_size > deflate_bound(m.size))
    return fail(ErrorKind::integrity, "`" + m.name + "` claims " + std::to_string(m.compressed_size) +
                                          " compressed bytes for " + std::to_string(m.size) +
                                          ", more than deflate ever needs");
  // Header, name, extra field and data in one piece where a read is a request; bounded by the
  // member's room in the file and by the sizes just checked.
  TRY(src.will_read(m.offset, std::min(m.limit - m.offset, local_size + m.name.size() + 0xffff + m.compressed_size)));
  auto start = TRY(data_offset(src, m));
  std::string out;
  if (m.method == method_stored) {
    out = TRY(read_exact(src, start, static_cast<std::size_t>(m.size)));
  } else {
    auto in = TRY(read_exact(src, start, static_cast<std::size_t>(m.compressed_size)));
    std::unique_ptr<libdeflate_decompressor, DecompressorFree> d(libdeflate_alloc_decompressor());
    if (!d) return fail(ErrorKind::internal, "libdeflate: out of memory");
    std::size_t used = 0;
    libdeflate_result rc = LIBDEFLATE_SUCCESS;
    auto want = static_cast<std::size_t>(m.size);
    // Not zero-filled first. The second argument is ignored: libstdc++ 12 passes the capacity.
    out.resize_and_overwrite(want, [&](char* p, std::size_t) {
      // A null actual_out means the output must be exactly `want` bytes: longer is
      // INSUFFICIENT_SPACE, shorter SHORT_OUTPUT.
      rc = libdeflate_deflate_decompress_ex(d.get(), in.data(), in.size(), p, want, &used, nullptr);
      return want;
    });
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) return size_error(m, true);
    if (rc == LIBDEFLATE_SHORT_OUTPUT) return size_error(m, false);
    if (rc != LIBDEFLATE_SUCCESS) return fail(ErrorKind::integrity, "corrupt zip member: invalid deflate data");
    if (used != in.size())
      return fail(ErrorKind::integrity, "corrupt zip member: the deflate stream ends before its compressed size");
  }
  if (crc == Crc::check && libdeflate_crc32(0, out.data(), out.size()) != m.crc32) return crc_error();
  return out;
}

struct InflateEnd {
  void operator()(z_stream* z) const {
    inflateEnd(z);
    delete z;
  }
};

// A member's content as a stream: one-shot members are inflated (and checked) whole on the first
// read, larger ones stream through zlib and are checked when they end.
class MemberReader final : public util::Reader {
 public:
  MemberReader(std::shared_ptr<RandomAccess> src, ZipMember member, std::optional<util::Digest> expected)
      : src_(std::move(src)), m_(std::move(member)), expected_(std::move(expected)) {}

  Result<void> start() {
    if (m_.size <= zip_one_shot_limit) return {};  // read_whole checks the header itself
    pos_ = TRY(data_offset(*src_, m_));
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (failed_) return fail(ErrorKind::internal, "read after an error");
    auto r = m_.size <= zip_one_shot_limit ? read_one_shot(out) : read_streaming(out);
    if (!r) failed_ = true;
    return r;
  }

 private:
  Result<std::size_t> read_one_shot(std::span<std::byte> out) {
    if (!whole_) {
      auto w = TRY(read_whole(*src_, m_, expected_ ? Crc::skip : Crc::check));
      if (expected_) {
        auto actual = util::Digest::sha256_of(w);
        if (actual != *expected_) return digest_error(actual);
      }
      whole_ = std::move(w);
    }
    std::size_t n = std::min(out.size(), whole_->size() - served_);
    std::memcpy(out.data(), whole_->data() + served_, n);
    served_ += n;
    return n;
  }

  Result<std::size_t> read_streaming(std::span<std::byte> out) {
    if (done_ || out.empty()) return 0;
    if (!hasher_) hasher_.emplace();
    std::size_t n = 0;
    if (m_.method == method_stored) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), m_.size - count_));
      if (n > 0) {
        TRY(src_->read_at(pos_ + consumed_, out.first(n)));
        consumed_ += n;
      }
      if (count_ + n == m_.size) stream_end_ = true;
    } else {
      TRY(inflate_some(out, n));
    }
    count_ += n;
    if (n > 0) {
      if (expected_) hasher_->update({out.data(), n});
      else crc_ = static_cast<std::uint32_t>(libdeflate_crc32(crc_, out.data(), n));
      return n;
    }
    // n == 0 only at the end of the deflate stream (or of a stored member).
    done_ = true;
    if (count_ != m_.size) return size_error(m_, count_ > m_.size);
    if (consumed_ != m_.compressed_size)
      return fail(ErrorKind::integrity, "corrupt zip member: the deflate stream ends before its compressed size");
    if (expected_) {
      auto actual = hasher_->finish();
      if (actual != *expected_) return digest_error(actual);
    } else if (crc_ != m_.crc32) {
      return crc_error();
    }
    return 0;
  }

  std::unexpected<util::Error> digest_error(const util::Digest& actual) const {
    return fail(ErrorKind::integrity,
                "the content's sha256 is " + actual.short_str() + "…, not the expected " + expected_->short_str() + "…");
  }

  // Inflates into `out` until it holds something or the stream ends; never past the declared size.
  Result<void> inflate_some(std::span<std::byte> out, std::size_t& produced) {
    if (!z_) {
      z_.reset(new z_stream{});
      if (inflateInit2(z_.get(), -MAX_WBITS) != Z_OK) {
        delete z_.release();
        return fail(ErrorKind::internal, "zlib: cannot set up inflate");
      }
      in_.resize(stream_chunk);
    }
    // One byte more room than the declared size allows, so a stream that goes on is caught.
    std::uint64_t room = m_.size - std::min(count_, m_.size) + 1;
    z_->next_out = reinterpret_cast<Bytef*>(out.data());
    z_->avail_out = static_cast<uInt>(std::min<std::uint64_t>({out.size(), room, 1u << 30}));
    while (z_->avail_out > 0 && !stream_end_) {
      if (z_->avail_in == 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), m_.compressed_size - consumed_));
        if (n == 0) return fail(ErrorKind::integrity, "corrupt zip member: the deflate stream is truncated");
        TRY(src_->read_at(pos_ + consumed_, writable(in_.data(), n)));
        consumed_ += n;
        z_->next_in = reinterpret_cast<Bytef*>(in_.data());
        z_->avail_in = static_cast<uInt>(n);
      }
      int rc = inflate(z_.get(), Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
        consumed_ -= z_->avail_in;  // what follows the stream was not part of it
      } else if (rc != Z_OK) {
        return fail(ErrorKind::integrity, std::string("corrupt zip member: ") + (z_->msg ? z_->msg : "invalid deflate data"));
      }
      if (reinterpret_cast<std::byte*>(z_->next_out) != out.data()) break;  // something to return
    }
    produced = static_cast<std::size_t>(reinterpret_cast<std::byte*>(z_->next_out) - out.data());
    if (count_ + produced > m_.size) return size_error(m_, true);
    return {};
  }

  std::shared_ptr<RandomAccess> src_;
  ZipMember m_;
  std::optional<util::Digest> expected_;
  std::uint64_t pos_ = 0;  // where the data starts
  bool failed_ = false;
  // One-shot members.
  std::optional<std::string> whole_;
  std::size_t served_ = 0;
  // Streamed members.
  std::unique_ptr<z_stream, InflateEnd> z_;
  std::string in_;
  std::uint64_t consumed_ = 0;  // compressed bytes taken
  std::uint64_t count_ = 0;     // content bytes returned
  std::uint32_t crc_ = 0;
  std::optional<util::Sha256Writer> hasher_;
  bool stream_end_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::shared_ptr<RandomAccess>> open_file_access(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(util::errno_error("open", path, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(util::errno_error("stat", path, err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(ErrorKind::invalid_input, "`" + path.string() + "` is not a regular file");
  }
  return std::make_shared<FileAccess>(fd, path, static_cast<std::uint64_t>(st.st_size));
}

std::shared_ptr<RandomAccess> memory_access(std::string bytes) {
  return std::make_shared<MemoryAccess>(std::move(bytes));
}

namespace {
std::string with_hint(std::string message, const UnpackLimits& limits) {
  return limits.raise_hint.empty() ? message : message + "; " + limits.raise_hint;
}
}  // namespace

Result<ZipReader> ZipReader::open(std::shared_ptr<RandomAccess> source, const UnpackLimits& limits) {
  auto members = TRY(read_directory(*source));
  std::uint64_t total = 0;
  for (const auto& m : members) {
    if (m.size > limits.ratio_floor && m.size / limits.max_ratio > std::max<std::uint64_t>(m.compressed_size, 1))
      return fail(ErrorKind::integrity,
                  with_hint("member `" + m.name + "` would unpack to " + std::to_string(m.size) + " bytes from " +
                                std::to_string(m.compressed_size) + ", more than " + std::to_string(limits.max_ratio) +
                                " times its compressed size (mlpack's limit against decompression bombs)",
                            limits));
    total += m.size;  // each below 2^64 and at most 2^32 members: no overflow before the check bites
    if (total > limits.max_total)
      return fail(ErrorKind::integrity, with_hint("its members would unpack to more than " +
                                                      util::human_bytes(limits.max_total) +
                                                      " (mlpack's limit against decompression bombs)",
                                                  limits));
  }
  return ZipReader(std::move(source), std::move(members));
}

Result<ZipReader> ZipReader::open(const fs::path& zip, const UnpackLimits& limits) {
  return open(TRY(open_file_access(zip)), limits);
}

Result<std::string> ZipReader::read(const ZipMember& member, Crc crc) const {
  return read_whole(*source_, member, crc);
}

Result<std::unique_ptr<util::Reader>> ZipReader::open_member(const ZipMember& member,
                                                             std::optional<util::Digest> expected) const {
  auto r = std::make_unique<MemberReader>(source_, member, std::move(expected));
  TRY(r->start());
  return r;
}

Result<std::unique_ptr<util::Reader>> open_zip_member(const fs::path& zip, const ZipMember& member,
                                                      std::optional<util::Digest> expected) {
  auto r = std::make_unique<MemberReader>(TRY(open_file_access(zip)), member, std::move(expected));
  TRY(r->start());
  return r;
}

}  // namespace mlpack::archive
