#pragma once
// Wheel compatibility tags: PEP 425 tag sets, manylinux (PEP 600 with its legacy
// aliases), musllinux (PEP 656), and the ordered list of tags a target accepts.
//
// Everything here describes the *target* (the image's interpreter and base), never
// the host: no function looks at the running system.
#include <compare>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace mlpack::pypi {

// One expanded tag, always lowercase: "cp311", "abi3", "manylinux_2_17_x86_64".
struct Tag {
  std::string interpreter;
  std::string abi;
  std::string platform;

  std::string to_string() const;  // "cp311-abi3-manylinux_2_17_x86_64"
  auto operator<=>(const Tag&) const = default;
};

// Parses a (possibly compressed) tag set such as "py2.py3-none-any" into its
// expanded tags, lowercased, sorted and without duplicates. invalid_input when a
// component is empty, there are not exactly three `-` parts, or an interpreter is
// not `[a-z_][a-z0-9_]*`.
util::Result<std::vector<Tag>> parse_tag(std::string_view tag_set);

// Where the native `linux_<arch>` platform goes among the Linux platforms.
// pip (packaging < 26.3) and uv put it last; packaging >= 26.3 puts it first
// because a locally built wheel is the most specific match.
enum class NativeLinuxTag { last, first };

// The interpreter and base image a wheel must suit.
struct Target {
  int python_major = 3;
  int python_minor = 0;
  std::string implementation = "cp";  // PEP 425 abbreviation: cp, pp, graalpy…
  std::string arch = "x86_64";        // uname -m of the target: x86_64, aarch64, armv8l…
  std::optional<std::pair<int, int>> glibc;  // from the target base image, not the host
  std::optional<std::pair<int, int>> musl;   // likewise (Alpine bases)
  NativeLinuxTag native_linux = NativeLinuxTag::last;
};

// The architectures a Linux target also runs: armv8l also runs armv7l wheels.
std::vector<std::string> linux_archs(std::string_view arch);

// manylinux platforms for a glibc version, best first: manylinux_X_Y_<arch> from
// the given version down to 2_5 (x86_64, i686) or 2_17 (others), each legacy alias
// (manylinux2014 = 2_17, manylinux2010 = 2_12, manylinux1 = 2_5) right after its
// PEP 600 equivalent. For glibc 3.x the 2.x series continues from 2_50. Per arch, in
// the order given.
std::vector<std::string> manylinux_platforms(std::pair<int, int> glibc,
                                             std::span<const std::string> archs);

// musllinux_X_Y_<arch> from the given musl minor down to 0, per arch in order.
std::vector<std::string> musllinux_platforms(std::pair<int, int> musl,
                                             std::span<const std::string> archs);

// The target's platforms, best first: manylinux, then musllinux, with `linux_<arch>`
// first or last as target.native_linux says.
std::vector<std::string> platform_tags(const Target& target);

// packaging's cpython_tags(): `python_version` is [major] or [major, minor]; `abis`
// are tried first ("abi3" and "none" in it are ignored; a "cp3XYt" abi selects abi3t),
// then the stable ABI, then "none", then the stable ABI of older minors down to 3.2.
std::vector<Tag> cpython_tags(std::span<const int> python_version,
                              std::span<const std::string> abis,
                              std::span<const std::string> platforms);

// packaging's generic_tags(): each abi (plus "none") for each platform.
std::vector<Tag> generic_tags(std::string_view interpreter, std::vector<std::string> abis,
                              std::span<const std::string> platforms);

// packaging's compatible_tags(): pure-Python fallbacks. pyXY, pyX, then pyX(Y-1)…pyX0
// on each platform; then `<interpreter>-none-any` (when non-empty), then the same
// py* series with `any`.
std::vector<Tag> python_tags(std::span<const int> python_version, std::string_view interpreter,
                             std::span<const std::string> platforms);

// Every tag the target accepts, best first, as pip's sys_tags() orders them.
// CPython gets cpython_tags with abi cpXY; other implementations get generic_tags
// with abi "none" only (their ABI names are not derivable from a version).
std::vector<Tag> compatible_tags(const Target& target);

// Ranks wheels against an ordered list of supported tags (lower is better).
class TagRanker {
 public:
  explicit TagRanker(std::vector<Tag> supported);
  explicit TagRanker(const Target& target) : TagRanker(compatible_tags(target)) {}

  // Best (lowest) index of any of the wheel's tags; nullopt when none is supported.
  std::optional<std::size_t> rank(std::span<const Tag> wheel_tags) const;

  const std::vector<Tag>& supported() const { return supported_; }

 private:
  std::vector<Tag> supported_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace mlpack::pypi
