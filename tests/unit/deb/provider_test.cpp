#include "deb/provider.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "skip.hpp"

using namespace mlpack;
using resolve::SolvableId;

namespace {

// A small synthetic archive covering alternatives, virtual packages, versioned Provides,
// Multi-Arch and conflicts.
const char* packages_text = R"(Package: libc6
Version: 2.36-9+deb12u4
Architecture: amd64
Multi-Arch: same
Priority: optional
Depends: libgcc-s1
Filename: pool/main/g/glibc/libc6_2.36-9+deb12u4_amd64.deb
Size: 2757936
SHA256: 0000000000000000000000000000000000000000000000000000000000000001

Package: libc6
Version: 2.36-9
Architecture: amd64
Multi-Arch: same
Depends: libgcc-s1

Package: libc6
Version: 2.36-9+deb12u4
Architecture: i386
Multi-Arch: same
Depends: libgcc-s1

Package: libgcc-s1
Version: 12.2.0-14
Architecture: amd64
Multi-Arch: same
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)

Package: gcc-12-base
Version: 12.2.0-14
Architecture: amd64
Multi-Arch: same

Package: base-files
Version: 12.4+deb12u5
Architecture: amd64
Multi-Arch: foreign
Essential: yes
Priority: required
Pre-Depends: awk

Package: mawk
Version: 1.3.4.20200120-3.1
Architecture: amd64
Multi-Arch: foreign
Priority: required
Provides: awk
Depends: libc6 (>= 2.34)

Package: gawk
Version: 1:5.2.1-2
Architecture: amd64
Multi-Arch: foreign
Priority: optional
Provides: awk
Depends: libc6 (>= 2.34)

Package: python3
Version: 3.11.2-1+b1
Architecture: amd64
Multi-Arch: allowed
Depends: python3.11 (>= 3.11.2-1~)

Package: python3.11
Version: 3.11.2-6
Architecture: amd64
Multi-Arch: allowed

Package: python3-six
Version: 1.16.0-4
Architecture: all
Depends: python3:any

Package: python3-nodeps
Version: 1.0
Architecture: all
Depends: python3.11:any, gcc-12-base:any

Package: exim4-daemon-light
Version: 4.96-15
Architecture: amd64
Provides: mail-transport-agent
Conflicts: mail-transport-agent

Package: postfix
Version: 3.7.10-0+deb12u1
Architecture: amd64
Provides: mail-transport-agent, default-mta
Conflicts: mail-transport-agent
Breaks: exim4-daemon-light (<< 4.96)

Package: mailx
Version: 1:20081101-2
Architecture: amd64
Depends: default-mta | mail-transport-agent

Package: libfoo-abi
Version: 2.0-1
Architecture: amd64

Package: foo-compat
Version: 1.0
Architecture: amd64
Provides: libfoo-abi (= 1.5), foo-plain

Package: needs-abi
Version: 1
Architecture: amd64
Depends: libfoo-abi (>= 1.5), foo-plain (>= 1)

Package: arm-only
Version: 1
Architecture: arm64

Package: tool-foreign
Version: 1
Architecture: i386
Multi-Arch: foreign

Package: uses-tool
Version: 1
Architecture: amd64
Depends: tool-foreign, libc6:i386
)";

struct Fixture {
  deb::PackageIndex index;
  Fixture() { REQUIRE(index.add_packages(packages_text, "synthetic bookworm/main")); }
};

std::vector<std::string> show(deb::DebianProvider& p, const std::vector<SolvableId>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(p.display(id) + (p.index().package(id).architecture == "i386" ? " (i386)" : ""));
  return out;
}

std::vector<std::string> cands(deb::DebianProvider& p, const resolve::Requirement& r) {
  auto c = p.candidates(r);
  REQUIRE_MESSAGE(c, c.error().message);
  return show(p, *c);
}

