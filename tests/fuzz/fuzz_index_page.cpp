// libFuzzer target for what Python package indexes send: simple-API pages (HTML and JSON) and
// core metadata.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pyindex/index.hpp"
#include "pyindex/simple_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view page = "https://example.org/simple/demo/";
  (void)mlpack::pyindex::parse_html_page(text, page, "https://example.org/simple/");
  (void)mlpack::pyindex::parse_json_page(text, page, "https://example.org/simple/");
  (void)mlpack::pyindex::parse_core_metadata(text);
  return 0;
}
