// rpkg::install and inspect over binary tarballs made here by libarchive (and Debian's jsonlite
// repacked when apt can fetch it): the layout in the image, modes, staging, determinism, and
// every hostile or wrong package refused naming the package.
#include <doctest/doctest.h>

#include <algorithm>

#include "archive/layer.hpp"
#include "rpkg_test_util.hpp"
#include "skip.hpp"
#include "util/io.hpp"
#include "util/process.hpp"

using namespace rpkg_test;
using util::ErrorKind;

namespace {

const fs::path host_library = "/usr/lib/x86_64-linux-gnu/libcurl.so.4";  // big: staged
const fs::path small_library = "/usr/lib/x86_64-linux-gnu/libdl.so.2";   // small: in memory

util::TempDir temp_dir() {
  auto d = util::TempDir::create();
  REQUIRE(d);
  return std::move(*d);
}

struct Made {
  fs::path file;
  std::string sha256;
};

Made make(const fs::path& dir, const std::vector<TarMember>& members, const std::string& file = "demo_1.0.2.tar.gz") {
  Made m{dir / file, ""};
  write_tarball(m.file, members);
  m.sha256 = sha256_of_file(m.file);
  return m;
}

// The refusal of a package: an error of `kind` naming the package and holding `needle`.
void check_refused(const std::vector<TarMember>& members, const std::string& needle,
                   ErrorKind kind = ErrorKind::integrity, const std::string& r = "4.2.3",
                   const std::string& version = "1.0.2") {
  auto dir = temp_dir();
  auto made = make(dir.path(), members);
  auto r_ = rpkg::install(made.file, "demo", version, made.sha256, options_for(dir.path(), r));
  REQUIRE_MESSAGE(!r_, needle);
  CHECK_MESSAGE(r_.error().kind == kind, r_.error().message);
  CHECK_MESSAGE(r_.error().message.starts_with("R package `demo` " + version + " (demo_1.0.2.tar.gz)"),
                r_.error().message);
  CHECK_MESSAGE(r_.error().message.find(needle) != std::string::npos, r_.error().message);
}

std::string layer_digest(std::vector<archive::Entry> entries) {
  util::StringWriter out;
  auto r = archive::write_layer(std::move(entries), {}, out);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return r->diff_id.str();
}

}  // namespace

TEST_CASE("install: the package's tree under the site library, modes normalised, large files staged") {
  auto dir = temp_dir();
  auto members = package_members("demo", "1.0.2");
  std::string big_so = fs::exists(host_library) ? slurp(host_library)
                                                : std::string(
                                                      "\x7f"
                                                      "ELF",
                                                      4) +
                                                      std::string(200000, 'x');
  members.push_back({"demo/libs/demo.so", big_so, '0', 0755});
  members.push_back({"demo/libs/symbols.rds", "not elf", '0', 0644});
  if (fs::exists(small_library)) members.push_back({"demo/libs/libhelper.so", slurp(small_library), '0', 0644});
  members.push_back({"demo/help/aliases.rds", "aliases", '0', 0644});
  members.push_back({"demo/help/AnIndex", "demo/help/aliases.rds", '1', 0644});  // a hardlink: a copy
  members.push_back({"demo/doc/index.html", "../html/00Index.html", '2', 0777});
  members.push_back({"demo/html/00Index.html", "<html/>", '0', 0644});
  auto made = make(dir.path(), members);
  auto staging = dir.path() / "staging";
  fs::create_directory(staging);

  auto r = rpkg::install(made.file, "demo", "1.0.2", made.sha256, options_for(staging));
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->name == "demo");
  CHECK(r->version == "1.0.2");
  CHECK(r->record.built->r_version.str() == "4.2.2");
  const auto& e = r->entries;
  CHECK(std::ranges::is_sorted(e, {}, &archive::Entry::path));
  for (const auto& x : e) {
    CHECK_MESSAGE(x.path.starts_with("usr/local/lib/R/site-library/demo"), x.path);
    CHECK(x.uid == 0);
    CHECK(x.gid == 0);
  }
  const std::string root = "usr/local/lib/R/site-library/demo";
  REQUIRE(find(e, root));
  CHECK(find(e, root)->type == archive::EntryType::directory);
  REQUIRE(find(e, root + "/Meta"));  // implied by Meta/package.rds
  CHECK(find(e, root + "/Meta")->mode == 0755);
  CHECK(find(e, root + "/R")->mode == 0755);          // 0700 in the archive
  CHECK(find(e, root + "/NAMESPACE")->mode == 0644);  // 0600 in the archive
  CHECK(find(e, root + "/exec/tool")->mode == 0755);
  CHECK(content_of(*find(e, root + "/DESCRIPTION")) == description("demo", "1.0.2"));

  auto* so = find(e, root + "/libs/demo.so");
  REQUIRE(so);
  CHECK(so->source);  // over the inline limit: staged, not in memory
  CHECK(so->data.empty());
  CHECK(so->size == big_so.size());
  CHECK(content_of(*so) == big_so);
  CHECK(so->source->parent_path().parent_path() == staging);

  auto* copy = find(e, root + "/help/AnIndex");
  REQUIRE(copy);
  CHECK(copy->type == archive::EntryType::file);
  CHECK(content_of(*copy) == "aliases");
  auto* link = find(e, root + "/doc/index.html");
  REQUIRE(link);
  CHECK(link->type == archive::EntryType::symlink);
  CHECK(link->link_target == "../html/00Index.html");
  CHECK(link->mode == 0777);

  std::vector<std::string> expected_so{root + "/libs/demo.so"};
  if (fs::exists(small_library)) expected_so.push_back(root + "/libs/libhelper.so");
  CHECK(r->shared_objects == expected_so);
  std::uint64_t total = 0;
  for (const auto& x : e)
    if (x.type == archive::EntryType::file) total += x.size;
  CHECK(r->size == total);

  // The same tarball gives the same layer, whatever the staging folder.
  auto staging2 = dir.path() / "staging2";
  fs::create_directory(staging2);
  auto again = rpkg::install(made.file, "demo", "1.0.2", made.sha256, options_for(staging2));
  REQUIRE(again);
  CHECK(layer_digest(r->entries) == layer_digest(again->entries));

  // Another site library; a leading "/" is dropped.
  auto o = options_for(staging);
  o.site_library = "/opt/R/site/";
  auto other = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE(other);
  CHECK(other->entries.front().path == "opt/R/site/demo");

  // The staging folder is a temp folder (swept by name after a SIGKILL) that lives as long as
  // the result: dropped, it is gone.
  {
    REQUIRE(other->staging);
    auto folder = other->staging->path();
    CHECK(folder.parent_path() == staging);
    CHECK(folder.filename().string().starts_with("demo.tmp-"));
    CHECK(fs::is_directory(folder));
    other = std::unexpected(util::Error{ErrorKind::internal, "dropped"});
    CHECK(!fs::exists(folder));
  }

  // Without a staging folder a large file has nowhere to go.
  o.staging_dir.clear();
  auto none = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE(!none);
  CHECK(none.error().kind == ErrorKind::internal);
}

