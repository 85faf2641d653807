// The python buildpack's decisions that need no network: how the venv is cut into layers, which
// interpreter it runs on, whether apt's python3-* packages are visible, which lockfile is taken.
#include <doctest/doctest.h>

#include <fstream>

#include "buildpacks/python/python.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace py = mlpack::buildpacks::python;

namespace {

lock::Package wheel_pkg(std::string name, std::uint64_t size) {
  lock::Package p;
  p.ecosystem = "pypi";
  p.name = std::move(name);
  p.version = "1.0";
  p.size = size;
  p.sha256 = std::string(64, 'a');
  return p;
}

lock::LockFile lock_with(std::vector<lock::Package> packages) {
  lock::LockFile l;
  l.target.python = "3.11";
  l.packages = std::move(packages);
  return l;
}

std::vector<std::string> names(const py::VenvGroup& g) {
  std::vector<std::string> out;
  for (const auto* p : g.wheels) out.push_back(p->name);
  return out;
}

}  // namespace

TEST_CASE("plan_venv gives large wheels their own layers under the budget, the rest share the last") {
  constexpr std::uint64_t MB = 1 << 20;
  auto lock = lock_with({wheel_pkg("certifi", 1 * MB), wheel_pkg("numpy", 18 * MB), wheel_pkg("scipy", 60 * MB),
                         wheel_pkg("torch", 800 * MB), wheel_pkg("triton", 200 * MB), wheel_pkg("zzz", 0)});
  wheel::VenvLayout layout;
  SUBCASE("default threshold") {
    auto groups = py::plan_venv(lock, layout);
    REQUIRE(groups.size() == 4);
    CHECK(names(groups[0]) == std::vector<std::string>{"scipy"});  // by name among the large ones
    CHECK(names(groups[1]) == std::vector<std::string>{"torch"});
    CHECK(names(groups[2]) == std::vector<std::string>{"triton"});
    CHECK(groups[3].skeleton);
    CHECK_FALSE(groups[0].skeleton);
    CHECK(names(groups[3]) == std::vector<std::string>{"certifi", "numpy", "zzz"});
    CHECK(groups[1].contents == "python: torch 1.0");
    CHECK(groups[3].contents == "python: 3 packages in /opt/venv");
  }
  SUBCASE("the budget keeps the largest") {
    auto groups = py::plan_venv(lock, layout, 3);
    REQUIRE(groups.size() == 3);
    CHECK(names(groups[0]) == std::vector<std::string>{"torch"});
    CHECK(names(groups[1]) == std::vector<std::string>{"triton"});
    CHECK(names(groups[2]) == std::vector<std::string>{"certifi", "numpy", "scipy", "zzz"});
  }
  SUBCASE("a budget of one is a single layer") {
    auto groups = py::plan_venv(lock, layout, 1);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].wheels.size() == 6);
  }
  SUBCASE("no wheels: only the skeleton") {
    auto groups = py::plan_venv(lock_with({}), layout);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].skeleton);
    CHECK(groups[0].contents == "python: 0 packages in /opt/venv");
  }
}

TEST_CASE("a venv layer's key changes with its own wheels only") {
  auto a = lock_with({wheel_pkg("torch", 900u << 20), wheel_pkg("six", 1)});
  auto b = lock_with({wheel_pkg("torch", 900u << 20), wheel_pkg("six", 1)});
  b.packages[1].version = "1.1";
  wheel::VenvLayout layout;
  auto ga = py::plan_venv(a, layout), gb = py::plan_venv(b, layout);
  REQUIRE(ga.size() == 2);
  REQUIRE(gb.size() == 2);
  wheel::VenvOptions opts;
  CHECK(py::layer_key_text(ga[0], layout, opts) == py::layer_key_text(gb[0], layout, opts));
  CHECK(py::layer_key_text(ga[1], layout, opts) != py::layer_key_text(gb[1], layout, opts));
  wheel::VenvOptions visible;
  visible.apt_packages = wheel::AptPackages::visible;
  CHECK(py::layer_key_text(ga[1], layout, opts) != py::layer_key_text(ga[1], layout, visible));
}

TEST_CASE("venv_layout reads the interpreter from the base") {
  auto lock = lock_with({wheel_pkg("six", 1)});
  SUBCASE("Debian's python3 in the lock") {
    lock::Package deb;
    deb.ecosystem = "deb";
    deb.name = "python3";
    deb.version = "3.11.2-1+b1";
    lock.packages.push_back(deb);
    auto l = py::venv_layout(lock, {});
    REQUIRE(l.has_value());
    CHECK(l->interpreter == "/usr/bin/python3.11");
    CHECK(l->python_version == "3.11.2");
  }
  SUBCASE("an official python image") {
    py::BasePython base;
    base.interpreters = {"/usr/bin/python3.9", "/usr/local/bin/python3.11"};
    base.version = "3.11.9";
    auto l = py::venv_layout(lock, base);
    REQUIRE(l.has_value());
    CHECK(l->interpreter == "/usr/local/bin/python3.11");
    CHECK(l->python_version == "3.11.9");
  }
  SUBCASE("an image with only /usr/bin") {
    py::BasePython base;
    base.interpreters = {"/usr/bin/python3.11"};
    auto l = py::venv_layout(lock, base);
    REQUIRE(l.has_value());
    CHECK(l->interpreter == "/usr/bin/python3.11");
    CHECK(l->python_version == "3.11");
  }
  SUBCASE("no such interpreter is an error naming what is there") {
    py::BasePython base;
    base.interpreters = {"/usr/local/bin/python3.12"};
    auto l = py::venv_layout(lock, base);
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error().kind == util::ErrorKind::invalid_input);
    CHECK(l.error().message.find("python3.12") != std::string::npos);
  }
}

TEST_CASE("apt.txt's python3-* packages make the venv see dist-packages") {
  auto lock = lock_with({});
  CHECK(py::venv_options(lock).apt_packages == wheel::AptPackages::hidden);
  lock::Package runtime;
  runtime.ecosystem = "deb";
  runtime.name = "python3-minimal";
  runtime.extra["layer"] = "runtime";
  lock.packages.push_back(runtime);
  CHECK(py::venv_options(lock).apt_packages == wheel::AptPackages::hidden);
  lock::Package numpy;
  numpy.ecosystem = "deb";
  numpy.name = "python3-numpy";
  numpy.extra["layer"] = "apt";
  lock.packages.push_back(numpy);
  CHECK(py::venv_options(lock).apt_packages == wheel::AptPackages::visible);
}

TEST_CASE("find_lockfile takes them in precedence order") {
  auto dir = util::TempDir::create();
  REQUIRE(dir.has_value());
  auto touch = [&](const char* name) { std::ofstream(dir->path() / name) << "x"; };
  CHECK_FALSE(py::find_lockfile(dir->path()).value().has_value());
  touch("Pipfile.lock");
  CHECK(py::find_lockfile(dir->path()).value() == "Pipfile.lock");
  touch("poetry.lock");
  CHECK(py::find_lockfile(dir->path()).value() == "poetry.lock");
  touch("uv.lock");
  CHECK(py::find_lockfile(dir->path()).value() == "uv.lock");
  touch("pylock.dev.toml");
  CHECK(py::find_lockfile(dir->path()).value() == "pylock.dev.toml");
  touch("pylock.prod.toml");
  auto several = py::find_lockfile(dir->path());
  REQUIRE_FALSE(several.has_value());
  CHECK(several.error().message.find("pylock.dev.toml, pylock.prod.toml") != std::string::npos);
  touch("pylock.toml");
  CHECK(py::find_lockfile(dir->path()).value() == "pylock.toml");
}
