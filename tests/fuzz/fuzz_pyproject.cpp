// libFuzzer target for pyproject.toml (outside input: a project's PEP 621 [project] table and
// PEP 735 [dependency-groups]), written into a scratch project folder and read by parse_pyproject.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detectors/pyproject.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 18)) return 0;
  const auto& root = mlpack::fuzz::scratch("fuzz-pyproject");
  mlpack::fuzz::put(root / "pyproject.toml", std::string_view(reinterpret_cast<const char*>(data), size));
  auto p = mlpack::detectors::parse_pyproject("pyproject.toml", root);
  mlpack::fuzz::check_error(p);
  if (p) {
    if (!p->has_project && (p->name || !p->dependencies.empty())) __builtin_trap();
    for (const auto& [group, reqs] : p->dependency_groups)
      if (group.empty()) __builtin_trap();
  }
  return mlpack::fuzz::finish();
}
