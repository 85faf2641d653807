// update-alternatives as postinst scripts register it, and the links dpkg's automatic mode leaves.
#include <doctest/doctest.h>

#include "deb/deb_file.hpp"

using namespace mlpack;

TEST_CASE("parse_alternatives reads continued lines, slaves, and skips what needs the shell") {
  // Shaped like libopenblas0-pthread's and libblas3's postinst in bookworm.
  const char* script =
      "#! /bin/sh\nset -e\n\n"
      "update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\\n"
      "                    libblas.so.3-x86_64-linux-gnu \\\n"
      "\t            /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 100\n"
      "update-alternatives --install /usr/bin/editor editor /usr/bin/vim.basic 30 \\\n"
      "  --slave /usr/share/man/man1/editor.1.gz editor.1.gz /usr/share/man/man1/vim.1.gz\n"
      "update-alternatives --install /usr/lib/$DEB_HOST_MULTIARCH/libx.so x /usr/lib/$DEB_HOST_MULTIARCH/y 5\n"
      "if [ \"$1\" = configure ]; then update-alternatives --install /usr/bin/pager pager /bin/less 77; fi\n"
      "update-alternatives --remove editor /usr/bin/vim.tiny\n"
      "exit 0\n";
  auto alts = deb::parse_alternatives(script);
  REQUIRE(alts.size() == 3);
  CHECK(alts[0].name == "libblas.so.3-x86_64-linux-gnu");
  CHECK(alts[0].link == "/usr/lib/x86_64-linux-gnu/libblas.so.3");
  CHECK(alts[0].path == "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3");
  CHECK(alts[0].priority == 100);
  CHECK(alts[1].name == "editor");
  REQUIRE(alts[1].slaves.size() == 1);
  CHECK(alts[1].slaves[0].link == "/usr/share/man/man1/editor.1.gz");
  CHECK(alts[1].slaves[0].path == "/usr/share/man/man1/vim.1.gz");
  CHECK(alts[2].name == "pager");
  CHECK(alts[2].path == "/bin/less");
  CHECK(deb::parse_alternatives("").empty());
  CHECK(deb::parse_alternatives("update-alternatives --install /a a /b notanumber\n").empty());
}

TEST_CASE("alternative_links: the highest priority among shipped paths, usr-merged") {
  std::vector<deb::Alternative> alts = {
      {"libblas.so.3-x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libblas.so.3",
       "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", 10, {}},
      {"libblas.so.3-x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libblas.so.3",
       "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", 100, {}},
      {"pager", "/usr/bin/pager", "/bin/less", 77, {}},
      {"missing", "/usr/bin/missing", "/usr/bin/not-installed", 1, {}},
  };
  SUBCASE("openblas shipped: it wins") {
    std::set<std::string> shipped = {"usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
                                     "usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "usr/bin/less"};
    auto links = deb::alternative_links(alts, shipped, {"bin", "lib", "sbin"});
    REQUIRE(links.size() == 4);
    CHECK(links[0].path == "etc/alternatives/libblas.so.3-x86_64-linux-gnu");
    CHECK(links[0].link_target == "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3");
    CHECK(links[1].path == "etc/alternatives/pager");
    CHECK(links[1].link_target == "/bin/less");
    CHECK(links[2].path == "usr/bin/pager");
    CHECK(links[2].link_target == "/etc/alternatives/pager");
    CHECK(links[3].path == "usr/lib/x86_64-linux-gnu/libblas.so.3");
    CHECK(links[3].type == archive::EntryType::symlink);
  }
  SUBCASE("only reference BLAS shipped") {
    std::set<std::string> shipped = {"usr/lib/x86_64-linux-gnu/blas/libblas.so.3"};
    auto links = deb::alternative_links(alts, shipped, {});
    REQUIRE(links.size() == 2);
    CHECK(links[0].link_target == "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3");
  }
}
