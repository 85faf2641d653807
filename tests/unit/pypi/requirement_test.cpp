#include "pypi/requirement.hpp"

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
using pypi::MarkerEnvironment;
using pypi::Requirement;

namespace {

Requirement req(std::string_view s) {
  auto r = Requirement::parse(s);
  REQUIRE_MESSAGE(r, s);
  return *r;
}

MarkerEnvironment cp311() {
  pypi::Target t;
  t.python_minor = 11;
  return MarkerEnvironment::for_target(t, "3.11.2");
}

// The first line of an error: packaging's message plus our " at column N".
std::string error_head(std::string_view text) {
  auto r = Requirement::parse(text);
  if (r) return "(parsed)";
  return r.error().message.substr(0, r.error().message.find('\n'));
}

std::optional<std::filesystem::path> corpus() { return mlpack::test::corpus_dir("pypa_packaging"); }

std::string or_null(const nlohmann::json& j) { return j.is_null() ? "<null>" : j.get<std::string>(); }

}  // namespace

TEST_CASE("requirement parts") {
  auto r = req("requests[socks,security] >=2.8.1, ==2.8.* ; python_version < '2.7'");
  CHECK(r.name == "requests");
  CHECK(r.extras == std::vector<std::string>{"security", "socks"});
  CHECK(r.specifier.str() == "==2.8.*,>=2.8.1");
  CHECK(r.url.empty());
  REQUIRE(r.marker);
  CHECK(r.marker->str() == R"(python_version < "2.7")");
  CHECK(r.str() == R"(requests[security,socks]==2.8.*,>=2.8.1; python_version < "2.7")");

  auto plain = req("Django");
  CHECK(plain.name == "Django");
  CHECK(plain.normalized_name() == "django");
  CHECK(plain.specifier.empty());
  CHECK_FALSE(plain.marker);
  CHECK(plain.str() == "Django");

  CHECK(req("name (>=1.0, <2)").specifier.str() == "<2,>=1.0");
  CHECK(req("Foo.Bar_baz==1").normalized_name() == "foo-bar-baz");
  CHECK(req("name[b,a,b]").extras == std::vector<std::string>{"a", "b"});
  CHECK(req("name===1.0-weird").specifier.str() == "===1.0-weird");
  CHECK(req("name==1.0+cu121").specifier.str() == "==1.0+cu121");
  CHECK(req("name ~= 1.4.2").specifier.str() == "~=1.4.2");
  // Python's `\s` after an operator includes Unicode white space (here U+2003 EM SPACE).
  CHECK(req("name>=\u20031.0").specifier.str() == ">=1.0");
  // A name may end in `_` (a word character) but not in `-` or `.`.
  CHECK(req("name_").name == "name_");
  CHECK_FALSE(Requirement::parse("name-"));
}

TEST_CASE("direct references") {
  auto r = req("pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee");
  CHECK(r.name == "pip");
  CHECK(r.url == "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee");
  CHECK(r.specifier.empty());
  CHECK(r.str() == "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee");

  auto m = req("name[x] @ file:///tmp/name.whl ; sys_platform == 'linux'");
  CHECK(m.url == "file:///tmp/name.whl");
  CHECK(m.str() == R"(name[x] @ file:///tmp/name.whl ; sys_platform == "linux")");
  // Without white space the `;` belongs to the URL, so the marker has no separator.
  CHECK(error_head("name @ https://example.com/; extra == 'x'") ==
        "Expected semicolon (after URL and whitespace) or end at column 30");
}

TEST_CASE("a requirement applies to the target and the extras asked for") {
  auto env = cp311();
  CHECK(req("numpy>=1.24").applies(env));
  CHECK(req("tomli; python_version < '3.11'").applies(env) == false);
  CHECK(req("exceptiongroup; python_version < '3.11'").applies(env) == false);
  CHECK(req("typing-extensions; python_version < '3.12'").applies(env));
  CHECK_FALSE(req("pywin32; sys_platform == 'win32'").applies(env));
  CHECK(req("uvloop; sys_platform != 'win32' and implementation_name == 'cpython'").applies(env));

  auto socks = req("PySocks!=1.5.7,>=1.5.6; extra == 'socks'");
  CHECK_FALSE(socks.applies(env));
  std::vector<std::string> asked{"socks"};
  CHECK(socks.applies(env, asked));
  std::vector<std::string> other{"use-chardet-on-py3"};
  CHECK_FALSE(socks.applies(env, other));
  CHECK(req("a; extra == 'Use_Chardet_On_Py3'").applies(env, other));
}

