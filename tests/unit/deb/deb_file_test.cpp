#include "deb/deb_file.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "deb_test_util.hpp"
#include "skip.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace test = deb::test;
using archive::EntryType;
namespace fs = std::filesystem;

namespace {

std::string md5_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return util::to_hex({reinterpret_cast<const std::byte*>(out), len});
}

std::string content_of(const archive::Entry& e) {
  if (!e.source) return e.data;
  return *util::read_file(*e.source, 1 << 30);
}

const archive::Entry* find(const deb::DebFile& d, std::string_view path) {
  for (const auto& e : d.entries)
    if (e.path == path) return &e;
  return nullptr;
}

// One line of `dpkg-deb -c`.
struct Listed {
  std::string path;  // normalised, no leading "./"
  char type;         // - d l h
  unsigned mode;
  std::uint64_t size;
  std::string target;
};

unsigned parse_perms(const std::string& p) {
  unsigned m = 0;
  const char* bits = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    char c = p[1 + i];
    if (c == bits[i] || c == 's' || c == 't') m |= 1u << (8 - i);
  }
  if (p[3] == 's' || p[3] == 'S') m |= 04000;
  if (p[6] == 's' || p[6] == 'S') m |= 02000;
  if (p[9] == 't' || p[9] == 'T') m |= 01000;
  return m;
}

std::vector<Listed> dpkg_deb_contents(const fs::path& deb) {
  auto r = test::run("dpkg-deb -c " + test::quote(deb.string()));
  REQUIRE(r.status == 0);
  std::vector<Listed> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string perms, owner, date, time;
    Listed l{};
    fields >> perms >> owner >> l.size >> date >> time;
    std::string rest;
    std::getline(fields, rest);
    rest = rest.substr(1);
    l.type = perms[0];
    l.mode = parse_perms(perms);
    if (auto arrow = rest.find(" -> "); l.type == 'l' && arrow != std::string::npos) {
      l.target = rest.substr(arrow + 4);
      rest = rest.substr(0, arrow);
    } else if (auto link = rest.find(" link to "); link != std::string::npos) {
      l.type = 'h';
      l.target = rest.substr(link + 9);
      rest = rest.substr(0, link);
    }
    if (rest.starts_with("./")) rest = rest.substr(2);
    while (rest.ends_with('/')) rest.pop_back();
    if (l.target.starts_with("./")) l.target = l.target.substr(2);
    l.path = rest;
    out.push_back(l);
  }
  return out;
}

}  // namespace

