// libFuzzer target for conda's repodata.json reader (outside input: every channel's index, up to
// hundreds of MB from servers we do not control). Whatever it accepts keeps its promises: one
// record per name-version-build, sorted, each with its subdir, URL and well-formed hashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conda/repodata.hpp"
#include "conda/version.hpp"

using namespace mlpack::conda;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_repodata(text, "https://conda.example/channel", "fuzz/repodata.json");
  if (!r) return 0;
  if (r->subdir.empty()) __builtin_trap();
  const PackageRecord* previous = nullptr;
  for (const auto& p : r->packages) {
    if (p.name.empty() || p.version.empty() || p.subdir != r->subdir) __builtin_trap();
    if (!p.url.ends_with(p.fn)) __builtin_trap();
    if (!p.sha256.empty() && p.sha256.size() != 64) __builtin_trap();
    if (!p.md5.empty() && p.md5.size() != 32) __builtin_trap();
    if (!(p.noarch.empty() || p.noarch == "python" || p.noarch == "generic")) __builtin_trap();
    auto v = Version::parse(p.version);
    if (!v) __builtin_trap();  // the reader refuses versions it cannot order
    if (previous && previous->name == p.name && *Version::parse(previous->version) > *v) __builtin_trap();
    if (previous && previous->name > p.name) __builtin_trap();
    previous = &p;
  }
  return 0;
}
