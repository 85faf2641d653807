#include <doctest/doctest.h>

#include "detectors/pyproject.hpp"
#include "python_test_util.hpp"

using namespace mlpack;
using test::Project;

namespace {
util::Result<detectors::PyProject> parse_pyproject_text(const Project& p, std::string_view text) {
  p.write("pyproject.toml", text);
  return detectors::parse_pyproject(p.root() / "pyproject.toml", p.root());
}
std::string pyproject_error(const Project& p, std::string_view text) {
  auto r = parse_pyproject_text(p, text);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  return r.error().message;
}
}  // namespace

TEST_CASE("pyproject.toml: [project] fields") {
  Project p;
  auto r = parse_pyproject_text(p, R"([project]
name = "iris-classifier"
version = "0.3.1"
requires-python = ">=3.10"
dependencies = [
  "numpy>=1.26",
  "pandas[performance]; python_version >= '3.10'",
]
dynamic = ["readme"]

[project.optional-dependencies]
GPU_Support = ["torch==2.2.*"]
dev = []

[project.scripts]
serve = "iris.serve:main"

[project.gui-scripts]
viewer = "iris.gui:run"

[tool.other]
anything = 1
)");
  REQUIRE(r);
  CHECK(r->has_project);
  CHECK(r->name == "iris-classifier");
  CHECK(r->version == "0.3.1");
  CHECK(r->requires_python == ">=3.10");
  REQUIRE(r->dependencies.size() == 2);
  CHECK(r->dependencies[0].requirement.name == "numpy");
  CHECK(r->dependencies[0].file == "pyproject.toml");
  CHECK(r->dependencies[0].line == 6);
  CHECK(r->dependencies[0].column == 3);
  CHECK(r->dependencies[1].requirement.marker->str() == "python_version >= \"3.10\"");
  CHECK(r->optional_dependencies.size() == 2);
  REQUIRE(r->optional_dependencies.contains("gpu-support"));
  CHECK(r->optional_dependencies.at("gpu-support")[0].requirement.specifier.str() == "==2.2.*");
  CHECK(r->scripts == std::map<std::string, std::string>{{"serve", "iris.serve:main"}});
  CHECK(r->gui_scripts == std::map<std::string, std::string>{{"viewer", "iris.gui:run"}});
  CHECK(r->dynamic == std::vector<std::string>{"readme"});

  auto tool_only = parse_pyproject_text(p, "[tool.black]\nline-length = 100\n");
  REQUIRE(tool_only);
  CHECK_FALSE(tool_only->has_project);
}

TEST_CASE("pyproject.toml: dependency groups with includes") {
  Project p;
  auto r = parse_pyproject_text(p, R"([dependency-groups]
Test = ["pytest>=8", {include-group = "typing"}]
typing = ["mypy"]
dev = [{include-group = "TEST"}, "ruff", {include-group = "typing"}]
)");
  REQUIRE(r);
  CHECK_FALSE(r->has_project);
  auto group_names = [&](const std::string& g) {
    std::vector<std::string> out;
    for (const auto& req : r->dependency_groups.at(g)) out.push_back(req.requirement.name);
    return out;
  };
  CHECK(group_names("test") == std::vector<std::string>{"pytest", "mypy"});
  CHECK(group_names("dev") == std::vector<std::string>{"pytest", "mypy", "ruff", "mypy"});
  CHECK(r->dependency_groups.at("dev")[1].line == 3);  // where the included requirement is written

  CHECK(pyproject_error(p, "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [\"x\", {include-group = \"A\"}]\n") ==
        "pyproject.toml:3:28: dependency groups include each other in a cycle (a → b → a)");
  CHECK(pyproject_error(p, "[dependency-groups]\na = [{include-group = \"a\"}]\n") ==
        "pyproject.toml:2:23: dependency groups include each other in a cycle (a → a)");
  CHECK(pyproject_error(p, "[dependency-groups]\na = [{include-group = \"nope\"}]\n") ==
        "pyproject.toml:2:23: dependency group `a` includes `nope`, which is not a dependency group");
  CHECK(pyproject_error(p, "[dependency-groups]\na = [{include = \"b\"}]\n")
            .starts_with("pyproject.toml:2:6: an item of dependency group `a` must be"));
  CHECK(pyproject_error(p, "[dependency-groups]\na = [1]\n").starts_with("pyproject.toml:2:6: an item of"));
  CHECK(pyproject_error(p, "[dependency-groups]\na = \"x\"\n") == "pyproject.toml:2:5: dependency group `a` must be an array");
  CHECK(pyproject_error(p, "[dependency-groups]\nFoo = []\nfoo = []\n")
            .starts_with("pyproject.toml:3:1: dependency group `foo` duplicates `Foo`"));
  CHECK(pyproject_error(p, "[dependency-groups]\n\"-bad\" = []\n") ==
        "pyproject.toml:2:1: dependency group name `-bad` is not valid");
}

TEST_CASE("pyproject.toml: errors name file, line and column") {
  Project p;
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = \"numpy\"\n") ==
        "pyproject.toml:4:16: `project.dependencies` must be an array");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\n  \"numpy\",\n  3,\n]\n") ==
        "pyproject.toml:6:3: each item of `project.dependencies` must be a string");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"numpy>=\"]\n")
            .starts_with("pyproject.toml:4:17: invalid requirement `numpy>=` in `project.dependencies`: "));
  CHECK(pyproject_error(p, "[project]\nname = 3\n") == "pyproject.toml:2:8: `project.name` must be a string");
  CHECK(pyproject_error(p, "[project]\nname = \"-x\"\n") ==
        "pyproject.toml:2:8: `project.name` `-x` is not a valid project name");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"one\"\n") ==
        "pyproject.toml:3:11: `project.version` `one` is not a PEP 440 version");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\nrequires-python = \">=3.x\"\n")
            .starts_with("pyproject.toml:4:19: `project.requires-python` `>=3.x`: "));
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\n[project.optional-dependencies]\ngpu = \"torch\"\n") ==
        "pyproject.toml:5:7: `project.optional-dependencies.gpu` must be an array");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\nscripts = {a = 1}\n") ==
        "pyproject.toml:4:16: `project.scripts.a` must be a string");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\n").starts_with("pyproject.toml:1:1: `[project]` has no `version`"));
  CHECK(pyproject_error(p, "[project]\nversion = \"1\"\n") == "pyproject.toml:1:1: `[project]` has no `name`");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"version\"]\n") ==
        "pyproject.toml:3:11: `project.version` is given here and also listed in `project.dynamic`");
  CHECK(pyproject_error(p, "[project]\nname = \"x\"\ndynamic = [\"name\", \"version\"]\n") ==
        "pyproject.toml:3:12: `name` cannot be dynamic: it must be given in `[project]`");
  CHECK(pyproject_error(p, "project = 1\n") == "pyproject.toml:1:11: `project` must be a table");
  auto syntax = pyproject_error(p, "[project]\nname = \"x\"\nversion = 1.0.0\n");
  CHECK(syntax.starts_with("pyproject.toml:3:"));
  auto dynamic_ok = parse_pyproject_text(p, "[project]\nname = \"x\"\ndynamic = [\"version\"]\n");
  REQUIRE(dynamic_ok);
  CHECK_FALSE(dynamic_ok->version);
}
