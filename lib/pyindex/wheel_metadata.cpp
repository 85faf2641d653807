#include "pyindex/wheel_metadata.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

using util::ErrorKind;
using util::fail;

namespace {

// The first request: the last 64 KiB hold the end of central directory of every wheel and, for
// most, the whole central directory. The zip reader's first look at the tail is the same size.
constexpr std::size_t tail_size = 64 * 1024;

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

class HttpAccess final : public archive::RandomAccess {
 public:
  HttpAccess(SendFn send, net::Request request, HttpRangeCounters counters)
      : send_(std::move(send)), request_(std::move(request)), counters_(std::move(counters)) {}

  Result<std::uint64_t> size() override {
    if (!size_ && !full_) TRY(get_range("bytes=-" + std::to_string(tail_size)));
    if (full_) return full_->size();
    if (!size_) {  // "bytes a-b/*": the tail ends the file
      const auto& [first, bytes] = chunks_.back();
      size_ = first + bytes.size();
    }
    return *size_;
  }

  Result<void> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    if (out.empty()) return {};
    if (!full_ && !cached(offset, out.size())) {
      TRY(get_range("bytes=" + std::to_string(offset) + "-" + std::to_string(offset + out.size() - 1)));
      if (!full_) {
        const auto& [first, bytes] = chunks_.back();
        if (first != offset || bytes.size() < out.size())
          return fail(ErrorKind::integrity, "GET " + net::display_url(request_.url) + ": the server sent bytes " +
                                                std::to_string(first) + "+" + std::to_string(bytes.size()) +
                                                " for a request of " + std::to_string(offset) + "+" +
                                                std::to_string(out.size()));
      }
    }
    if (full_) {
      auto bytes = TRY(full_->read_at(offset, out.size()));
      std::memcpy(out.data(), bytes.data(), out.size());
      return {};
    }
    const auto* chunk = cached(offset, out.size());
    std::memcpy(out.data(), chunk->second.data() + (offset - chunk->first), out.size());
    return {};
  }

  Result<void> will_read(std::uint64_t offset, std::uint64_t length) override {
    if (length == 0 || full_ || cached(offset, length)) return {};
    // Never past the end: a range that starts inside the file is cut there by the server, but
    // one past it would be a 416.
    if (size_ && (offset >= *size_ || length > *size_ - offset)) return {};
    return get_range("bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  }

 private:
  // The fetched chunk that holds [offset, offset + length), if any.
  const std::pair<std::uint64_t, std::string>* cached(std::uint64_t offset, std::uint64_t length) const {
    for (const auto& c : chunks_)
      if (offset >= c.first && offset - c.first <= c.second.size() && length <= c.second.size() - (offset - c.first))
        return &c;
    return nullptr;
  }

  // One ranged GET. Leaves its bytes in chunks_ (206) or the whole file in full_ (200, or 416
  // followed by a plain GET).
  Result<void> get_range(const std::string& range) {
    net::Request req = request_;
    req.headers.set("Range", range);
    if (counters_.on_range_request) counters_.on_range_request();
    auto spool = std::make_unique<Spool>();
    auto resp = TRY(send_(req, spool.get()));
    if (resp.status == 206) {
      auto cr = parse_content_range(resp.headers.get("Content-Range").value_or(""));
      if (!cr || !spool->in_memory() || spool->size() != cr->last - cr->first + 1)
        return fail(ErrorKind::http, "GET " + net::display_url(request_.url) +
                                         ": 206 Partial Content without a usable Content-Range");
      if (cr->total) size_ = cr->total;
      chunks_.emplace_back(cr->first, spool->take());
      return {};
    }
    if (resp.status == 200) {
      // The server ignores Range: this body is the whole file; no further requests needed.
      if (counters_.on_full_download) counters_.on_full_download();
      full_ = std::move(spool);
      return {};
    }
    if (resp.status == 416) return get_full();
    return fail(ErrorKind::http, "GET " + net::display_url(request_.url) + ": " + net::status_line(resp.status));
  }

  Result<void> get_full() {
    if (counters_.on_full_download) counters_.on_full_download();
    auto spool = std::make_unique<Spool>();
    auto resp = TRY(send_(request_, spool.get()));
    if (resp.status != 200)
      return fail(ErrorKind::http, "GET " + net::display_url(request_.url) + ": " + net::status_line(resp.status));
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

}  // namespace

std::shared_ptr<archive::RandomAccess> http_range_access(SendFn send, net::Request request, HttpRangeCounters counters) {
  return std::make_shared<HttpAccess>(std::move(send), std::move(request), std::move(counters));
}

Result<std::string> read_wheel_metadata(std::shared_ptr<archive::RandomAccess> source, std::string_view wheel_filename) {
  auto zip = TRY(archive::ZipReader::open(std::move(source)));
  // Only a top-level "<dir>.dist-info/METADATA".
  std::vector<const archive::ZipMember*> candidates;
  for (const auto& m : zip.members()) {
    auto slash = m.name.find('/');
    if (slash != std::string::npos && m.name.substr(slash) == "/METADATA" &&
        std::string_view(m.name).substr(0, slash).ends_with(".dist-info"))
      candidates.push_back(&m);
  }
  if (candidates.empty()) return fail(ErrorKind::invalid_input, "not a valid wheel: no `*.dist-info/METADATA`");
  const archive::ZipMember* chosen = candidates.front();
  if (candidates.size() > 1) {
    auto wheel = pypi::parse_wheel_filename(wheel_filename);
    for (const auto* c : candidates) {
      auto dir = c->name.substr(0, c->name.find('/'));
      if (wheel && pypi::normalize_name(dir.substr(0, dir.find('-'))) == wheel->name) chosen = c;
    }
  }
  // METADATA is a few KiB; anything past this is not a wheel we should be reading into memory.
  if (chosen->size > archive::zip_one_shot_limit)
    return fail(ErrorKind::invalid_input, "not a valid wheel: `" + chosen->name + "` is larger than " +
                                              std::to_string(archive::zip_one_shot_limit) + " bytes");
  return TRY_CONTEXT(zip.read(*chosen, archive::Crc::check), "`" + chosen->name + "`");
}

}  // namespace mlpack::pyindex
