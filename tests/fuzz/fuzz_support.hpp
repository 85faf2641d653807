#pragma once
// Shared by the fuzz targets whose parsers read files: a scratch folder made once per process
// (under the system temp dir; nothing else on the file system is written), and the check that an
// error message quoting outside text went through util::printable_excerpt.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace mlpack::fuzz {

namespace fs = std::filesystem;

inline const fs::path& scratch(const char* name) {
  static const fs::path dir = [name] {
    std::string tmpl = (fs::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    return fs::path(tmpl);
  }();
  return dir;
}

inline void put(const fs::path& path, std::string_view data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Messages may span lines, but a terminal must show what they quote rather than obey it: no
// escape, NUL, carriage return or other C0 control besides newline and tab, and no DEL. A bad
// message is noted, and the input fails at finish(), so every parser of a target still runs.
inline bool& bad_message() {
  static bool bad = false;
  return bad;
}

inline void check_message(std::string_view message) {
  for (unsigned char c : message)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) bad_message() = true;
}

template <class R>
void check_error(const R& r) {
  if (!r) check_message(r.error().message);
}

// Call last in LLVMFuzzerTestOneInput.
inline int finish() {
  if (bad_message()) __builtin_trap();
  return 0;
}

}  // namespace mlpack::fuzz
