#include <doctest/doctest.h>

#include "detectors/project.hpp"
#include "detectors/python_version.hpp"
#include "detectors/requirements.hpp"
#include "python_test_util.hpp"

using namespace mlpack;
using test::Project;

TEST_CASE("binder/ and .binder/ hold the environment files, as repo2docker reads them") {
  Project p;
  CHECK(detectors::environment_dir(p.root()) == p.root());
  p.write(".binder/requirements.txt", "numpy\n");
  CHECK(detectors::environment_dir(p.root()) == p.root() / ".binder");
  p.write("binder/requirements.txt", "pandas\n");
  p.write("binder/runtime.txt", "python-3.10\n");
  auto dir = detectors::environment_dir(p.root());
  CHECK(dir == p.root() / "binder");
  auto r = detectors::parse_requirements_file(dir / "requirements.txt", p.root());
  REQUIRE(r);
  CHECK(r->requirements[0].file == "binder/requirements.txt");
  auto v = detectors::read_python_version(dir, p.root());
  REQUIRE(v);
  CHECK((*v)->file == "binder/runtime.txt");
}

TEST_CASE("files are shown relative to the project root, with forward slashes") {
  CHECK(detectors::display_path("/p/binder/./requirements.txt", "/p") == "binder/requirements.txt");
  CHECK(detectors::display_path("/p/requirements.txt", "/p/") == "requirements.txt");
  CHECK(detectors::display_path("/elsewhere/x.txt", "/p") == "../elsewhere/x.txt");
}
