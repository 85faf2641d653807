// The measurements behind the defaults in lib/layerplan/README.md, on this machine's Debian index.
// Skipped unless LAYERPLAN_MEASURE is set:  LAYERPLAN_MEASURE=1 ./unit_layerplan -tc='measure*'
#include <doctest/doctest.h>

#include "skip.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>

#include "fixtures.hpp"

using namespace mlpack;
using layerplan::MiB;
using layerplan::Options;
using namespace mlpack::test::layerplan_fixtures;

TEST_CASE("measure: sharing, layer count and stability against the defaults" *
          doctest::skip(std::getenv("LAYERPLAN_MEASURE") == nullptr)) {
  auto index = debian_index();
  if (!index) {
    MLPACK_SKIP("no Debian package index under /var/lib/apt/lists");
    return;
  }
  const auto a = debian_closure(*index, {"python3-pandas", "python3-matplotlib"});
  const auto b = debian_closure(*index, {"python3-pandas", "python3-matplotlib", "python3-sklearn"});
  const auto c = debian_closure(*index, {"r-base-core", "r-cran-ggplot2", "libpq5"});
  const auto d = debian_closure(*index, {"python3-flask", "postgresql-client", "curl", "git"});
  std::cout << "A " << a.size() << " packages, B " << b.size() << ", C " << c.size() << ", D " << d.size() << "\n";
  std::cout << "own>=MiB popular>= buckets | B layers | B in A | C in A | D in A | removals from B changing 1/3/more\n";
  for (std::uint64_t own : {2, 4, 8, 16, 50})
    for (std::size_t popular : {std::size_t{8}, std::size_t{16}, SIZE_MAX})
      for (std::size_t buckets : {4, 8, 16}) {
        Options o;
        o.own_layer_size = own * MiB;
        o.popular_dependents = popular;
        o.buckets_per_group = buckets;
        o.base_layers = 1;
        o.reserved = 3;
        auto pa = layerplan::plan(a, o), pb = layerplan::plan(b, o), pc = layerplan::plan(c, o),
             pd = layerplan::plan(d, o);
        REQUIRE(pa);
        REQUIRE(pb);
        REQUIRE(pc);
        REQUIRE(pd);
        std::map<std::size_t, std::size_t> removals;
        for (std::size_t k = 0; k < b.size(); ++k) {
          auto less = b;
          less.erase(less.begin() + static_cast<std::ptrdiff_t>(k));
          auto pl = layerplan::plan(less, o);
          REQUIRE(pl);
          const auto n = changed_layers(*pb, b, *pl, less);
          ++removals[n == 1 ? 1 : n <= 3 ? 3 : 4];
        }
        std::cout << own << " " << (popular == SIZE_MAX ? std::string("off") : std::to_string(popular)) << " "
                  << buckets << " | " << pb->layers.size() << " | " << shared_fraction(*pa, a, *pb, b) << " | "
                  << shared_fraction(*pa, a, *pc, c) << " | " << shared_fraction(*pa, a, *pd, d) << " | "
                  << removals[1] << "/" << removals[3] << "/" << removals[4] << "\n";
      }
}

TEST_CASE("measure: planning time for a 150-package apt.txt" * doctest::skip(std::getenv("LAYERPLAN_MEASURE") == nullptr)) {
  auto index = debian_index();
  if (!index) {
    MLPACK_SKIP("no Debian package index under /var/lib/apt/lists");
    return;
  }
  std::vector<std::string> roots;
  std::size_t n = 0;
  for (const auto& [name, r] : *index)
    if ((r.section == "python" || r.section == "science" || r.section == "utils") && n++ % 25 == 0 &&
        roots.size() < 150)
      roots.push_back(name);
  const auto in = debian_closure(*index, roots);
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < 10; ++k) REQUIRE(layerplan::plan(in));
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 10;
  std::cout << in.size() << " packages planned in " << ms << " ms\n";
}
