#include "pypi/marker.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "corpora.hpp"
#include "skip.hpp"

using namespace mlpack;
using mlpack::test::read_json;
using mlpack::test::read_jsonl;
using pypi::Marker;
using pypi::MarkerEnvironment;

namespace {

Marker marker(std::string_view s) {
  auto r = Marker::parse(s);
  REQUIRE_MESSAGE(r, s);
  return *r;
}

MarkerEnvironment cp311() {
  pypi::Target t;
  t.python_major = 3;
  t.python_minor = 11;
  t.glibc = std::pair{2, 36};
  return MarkerEnvironment::for_target(t, "3.11.2");
}

bool holds(std::string_view m, const MarkerEnvironment& env, std::vector<std::string> extras = {}) {
  return marker(m).evaluate(env, extras);
}

std::optional<std::filesystem::path> corpus() { return mlpack::test::corpus_dir("pypa_packaging"); }

}  // namespace

TEST_CASE("marker environment of a linux x86_64 cp311 target") {
  auto env = cp311();
  CHECK(env.values.at("python_version") == "3.11");
  CHECK(env.values.at("python_full_version") == "3.11.2");
  CHECK(env.values.at("implementation_name") == "cpython");
  CHECK(env.values.at("implementation_version") == "3.11.2");
  CHECK(env.values.at("platform_python_implementation") == "CPython");
  CHECK(env.values.at("os_name") == "posix");
  CHECK(env.values.at("sys_platform") == "linux");
  CHECK(env.values.at("platform_system") == "Linux");
  CHECK(env.values.at("platform_machine") == "x86_64");

  pypi::Target t;
  t.python_minor = 12;
  t.implementation = "pp";
  t.arch = "aarch64";
  auto pypy = MarkerEnvironment::for_target(t);
  CHECK(pypy.values.at("python_full_version") == "3.12.0");
  CHECK(pypy.values.at("implementation_name") == "pypy");
  CHECK(pypy.values.at("platform_python_implementation") == "PyPy");
  CHECK(pypy.values.at("platform_machine") == "aarch64");
}

TEST_CASE("markers a resolver meets, evaluated for linux x86_64 cp311") {
  auto env = cp311();
  CHECK(holds(R"(python_version >= "3.8")", env));
  CHECK_FALSE(holds(R"(python_version < "3.8")", env));
  CHECK(holds(R"(python_version < "3.12")", env));
  CHECK(holds(R"(python_full_version >= "3.11.1")", env));
  CHECK_FALSE(holds(R"(python_full_version < "3.11.2")", env));
  CHECK(holds(R"(python_version == "3.11.*")", env));
  CHECK(holds(R"(python_version ~= "3.9")", env));
  CHECK(holds(R"(sys_platform == "linux")", env));
  CHECK_FALSE(holds(R"(sys_platform == "win32")", env));
  CHECK_FALSE(holds(R"(sys_platform == "darwin" and platform_machine == "arm64")", env));
  CHECK(holds(R"(platform_system != "Windows")", env));
  CHECK(holds(R"(platform_machine == "x86_64" or platform_machine == "aarch64")", env));
  CHECK(holds(R"(platform_python_implementation == "CPython")", env));
  CHECK_FALSE(holds(R"(implementation_name == "pypy")", env));
  CHECK(holds(R"('linux' in sys_platform)", env));
  CHECK(holds(R"("x86" in platform_machine)", env));
  CHECK(holds(R"(os_name not in "nt java")", env));
  CHECK(holds(R"(python_version >= "3" and (sys_platform == "win32" or os_name == "posix"))", env));
  // `and` binds tighter than `or`.
  CHECK(holds(R"(os_name == "nt" and python_version < "3" or sys_platform == "linux")", env));
  CHECK_FALSE(holds(R"(sys_platform == "linux" and python_version < "3" or os_name == "nt")", env));
  // The 3.10 trap: versions compare as versions, not strings.
  CHECK(holds(R"(python_version > "3.9")", env));
  // Legacy spellings.
  CHECK(holds(R"(os.name == "posix" and platform.machine == "x86_64")", env));
  CHECK(holds(R"(python_implementation == "CPython")", env));
  // Strings that are not versions do not order.
  CHECK_FALSE(holds(R"(sys_platform < "m")", env));
  CHECK(holds(R"(sys_platform >= "linux")", env));
  // A pre-release interpreter still satisfies a lower bound.
  pypi::Target t;
  t.python_minor = 13;
  CHECK(marker(R"(python_full_version > "3.6.2")").evaluate(MarkerEnvironment::for_target(t, "3.13.0rc1")));
}