SolvableId id_of(const deb::PackageIndex& index, std::string_view name, std::string_view version = {}) {
  for (auto id : index.named(name))
    if (version.empty() || index.package(id).version.str() == version) return id;
  FAIL("no such package " << name);
  return 0;
}

std::vector<std::string> dep_texts(deb::DebianProvider& p, SolvableId s) {
  auto d = p.dependencies(s);
  REQUIRE(d);
  std::vector<std::string> out;
  for (auto& r : *d) out.push_back(r.text);
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "candidates: real packages newest first, then providers") {
  deb::DebianProvider p(index, {});
  auto libc = p.require("libc6");
  REQUIRE(libc);
  CHECK(cands(p, *libc) == std::vector<std::string>{"libc6:amd64 2.36-9+deb12u4", "libc6:amd64 2.36-9"});
  CHECK(cands(p, *p.require("libc6=2.36-9")) == std::vector<std::string>{"libc6:amd64 2.36-9"});
  CHECK(cands(p, *p.require("libc6 (>> 2.36-9)")) == std::vector<std::string>{"libc6:amd64 2.36-9+deb12u4"});
  // Virtual: providers ordered by Priority (mawk is required), so the minimal base gets mawk.
  CHECK(cands(p, *p.require("awk")) == std::vector<std::string>{"mawk 1.3.4.20200120-3.1", "gawk 1:5.2.1-2"});
  // Alternatives in order: default-mta's providers, then mail-transport-agent's others.
  auto mailx = id_of(index, "mailx");
  auto deps = p.dependencies(mailx);
  REQUIRE(deps);
  REQUIRE(deps->size() == 1);
  CHECK(cands(p, (*deps)[0]) == std::vector<std::string>{"postfix 3.7.10-0+deb12u1", "exim4-daemon-light 4.96-15"});
}

TEST_CASE_FIXTURE(Fixture, "versioned Provides satisfy versioned relations, unversioned ones do not") {
  deb::DebianProvider p(index, {});
  auto deps = p.dependencies(id_of(index, "needs-abi"));
  REQUIRE(deps);
  REQUIRE(deps->size() == 2);
  CHECK(cands(p, (*deps)[0]) == std::vector<std::string>{"libfoo-abi 2.0-1", "foo-compat 1.0"});
  CHECK(cands(p, (*deps)[1]).empty());  // foo-plain is provided without a version
  CHECK(p.no_candidates_note((*deps)[1]).empty() == false);
  CHECK(cands(p, *p.require("foo-plain")) == std::vector<std::string>{"foo-compat 1.0"});
  CHECK(cands(p, *p.require("libfoo-abi (= 1.5)")) == std::vector<std::string>{"foo-compat 1.0"});
}

TEST_CASE_FIXTURE(Fixture, "Multi-Arch: same, foreign, allowed and :any") {
  deb::DebianProvider p(index, {.arch = "amd64", .foreign_arches = {"i386"}});
  // libc6:i386 only when asked for; a plain dependency from amd64 gets amd64.
  CHECK(cands(p, *p.require("libc6")) == std::vector<std::string>{"libc6:amd64 2.36-9+deb12u4", "libc6:amd64 2.36-9"});
  CHECK(cands(p, *p.require("libc6:i386")) == std::vector<std::string>{"libc6:i386 2.36-9+deb12u4 (i386)"});
  CHECK(p.name(id_of(index, "libc6")) == "libc6:amd64");
  CHECK(p.name(id_of(index, "mawk")) == "mawk");
  // Multi-Arch: foreign of another architecture satisfies an amd64 package's dependency.
  auto deps = p.dependencies(id_of(index, "uses-tool"));
  REQUIRE(deps);
  CHECK(cands(p, (*deps)[0]) == std::vector<std::string>{"tool-foreign 1 (i386)"});
  CHECK(cands(p, (*deps)[1]) == std::vector<std::string>{"libc6:i386 2.36-9+deb12u4 (i386)"});
  // python3:any from an arch: all package: python3 is Multi-Arch: allowed.
  auto six = p.dependencies(id_of(index, "python3-six"));
  REQUIRE(six);
  CHECK(cands(p, (*six)[0]) == std::vector<std::string>{"python3 3.11.2-1+b1"});
  // gcc-12-base is Multi-Arch: same, so `:any` from an all package is met only by the native one.
  auto nodeps = p.dependencies(id_of(index, "python3-nodeps"));
  REQUIRE(nodeps);
  CHECK(cands(p, (*nodeps)[1]) == std::vector<std::string>{"gcc-12-base:amd64 12.2.0-14"});
  // Without the foreign architecture enabled, i386 packages are ignored.
  deb::DebianProvider native(index, {});
  CHECK(cands(native, *native.require("libc6:i386")).empty());
  auto td = native.dependencies(id_of(index, "uses-tool"));
  REQUIRE(td);
  CHECK(cands(native, (*td)[0]).empty());
  // Other architectures never show up.
  CHECK(cands(native, *native.require("arm-only")).empty());
  CHECK(native.no_candidates_note(*native.require("arm-only")) == "`arm-only` is not available for amd64");
}

