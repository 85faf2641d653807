#include "layerplan/plan.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::layerplan {

namespace {

// Names quoted in messages and written into keys: printable, no spaces, no '@' (the mark of a
// bucket key) and, for an ecosystem, no ':' (the key's separator).
bool valid_token(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '@') return false;
    if (c == ':' && !allow_colon) return false;
  }
  return true;
}

Result<void> validate(std::span<const Package> packages, const Options& options) {
  if (options.buckets_per_group == 0 || !std::has_single_bit(options.buckets_per_group))
    return util::fail(util::ErrorKind::invalid_input,
                      fmt::format("layer plan: buckets per group must be a power of two, not {}",
                                  options.buckets_per_group));
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> seen;
  for (std::size_t i = 0; i < packages.size(); ++i) {
    const auto& p = packages[i];
    if (!valid_token(p.ecosystem, false))
      return util::fail(util::ErrorKind::invalid_input,
                        fmt::format("layer plan: package {} has an invalid ecosystem `{}`", i,
                                    util::printable_excerpt(p.ecosystem, 40)));
    if (!valid_token(p.name, true))
      return util::fail(util::ErrorKind::invalid_input,
                        fmt::format("layer plan: {} package {} has an invalid name `{}`", p.ecosystem, i,
                                    util::printable_excerpt(p.name, 80)));
    if (p.tier < 0)
      return util::fail(util::ErrorKind::invalid_input,
                        fmt::format("layer plan: package `{}:{}` has a negative tier {}", p.ecosystem, p.name, p.tier));
    if (!seen.emplace(std::pair{std::string_view(p.ecosystem), std::string_view(p.name)}, i).second)
      return util::fail(util::ErrorKind::invalid_input,
                        fmt::format("layer plan: package `{}:{}` is listed twice", p.ecosystem, p.name));
  }
  return {};
}

// Input indexes in (ecosystem, name) order: everything below walks this order, never the input's.
std::vector<std::size_t> canonical_order(std::span<const Package> packages) {
  std::vector<std::size_t> order(packages.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::ranges::sort(order, [&](std::size_t a, std::size_t b) {
    return std::tie(packages[a].ecosystem, packages[a].name) < std::tie(packages[b].ecosystem, packages[b].name);
  });
  return order;
}

std::string describe_own(const Package& p) {
  return p.version.empty() ? fmt::format("{}: {}", p.ecosystem, p.name)
                           : fmt::format("{}: {} {}", p.ecosystem, p.name, p.version);
}

// History text names at most this many members; the rest are counted.
constexpr std::size_t described_members = 20;

std::string describe_bucket(std::span<const Package> packages, const PlannedLayer& layer) {
  std::string text = fmt::format("{}: {} package{} (tier {}, bucket {} of {}): ", layer.ecosystem,
                                 layer.packages.size(), layer.packages.size() == 1 ? "" : "s", layer.tier,
                                 layer.bucket, layer.buckets);
  for (std::size_t k = 0; k < layer.packages.size() && k < described_members; ++k) {
    const auto& p = packages[layer.packages[k]];
    if (k) text += ", ";
    text += p.name;
    if (!p.version.empty()) text += " " + p.version;
  }
  if (layer.packages.size() > described_members)
    text += fmt::format(" and {} more", layer.packages.size() - described_members);
  return text;
}

}  // namespace

