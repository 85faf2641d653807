// libFuzzer target for the registry reference and location parsers (outside input: flags, config).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/location.hpp"
#include "oci/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ref = mlpack::oci::Reference::parse(text)) {
    // A parsed reference must print to something that parses back to the same reference.
    auto again = mlpack::oci::Reference::parse(ref->str());
    if (!again || again->str() != ref->str()) __builtin_trap();
  }
  (void)mlpack::image::Location::parse(text);
  return 0;
}
