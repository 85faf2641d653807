#pragma once
// An object's DT_SONAME read through the program headers (the loader's view) from only the few
// ranges of the file that hold it: the ELF header, the program headers, the dynamic array and one
// string. For files too large to read whole (a 500 MiB libcublasLt) and for files that pass by
// once as a stream (a member of a package archive written into a layer). Bounded like
// read_dynamic: every offset is checked against what the reader could give.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mlpack::elf {

// Up to `size` bytes of the file from `offset` (fewer at its end or where the reader holds no
// more); nullopt when it has nothing at `offset`.
using ReadAt = std::function<std::optional<std::string>(std::uint64_t offset, std::size_t size)>;

// The DT_SONAME of the ELF file `read` reads, from PT_DYNAMIC and DT_STRTAB mapped through the
// PT_LOAD segments. nullopt when it is not ELF, has no program headers, no dynamic segment or no
// DT_SONAME, or when something needed is out of reach or inconsistent: the caller then knows no
// name, which is never an error (the file is still written as it is; only what is said about it
// is less).
std::optional<std::string> read_soname(const ReadAt& read);

// The same over bytes in memory (the whole file, or its first bytes).
std::optional<std::string> soname_from_head(std::span<const std::byte> head);
std::optional<std::string> soname_from_head(std::string_view head);

// The same over a file that passes by once, front to back (feed() each chunk in order): keeps its
// first `head_size` bytes and, once the program headers have said where it is, the dynamic array
// wherever it lies (linkers put it in the writable segment, after the code, deep in a large
// library). The string table is found when it lies in the head, as linkers put it in the first
// segment. Memory: head_size plus at most 1 MiB of dynamic array.
class SonameStream {
 public:
  static constexpr std::size_t default_head_size = 4 * 1024 * 1024;
  explicit SonameStream(std::size_t head_size = default_head_size) : head_size_(head_size) {}
  void feed(std::span<const std::byte> chunk);
  void feed(std::string_view chunk);
  std::optional<std::string> soname() const;

 private:
  void locate_dynamic();
  std::size_t head_size_;
  std::string head_;
  std::uint64_t position_ = 0;
  bool located_ = false;  // the program headers were read (dynamic_ is set when there is one)
  std::optional<std::pair<std::uint64_t, std::uint64_t>> dynamic_;  // offset, size
  std::string dynamic_bytes_;                                        // captured from dynamic_->first
};

}  // namespace mlpack::elf
