// The image's one layer plan made from a lock (lib/pipeline/layer_plan): which lock entries go to
// the planner and with which tier, what is counted beside it, and the budget held whatever the
// base image brings.
#include <doctest/doctest.h>

#include <set>

#include "pipeline/layer_plan.hpp"

namespace lock = mlpack::lock;
namespace pl = mlpack::pipeline;

namespace {

lock::Package pkg(std::string eco, std::string name, std::uint64_t size, std::string layer = "",
                  std::vector<std::string> depends = {}) {
  lock::Package p;
  p.ecosystem = std::move(eco);
  p.name = std::move(name);
  p.version = "1.0";
  p.size = size;
  if (!layer.empty()) p.extra["layer"] = layer;
  p.depends = std::move(depends);
  return p;
}

lock::LockFile sample(std::size_t apt = 40) {
  lock::LockFile l;
  l.target.python = "3.11";
  l.packages.push_back(pkg("deb", "libc6", 3 << 20, "os"));
  l.packages.push_back(pkg("deb", "python3.11", 5 << 20, "runtime"));
  l.packages.push_back(pkg("deb", "libxml2", 700 << 10, "libs"));
  for (std::size_t i = 0; i < apt; ++i) l.packages.push_back(pkg("deb", "libapt" + std::to_string(i), 100 << 10, "apt"));
  l.packages.push_back(pkg("pypi", "numpy", 18 << 20));
  l.packages.push_back(pkg("pypi", "six", 11 << 10));
  auto conda_pip = pkg("pypi", "tomli", 10 << 10);
  conda_pip.extra["installer"] = "conda";
  l.packages.push_back(conda_pip);
  l.packages.push_back(pkg("cran", "Rcpp", 3 << 20, "", {"methods", "utils (>= 3.0)"}));
  l.packages.push_back(pkg("cran", "dplyr", 1 << 20, "", {"Rcpp (>= 1.0)", "R6"}));
  return l;
}

}  // namespace

TEST_CASE("plan_input: Debian's core OS and a conda environment's pip packages are planned elsewhere; tiers by group") {
  CHECK_FALSE(pl::plan_input(pkg("deb", "libc6", 1, "os")));
  CHECK(pl::plan_input(pkg("deb", "python3", 1, "runtime"))->tier == 1);
  CHECK(pl::plan_input(pkg("deb", "libxml2", 1, "libs"))->tier == 2);
  CHECK(pl::plan_input(pkg("deb", "curl", 1, "apt"))->tier == 2);
  CHECK(pl::plan_input(pkg("deb", "curl", 1))->tier == 2);
  CHECK(pl::plan_input(pkg("pypi", "six", 1))->tier == 3);
  auto pip = pkg("pypi", "six", 1);
  pip.extra["installer"] = "conda";
  CHECK_FALSE(pl::plan_input(pip));
  CHECK(pl::plan_input(pkg("conda", "numpy", 1))->tier == 3);
  // Dependency names as each ecosystem writes them; the package itself is no dependency.
  auto cran = pl::plan_input(pkg("cran", "dplyr", 1, "", {"Rcpp (>= 1.0)", "R6", "dplyr"}));
  CHECK(cran->depends == std::vector<std::string>{"Rcpp", "R6"});
  auto conda = pl::plan_input(pkg("conda", "pandas", 1, "", {"numpy >=1.21", "python_abi 3.11.* *_cp311"}));
  CHECK(conda->depends == std::vector<std::string>{"numpy", "python_abi"});
  // The installed size when the lock has it.
  auto big = pkg("deb", "libicu72", 9 << 20, "apt");
  big.extra["installed_size"] = std::to_string(std::uint64_t{35} << 20);
  CHECK(pl::plan_input(big)->size == (std::uint64_t{35} << 20));
  big.extra["installed_size"] = "35M";  // not a number: the download size
  CHECK(pl::plan_input(big)->size == (std::uint64_t{9} << 20));
}

TEST_CASE("layers_beside_plan counts what the buildpacks add themselves") {
  lock::LockFile empty;
  CHECK(pl::layers_beside_plan(empty, false) == 1);  // /app
  CHECK(pl::layers_beside_plan(empty, true) == 2);   // and the accounts a registry base lacks
  // /app, core OS, dpkg database, venv skeleton + project metadata, conda's `pip:` layer.
  CHECK(pl::layers_beside_plan(sample(), false) == 6);
}

TEST_CASE("plan_layers: every planned package in exactly one layer of its ecosystem, within the budget") {
  auto lock = sample();
  auto plan = pl::plan_layers(lock, {});
  REQUIRE(plan);
  CHECK(plan->budget == 100);
  std::multiset<std::string> seen;
  for (const auto& l : plan->layers) {
    CHECK_FALSE(l.packages.empty());
    for (const auto& n : l.packages) seen.insert(l.ecosystem + ":" + n);
    CHECK(l.description.starts_with(l.ecosystem + ": "));
  }
  std::multiset<std::string> want;
  for (const auto& p : lock.packages)
    if (pl::plan_input(p)) want.insert(p.ecosystem + ":" + p.name);
  CHECK(seen == want);
  CHECK(plan->of("deb").size() + plan->of("pypi").size() + plan->of("cran").size() == plan->layers.size());
  // numpy is big: a layer of its own, keyed by its name alone.
  bool numpy_alone = false;
  for (const auto* l : plan->of("pypi")) numpy_alone = numpy_alone || (l->key == "pypi:numpy" && l->packages.size() == 1);
  CHECK(numpy_alone);
  // Same lock, same plan.
  auto again = pl::plan_layers(lock, {});
  REQUIRE(again);
  for (std::size_t i = 0; i < plan->layers.size(); ++i) CHECK(plan->layers[i].key == again->layers[i].key);
}

TEST_CASE("plan_layers: a base image of 90 layers makes the plan merge, never exceed the budget") {
  // On a registry base, Debian's packages are apt.txt's alone (the base has the OS and runtime).
  auto lock = sample(200);
  std::erase_if(lock.packages, [](const lock::Package& p) {
    return p.ecosystem == "cran" || (p.ecosystem == "deb" && p.extra.at("layer") != "apt");
  });
  pl::LayerBudget budget;
  budget.base_layers = 90;
  budget.base_image = true;
  auto plan = pl::plan_layers(lock, budget);
  REQUIRE(plan);
  CHECK(plan->base_layers == 90);
  CHECK(90 + plan->reserved + plan->layers.size() <= 100);
  std::size_t packages = 0;
  for (const auto& l : plan->layers) packages += l.packages.size();
  CHECK(packages == lock.packages.size() - 1);  // all but the conda pip package
  CHECK(plan->layers.size() >= 2);               // deb and pypi, each merged into few layers
  // A budget too small for the groups is said, with the numbers.
  budget.base_layers = 94;
  auto refused = pl::plan_layers(lock, budget);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == mlpack::util::ErrorKind::invalid_input);
  CHECK(refused.error().message.find("layers") != std::string::npos);
}
