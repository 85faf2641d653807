#include "pyindex/zip_range.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <vector>

#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

using util::ErrorKind;
using util::fail;

namespace {

// METADATA is a few KiB; anything past this is not a wheel we should be reading into memory.
constexpr std::uint64_t max_member_size = 64ull << 20;
constexpr std::uint64_t max_directory_size = 256ull << 20;
// Most wheels' whole central directory fits in the first tail read.
constexpr std::size_t tail_size = 64 * 1024;

std::uint64_t le(std::string_view b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// ---- local files and memory --------------------------------------------------------------

class FileSource final : public RangeSource {
 public:
  explicit FileSource(std::filesystem::path p) : path_(std::move(p)) {}
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<Tail> tail(std::size_t n) override {
    if (auto r = open(); !r) return std::unexpected(r.error());
    Tail t;
    t.size = size_;
    auto len = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_));
    auto bytes = read(size_ - len, len);
    if (!bytes) return std::unexpected(bytes.error());
    t.bytes = std::move(*bytes);
    return t;
  }
  Result<std::string> read(std::uint64_t offset, std::size_t length) override {
    if (auto r = open(); !r) return std::unexpected(r.error());
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
      auto n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(util::errno_error("reading", path_, errno));
      if (n == 0) return fail(ErrorKind::integrity, path_.string() + " ends before byte " + std::to_string(offset + length));
      done += static_cast<std::size_t>(n);
    }
    return out;
  }

 private:
  Result<void> open() {
    if (fd_ >= 0) return {};
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return std::unexpected(util::errno_error("opening", path_, errno));
    auto end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) return std::unexpected(util::errno_error("seeking", path_, errno));
    size_ = static_cast<std::uint64_t>(end);
    return {};
  }
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

class MemorySource final : public RangeSource {
 public:
  explicit MemorySource(std::string d) : data_(std::move(d)) {}
  Result<Tail> tail(std::size_t n) override {
    auto len = std::min(n, data_.size());
    return Tail{data_.size(), data_.substr(data_.size() - len)};
  }
  Result<std::string> read(std::uint64_t offset, std::size_t length) override {
    if (offset > data_.size() || length > data_.size() - offset)
      return fail(ErrorKind::integrity, "the file ends before byte " + std::to_string(offset + length));
    return data_.substr(static_cast<std::size_t>(offset), length);
  }

 private:
  std::string data_;
};

// ---- HTTP ---------------------------------------------------------------------------------

// A body kept in memory up to a few MiB, then in an anonymous temporary file.
class Spool final : public util::Writer {
 public:
  ~Spool() override {
    if (file_) std::fclose(file_);
  }
  Result<void> write(util::Bytes data) override {
    if (!file_ && mem_.size() + data.size() > memory_limit) {
      file_ = std::tmpfile();
      if (!file_) return std::unexpected(util::errno_error("creating a temporary file", "tmpfile", errno));
      if (std::fwrite(mem_.data(), 1, mem_.size(), file_) != mem_.size())
        return std::unexpected(util::errno_error("writing", "a temporary file", errno));
      mem_.clear();
      mem_.shrink_to_fit();
    }
    if (file_) {
      if (std::fwrite(data.data(), 1, data.size(), file_) != data.size())
        return std::unexpected(util::errno_error("writing", "a temporary file", errno));
    } else {
      mem_.append(reinterpret_cast<const char*>(data.data()), data.size());
    }
    size_ += data.size();
    return {};
  }
  std::uint64_t size() const { return size_; }
  std::string take() { return std::move(mem_); }  // only for small (in-memory) bodies
  bool in_memory() const { return file_ == nullptr; }
  Result<std::string> read_at(std::uint64_t offset, std::size_t length) {
    if (offset > size_ || length > size_ - offset)
      return fail(ErrorKind::integrity, "the file ends before byte " + std::to_string(offset + length));
    if (!file_) return mem_.substr(static_cast<std::size_t>(offset), length);
    std::string out(length, '\0');
    if (std::fflush(file_) != 0 || ::pread(fileno(file_), out.data(), length, static_cast<off_t>(offset)) !=
                                       static_cast<ssize_t>(length))
      return std::unexpected(util::errno_error("reading", "a temporary file", errno));
    return out;
  }