TEST_CASE("install: a package without compiled code and an empty platform loads anywhere") {
  auto members = package_members("demo", "1.0.2", "R 4.3.1; ; 2023-06-01 00:00:00 UTC; unix");
  auto dir = temp_dir();
  auto made = make(dir.path(), members);
  auto o = options_for(dir.path(), "4.3.2");
  o.arch = "aarch64";
  auto r = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->shared_objects.empty());
}

TEST_CASE("inspect: DESCRIPTION wherever it is, the top folder must be the package") {
  auto dir = temp_dir();
  auto members = package_members("demo", "1.0.2");
  std::rotate(members.begin(), members.begin() + 2, members.end());  // DESCRIPTION last
  auto made = make(dir.path(), members);
  auto record = rpkg::inspect(made.file);
  REQUIRE_MESSAGE(record, (record ? "" : record.error().message));
  CHECK(record->name == "demo");
  CHECK(record->version.str() == "1.0.2");
  CHECK(record->built);

  auto wrong = make(dir.path(), {{"other/DESCRIPTION", description("demo", "1.0.2"), '0', 0644}}, "wrong.tar.gz");
  auto r = rpkg::inspect(wrong.file);
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(r.error().message.find("the top folder is `other/`") != std::string::npos, r.error().message);

  auto two = make(dir.path(),
                  {{"demo/NAMESPACE", "", '0', 0644}, {"extra/DESCRIPTION", description("demo", "1.0.2"), '0', 0644}},
                  "two.tar.gz");
  r = rpkg::inspect(two.file);
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("outside the top folder `demo/`") != std::string::npos, r.error().message);

  auto none = make(dir.path(), {{"demo/NAMESPACE", "", '0', 0644}}, "none.tar.gz");
  r = rpkg::inspect(none.file);
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("no `demo/DESCRIPTION`") != std::string::npos, r.error().message);

  // Not a tarball at all.
  auto text = dir.path() / "text.tar.gz";
  std::ofstream(text) << "Package: demo\n";
  r = rpkg::inspect(text);
  REQUIRE(!r);
}

TEST_CASE("install refuses a top folder other than the package's name") {
  std::vector<TarMember> members;
  for (auto m : package_members("demo", "1.0.2")) {
    m.path.replace(0, 4, "Demo");
    members.push_back(m);
  }
  check_refused(members, "member `Demo` is outside `demo/`");
  auto extra = package_members("demo", "1.0.2");
  extra.push_back({"other/file", "x", '0', 0644});
  check_refused(extra, "member `other/file` is outside `demo/`");
}

