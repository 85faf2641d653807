#include "deb/dpkg_db.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "deb_test_util.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace test = deb::test;
namespace fs = std::filesystem;
using archive::EntryType;

namespace {

// Writes entries to a directory the way a container runtime unpacks a layer.
void materialize(const fs::path& root, const std::vector<archive::Entry>& entries) {
  for (const auto& e : entries) {
    auto p = root / e.path;
    fs::create_directories(p.parent_path());
    switch (e.type) {
      case EntryType::directory:
        fs::create_directories(p);
        break;
      case EntryType::symlink:
        fs::create_symlink(e.link_target, p);
        break;
      case EntryType::hardlink:
        fs::create_hard_link(root / e.link_target, p);
        break;
      default:
        if (e.source) {
          fs::copy_file(*e.source, p);
        } else {
          std::ofstream(p, std::ios::binary) << e.data;
        }
    }
  }
}

std::vector<std::string> field_names(const deb::Paragraph& p) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p.fields()) out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE("dpkg database from real packages is read by dpkg-query and verified by dpkg") {
  if (test::run("command -v dpkg-query >/dev/null").status != 0) {
    MLPACK_SKIP("dpkg-query missing");
    return;
  }
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  std::vector<deb::DebFile> debs;
  for (const char* name : {"base-files", "netbase", "tzdata", "libc6", "perl-base"}) {
    auto path = test::real_deb(name);
    if (!path) continue;
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    auto d = deb::read_deb(*path, options);
    REQUIRE_MESSAGE(d, d.error().message);
    debs.push_back(std::move(*d));
  }
  if (debs.empty()) {
    MLPACK_SKIP("cannot fetch real packages with apt-get download (offline?)");
    return;
  }
  auto db = deb::dpkg_database(debs);
  REQUIRE(db);
  CHECK(std::is_sorted(db->begin(), db->end(), [](const auto& a, const auto& b) { return a.path < b.path; }));
  auto again = deb::dpkg_database(debs);
  REQUIRE(again);
  REQUIRE(again->size() == db->size());
  for (std::size_t i = 0; i < db->size(); ++i) CHECK((*db)[i].data == (*again)[i].data);

  std::vector<std::vector<archive::Entry>> lists;
  std::set<std::string> merged;
  for (const auto& d : debs) {
    lists.push_back(d.entries);
    merged.insert(d.merged_dirs.begin(), d.merged_dirs.end());
  }
  lists.push_back(*db);
  lists.push_back(deb::usrmerge_links(std::vector<std::string>(merged.begin(), merged.end())));
  auto all = deb::merge_entries(lists);
  REQUIRE_MESSAGE(all, all.error().message);
  auto root = dir->path() / "root";
  materialize(root, all->entries);
  auto admin = (root / "var/lib/dpkg").string();

  auto listed = test::run("dpkg-query --admindir=" + test::quote(admin) +
                          " -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n'");
  REQUIRE(listed.status == 0);
  for (const auto& d : debs) {
    CAPTURE(d.package);
    CHECK(listed.out.find(d.package + " " + d.version + " ii ") != std::string::npos);
  }
  auto files = test::run("dpkg-query --admindir=" + test::quote(admin) + " -L " + test::quote(debs[0].package));
  REQUIRE(files.status == 0);
  CHECK(files.out.find("/etc/debian_version") != std::string::npos);
  auto conffiles = test::run("dpkg-query --admindir=" + test::quote(admin) + " -W -f='${Conffiles}\\n' " +
                             test::quote(debs[0].package));
  CHECK(conffiles.out.find("/etc/host.conf") != std::string::npos);
  // dpkg checks every md5sum against the unpacked tree (through the usrmerge links).
  if (geteuid() == 0) {
    auto verify = test::run("dpkg --root=" + test::quote(root.string()) + " --verify 2>&1");
    CHECK_MESSAGE(verify.status == 0, verify.out);
    CHECK_MESSAGE(verify.out.empty(), verify.out);
  } else {
    MLPACK_SKIP("dpkg --verify of the unpacked tree needs root");
  }

  // Field order as dpkg writes it: compare with this machine's own status for the same packages.
  auto system = util::read_file("/var/lib/dpkg/status");
  if (system) {
    auto installed = deb::parse_dpkg_status(*system, "/var/lib/dpkg/status");
    REQUIRE(installed);
    int compared = 0;
    for (const auto& d : debs)
      for (const auto& i : *installed)
        if (i.name == d.package && i.architecture == d.architecture) {
          auto ours = field_names(deb::status_paragraph(d));
          auto theirs = field_names(i.paragraph);
          // Only the fields both have (versions may differ), in order.
          std::vector<std::string> a, b;
          std::copy_if(ours.begin(), ours.end(), std::back_inserter(a), [&](const std::string& f) {
            return std::find(theirs.begin(), theirs.end(), f) != theirs.end();
          });
          std::copy_if(theirs.begin(), theirs.end(), std::back_inserter(b),
                       [&](const std::string& f) { return std::find(ours.begin(), ours.end(), f) != ours.end(); });
          CHECK_MESSAGE(a == b, d.package);
          ++compared;
        }
    MESSAGE("compared field order of " << compared << " packages with the system's status file");
  }
}

