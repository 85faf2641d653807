// The conda buildpack's build step without the network: how the environment is cut into layers,
// its prefix, and the lock entries as condapkg takes them.
#include <doctest/doctest.h>

#include "buildpacks/conda/assemble.hpp"

namespace cb = mlpack::buildpacks::conda;
using mlpack::lock::LockFile;
using mlpack::lock::Package;

namespace {

Package conda(std::string name, std::string version, std::uint64_t size,
              std::map<std::string, std::string> extra = {}) {
  Package p;
  p.ecosystem = "conda";
  p.name = std::move(name);
  p.version = std::move(version);
  p.size = size;
  p.source = "https://conda.example/forge";
  p.filename = "linux-64/" + p.name + "-" + p.version + "-h0_0.conda";
  p.sha256 = std::string(64, 'a');
  p.extra = std::move(extra);
  p.extra.emplace("build", "h0_0");
  return p;
}

}  // namespace

TEST_CASE("plan_environment: 50 MiB and more alone (largest first, under the budget), the rest in one layer, by name") {
  LockFile lock;
  lock.packages = {conda("zlib", "1.3", 100 << 10), conda("pytorch", "2.3", 700ull << 20),
                   conda("mkl", "2024", 200ull << 20), conda("cuda-libs", "12", 60ull << 20),
                   conda("python", "3.11.9", 30ull << 20)};
  Package wheel;
  wheel.ecosystem = "pypi";
  wheel.name = "big-wheel";
  wheel.size = 900ull << 20;
  lock.packages.push_back(wheel);
  auto groups = cb::plan_environment(lock);
  REQUIRE(groups.size() == 4);
  CHECK(groups[0].contents == "conda: cuda-libs 12");
  CHECK(groups[1].contents == "conda: mkl 2024");
  CHECK(groups[2].contents == "conda: pytorch 2.3");
  CHECK(groups[3].contents == "conda: 2 packages in /opt/conda");
  CHECK(groups[3].packages[0]->name == "python");
  CHECK(groups[3].packages[1]->name == "zlib");
  // A budget of 3 layers: the two largest alone.
  auto tight = cb::plan_environment(lock, 3);
  REQUIRE(tight.size() == 3);
  CHECK(tight[0].contents == "conda: mkl 2024");
  CHECK(tight[1].contents == "conda: pytorch 2.3");
  CHECK(tight[2].packages.size() == 3);
  // The order of the lock does not matter.
  std::reverse(lock.packages.begin(), lock.packages.end());
  auto again = cb::plan_environment(lock);
  REQUIRE(again.size() == groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) CHECK(again[i].contents == groups[i].contents);
  CHECK(cb::plan_environment(LockFile{}).empty());
}

TEST_CASE("prefix_of: the locked python's site-packages, or its python_site_packages_path") {
  LockFile lock;
  lock.packages = {conda("zlib", "1.3", 1)};
  CHECK(cb::prefix_of(lock).path == "/opt/conda");
  CHECK(cb::prefix_of(lock).site_packages.empty());
  lock.packages.push_back(conda("python", "3.12.4", 1));
  CHECK(cb::prefix_of(lock).site_packages == "lib/python3.12/site-packages");
  lock.packages.back() = conda("python", "3.13.0", 1, {{"python_site_packages_path", "lib/python3.13t/site-packages"}});
  CHECK(cb::prefix_of(lock).site_packages == "lib/python3.13t/site-packages");
}

TEST_CASE("package_ref: the record conda-meta gets, without credentials, with the spec asked for") {
  auto p = conda("numpy", "2.0.0", 1234,
                 {{"build_number", "3"}, {"subdir", "linux-64"}, {"md5", "abc"}, {"license", "BSD-3-Clause"}});
  p.depends = {"python >=3.12"};
  auto ref = cb::package_ref(p, {{"numpy", "numpy >=2"}});
  CHECK(ref.name == "numpy");
  CHECK(ref.build == "h0_0");
  CHECK(ref.filename == "numpy-2.0.0-h0_0.conda");
  CHECK(ref.url == "https://conda.example/forge/linux-64/numpy-2.0.0-h0_0.conda");
  CHECK(ref.channel == "https://conda.example/forge");
  CHECK(ref.record["build_number"] == 3);
  CHECK(ref.record["md5"] == "abc");
  CHECK(ref.record["depends"] == nlohmann::json({"python >=3.12"}));
  CHECK(ref.requested_spec == "numpy >=2");
  CHECK(cb::package_ref(p, {}).requested_spec.empty());
  // A package at a URL of its own (CEP 15 base_url): the channel is the URL's folder above the subdir.
  auto elsewhere = p;
  elsewhere.source.clear();
  elsewhere.filename = "https://mirror.example/pkgs/linux-64/numpy-2.0.0-h0_0.conda";
  auto ref2 = cb::package_ref(elsewhere, {});
  CHECK(ref2.url == elsewhere.filename);
  CHECK(ref2.channel == "https://mirror.example/pkgs");
}
