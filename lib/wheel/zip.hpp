#pragma once
// Random access to the members of a wheel (internal to wheel).
//
// A wheel comes from outside, so nothing in it is trusted. The central directory is read here
// (zip64 aware) for each member's name, sizes, method, CRC-32, Unix mode and local-header offset,
// and checked as a whole: every member's local header and data must fit, in offset order,
// before the next member's local header (or the central directory), so no two members overlap and
// none lies outside the file. A member is then read straight out of the file with pread: its
// local header must name the same member with the same method (and, without a data descriptor,
// the same CRC-32 and sizes), so a zip whose local headers disagree with its directory (the trick
// behind "zip confusion") is refused rather than read two ways. Only stored and deflate members
// are read; deflate is inflated with libdeflate in one shot into the declared size (zlib,
// streaming, above `one_shot_limit`), and content that is not exactly the declared size is
// refused, so a size that lies (a zip bomb) costs at most the declared size.
//
// Content is checked either by the caller's sha256 (RECORD) or by its CRC-32, never left
// unchecked: Crc::skip is only for callers that hash what they read and compare it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::wheel::detail {

namespace fs = std::filesystem;
using util::Result;

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
inline constexpr std::uint64_t one_shot_limit = 16ULL << 20;

enum class Crc { check, skip };

// The members of a zip file, in central-directory order (zip64 aware). ErrorKind::integrity
// ("not a zip file", truncated or inconsistent directory, overlapping or out-of-range members, a
// declared size deflate cannot reach, encrypted members) and ErrorKind::unsupported (a compression
// method other than stored and deflate, multi-disk) naming the problem and the member, not the
// file: the caller adds which wheel it was.
Result<std::vector<ZipMember>> read_central_directory(const fs::path& zip);

// An open zip file: its members, and reads of them with pread, so one ZipFile serves several
// threads at once. Readers it opens share its file descriptor and may outlive it.
class ZipFile {
 public:
  static Result<ZipFile> open(const fs::path& zip);

  const fs::path& path() const { return path_; }
  const std::vector<ZipMember>& members() const { return members_; }

  // A member's whole content, which must be at most one_shot_limit bytes (internal otherwise).
  // Fails (integrity) on a local header that disagrees with the directory, a corrupt deflate
  // stream, content that is not exactly `member.size` bytes, deflate data that does not end
  // exactly at the compressed size, and, with Crc::check, a CRC-32 mismatch.
  Result<std::string> read(const ZipMember& member, Crc crc) const;

  // A stream of a member's content, with read()'s checks (the CRC-32, or the sha256 when given,
  // checked before the first byte of a one-shot member is returned, else at the end of the
  // stream, where a mismatch is an error instead of the end).
  Result<std::unique_ptr<util::Reader>> open_member(const ZipMember& member,
                                                    std::optional<util::Digest> expected = std::nullopt) const;

 private:
  ZipFile(fs::path path, std::shared_ptr<const void> owner, int fd, std::vector<ZipMember> members)
      : path_(std::move(path)), owner_(std::move(owner)), fd_(fd), members_(std::move(members)) {}
  fs::path path_;
  std::shared_ptr<const void> owner_;  // closes fd_ when the last reader is done with it
  int fd_ = -1;
  std::vector<ZipMember> members_;
};

// open_member on a file opened for this one member (a member from read_central_directory of
// the same file). Used when a layer is written, long after the ZipFile is gone.
Result<std::unique_ptr<util::Reader>> open_member(const fs::path& zip, const ZipMember& member,
                                                  std::optional<util::Digest> expected = std::nullopt);

}  // namespace mlpack::wheel::detail
