// What each buildpack owns of the command line, mlpack.yaml and `mlpack detect`, through the
// Buildpack interface only: the pipeline and the CLI learn all of it from here.
#include <doctest/doctest.h>

#include <fstream>

#include "buildpacks/registry.hpp"
#include "util/fs.hpp"
#include "test_files.hpp"

using namespace mlpack;
namespace bp = mlpack::buildpacks;
namespace fs = std::filesystem;

namespace {

using mlpack::test::write_text;

// A project as the pipeline would hand it over: mlpack.yaml read with the buildpack's keys.
util::Result<bp::Project> project_for(const fs::path& dir, const bp::Buildpack& b) {
  bp::Project p;
  p.dir = dir;
  auto config = detectors::read_project_config(dir, b.config_keys());
  if (!config) return std::unexpected(config.error());
  p.config = std::move(*config);
  return p;
}

std::shared_ptr<bp::Buildpack> named(std::string_view name) {
  for (auto& b : bp::default_buildpacks())
    if (b->name() == name) return b;
  return nullptr;
}

}  // namespace

TEST_CASE("debian-base owns apt.txt, the apt keys of mlpack.yaml and --insecure-skip-verify") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  const fs::path dir = tmp->path();
  auto debian = named("debian-base");
  REQUIRE(debian);
  // Debian's current stable (13, since August 2025); bookworm stays available by name.
  CHECK(debian->default_base() == "debian:trixie");
  CHECK(debian->builds_base("debian:bookworm"));
  CHECK(debian->looks_for() == std::vector<std::string>{"apt.txt"});
  REQUIRE(debian->flags().size() == 1);
  CHECK(debian->flags()[0].name == "--insecure-skip-verify");

  SUBCASE("its keys are read, with file:line:column errors") {
    write_text(dir / "mlpack.yaml",
          "apt: [libgomp1]\nsnapshot: 20240115T000000Z\napt_repositories:\n"
          "  - {url: 'http://repo.example/debian', suite: bookworm, components: [main], keyring: k.gpg}\n");
    write_text(dir / "apt.txt", "curl=7.88\n");
    auto project = project_for(dir, *debian);
    REQUIRE(project);
    auto d = debian->detect(*project);
    REQUIRE_MESSAGE(d, d.error().message);
    CHECK(d->applies);
    CHECK(d->ecosystem == "deb");
    CHECK(d->files == std::vector<std::string>{"apt.txt"});
    bp::Options options;
    bp::Context ctx{*project, options, {}, {}, nullptr};
    auto parts = debian->inputs(ctx);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].text.find("20240115T000000Z") != std::string::npos);
    CHECK(parts[1].text.find("libgomp1") != std::string::npos);
    CHECK(parts[1].text.find("curl=7.88") != std::string::npos);
    CHECK(parts[1].text.find("http://repo.example/debian") != std::string::npos);
    auto section = debian->describe(*project);
    REQUIRE(section.json["requirements"].size() == 1);
    CHECK(section.json["requirements"][0]["name"] == "curl");
    CHECK(section.json["requirements"][0]["specifier"] == "=7.88");
  }

  SUBCASE("a repository without a keyring is refused where it is written") {
    write_text(dir / "mlpack.yaml", "apt_sources:\n  - {url: 'http://mirror.example', suite: bookworm}\n");
    auto project = project_for(dir, *debian);
    REQUIRE(project);
    auto d = debian->detect(*project);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == util::ErrorKind::invalid_input);
    CHECK(d.error().message == (dir / "mlpack.yaml").string() + ":2:5: apt repository without `keyring`");
  }

  SUBCASE("`apt` must be a list") {
    write_text(dir / "mlpack.yaml", "apt: libgomp1\n");
    auto project = project_for(dir, *debian);
    REQUIRE(project);
    auto d = debian->detect(*project);
    REQUIRE_FALSE(d);
    CHECK(d.error().message == (dir / "mlpack.yaml").string() + ":1:6: `apt` must be a list of strings");
  }

  SUBCASE("--insecure-skip-verify is taken with a warning") {
    bp::FlagValues flags;
    flags.values["--insecure-skip-verify"] = {""};
    auto warnings = debian->accept(flags, {});
    REQUIRE(warnings);
    REQUIRE(warnings->size() == 1);
    CHECK(warnings->at(0).find("NOT checked") != std::string::npos);
    auto none = named("debian-base")->accept({}, {});
    REQUIRE(none);
    CHECK(none->empty());
  }
}

TEST_CASE("python owns --python/--extra/--group/--pytorch-index, mlpack.yaml `python`, and publishes that it needs python3") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  const fs::path dir = tmp->path();
  auto python = named("python");
  REQUIRE(python);
  std::vector<std::string> names;
  for (const auto& f : python->flags()) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"--python", "--extra", "--group", "--pytorch-index"});

  SUBCASE("a malformed --python is invalid input") {
    bp::FlagValues flags;
    flags.values["--python"] = {"3.x"};
    auto r = python->accept(flags, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK(r.error().message == "invalid `--python 3.x`: expected X.Y, e.g. 3.11");
  }

  SUBCASE("the detect section and the fact") {
    write_text(dir / "requirements.txt", "numpy>=1.26\n");
    write_text(dir / "mlpack.yaml", "python: '3.12'\n");
    util::Environment env;
    env.set("PIP_INDEX_URL", "http://index.example/simple");
    REQUIRE(python->accept({}, env));
    auto project = project_for(dir, *python);
    REQUIRE(project);
    auto d = python->detect(*project);
    REQUIRE_MESSAGE(d, d.error().message);
    CHECK(d->ecosystem == "pypi");
    CHECK(project->facts.get_or(bp::facts::wanted_runtimes) == std::vector<std::string>{"python3"});
    auto section = python->describe(*project);
    CHECK(section.json["python"] == "3.12");
    CHECK(section.json["indexes"] == nlohmann::json({"http://index.example/simple"}));
    REQUIRE(section.json["requirements"].size() == 1);
    CHECK(section.json["requirements"][0]["ecosystem"] == "pypi");
    CHECK(section.lines.at(0) == "python: 3.12");
  }

  SUBCASE("a folder without Python publishes nothing") {
    write_text(dir / "apt.txt", "curl\n");
    auto project = project_for(dir, *python);
    REQUIRE(project);
    auto d = python->detect(*project);
    REQUIRE(d);
    CHECK_FALSE(d->applies);
    CHECK(d->ecosystem.empty());
    CHECK(project->facts.find(bp::facts::wanted_runtimes) == nullptr);
  }
}

TEST_CASE("the detect defaults hold every key PRODUCT.md promises") {
  auto defaults = bp::detect_defaults();
  for (const char* key : {"python", "r", "requirements", "indexes", "find_links"})
    CHECK_MESSAGE(defaults.contains(key), key);
}
