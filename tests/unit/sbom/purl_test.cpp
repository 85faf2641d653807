#include "sbom/purl.hpp"

#include <doctest/doctest.h>

using namespace mlpack;
using sbom::parse_purl;
using sbom::Purl;

TEST_CASE("purls are written as the purl spec builds them") {
  Purl deb{"deb", "debian", "libc6", "2.36-9+deb12u4", {{"distro", "debian-12"}, {"arch", "amd64"}}, ""};
  // `+` is percent-encoded; qualifiers are sorted by key.
  CHECK(deb.str() == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
  // An epoch's colon stays as it is.
  CHECK(Purl{"deb", "debian", "zlib1g", "1:1.2.13.dfsg-1", {}, ""}.str() == "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1");
  CHECK(Purl{"pypi", "", "numpy", "1.26.4", {}, ""}.str() == "pkg:pypi/numpy@1.26.4");
  CHECK(Purl{"PyPI", "", "a b", "1.0", {{"empty", ""}}, ""}.str() == "pkg:pypi/a%20b@1.0");
  CHECK(Purl{"conda",
             "",
             "numpy",
             "1.26.4",
             {{"build", "py311h_0"}, {"channel", "https://x.test/c"}, {"subdir", "linux-64"}},
             ""}
            .str() == "pkg:conda/numpy@1.26.4?build=py311h_0&channel=https:%2F%2Fx.test%2Fc&subdir=linux-64");
  CHECK(Purl{"oci", "", "app", "sha256:ab", {}, "a/b"}.str() == "pkg:oci/app@sha256:ab#a/b");
  CHECK(sbom::purl_encode("é@?#%") == "%C3%A9%40%3F%23%25");
}

TEST_CASE("purls round-trip through the parser") {
  for (const Purl& p :
       {Purl{"deb", "debian", "libc6", "2.36-9+deb12u4", {{"arch", "amd64"}, {"distro", "debian-12"}}, ""},
        Purl{"cran", "", "data.table", "1.14.8", {}, ""},
        Purl{"conda", "", "python", "3.11.8", {{"channel", "https://user.test/t/x"}, {"build", "h_0"}}, ""},
        Purl{"generic", "a/b", "weird name@1", "1.0/2?x", {{"download_url", "http://h/p?q=1&r=2"}}, "sub/dir"}}) {
    auto parsed = parse_purl(p.str());
    REQUIRE_MESSAGE(parsed, p.str());
    CHECK(*parsed == p);
  }
}

TEST_CASE("the purl parser refuses what the spec refuses") {
  for (const char* bad :
       {"deb/debian/libc6@1", "pkg:/libc6@1", "pkg:9deb/x@1", "pkg:deb/", "pkg:de_b/x@1", "pkg:deb/x@",
        "pkg:deb/x@1%zz", "pkg:deb/x@1%2", "pkg:deb/x?a=1&a=2", "pkg:deb/x?1a=2", "pkg:deb/x?=2", "pkg:deb/x?a"}) {
    CHECK_MESSAGE(!parse_purl(bad), bad);
  }
  auto p = parse_purl("pkg:PyPI/Django@1.0?Arch=x&empty=");
  REQUIRE(p);
  CHECK(p->type == "pypi");
  CHECK(p->qualifiers.size() == 1);
  CHECK(p->qualifiers.at("arch") == "x");
}