 private:
  static constexpr std::size_t memory_limit = 8 << 20;
  std::string mem_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;
};

struct ContentRange {
  std::uint64_t first = 0, last = 0;
  std::optional<std::uint64_t> total;
};

// "bytes 100-199/1000" (or ".../*").
std::optional<ContentRange> parse_content_range(std::string_view v) {
  v = std::string_view(v).substr(v.find_first_not_of(' '));
  if (!util::starts_with_ci(v, "bytes ")) return std::nullopt;
  v.remove_prefix(6);
  ContentRange out;
  auto dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return std::nullopt;
  auto num = [](std::string_view s, std::uint64_t& out) {
    auto t = util::trim(s);
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc{} && p == t.data() + t.size() && !t.empty();
  };
  if (!num(v.substr(0, dash), out.first) || !num(v.substr(dash + 1, slash - dash - 1), out.last)) return std::nullopt;
  if (out.last < out.first) return std::nullopt;
  auto total = util::trim(v.substr(slash + 1));
  if (total != "*") {
    std::uint64_t t = 0;
    if (!num(total, t)) return std::nullopt;
    out.total = t;
  }
  return out;
}

class HttpSource final : public RangeSource {
 public:
  HttpSource(SendFn send, net::Request request, HttpRangeCounters counters)
      : send_(std::move(send)), request_(std::move(request)), counters_(std::move(counters)) {}

  Result<Tail> tail(std::size_t n) override {
    auto got = get_range("bytes=-" + std::to_string(n));
    if (!got) return std::unexpected(got.error());
    if (full_) {
      auto len = static_cast<std::size_t>(std::min<std::uint64_t>(n, full_->size()));
      auto bytes = full_->read_at(full_->size() - len, len);
      if (!bytes) return std::unexpected(bytes.error());
      return Tail{full_->size(), std::move(*bytes)};
    }
    auto& [first, bytes] = chunks_.back();
    if (!size_) size_ = first + bytes.size();  // "bytes a-b/*": the tail ends the file
    return Tail{*size_, bytes};
  }

