// libFuzzer target for conda environment files (outside input: a project's environment.yml,
// conda-lock.yml and @EXPLICIT lock files). The parsers read files, so each input is written to
// one in a scratch project folder made once per process.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "detectors/conda_env.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& scratch() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "fuzz-conda-env-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    return fs::path(tmpl);
  }();
  return dir;
}

void put(const fs::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                 static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& root = scratch();
  put(root / "environment.yml", data, size);
  (void)mlpack::detectors::parse_conda_environment(root / "environment.yml", root);
  put(root / "conda-lock.yml", data, size);
  (void)mlpack::detectors::parse_conda_lock(root / "conda-lock.yml", root);
  put(root / "conda-linux-64.lock", data, size);
  (void)mlpack::detectors::parse_explicit_environment(root / "conda-linux-64.lock", root);
  return 0;
}