TEST_CASE("real .debs: entries, file list and md5sums agree with dpkg-deb") {
  if (test::run("command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null").status != 0) {
    MLPACK_SKIP("dpkg-deb or apt-get missing");
    return;
  }
  auto staging = util::TempDir::create();
  REQUIRE(staging);
  int checked = 0;
  for (const char* name : {"base-files", "netbase", "tzdata", "libc6", "perl-base", "python3-minimal"}) {
    auto path = test::real_deb(name);
    if (!path) {
      MLPACK_SKIP("cannot fetch `" << name << "` with apt-get download (offline?)");
      continue;
    }
    CAPTURE(name);
    deb::DebOptions options;
    options.staging_dir = staging->path();
    options.usrmerge = deb::UsrMerge::no;
    auto d = deb::read_deb(*path, options);
    REQUIRE_MESSAGE(d, d.error().message);
    CHECK(d->package == name);
    CHECK_FALSE(d->version.empty());

    auto listed = dpkg_deb_contents(*path);
    // info/<pkg>.list: "/." then every member as shipped, in archive order.
    std::vector<std::string> expected_list;
    for (const auto& l : listed) expected_list.push_back(l.path.empty() ? "/." : "/" + l.path);
    CHECK(d->file_list == expected_list);

    std::size_t members = 0;
    for (const auto& l : listed) {
      if (l.path.empty()) continue;
      ++members;
      CAPTURE(l.path);
      auto e = find(*d, l.path);
      REQUIRE(e);
      CHECK(e->mode == l.mode);
      switch (l.type) {
        case 'd':
          CHECK(e->type == EntryType::directory);
          break;
        case 'l':
          CHECK(e->type == EntryType::symlink);
          CHECK(e->link_target == l.target);
          break;
        case 'h':
          CHECK(e->type == EntryType::hardlink);
          break;
        default:
          if (e->type == EntryType::file) {
            CHECK(e->size == l.size);
          } else {
            CHECK(e->type == EntryType::hardlink);  // regrouped: it sorts after its partner
          }
      }
    }
    CHECK(d->entries.size() == members);
    CHECK(std::is_sorted(d->entries.begin(), d->entries.end(),
                         [](const auto& a, const auto& b) { return a.path < b.path; }));

    // md5sums: the package's own member verbatim, and it matches what was staged.
    auto control_dir = staging->path() / (std::string(name) + ".control");
    REQUIRE(test::run("dpkg-deb -e " + test::quote(path->string()) + " " + test::quote(control_dir.string())).status ==
            0);
    if (fs::exists(control_dir / "md5sums")) {
      CHECK(d->md5sums == *util::read_file(control_dir / "md5sums"));
      std::istringstream in(d->md5sums);
      std::string md5, file;
      int lines = 0;
      while (in >> md5 >> file) {
        auto e = find(*d, file);
        REQUIRE_MESSAGE(e, file);
        if (e->type == EntryType::hardlink) e = find(*d, e->link_target);
        CHECK_MESSAGE(md5_hex(content_of(*e)) == md5, file);
        ++lines;
      }
      CHECK(lines > 0);
    }
    // Conffiles: as in the member, with the md5 of the shipped file.
    if (fs::exists(control_dir / "conffiles")) {
      std::istringstream in(*util::read_file(control_dir / "conffiles"));
      std::string line;
      std::size_t n = 0;
      while (std::getline(in, line))
        if (!line.empty()) {
          REQUIRE(n < d->conffiles.size());
          CHECK(d->conffiles[n].path == line);
          CHECK(d->conffiles[n].md5 == md5_hex(content_of(*find(*d, line.substr(1)))));
          ++n;
        }
      CHECK(n == d->conffiles.size());
    }
    // Contents: byte for byte what dpkg-deb extracts.
    auto tree = staging->path() / (std::string(name) + ".tree");
    REQUIRE(test::run("dpkg-deb -x " + test::quote(path->string()) + " " + test::quote(tree.string())).status == 0);
    for (const auto& e : d->entries)
      if (e.type == EntryType::file) {
        auto expected = util::read_file(tree / e.path, 1 << 30);
        REQUIRE(expected);
        CHECK_MESSAGE(*expected == content_of(e), e.path);
      }
    ++checked;
  }
  MESSAGE("checked " << checked << " real packages");
}

