#include <doctest/doctest.h>

#include "skip.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "layerplan/plan.hpp"

using namespace mlpack;
using layerplan::LayerKind;
using layerplan::MiB;
using layerplan::Options;
using layerplan::Package;
using layerplan::Plan;
using namespace mlpack::test::layerplan_fixtures;

namespace {

Package pkg(std::string name, std::uint64_t size, int tier = 3, std::vector<std::string> depends = {},
            std::string version = "1.0", std::string ecosystem = "deb") {
  return Package{std::move(ecosystem), std::move(name), std::move(version), size, std::move(depends), tier};
}

// The plan as names, so plans of differently ordered inputs can be compared.
std::vector<std::string> rendered(const Plan& plan, const std::vector<Package>& input) {
  std::vector<std::string> out;
  for (const auto& layer : plan.layers) {
    std::string line = layer.key + " [" + layer.description + "] " + std::to_string(layer.size) + ":";
    for (auto i : layer.packages) line += " " + input[i].name;
    out.push_back(line);
  }
  return out;
}

const layerplan::PlannedLayer* layer_of(const Plan& plan, const std::vector<Package>& input, std::string_view name) {
  for (const auto& layer : plan.layers)
    for (auto i : layer.packages)
      if (input[i].name == name) return &layer;
  return nullptr;
}

std::set<std::string> own_names(const Plan& plan, const std::vector<Package>& input) {
  std::set<std::string> out;
  for (const auto& layer : plan.layers)
    if (layer.kind == LayerKind::own) out.insert(input[layer.packages.front()].name);
  return out;
}

// Packages other than `except` that gained or lost a layer of their own between the plans.
std::size_t own_flips(const Plan& a, const std::vector<Package>& ia, const Plan& b, const std::vector<Package>& ib,
                      const std::string& except) {
  auto x = own_names(a, ia), y = own_names(b, ib);
  x.erase(except);
  y.erase(except);
  std::vector<std::string> diff;
  std::ranges::set_symmetric_difference(x, y, std::back_inserter(diff));
  return diff.size();
}

void check_partition(const Plan& plan, std::size_t count) {
  std::vector<int> seen(count, 0);
  for (const auto& layer : plan.layers) {
    CHECK_FALSE(layer.packages.empty());
    for (auto i : layer.packages) ++seen.at(i);
  }
  for (auto n : seen) CHECK(n == 1);
}

}  // namespace

TEST_CASE("popularity counts every package that depends on one, directly or not, once") {
  std::vector<Package> in{pkg("app", 1, 3, {"lib", "libc"}), pkg("lib", 1, 2, {"libc", "missing"}),
                          pkg("libc", 1, 0, {"libc"}),  // a self-dependency counts nothing
                          pkg("a", 1, 3, {"b"}), pkg("b", 1, 3, {"a"}),  // a cycle
                          pkg("libc", 1, 0, {}, "1.0", "pypi"),          // another ecosystem's namesake
                          pkg("tool", 1, 3, {"libc"}, "1.0", "pypi")};
  auto pop = layerplan::popularity(in);
  CHECK(pop == std::vector<std::size_t>{0, 1, 2, 1, 1, 1, 0});
}

TEST_CASE("buckets come from the name alone, and halving the count merges bucket i with i + n/2") {
  CHECK(layerplan::bucket_of("libc6", 1) == 0);
  std::set<std::size_t> used;
  for (int k = 0; k < 200; ++k) {
    const std::string name = "package-" + std::to_string(k);
    const auto b8 = layerplan::bucket_of(name, 8);
    CHECK(b8 < 8);
    CHECK(layerplan::bucket_of(name, 4) == b8 % 4);
    CHECK(layerplan::bucket_of(name, 2) == b8 % 2);
    CHECK(layerplan::bucket_of(name, 16) % 8 == b8);
    used.insert(b8);
  }
  CHECK(used.size() == 8);
  // Pinned: a change of hash would move every package of every image to another layer.
  CHECK(layerplan::bucket_of("libc6", 8) == 2);
  CHECK(layerplan::bucket_of("six", 8) == 6);
  CHECK(layerplan::bucket_of("numpy", 1u << 20) == 0x438da);
}

