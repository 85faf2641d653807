#include "wheel/zip.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "util/fs.hpp"

namespace mlpack::wheel::detail {

namespace {

using util::ErrorKind;
using util::fail;

constexpr std::uint32_t eocd_signature = 0x06054b50;
constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
constexpr std::uint32_t zip64_eocd_signature = 0x06064b50;
constexpr std::uint32_t central_signature = 0x02014b50;
constexpr std::size_t eocd_size = 22;
constexpr std::size_t zip64_locator_size = 20;
constexpr std::size_t zip64_eocd_size = 56;
constexpr std::size_t central_size = 46;
// A central directory larger than this is refused: torch's, with ~15,000 members, is ~2 MiB.
constexpr std::uint64_t max_central_directory = 256ULL << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Little-endian fields out of a byte string, bounds-checked by the callers.
std::uint64_t le(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

Result<std::string> pread_exact(int fd, const fs::path& path, std::uint64_t offset, std::size_t n) {
  std::string buf(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(util::errno_error("read", path, errno));
    }
    if (r == 0) return fail(ErrorKind::integrity, "the zip file is truncated");
    done += static_cast<std::size_t>(r);
  }
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
    if (z + zip64_eocd_size > tail_at + e - zip64_locator_size)
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
  return d;
}

Result<std::vector<ZipMember>> parse_directory(std::string_view cd, std::uint64_t entries) {
  std::vector<ZipMember> out;
  std::size_t at = 0;
  auto bad = [&](std::string why) {
    return fail(ErrorKind::integrity, "central directory entry " + std::to_string(out.size() + 1) + ": " + why);
  };
  for (std::uint64_t i = 0; i < entries; ++i) {
    if (at + central_size > cd.size() || le(cd, at, 4) != central_signature) return bad("truncated or malformed");
    std::uint64_t made_by = le(cd, at + 4, 2);
    std::uint64_t flags = le(cd, at + 8, 2);
    std::uint64_t size = le(cd, at + 24, 4);
    std::uint64_t compressed = le(cd, at + 20, 4);
    std::size_t name_len = le(cd, at + 28, 2), extra_len = le(cd, at + 30, 2), comment_len = le(cd, at + 32, 2);
    std::uint64_t disk = le(cd, at + 34, 2);
    std::uint64_t external = le(cd, at + 38, 4);
    std::uint64_t offset = le(cd, at + 42, 4);
    std::size_t end = at + central_size + name_len + extra_len + comment_len;
    if (end > cd.size()) return bad("truncated");
    ZipMember m;
    m.name = std::string(cd.substr(at + central_size, name_len));
    std::string_view extra = cd.substr(at + central_size + name_len, extra_len);
    if (flags & 1) return bad("`" + m.name + "` is encrypted");
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
    m.size = size;
    m.offset = offset;
    if ((made_by >> 8) == 3) m.unix_mode = static_cast<std::uint32_t>(external >> 16);
    (void)compressed;
    out.push_back(std::move(m));
    at = end;
  }
  if (at != cd.size()) return fail(ErrorKind::integrity, "the central directory has trailing bytes");
  return out;
}

// Feeds libarchive from a file descriptor at an offset, with pread so nothing else moves.
struct Source {
  int fd = -1;
  std::uint64_t pos = 0;
  std::array<char, 1 << 16> buf;
};

la_ssize_t read_source(struct archive* a, void* client, const void** out) {
  auto* s = static_cast<Source*>(client);
  for (;;) {
    ssize_t n = ::pread(s->fd, s->buf.data(), s->buf.size(), static_cast<off_t>(s->pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read: %s", std::strerror(errno));
      return -1;
    }
    s->pos += static_cast<std::uint64_t>(n);
    *out = s->buf.data();
    return n;
  }
}

class MemberReader final : public util::Reader {
 public:
  MemberReader(ZipMember member, std::optional<util::Digest> expected)
      : member_(std::move(member)), expected_(std::move(expected)) {}
  ~MemberReader() override {
    if (a_) archive_read_free(a_);
    if (source_.fd >= 0) ::close(source_.fd);
  }
  MemberReader(const MemberReader&) = delete;
  MemberReader& operator=(const MemberReader&) = delete;

  Result<void> start(const fs::path& zip) {
    source_.fd = ::open(zip.c_str(), O_RDONLY | O_CLOEXEC);
    if (source_.fd < 0) return std::unexpected(util::errno_error("open", zip, errno));
    source_.pos = member_.offset;
    a_ = archive_read_new();
    if (!a_) return fail(ErrorKind::internal, "libarchive: out of memory");
    archive_read_support_format_zip_streamable(a_);
    if (archive_read_open2(a_, &source_, nullptr, read_source, nullptr, nullptr) != ARCHIVE_OK)
      return libarchive_error();
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_, &e);
    if (rc == ARCHIVE_EOF) return fail(ErrorKind::integrity, "no local header at the member's offset");
    if (rc < ARCHIVE_WARN) return libarchive_error();
    const char* name = archive_entry_pathname_utf8(e);
    if (!name) name = archive_entry_pathname(e);
    if (!name || name != member_.name)
      return fail(ErrorKind::integrity, "the local header names `" + std::string(name ? name : "") +
                                            "`, the central directory `" + member_.name + "`");
    if (expected_) hasher_.emplace();
    return {};
  }

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (done_ || out.empty()) return 0;
    la_ssize_t n = archive_read_data(a_, out.data(), out.size());
    if (n < 0) return libarchive_error();
    count_ += static_cast<std::uint64_t>(n);
    if (count_ > member_.size) return size_error();
    if (n > 0) {
      if (hasher_) hasher_->update({out.data(), static_cast<std::size_t>(n)});
      return static_cast<std::size_t>(n);
    }
    done_ = true;
    if (count_ != member_.size) return size_error();
    if (hasher_ && hasher_->finish() != *expected_)
      return fail(ErrorKind::integrity, "the content's sha256 changed since it was verified");
    return 0;
  }