TEST_CASE("real .debs: usrmerge rewrites top-level directories into usr/") {
  auto staging = util::TempDir::create();
  REQUIRE(staging);
  for (const char* name : {"libc6", "base-files"}) {
    auto path = test::real_deb(name);
    if (!path) {
      MLPACK_SKIP("cannot fetch `" << name << "`");
      continue;
    }
    CAPTURE(name);
    deb::DebOptions options;
    options.staging_dir = staging->path();
    auto d = deb::read_deb(*path, options);
    REQUIRE_MESSAGE(d, d.error().message);
    for (const auto& e : d->entries)
      for (std::string_view top : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"})
        CHECK_MESSAGE(!(e.path == top || e.path.starts_with(std::string(top) + "/")), e.path);
    // The file list stays as shipped, as dpkg records it on a merged bookworm system.
    bool shipped_top = std::any_of(d->file_list.begin(), d->file_list.end(), [](const std::string& p) {
      return p.starts_with("/lib") || p.starts_with("/bin") || p.starts_with("/sbin");
    });
    CHECK(shipped_top);
    CHECK_FALSE(d->merged_dirs.empty());
    if (std::string(name) == "libc6") {
      CHECK(std::find(d->merged_dirs.begin(), d->merged_dirs.end(), "lib64") != d->merged_dirs.end());
      auto ld = find(*d, "usr/lib64/ld-linux-x86-64.so.2");
      if (d->architecture == "amd64") {
        REQUIRE(ld);
        CHECK(ld->type == EntryType::symlink);
      }
    }
  }
  auto links = deb::usrmerge_links(std::vector<std::string>{"sbin", "bin", "lib64"});
  REQUIRE(links.size() == 3);
  CHECK(links[0].path == "bin");
  CHECK(links[0].link_target == "usr/bin");
  CHECK(links[2].path == "sbin");
}

TEST_CASE("a crafted .deb: usrmerge collisions, hard links, conffiles, generated md5sums") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  using M = test::Member;
  auto path =
      test::make_deb(dir->path(), "crafted",
                     "Package: crafted\nVersion: 1.0-1\nArchitecture: amd64\nMulti-Arch: same\nDescription: test\n",
                     {
                         M{"./", 'd', 0755, ""},
                         M{"./bin/", 'd', 0755, ""},
                         M{"./bin/tool", 'f', 04755, "#!/bin/sh\n"},
                         M{"./bin/sh", 'l', 0777, "dash"},
                         M{"./sbin/", 'd', 0755, ""},
                         M{"./sbin/up", 'l', 0777, "../usr/sbin/real"},  // relative, climbs out of sbin/
                         M{"./lib/", 'd', 0755, ""},
                         M{"./lib/libx.so.1", 'l', 0777, "/usr/lib/libx.so.1"},  // compat link onto its merged self
                         M{"./usr/", 'd', 0755, ""},
                         M{"./usr/bin/", 'd', 0755, ""},
                         M{"./usr/bin/zz", 'f', 0755, "same"},
                         M{"./usr/bin/aa", 'h', 0755, "./usr/bin/zz"},  // sorts before its partner
                         M{"./usr/lib/", 'd', 0755, ""},
                         M{"./usr/lib/libx.so.1", 'f', 0644, "ELF"},
                         M{"./usr/sbin/", 'd', 0755, ""},
                         M{"./usr/sbin/real", 'f', 0755, "real"},
                         M{"./etc/", 'd', 0755, ""},
                         M{"./etc/crafted.conf", 'f', 0644, "key=value\n"},
                         M{"./usr/share/", 'd', 0755, ""},
                         M{"./usr/share/empty", 'f', 0644, ""},
                     },
                     {M{"./conffiles", 'f', 0644, "/etc/crafted.conf\nremove-on-upgrade /etc/old.conf\n"},
                      M{"./postinst", 'f', 0755, "#!/bin/sh\nexit 1\n"}});
  deb::DebOptions options;
  options.staging_dir = dir->path() / "staging";
  auto d = deb::read_deb(path, options);
  REQUIRE_MESSAGE(d, d.error().message);
  CHECK(d->db_name() == "crafted:amd64");
  CHECK(d->merged_dirs == std::vector<std::string>{"bin", "lib", "sbin"});
  std::vector<std::string> paths;
  for (const auto& e : d->entries) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"etc", "etc/crafted.conf", "usr", "usr/bin", "usr/bin/aa", "usr/bin/sh",
                                          "usr/bin/tool", "usr/bin/zz", "usr/lib", "usr/lib/libx.so.1", "usr/sbin",
                                          "usr/sbin/real", "usr/sbin/up", "usr/share", "usr/share/empty"});
  CHECK(find(*d, "usr/bin/tool")->mode == 04755);
  CHECK(find(*d, "usr/bin/sh")->link_target == "dash");
  CHECK(find(*d, "usr/sbin/up")->link_target == "real");
  CHECK(find(*d, "usr/lib/libx.so.1")->type == EntryType::file);
  auto aa = find(*d, "usr/bin/aa");
  CHECK(aa->type == EntryType::file);
  CHECK(content_of(*aa) == "same");
  CHECK(find(*d, "usr/bin/zz")->type == EntryType::hardlink);
  CHECK(find(*d, "usr/bin/zz")->link_target == "usr/bin/aa");
  auto empty = find(*d, "usr/share/empty");
  CHECK_FALSE(empty->source);
  CHECK(empty->size == 0);
  // Content-addressed staging.
  CHECK(find(*d, "usr/sbin/real")->source == options.staging_dir / util::Digest::sha256_of("real").hex());
  REQUIRE(d->conffiles.size() == 1);
  CHECK(d->conffiles[0].path == "/etc/crafted.conf");
  CHECK(d->conffiles[0].md5 == md5_hex("key=value\n"));
  CHECK(d->skipped_control_members == std::vector<std::string>{"postinst"});
  // No md5sums member: generated for regular files that are not conffiles, paths as shipped.
  CHECK(d->md5sums == md5_hex("#!/bin/sh\n") + "  bin/tool\n" + md5_hex("same") + "  usr/bin/zz\n" + md5_hex("same") +
                          "  usr/bin/aa\n" + md5_hex("ELF") + "  usr/lib/libx.so.1\n" + md5_hex("real") +
                          "  usr/sbin/real\n" + md5_hex("") + "  usr/share/empty\n");
  CHECK(d->file_list.front() == "/.");
  CHECK(d->file_list[1] == "/bin");
  // Without usrmerge the layout is as shipped.
  options.usrmerge = deb::UsrMerge::no;
  auto plain = deb::read_deb(path, options);
  REQUIRE(plain);
  CHECK(find(*plain, "lib/libx.so.1")->type == EntryType::symlink);
  CHECK(find(*plain, "sbin/up")->link_target == "../usr/sbin/real");
  CHECK(plain->merged_dirs.empty());
}

