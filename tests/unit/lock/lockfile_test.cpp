#include <doctest/doctest.h>

#include "lock/lockfile.hpp"
#include "util/fs.hpp"

using namespace mlpack;

namespace {
lock::LockFile sample() {
  lock::LockFile l;
  l.base = "debian:bookworm";
  l.inputs_digest = "sha256:" + std::string(64, '1');
  l.sources.push_back({"deb", "http://deb.debian.org/debian", "bookworm", {"main"}, ""});
  l.packages.push_back({"deb", "zlib1g", "1:1.2.13.dfsg-1", "amd64", "http://deb.debian.org/debian",
                        "pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb", std::string(64, 'b'), 1234, {}});
  l.packages.push_back({"deb", "base-files", "12.4+deb12u5", "amd64", "http://deb.debian.org/debian",
                        "pool/main/b/base-files/base-files_12.4+deb12u5_amd64.deb", std::string(64, 'a'), 70000,
                        {{"layer", "os"}}});
  return l;
}
}  // namespace

TEST_CASE("lock emits in a stable order and round-trips") {
  auto text = lock::emit(sample());
  // base-files sorts before zlib1g whatever the input order.
  CHECK(text.find("base-files") < text.find("zlib1g"));
  CHECK(text.find("version: \"1:1.2.13.dfsg-1\"") != std::string::npos);
  auto parsed = lock::parse(text);
  REQUIRE(parsed);
  CHECK(lock::emit(*parsed) == text);
  CHECK(parsed->packages[0].name == "base-files");
  CHECK(parsed->packages[0].extra.at("layer") == "os");
  CHECK(parsed->packages[1].url() == "http://deb.debian.org/debian/pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb");
  CHECK(parsed->target.platform == "linux/amd64");
  CHECK_FALSE(parsed->target.python);
  CHECK(parsed->sources.at(0).components == std::vector<std::string>{"main"});
}

TEST_CASE("lock errors name file, line and column") {
  auto unknown = lock::parse("version: 7\npackages: []\n", "proj/mlpack.lock");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == util::ErrorKind::invalid_input);
  CHECK(unknown.error().message == "proj/mlpack.lock:1:10: unsupported lock version 7 (this mlpack reads version 1)");

  auto bad_hash = lock::parse(
      "version: 1\npackages:\n  - {ecosystem: deb, name: a, version: '1', sha256: xyz}\n", "mlpack.lock");
  REQUIRE_FALSE(bad_hash);
  CHECK(bad_hash.error().message.find("mlpack.lock:3:") == 0);
  CHECK(bad_hash.error().message.find("`a`") != std::string::npos);

  CHECK_FALSE(lock::parse("version: 1\npackages:\n  - {name: a}\n"));
  CHECK_FALSE(lock::parse("[1, 2]"));
  CHECK_FALSE(lock::parse("version: [\n"));
}

TEST_CASE("lock write is atomic and readable") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto path = dir->path() / "mlpack.lock";
  REQUIRE(lock::write(path, sample()));
  auto back = lock::read(path);
  REQUIRE(back);
  CHECK(back->packages.size() == 2);
}

TEST_CASE("conda entries keep their dependency graph and the virtual packages assumed") {
  auto l = sample();
  l.target.virtual_packages = {{"__glibc", "2.36"}, {"__archspec", "1=x86_64"}, {"__unix", "0"}};
  l.target.r = "4.2.2";
  lock::Package numpy{"conda", "numpy", "1.26.4", "", "https://conda.anaconda.org/conda-forge",
                      "linux-64/numpy-1.26.4-py311h64a7726_0.conda", std::string(64, 'c'), 7000000,
                      {{"build", "py311h64a7726_0"}, {"subdir", "linux-64"}}};
  numpy.depends = {"python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4.0a0"};
  numpy.constrains = {"numpy-base <0a0"};
  l.packages.push_back(numpy);
  auto text = lock::emit(l);
  auto parsed = lock::parse(text);
  REQUIRE(parsed);
  CHECK(lock::emit(*parsed) == text);
  CHECK(parsed->target.virtual_packages.at("__glibc") == "2.36");
  CHECK(parsed->target.virtual_packages.size() == 3);
  CHECK(parsed->target.r == "4.2.2");
  const auto& p = parsed->packages.front();  // conda sorts before deb
  CHECK(p.name == "numpy");
  CHECK(p.depends == numpy.depends);  // order kept, not sorted
  CHECK(p.constrains == numpy.constrains);
  CHECK(p.url() == "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda");
  // deb entries without a graph write no empty lists.
  CHECK(text.find("depends: []") == std::string::npos);
  auto bad = lock::parse("version: 1\npackages:\n  - {ecosystem: conda, name: x, version: '1', sha256: " +
                         std::string(64, 'a') + ", depends: oops}\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("`depends` must be a list") != std::string::npos);
}