  Result<std::string> read(std::uint64_t offset, std::size_t length) override {
    if (length == 0) return std::string();
    if (!full_) {
      for (const auto& [first, bytes] : chunks_)
        if (offset >= first && offset + length <= first + bytes.size())
          return bytes.substr(static_cast<std::size_t>(offset - first), length);
      auto got = get_range("bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
      if (!got) return std::unexpected(got.error());
      if (!full_) {
        const auto& [first, bytes] = chunks_.back();
        if (first != offset || bytes.size() < length)
          return fail(ErrorKind::integrity, "GET " + net::display_url(request_.url) + ": the server sent bytes " +
                                                std::to_string(first) + "+" + std::to_string(bytes.size()) +
                                                " for a request of " + std::to_string(offset) + "+" +
                                                std::to_string(length));
        return bytes.substr(0, length);
      }
    }
    return full_->read_at(offset, length);
  }

 private:
  // One ranged GET. Leaves its bytes in chunks_ (206) or the whole file in full_ (200, or 416
  // followed by a plain GET).
  Result<void> get_range(const std::string& range) {
    net::Request req = request_;
    req.headers.set("Range", range);
    if (counters_.on_range_request) counters_.on_range_request();
    auto spool = std::make_unique<Spool>();
    auto resp = send_(req, spool.get());
    if (!resp) return std::unexpected(resp.error());
    if (resp->status == 206) {
      auto cr = parse_content_range(resp->headers.get("Content-Range").value_or(""));
      if (!cr || !spool->in_memory() || spool->size() != cr->last - cr->first + 1)
        return fail(ErrorKind::http, "GET " + net::display_url(request_.url) +
                                         ": 206 Partial Content without a usable Content-Range");
      if (cr->total) size_ = cr->total;
      chunks_.emplace_back(cr->first, spool->take());
      return {};
    }
    if (resp->status == 200) {
      // The server ignores Range: this body is the whole file; no further requests needed.
      if (counters_.on_full_download) counters_.on_full_download();
      full_ = std::move(spool);
      return {};
    }
    if (resp->status == 416) return get_full();
    return fail(ErrorKind::http, "GET " + net::display_url(request_.url) + ": " + net::status_line(resp->status));
  }

  Result<void> get_full() {
    if (counters_.on_full_download) counters_.on_full_download();
    auto spool = std::make_unique<Spool>();
    auto resp = send_(request_, spool.get());
    if (!resp) return std::unexpected(resp.error());
    if (resp->status != 200)
      return fail(ErrorKind::http, "GET " + net::display_url(request_.url) + ": " + net::status_line(resp->status));
    full_ = std::move(spool);
    return {};
  }

  SendFn send_;
  net::Request request_;
  HttpRangeCounters counters_;
  std::optional<std::uint64_t> size_;
  std::vector<std::pair<std::uint64_t, std::string>> chunks_;
  std::unique_ptr<Spool> full_;
};

// ---- the zip format ------------------------------------------------------------------------

struct Entry {
  std::string name;
  std::uint16_t flags = 0, method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
};

Result<std::string> inflate_raw(std::string_view in, std::uint64_t expected) {
  std::string out(static_cast<std::size_t>(expected), '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return fail(ErrorKind::internal, "inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  auto total = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || total != expected)
    return fail(ErrorKind::invalid_input, "METADATA does not inflate to its recorded size");
  return out;
}

}  // namespace

std::unique_ptr<RangeSource> file_range_source(std::filesystem::path path) {
  return std::make_unique<FileSource>(std::move(path));
}
std::unique_ptr<RangeSource> memory_range_source(std::string data) {
  return std::make_unique<MemorySource>(std::move(data));
}
std::unique_ptr<RangeSource> http_range_source(SendFn send, net::Request request, HttpRangeCounters counters) {
  return std::make_unique<HttpSource>(std::move(send), std::move(request), std::move(counters));
}

Result<std::string> read_wheel_metadata(RangeSource& source, std::string_view wheel_filename) {
  auto not_zip = [](std::string why) { return fail(ErrorKind::invalid_input, "not a valid wheel (zip): " + why); };
  auto t = source.tail(tail_size);
  if (!t) return std::unexpected(t.error());
  const std::string& tail = t->bytes;
  const std::uint64_t size = t->size;
  const std::uint64_t tail_offset = size - tail.size();
  // Bytes [offset, offset+length) from the tail when it has them, else from the source.
  auto get = [&](std::uint64_t offset, std::uint64_t length) -> Result<std::string> {
    if (offset > size || length > size - offset) return not_zip("a record points past the end of the file");
    if (offset >= tail_offset) return tail.substr(static_cast<std::size_t>(offset - tail_offset), length);
    return source.read(offset, static_cast<std::size_t>(length));
  };

  // End of central directory: 22 bytes plus a comment of up to 64 KiB, so search backwards.
  if (tail.size() < 22) return not_zip("too short");
  std::optional<std::size_t> eocd;
  for (std::size_t i = tail.size() - 22 + 1; i-- > 0;) {
    if (le(tail, i, 4) == 0x06054b50 && i + 22 + le(tail, i + 20, 2) <= tail.size()) {
      eocd = i;
      break;
    }
  }
  if (!eocd) return not_zip("no end of central directory record");
  std::uint64_t entries = le(tail, *eocd + 10, 2);
  std::uint64_t cd_size = le(tail, *eocd + 12, 4);
  std::uint64_t cd_offset = le(tail, *eocd + 16, 4);
  // Zip64: a locator sits just before the EOCD and points at the zip64 EOCD record.
  if (*eocd >= 20 && le(tail, *eocd - 20, 4) == 0x07064b50) {
    auto z64 = get(le(tail, *eocd - 20 + 8, 8), 56);
    if (!z64) return std::unexpected(z64.error());
    if (le(*z64, 0, 4) != 0x06064b50) return not_zip("bad zip64 end of central directory record");
    entries = le(*z64, 32, 8);
    cd_size = le(*z64, 40, 8);
    cd_offset = le(*z64, 48, 8);
  }
  if (cd_size > max_directory_size) return not_zip("central directory of " + std::to_string(cd_size) + " bytes");
  auto cd = get(cd_offset, cd_size);
  if (!cd) return std::unexpected(cd.error());

  std::vector<Entry> candidates;
  std::size_t p = 0;
  for (std::uint64_t n = 0; n < entries; ++n) {
    if (p + 46 > cd->size() || le(*cd, p, 4) != 0x02014b50) return not_zip("bad central directory entry");
    Entry e;
    e.flags = static_cast<std::uint16_t>(le(*cd, p + 8, 2));
    e.method = static_cast<std::uint16_t>(le(*cd, p + 10, 2));
    e.crc = static_cast<std::uint32_t>(le(*cd, p + 16, 4));
    e.compressed = le(*cd, p + 20, 4);
    e.uncompressed = le(*cd, p + 24, 4);
    std::size_t name_len = le(*cd, p + 28, 2), extra_len = le(*cd, p + 30, 2), comment_len = le(*cd, p + 32, 2);
    e.local_offset = le(*cd, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd->size()) return not_zip("truncated central directory");
    e.name = cd->substr(p + 46, name_len);
    // The zip64 extra field holds, in order, whichever of these were too big for 32 bits.
    std::string_view extra = std::string_view(*cd).substr(p + 46 + name_len, extra_len);
    for (std::size_t x = 0; x + 4 <= extra.size();) {
      std::size_t id = le(extra, x, 2), len = le(extra, x + 2, 2);
      if (x + 4 + len > extra.size()) break;
      if (id == 0x0001) {
        std::size_t q = x + 4;
        auto take = [&](std::uint64_t& field) {
          if (field == 0xFFFFFFFF && q + 8 <= x + 4 + len) {
            field = le(extra, q, 8);
            q += 8;
          }
        };
        take(e.uncompressed);
        take(e.compressed);
        take(e.local_offset);
      }
      x += 4 + len;
    }
    p += 46 + name_len + extra_len + comment_len;
    // Only a top-level "<dir>.dist-info/METADATA".
    auto slash = e.name.find('/');
    if (slash != std::string::npos && e.name.substr(slash) == "/METADATA" &&
        std::string_view(e.name).substr(0, slash).ends_with(".dist-info"))
      candidates.push_back(std::move(e));
  }
  if (candidates.empty()) return not_zip("no `*.dist-info/METADATA`");
  const Entry* chosen = &candidates.front();
  if (candidates.size() > 1) {
    auto wheel = pypi::parse_wheel_filename(wheel_filename);
    for (const auto& c : candidates) {
      auto dir = c.name.substr(0, c.name.find('/'));
      if (wheel && pypi::normalize_name(dir.substr(0, dir.find('-'))) == wheel->name) chosen = &c;
    }
  }
  const Entry& e = *chosen;
  if (e.flags & 1) return fail(ErrorKind::unsupported, "`" + e.name + "` is encrypted");
  if (e.uncompressed > max_member_size || e.compressed > max_member_size)
    return not_zip("`" + e.name + "` is larger than " + std::to_string(max_member_size) + " bytes");
  if (e.method != 0 && e.method != 8)
    return fail(ErrorKind::unsupported, "`" + e.name + "` uses zip compression method " + std::to_string(e.method));

  // The local header repeats the name and has its own extra field; guess it is as long as the
  // central one plus some slack, so one request usually covers header and data.
  std::uint64_t guess = 30 + e.name.size() + 256 + e.compressed;
  auto local = get(e.local_offset, std::min(guess, size - std::min(size, e.local_offset)));
  if (!local) return std::unexpected(local.error());
  if (local->size() < 30 || le(*local, 0, 4) != 0x04034b50) return not_zip("bad local header for `" + e.name + "`");
  std::uint64_t data_start = 30 + le(*local, 26, 2) + le(*local, 28, 2);
  std::string data;
  if (data_start + e.compressed <= local->size()) {
    data = local->substr(static_cast<std::size_t>(data_start), static_cast<std::size_t>(e.compressed));
  } else {
    auto more = get(e.local_offset + data_start, e.compressed);
    if (!more) return std::unexpected(more.error());
    data = std::move(*more);
  }
  std::string out;
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) return not_zip("stored `" + e.name + "` has two sizes");
    out = std::move(data);
  } else {
    auto inflated = inflate_raw(data, e.uncompressed);
    if (!inflated) return std::unexpected(inflated.error());
    out = std::move(*inflated);
  }
  auto crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  if (crc != e.crc) return fail(ErrorKind::integrity, "`" + e.name + "` fails its CRC-32 check");
  return out;
}

}  // namespace mlpack::pyindex