TEST_CASE_FIXTURE(Fixture, "dependencies are Pre-Depends then Depends, in the dependent's architecture") {
  deb::DebianProvider p(index, {});
  CHECK(dep_texts(p, id_of(index, "base-files")) == std::vector<std::string>{"awk"});
  CHECK(dep_texts(p, id_of(index, "libgcc-s1")) ==
        std::vector<std::string>{"gcc-12-base (= 12.2.0-14)", "libc6 (>= 2.35)"});
  auto d = p.dependencies(id_of(index, "libgcc-s1"));
  REQUIRE(d);
  CHECK(cands(p, (*d)[0]) == std::vector<std::string>{"gcc-12-base:amd64 12.2.0-14"});
  CHECK(cands(p, (*d)[1]) == std::vector<std::string>{"libc6:amd64 2.36-9+deb12u4", "libc6:amd64 2.36-9"});
}

TEST_CASE_FIXTURE(Fixture, "conflicts and breaks, with the provide-and-conflict idiom") {
  deb::DebianProvider p(index, {});
  auto postfix = id_of(index, "postfix");
  auto c = p.conflicts(postfix);
  REQUIRE(c);
  REQUIRE(c->size() == 2);
  CHECK((*c)[0].text == "mail-transport-agent");
  // Includes postfix itself (the resolver ignores a package in its own conflicts).
  CHECK(cands(p, (*c)[0]) == std::vector<std::string>{"exim4-daemon-light 4.96-15", "postfix 3.7.10-0+deb12u1"});
  CHECK((*c)[1].text == "exim4-daemon-light (<< 4.96)");
  CHECK(cands(p, (*c)[1]).empty());  // 4.96-15 is not older than 4.96
  CHECK(p.conflicts(id_of(index, "mawk"))->empty());
}

TEST_CASE_FIXTURE(Fixture, "the essential set and root requirements from apt.txt") {
  deb::DebianProvider p(index, {});
  std::vector<std::string> texts;
  for (auto& r : p.essential_requirements()) texts.push_back(r.text);
  CHECK(texts == std::vector<std::string>{"base-files", "mawk"});

  auto unknown = p.require("pyhton3");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind == util::ErrorKind::not_found);
  CHECK(unknown.error().message == "unknown package `pyhton3`; did you mean `python3`?");
  auto prefix = p.require("python3-si");
  REQUIRE_FALSE(prefix);
  CHECK(prefix.error().message.find("`python3-six`") != std::string::npos);
  auto version = p.require("libc6=2.35-1");
  REQUIRE_FALSE(version);
  CHECK(version.error().message ==
        "package `libc6` has no version `2.35-1` for amd64; available: 2.36-9+deb12u4, 2.36-9");
  auto bad = p.require("libc6 (>= )");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK_FALSE(p.require("a | b"));
}

