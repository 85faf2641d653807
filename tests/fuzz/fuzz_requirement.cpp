// libFuzzer target for PEP 508 requirements and markers (outside input: Requires-Dist lines in
// index metadata, requirements.txt lines).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pypi/requirement.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const auto env = [] {
    mlpack::pypi::Target t;
    t.python_major = 3;
    t.python_minor = 12;
    return mlpack::pypi::MarkerEnvironment::for_target(t, "3.12.1");
  }();
  if (auto r = mlpack::pypi::Requirement::parse(text)) {
    // What we print we can parse, and it means the same requirement (backslash escapes aside,
    // which packaging cannot round-trip either).
    if (text.find('\\') == std::string_view::npos) {
      auto again = mlpack::pypi::Requirement::parse(r->str());
      if (!again || !(*again == *r)) __builtin_trap();
    }
    std::string extras[] = {"test"};
    (void)r->applies(env, extras);
  }
  if (auto m = mlpack::pypi::Marker::parse(text)) (void)m->evaluate(env);
  return 0;
}
