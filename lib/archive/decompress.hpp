#pragma once
// The one place a compressed stream becomes a util::Reader of its content: gzip and zstd through
// zlib and libzstd directly (so the multi-member gzip layers write_layer makes, trailing zero
// padding and truncation are handled exactly), bzip2, xz and lzma through libarchive's raw read
// filters. Used for apt indexes, .deb members, image layers, and the tar reader (reader.hpp).
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::archive {

using util::Result;

enum class Codec { none, gzip, bzip2, xz, lzma, zstd };

std::string_view codec_name(Codec c);  // "plain", "gzip", "bzip2", "xz", "lzma", "zstd"

// By file name: ".gz", ".bz2", ".xz", ".lzma", ".zst"; anything else is none.
Codec codec_of(std::string_view filename);

struct DecompressOptions {
  // More decompressed bytes than this is ErrorKind::integrity (a decompression bomb).
  std::uint64_t max_size = std::numeric_limits<std::uint64_t>::max();
  // Content past `ratio_floor` bytes that is more than `max_ratio` times the compressed bytes read
  // so far is ErrorKind::integrity too. 0: no ratio bound.
  std::uint64_t max_ratio = 0;
  std::uint64_t ratio_floor = 1 << 20;
};

// How far one package (a wheel, a .deb, a conda package) may unpack, against decompression bombs
// (a 2 MB wheel that became a 2 GiB file). Each compressed stream of it (a zip member, a .deb's
// data.tar.xz, a conda package's tar.zst) may inflate to at most `max_ratio` times its compressed
// size once it is past `ratio_floor` bytes, and its content all together to at most `max_total`
// bytes. Real packages stay far below both (deflate cannot pass ~1032:1; real files compress
// less than 100:1). Past either is ErrorKind::integrity naming the member and the limit; the
// caller names the package and says how to raise the limit (`raise_hint`, appended as it is).
struct UnpackLimits {
  std::uint64_t max_ratio = 1000;
  std::uint64_t ratio_floor = 1 << 20;
  std::uint64_t max_total = 8ULL << 30;
  std::string raise_hint;  // "raise it with `…`"; empty: nothing is said

  // The options that bound one compressed stream of the package at these limits (its total
  // bounded by max_total; a caller that reads several streams also bounds their sum).
  DecompressOptions stream() const { return {.max_size = max_total, .max_ratio = max_ratio, .ratio_floor = ratio_floor}; }
};

// Reads the content of `in`, which must outlive the returned reader, as `codec` data. The first
// bytes must be that codec's magic (lzma, which has none: libarchive's recognition), so a file
// that is not what its name says fails (integrity) instead of being guessed at; an empty stream is
// not compressed data either. Codec::none passes the bytes through. Corrupt, truncated, or (gzip)
// followed by anything but another gzip member or zero padding: integrity. Errors of `in`
// itself pass through as they are. The whole of `in` is read before the end is reported, so a
// verifying reader underneath sees every byte.
Result<std::unique_ptr<util::Reader>> decompress(util::Reader& in, Codec codec, const DecompressOptions& options = {});

struct Detected {
  Codec codec = Codec::none;
  std::unique_ptr<util::Reader> content;
};

// decompress() with the codec taken from the first bytes: gzip, bzip2, xz and zstd are
// recognised; anything else (lzma included) is read as it is.
Result<Detected> decompress_detected(util::Reader& in, const DecompressOptions& options = {});

}  // namespace mlpack::archive