TEST_CASE("big packages get layers of their own; the rest share buckets by tier; keys and history") {
  std::vector<Package> in{pkg("torch", 700 * MiB, 3, {}, "2.3.0", "pypi"), pkg("six", 40 * 1024, 3, {}, "1.16.0", "pypi"),
                          pkg("idna", 200 * 1024, 3, {}, "3.7", "pypi"), pkg("libc6", 12 * MiB, 0, {}, "2.36-9"),
                          pkg("tzdata", 3 * MiB, 0, {}, "2024a-0")};
  auto plan = layerplan::plan(in);
  REQUIRE(plan);
  check_partition(*plan, in.size());
  const auto* torch = layer_of(*plan, in, "torch");
  REQUIRE(torch);
  CHECK(torch->kind == LayerKind::own);
  CHECK(torch->packages.size() == 1);
  CHECK(torch->key == "pypi:torch");
  CHECK(torch->description == "pypi: torch 2.3.0");
  CHECK(torch->size == 700 * MiB);
  const auto* six = layer_of(*plan, in, "six");
  REQUIRE(six);
  CHECK(six->kind == LayerKind::bucket);
  CHECK(six->buckets == 8);
  CHECK(six->bucket == layerplan::bucket_of("six", 8));
  CHECK(six->key == "pypi:@tier3-bucket-" + std::to_string(six->bucket) + "-of-8");
  CHECK(six->description.starts_with("pypi: "));
  CHECK(six->description.find("(tier 3, bucket " + std::to_string(six->bucket) + " of 8): ") != std::string::npos);
  CHECK(six->description.find("six 1.16.0") != std::string::npos);
  // Bottom to top: tier 0 (deb) first, own layers before buckets.
  REQUIRE(plan->layers.size() >= 4);
  CHECK(plan->layers[0].key == "deb:libc6");
  CHECK(plan->layers[0].tier == 0);
  CHECK(plan->layers[1].key == "deb:@tier0-bucket-" + std::to_string(layerplan::bucket_of("tzdata", 8)) + "-of-8");
  CHECK(plan->layers[2].key == "pypi:torch");
  for (std::size_t k = 1; k < plan->layers.size(); ++k) CHECK(plan->layers[k - 1].tier <= plan->layers[k].tier);
}

TEST_CASE("a bucket's history names twenty packages and counts the rest") {
  std::vector<Package> in;
  for (int k = 0; k < 400; ++k) in.push_back(pkg("p" + std::to_string(1000 + k), 1024, 2, {}, "1"));
  Options o;
  o.buckets_per_group = 1;
  auto plan = layerplan::plan(in, o);
  REQUIRE(plan);
  REQUIRE(plan->layers.size() == 1);
  CHECK(plan->layers[0].key == "deb:@tier2-bucket-0-of-1");
  CHECK(plan->layers[0].description.starts_with("deb: 400 packages (tier 2, bucket 0 of 1): p1000 1, p1001 1, "));
  CHECK(plan->layers[0].description.ends_with("p1019 1 and 380 more"));
}

TEST_CASE("widely depended-on packages get layers of their own when big enough to be worth one") {
  std::vector<Package> in{pkg("libssl3", 2 * MiB, 2), pkg("libtiny", 100 * 1024, 2), pkg("libalone", 2 * MiB, 2)};
  for (int k = 0; k < 16; ++k) in.push_back(pkg("user" + std::to_string(k), 10 * 1024, 3, {"libssl3", "libtiny"}));
  auto plan = layerplan::plan(in);
  REQUIRE(plan);
  CHECK(layer_of(*plan, in, "libssl3")->kind == LayerKind::own);   // 16 dependents, 2 MiB
  CHECK(layer_of(*plan, in, "libtiny")->kind == LayerKind::bucket);  // 16 dependents, but 100 KiB
  CHECK(layer_of(*plan, in, "libalone")->kind == LayerKind::bucket);  // 2 MiB, nobody needs it
  in.pop_back();  // 15 dependents: below the threshold
  plan = layerplan::plan(in);
  REQUIRE(plan);
  CHECK(layer_of(*plan, in, "libssl3")->kind == LayerKind::bucket);
}

