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
  CHECK((*rt)->version == "3.11");
  CHECK((*rt)->file == "runtime.txt");

  p.write("runtime.txt", "r-4.3-2024-01-15\n");  // R's, not ours
  p.write(".python-version", "# pyenv\ncpython-3.12\n");
  auto pv = detectors::read_python_version(p.root(), p.root());
  REQUIRE(pv);
  REQUIRE(*pv);
  CHECK((*pv)->version == "3.12");
  CHECK((*pv)->file == ".python-version");

  p.write(".python-version", "3.10.13\n");
  CHECK((*detectors::read_python_version(p.root(), p.root()))->version == "3.10");

  p.write(".python-version", "\npypy3.10\n");
  auto bad = detectors::read_python_version(p.root(), p.root());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message ==
        ".python-version:2: expected a CPython version such as `3.11` or `3.11.4`, got `pypy3.10`");

  p.write("binder/runtime.txt", "python-3\n");
  auto bad_rt = detectors::read_python_version(p.root() / "binder", p.root());
  REQUIRE_FALSE(bad_rt);
  CHECK(bad_rt.error().message == "binder/runtime.txt:1: expected `python-X.Y` or `python-X.Y.Z`, got `python-3`");
}
