#include "deb/copyright.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "deb_test_util.hpp"
#include "skip.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace test = deb::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* dep5 =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: hello\n"
    "Source: https://example.org/hello\n"
    "\n"
    "Files: *\n"
    "Copyright: 1999 Someone\n"
    "License: GPL-2+\n"
    " This program is free software; you can redistribute it ...\n"
    " .\n"
    " On Debian systems, see /usr/share/common-licenses/GPL-2.\n"
    "\n"
    "Files: lib/*\n"
    "Copyright: 2001 Another\n"
    "License: BSD-3-clause\n"
    "\n"
    "Files: debian/*\n"
    "Copyright: 2010 Packager\n"
    "License: GPL-2+\n"
    "\n"
    "Files: lib/other.c\n"
    "Copyright: 2002 Another\n"
    "License: BSD-3-Clause\n"
    "\n"
    "License: BSD-3-clause\n"
    " Redistribution and use in source and binary forms ...\n";

}  // namespace

TEST_CASE("a machine-readable copyright file: each Files paragraph's licence, once, in order") {
  auto c = deb::parse_copyright(dep5);
  CHECK(c.machine_readable);
  CHECK(c.licenses == std::vector<std::string>{"GPL-2+", "BSD-3-clause"});
  CHECK(deb::license_statement(c) == "GPL-2+, and BSD-3-clause");

  // http and no final slash name the same format; whitespace in the short names is collapsed.
  auto other = deb::parse_copyright(
      "Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0\n\nFiles: *\nCopyright: x\n"
      "License: GPL-1+   or\tArtistic\n");
  CHECK(other.machine_readable);
  CHECK(deb::license_statement(other) == "GPL-1+ or Artistic");
}

TEST_CASE("a copyright file that is not machine-readable states nothing") {
  // Free text (most of bookworm's core packages), an older DEP-5 draft, deb822 that does not parse,
  // a Files paragraph with no licence: no statement, never a guess.
  for (const char* text :
       {"This is the Debian prepackaged version of hello.\n\nCopyright: GPL-2\n",
        "Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\n\nFiles: *\n"
        "License: GPL-2+\n",
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n not a field\n",
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\n\n"
        "Files: a\nCopyright: y\nLicense: MIT\n",
        ""}) {
    CAPTURE(text);
    CHECK(deb::license_statement(deb::parse_copyright(text)).empty());
  }
}

TEST_CASE("a doc directory linked to a sibling package's stands for its copyright") {
  CHECK(deb::package_copyright(std::nullopt, "libfoo1") == deb::PackageCopyright{"", "libfoo1"});
  CHECK(deb::package_copyright(std::nullopt, "./libfoo1/") == deb::PackageCopyright{"", "libfoo1"});
  CHECK(deb::package_copyright(std::nullopt, "../../lib/x") == deb::PackageCopyright{});
  CHECK(deb::package_copyright(std::nullopt, "/usr/share/doc/libfoo1") == deb::PackageCopyright{});
  CHECK(deb::package_copyright(std::string(dep5), "") == deb::PackageCopyright{"GPL-2+, and BSD-3-clause", ""});
}