 private:
  std::unexpected<util::Error> libarchive_error() const {
    const char* msg = a_ ? archive_error_string(a_) : nullptr;
    return fail(ErrorKind::integrity, std::string("corrupt zip member: ") + (msg ? msg : "unknown libarchive error"));
  }
  std::unexpected<util::Error> size_error() const {
    return fail(ErrorKind::integrity, "the content is " + std::string(count_ > member_.size ? "longer" : "shorter") +
                                          " than the central directory's " + std::to_string(member_.size) + " bytes");
  }

  ZipMember member_;
  std::optional<util::Digest> expected_;
  Source source_;
  struct archive* a_ = nullptr;
  std::optional<util::Sha256Writer> hasher_;
  std::uint64_t count_ = 0;
  bool done_ = false;
};

}  // namespace

Result<std::vector<ZipMember>> read_central_directory(const fs::path& zip) {
  Fd f{::open(zip.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return std::unexpected(util::errno_error("open", zip, errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return std::unexpected(util::errno_error("stat", zip, errno));
  if (!S_ISREG(st.st_mode)) return fail(ErrorKind::invalid_input, "`" + zip.string() + "` is not a regular file");
  auto dir = find_directory(f.fd, zip, static_cast<std::uint64_t>(st.st_size));
  if (!dir) return std::unexpected(dir.error());
  auto cd = pread_exact(f.fd, zip, dir->offset, static_cast<std::size_t>(dir->size));
  if (!cd) return std::unexpected(cd.error());
  auto members = parse_directory(*cd, dir->entries);
  if (!members) return members;
  for (const auto& m : *members)
    if (m.offset >= dir->offset)
      return fail(ErrorKind::integrity, "`" + m.name + "`: its local header offset lies past the central directory");
  return members;
}

Result<std::unique_ptr<util::Reader>> open_member(const fs::path& zip, const ZipMember& member,
                                                  std::optional<util::Digest> expected) {
  auto r = std::make_unique<MemberReader>(member, std::move(expected));
  if (auto s = r->start(zip); !s) return std::unexpected(s.error());
  return r;
}

}  // namespace mlpack::wheel::detail
