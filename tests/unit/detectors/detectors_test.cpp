#include <doctest/doctest.h>

#include "detectors/apt_txt.hpp"
#include "detectors/project.hpp"
#include "detectors/project_config.hpp"
#include "util/fs.hpp"

using namespace mlpack;

TEST_CASE("apt.txt: names, pins, comments") {
  auto r = detectors::parse_apt_txt("# system libraries\nlibgomp1\n\n  curl=7.88.1-10+deb12u5  # pinned\n");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].name == "libgomp1");
  CHECK((*r)[0].line == 2);
  CHECK((*r)[1].name == "curl");
  CHECK((*r)[1].version == "7.88.1-10+deb12u5");
}

TEST_CASE("apt.txt: malformed lines name file and line") {
  auto two = detectors::parse_apt_txt("curl\ncurl wget\n");
  REQUIRE_FALSE(two);
  CHECK(two.error().kind == util::ErrorKind::invalid_input);
  CHECK(two.error().message == "apt.txt:2: expected one package per line, got `curl wget`");
  CHECK(detectors::parse_apt_txt("Curl\n").error().message.find("apt.txt:1: invalid Debian package name") == 0);
  CHECK_FALSE(detectors::parse_apt_txt("curl=\n"));
  CHECK_FALSE(detectors::parse_apt_txt("curl=abc\n"));
}

TEST_CASE("apt.txt in binder/") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  REQUIRE(util::make_dirs(dir->path() / "binder"));
  REQUIRE(util::write_file_atomic(dir->path() / "binder" / "apt.txt", "git\n"));
  auto r = detectors::read_apt_txt(dir->path());
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].file == "binder/apt.txt");
  auto none = detectors::read_apt_txt(dir->path() / "binder" / "nothing");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("apt.txt: a binder folder wins over the root, as for requirements.txt and runtime.txt") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  REQUIRE(util::write_file_atomic(dir->path() / "apt.txt", "curl\n"));
  REQUIRE(util::make_dirs(dir->path() / ".binder"));
  REQUIRE(util::write_file_atomic(dir->path() / ".binder" / "apt.txt", "git\n"));
  auto r = detectors::read_apt_txt(dir->path());
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].name == "git");
  CHECK((*r)[0].file == ".binder/apt.txt");
  // A binder folder without apt.txt still hides the root's: it is where the environment is.
  REQUIRE(util::make_dirs(dir->path() / "binder"));
  auto hidden = detectors::read_apt_txt(dir->path());
  REQUIRE(hidden);
  CHECK(hidden->empty());
  CHECK(detectors::environment_dir(dir->path()) == dir->path() / "binder");
}

TEST_CASE("mlpack.yaml: the documented example parses; the buildpacks' keys are kept for them") {
  const std::vector<std::string> buildpack_keys = {"python", "cuda", "apt", "apt_repositories", "snapshot"};
  auto c = detectors::parse_project_config(R"(
name: iris-classifier
base: debian:bookworm
python: "3.11"
cuda: auto
apt: [libgomp1]
env: {MODEL_PATH: /app/model.pkl}
entrypoint: ["python", "serve.py"]
ports: [8080]
user: "1000:1000"
exclude: ["data/raw/**"]
apt_repositories:
  - {url: "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64", suite: "./", keyring: keys/cuda.gpg}
)", "mlpack.yaml", buildpack_keys);
  REQUIRE(c);
  CHECK(c->name == "iris-classifier");
  CHECK(c->env.at("MODEL_PATH") == "/app/model.pkl");
  CHECK(*c->entrypoint == std::vector<std::string>{"python", "serve.py"});
  CHECK(c->ports == std::vector<int>{8080});
  CHECK(*c->section("cuda")->string() == "auto");
  REQUIRE(c->section("apt"));
  CHECK(*c->section("apt")->strings() == std::vector<std::string>{"libgomp1"});
  CHECK(*c->section("python")->string() == "3.11");
  auto repos = c->section("apt_repositories")->items();
  REQUIRE(repos);
  REQUIRE(repos->size() == 1);
  CHECK(*repos->at(0).get("suite")->string() == "./");
  CHECK_FALSE(repos->at(0).get("components"));
  CHECK(c->section("snapshot") == nullptr);
  // Without the buildpacks' keys, theirs are unknown.
  auto alone = detectors::parse_project_config("apt: [libgomp1]\n");
  REQUIRE_FALSE(alone);
  CHECK(alone.error().message == "mlpack.yaml:1:1: unknown key `apt`");
}

TEST_CASE("mlpack.yaml: unknown keys and wrong types name file:line:column") {
  auto typo = detectors::parse_project_config("name: x\nentrypiont: [python]\n", "proj/mlpack.yaml");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message == "proj/mlpack.yaml:2:1: unknown key `entrypiont`; did you mean `entrypoint`?");
  auto far = detectors::parse_project_config("zzzzzz: 1\n");
  CHECK(far.error().message == "mlpack.yaml:1:1: unknown key `zzzzzz`");
  auto ports = detectors::parse_project_config("ports: [80, 70000]\n");
  CHECK(ports.error().message == "mlpack.yaml:1:13: each port must be a number from 1 to 65535");
  auto apt = detectors::parse_project_config("apt: libgomp1\n", "mlpack.yaml", {"apt"});
  REQUIRE(apt);
  CHECK(apt->section("apt")->strings().error().message == "mlpack.yaml:1:6: `apt` must be a list of strings");
  auto repo = detectors::parse_project_config("x:\n  - {url: u, suit: s}\n", "mlpack.yaml", {"x"});
  REQUIRE(repo);
  auto items = repo->section("x")->items();
  REQUIRE(items);
  auto unknown = items->at(0).only_keys({"url", "suite"}, " in a repository");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "mlpack.yaml:2:14: unknown key `suit` in a repository; did you mean `suite`?");
  auto syntax = detectors::parse_project_config("name: [unclosed\n");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().message.find("mlpack.yaml:") == 0);
  CHECK(detectors::parse_project_config("").has_value());
}

TEST_CASE("mlpack.yaml: `name` is checked when the file is read, as the image tag it becomes") {
  for (const char* good : {"name: iris-classifier\n", "name: Model_2.1\n", "name: _x\n"})
    CHECK_MESSAGE(detectors::parse_project_config(good).has_value(), good);
  auto slash = detectors::parse_project_config("python: '3.11'\nname: team/model\n", "p/mlpack.yaml", {"python"});
  REQUIRE_FALSE(slash);
  CHECK(slash.error().kind == util::ErrorKind::invalid_input);
  CHECK(slash.error().message.find("p/mlpack.yaml:2:7: `name` must be") == 0);
  CHECK(slash.error().message.find("`team/model`") != std::string::npos);
  CHECK_FALSE(detectors::parse_project_config("name: -dash\n"));
  CHECK_FALSE(detectors::parse_project_config("name: ''\n"));
  CHECK_FALSE(detectors::parse_project_config("name: " + std::string(129, 'a') + "\n"));
  CHECK(detectors::parse_project_config("name: " + std::string(128, 'a') + "\n").has_value());
}
