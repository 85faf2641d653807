// libFuzzer target for conda's version, version-spec and MatchSpec parsers (outside input: specs
// in environment.yml files and in every channel's repodata depends/constrains).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conda/match_spec.hpp"
#include "conda/version.hpp"
#include "conda/version_spec.hpp"

using namespace mlpack::conda;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A version reads back from its own text as the same version, with the same hash.
  if (auto v = Version::parse(text)) {
    auto again = Version::parse(v->str());
    if (!again || *again != *v || again->hash() != v->hash()) __builtin_trap();
    if (auto spec = VersionSpec::parse(text)) (void)spec->matches(*v);
  }
  if (auto spec = VersionSpec::parse(text)) {
    if (auto one = Version::parse("1.0")) (void)spec->matches(*one);
  }
  if (auto ms = MatchSpec::parse(text)) {
    (void)ms->str();
    PackageRecord record;
    record.name = "numpy";
    record.version = "1.26.4";
    record.build = "py311h64a7726_0";
    (void)ms->matches(record);
  }
  return 0;
}
