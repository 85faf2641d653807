#pragma once
// The layer planner every ecosystem's packages go through (issue 17): which packages share an
// image layer, within a budget of layers for the whole image. Pure and deterministic: no I/O, no
// clock, and the same set of packages gives the same plan in whatever order it is given. The
// algorithm, its defaults and what it keeps stable are in lib/layerplan/README.md.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::layerplan {

using util::Result;

inline constexpr std::uint64_t MiB = std::uint64_t{1} << 20;

// One installed package, as the lock knows it.
struct Package {
  std::string ecosystem;  // "deb", "pypi", "conda", "cran": layers never mix ecosystems
  std::string name;       // unique within its ecosystem; the bucket a package falls in hashes it
  std::string version;    // shown in descriptions; never moves a package to another layer
  std::uint64_t size = 0;  // installed bytes
  // Names of packages of the same ecosystem in the same input it needs; other names are ignored.
  std::vector<std::string> depends;
  // How often it changes, set by the caller; layers go bottom to top by tier. The convention:
  // 0 OS core, 1 runtimes, 2 shared libraries, 3 project-specific packages.
  int tier = 0;
};

struct Options {
  // Layers in the whole image, the base image's included. containerd refuses more than 127; 100
  // leaves room for a consumer's own layers on top (README.md, "Defaults").
  std::size_t budget = 100;
  std::size_t base_layers = 0;  // layers the base image already has
  std::size_t reserved = 0;     // layers the caller adds beside the plan (dpkg database, /app, metadata)
  // A package at least this big is worth a layer of its own.
  std::uint64_t own_layer_size = 4 * MiB;
  // So is one that at least this many packages of the input depend on, directly or not
  // ("popularity", as Nix counts it), when it is at least popular_min_size big.
  std::size_t popular_dependents = 16;
  std::uint64_t popular_min_size = 1 * MiB;
  // Buckets the other packages of one (tier, ecosystem) group are hashed into; a power of two.
  std::size_t buckets_per_group = 8;
  // Own-layer slots kept before the bucket count is halved to fit a tight budget.
  std::size_t min_own_layers = 8;
};

enum class LayerKind { own, bucket };

struct PlannedLayer {
  LayerKind kind = LayerKind::bucket;
  std::string ecosystem;
  int tier = 0;
  // Indexes into the input, sorted by name. Never empty.
  std::vector<std::size_t> packages;
  std::uint64_t size = 0;  // the members' installed bytes
  // Stable identity: "deb:libc6" for a package alone, "deb:@tier2-bucket-3-of-8" for a bucket
  // ('@' is in no ecosystem's package names). Two plans' layers with the same key and the same
  // members at the same versions hold the same files.
  std::string key;
  // History text: names the packages, never the project. "deb: libc6 2.36-9";
  // "deb: 14 packages (tier 2, bucket 3 of 8): a 1.0, b 2.1, …".
  std::string description;
  std::size_t bucket = 0;   // for buckets: which one, of
  std::size_t buckets = 0;  // how many in its group
};

struct Plan {
  // Bottom to top: by tier; within a tier by ecosystem; own layers first, the most depended-on
  // lowest, then buckets by number. Every input package is in exactly one layer.
  std::vector<PlannedLayer> layers;
  std::size_t buckets_per_group = 0;  // after halving for the budget
  std::size_t own_slots = 0;          // own layers the budget allowed
  // Packages that qualified for a layer of their own but found no slot (the smallest ones).
  std::vector<std::size_t> demoted;
};

// Plans the layers for `packages`. Errors (invalid_input): an empty or malformed ecosystem or
// name, a name listed twice in one ecosystem, a negative tier, buckets_per_group not a power of
// two, or a budget that cannot hold the base image's layers, the reserved ones and one layer per
// (tier, ecosystem) group that has packages.
Result<Plan> plan(std::span<const Package> packages, const Options& options = {});

// For each package, how many other packages of the input depend on it directly or through
// others (within its ecosystem). O(N·(N+E)).
std::vector<std::size_t> popularity(std::span<const Package> packages);

// The bucket (0 ≤ result < buckets, a power of two) a package name falls in: the first 8 bytes of
// sha256(name), big-endian, modulo `buckets`. Halving the count merges buckets i and i + n/2.
std::size_t bucket_of(std::string_view name, std::size_t buckets);

}  // namespace mlpack::layerplan
