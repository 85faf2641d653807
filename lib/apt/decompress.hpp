#pragma once
// Decompression of index files (Packages.xz, Packages.gz) as a stream, so a 40 MB Packages file
// is never held compressed and decompressed at once.
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::apt {

using util::Result;

enum class Compression { none, gzip, xz };

// By file name: ".xz", ".gz", else none.
Compression compression_of(std::string_view name);
std::string_view extension(Compression c);  // "", ".gz", ".xz"

// Decompresses `from` into `to`, failing with ErrorKind::integrity when the data is corrupt or
// expands beyond `limit` bytes (a decompression bomb). Returns the decompressed size.
Result<std::uint64_t> decompress_file(const std::filesystem::path& from, Compression c, util::Writer& to,
                                      std::uint64_t limit);

}  // namespace mlpack::apt
