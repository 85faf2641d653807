#pragma once
// A reader for tar archives from outside (base-image layers, package payloads), which are never
// trusted: member paths that escape, oversized members and malformed streams are refused with an
// error naming the member. It reads any decompressed stream (decompress.hpp), so a format that
// wraps a tar (a .deb member, a conda package) gets the same rules.
#include <cstdint>
#include <functional>
#include <string>

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

struct ReadOptions {
  std::uint64_t max_member_size = 16ULL << 30;  // a larger member is refused (integrity)
  std::uint64_t max_total_size = 256ULL << 30;  // decompressed bytes; bounds decompression bombs
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
// paths, `..` components, hardlinks to such paths, members over max_member_size, and malformed
// or truncated archives; errors of `tar` itself pass through. Devices and FIFOs are reported, not
// refused: whoever writes them out decides. max_total_size is not applied here (it bounds
// decompression: pass it to decompress()).
Result<void> read_tar_stream(util::Reader& tar, const TarVisitor& visit, const ReadOptions& options = {});

// read_tar_stream over a stream whose codec is detected from its first bytes (gzip, one or more
// members; zstd; xz; bzip2; else plain tar), decompressing at most max_total_size bytes, and
// returns the diff_id of the decompressed tar so callers can check it against a manifest.
Result<ReadResult> read_tar(util::Reader& in, const TarVisitor& visit, const ReadOptions& options = {});

}  // namespace mlpack::archive
