#include "deb/relation.hpp"

#include <doctest/doctest.h>

using namespace mlpack;
using deb::RelOp;

TEST_CASE("relation fields: groups, alternatives, operators, qualifiers") {
  auto r = deb::parse_relations(
      "libc6 (>= 2.34), libgcc-s1 (>= 3.0) | libgcc1, python3:any (<< 3.12~), foo:amd64 (= 1:1.0-1), bar:native,"
      "old (< 2), older (>1.0),\n baz (>> 1) [amd64 arm64] <!nocheck> <stage1 cross>",
      "Depends");
  REQUIRE(r);
  REQUIRE(r->size() == 8);
  CHECK((*r)[0][0].name == "libc6");
  CHECK((*r)[0][0].op == RelOp::ge);
  CHECK((*r)[0][0].version->str() == "2.34");
  REQUIRE((*r)[1].size() == 2);
  CHECK((*r)[1][1].name == "libgcc1");
  CHECK((*r)[1][1].op == RelOp::any);
  CHECK_FALSE((*r)[1][1].version);
  CHECK((*r)[2][0].arch_qualifier == "any");
  CHECK((*r)[2][0].op == RelOp::lt);
  CHECK((*r)[3][0].arch_qualifier == "amd64");
  CHECK((*r)[3][0].version->epoch() == 1);
  CHECK((*r)[4][0].arch_qualifier == "native");
  CHECK((*r)[5][0].op == RelOp::le);  // obsolete `<` means `<=`
  CHECK((*r)[6][0].op == RelOp::ge);
  CHECK((*r)[7][0].arch_list == std::vector<std::string>{"amd64", "arm64"});
  REQUIRE((*r)[7][0].profiles.size() == 2);
  CHECK((*r)[7][0].profiles[1] == std::vector<std::string>{"stage1", "cross"});
  CHECK(deb::to_string(*r) ==
        "libc6 (>= 2.34), libgcc-s1 (>= 3.0) | libgcc1, python3:any (<< 3.12~), foo:amd64 (= 1:1.0-1), "
        "bar:native, old (<= 2), older (>= 1.0), baz (>> 1) [amd64 arm64] <!nocheck> <stage1 cross>");
  CHECK(deb::parse_relations("", "Depends")->empty());
  CHECK(deb::parse_relations("a1, b2,", "Depends")->size() == 2);  // trailing comma tolerated
}

TEST_CASE("architecture restrictions and profiles evaluated for a target") {
  auto rel = [](const char* text) { return deb::parse_relations(text, "Build-Depends")->front().front(); };
  CHECK(rel("x1 [amd64]").applies_to("amd64"));
  CHECK_FALSE(rel("x1 [amd64]").applies_to("arm64"));
  CHECK_FALSE(rel("x1 [!amd64 !i386]").applies_to("amd64"));
  CHECK(rel("x1 [!amd64 !i386]").applies_to("arm64"));
  CHECK(rel("x1 [linux-any]").applies_to("arm64"));
  CHECK_FALSE(rel("x1 [kfreebsd-any]").applies_to("amd64"));
  CHECK(rel("x1 [kfreebsd-any]").applies_to("kfreebsd-amd64"));
  CHECK(rel("x1 [any-amd64]").applies_to("kfreebsd-amd64"));
  CHECK_FALSE(rel("x1 [any-arm64]").applies_to("amd64"));
  CHECK(rel("x1 <!nocheck>").applies_to("amd64"));
  std::vector<std::string> nocheck = {"nocheck"};
  CHECK_FALSE(rel("x1 <!nocheck>").applies_to("amd64", nocheck));
  CHECK_FALSE(rel("x1 <stage1>").applies_to("amd64"));
  CHECK(rel("x1 <stage1> <!nocheck>").applies_to("amd64"));
  CHECK(rel("x1").applies_to("riscv64"));
}

TEST_CASE("version relations") {
  auto ver = [](const char* s) { return *deb::Version::parse(s); };
  auto rel = [](const char* text) { return deb::parse_relations(text, "Depends")->front().front(); };
  CHECK(rel("a1 (>= 2.34)").matches_version(ver("2.36-9")));
  CHECK_FALSE(rel("a1 (>= 2.34)").matches_version(ver("2.34~rc1")));
  CHECK(rel("a1 (<< 3.12~)").matches_version(ver("3.11.2-1")));
  CHECK_FALSE(rel("a1 (<< 3.12~)").matches_version(ver("3.12~a1")));
  CHECK(rel("a1 (= 1.0)").matches_version(ver("0:1.0-0")));
  CHECK(rel("a1 (>> 1.0)").matches_version(ver("1.0-1")));
  CHECK(rel("a1 (<= 1.0)").matches_version(ver("1.0")));
  CHECK(rel("a1").matches_version(ver("0")));
}

TEST_CASE("malformed relation fields name the field and the part") {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (auto [text, needle] :
       {Case{"libc6 (>= )", "version string is empty"}, Case{"libc6 (~ 1)", "operator"},
        Case{"libc6 (>= 1", "missing `)`"}, Case{"a1 | , b2", "empty alternative"},
        Case{"Libc6", "invalid package name"}, Case{"a1 [amd64 !i386]", "mixes"}, Case{"a1, , b2", "empty entry"},
        Case{"a1 (>= 1) junk", "unexpected `junk`"}, Case{"a1:", "empty architecture qualifier"}}) {
    auto r = deb::parse_relations(text, "Depends");
    REQUIRE_MESSAGE(!r, text);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.starts_with("Depends: "), r.error().message);
    CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos, r.error().message);
  }
  auto p = deb::parse_relation_list("a1 | b2", "Conflicts");
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("alternatives are not allowed") != std::string::npos);
  auto provides = deb::parse_relation_list("mail-transport-agent, libfoo-abi (= 1.2)", "Provides");
  REQUIRE(provides);
  CHECK((*provides)[1].op == RelOp::eq);
}