TEST_CASE("the copyright member is read out of a .deb, and the record round-trips through the cache") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  using M = test::Member;
  auto own = test::make_deb(dir->path(), "hello", "Package: hello\nVersion: 1\nArchitecture: all\n",
                            {M{"./", 'd', 0755, ""}, M{"./usr/", 'd', 0755, ""}, M{"./usr/share/", 'd', 0755, ""},
                             M{"./usr/share/doc/", 'd', 0755, ""}, M{"./usr/share/doc/hello/", 'd', 0755, ""},
                             M{"./usr/share/doc/hello/changelog.gz", 'f', 0644, "x"},
                             M{"./usr/share/doc/hello/copyright", 'f', 0644, dep5},
                             // another package's copyright in the same .deb is not this one's
                             M{"./usr/share/doc/other/", 'd', 0755, ""},
                             M{"./usr/share/doc/other/copyright", 'f', 0644, "Format: nothing\n"}});
  auto linked = test::make_deb(dir->path(), "hello-dev", "Package: hello-dev\nVersion: 1\nArchitecture: all\n",
                               {M{"./", 'd', 0755, ""}, M{"./usr/", 'd', 0755, ""}, M{"./usr/share/", 'd', 0755, ""},
                                M{"./usr/share/doc/", 'd', 0755, ""}, M{"./usr/share/doc/hello-dev", 'l', 0777, "hello"}});
  auto none = test::make_deb(dir->path(), "bare", "Package: bare\nVersion: 1\nArchitecture: all\n",
                             {M{"./", 'd', 0755, ""}, M{"./etc/", 'd', 0755, ""}});

  auto a = deb::read_package_copyright(own, "hello");
  REQUIRE(a);
  CHECK(*a == deb::PackageCopyright{"GPL-2+, and BSD-3-clause", ""});
  auto b = deb::read_package_copyright(linked, "hello-dev");
  REQUIRE(b);
  CHECK(*b == deb::PackageCopyright{"", "hello"});
  auto c = deb::read_package_copyright(none, "bare");
  REQUIRE(c);
  CHECK(*c == deb::PackageCopyright{});

  auto garbage = dir->path() / "garbage.deb";
  REQUIRE(util::write_file_atomic(garbage, "not an ar archive"));
  CHECK(!deb::read_package_copyright(garbage, "garbage"));

  auto cache = dir->path() / "records";
  auto digest = util::Digest::sha256_of("the .deb");
  CHECK(!deb::load_copyright_record(cache, digest));
  for (const auto& record : {*a, *b, *c}) {
    REQUIRE(deb::store_copyright_record(cache, digest, record));
    auto back = deb::load_copyright_record(cache, digest);
    REQUIRE(back);
    CHECK(*back == record);
  }
  // A record cut short, of another version, or with a line break in a field is not one.
  REQUIRE(util::write_file_atomic(cache / digest.hex(), "mlpack deb copyright 1\nstatement GPL-2+\n"));
  CHECK(!deb::load_copyright_record(cache, digest));
  REQUIRE(util::write_file_atomic(cache / digest.hex(), "mlpack deb copyright 0\nend\n"));
  CHECK(!deb::load_copyright_record(cache, digest));
  CHECK(!deb::store_copyright_record(cache, digest, deb::PackageCopyright{"a\nb", ""}));
}

TEST_CASE("real .debs: the copyright read from the archive is the one dpkg-deb unpacks") {
  if (test::run("command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null").status != 0) {
    MLPACK_SKIP("dpkg-deb or apt-get missing");
    return;
  }
  auto work = util::TempDir::create();
  REQUIRE(work);
  // Machine-readable (sed, zlib1g, libzstd1), free text (libc6, base-files).
  for (std::string name : {"sed", "zlib1g", "libzstd1", "libc6", "base-files"}) {
    auto path = test::real_deb(name);
    if (!path) {
      MLPACK_SKIP("cannot fetch `" << name << "` with apt-get download (offline?)");
      continue;
    }
    CAPTURE(name);
    auto out = work->path() / name;
    REQUIRE(test::run("dpkg-deb -x " + test::quote(path->string()) + " " + test::quote(out.string())).status == 0);
    auto file = out / "usr/share/doc" / name / "copyright";
    std::optional<std::string> text;
    if (fs::is_regular_file(file) && !fs::is_symlink(file)) text = util::read_file(file).value();
    auto read = deb::read_package_copyright(*path, name);
    REQUIRE(read);
    CHECK(*read == deb::package_copyright(text, ""));
    bool dep5 = name == "sed" || name == "zlib1g" || name == "libzstd1";
    CHECK(read->statement.empty() == !dep5);  // bookworm's libc6 and base-files are free text
    MESSAGE(name << ": " << read->statement);
  }
}

TEST_CASE("this machine's copyright files: every one reads, the machine-readable ones state licences") {
  std::size_t files = 0, readable = 0, stated = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/share/doc", ec)) {
    auto path = e.path() / "copyright";
    if (!fs::is_regular_file(path, ec)) continue;
    auto text = util::read_file(path, 16 << 20);
    if (!text) continue;
    ++files;
    auto c = deb::parse_copyright(*text);
    if (!c.machine_readable) continue;
    ++readable;
    if (!c.licenses.empty()) ++stated;
    for (const auto& l : c.licenses) {
      CAPTURE(path);
      CHECK(!l.empty());
      CHECK(l.find('\n') == std::string::npos);
    }
  }
  if (readable == 0) {
    MLPACK_SKIP("no machine-readable copyright files under /usr/share/doc");
    return;
  }
  MESSAGE(files << " copyright files, " << readable << " machine-readable, " << stated << " stating licences");
  CHECK(stated * 10 >= readable * 8);  // nearly every machine-readable file states its licences
}
