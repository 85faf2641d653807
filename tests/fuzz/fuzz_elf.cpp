// libFuzzer target for the ELF dynamic-section reader (outside input: the shared objects R
// packages, wheels and conda packages put into an image), with check_needed run over whatever
// it reads so the search-path handling sees hostile RPATH/RUNPATH strings too.
#include <cstddef>
#include <cstdint>
#include <span>

#include "elf/needed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  auto info = mlpack::elf::read_dynamic(bytes, "fuzz");
  if (!info || !*info) return 0;
  // What is read is bounded by the caps, whatever the file says.
  std::size_t total = (*info)->soname.size() + (*info)->interpreter.size();
  for (const auto& list : {(*info)->needed, (*info)->rpath, (*info)->runpath})
    for (const auto& s : list) total += s.size();
  if (total > mlpack::elf::max_strings_total + mlpack::elf::max_string) __builtin_trap();
  mlpack::elf::ImagePaths image;
  image.add_symlink("lib", "usr/lib");
  image.add_file("usr/lib/x86_64-linux-gnu/libc.so.6");
  const mlpack::elf::Object object{"opt/x/libs/x.so", **info};
  const std::string extra[] = {"usr/lib/R/lib"};
  auto missing = mlpack::elf::check_needed(std::span(&object, 1), image, extra);
  if (missing.size() > (*info)->needed.size()) __builtin_trap();
  return 0;
}
