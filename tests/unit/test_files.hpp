#pragma once
// Writing the files a test needs, for tests of every module.
#include <filesystem>
#include <fstream>
#include <string>

namespace mlpack::test {

// Writes `text` to `path`, making its folders first.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace mlpack::test
