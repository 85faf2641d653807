#include "archive/reader.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "archive/libarchive.hpp"
#include "archive/paths.hpp"
#include "util/expected.hpp"

namespace mlpack::archive {

namespace {

using util::ErrorKind;
using util::fail;

// Hashes and counts what the tar reader takes from the decompressed stream (the diff_id).
class Hashing final : public util::Reader {
 public:
  explicit Hashing(util::Reader& inner) : inner_(inner) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = TRY(inner_.read(out));
    hash.update({out.data(), n});
    total += n;
    return n;
  }
  util::Sha256Writer hash;
  std::uint64_t total = 0;

 private:
  util::Reader& inner_;
};

// Normalizes a member path, refusing absolute paths and ".." components.
Result<std::string> member_path(std::string_view raw) {
  if (raw.starts_with('/')) return fail(ErrorKind::integrity, "absolute path");
  if (raw.find('\0') != std::string_view::npos) return fail(ErrorKind::integrity, "NUL in path");
  std::string out;
  for (auto c : detail::components(raw)) {
    if (c == ".") continue;
    if (c == "..") return fail(ErrorKind::integrity, "path climbs out of the root with `..`");
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

// "character device", "block device", "FIFO"; nullptr for the other types.
const char* special_file_name(TarType type) {
  switch (type) {
    case TarType::char_device: return "character device";
    case TarType::block_device: return "block device";
    case TarType::fifo: return "FIFO";
    default: return nullptr;
  }
}

// A member's content, which must be exactly its size: libarchive ends the content of a member
// whose (old GNU) sparse map covers less than the header's size early and without an error, even
// in a regular file's header, so a short or long member is refused here (found by fuzz_tar).
class MemberReader final : public util::Reader {
 public:
  MemberReader(struct archive* a, la::ReaderSource& source, std::string name, std::uint64_t size,
               ErrorKind malformed)
      : a_(a), source_(source), name_(std::move(name)), size_(size), malformed_(malformed) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    la_ssize_t n = archive_read_data(a_, out.data(), out.size());
    if (n < 0) {
      if (source_.error) return std::unexpected(source_.error->context("member `" + name_ + "`"));
      return fail(malformed_, "member `" + name_ + "`: " + la::error_message(a_));
    }
    read_ += static_cast<std::uint64_t>(n);
    if (read_ > size_ || (n == 0 && !out.empty() && read_ < size_))
      return fail(malformed_, "member `" + name_ + "`: content of " + std::to_string(read_) +
                                  (read_ > size_ ? "+" : "") + " bytes where the header says " + std::to_string(size_));
    return static_cast<std::size_t>(n);
  }

 private:
  struct archive* a_;
  la::ReaderSource& source_;
  std::string name_;
  std::uint64_t size_;
  std::uint64_t read_ = 0;
  ErrorKind malformed_;
};

}  // namespace

struct TarCursor::Impl {
  Impl(util::Reader& tar, const ReadOptions& options) : source(tar), options(options) {}
  la::ReaderSource source;  // declared before `a`, so libarchive is closed while it still exists
  la::ReadArchive a;
  ReadOptions options;
  std::string previous;
  std::optional<MemberReader> content;
  util::StringReader nothing{""};
  bool file = false;
};

TarCursor::TarCursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarCursor::~TarCursor() = default;

Result<std::unique_ptr<TarCursor>> TarCursor::open(util::Reader& tar, const ReadOptions& options) {
  auto impl = std::make_unique<Impl>(tar, options);
  impl->a = TRY(la::new_reader());
  archive_read_support_format_tar(impl->a.get());
  if (la::open_reader(impl->a.get(), impl->source) != ARCHIVE_OK) {
    if (impl->source.error) return std::unexpected(*impl->source.error);
    return fail(options.malformed, "not a tar archive: " + la::error_message(impl->a.get()));
  }
  return std::unique_ptr<TarCursor>(new TarCursor(std::move(impl)));
}

util::Reader& TarCursor::content() {
  if (impl_->file && impl_->content) return *impl_->content;
  return impl_->nothing;
}

Result<std::optional<TarEntry>> TarCursor::next() {
  auto& m = *impl_;
  const auto& options = m.options;
  struct archive* a = m.a.get();
  auto& feed = m.source;
  m.content.reset();
  m.file = false;
  struct archive_entry* e = nullptr;
  int rc = archive_read_next_header(a, &e);
  if (rc == ARCHIVE_EOF) return std::optional<TarEntry>();
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    std::string where = m.previous.empty() ? "reading tar" : "reading tar after member `" + m.previous + "`";
    if (feed.error) return std::unexpected(feed.error->context(where));
    return fail(options.malformed, where + ": " + la::error_message(a));
  }
  const char* raw = archive_entry_pathname(e);
  if (!raw) return fail(options.malformed, "tar member after `" + m.previous + "` has an undecodable name");
  auto refuse = [&](const std::string& why) {
    return fail(ErrorKind::integrity, "tar member `" + std::string(raw) + "`: " + why);
  };
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
    if (!target || target->empty())
      return refuse("hardlink target `" + std::string(hl) + "`: " + (target ? "empty" : target.error().message));
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
        if (options.symlinks == Symlinks::inside_root && !resolve_symlink(entry.path, entry.link_target))
          return refuse("symlink target `" + entry.link_target + "` escapes the root");
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
    if (auto special = special_file_name(entry.type); special && options.special_files == SpecialFiles::refuse)
      return refuse(std::string(special) + " (devices and FIFOs are refused)");
  }
  if (entry.path.empty() && entry.type != TarType::directory) return refuse("empty path");
  if (entry.type == TarType::file) {
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0) return refuse("negative size");
    entry.size = static_cast<std::uint64_t>(size);
    if (entry.size > options.max_member_size)
      return refuse(std::to_string(entry.size) + " bytes, larger than the limit of " +
                    std::to_string(options.max_member_size) + " bytes");
    m.content.emplace(a, feed, entry.path, entry.size, options.malformed);
    m.file = true;
  }
  m.previous = raw;
  return std::optional<TarEntry>(std::move(entry));
}

Result<void> read_tar_stream(util::Reader& tar, const TarVisitor& visit, const ReadOptions& options) {
  auto cursor = TRY(TarCursor::open(tar, options));
  for (;;) {
    auto entry = TRY(cursor->next());
    if (!entry) break;
    TRY(visit(*entry, cursor->content()));
  }
  return {};
}

std::optional<std::string> resolve_symlink(std::string_view member, std::string_view target) {
  std::vector<std::string> dir;
  for (auto c : detail::components(member)) dir.emplace_back(c);
  if (!dir.empty()) dir.pop_back();
  auto parts = detail::resolve_lexically(std::move(dir), target, detail::Climb::refuse);
  if (!parts) return std::nullopt;
  std::string out;
  for (const auto& c : *parts) out += (out.empty() ? "" : "/") + c;
  return out;
}

Result<ReadResult> read_tar(util::Reader& in, const TarVisitor& visit, const ReadOptions& options) {
  auto d = TRY(decompress_detected(in, {.max_size = options.max_total_size}));
  Hashing hashing(*d.content);
  TRY(read_tar_stream(hashing, visit, options));
  // The diff_id covers the whole stream, including what follows the end-of-archive blocks.
  std::vector<std::byte> rest(64 << 10);
  while (TRY_CONTEXT(hashing.read(rest), "reading tar") > 0) {}
  return ReadResult{d.codec, hashing.hash.finish(), hashing.total};
}

}  // namespace mlpack::archive