TEST_CASE("extras in markers") {
  auto env = cp311();
  auto socks = marker(R"(extra == "socks")");
  CHECK(socks.uses_extra());
  CHECK_FALSE(marker(R"(python_version > "3")").uses_extra());
  CHECK_FALSE(socks.evaluate(env));
  std::vector<std::string> asked{"socks"};
  CHECK(socks.evaluate(env, asked));
  std::vector<std::string> other{"security"};
  CHECK_FALSE(socks.evaluate(env, other));
  std::vector<std::string> both{"security", "Socks"};
  CHECK(socks.evaluate(env, both));
  // PEP 685: names compare normalised, on either side.
  CHECK(holds(R"(extra == "Foo_Bar")", env, {"foo-bar"}));
  CHECK(holds(R"(extra == "foo-bar")", env, {"FOO.bar"}));
  CHECK(holds(R"("Foo..Bar" == extra)", env, {"foo_bar"}));
  CHECK(marker(R"(extra == "Foo_Bar")").str() == R"(extra == "foo-bar")");
  // Combined with environment markers.
  auto m = marker(R"(python_version < "3.8" and extra == "test" or extra == "all")");
  CHECK_FALSE(m.evaluate(env, asked));
  CHECK_FALSE(m.evaluate(env, std::vector<std::string>{"test"}));
  CHECK(m.evaluate(env, std::vector<std::string>{"test", "all"}));
  // `extra != "x"` holds for the base install and for other extras, as pip evaluates it.
  CHECK(holds(R"(extra != "x")", env));
  CHECK(holds(R"(extra != "x")", env, {"y"}));
  // The set-valued `extras` of lock files.
  CHECK(holds(R"("Tests" in extras)", env, {"tests", "docs"}));
  CHECK_FALSE(holds(R"("lint" in extras)", env, {"tests"}));
  auto groups = env;
  groups.dependency_groups = {"dev"};
  CHECK(marker(R"("dev" in dependency_groups)").evaluate(groups));
  CHECK(marker(R"("docs" not in dependency_groups)").evaluate(groups));
}

TEST_CASE("undefined comparisons") {
  auto env = cp311();
  for (auto m : {R"(os_name === "posix")", R"(os_name ~= "3.0")", R"(extras == "foo")"}) {
    auto r = marker(m).try_evaluate(env);
    CHECK_FALSE_MESSAGE(r, m);
    if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_FALSE(marker(m).evaluate(env));
  }
  // A version-valued variable compares with `===` as text.
  CHECK(holds(R"(python_version === "3.11")", env));
  CHECK_FALSE(holds(R"(python_version === "3.11.0")", env));
}

