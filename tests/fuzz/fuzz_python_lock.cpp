// libFuzzer target for the Python lockfiles mlpack imports as they are (outside input: uv.lock,
// poetry.lock, Pipfile.lock, pylock.toml). The first input byte picks the format (and whether
// extras and groups are selected); the rest is written under that name into a scratch project
// folder and read by import_lockfile, as the Python buildpack does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detectors/python_lockfiles.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  static const char* names[] = {"uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml"};
  static const auto env = [] {
    mlpack::pypi::Target t;
    t.python_major = 3;
    t.python_minor = 12;
    return mlpack::pypi::MarkerEnvironment::for_target(t, "3.12.1");
  }();
  const auto& root = mlpack::fuzz::scratch("fuzz-python-lock");
  const char* name = names[data[0] % 4];
  mlpack::fuzz::put(root / name, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  mlpack::detectors::LockSelection selection;
  if (data[0] & 4) selection.extras = {"test", "gpu"};
  if (data[0] & 8) selection.groups = {"dev", "develop", "docs"};
  auto lock = mlpack::detectors::import_lockfile(root / name, root, env, selection);
  mlpack::fuzz::check_error(lock);
  if (lock) {
    for (std::size_t i = 0; i < lock->distributions.size(); ++i) {
      const auto& d = lock->distributions[i];
      if (d.name.empty()) __builtin_trap();
      if (i > 0 && lock->distributions[i - 1].name > d.name) __builtin_trap();  // sorted by name
    }
  }
  return mlpack::fuzz::finish();
}
