#include <doctest/doctest.h>

#include "detectors/python_version.hpp"
#include "python_test_util.hpp"

using namespace mlpack;
using test::Project;

TEST_CASE("python version files") {
  Project p;
  auto none = detectors::read_python_version(p.root(), p.root());
  REQUIRE(none);
  CHECK_FALSE(*none);

  p.write("runtime.txt", "python-3.11.4\n");
  auto rt = detectors::read_python_version(p.root(), p.root());
  REQUIRE(rt);
  REQUIRE(*rt);
  CHECK((*rt)->version == "3.11.4");  // exactly 3.11.4, as pip --python-version and uv read it
  CHECK((*rt)->file == "runtime.txt");

  p.write("runtime.txt", "r-4.3-2024-01-15\n");  // R's, not ours
  p.write(".python-version", "# pyenv\ncpython-3.12\n");
  auto pv = detectors::read_python_version(p.root(), p.root());
  REQUIRE(pv);
  REQUIRE(*pv);
  CHECK((*pv)->version == "3.12");
  CHECK((*pv)->file == ".python-version");

  p.write(".python-version", "3.10.13\n");
  CHECK((*detectors::read_python_version(p.root(), p.root()))->version == "3.10.13");

  p.write(".python-version", "\npypy3.10\n");
  auto bad = detectors::read_python_version(p.root(), p.root());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message ==
        ".python-version:2: expected a CPython version such as `3.11` or `3.11.4`, got `pypy3.10`");

  p.write("binder/runtime.txt", "python-3.x\n");
  auto bad_rt = detectors::read_python_version(p.root() / "binder", p.root());
  REQUIRE_FALSE(bad_rt);
  CHECK(bad_rt.error().message ==
        "binder/runtime.txt:1: expected `python-X.Y`, `python-X.Y.Z` or `python-3`, got `python-3.x`");
}

TEST_CASE("runtime.txt `python-3` asks for the base's Python 3, as repo2docker reads it") {
  Project p;
  p.write("runtime.txt", "python-3\n");
  auto rt = detectors::read_python_version(p.root(), p.root());
  REQUIRE(rt);
  REQUIRE(*rt);
  CHECK((*rt)->version == "3");
  p.write("runtime.txt", "# comment\n\n  python-3.12.1  \n");
  CHECK((*detectors::read_python_version(p.root(), p.root()))->version == "3.12.1");
  std::filesystem::remove(p.root() / "runtime.txt");
  p.write(".python-version", "3\n");  // pyenv and uv read a bare major version too
  CHECK((*detectors::read_python_version(p.root(), p.root()))->version == "3");
}

TEST_CASE("how a Python version request is spelt") {
  using detectors::parse_python_request;
  using detectors::Precision;
  CHECK(parse_python_request("3.11") == "3.11");
  CHECK(parse_python_request("3.12.1") == "3.12.1");
  CHECK(parse_python_request("3.10.13") == "3.10.13");
  CHECK_FALSE(parse_python_request("3"));  // --python and mlpack.yaml want X.Y at least
  CHECK(parse_python_request("3", Precision::major_allowed) == "3");
  for (const char* bad : {"", "3.", ".3", "3..1", "3.11.4.1", "3.x", "3.11a1", "3.11.4rc1", "v3.11", " 3.11", "3.011",
                          "03.11", "+3.11", "-3.11", "3.11 ", "3,11", "99999.1"})
    CHECK_MESSAGE(!parse_python_request(bad, Precision::major_allowed), bad);
  CHECK(parse_python_request("3.0") == "3.0");
  CHECK(parse_python_request("3.10.0") == "3.10.0");
}
