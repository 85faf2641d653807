// libFuzzer target for pip requirements files with their includes (outside input: a project's
// requirements.txt and every file it reaches through -r/-c). The input is a small tree: NUL bytes
// split it into requirements.txt, constraints.txt, sub/more.txt and sub/deeper/c.txt (a missing
// part is a missing file), written into a scratch project folder that also holds a local package
// folder (pkg/) and a wheel (dist/) for -e, paths and -f to find.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "detectors/requirements.hpp"
#include "fuzz_support.hpp"

namespace fs = std::filesystem;

namespace {
const fs::path& project() {
  static const fs::path root = [] {
    const fs::path& r = mlpack::fuzz::scratch("fuzz-requirements");
    fs::create_directories(r / "sub" / "deeper");
    fs::create_directories(r / "pkg");
    fs::create_directories(r / "dist");
    mlpack::fuzz::put(r / "pkg" / "pyproject.toml", "[project]\nname = \"pkg\"\nversion = \"1\"\n");
    mlpack::fuzz::put(r / "dist" / "demo-1.0-py3-none-any.whl", "PK\5\6" + std::string(18, '\0'));
    return r;
  }();
  return root;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 18)) return 0;
  const fs::path& root = project();
  static const fs::path names[] = {"requirements.txt", "constraints.txt", "sub/more.txt", "sub/deeper/c.txt"};
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (std::size_t i = 0; i < std::size(names); ++i) {
    std::error_code ec;
    if (i > 0 && rest.data() == nullptr) {
      fs::remove(root / names[i], ec);
      continue;
    }
    const auto nul = rest.find('\0');
    mlpack::fuzz::put(root / names[i], rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  mlpack::detectors::RequirementsOptions options;
  options.environment.set("TOKEN", "s3cret");
  options.environment.set("INDEX", "https://pypi.example/simple");
  auto r = mlpack::detectors::parse_requirements_file("requirements.txt", root, options);
  mlpack::fuzz::check_error(r);
  if (r) {
    if (r->files.empty() || r->files.front() != "requirements.txt") __builtin_trap();
    for (const auto& f : r->files)
      if (fs::path(f).is_absolute() || f.starts_with("..")) __builtin_trap();  // never outside the project
  }
  return mlpack::fuzz::finish();
}