std::size_t bucket_of(std::string_view name, std::size_t buckets) {
  if (buckets <= 1) return 0;
  const std::string hex = util::Digest::sha256_of(name).hex();
  std::uint64_t h = 0;
  for (std::size_t k = 0; k < 16; ++k) {
    const char c = hex[k];
    h = (h << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return static_cast<std::size_t>(h % buckets);
}

std::vector<std::size_t> popularity(std::span<const Package> packages) {
  std::unordered_map<std::string, std::size_t> index;  // "ecosystem\0name" -> input index
  for (std::size_t i = 0; i < packages.size(); ++i)
    index.emplace(packages[i].ecosystem + '\0' + packages[i].name, i);
  std::vector<std::vector<std::size_t>> edges(packages.size());
  for (std::size_t i = 0; i < packages.size(); ++i)
    for (const auto& d : packages[i].depends)
      if (auto it = index.find(packages[i].ecosystem + '\0' + d); it != index.end() && it->second != i)
        edges[i].push_back(it->second);

  // A walk from every package; each package it reaches has one more dependent. Cycles are fine:
  // a package reached twice in one walk is counted once, and never counts itself.
  std::vector<std::size_t> count(packages.size(), 0);
  std::vector<std::size_t> mark(packages.size(), SIZE_MAX);
  std::vector<std::size_t> stack;
  for (std::size_t from = 0; from < packages.size(); ++from) {
    mark[from] = from;
    stack.assign(1, from);
    while (!stack.empty()) {
      const std::size_t at = stack.back();
      stack.pop_back();
      for (std::size_t to : edges[at])
        if (mark[to] != from) {
          mark[to] = from;
          ++count[to];
          stack.push_back(to);
        }
    }
  }
  return count;
}

Result<Plan> plan(std::span<const Package> packages, const Options& options) {
  TRY(validate(packages, options));
  const auto order = canonical_order(packages);

  // Groups: the (tier, ecosystem) pairs that have packages; each needs at least one layer.
  std::map<std::pair<int, std::string>, std::vector<std::size_t>> groups;  // members in name order
  for (std::size_t i : order) groups[{packages[i].tier, packages[i].ecosystem}].push_back(i);

  // Compared by subtraction: a base's layer count comes from outside and must not wrap around.
  if (options.base_layers > options.budget || options.reserved > options.budget - options.base_layers ||
      groups.size() > options.budget - options.base_layers - options.reserved)
    return util::fail(
        util::ErrorKind::invalid_input,
        fmt::format("a budget of {} layers cannot hold the base image's {}, the {} added beside the packages "
                    "and one for each of the {} tier and ecosystem groups; raise the layer budget (at most "
                    "127, containerd's limit) or choose a base image with fewer layers",
                    options.budget, options.base_layers, options.reserved, groups.size()));
  const std::size_t available = options.budget - options.base_layers - options.reserved;

  // Bucket slots depend on the budget and the number of groups only, never on what the groups
  // hold, so adding a package never rehashes a group. Empty buckets keep their slot.
  std::size_t buckets = options.buckets_per_group;
  while (buckets > 1 && groups.size() * buckets + options.min_own_layers > available) buckets /= 2;
  Plan result;
  result.buckets_per_group = buckets;
  result.own_slots = available - groups.size() * buckets;

  // Own layers: the packages that qualify, biggest first (size is the package's own property, so
  // the ranking moves only when a bigger package comes or goes), names breaking ties.
  const auto popular = popularity(packages);
  std::vector<std::size_t> candidates;
  for (std::size_t i : order) {
    const auto& p = packages[i];
    if (p.size >= options.own_layer_size ||
        (popular[i] >= options.popular_dependents && p.size >= options.popular_min_size))
      candidates.push_back(i);
  }
  std::ranges::stable_sort(candidates, [&](std::size_t a, std::size_t b) { return packages[a].size > packages[b].size; });
  std::vector<bool> own(packages.size(), false);
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    if (k < result.own_slots) own[candidates[k]] = true;
    else result.demoted.push_back(candidates[k]);
  }
  std::ranges::sort(result.demoted, [&](std::size_t a, std::size_t b) {
    return std::tie(packages[a].ecosystem, packages[a].name) < std::tie(packages[b].ecosystem, packages[b].name);
  });

  for (const auto& [group, members] : groups) {
    const auto& [tier, ecosystem] = group;
    std::vector<PlannedLayer> own_layers;
    std::vector<PlannedLayer> bucket_layers(buckets);
    for (std::size_t i : members) {
      const auto& p = packages[i];
      if (own[i]) {
        PlannedLayer layer;
        layer.kind = LayerKind::own;
        layer.ecosystem = ecosystem;
        layer.tier = tier;
        layer.packages = {i};
        layer.size = p.size;
        layer.key = ecosystem + ":" + p.name;
        layer.description = describe_own(p);
        own_layers.push_back(std::move(layer));
      } else {
        auto& layer = bucket_layers[bucket_of(p.name, buckets)];
        layer.packages.push_back(i);  // members arrive in name order
        layer.size += p.size;
      }
    }
    // The most depended-on lowest, so images that share them share a longer prefix of layers
    // (runtimes identify unpacked layers by the chain below them).
    std::ranges::stable_sort(own_layers, [&](const PlannedLayer& a, const PlannedLayer& b) {
      return popular[a.packages.front()] > popular[b.packages.front()];
    });
    for (auto& layer : own_layers) result.layers.push_back(std::move(layer));
    for (std::size_t b = 0; b < buckets; ++b) {
      auto& layer = bucket_layers[b];
      if (layer.packages.empty()) continue;
      layer.kind = LayerKind::bucket;
      layer.ecosystem = ecosystem;
      layer.tier = tier;
      layer.bucket = b;
      layer.buckets = buckets;
      layer.key = fmt::format("{}:@tier{}-bucket-{}-of-{}", ecosystem, tier, b, buckets);
      layer.description = describe_bucket(packages, layer);
      result.layers.push_back(std::move(layer));
    }
  }
  return result;
}

}  // namespace mlpack::layerplan