TEST_CASE("malicious .debs are refused with the package named") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  using M = test::Member;
  struct Case {
    const char* name;
    std::vector<M> data;
    const char* why;
  };
  std::vector<Case> cases = {
      {"dotdot", {M{"./", 'd', 0755, ""}, M{"./usr/../../etc/passwd", 'f', 0644, "x"}}, "climbs out of the root"},
      {"dotdot-plain", {M{"../evil", 'f', 0644, "x"}}, "climbs out of the root"},
      {"absolute", {M{"/etc/passwd", 'f', 0644, "x"}}, "absolute path"},
      {"symlink-escape",
       {M{"./usr/", 'd', 0755, ""}, M{"./usr/link", 'l', 0777, "../../../etc/shadow"}},
       "escapes the root"},
      {"abs-symlink-escape", {M{"./x", 'l', 0777, "/../../etc"}}, "escapes the root"},
      {"hardlink-escape", {M{"./x", 'h', 0644, "../../etc/passwd"}}, "climbs out of the root"},
      {"hardlink-missing", {M{"./x", 'h', 0644, "./nothing"}}, "not a file earlier in the archive"},
      {"device", {M{"./dev/", 'd', 0755, ""}, M{"./dev/null", 'c', 0666, ""}}, "character device"},
      {"fifo", {M{"./run/fifo", 'p', 0644, ""}}, "FIFO"},
      {"twice", {M{"./a", 'f', 0644, "1"}, M{"./a", 'f', 0644, "2"}}, "appears twice"},
      {"badconf", {M{"./etc/a", 'f', 0644, "1"}}, "conffile `/etc/missing`"},
  };
  for (auto& c : cases) {
    CAPTURE(c.name);
    std::string pkg = std::string("evil-") + c.name;
    std::vector<M> extra;
    if (std::string(c.name) == "badconf") extra.push_back(M{"./conffiles", 'f', 0644, "/etc/missing\n"});
    auto path =
        test::make_deb(dir->path(), pkg, "Package: " + pkg + "\nVersion: 1\nArchitecture: all\n", c.data, extra);
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    auto d = deb::read_deb(path, options);
    REQUIRE_FALSE(d);
    CHECK_MESSAGE(d.error().message.starts_with("package `" + pkg + "` (" + pkg + ".deb): "), d.error().message);
    CHECK_MESSAGE(d.error().message.find(c.why) != std::string::npos, d.error().message);
    CHECK(d.error().kind == util::ErrorKind::integrity);
  }
  // Nothing half-written is left in staging.
  for (const auto& e : fs::directory_iterator(dir->path() / "staging"))
    CHECK_FALSE(e.path().filename().string().starts_with(".staging-"));

  SUBCASE("oversized member") {
    auto path = test::make_deb(dir->path(), "big", "Package: big\nVersion: 1\nArchitecture: all\n",
                               {M{"./blob", 'f', 0644, std::string(4096, 'x')}});
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    options.max_member_size = 1024;
    auto d = deb::read_deb(path, options);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == util::ErrorKind::integrity);
    CHECK(d.error().message.find("package `big`") == 0);
    CHECK(d.error().message.find("larger than") != std::string::npos);
  }
  SUBCASE("data.tar inflating past the unpack limits") {
    auto path = test::make_deb(dir->path(), "bomb", "Package: bomb\nVersion: 1\nArchitecture: all\n",
                               {M{"./zeros", 'f', 0644, std::string(8 << 20, 'x')}});
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    options.unpack.raise_hint = "raise it with `unpack_max_ratio`";
    auto d = deb::read_deb(path, options);  // 8 MiB of one byte: gzip makes 8 KB of it, past 1000:1
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == util::ErrorKind::integrity);
    CHECK(d.error().message.find("package `bomb`") == 0);
    CHECK_MESSAGE(d.error().message.find("more than 1000 times its compressed size") != std::string::npos,
                  d.error().message);
    CHECK(d.error().message.ends_with("; raise it with `unpack_max_ratio`"));
    options.unpack.max_ratio = 100000;
    CHECK(deb::read_deb(path, options));
    deb::DebOptions small;
    small.staging_dir = dir->path() / "staging";
    small.unpack.max_total = 1 << 20;
    auto t = deb::read_deb(path, small);
    REQUIRE_FALSE(t);
    CHECK(t.error().message.find("more than 1048576 bytes") != std::string::npos);
  }
  SUBCASE("not a .deb") {
    REQUIRE(util::write_file_atomic(dir->path() / "junk.deb", "this is not an ar archive"));
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    auto d = deb::read_deb(dir->path() / "junk.deb", options);
    REQUIRE_FALSE(d);
    CHECK(d.error().message.find("package `junk.deb`") == 0);
  }
  SUBCASE("data before control") {
    auto work = dir->path() / "order";
    fs::create_directories(work);
    test::make_deb(dir->path(), "order", "Package: order\nVersion: 1\nArchitecture: all\n", {M{"./a", 'f', 0644, "1"}});
    auto parts = dir->path() / "order.parts";
    auto deb = dir->path() / "swapped.deb";
    REQUIRE(test::run("cd " + test::quote(parts.string()) + " && ar rc " + test::quote(deb.string()) +
                      " debian-binary data.tar.gz control.tar.gz")
                .status == 0);
    deb::DebOptions options;
    options.staging_dir = dir->path() / "staging";
    auto d = deb::read_deb(deb, options);
    REQUIRE_FALSE(d);
    CHECK(d.error().message.find("before the control member") != std::string::npos);
  }
}

TEST_CASE("merge_entries folds shared directories and lets the later package win") {
  auto e = [](std::string p, EntryType t, std::string data = "") {
    archive::Entry x;
    x.path = std::move(p);
    x.type = t;
    x.data = data;
    x.size = data.size();
    return x;
  };
  std::vector<std::vector<archive::Entry>> lists = {
      {e("usr", EntryType::directory), e("usr/bin", EntryType::directory), e("usr/bin/a", EntryType::file, "1")},
      {e("usr", EntryType::directory), e("usr/bin/a", EntryType::file, "2"), e("usr/bin/b", EntryType::file, "3")},
  };
  auto m = deb::merge_entries(lists);
  REQUIRE(m);
  REQUIRE(m->entries.size() == 4);
  CHECK(m->entries[2].data == "2");
  CHECK(m->overwritten == std::vector<std::string>{"usr/bin/a"});
  lists.push_back({e("usr/bin/b", EntryType::directory)});
  CHECK_FALSE(deb::merge_entries(lists));
}
