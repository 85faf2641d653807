// The buildpacks' side of the image's layer plan (facts::layer_plan): each reads its own
// ecosystem's layers and refuses a plan that leaves a locked package out or names one twice.
#include <doctest/doctest.h>

#include "buildpacks/conda/assemble.hpp"
#include "buildpacks/debian_base/debian_base.hpp"

namespace bp = mlpack::buildpacks;
namespace lock = mlpack::lock;

namespace {

lock::Package pkg(std::string eco, std::string name, std::string layer = "") {
  lock::Package p;
  p.ecosystem = std::move(eco);
  p.name = std::move(name);
  p.version = "1.0";
  if (!layer.empty()) p.extra["layer"] = layer;
  return p;
}

bp::facts::PlannedLayer layer(std::string eco, std::string key, std::vector<std::string> names) {
  return bp::facts::PlannedLayer{eco, 2, key, eco + ": " + key, std::move(names), 0};
}

}  // namespace

TEST_CASE("debian: the core OS as one layer below the plan's Debian layers; the lock's groups without a plan") {
  lock::LockFile l;
  l.packages = {pkg("deb", "libc6", "os"), pkg("deb", "dash", "os"), pkg("deb", "python3", "runtime"),
                pkg("deb", "curl", "apt"), pkg("deb", "libxml2", "libs"), pkg("pypi", "six")};
  bp::facts::LayerPlan plan;
  plan.layers = {layer("deb", "deb:python3", {"python3"}), layer("pypi", "pypi:six", {"six"}),
                 layer("deb", "deb:@tier2-bucket-1-of-8", {"curl", "libxml2"})};
  auto specs = bp::debian_base::planned_layout(l, plan);
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].group == "os");
  CHECK(specs[0].packages == std::vector<std::string>{"libc6", "dash"});
  CHECK(specs[0].contents == "debian: 2 packages (core OS)");
  CHECK(specs[1].group == "deb:python3");
  CHECK(specs[2].packages == std::vector<std::string>{"curl", "libxml2"});
  CHECK(specs[2].contents == "deb: deb:@tier2-bucket-1-of-8");

  auto groups = bp::debian_base::group_layout(l);
  REQUIRE(groups.size() == 4);
  CHECK(groups[0].group == "os");
  CHECK(groups[1].group == "runtime");
  CHECK(groups[2].group == "libs");
  CHECK(groups[3].contents == "debian: 1 package (apt.txt packages)");
}

TEST_CASE("conda: the environment's layers as planned; a package left out or named twice is refused") {
  lock::LockFile l;
  l.packages = {pkg("conda", "python"), pkg("conda", "numpy"), pkg("conda", "zlib")};
  bp::facts::LayerPlan plan;
  plan.layers = {layer("conda", "conda:python", {"python"}), layer("conda", "conda:@b", {"numpy", "zlib"})};
  auto groups = bp::conda::plan_environment(l, plan);
  REQUIRE(groups);
  REQUIRE(groups->size() == 2);
  CHECK(groups->at(1).packages.size() == 2);
  CHECK(groups->at(1).contents == "conda: conda:@b");

  plan.layers.pop_back();
  CHECK_FALSE(bp::conda::plan_environment(l, plan));  // numpy and zlib in no layer
  plan.layers.push_back(layer("conda", "conda:@b", {"numpy", "zlib", "python"}));
  CHECK_FALSE(bp::conda::plan_environment(l, plan));  // python twice
  plan.layers.back().packages.push_back("scipy");
  CHECK_FALSE(bp::conda::plan_environment(l, plan));  // not in the lock
}