TEST_CASE("install refuses paths that climb or are absolute") {
  auto members = package_members("demo", "1.0.2");
  members.push_back({"demo/../../etc/cron.d/evil", "x", '0', 0644});
  check_refused(members, "`..`");
  members = package_members("demo", "1.0.2");
  members.push_back({"/etc/passwd", "x", '0', 0644});
  check_refused(members, "absolute path");
}

TEST_CASE("install refuses symlinks out of the package, absolute ones and links through links") {
  auto members = package_members("demo", "1.0.2");
  members.push_back({"demo/R/evil", "../../other/R/other.rdb", '2', 0777});
  check_refused(members, "demo/R/evil");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/R/abs", "/etc/passwd", '2', 0777});
  check_refused(members, "demo/R/abs");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/up", "R", '2', 0777});
  members.push_back({"demo/esc", "up/../../x", '2', 0777});
  check_refused(members, "demo/esc");
  // A member below a symlink (the link would carry it elsewhere).
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/inst", "../", '2', 0777});
  members.push_back({"demo/inst/x", "x", '0', 0644});
  check_refused(members, "which is no folder");
}

TEST_CASE("install refuses devices, FIFOs, duplicates and hardlinks to no earlier file") {
  auto members = package_members("demo", "1.0.2");
  members.push_back({"demo/fifo", "", '6', 0644});
  check_refused(members, "demo/fifo");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/tty", "", '3', 0644});
  check_refused(members, "demo/tty");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/NAMESPACE", "again", '0', 0644});
  check_refused(members, "`demo/NAMESPACE` is in the archive twice");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/hard", "demo/missing", '1', 0644});
  check_refused(members, "no earlier file of the package");
  members = package_members("demo", "1.0.2");
  members.push_back({"demo/NAMESPACE/x", "x", '0', 0644});
  check_refused(members, "which is no folder");
}

TEST_CASE("install refuses a package without DESCRIPTION, or whose DESCRIPTION is not the lock's") {
  auto members = package_members("demo", "1.0.2");
  members.erase(members.begin() + 1);
  check_refused(members, "no `demo/DESCRIPTION`");

  members = package_members("demo", "1.0.2");
  members[1].content = description("other", "1.0.2");
  check_refused(members, "DESCRIPTION says `Package: other`");

  members = package_members("demo", "1.0.2");
  members[1].content = description("demo", "1.0.3");
  check_refused(members, "DESCRIPTION says `Version: 1.0.3`; the lock says 1.0.2");

  members = package_members("demo", "1.0.2");
  members[1].content = "Package: demo\nVersion: one\n";
  check_refused(members, "invalid R version `one`", ErrorKind::invalid_input);
}

TEST_CASE("install refuses a source package and binaries this R cannot load") {
  check_refused(package_members("demo", "1.0.2", ""), "a source package", ErrorKind::unsatisfiable);
  check_refused(package_members("demo", "1.0.2", "R 3.6.3; x86_64-pc-linux-gnu; 2020-01-01 00:00:00 UTC; unix"),
                "built by R 3.6.3, before R 4.0.0", ErrorKind::unsatisfiable);
  check_refused(package_members("demo", "1.0.2"), "another major version", ErrorKind::unsatisfiable, "5.0.0");
  check_refused(package_members("demo", "1.0.2", "R 4.3.1; x86_64-pc-linux-gnu; 2023-06-01 00:00:00 UTC; unix"),
                "newer than R 4.2.3", ErrorKind::unsatisfiable);
  check_refused(package_members("demo", "1.0.2", "R 4.2.2; aarch64-unknown-linux-gnu; 2023-01-01 00:00:00 UTC; unix"),
                "not for x86_64 Linux", ErrorKind::unsatisfiable);
  check_refused(package_members("demo", "1.0.2", "R 4.2.2; x86_64-w64-mingw32; 2023-01-01 00:00:00 UTC; windows"),
                "demo", ErrorKind::unsatisfiable);
}

TEST_CASE("install checks the sha256 before reading anything") {
  auto dir = temp_dir();
  auto made = make(dir.path(), package_members("demo", "1.0.2"));
  const std::string wrong(64, 'a');
  auto r = rpkg::install(made.file, "demo", "1.0.2", wrong, options_for(dir.path()));
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(r.error().message.find("where the lock says " + wrong) != std::string::npos, r.error().message);
  // Even a file that is no tarball at all fails on its digest first.
  auto junk = dir.path() / "demo_1.0.2.tar.gz";
  std::ofstream(junk, std::ios::trunc) << "junk";
  r = rpkg::install(junk, "demo", "1.0.2", wrong, options_for(dir.path()));
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("sha256") != std::string::npos, r.error().message);
}