TEST_CASE("the same packages in any order give the same plan") {
  auto in = synthetic(300);
  auto plan = layerplan::plan(in);
  REQUIRE(plan);
  check_partition(*plan, in.size());
  const auto expected = rendered(*plan, in);
  std::mt19937_64 rng(5);
  for (int round = 0; round < 5; ++round) {
    auto shuffled = in;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (auto& p : shuffled) std::shuffle(p.depends.begin(), p.depends.end(), rng);
    auto again = layerplan::plan(shuffled);
    REQUIRE(again);
    CHECK(rendered(*again, shuffled) == expected);
  }
}

TEST_CASE("the budget holds: a base image with 90 layers leaves few, and one over the budget is refused") {
  auto in = synthetic(300);
  Options o;
  o.base_layers = 90;
  o.reserved = 3;
  auto plan = layerplan::plan(in, o);
  REQUIRE(plan);
  check_partition(*plan, in.size());
  CHECK(plan->layers.size() + 90 + 3 <= 100);
  CHECK(plan->buckets_per_group == 1);  // 4 groups in 7 layers: one bucket each, 3 own layers
  CHECK(plan->own_slots == 3);
  CHECK(plan->layers.size() == 7);
  CHECK_FALSE(plan->demoted.empty());
  // The three biggest packages keep layers of their own.
  std::vector<std::uint64_t> sizes;
  for (const auto& p : in) sizes.push_back(p.size);
  std::ranges::sort(sizes, std::greater<>());
  std::vector<std::uint64_t> own;
  for (const auto& layer : plan->layers)
    if (layer.kind == LayerKind::own) own.push_back(layer.size);
  std::ranges::sort(own, std::greater<>());
  CHECK(own == std::vector<std::uint64_t>(sizes.begin(), sizes.begin() + 3));

  for (std::size_t base = 0; base <= 93; ++base) {
    o.base_layers = base;
    auto p = layerplan::plan(in, o);
    REQUIRE(p);
    CHECK(p->layers.size() + base + 3 <= 100);
  }

  o.base_layers = 94;  // 3 layers left for 4 groups
  auto tight = layerplan::plan(in, o);
  REQUIRE_FALSE(tight);
  CHECK(tight.error().kind == util::ErrorKind::invalid_input);
  o.base_layers = 120;  // the base alone is over the budget
  auto over = layerplan::plan(in, o);
  REQUIRE_FALSE(over);
  CHECK(over.error().kind == util::ErrorKind::invalid_input);
  CHECK(over.error().message.find("120") != std::string::npos);
  o.budget = 127;  // what a user raising the budget gets
  CHECK(layerplan::plan(in, o));

  Options empty_plan;
  empty_plan.base_layers = 100;
  CHECK(layerplan::plan({}, empty_plan));
  empty_plan.base_layers = 101;
  CHECK_FALSE(layerplan::plan({}, empty_plan));
  empty_plan.base_layers = SIZE_MAX;  // no wrap-around
  empty_plan.reserved = 2;
  CHECK_FALSE(layerplan::plan({}, empty_plan));
  empty_plan.base_layers = 2;
  empty_plan.reserved = SIZE_MAX;
  CHECK_FALSE(layerplan::plan({}, empty_plan));
}

TEST_CASE("a tight budget halves the buckets, merging them, never splitting") {
  auto in = synthetic(300);
  Options roomy, tight;
  roomy.own_layer_size = tight.own_layer_size = UINT64_MAX;  // buckets only
  roomy.popular_dependents = tight.popular_dependents = SIZE_MAX;
  tight.base_layers = 80;  // 20 left: 4 groups × 4 buckets + 8 own slots do not fit, 4 × 2 do
  auto a = layerplan::plan(in, roomy), b = layerplan::plan(in, tight);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->buckets_per_group == 8);
  CHECK(b->buckets_per_group == 2);
  for (const auto& layer : a->layers) {
    const auto* merged = layer_of(*b, in, in[layer.packages.front()].name);
    REQUIRE(merged);
    CHECK(merged->bucket == layer.bucket % 2);
    for (auto i : layer.packages) CHECK(std::ranges::find(merged->packages, i) != merged->packages.end());
  }
}

