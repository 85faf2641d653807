#include "wheel/zip.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "util/fs.hpp"

namespace mlpack::wheel::detail {

using util::ErrorKind;
using util::fail;

namespace {

// Closes a file descriptor shared by a ZipFile and the readers it opened.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
};

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
// Streamed members are read from the file in pieces of this size.
constexpr std::size_t stream_chunk = 256 << 10;

// Little-endian fields out of a byte string, bounds-checked by the callers.
std::uint64_t le(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

Result<void> pread_into(int fd, const fs::path& path, std::uint64_t offset, char* out, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(util::errno_error("read", path, errno));
    }
    if (r == 0) return fail(ErrorKind::integrity, "the zip file is truncated");
    done += static_cast<std::size_t>(r);
  }
  return {};
}

Result<std::string> pread_exact(int fd, const fs::path& path, std::uint64_t offset, std::size_t n) {
  std::string buf(n, '\0');
  if (auto r = pread_into(fd, path, offset, buf.data(), n); !r) return std::unexpected(r.error());
  return buf;
}

struct Directory {
  std::uint64_t entries = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
};

// Finds the end-of-central-directory record (and its zip64 twin) in the file's tail.
Result<Directory> find_directory(int fd, const fs::path& path, std::uint64_t file_size) {
  auto not_zip = [] { return fail(ErrorKind::integrity, "not a zip file (no end of central directory record)"); };
  if (file_size < eocd_size) return not_zip();
  std::size_t tail_len = static_cast<std::size_t>(
      std::min<std::uint64_t>(file_size, eocd_size + 0xffff + zip64_locator_size));
  std::uint64_t tail_at = file_size - tail_len;
  auto tail = pread_exact(fd, path, tail_at, tail_len);
  if (!tail) return std::unexpected(tail.error());
  const std::string& t = *tail;
  // The last record whose comment runs exactly to the end of the file.
  std::optional<std::size_t> at;
  for (std::size_t i = tail_len - eocd_size + 1; i-- > 0;) {
    if (le(t, i, 4) == eocd_signature && i + eocd_size + le(t, i + 20, 2) == tail_len) {
      at = i;
      break;
    }
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
    auto rec = pread_exact(fd, path, z, zip64_eocd_size);
    if (!rec) return std::unexpected(rec.error());
    if (le(*rec, 0, 4) != zip64_eocd_signature)
      return fail(ErrorKind::integrity, "the zip64 end of central directory record is missing");
    if (le(*rec, 16, 4) != 0 || le(*rec, 20, 4) != 0)
      return fail(ErrorKind::unsupported, "multi-disk zip files are not supported");
    d = {le(*rec, 32, 8), le(*rec, 40, 8), le(*rec, 48, 8)};
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

// Checks the local header at the member's offset against the directory; returns where the
// member's data starts.
Result<std::uint64_t> data_offset(int fd, const fs::path& path, const ZipMember& m) {
  char fixed[local_size];
  if (auto r = pread_into(fd, path, m.offset, fixed, local_size); !r) return std::unexpected(r.error());
  std::string_view h(fixed, local_size);
  if (le(h, 0, 4) != local_signature) return fail(ErrorKind::integrity, "no local header at the member's offset");
  std::uint64_t flags = le(h, 6, 2), method = le(h, 8, 2), crc = le(h, 14, 4);
  std::uint64_t compressed = le(h, 18, 4), size = le(h, 22, 4);
  std::uint64_t name_len = le(h, 26, 2), extra_len = le(h, 28, 2);
  if (flags & (flag_encrypted | flag_strong_encryption | flag_masked_headers))
    return fail(ErrorKind::integrity, "the local header marks the member encrypted");
  if (m.limit < m.offset || m.limit - m.offset < local_size + name_len + extra_len)
    return fail(ErrorKind::integrity, "the local header runs past the next member (members overlap)");
  auto name = pread_exact(fd, path, m.offset + local_size, static_cast<std::size_t>(name_len));
  if (!name) return std::unexpected(name.error());
  if (*name != m.name)
    return fail(ErrorKind::integrity, "the local header names `" + *name + "`, the central directory `" + m.name + "`");
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

// The whole member, inflated in one shot (the member is at most one_shot_limit bytes).
Result<std::string> read_whole(int fd, const fs::path& path, const ZipMember& m, Crc crc) {
  if (m.size > one_shot_limit)
    return fail(ErrorKind::internal, "`" + m.name + "` is too large to be read whole");
  auto start = data_offset(fd, path, m);
  if (!start) return std::unexpected(start.error());
  std::string out;
  if (m.method == method_stored) {
    auto data = pread_exact(fd, path, *start, static_cast<std::size_t>(m.size));
    if (!data) return std::unexpected(data.error());
    out = std::move(*data);
  } else {
    // compressed_size <= limit - start was checked against the file, and size <= 1032 x that.
    auto in = pread_exact(fd, path, *start, static_cast<std::size_t>(m.compressed_size));
    if (!in) return std::unexpected(in.error());
    std::unique_ptr<libdeflate_decompressor, DecompressorFree> d(libdeflate_alloc_decompressor());
    if (!d) return fail(ErrorKind::internal, "libdeflate: out of memory");
    std::size_t used = 0;
    libdeflate_result rc = LIBDEFLATE_SUCCESS;
    auto want = static_cast<std::size_t>(m.size);
    // Not zero-filled first. The second argument is ignored: libstdc++ 12 passes the capacity.
    out.resize_and_overwrite(want, [&](char* p, std::size_t) {
      // A null actual_out means the output must be exactly `want` bytes: longer is
      // INSUFFICIENT_SPACE, shorter SHORT_OUTPUT.
      rc = libdeflate_deflate_decompress_ex(d.get(), in->data(), in->size(), p, want, &used, nullptr);
      return want;
    });
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) return size_error(m, true);
    if (rc == LIBDEFLATE_SHORT_OUTPUT) return size_error(m, false);
    if (rc != LIBDEFLATE_SUCCESS) return fail(ErrorKind::integrity, "corrupt zip member: invalid deflate data");
    if (used != in->size())
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
  MemberReader(fs::path path, std::shared_ptr<const void> keep, int fd, ZipMember member,
               std::optional<util::Digest> expected)
      : path_(std::move(path)), keep_(std::move(keep)), fd_(fd), m_(std::move(member)), expected_(std::move(expected)) {}

  Result<void> start() {
    auto s = data_offset(fd_, path_, m_);
    if (!s) return std::unexpected(s.error());
    pos_ = *s;
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (failed_) return fail(ErrorKind::internal, "read after an error");
    auto r = m_.size <= one_shot_limit ? read_one_shot(out) : read_streaming(out);
    if (!r) failed_ = true;
    return r;
  }

 private:
  Result<std::size_t> read_one_shot(std::span<std::byte> out) {
    if (!whole_) {
      auto w = read_whole(fd_, path_, m_, expected_ ? Crc::skip : Crc::check);
      if (!w) return std::unexpected(w.error());
      if (expected_) {
        auto actual = util::Digest::sha256_of(*w);
        if (actual != *expected_) return digest_error(actual);
      }
      whole_ = std::move(*w);
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
        if (auto r = pread_into(fd_, path_, pos_ + consumed_, reinterpret_cast<char*>(out.data()), n); !r)
          return std::unexpected(r.error());
        consumed_ += n;
      }
      if (count_ + n == m_.size) stream_end_ = true;
    } else {
      if (auto r = inflate_some(out, n); !r) return std::unexpected(r.error());
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
        if (auto r = pread_into(fd_, path_, pos_ + consumed_, in_.data(), n); !r) return r;
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

  fs::path path_;
  std::shared_ptr<const void> keep_;  // owns fd_
  int fd_;
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

Result<int> open_file(const fs::path& zip, std::uint64_t* size) {
  int fd = ::open(zip.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(util::errno_error("open", zip, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(util::errno_error("stat", zip, err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(ErrorKind::invalid_input, "`" + zip.string() + "` is not a regular file");
  }
  if (size) *size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

Result<std::vector<ZipMember>> read_directory(int fd, const fs::path& zip, std::uint64_t file_size) {
  auto dir = find_directory(fd, zip, file_size);
  if (!dir) return std::unexpected(dir.error());
  auto cd = pread_exact(fd, zip, dir->offset, static_cast<std::size_t>(dir->size));
  if (!cd) return std::unexpected(cd.error());
  auto members = parse_directory(*cd, dir->entries);
  if (!members) return members;
  if (auto r = place_members(*members, dir->offset); !r) return std::unexpected(r.error());
  return members;
}

}  // namespace

Result<std::vector<ZipMember>> read_central_directory(const fs::path& zip) {
  auto f = ZipFile::open(zip);
  if (!f) return std::unexpected(f.error());
  return f->members();
}

Result<ZipFile> ZipFile::open(const fs::path& zip) {
  std::uint64_t size = 0;
  auto fd = open_file(zip, &size);
  if (!fd) return std::unexpected(fd.error());
  auto owned = std::make_shared<const OwnedFd>(*fd);
  auto members = read_directory(*fd, zip, size);
  if (!members) return std::unexpected(members.error());
  return ZipFile(zip, std::move(owned), *fd, std::move(*members));
}

Result<std::string> ZipFile::read(const ZipMember& member, Crc crc) const {
  return read_whole(fd_, path_, member, crc);
}

Result<std::unique_ptr<util::Reader>> ZipFile::open_member(const ZipMember& member,
                                                           std::optional<util::Digest> expected) const {
  auto r = std::make_unique<MemberReader>(path_, owner_, fd_, member, std::move(expected));
  if (auto s = r->start(); !s) return std::unexpected(s.error());
  return r;
}

Result<std::unique_ptr<util::Reader>> open_member(const fs::path& zip, const ZipMember& member,
                                                  std::optional<util::Digest> expected) {
  auto fd = open_file(zip, nullptr);
  if (!fd) return std::unexpected(fd.error());
  auto owned = std::make_shared<const OwnedFd>(*fd);
  auto r = std::make_unique<MemberReader>(zip, owned, *fd, member, std::move(expected));
  if (auto s = r->start(); !s) return std::unexpected(s.error());
  return r;
}

}  // namespace mlpack::wheel::detail
