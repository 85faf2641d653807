// libFuzzer target for manifest, index and config parsing (outside input: registries, archives).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = mlpack::oci::parse_manifest(text)) {
    // What we parse we can write, and what we write we can parse.
    if (!mlpack::oci::parse_manifest(mlpack::oci::to_json(*m))) __builtin_trap();
  }
  if (auto i = mlpack::oci::parse_index(text)) (void)mlpack::oci::to_json(*i);
  if (auto c = mlpack::oci::parse_config(text)) {
    if (!mlpack::oci::parse_config(mlpack::oci::to_json(*c))) __builtin_trap();
  }
  (void)mlpack::oci::detect_media_type(text);
  return 0;
}
