#include "apt/decompress.hpp"

#include <vector>

#include "archive/decompress.hpp"
#include "util/expected.hpp"

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;

Compression compression_of(std::string_view name) {
  if (name.ends_with(".xz")) return Compression::xz;
  if (name.ends_with(".gz")) return Compression::gzip;
  return Compression::none;
}

std::string_view extension(Compression c) {
  switch (c) {
    case Compression::gzip: return ".gz";
    case Compression::xz: return ".xz";
    case Compression::none: break;
  }
  return "";
}

Result<std::uint64_t> decompress_file(const std::filesystem::path& from, Compression c, util::Writer& to,
                                      std::uint64_t limit) {
  auto name = from.filename().string();
  auto in = TRY(util::FileReader::open(from.string()));
  // Only the codec the name says: a file that is not what its name says fails rather than being
  // guessed at.
  archive::Codec codec = c == Compression::xz     ? archive::Codec::xz
                         : c == Compression::gzip ? archive::Codec::gzip
                                                  : archive::Codec::none;
  auto content = TRY_CONTEXT(archive::decompress(*in, codec, {.max_size = limit}), "decompressing " + name);
  std::vector<std::byte> buf(256 << 10);
  std::uint64_t total = 0;
  for (;;) {
    auto n = TRY_CONTEXT(content->read(buf), "decompressing " + name);
    if (n == 0) return total;
    total += n;
    TRY(to.write({buf.data(), n}));
  }
}

}  // namespace mlpack::apt
