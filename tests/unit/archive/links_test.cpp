// archive::check_links: links resolved against the links the archive itself creates (issue 15).
#include <doctest/doctest.h>

#include <vector>

#include "archive/links.hpp"

using namespace mlpack;
using archive::LinkSpec;

namespace {
std::string refusal(const std::vector<LinkSpec>& links, std::string_view root, const std::vector<LinkSpec>& existing = {}) {
  auto r = archive::check_links(links, root, existing);
  if (r) return "";
  CHECK(r.error().kind == util::ErrorKind::integrity);
  return r.error().message;
}
}  // namespace

TEST_CASE("check_links: links that stay inside, alone or in chains, pass") {
  CHECK(refusal({{"opt/venv/lib/p/a.py", "b.py"}}, "opt/venv").empty());
  CHECK(refusal({{"opt/venv/lib/p/a.py", "../q/./b.py"}}, "opt/venv").empty());
  // A chain whose last component is a link: that link is checked in its own right.
  CHECK(refusal({{"opt/venv/a", "b"}, {"opt/venv/b", "lib/c"}}, "opt/venv").empty());
  CHECK(refusal({{"x/y", "../z"}}, "").empty());
}

TEST_CASE("check_links: the chain up -> ../../.., esc -> up/../../../.. reaches / and is refused") {
  const std::vector<LinkSpec> chain = {{"opt/venv/lib/site/pkg/up", "../../.."},
                                       {"opt/venv/lib/site/pkg/esc", "up/../../../.."}};
  // From opt/venv/lib/site/pkg, up is opt/venv; esc, read lexically, is opt/venv/lib and looks
  // inside. Through up it is opt/venv/../../.. = `/`.
  CHECK(refusal({chain[0]}, "opt/venv") == "symlink `opt/venv/lib/site/pkg/up` points to `../../..`, outside /opt/venv (at its top)");
  auto msg = refusal({chain[1]}, "opt/venv", {chain[0]});
  CHECK(msg == "symlink `opt/venv/lib/site/pkg/esc` points to `up/../../../..`, through `opt/venv/lib/site/pkg/up`, "
               "another link, where it could lead out of /opt/venv");
  CHECK_FALSE(refusal(chain, "").empty());  // with the image root as the bound too
  const std::vector<LinkSpec> inner = {{"opt/venv/lib/site/pkg/up", "../.."}, {"opt/venv/lib/site/pkg/esc", "up/../../../.."}};
  CHECK(refusal(inner, "opt/venv").find("through `opt/venv/lib/site/pkg/up`") != std::string::npos);
}

TEST_CASE("check_links: absolute targets, climbing out, and links inside links are refused") {
  CHECK(refusal({{"opt/venv/a", "/etc/shadow"}}, "opt/venv").find("absolute") != std::string::npos);
  CHECK(refusal({{"opt/venv/a", ""}}, "opt/venv").find("absolute or empty") != std::string::npos);
  CHECK(refusal({{"opt/venv/lib/a", "../../../etc"}}, "opt/venv").find("outside /opt/venv") != std::string::npos);
  // Out and back in: the step outside is refused (above the root lies the base image).
  CHECK(refusal({{"opt/venv/lib/a", "../../../venv/lib/b"}}, "opt/venv").find("outside") != std::string::npos);
  // Through an existing link (a venv's lib64 -> lib).
  CHECK(refusal({{"opt/venv/lib/a", "../lib64/../.."}}, "opt/venv", {{"opt/venv/lib64", "lib"}}).find("`opt/venv/lib64`") !=
        std::string::npos);
  // A link placed under another link.
  CHECK(refusal({{"opt/venv/d", "lib"}, {"opt/venv/d/x", "y"}}, "opt/venv").find("lies in `opt/venv/d`") != std::string::npos);
  CHECK(refusal({{"usr/x", "y"}}, "opt/venv").find("lies outside") != std::string::npos);
}
