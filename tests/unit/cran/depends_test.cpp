#include "cran/depends.hpp"

#include <doctest/doctest.h>

#include "cran/base_packages.hpp"

using namespace mlpack;
using cran::Op;

namespace {

std::vector<cran::Dependency> deps(std::string_view field) {
  auto r = cran::parse_dependencies(field);
  REQUIRE_MESSAGE(r, field, ": ", (r ? "" : r.error().message));
  return *r;
}

std::string render(const std::vector<cran::Dependency>& d) {
  std::string out;
  for (const auto& x : d) out += (out.empty() ? "" : ", ") + x.str();
  return out;
}

}  // namespace

TEST_CASE("cran depends: R's syntax") {
  CHECK(render(deps("oatmeal, toast (>= 1.0.0)")) == "oatmeal, toast (>= 1.0.0)");
  CHECK(render(deps("R(>= 3.4.0)")) == "R (>= 3.4.0)");
  CHECK(render(deps("DT(>= 0.4),shiny")) == "DT (>= 0.4), shiny");
  CHECK(render(deps("R6\n        (>= 2.2.2), rlang (\n>=\n 1.0 )")) == "R6 (>= 2.2.2), rlang (>= 1.0)");
  CHECK(render(deps("a1 (> 1.0), b.2 (<= 2.0), cc (< 3), dd (== 1.0-1), ee (!= 0.1)")) ==
        "a1 (> 1.0), b.2 (<= 2.0), cc (< 3), dd (== 1.0-1), ee (!= 0.1)");
  CHECK(render(deps("Rcpp,")) == "Rcpp");
  CHECK(render(deps(" , ,\n")) == "");
  CHECK(deps("").empty());
  CHECK(render(deps("R (>= 4)")) == "R (>= 4)");
  auto d = deps("toast (>= 1.0.0)");
  REQUIRE(d.size() == 1);
  REQUIRE(d[0].constraint);
  CHECK(d[0].constraint->op == Op::ge);
  CHECK(d[0].constraint->version.str() == "1.0.0");
}

TEST_CASE("cran depends: a bad entry is invalid_input quoting it") {
  for (std::string_view bad : {"toast (= 1.0)", "toast (>= )", "toast (>= 1.0", "toast >= 1.0", "_x", "a",
                               "toast (>= 1.0) extra", "toast (~> 1.0)", "to-ast", "x.", "toast (>= 1.0a)",
                               "9lives"}) {
    auto r = cran::parse_dependencies(std::string("ok, ") + std::string(bad));
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.starts_with("invalid dependency `"), r.error().message);
  }
  auto r = cran::parse_dependencies("toast (= 1.0)");
  REQUIRE(!r);
  CHECK(r.error().message.find("toast (= 1.0)") != std::string::npos);
  // Control characters are escaped in the message.
  r = cran::parse_dependencies("bad\x1b[31m");
  REQUIRE(!r);
  CHECK(r.error().message.find('\x1b') == std::string::npos);
}

TEST_CASE("cran depends: constraints") {
  auto c = [](Op op, std::string_view ver) { return cran::Constraint{op, *cran::Version::parse_numeric(ver)}; };
  auto ver = [](std::string_view s) { return *cran::Version::parse(s); };
  CHECK(c(Op::ge, "1.0.0").satisfied_by(ver("1.0.0")));
  CHECK(!c(Op::ge, "1.0.1").satisfied_by(ver("1.0.0")));
  CHECK(c(Op::gt, "1.0").satisfied_by(ver("1.0.0")));  // R: 1.0 < 1.0.0
  CHECK(c(Op::lt, "4.4.99").satisfied_by(ver("4.4.1")));
  CHECK(!c(Op::lt, "4.4.99").satisfied_by(ver("4.5.0")));
  CHECK(c(Op::le, "2.0").satisfied_by(ver("2.0")));
  CHECK(c(Op::eq, "1.0-1").satisfied_by(ver("1.0.1")));
  CHECK(c(Op::ne, "1.0").satisfied_by(ver("1.1")));
  CHECK(c(Op::ge, "4").satisfied_by(ver("4.0.0")));
  CHECK(c(Op::ge, "1.0.0").str() == ">= 1.0.0");
}

TEST_CASE("cran depends: package names") {
  for (std::string_view good : {"Rcpp", "data.table", "R6", "ab", "A3", "x.y.z"}) CHECK_MESSAGE(cran::is_valid_package_name(good), good);
  for (std::string_view bad : {"", "a", "R", "1a", ".ab", "ab.", "a_b", "a-b", "ab c", "\xc3\xa9t\xc3\xa9"})
    CHECK_MESSAGE(!cran::is_valid_package_name(bad), bad);
}

TEST_CASE("cran base packages") {
  for (std::string_view b : {"R", "base", "compiler", "datasets", "graphics", "grDevices", "grid", "methods", "parallel",
                             "splines", "stats", "stats4", "tcltk", "tools", "utils"})
    CHECK_MESSAGE(cran::is_base_package(b), b);
  for (std::string_view r : {"KernSmooth", "MASS", "Matrix", "boot", "class", "cluster", "codetools", "foreign",
                             "lattice", "mgcv", "nlme", "nnet", "rpart", "spatial", "survival"}) {
    CHECK_MESSAGE(cran::is_recommended_package(r), r);
    CHECK_MESSAGE(!cran::is_base_package(r), r);
  }
  CHECK(!cran::is_base_package("Rcpp"));
  CHECK(!cran::is_base_package("Base"));
  CHECK(!cran::is_recommended_package("matrix"));
}
