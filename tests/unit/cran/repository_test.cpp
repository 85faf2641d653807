#include "cran/repository.hpp"

#include <doctest/doctest.h>

using namespace mlpack;

TEST_CASE("cran repository: URLs") {
  CHECK(cran::contrib_url("https://cloud.r-project.org") == "https://cloud.r-project.org/src/contrib");
  CHECK(cran::contrib_url("https://cloud.r-project.org//") == "https://cloud.r-project.org/src/contrib");
  auto record = *cran::parse_description("Package: toast\nVersion: 1.0-1\n", "DESCRIPTION");
  CHECK(cran::package_url("http://127.0.0.1:8080/repo/", record) == "http://127.0.0.1:8080/repo/src/contrib/toast_1.0-1.tar.gz");
  record.path = "/3.5.0/Recommended/";
  record.file = "toast_1.0-1_R4.tar.gz";
  CHECK(cran::package_url("http://127.0.0.1:8080/repo", record) ==
        "http://127.0.0.1:8080/repo/src/contrib/3.5.0/Recommended/toast_1.0-1_R4.tar.gz");
  CHECK(cran::archive_url("https://r.example/cran/", "toast", "0.9") ==
        "https://r.example/cran/src/contrib/Archive/toast/toast_0.9.tar.gz");
  CHECK(cran::archive_listing_url("https://r.example/cran", "toast") == "https://r.example/cran/src/contrib/Archive/toast/");
  CHECK(cran::ppm_repository("bookworm", "2024-01-15") == "https://packagemanager.posit.co/cran/__linux__/bookworm/2024-01-15");
  CHECK(cran::ppm_repository("bookworm", "latest") == "https://packagemanager.posit.co/cran/__linux__/bookworm/latest");
  CHECK(cran::r_user_agent(*cran::Version::parse("4.3.2"), "x86_64") == "R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)");
  CHECK(cran::r_user_agent(*cran::Version::parse("4.4.1"), "aarch64") ==
        "R (4.4.1 aarch64-unknown-linux-gnu aarch64 linux-gnu)");
}

TEST_CASE("cran repository: archive listings") {
  // Apache's mod_autoindex, as CRAN serves src/contrib/Archive/<pkg>/.
  const std::string_view apache = R"(<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /src/contrib/Archive/toast</title></head><body>
<table><tr><th><a href="?C=N;O=D">Name</a></th></tr>
<tr><td><a href="/src/contrib/Archive/">Parent Directory</a></td></tr>
<tr><td><a href="toast_1.10.tar.gz">toast_1.10.tar.gz</a></td><td>2020-01-01 10:00</td></tr>
<tr><td><a href="toast_1.9-1.tar.gz">toast_1.9-1.tar.gz</a></td></tr>
<tr><td><a href='./toast_0.1.tar.gz'>toast_0.1.tar.gz</a></td></tr>
<tr><td><a href="toast_1.9-1.tar.gz">again</a></td></tr>
<tr><td><a href="toaster_2.0.tar.gz">toaster</a></td></tr>
<tr><td><a href="toast_latest.tar.gz">bad version</a></td></tr>
<tr><td><a href="toast_2.0.zip">zip</a></td></tr>
<tr><td><a href="toast_3.0.tar.gz.sig">sig</a></td></tr>
</table></body></html>)";
  auto r = cran::parse_archive_listing(apache, "toast");
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"0.1", "1.9-1", "1.10"});
  // nginx's autoindex: absolute hrefs.
  r = cran::parse_archive_listing(R"(<a href="../">../</a>
<a href="/cran/src/contrib/Archive/R6/R6_2.5.1.tar.gz">R6_2.5.1.tar.gz</a>  12-Aug-2021 10:10  82K)", "R6");
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"2.5.1"});
  r = cran::parse_archive_listing("<html>nothing here <a href=", "toast");
  REQUIRE(r);
  CHECK(r->empty());
  CHECK(!cran::parse_archive_listing(std::string((16 << 20) + 1, 'x'), "toast"));
}
