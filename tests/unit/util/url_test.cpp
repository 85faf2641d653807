#include <doctest/doctest.h>

#include <filesystem>

#include "util/url.hpp"

using namespace mlpack::util;

TEST_CASE("references resolve against the page, dot segments removed") {
  CHECK(resolve_reference("https://h/simple/x/", "../../packages/x-1.tar.gz") == "https://h/packages/x-1.tar.gz");
  CHECK(resolve_reference("https://h/simple/x/", "../../../../x.whl") == "https://h/x.whl");
  CHECK(resolve_reference("https://h/simple/x/", "/f/x.whl#sha256=ab") == "https://h/f/x.whl#sha256=ab");
  CHECK(resolve_reference("https://h/simple/x/", "//cdn/x.whl") == "https://cdn/x.whl");
  CHECK(resolve_reference("https://h/simple/x/", "https://o/y.whl") == "https://o/y.whl");
  CHECK(resolve_reference("https://h/simple/x/index.html", "y.whl?a=1") == "https://h/simple/x/y.whl?a=1");
  CHECK(resolve_reference("file:///srv/in%20dex/simple/", "../../p/s-1.0.tar.gz") == "file:///srv/p/s-1.0.tar.gz");
  CHECK(file_url_to_path("file:///srv/in%20dex/x") == std::filesystem::path("/srv/in dex/x"));
  CHECK(path_to_file_url("/srv/in dex/x") == "file:///srv/in%20dex/x");
  CHECK(url_filename("https://h/a/b%2Bc-1.0.tar.gz") == "b+c-1.0.tar.gz");
  auto [clean, creds] = take_userinfo("https://us%40er:p%3Ass@h:8080/simple/");
  CHECK(clean == "https://h:8080/simple/");
  REQUIRE(creds);
  CHECK(creds->user == "us@er");
  CHECK(creds->password == "p:ss");
  CHECK(url_authority("https://u:p@H.example:8080/x") == "h.example:8080");
}

TEST_CASE("percent-encoding keeps letters, digits and the keep set") {
  CHECK(percent_encode("a b/c%", "/") == "a%20b/c%25");
  CHECK(percent_decode("a%20b%2fc%zz") == "a b/c%zz");
}