TEST_CASE("status paragraph and info files of a crafted package") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  using M = test::Member;
  auto path = test::make_deb(
      dir->path(), "demo",
      "Package: demo\nVersion: 2:1.0-1\nArchitecture: amd64\nMaintainer: A <a@example.org>\n"
      "Homepage: https://example.org\nDescription: demo\n long text\n .\n more\n"
      "Depends: libc6 (>= 2.36)\nMulti-Arch: same\nPriority: optional\nSection: libs\n"
      "Installed-Size: 12\n",
      {M{"./", 'd', 0755, ""}, M{"./etc/", 'd', 0755, ""}, M{"./etc/demo.conf", 'f', 0644, "a=1\n"},
       M{"./usr/", 'd', 0755, ""}, M{"./usr/lib/", 'd', 0755, ""}, M{"./usr/lib/libdemo.so", 'f', 0644, "ELF"}},
      {M{"./conffiles", 'f', 0644, "/etc/demo.conf\n"}});
  deb::DebOptions options;
  options.staging_dir = dir->path() / "staging";
  auto d = deb::read_deb(path, options);
  REQUIRE_MESSAGE(d, d.error().message);
  CHECK(deb::status_paragraph(*d).str() ==
        "Package: demo\n"
        "Status: install ok installed\n"
        "Priority: optional\n"
        "Section: libs\n"
        "Installed-Size: 12\n"
        "Maintainer: A <a@example.org>\n"
        "Architecture: amd64\n"
        "Multi-Arch: same\n"
        "Version: 2:1.0-1\n"
        "Depends: libc6 (>= 2.36)\n"
        "Conffiles:\n"
        " /etc/demo.conf " +
            d->conffiles[0].md5 +
            "\n"
            "Description: demo\n"
            " long text\n"
            " .\n"
            " more\n"
            "Homepage: https://example.org\n");

  auto base = deb::parse_dpkg_status(
      "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 1:1.2.13\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: held\nStatus: hold ok installed\nVersion: 3\nArchitecture: all\n\n"
      "Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n",
      "status");
  REQUIRE(base);
  REQUIRE(base->size() == 2);
  CHECK((*base)[0].name == "zlib1g");
  CHECK((*base)[0].multi_arch == "same");
  CHECK((*base)[1].name == "held");

  std::vector<deb::DebFile> debs = {*d};
  auto db = deb::dpkg_database(debs, *base);
  REQUIRE(db);
  std::vector<std::string> paths;
  for (const auto& e : *db) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/alternatives",
                                          "var/lib/dpkg/available", "var/lib/dpkg/diversions", "var/lib/dpkg/info",
                                          "var/lib/dpkg/info/demo:amd64.conffiles", "var/lib/dpkg/info/demo:amd64.list",
                                          "var/lib/dpkg/info/demo:amd64.md5sums", "var/lib/dpkg/info/format",
                                          "var/lib/dpkg/statoverride", "var/lib/dpkg/status", "var/lib/dpkg/triggers",
                                          "var/lib/dpkg/updates"});
  auto get = [&](std::string_view p) {
    return std::find_if(db->begin(), db->end(), [&](const auto& e) { return e.path == p; })->data;
  };
  CHECK(get("var/lib/dpkg/info/demo:amd64.list") == "/.\n/etc\n/etc/demo.conf\n/usr\n/usr/lib\n/usr/lib/libdemo.so\n");
  CHECK(get("var/lib/dpkg/info/demo:amd64.conffiles") == "/etc/demo.conf\n");
  CHECK(get("var/lib/dpkg/info/demo:amd64.md5sums").ends_with("  usr/lib/libdemo.so\n"));
  auto status = get("var/lib/dpkg/status");
  // Sorted by name: demo, held, zlib1g; the base's paragraphs kept verbatim.
  CHECK(status.find("Package: demo") < status.find("Package: held"));
  CHECK(status.find("Package: held") < status.find("Package: zlib1g"));
  CHECK(status.find("Status: hold ok installed") != std::string::npos);
  auto parsed = deb::parse_dpkg_status(status, "generated");
  REQUIRE(parsed);
  CHECK(parsed->size() == 3);

  // Readable by dpkg itself.
  auto admin = dir->path() / "admin";
  materialize(dir->path() / "r", *db);
  auto listed = test::run("dpkg-query --admindir=" + test::quote((dir->path() / "r/var/lib/dpkg").string()) +
                          " -W -f='${binary:Package} ${Version}\\n' 2>/dev/null");
  if (listed.status == 0) CHECK(listed.out == "demo:amd64 2:1.0-1\nheld 3\nzlib1g:amd64 1:1.2.13\n");

  // The same package twice is refused.
  std::vector<deb::DebFile> twice = {*d, *d};
  auto dup = deb::dpkg_database(twice);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("`demo:amd64`") != std::string::npos);
}

TEST_CASE("parse_dpkg_status on this machine's database") {
  auto text = util::read_file("/var/lib/dpkg/status");
  if (!text || test::run("command -v dpkg-query >/dev/null").status != 0) {
    MLPACK_SKIP("no dpkg database here");
    return;
  }
  auto installed = deb::parse_dpkg_status(*text, "/var/lib/dpkg/status");
  REQUIRE(installed);
  auto expected = test::run("dpkg-query -W -f='${db:Status-Abbrev}\\n' | grep -c '^[ih]i'");
  CHECK(std::to_string(installed->size()) + "\n" == expected.out);
}