TEST_CASE("requirement errors say what was expected where") {
  CHECK(error_head("") == "Expected package name at the start of dependency specifier at column 1");
  CHECK(error_head("numpy >= 1.0 <2") ==
        "Expected comma (within version specifier), semicolon (after version specifier) or end at column 14");
  CHECK(error_head("numpy 1.0") == "Expected semicolon (after name with no version specifier) or end at column 7");
  CHECK(error_head("numpy[a b]") == "Expected comma between extra names at column 9");
  CHECK(error_head("numpy[a,]") == "Expected extra name after comma at column 9");
  CHECK(error_head("numpy (>=1") ==
        "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier at column 11");
  CHECK(error_head("numpy>=1.*") == ".* suffix can only be used with `==` or `!=` operators at column 10");
  CHECK(error_head("numpy>=1+local") == "Local version label can only be used with `==` or `!=` operators at column 9");
  CHECK(error_head("numpy; os_name = 'x'") ==
        "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in at column 16");
  CHECK(error_head("numpy; python_version >= '3'\n") == "Expected end of dependency specifier at column 29");
  auto r = Requirement::parse("numpy >= 1.0 <2");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message ==
        "Expected comma (within version specifier), semicolon (after version specifier) or end at column 14\n"
        "    numpy >= 1.0 <2\n"
        "          ~~~~~~~^");
}

TEST_CASE("pypa/packaging requirement vectors") {
  auto dir = corpus();
  if (!dir) {
    MLPACK_SKIP("pypa_packaging corpus not found (set MLPACK_CORPORA)");
    return;
  }
  int total = 0;
  int passed = 0;
  int message_differs = 0;
  int escaped = 0;
  auto tally = [&](bool ok, const std::string& what) {
    ++total;
    if (ok)
      ++passed;
    else
      MESSAGE("mismatch: ", what);
  };
  auto check_parts = [&](const nlohmann::json& v) {
    auto text = v.at("input").get<std::string>();
    auto r = Requirement::parse(text);
    if (!r) {
      tally(false, "should parse: " + text + " (" + r.error().message + ")");
      return;
    }
    auto extras = v.at("extras").get<std::vector<std::string>>();
    // The generated vectors give the specifier as written, the literal ones as str(): compare sets.
    auto want_specifier = pypi::SpecifierSet::parse(v.at("specifier").get<std::string>());
    std::string url = r->url.empty() ? "<null>" : r->url;
    std::string got_marker = r->marker ? r->marker->str() : "<null>";
    bool ok = r->name == v.at("name").get<std::string>() && r->extras == extras &&
              want_specifier && r->specifier == *want_specifier && url == or_null(v.at("url")) &&
              got_marker == or_null(v.at("marker"));
    if (v.contains("str")) ok = ok && r->str() == v.at("str").get<std::string>();
    tally(ok, text + " -> " + r->str());
  };

  for (const auto& v : read_jsonl(*dir / "requirements" / "requirements_valid_grammar.jsonl")) check_parts(v);

  for (const auto& v : read_jsonl(*dir / "requirements" / "requirements_test_literals_parsed.jsonl")) {
    if (v.at("valid").get<bool>()) {
      check_parts(v);
      continue;
    }
    auto text = v.at("input").get<std::string>();
    auto want = v.at("error").get<std::string>();
    auto r = Requirement::parse(text);
    if (r) {
      tally(false, "should fail: " + text);
      continue;
    }
    // packaging: "<message>\n    <source>\n    <underline>". Ours adds " at column N" to the
    // first line, N being where the caret is.
    auto underline_at = want.rfind("\n    ");
    if (want.find('\n') == std::string::npos) {
      // Not a syntax error but the specifier set's own ("Invalid specifier: 'y'"), which our
      // SpecifierSet words differently. That it fails is what counts.
      ++message_differs;
      tally(true, "");
      continue;
    }
    if (text.find('\r') != std::string::npos) {
      // Ours shows a carriage return escaped (a terminal would obey it), packaging as it is.
      ++escaped;
      tally(r.error().message.find('\r') == std::string::npos &&
                r.error().message.find("\\r") != std::string::npos,
            "escaped \\r for " + text + ":\n" + r.error().message);
      continue;
    }
    auto underline = want.substr(underline_at + 5);
    auto head_end = want.size() - underline.size() - 5 - text.size() - 5;
    auto expected = want.substr(0, head_end) + " at column " + std::to_string(underline.size()) +
                    want.substr(head_end);
    tally(r.error().message == expected, "error for " + text + ":\n" + r.error().message + "\nwant\n" + expected);
  }

  for (const auto& v : read_jsonl(*dir / "requirements" / "requirement_equality.jsonl")) {
    auto a = Requirement::parse(v.at("a").get<std::string>());
    auto b = Requirement::parse(v.at("b").get<std::string>());
    tally(a && b && ((*a == *b) == v.at("equal").get<bool>()), "equality: " + v.dump());
  }

  auto normalization = read_json(*dir / "requirements" / "requirement_str_normalization.json");
  for (const auto& v : normalization) {
    auto r = Requirement::parse(v.at("input").get<std::string>());
    tally(r && r->str() == v.at("str").get<std::string>(), "str: " + v.dump());
  }

  MESSAGE("pypa/packaging requirement vectors: ", passed, "/", total, " passed (", message_differs,
          " error only checked as an error: SpecifierSet words its own message; ", escaped,
          " with a carriage return shown escaped rather than raw)");
  CHECK(passed == total);
}
