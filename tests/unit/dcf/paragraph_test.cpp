#include <doctest/doctest.h>

#include <string>

#include "dcf/paragraph.hpp"

using namespace mlpack;

TEST_CASE("paragraphs with continuation lines") {
  const char* text =
      "Package: hello\n"
      "Version: 2.10-3\n"
      "Description: example package\n"
      " The long description.\n"
      " .\n"
      " Second paragraph.\n"
      "\n"
      "\n"
      "package: other\n"
      "Depends: libc6 (>= 2.34)\n";
  auto ps = dcf::parse_paragraphs(text, "Packages");
  REQUIRE(ps);
  REQUIRE(ps->size() == 2);
  CHECK((*ps)[0].get("package") == "hello");
  CHECK((*ps)[0].get("Description") == "example package\nThe long description.\n\nSecond paragraph.");
  CHECK((*ps)[0].line == 1);
  CHECK((*ps)[1].get("Package") == "other");
  CHECK((*ps)[1].line == 9);
  CHECK_FALSE((*ps)[1].get("Version"));
  CHECK((*ps)[0].str() ==
        "Package: hello\nVersion: 2.10-3\nDescription: example package\n The long description.\n .\n Second "
        "paragraph.\n");
}

TEST_CASE("an R DESCRIPTION file") {
  const char* text =
      "Package: demo\r\n"
      "Type: Package\r\n"
      "Title: A Demo\r\n"
      "Version: 0.1.0\r\n"
      "Authors@R: person(\"A\", \"B\", email = \"a@example.org\",\r\n"
      "\trole = c(\"aut\", \"cre\"))\r\n"
      "Imports:\r\n"
      "    dplyr (>= 1.0.0),\r\n"
      "    ggplot2\r\n"
      "Config/testthat/edition: 3\r\n";
  auto ps = dcf::parse_paragraphs(text, "DESCRIPTION");
  REQUIRE(ps);
  REQUIRE(ps->size() == 1);
  const auto& p = ps->front();
  CHECK(p.get("authors@r") == "person(\"A\", \"B\", email = \"a@example.org\",\nrole = c(\"aut\", \"cre\"))");
  CHECK(p.get("Imports") == "\n   dplyr (>= 1.0.0),\n   ggplot2");
  CHECK(p.get("Config/testthat/edition") == "3");
}

TEST_CASE("a field given twice keeps its first position and its last value") {
  auto ps = dcf::parse_paragraphs("A: 1\nB: 2\na: 3\n more\n", "f");
  REQUIRE(ps);
  REQUIRE(ps->front().fields().size() == 2);
  CHECK(ps->front().fields()[0].first == "A");
  CHECK(ps->front().get("A") == "3\nmore");
}

TEST_CASE("comments: skipped where the format allows them, else refused") {
  const char* text = "# a comment\nSource: x\n# between continuation lines\nBuild-Depends: a,\n b\n";
  auto skipped = dcf::parse_paragraphs(text, "debian/control", {.comments = dcf::Comments::skipped});
  REQUIRE(skipped);
  REQUIRE(skipped->size() == 1);
  CHECK(skipped->front().line == 2);
  CHECK(skipped->front().get("Build-Depends") == "a,\nb");
  auto refused = dcf::parse_paragraphs(text, "DESCRIPTION");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == util::ErrorKind::invalid_input);
  CHECK(refused.error().message == "DESCRIPTION:1: comment lines are not allowed in this file");
}

TEST_CASE("malformed data names the file and line") {
  auto r = dcf::parse_paragraphs("Package: a\nnot a field\n", "status");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message == "status:2: expected `Field: value`, got `not a field`");
  auto c = dcf::parse_paragraphs(" leading continuation\n", "Release");
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "Release:1: continuation line without a field");
  auto after_blank = dcf::parse_paragraphs("A: 1\n\n continued\n", "f");
  REQUIRE_FALSE(after_blank);
  CHECK(after_blank.error().message == "f:3: continuation line without a field");
  auto empty_name = dcf::parse_paragraphs(": value\n", "f");
  REQUIRE_FALSE(empty_name);
  CHECK(empty_name.error().message == "f:1: expected `Field: value`, got `: value`");
}

TEST_CASE("field names are deb822's: printable US-ASCII, no space, not starting with - or #") {
  for (std::string bad : {"two words: x", "-dash: x", "caf\xC3\xA9: x", "tab\there: x", "\xEF\xBB\xBFPackage: x"}) {
    CAPTURE(bad);
    auto r = dcf::parse_paragraphs("A: 1\n" + bad + "\n", "f");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.starts_with("f:2: invalid field name `"));
  }
  CHECK(dcf::parse_paragraphs("X-Odd_Name.1+~!: x\n", "f"));
}

TEST_CASE("errors quote a bounded, printable excerpt of the line") {
  std::string line = "\x1b[31m" + std::string(100, 'x');
  auto r = dcf::parse_paragraphs(line, "f");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "f:1: expected `Field: value`, got `?[31m" + std::string(55, 'x') + "`");
  // A multi-byte character is not cut in half.
  std::string utf8 = std::string(59, 'a') + "\xC3\xA9" + "b";
  auto u = dcf::parse_paragraphs(utf8, "f");
  REQUIRE_FALSE(u);
  CHECK(u.error().message == "f:1: expected `Field: value`, got `" + std::string(59, 'a') + "`");
}

TEST_CASE("a paragraph holds at most max_fields fields") {
  std::string text;
  for (int i = 0; i < 5; ++i) text += "F" + std::to_string(i) + ": v\n";
  CHECK(dcf::parse_paragraphs(text, "f", {.max_fields = 5}));
  text += "F0: again\n";  // a repeated field is not a new one
  CHECK(dcf::parse_paragraphs(text, "f", {.max_fields = 5}));
  auto r = dcf::parse_paragraphs("\n" + text + "F5: v\n", "f", {.max_fields = 5});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "f:8: more than 5 fields in one paragraph (it starts at line 2)");
}

TEST_CASE("many fields in one paragraph parse in linear time") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "Field" + std::to_string(i) + ": v\n";
  std::string file;
  for (int i = 0; i < 200; ++i) file += text + "\n";
  std::size_t paragraphs = 0;
  auto r = dcf::for_each_paragraph(file, "f", {}, [&](dcf::Paragraph&& p) -> util::Result<void> {
    CHECK(p.fields().size() == 1000);
    ++paragraphs;
    return {};
  });
  REQUIRE(r);
  CHECK(paragraphs == 200);
}

TEST_CASE("for_each_paragraph stops at the visitor's error") {
  int seen = 0;
  auto r = dcf::for_each_paragraph("A: 1\n\nA: 2\n\nA: 3\n", "f", {}, [&](dcf::Paragraph&& p) -> util::Result<void> {
    ++seen;
    if (p.get("A") == "2") return util::fail(util::ErrorKind::invalid_input, "stop");
    return {};
  });
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "stop");
  CHECK(seen == 2);
}

TEST_CASE("set keeps the position of an existing field, str writes it back") {
  dcf::Paragraph p;
  p.set("Package", "a");
  p.set("Description", "short\nlong\n\nmore");
  p.set("package", "b");
  CHECK(p.fields().size() == 2);
  CHECK(p.str() == "Package: b\nDescription: short\n long\n .\n more\n");
  auto again = dcf::parse_paragraphs(p.str(), "f");
  REQUIRE(again);
  CHECK(again->front().fields() == p.fields());
}