TEST_CASE("install refuses a gzip bomb beyond the unpack limits, and takes it once they are raised") {
  auto dir = temp_dir();
  auto members = package_members("demo", "1.0.2");
  members.push_back({"demo/data/zeros.bin", std::string(32 << 20, '\0'), '0', 0644});
  auto made = make(dir.path(), members);
  CHECK(fs::file_size(made.file) < (1 << 20));
  auto o = options_for(dir.path());
  o.limits.max_ratio = 100;
  auto r = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(r.error().message.starts_with("R package `demo` 1.0.2"), r.error().message);

  o = options_for(dir.path());
  o.limits.max_total = 8 << 20;
  r = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::integrity);

  o = options_for(dir.path());
  o.limits.max_ratio = 100000;
  r = rpkg::install(made.file, "demo", "1.0.2", made.sha256, o);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(find(r->entries, "usr/local/lib/R/site-library/demo/data/zeros.bin")->size == (32u << 20));
}

TEST_CASE("site_library_dirs: every folder down to the site library, 0755, root's") {
  auto dirs = rpkg::site_library_dirs();
  std::vector<std::string> paths;
  for (const auto& d : dirs) {
    paths.push_back(d.path);
    CHECK(d.type == archive::EntryType::directory);
    CHECK(d.mode == 0755);
    CHECK(d.uid == 0);
  }
  CHECK(paths == std::vector<std::string>{"usr", "usr/local", "usr/local/lib", "usr/local/lib/R",
                                          "usr/local/lib/R/site-library"});
  CHECK(rpkg::site_library_dirs("/opt/R/").size() == 2);
}

TEST_CASE("install: Debian's jsonlite repacked as a binary package") {
  auto dir = temp_dir();
  auto out = dir.path() / "apt.out";
  auto err = dir.path() / "apt.err";
  // apt-get download writes into the working directory; run it through sh to set one.
  auto rc = util::run_program(
      {"sh", "-c", "cd '" + dir.path().string() + "' && timeout 60 apt-get download -q r-cran-jsonlite"}, out, err);
  fs::path deb;
  for (const auto& f : fs::directory_iterator(dir.path()))
    if (f.path().extension() == ".deb") deb = f.path();
  if (!rc || *rc != 0 || deb.empty()) {
    MLPACK_SKIP("`apt-get download r-cran-jsonlite` did not work here");
    return;
  }
  auto tree = dir.path() / "tree";
  rc = util::run_program({"dpkg-deb", "-x", deb.string(), tree.string()}, out, err);
  REQUIRE(rc);
  REQUIRE(*rc == 0);
  const auto site = tree / "usr/lib/R/site-library";
  REQUIRE(fs::exists(site / "jsonlite/DESCRIPTION"));
  std::vector<TarMember> members;
  std::vector<fs::path> paths;
  for (const auto& f : fs::recursive_directory_iterator(site)) paths.push_back(f.path());
  std::ranges::sort(paths);
  for (const auto& p : paths) {
    auto rel = fs::relative(p, site).string();
    auto st = fs::symlink_status(p);
    auto mode = static_cast<unsigned>(st.permissions()) & 07777;
    if (fs::is_symlink(st))
      members.push_back({rel, fs::read_symlink(p).string(), '2', 0777});
    else if (fs::is_directory(st))
      members.push_back({rel, "", '5', mode});
    else
      members.push_back({rel, slurp(p), '0', mode});
  }
  auto desc = slurp(site / "jsonlite/DESCRIPTION");
  auto version_at = desc.find("\nVersion: ") + 10;
  auto version = desc.substr(version_at, desc.find('\n', version_at) - version_at);
  auto file = dir.path() / ("jsonlite_" + version + ".tar.gz");
  write_tarball(file, members);

  auto record = rpkg::inspect(file);
  REQUIRE_MESSAGE(record, (record ? "" : record.error().message));
  CHECK(record->name == "jsonlite");
  REQUIRE(record->built);
  auto staging = dir.path() / "staging";
  fs::create_directory(staging);
  auto o = options_for(staging, record->built->r_version.str());
  auto r = rpkg::install(file, "jsonlite", version, sha256_of_file(file), o);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->shared_objects == std::vector<std::string>{"usr/local/lib/R/site-library/jsonlite/libs/jsonlite.so"});
  CHECK(find(r->entries, "usr/local/lib/R/site-library/jsonlite/Meta/package.rds"));
  CHECK(find(r->entries, "usr/local/lib/R/site-library/jsonlite/R/jsonlite.rdb"));
  // The next major R refuses it.
  o.target_r = *cran::Version::parse_numeric("5.0.0");
  auto refused = rpkg::install(file, "jsonlite", version, sha256_of_file(file), o);
  REQUIRE(!refused);
  CHECK(refused.error().kind == ErrorKind::unsatisfiable);
}
