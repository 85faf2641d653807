#include "pyindex/simple_api.hpp"

#include <doctest/doctest.h>

#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::pyindex;

TEST_CASE("HTML pages: anchors, base, hashes, entities, yanked, PEP 658/714") {
  std::string html = R"(<!DOCTYPE html>
<html><head><BASE HREF="https://files.test/pkgs/"><!-- <a href="commented.whl">no</a> --></head><body>
<A HREF="a-1.0-py3-none-any.whl#sha256=ABCDEF01" data-requires-python="&gt;=3.8,&lt;4">a-1.0-py3-none-any.whl</A>
<a href='a-1.1.tar.gz#md5=0123' data-yanked="broken &amp; bad">a-1.1.tar.gz</a>
<a href=a-1.2-py3-none-any.whl data-yanked data-dist-info-metadata="true">unquoted</a>
<a href="a-1.3-py3-none-any.whl" data-core-metadata="sha256=beef" data-dist-info-metadata="sha256=dead">both</a>
<a href="a-1.4-py3-none-any.whl" data-requires-python="" data-core-metadata="false">x</a>
<a name="no-href">x</a><script>var s = "<a href='bad.whl'>";</script>
</body></html>)";
  auto files = parse_html_page(html, "https://pypi.test/simple/a/", "https://pypi.test/simple/");
  REQUIRE(files.size() == 5);
  CHECK(files[0].url == "https://files.test/pkgs/a-1.0-py3-none-any.whl");
  CHECK(files[0].filename == "a-1.0-py3-none-any.whl");
  CHECK(files[0].hashes.at("sha256") == "abcdef01");
  CHECK(files[0].requires_python == ">=3.8,<4");
  CHECK_FALSE(files[0].yanked);
  CHECK(files[0].index == "https://pypi.test/simple/");
  CHECK(files[1].hashes.at("md5") == "0123");
  CHECK(files[1].yanked == "broken & bad");
  CHECK(files[2].yanked == "");
  CHECK(files[2].has_metadata_file);
  CHECK(files[2].metadata_hashes.empty());
  CHECK(files[3].has_metadata_file);
  CHECK(files[3].metadata_hashes.at("sha256") == "beef");  // PEP 714: data-core-metadata wins
  CHECK_FALSE(files[4].requires_python);
  CHECK_FALSE(files[4].has_metadata_file);
}

TEST_CASE("HTML entities") {
  CHECK(decode_html_entities("&lt;&gt;&amp;&quot;&#39;&#x3C;&#60;&apos;") == "<>&\"'<<'");
  CHECK(decode_html_entities("a & b &unknown; &#xZZ;") == "a & b &unknown; &#xZZ;");
  CHECK(decode_html_entities("&#233;") == "\xC3\xA9");
}

TEST_CASE("PEP 691 JSON pages") {
  std::string json = R"({
    "meta": {"api-version": "1.1"}, "name": "a",
    "files": [
      {"filename": "a-1.0-py3-none-any.whl", "url": "../../f/a-1.0-py3-none-any.whl",
       "hashes": {"sha256": "ABCD"}, "requires-python": ">=3.9", "core-metadata": {"sha256": "ef01"},
       "size": 1234, "yanked": false},
      {"filename": "a-1.1.tar.gz", "url": "https://o.test/a-1.1.tar.gz", "hashes": {},
       "requires-python": null, "yanked": "security", "dist-info-metadata": true},
      {"filename": "a-1.2.tar.gz", "url": "https://o.test/a-1.2.tar.gz", "hashes": {}, "yanked": true}
    ]})";
  auto files = parse_json_page(json, "https://pypi.test/simple/a/", "idx");
  REQUIRE(files);
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].url == "https://pypi.test/f/a-1.0-py3-none-any.whl");
  CHECK((*files)[0].hashes.at("sha256") == "abcd");
  CHECK((*files)[0].requires_python == ">=3.9");
  CHECK((*files)[0].has_metadata_file);
  CHECK((*files)[0].metadata_hashes.at("sha256") == "ef01");
  CHECK((*files)[0].size == 1234u);
  CHECK_FALSE((*files)[0].yanked);
  CHECK_FALSE((*files)[1].requires_python);
  CHECK((*files)[1].yanked == "security");
  CHECK((*files)[1].has_metadata_file);
  CHECK((*files)[2].yanked == "");

  auto v2 = parse_json_page(R"({"meta": {"api-version": "2.0"}, "files": []})", "https://x/", "idx");
  REQUIRE_FALSE(v2);
  CHECK(v2.error().kind == util::ErrorKind::unsupported);
  CHECK_FALSE(parse_json_page("<html>", "https://x/", "idx"));
}

TEST_CASE("content negotiation: the response's Content-Type picks the parser") {
  CHECK(simple_accept.find("application/vnd.pypi.simple.v1+json") == 0);
  CHECK(simple_accept.find("text/html;q=0.01") != std::string_view::npos);
  CHECK(*page_format("application/vnd.pypi.simple.v1+json") == PageFormat::json);
  CHECK(*page_format("Application/VND.pypi.simple.latest+json; charset=utf-8") == PageFormat::json);
  CHECK(*page_format("application/vnd.pypi.simple.v1+html") == PageFormat::html);
  CHECK(*page_format("text/html; charset=utf-8") == PageFormat::html);
  CHECK(*page_format(std::nullopt) == PageFormat::html);
  CHECK(page_format("application/vnd.pypi.simple.v2+json").error().kind == util::ErrorKind::unsupported);
  CHECK_FALSE(page_format("application/json"));
  auto files = parse_page(R"({"meta":{"api-version":"1.0"},"files":[{"filename":"x-1.tar.gz","url":"x-1.tar.gz","hashes":{}}]})",
                          "application/vnd.pypi.simple.v1+json", "https://h/simple/x/", "i");
  REQUIRE(files);
  CHECK(files->at(0).url == "https://h/simple/x/x-1.tar.gz");
}

TEST_CASE("pip's index fixtures parse as pip reads them") {
  auto dir = test::corpus_dir("pip_test_data");
  if (!dir) {
    MLPACK_SKIP("corpus pip_test_data not found");
    return;
  }
  auto page = [&](const char* rel) { return *util::read_file(*dir / "indexes" / rel); };
  auto req = parse_html_page(page("datarequire/fakepackage/index.html"), "http://h/datarequire/fakepackage/", "i");
  REQUIRE(req.size() == 5);
  CHECK_FALSE(req[0].requires_python);
  CHECK(req[1].requires_python == "<2.7");
  CHECK(req[2].requires_python == ">=2.7,<3");
  CHECK(req[4].requires_python == "><X.y.z");
  CHECK(req[0].url == "http://h/fakepackage-1.0.0.tar.gz");
  CHECK(req[0].hashes.at("md5") == "00000000000000000000000000000000");

  auto yanked = parse_html_page(page("yanked/simple/index.html"), "http://h/yanked/simple/", "i");
  REQUIRE(yanked.size() == 3);
  CHECK_FALSE(yanked[0].yanked);
  CHECK(yanked[2].yanked == "test reason message");
  CHECK(yanked[2].url == "http://h/packages/simple-3.0.tar.gz");

  // The href, not the anchor text, names the file.
  auto pre = parse_html_page(page("pre/bar/index.html"), "http://h/pre/bar/", "i");
  REQUIRE(pre.size() == 3);
  CHECK(pre[1].filename == "bar-2.0b1.tar.gz");
}
