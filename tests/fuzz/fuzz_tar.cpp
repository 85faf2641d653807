// libFuzzer target for the tar reader and the decompressor under it (outside input: base-image
// layers, .deb and conda payloads): the input is read as a tar in whatever codec its first bytes
// name (gzip, zstd, xz, bzip2, plain), every member's content read to its end. Paths that escape,
// sizes that lie and corrupt streams must be errors, never crashes; a member's content must be
// exactly its size, and reported paths are clean.
#include <cstddef>
#include <cstdint>
#include <string>

#include "archive/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace archive = mlpack::archive;
  mlpack::util::StringReader in(std::string(reinterpret_cast<const char*>(data), size));
  archive::ReadOptions options;
  options.max_member_size = 64 << 20;
  options.max_total_size = 256 << 20;
  (void)archive::read_tar(
      in,
      [](const archive::TarEntry& e, mlpack::util::Reader& content) -> mlpack::util::Result<void> {
        if (e.path.starts_with('/') || e.path == ".." || e.path.starts_with("../") ||
            e.path.find("/../") != std::string::npos || e.path.ends_with("/.."))
          __builtin_trap();
        auto all = mlpack::util::read_all(content, 64 << 20);
        if (all && e.type == archive::TarType::file && all->size() != e.size) __builtin_trap();
        return {};
      },
      options);
  return 0;
}