TEST_CASE("upgrading one package changes one layer") {
  auto in = synthetic(300);
  auto before = layerplan::plan(in);
  REQUIRE(before);
  for (std::size_t k : {0ul, 37ul, 150ul, 151ul, 299ul}) {
    auto up = in;
    up[k].version = "2.0-1";
    up[k].size = up[k].size + up[k].size / 50;  // a little bigger, on the same side of the threshold
    if ((in[k].size >= Options{}.own_layer_size) != (up[k].size >= Options{}.own_layer_size)) up[k].size = in[k].size;
    auto after = layerplan::plan(up);
    REQUIRE(after);
    CHECK(changed_layers(*before, in, *after, up) == 1);
    CHECK(layer_of(*before, in, in[k].name)->key == layer_of(*after, up, in[k].name)->key);
  }
}

TEST_CASE("removing or adding one package changes its own layer, plus two for each package that moves") {
  // Each other package that gains or loses a layer of its own (its dependents crossed the
  // popularity threshold, or a slot opened or closed) changes that layer and its bucket.
  auto in = synthetic(300);
  Options no_popularity;
  no_popularity.popular_dependents = SIZE_MAX;
  for (const Options& o : {Options{}, no_popularity}) {
    auto full = layerplan::plan(in, o);
    REQUIRE(full);
    std::size_t within_three = 0, total = 0;
    for (std::size_t k = 100; k < 200; ++k) {
      auto less = in;
      less.erase(less.begin() + static_cast<std::ptrdiff_t>(k));
      auto plan = layerplan::plan(less, o);
      REQUIRE(plan);
      const auto changed = changed_layers(*full, in, *plan, less);
      const auto flips = own_flips(*full, in, *plan, less, in[k].name);
      CHECK(changed >= 1);
      CHECK(changed <= 1 + 2 * flips);
      if (o.popular_dependents == SIZE_MAX) CHECK(changed <= 3);  // only a freed slot moves a package
      within_three += changed <= 3;
      ++total;
    }
    CHECK(within_three * 100 >= total * 95);
  }

  // A new leaf package: its own layer or its bucket, and nothing else while the own slots last.
  auto full = layerplan::plan(in);
  REQUIRE(full);
  CHECK(full->demoted.empty());
  for (std::uint64_t size : {std::uint64_t{10 * 1024}, 30 * MiB}) {
    for (int tier = 0; tier < 4; ++tier) {
      auto more = in;
      more.push_back(pkg("new-leaf-" + std::to_string(tier), size, tier, {in[5].name, in[200].name}));
      auto plan = layerplan::plan(more);
      REQUIRE(plan);
      const auto changed = changed_layers(*full, in, *plan, more);
      const auto flips = own_flips(*full, in, *plan, more, more.back().name);
      CHECK(changed <= 1 + 2 * flips);
      if (flips == 0) CHECK(changed == 1);
    }
  }
}

TEST_CASE("a package's layer does not depend on unrelated packages") {
  auto in = synthetic(300);
  auto before = layerplan::plan(in);
  REQUIRE(before);
  auto more = in;
  for (int k = 0; k < 60; ++k)  // small, unrelated, in every tier
    more.push_back(pkg("unrelated-" + std::to_string(k), 50 * 1024 + k, k % 4));
  auto after = layerplan::plan(more);
  REQUIRE(after);
  for (const auto& p : in) CHECK(layer_of(*before, in, p.name)->key == layer_of(*after, more, p.name)->key);
  // Layers that received none of them are identical.
  auto x = identities(*before, in);
  auto y = identities(*after, more);
  std::size_t same = 0;
  for (const auto& [key, members] : y)
    if (members.find("unrelated-") == std::string::npos) {
      CHECK(x.at(key) == members);
      ++same;
    }
  CHECK(same > 0);
}

TEST_CASE("malformed input is refused") {
  auto refused = [](std::vector<Package> in, Options o = {}) {
    auto r = layerplan::plan(in, o);
    return !r && r.error().kind == util::ErrorKind::invalid_input;
  };
  CHECK(refused({pkg("a", 1), pkg("a", 2)}));
  CHECK_FALSE(refused({pkg("a", 1), pkg("a", 2, 3, {}, "1", "pypi")}));
  CHECK(refused({pkg("", 1)}));
  CHECK(refused({pkg("a@b", 1)}));
  CHECK(refused({pkg("a b", 1)}));
  CHECK(refused({pkg("a\n", 1)}));
  CHECK_FALSE(refused({pkg("libc6:i386", 1)}));
  CHECK(refused({pkg("a", 1, 0, {}, "1", "")}));
  CHECK(refused({pkg("a", 1, 0, {}, "1", "de:b")}));
  CHECK(refused({pkg("a", 1, -1)}));
  Options odd;
  odd.buckets_per_group = 6;
  CHECK(refused({pkg("a", 1)}, odd));
  odd.buckets_per_group = 0;
  CHECK(refused({pkg("a", 1)}, odd));
}