TEST_CASE("marker str") {
  CHECK(marker("python_version>'3.8'").str() == R"(python_version > "3.8")");
  CHECK(marker("( python_version>'3.8' )").str() == R"(python_version > "3.8")");
  CHECK(marker(R"(os_name=='a' and (sys_platform=='b' or sys_platform=='c'))").str() ==
        R"(os_name == "a" and (sys_platform == "b" or sys_platform == "c"))");
  CHECK(marker(R"((os_name=='a' or os_name=='b') and (sys_platform=='c'))").str() ==
        R"((os_name == "a" or os_name == "b") and sys_platform == "c")");
  CHECK(marker("os_name=='a\"b'").str() == R"(os_name == 'a"b')");
  CHECK(marker(R"(os_name == "\x41\u00e9\n")").str() == "os_name == \"A\xC3\xA9\n\"");
  CHECK(marker(R"(os_name == "a\db")").str() == R"(os_name == "a\db")");
  CHECK(marker("python_version > '3'") == marker("python_version>\"3\""));
}

TEST_CASE("marker errors say what and where") {
  auto check_error = [](std::string_view text, std::string_view first_line) {
    auto r = Marker::parse(text);
    REQUIRE_FALSE_MESSAGE(r, text);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    auto msg = r.error().message;
    CHECK(msg.substr(0, msg.find('\n')) == first_line);
  };
  check_error("python_version", "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in at column 15");
  check_error("os_name == ", "Expected a marker variable or quoted string at column 12");
  check_error("os_nam == 'x'", "Expected a marker variable or quoted string at column 1");
  check_error("os_name == 'x' and", "Expected a marker variable or quoted string at column 19");
  check_error("(os_name == 'x'", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression at column 16");
  check_error("os_name == 'x' xor", "Expected end of marker expression at column 16");
  check_error("'a' not python_version", "Expected 'in' after 'not' at column 9");
  check_error(R"(os_name == "C:\")", "Invalid quoted string at column 17");
  check_error("python_version >= '3'\n", "Expected end of marker expression at column 22");

  auto deep = std::string(100, '(') + "os_name == 'x'" + std::string(100, ')');
  CHECK(marker(deep).str() == R"(os_name == "x")");
  check_error("(" + deep + ")", "Parentheses nested more than 100 deep at column 101");

  auto r = Marker::parse("(os_name == 'x'");
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression at column 16\n"
        "    (os_name == 'x'\n"
        "    ~~~~~~~~~~~~~~~^");
}

TEST_CASE("pypa/packaging marker vectors") {
  auto dir = corpus();
  if (!dir) {
    MLPACK_SKIP("pypa_packaging corpus not found (set MLPACK_CORPORA)");
    return;
  }
  int total = 0;
  int passed = 0;
  int out_of_scope = 0;
  auto tally = [&](bool ok, const std::string& what) {
    ++total;
    if (ok)
      ++passed;
    else
      MESSAGE("mismatch: ", what);
  };

  for (const auto& v : read_jsonl(*dir / "markers" / "markers_valid.jsonl")) {
    auto text = v.at("marker").get<std::string>();
    auto r = Marker::parse(text);
    tally(r.has_value(), "should parse: " + text + (r ? "" : " (" + r.error().message + ")"));
  }

  auto invalid = read_json(*dir / "markers" / "markers_invalid.json");
  for (const auto& v : invalid) {
    auto text = v.get<std::string>();
    tally(!Marker::parse(text), "should fail: " + text);
  }

  auto normalization = read_json(*dir / "markers" / "marker_str_normalization.json");
  for (const auto& v : normalization) {
    auto text = v.at("input").get<std::string>();
    auto want = v.at("str").get<std::string>();
    auto r = Marker::parse(text);
    auto got = r ? r->str() : "error: " + r.error().message;
    tally(got == want, "str(" + text + ") = " + got + ", want " + want);
  }

  auto pairs = read_json(*dir / "markers" / "marker_not_equal_pairs.json");
  for (const auto& v : pairs) {
    auto a = Marker::parse(v.at("a").get<std::string>());
    auto b = Marker::parse(v.at("b").get<std::string>());
    tally(a && b && !(*a == *b), "should differ: " + v.dump());
  }

  for (const auto& v : read_jsonl(*dir / "markers" / "marker_evaluate.jsonl")) {
    auto text = v.at("marker").get<std::string>();
    const auto& expected = v.at("expected");
    // We have no evaluation contexts: `extras`/`dependency_groups` are always the sets asked for
    // (packaging's lock-file context), so its "metadata" context, where naming them is an
    // UndefinedEnvironmentName, does not exist here.
    if (v.value("context", "").starts_with("metadata") && expected.is_string()) {
      ++out_of_scope;
      continue;
    }
    MarkerEnvironment env;
    std::vector<std::string> extras;
    for (const auto& [key, value] : v.at("environment").items()) {
      if (key == "extras")
        extras = value.get<std::vector<std::string>>();
      else if (key == "dependency_groups")
        env.dependency_groups = value.get<std::vector<std::string>>();
      else if (key == "extra")
        env.values["extra"] = value.get<std::string>();
      else
        env.values[key] = value.get<std::string>();
    }
    auto r = Marker::parse(text);
    if (!r) {
      tally(false, "should parse: " + text);
      continue;
    }
    auto got = r->try_evaluate(env, extras);
    if (expected.is_boolean())
      tally(got && *got == expected.get<bool>(), "evaluate " + v.dump());
    else
      tally(!got, "evaluate should fail: " + v.dump());
  }

  MESSAGE("pypa/packaging marker vectors: ", passed, "/", total, " passed; ", out_of_scope,
          " out of scope (packaging's metadata evaluation context)");
  CHECK(passed == total);
}
