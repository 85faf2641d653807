#pragma once
// The one place a compressed stream becomes a util::Reader of its content: gzip and zstd through
// zlib and libzstd directly (so the multi-member gzip layers write_layer makes, trailing zero
// padding and truncation are handled exactly), bzip2, xz and lzma through libarchive's raw read
// filters. Used for apt indexes, .deb members, image layers, and the tar reader (reader.hpp).
#include <cstdint>
#include <limits>
#include <memory>
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
