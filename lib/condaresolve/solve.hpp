#pragma once
// The conda side of lib/resolve: a Provider over channels' repodata that turns match specs into
// candidates (ordered as conda and rattler prefer them), `depends` into requirements and
// `constrains` into conflicts, with the target's virtual packages (never the build machine's) and
// strict channel priority. The generic solver picks the set; failures are explained in its words.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conda/match_spec.hpp"
#include "conda/repodata.hpp"
#include "resolve/resolver.hpp"
#include "util/error.hpp"

namespace mlpack::condaresolve {

using util::Result;

// A package the target provides without installing it (`__glibc 2.36`, `__archspec 1 x86_64`).
struct VirtualPackage {
  std::string name;
  std::string version;
  std::string build = "0";
};

// The kernel every image is assumed to run on. A container uses the host's kernel, which mlpack
// cannot know when it builds, so `__linux` is a floor rather than a measurement: 4.18 (RHEL/CentOS 8),
// the default pixi chose for the same reason (prefix-dev/pixi#1884). conda-forge packages rarely
// constrain `__linux`; those that do need at least this.
inline constexpr std::string_view linux_kernel_floor = "4.18";

// The target's virtual packages: `__unix 0`, `__linux <linux_kernel_floor>`, `__glibc <glibc>`
// (from the base's libc6; left out when `glibc` is empty, a base without glibc), `__archspec 1`
// with build x86_64 / aarch64 / ppc64le / s390x for the OCI arch amd64 / arm64 / ppc64le / s390x,
// and `__cuda <cuda>` only when the project's CUDA setting names a version. Another OCI arch, or a
// glibc or CUDA version that conda cannot parse, is invalid_input.
Result<std::vector<VirtualPackage>> target_virtual_packages(std::string_view oci_arch, std::string_view glibc,
                                                            const std::optional<std::string>& cuda);

// One channel: its records for the target's platform subdir and for noarch (merged; either may be
// absent). `channel` names it in messages and is what `conda-forge::numpy` is compared with: equal,
// or the last segment of a URL (`https://conda.anaconda.org/conda-forge`).
struct ChannelPackages {
  std::string channel;
  std::vector<const conda::Repodata*> subdirs;
};

// A spec the project asks for, with where it was written ("environment.yml:7") and how (`numpy >=1.26`)
// for messages; an empty `text` shows the canonical form (`numpy[version='>=1.26']`).
struct Spec {
  conda::MatchSpec spec;
  std::string origin;
  std::string text;
};

struct Request {
  std::vector<ChannelPackages> channels;  // priority order, highest first
  std::vector<Spec> specs;
  std::vector<VirtualPackage> virtual_packages;
  // conda's default: a name found in a higher channel is taken only from there. Off: every
  // channel's records compete on the candidate order alone (rattler's ChannelPriority::Disabled),
  // the channel order breaking ties.
  bool strict_channel_priority = true;
};

struct Solution {
  std::vector<conda::PackageRecord> packages;  // sorted by name; virtual packages left out
  resolve::SolveStats stats;
};

// Solves `request`. Candidates of a name are ordered as conda/rattler prefer them: fewer
// track_features, higher version, higher build number, then (rattler's tie-break) the best versions
// the dependencies they share allow, newer timestamp (then channel order, subdir, file name, so the
// result never depends on the order of the input records). The target's virtual packages are
// installed (a `constrains` on `__cuda` holds against them), and a spec naming one (`__glibc >=2.17`)
// is met only by them, never by a channel's record. A `constrains` entry limits a name only when it
// is installed. A spec with a channel (`conda-forge::numpy`) takes that name only from that channel,
// whatever its priority, as rattler does. A `depends` or `constrains` entry that does not parse
// makes its record unusable (explained, as rattler does) rather than failing the solve.
//
// Errors: unsatisfiable, explained by lib/resolve with what was set aside and why (strict channel
// priority, a missing or too old virtual package, a constrains, a channel the spec asked for),
// followed by where the request's specs come from; invalid_input for a spec naming no package
// (`*[md5=…]`) or a virtual package that is not `__…` or has a version conda cannot parse.
Result<Solution> solve(const Request& request);

}  // namespace mlpack::condaresolve
