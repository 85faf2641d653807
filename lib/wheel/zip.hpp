#pragma once
// Random access to the members of a wheel (internal to wheel).
//
// libarchive decompresses, but its seekable zip reader offers no way to go straight to one
// member, and a layer wants members in path order, not archive order. So the central directory
// is read here, for each member's name, size, Unix mode and local-header offset; a member's
// content is then read by starting libarchive's streaming zip reader at that offset. The local
// header must name the same member and the content must have the central directory's size, so a
// zip whose local headers disagree with its directory (the trick behind "zip confusion") is
// refused rather than read two ways.
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
  std::string name;               // as stored ("pkg/__init__.py", "pkg/" for a directory)
  std::uint64_t offset = 0;       // of its local header
  std::uint64_t size = 0;         // uncompressed
  std::uint32_t unix_mode = 0;    // st_mode from the external attributes; 0 when not made on Unix

  bool is_directory() const { return name.ends_with('/'); }
  bool is_symlink() const { return (unix_mode & 0170000) == 0120000; }
  bool is_executable() const { return (unix_mode & 0111) != 0; }
};

// The members of a zip file, in central-directory order (zip64 aware). ErrorKind::integrity
// ("not a zip file", truncated or inconsistent directory) naming the problem, not the file: the
// caller adds which wheel it was.
Result<std::vector<ZipMember>> read_central_directory(const fs::path& zip);

// A reader of one member's content. It fails (integrity) when the local header at the member's
// offset names another member, when the content is longer or shorter than `member.size`, and,
// when `expected` is given, at the end of the stream if the content's sha256 differs.
Result<std::unique_ptr<util::Reader>> open_member(const fs::path& zip, const ZipMember& member,
                                                  std::optional<util::Digest> expected = std::nullopt);

}  // namespace mlpack::wheel::detail