TEST_CASE("Debian: two projects that differ by one package share most of their bytes") {
  auto index = debian_index();
  if (!index) {
    MLPACK_SKIP("no Debian package index under /var/lib/apt/lists");
    return;
  }
  auto a = debian_closure(*index, {"python3-pandas", "python3-matplotlib"});
  auto b = debian_closure(*index, {"python3-pandas", "python3-matplotlib", "python3-sklearn"});
  if (a.size() < 50 || b.size() <= a.size()) {
    MLPACK_SKIP("this index lacks python3-pandas, python3-matplotlib or python3-sklearn");
    return;
  }
  Options o;
  o.base_layers = 1;
  o.reserved = 3;
  auto pa = layerplan::plan(a, o), pb = layerplan::plan(b, o);
  REQUIRE(pa);
  REQUIRE(pb);
  check_partition(*pb, b.size());
  const double shared = shared_fraction(*pa, a, *pb, b);
  MESSAGE("A: " << a.size() << " packages in " << pa->layers.size() << " layers; B: " << b.size() << " in "
                << pb->layers.size() << "; B's bytes in layers A has: " << shared);
  CHECK(shared >= 0.8);
  CHECK(pb->layers.size() + 4 <= 100);

  // Upgrading one of B's packages changes exactly its layer.
  for (std::size_t k = 0; k < b.size(); k += 17) {
    auto up = b;
    up[k].version += "+deb12u1";
    auto plan = layerplan::plan(up, o);
    REQUIRE(plan);
    CHECK(changed_layers(*pb, b, *plan, up) == 1);
  }
}

TEST_CASE("Debian: a 150-package apt.txt, its budget and removals from the middle") {
  auto index = debian_index();
  if (!index) {
    MLPACK_SKIP("no Debian package index under /var/lib/apt/lists");
    return;
  }
  // 150 roots spread over the python, science and utils sections, and everything they need.
  std::vector<std::string> roots;
  std::size_t n = 0;
  for (const auto& [name, r] : *index)
    if ((r.section == "python" || r.section == "science" || r.section == "utils") && n++ % 25 == 0 &&
        roots.size() < 150)
      roots.push_back(name);
  auto in = debian_closure(*index, roots);
  if (in.size() < 300) {
    MLPACK_SKIP("this index is too small for a 150-package project");
    return;
  }
  Options o;
  o.base_layers = 1;
  o.reserved = 3;
  auto full = layerplan::plan(in, o);
  REQUIRE(full);
  check_partition(*full, in.size());
  CHECK(full->layers.size() + 4 <= 100);
  MESSAGE(in.size() << " packages in " << full->layers.size() << " layers; " << full->demoted.size()
                    << " big enough for their own did not get one");

  // At most 3 whenever at most one other package moves (a freed slot, one popularity threshold
  // crossed); without the popularity rule, always. This machine's index changes with apt's
  // updates, so the default rule is held to the bound and a rate rather than to one count.
  Options no_popularity = o;
  no_popularity.popular_dependents = SIZE_MAX;
  for (const Options& opt : {o, no_popularity}) {
    auto before = layerplan::plan(in, opt);
    REQUIRE(before);
    std::size_t within_three = 0, total = 0;
    for (std::size_t k = in.size() / 4; k < in.size() * 3 / 4; k += in.size() / 40) {
      auto less = in;
      less.erase(less.begin() + static_cast<std::ptrdiff_t>(k));
      auto plan = layerplan::plan(less, opt);
      REQUIRE(plan);
      const auto changed = changed_layers(*before, in, *plan, less);
      CHECK(changed <= 1 + 2 * own_flips(*before, in, *plan, less, in[k].name));
      if (opt.popular_dependents == SIZE_MAX) CHECK(changed <= 3);
      within_three += changed <= 3;
      ++total;
    }
    CHECK(within_three * 100 >= total * 95);
  }

  o.base_layers = 90;
  auto tight = layerplan::plan(in, o);
  REQUIRE(tight);
  CHECK(tight->layers.size() + 93 <= 100);
}
