// The conda buildpack's pieces that need no channel: file names, lock entries, and detect over a
// project folder (specs parsed with their place, channels expanded, conda-forge by default).
#include <doctest/doctest.h>

#include "buildpacks/conda/conda.hpp"
#include "buildpacks/conda/resolve.hpp"
#include "test_files.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::buildpacks::conda;

TEST_CASE("conda file names split from the right, as conda names packages") {
  auto f = split_file_name("python-dateutil-2.9.0-pyhd8ed1ab_0.conda");
  REQUIRE(f);
  CHECK(f->name == "python-dateutil");
  CHECK(f->version == "2.9.0");
  CHECK(f->build == "pyhd8ed1ab_0");
  CHECK(f->extension == ".conda");
  auto b = split_file_name("_libgcc_mutex-0.1-main.tar.bz2");
  REQUIRE(b);
  CHECK(b->name == "_libgcc_mutex");
  CHECK(b->extension == ".tar.bz2");
  CHECK_FALSE(split_file_name("numpy-1.26.4.whl"));
  CHECK_FALSE(split_file_name("numpy-1.26.4.conda"));  // no build
  CHECK_FALSE(split_file_name("-1-0.conda"));
}

TEST_CASE("a solved record's lock entry keeps no credentials and the graph as written") {
  mlpack::conda::PackageRecord r;
  r.name = "numpy";
  r.version = "1.26.4";
  r.build = "py312heda63a1_0";
  r.build_number = 0;
  r.subdir = "linux-64";
  r.channel = "https://conda.example.org/conda-forge";
  r.url = "https://user:pw@conda.example.org/t/tk-123/conda-forge/linux-64/numpy-1.26.4-py312heda63a1_0.conda";
  r.sha256 = std::string(64, 'a');
  r.md5 = std::string(32, 'b');
  r.size = 42;
  r.depends = {"python >=3.12,<3.13.0a0", "libblas >=3.9.0,<4.0a0"};
  r.constrains = {"numpy-base <0a0"};
  auto p = lock_entry(r);
  CHECK(p.ecosystem == "conda");
  CHECK(p.source == "https://conda.example.org/conda-forge");
  CHECK(p.filename == "linux-64/numpy-1.26.4-py312heda63a1_0.conda");
  CHECK(p.url().find("pw") == std::string::npos);
  CHECK(p.url().find("tk-123") == std::string::npos);
  CHECK(p.extra.at("build") == "py312heda63a1_0");
  CHECK(p.extra.at("md5") == std::string(32, 'b'));
  CHECK(p.depends == r.depends);
  CHECK(p.constrains == r.constrains);
  CHECK(p.size == 42);
}

TEST_CASE("detect parses specs with their place and expands channels") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto env_file = dir->path() / "environment.yml";
  test::write_text(env_file, "name: t\nchannels:\n  - https://h/t/${TOKEN}/c\ndependencies:\n"
                             "  - numpy >=1.26\n  - conda-forge::python 3.12.*\n");
  util::Environment env;
  env.set("TOKEN", "abc");
  auto in = detect(dir->path(), env);
  REQUIRE(in);
  REQUIRE(in->specs.size() == 2);
  CHECK(in->specs[0].spec.name() == "numpy");
  CHECK(in->specs[1].written.line == 6);
  REQUIRE(in->channels.size() == 1);
  CHECK(in->channels[0].text == "https://h/t/abc/c");
  CHECK(in->channels[0].written == "https://h/t/${TOKEN}/c");
  CHECK_FALSE(in->default_channel);

  auto unset = detect(dir->path(), util::Environment{});
  REQUIRE_FALSE(unset);
  CHECK(unset.error().message.find("${TOKEN}") != std::string::npos);
  CHECK(unset.error().message.find("environment.yml:3") != std::string::npos);

  test::write_text(env_file, "dependencies:\n  - tqdm\n  - numpy >=>1\n");
  auto bad = detect(dir->path(), env);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message.find("environment.yml:3") != std::string::npos);

  test::write_text(env_file, "dependencies:\n  - tqdm\n");
  auto plain = detect(dir->path(), env);
  REQUIRE(plain);
  CHECK(plain->default_channel);
  REQUIRE(plain->channels.size() == 1);
  CHECK(plain->channels[0].text == "conda-forge");
}
