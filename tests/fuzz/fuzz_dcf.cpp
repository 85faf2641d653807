// libFuzzer target for DCF / deb822 paragraphs (outside input: R DESCRIPTION files in projects,
// control data in .deb files and Packages indexes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dcf/paragraph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto comments : {mlpack::dcf::Comments::skipped, mlpack::dcf::Comments::refused}) {
    const mlpack::dcf::ParseOptions options{.comments = comments, .max_fields = 64};
    auto paragraphs = mlpack::dcf::parse_paragraphs(text, "fuzz", options);
    if (!paragraphs) continue;
    for (const auto& p : *paragraphs) {
      // What we read we can write, and what we write reads back as the same fields.
      auto again = mlpack::dcf::parse_paragraphs(p.str(), "again", options);
      if (!again || again->size() != 1 || again->front().fields() != p.fields()) __builtin_trap();
    }
  }
  return 0;
}
