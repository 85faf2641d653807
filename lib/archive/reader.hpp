#pragma once
// A reader for tar archives from outside (base-image layers, package payloads), which are never
// trusted: member paths that escape, oversized members and malformed streams are refused with an
// error naming the member. It reads any decompressed stream (decompress.hpp), so a format that
// wraps a tar (a .deb member, a conda package) gets the same rules.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"

namespace mlpack::archive {

enum class TarType { file, directory, symlink, hardlink, char_device, block_device, fifo };

struct TarEntry {
  // Normalized: relative, "/"-separated, no "." or empty components, no leading "./" and no
  // trailing "/". The archive's root directory ("./") is reported with an empty path.
  std::string path;
  TarType type = TarType::file;
  std::uint32_t mode = 0;  // permission bits with suid/sgid/sticky
  std::uint64_t size = 0;  // content bytes (files only)
  // Symlinks: the target verbatim (it may be absolute or climb; whoever writes it to disk must not
  // follow it). Hardlinks: the normalized path of the member linked to, checked like `path`.
  std::string link_target;
  std::int64_t mtime = 0;
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  std::uint32_t dev_major = 0;  // devices only
  std::uint32_t dev_minor = 0;
};

// Symlink targets: `any` reports them verbatim (a base image's layers hold absolute links that
// resolve inside the container); `inside_root` refuses a target that, resolved lexically from the
// link's directory (an absolute one from the root), climbs above the root.
enum class Symlinks { any, inside_root };
// Devices and FIFOs: reported for whoever writes them out to decide, or refused.
enum class SpecialFiles { report, refuse };

struct ReadOptions {
  std::uint64_t max_member_size = 16ULL << 30;  // a larger member is refused (integrity)
  std::uint64_t max_total_size = 256ULL << 30;  // decompressed bytes; bounds decompression bombs
  Symlinks symlinks = Symlinks::any;
  SpecialFiles special_files = SpecialFiles::report;
  // The kind of error for a stream that is not a tar, or a malformed or truncated one: integrity
  // for data that comes with a digest (a layer, a package), invalid_input for a file the user
  // named. Refused members are always integrity.
  util::ErrorKind malformed = util::ErrorKind::integrity;
};

struct ReadResult {
  Codec codec = Codec::none;                    // as detected
  Digest diff_id = Digest::sha256_of("");       // sha256 of the whole decompressed stream
  std::uint64_t uncompressed_size = 0;
};

// Called once per member, in archive order. `content` yields the member's bytes (files only;
// empty otherwise); what the visitor leaves unread is skipped. An error from the visitor stops
// reading and is returned as is.
using TarVisitor = std::function<Result<void>(const TarEntry& entry, util::Reader& content)>;

// Reads an uncompressed tar stream. Refuses (ErrorKind::integrity, naming the member) absolute
// paths, `..` components, hardlinks to such paths, sockets, members over max_member_size, and
// what `symlinks` and `special_files` refuse; malformed or truncated archives are
// `options.malformed`; errors of `tar` itself pass through. max_total_size is not applied here
// (it bounds decompression: pass it to decompress()).
Result<void> read_tar_stream(util::Reader& tar, const TarVisitor& visit, const ReadOptions& options = {});

// read_tar_stream's reading one member at a time, for callers that pull members as they need
// them (a conda package's files streamed into a layer in the layer's order): the same checks and
// errors, member by member. `tar` must outlive the cursor.
class TarCursor {
 public:
  static Result<std::unique_ptr<TarCursor>> open(util::Reader& tar, const ReadOptions& options = {});
  ~TarCursor();
  TarCursor(const TarCursor&) = delete;
  TarCursor& operator=(const TarCursor&) = delete;
  // The next member (what `content` leaves unread of the previous one is skipped); nullopt at
  // the end of the archive.
  Result<std::optional<TarEntry>> next();
  // The content of the member next() returned last (files only; empty otherwise), valid until
  // the next call of next().
  util::Reader& content();

 private:
  struct Impl;
  explicit TarCursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The normalized path (as TarEntry::path; "" is the root) that a symlink at `member` pointing at
// `target` names, resolved lexically from the link's directory (an absolute target from the
// root); nothing when it climbs above the root.
std::optional<std::string> resolve_symlink(std::string_view member, std::string_view target);

// read_tar_stream over a stream whose codec is detected from its first bytes (gzip, one or more
// members; zstd; xz; bzip2; else plain tar), decompressing at most max_total_size bytes, and
// returns the diff_id of the decompressed tar so callers can check it against a manifest.
Result<ReadResult> read_tar(util::Reader& in, const TarVisitor& visit, const ReadOptions& options = {});

}  // namespace mlpack::archive
