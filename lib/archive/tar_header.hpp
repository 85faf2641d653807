#pragma once
// Byte-exact tar member headers (internal to archive).
//
// Hand-written rather than produced by libarchive: every byte of a layer is part of its digest,
// and a library's writer chooses things we must pin (which pax records it adds, pax header names,
// padding to a record size, defaults that change between versions). Writing the 512-byte ustar
// block ourselves keeps the format in one short file that a test can check field by field.
#include <cstdint>
#include <string>
#include <string_view>

namespace mlpack::archive::detail {

inline constexpr std::size_t tar_block = 512;
// The largest value of the 12-byte octal size and mtime fields (8 GiB - 1).
inline constexpr std::uint64_t ustar_max_octal11 = 077777777777ULL;

// How the numeric fields end. Layers use zero-padded octal ending in NUL; the archive transports
// (tar_writer.hpp) keep the bytes they wrote with libarchive: six digits, a space and a NUL for
// mode, ids and device numbers, eleven digits and a space for size and mtime, as libarchive and
// GNU tar write ustar. Both are valid ustar; the choice is part of each output's bytes.
enum class NumberStyle { nul_terminated, space_terminated };

struct TarHeader {
  std::string name;      // as stored: "dir/" for directories
  char typeflag = '0';   // '0' file, '1' hardlink, '2' symlink, '5' directory
  std::uint32_t mode = 0;
  std::uint64_t size = 0;
  std::uint64_t mtime = 0;  // at most ustar_max_octal11
  std::string linkname;
  std::uint32_t uid = 0;  // at most 07777777
  std::uint32_t gid = 0;
  NumberStyle style = NumberStyle::nul_terminated;
};

// Returns the header blocks: a pax 'x' member first when the name or linkname is over 100 bytes
// or the size over ustar_max_octal11, then the ustar block. Empty uname/gname, device
// numbers 0. Content and its padding are the caller's.
std::string encode_tar_header(const TarHeader& h);

// Zero bytes that pad `size` bytes of content to a whole block.
inline std::size_t tar_padding(std::uint64_t size) { return (tar_block - size % tar_block) % tar_block; }

}  // namespace mlpack::archive::detail