TEST_CASE_FIXTURE(Fixture, "installed packages come first and can be pinned") {
  auto status = deb::parse_dpkg_status(
      "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9\n"
      "Depends: libgcc-s1\n\n"
      "Package: gawk\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: foreign\nVersion: 1:5.1.0-1\n"
      "Provides: awk\n",
      "status");
  REQUIRE(status);
  REQUIRE(index.add_installed(*status));
  deb::DebianProvider p(index, {});
  CHECK(cands(p, *p.require("libc6")) == std::vector<std::string>{"libc6:amd64 2.36-9", "libc6:amd64 2.36-9+deb12u4"});
  // gawk 1:5.1.0-1 is not in the archive: it is added from the status file, first among providers.
  CHECK(cands(p, *p.require("awk")) ==
        std::vector<std::string>{"gawk 1:5.1.0-1", "mawk 1.3.4.20200120-3.1", "gawk 1:5.2.1-2"});
  auto gawk_installed = id_of(index, "gawk", "1:5.1.0-1");
  CHECK(index.package(gawk_installed).installed);
  CHECK(index.package(gawk_installed).filename.empty());
  std::vector<std::string> pins;
  for (auto& r : p.installed_requirements()) pins.push_back(r.text);
  CHECK(pins == std::vector<std::string>{"gawk:amd64 (= 1:5.1.0-1)", "libc6:amd64 (= 2.36-9)"});
  CHECK(cands(p, p.installed_requirements()[1]) == std::vector<std::string>{"libc6:amd64 2.36-9"});
}

TEST_CASE("a malformed Packages paragraph is named") {
  deb::PackageIndex index;
  auto r = index.add_packages(
      "Package: ok1\nVersion: 1\nArchitecture: all\n\nPackage: broken\nVersion: 1\n"
      "Architecture: all\nDepends: libc6 (>= )\n",
      "http://deb.example/debian bookworm/main amd64");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.starts_with("http://deb.example/debian bookworm/main amd64:5: package `broken`: Depends:"));
  auto provides = index.add_packages("Package: p1\nVersion: 1\nArchitecture: all\nProvides: v1 (>= 1)\n", "x");
  REQUIRE_FALSE(provides);
  CHECK(provides.error().message.find("only `=`") != std::string::npos);
}

TEST_CASE("the real bookworm Packages index parses and gives a minimal base") {
  std::string text;
  for (const char* path : {"/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"}) {
    FILE* p = ::popen(
        (std::string("(lz4 -dc ") + path + ".lz4 || cat " + path + " || xz -dc " + path + ".xz) 2>/dev/null").c_str(),
        "r");
    if (!p) break;
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    ::pclose(p);
  }
  if (text.empty()) {
    MLPACK_SKIP("no bookworm Packages list in /var/lib/apt/lists");
    return;
  }
  deb::PackageIndex index;
  auto r = index.add_packages(text, "bookworm/main amd64");
  REQUIRE_MESSAGE(r, r.error().message);
  MESSAGE("indexed " << index.packages().size() << " packages");
  CHECK(index.packages().size() > 50000);
  deb::DebianProvider p(index, {});
  auto base = p.essential_requirements();
  std::vector<std::string> names;
  for (auto& req : base) {
    names.push_back(req.text);
    auto c = p.candidates(req);
    REQUIRE(c);
    CHECK_MESSAGE(!c->empty(), req.text);
  }
  for (const char* must : {"base-files", "bash", "coreutils", "dpkg", "libc-bin", "mawk"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), must) != names.end(), must);
  auto py = p.require("python3");
  REQUIRE(py);
  auto c = p.candidates(*py);
  REQUIRE(c);
  REQUIRE_FALSE(c->empty());
  CHECK(index.package(c->front()).filename.starts_with("pool/main/p/python3-defaults/"));
  auto typo = p.require("pyton3");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message.find("`python3`") != std::string::npos);
}
