// libFuzzer target for the zip reader (outside input: wheels from any index): the directory is
// read from memory, then every member read whole (checked by its CRC-32) and streamed. Bounds,
// overlaps, sizes that lie and corrupt deflate data must be errors, never crashes or reads
// outside the input; memory stays within the declared sizes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "archive/zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace archive = mlpack::archive;
  auto zip = archive::ZipReader::open(archive::memory_access(std::string(reinterpret_cast<const char*>(data), size)));
  if (!zip) return 0;
  for (const auto& m : zip->members()) {
    // A member inside a fuzz input is at most as large as 1032 times the input: skip what would
    // only measure the allocator.
    if (m.size > (64u << 20)) continue;
    if (m.size <= archive::zip_one_shot_limit) {
      auto whole = zip->read(m, archive::Crc::check);
      if (whole && whole->size() != m.size) __builtin_trap();
    }
    auto stream = zip->open_member(m);
    if (!stream) continue;
    auto all = mlpack::util::read_all(**stream, 64 << 20);
    if (all && all->size() != m.size) __builtin_trap();
  }
  return 0;
}
