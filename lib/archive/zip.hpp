#pragma once
// The one zip reader: wheels installed from the cache, and a wheel's METADATA read by HTTP range
// requests (pyindex), both over RandomAccess.
//
// A zip comes from outside, so nothing in it is trusted. The central directory is read (zip64
// aware) for each member's name, sizes, method, CRC-32, Unix mode and local-header offset, and
// checked as a whole: every member's local header and data must fit, in offset order, before the
// next member's local header (or the central directory), so no two members overlap and none lies
// outside the file. A member is then read straight out of the source: its local header must name
// the same member with the same method (and, without a data descriptor, the same CRC-32 and
// sizes), so a zip whose local headers disagree with its directory (the trick behind "zip
// confusion") is refused rather than read two ways. Only stored and deflate members are read;
// deflate is inflated with libdeflate in one shot into the declared size (zlib, streaming, above
// zip_one_shot_limit), and content that is not exactly the declared size is refused, so a size
// that lies (a zip bomb) costs at most the declared size.
//
// Content is checked either by the caller's sha256 (a wheel's RECORD) or by its CRC-32, never
// left unchecked: Crc::skip is only for callers that hash what they read and compare it.
//
// Errors: ErrorKind::integrity ("not a zip file", truncated or inconsistent directory,
// overlapping or out-of-range members, a declared size deflate cannot reach, encrypted members)
// and ErrorKind::unsupported (a compression method other than stored and deflate, multi-disk),
// naming the problem and the member, not the file: the caller adds which file it was. The
// source's own errors (I/O, HTTP) pass through as they are.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "archive/decompress.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::archive {

namespace fs = std::filesystem;
using util::Result;

// A file read by offset: a local file, bytes in memory, or a remote file read by HTTP range
// requests (pyindex's). The zip reader needs nothing else.
class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  // The file's size in bytes.
  virtual Result<std::uint64_t> size() = 0;
  // Fills all of `out` with the bytes at `offset`. A file that ends first is
  // ErrorKind::integrity ("truncated").
  virtual Result<void> read_at(std::uint64_t offset, std::span<std::byte> out) = 0;
  // A hint that [offset, offset + length) is about to be read in several pieces, so a source whose
  // every read is a request can fetch it at once. Implementations may ignore it.
  virtual Result<void> will_read(std::uint64_t /*offset*/, std::uint64_t /*length*/) { return {}; }
};

// A local regular file, read with pread: one instance may serve several threads at once.
// Opening fails with not_found / io, or invalid_input for what is not a regular file.
Result<std::shared_ptr<RandomAccess>> open_file_access(const fs::path& path);
// Bytes held in memory (tests, fuzzing).
std::shared_ptr<RandomAccess> memory_access(std::string bytes);

struct ZipMember {
  std::string name;                  // as stored ("pkg/__init__.py", "pkg/" for a directory)
  std::uint64_t offset = 0;          // of its local header
  std::uint64_t size = 0;            // uncompressed
  std::uint64_t compressed_size = 0;
  // Where this member's local header and data must have ended: the next member's local header,
  // or the central directory for the last one.
  std::uint64_t limit = 0;
  std::uint32_t crc32 = 0;
  std::uint16_t method = 0;          // 0 stored, 8 deflate: nothing else gets past the directory
  std::uint32_t unix_mode = 0;       // st_mode from the external attributes; 0 when not made on Unix

  bool is_directory() const { return name.ends_with('/'); }
  bool is_symlink() const { return (unix_mode & 0170000) == 0120000; }
  bool is_executable() const { return (unix_mode & 0111) != 0; }
};

// Members up to this size are inflated in one shot into memory (libdeflate needs the whole
// input and output); larger ones stream through zlib in bounded memory.
inline constexpr std::uint64_t zip_one_shot_limit = 16ULL << 20;

enum class Crc { check, skip };

// An open zip: its checked central directory and reads of its members. Reads go to the source
// only, so a ZipReader over a thread-safe source (open_file_access) serves several threads at
// once; readers it opens share the source and may outlive the ZipReader.
class ZipReader {
 public:
  // Reads and checks the central directory: the end record is looked for in the last 64 KiB
  // first (one read, which is all a range-request source fetches for most files), then in the
  // largest window a zip comment allows. The members' declared sizes are held to `limits` here
  // (reads never give more than a member declares): a member past limits.ratio_floor whose size
  // is more than limits.max_ratio times its compressed size, or members adding up to more than
  // limits.max_total, are ErrorKind::integrity naming the member or the total and the limit.
  static Result<ZipReader> open(std::shared_ptr<RandomAccess> source, const UnpackLimits& limits = {});
  // A local file (open_file_access).
  static Result<ZipReader> open(const fs::path& zip, const UnpackLimits& limits = {});

  const std::vector<ZipMember>& members() const { return members_; }

  // A member's whole content, which must be at most zip_one_shot_limit bytes (internal
  // otherwise). Fails (integrity) on a local header that disagrees with the directory, a
  // compressed size beyond what deflate could need for the content, a corrupt deflate stream,
  // content that is not exactly `member.size` bytes, deflate data that does not end exactly at
  // the compressed size, and, with Crc::check, a CRC-32 mismatch.
  Result<std::string> read(const ZipMember& member, Crc crc) const;

  // A stream of a member's content, with read()'s checks (the CRC-32, or the sha256 when given,
  // checked before the first byte of a one-shot member is returned, else at the end of the
  // stream, where a mismatch is an error instead of the end).
  Result<std::unique_ptr<util::Reader>> open_member(const ZipMember& member,
                                                    std::optional<util::Digest> expected = std::nullopt) const;

 private:
  ZipReader(std::shared_ptr<RandomAccess> source, std::vector<ZipMember> members)
      : source_(std::move(source)), members_(std::move(members)) {}
  std::shared_ptr<RandomAccess> source_;
  std::vector<ZipMember> members_;
};

// open_member on a local file opened for this one member (a member from a ZipReader over the same
// file). Used when a layer is written, long after the ZipReader is gone.
Result<std::unique_ptr<util::Reader>> open_zip_member(const fs::path& zip, const ZipMember& member,
                                                      std::optional<util::Digest> expected = std::nullopt);

}  // namespace mlpack::archive
