// install_package over hand-made packages: linking, placeholders, noarch python, conda-meta, and
// every hostile archive refused naming the package.
#include <doctest/doctest.h>

#include "condapkg_test_util.hpp"

using namespace condapkg_test;
using mlpack::util::ErrorKind;

namespace {

condapkg::Prefix prefix311() {
  return condapkg::Prefix{"/opt/conda", "lib/python3.11/site-packages"};
}

// The refusal of a hostile package: an integrity error naming it and `needle`.
void check_refused(const Spec& spec, const std::string& needle, std::optional<std::string> bytes = std::nullopt) {
  auto dir = temp_dir();
  auto made = bytes ? write_package(dir.path(), spec, *bytes) : write_package(dir.path(), spec);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(!r, needle);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(r.error().message.find(stem(spec)) != std::string::npos, r.error().message);
  CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos, r.error().message);
}

}  // namespace

TEST_CASE("install: files, symlinks, modes, and conda-meta under /opt/conda") {
  auto dir = temp_dir();
  Spec s;
  std::string big(200000, 'x');  // over the inline limit: streamed out of the package
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  s.payload = {{"bin/tool", "#!/bin/sh\necho hi\n", '0', 0700},
               {"lib/libdemo.so.1", big, '0', 0644},
               {"lib/libdemo.so", "", '2', 0777, "libdemo.so.1"},
               {"share/demo/README", "read me\n", '0', 0600}};
  auto made = write_package(dir.path(), s);
  made.ref.requested_spec = "demo >=1";
  made.ref.record = {{"build_number", 0}, {"license", "MIT"}, {"depends", {"libc"}}};
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  const auto& e = r->entries;
  auto* tool = find(e, "opt/conda/bin/tool");
  REQUIRE(tool);
  CHECK(tool->mode == 0755);  // read and execute for everyone, as the owner had them
  CHECK(content_of(*tool) == "#!/bin/sh\necho hi\n");
  auto* lib = find(e, "opt/conda/lib/libdemo.so.1");
  REQUIRE(lib);
  CHECK(lib->data.empty());
  CHECK(lib->open);
  CHECK(lib->size == big.size());
  CHECK(content_of(*lib) == big);
  auto* link = find(e, "opt/conda/lib/libdemo.so");
  REQUIRE(link);
  CHECK(link->type == archive::EntryType::symlink);
  CHECK(link->link_target == "libdemo.so.1");
  CHECK(find(e, "opt/conda/share/demo/README")->mode == 0644);
  auto* meta = find(e, "opt/conda/conda-meta/demo-1.0-h0_0.json");
  REQUIRE(meta);
  auto j = nlohmann::json::parse(meta->data);
  CHECK(j["name"] == "demo");
  CHECK(j["fn"] == "demo-1.0-h0_0.conda");
  CHECK(j["url"] == "https://example.test/chan/linux-64/demo-1.0-h0_0.conda");
  CHECK(j["channel"] == "https://example.test/chan");
  CHECK(j["sha256"] == made.ref.sha256);
  CHECK(j["license"] == "MIT");
  CHECK(j["requested_spec"] == "demo >=1");
  CHECK(j["files"] == nlohmann::json({"bin/tool", "lib/libdemo.so", "lib/libdemo.so.1", "share/demo/README"}));
  CHECK(j["paths_data"]["paths"].size() == 4);
  CHECK(j["paths_data"]["paths"][2]["sha256"] == sha256(big));
  CHECK(j["paths_data"]["paths"][1]["path_type"] == "softlink");
  // Sorted, and layer_entries adds each parent once.
  auto all = condapkg::layer_entries({*r});
  CHECK(find(all, "opt")->type == archive::EntryType::directory);
  CHECK(find(all, "opt/conda/lib")->mode == 0755);
  CHECK(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.path < b.path; }));
}

TEST_CASE("install: streamed files out of package order reopen the payload") {
  auto dir = temp_dir();
  Spec s;
  std::string a(100000, 'a'), b(100000, 'b');
  s.payload = {{"z/late", a}, {"a/early", b}};  // the tar is not in path order
  auto made = write_package(dir.path(), s);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(content_of(*find(r->entries, "opt/conda/a/early")) == b);
  CHECK(content_of(*find(r->entries, "opt/conda/z/late")) == a);
}

TEST_CASE("install: text placeholders, shebangs, and binary placeholders padded with NULs") {
  auto dir = temp_dir();
  Spec s;
  std::string ph(condapkg::classic_placeholder);
  std::string longer = "/opt/" + std::string(140, 'p');  // a placeholder whose shebang stays too long
  std::string binary = std::string(
                           "\x7f"
                           "ELF") +
                       '\0' + "RPATH=" + ph + "/lib:" + ph + "/lib64" + '\0' + "tail" + '\0';
  s.payload = {{"bin/script", "#!" + ph + "/bin/python -u\nprint('" + ph + "')\n", '0', 0755},
               {"bin/long", "#!" + longer + "/bin/perl -w\nprint 1;\n", '0', 0755},
               {"lib/libx.so", binary, '0', 0755},
               {"etc/plain.cfg", "prefix=" + ph + "\n"}};
  s.path_extra["bin/script"] = {{"prefix_placeholder", ph}, {"file_mode", "text"}};
  s.path_extra["bin/long"] = {{"prefix_placeholder", longer}, {"file_mode", "text"}};
  s.path_extra["lib/libx.so"] = {{"prefix_placeholder", ph}, {"file_mode", "binary"}};
  auto made = write_package(dir.path(), s);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(find(r->entries, "opt/conda/bin/script")->data == "#!/opt/conda/bin/python -u\nprint('/opt/conda')\n");
  CHECK(find(r->entries, "opt/conda/bin/long")->data == "#!/opt/conda/bin/perl -w\nprint 1;\n");
  auto lib = find(r->entries, "opt/conda/lib/libx.so")->data;
  CHECK(lib.size() == binary.size());
  std::string expected = std::string(
                             "\x7f"
                             "ELF") +
                         '\0' + "RPATH=/opt/conda/lib:/opt/conda/lib64";
  expected.resize(binary.size() - 5, '\0');
  expected += "tail";
  expected += '\0';
  CHECK(lib == expected);
  // Without a placeholder declared, nothing changes.
  CHECK(find(r->entries, "opt/conda/etc/plain.cfg")->data == "prefix=" + ph + "\n");
  auto meta = nlohmann::json::parse(find(r->entries, "opt/conda/conda-meta/demo-1.0-h0_0.json")->data);
  for (const auto& p : meta["paths_data"]["paths"])
    if (p["_path"] == "lib/libx.so") {
      CHECK(p["file_mode"] == "binary");
      CHECK(p["sha256_in_prefix"] == sha256(lib));
    }
}

TEST_CASE("replace: shebangs too long or with a space become /usr/bin/env") {
  std::string ph = "/ph";
  CHECK(condapkg::replace_text_prefix("#!/ph/bin/python3.11 -E\nx\n", ph, "/opt/conda") ==
        "#!/opt/conda/bin/python3.11 -E\nx\n");
  std::string deep = "/" + std::string(130, 'd');
  CHECK(condapkg::replace_text_prefix("#!/ph/bin/python3.11 -E\nx\n", ph, deep) == "#!/usr/bin/env python3.11 -E\nx\n");
  CHECK(condapkg::replace_text_prefix("#!/ph/bin/tool\n", ph, "/my env") == "#!/usr/bin/env tool\n");
  CHECK(condapkg::replace_text_prefix("no shebang /ph/x /ph\n", ph, "/p") == "no shebang /p/x /p\n");
}

TEST_CASE("replace: a binary prefix longer than the placeholder is refused naming package and file") {
  auto r = condapkg::replace_binary_prefix(std::string("a/sh\0", 5), "/sh", "/opt/conda");
  CHECK(!r);
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"lib/libshort.so", std::string("x/short/lib\0", 12)}};
  s.path_extra["lib/libshort.so"] = {{"prefix_placeholder", "/short"}, {"file_mode", "binary"}};
  auto made = write_package(dir.path(), s);
  auto i = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE(!i);
  CHECK(i.error().kind == ErrorKind::invalid_input);
  CHECK(i.error().message.find("demo-1.0-h0_0") != std::string::npos);
  CHECK(i.error().message.find("lib/libshort.so") != std::string::npos);
}

TEST_CASE("install: noarch python into the environment's site-packages, scripts and entry points into bin") {
  auto dir = temp_dir();
  Spec s;
  s.name = "hello";
  s.build = "pyh0_0";
  s.noarch = "python";
  s.payload = {{"site-packages/hello/__init__.py", "def main():\n    print('hello')\n"},
               {"python-scripts/hello-tool", "#!/opt/anaconda1anaconda2anaconda3/bin/python\n", '0', 0755}};
  s.path_extra["python-scripts/hello-tool"] = {{"prefix_placeholder", std::string(condapkg::classic_placeholder)},
                                               {"file_mode", "text"}};
  s.link_json = R"({"noarch": {"type": "python", "entry_points": ["hello = hello:main", "hello-sub=hello.cli:app.run"]},
                   "package_metadata_version": 1})";
  auto made = write_package(dir.path(), s);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(find(r->entries, "opt/conda/lib/python3.11/site-packages/hello/__init__.py"));
  CHECK(find(r->entries, "opt/conda/bin/hello-tool")->data == "#!/opt/conda/bin/python\n");
  auto* launcher = find(r->entries, "opt/conda/bin/hello");
  REQUIRE(launcher);
  CHECK(launcher->mode == 0755);
  CHECK(launcher->data.starts_with("#!/opt/conda/bin/python\n"));
  CHECK(launcher->data.find("from hello import main\n") != std::string::npos);
  CHECK(launcher->data.find("sys.exit(main())") != std::string::npos);
  auto* sub = find(r->entries, "opt/conda/bin/hello-sub");
  REQUIRE(sub);
  CHECK(sub->data.find("from hello.cli import app\n") != std::string::npos);
  CHECK(sub->data.find("sys.exit(app.run())") != std::string::npos);
  auto meta = nlohmann::json::parse(find(r->entries, "opt/conda/conda-meta/hello-1.0-pyh0_0.json")->data);
  CHECK(meta["files"] == nlohmann::json({"bin/hello", "bin/hello-sub", "bin/hello-tool",
                                         "lib/python3.11/site-packages/hello/__init__.py"}));
  // A site-packages path of the interpreter's own (CEP 17).
  auto r2 =
      condapkg::install_package(made.file, made.ref, condapkg::Prefix{"/opt/conda", "lib/python3.13t/site-packages"});
  REQUIRE(r2);
  CHECK(find(r2->entries, "opt/conda/lib/python3.13t/site-packages/hello/__init__.py"));
  // No python in the environment.
  auto r3 = condapkg::install_package(made.file, made.ref, condapkg::Prefix{"/opt/conda", ""});
  REQUIRE(!r3);
  CHECK(r3.error().message.find("noarch: python") != std::string::npos);
}

TEST_CASE("install: link scripts are kept as files and reported, activation scripts collected") {
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"bin/.demo-post-link.sh", "echo run me\n", '0', 0755},
               {"bin/.demo-pre-unlink.sh", "echo bye\n", '0', 0755},
               {"etc/conda/activate.d/demo.sh", "export DEMO_HOME=${CONDA_PREFIX}/share/demo\n"}};
  auto made = write_package(dir.path(), s);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->link_scripts == std::vector<std::string>{"bin/.demo-post-link.sh", "bin/.demo-pre-unlink.sh"});
  REQUIRE(r->activation.size() == 1);
  CHECK(r->activation[0].path == "etc/conda/activate.d/demo.sh");
  auto vars = condapkg::plain_exports(r->activation[0].text, "/opt/conda");
  REQUIRE(vars);
  CHECK(*vars == std::vector<std::pair<std::string, std::string>>{{"DEMO_HOME", "/opt/conda/share/demo"}});
}

TEST_CASE("plain_exports: only export lines") {
  auto ok = condapkg::plain_exports(
      "# comment\n\nexport A=1\nexport B=\"$CONDA_PREFIX/x y\"\nexport C='${CONDA_PREFIX}'\n", "/p");
  REQUIRE(ok);
  CHECK(*ok == std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "/p/x y"}, {"C", "${CONDA_PREFIX}"}});
  CHECK(!condapkg::plain_exports("if [ -x foo ]; then export A=1; fi\n", "/p"));
  CHECK(!condapkg::plain_exports("export A=$(uname)\n", "/p"));
  CHECK(!condapkg::plain_exports("export PATH=$PATH:/x\n", "/p"));
  CHECK(!condapkg::plain_exports("A=1\n", "/p"));
}

TEST_CASE("hostile: the lock's sha256 is checked before anything is read") {
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"a", "b"}};
  auto made = write_package(dir.path(), s);
  made.ref.sha256 = std::string(64, '0');
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK(r.error().message.find("sha256") != std::string::npos);
  // Not even a zip: refused on the hash alone, not on the format.
  std::ofstream(made.file, std::ios::binary) << "garbage";
  made.ref.size = 0;
  auto g = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE(!g);
  CHECK(g.error().message.find("lock says") != std::string::npos);
}

TEST_CASE("hostile: escaping and absolute paths, devices, escaping links") {
  Spec up;
  up.payload = {{"../evil", "x"}};
  up.paths = nlohmann::json{{"paths", nlohmann::json::array()}};
  check_refused(up, "../evil");
  Spec abs;
  abs.payload = {{"/etc/passwd", "x"}};
  abs.paths = nlohmann::json{{"paths", nlohmann::json::array()}};
  check_refused(abs, "/etc/passwd");
  Spec dev;
  dev.payload = {{"dev/null", "", '3'}};
  dev.paths = nlohmann::json{{"paths", nlohmann::json::array()}};
  check_refused(dev, "device");
  Spec link;
  link.payload = {{"lib/x", "", '2', 0777, "../../../../etc/shadow"}};
  check_refused(link, "lib/x");
  Spec abslink;
  abslink.payload = {{"lib/x", "", '2', 0777, "/etc/shadow"}};
  check_refused(abslink, "lib/x");
  // Through a link of the same package: `up -> ..`, then `esc -> up/..` looks like it stays inside.
  Spec chain;
  chain.payload = {{"a/up", "", '2', 0777, ".."}, {"a/esc", "", '2', 0777, "up/../x"}};
  check_refused(chain, "a/esc");
  Spec badpath;
  badpath.payload = {{"a", "x"}};
  badpath.paths = nlohmann::json{{"paths", {{{"_path", "../a"}, {"path_type", "hardlink"}}}}};
  check_refused(badpath, "../a");
}

TEST_CASE("hostile: paths.json and the archive must agree") {
  Spec larger;
  larger.payload = {{"lib/a", "0123456789"}};
  larger.path_extra["lib/a"] = {{"size_in_bytes", 3}};
  check_refused(larger, "lib/a");
  Spec missing;
  missing.payload = {{"lib/a", "a"}};
  missing.paths = nlohmann::json{{"paths",
                                  {{{"_path", "lib/a"}, {"path_type", "hardlink"}, {"sha256", sha256("a")}},
                                   {{"_path", "lib/gone"}, {"path_type", "hardlink"}}}}};
  check_refused(missing, "lib/gone");
  Spec unlisted;
  unlisted.payload = {{"lib/a", "a"}, {"lib/stowaway", "s"}};
  unlisted.paths =
      nlohmann::json{{"paths", {{{"_path", "lib/a"}, {"path_type", "hardlink"}, {"sha256", sha256("a")}}}}};
  check_refused(unlisted, "lib/stowaway");
  Spec changed;
  changed.payload = {{"lib/a", "evil"}};
  changed.path_extra["lib/a"] = {{"sha256", sha256("good")}, {"size_in_bytes", 4}};
  check_refused(changed, "lib/a");
  Spec twice;
  twice.payload = {{"lib/a", "a"}, {"lib/a", "a"}};
  twice.paths = nlohmann::json{{"paths", {{{"_path", "lib/a"}, {"path_type", "hardlink"}, {"sha256", sha256("a")}}}}};
  check_refused(twice, "twice");
  Spec kind;
  kind.payload = {{"lib/a", "a"}};
  kind.path_extra["lib/a"] = {{"path_type", "softlink"}};
  check_refused(kind, "lib/a");
  Spec wrong_name;
  wrong_name.payload = {{"a", "b"}};
  auto bytes = make_conda(wrong_name);
  Spec claimed = wrong_name;
  claimed.name = "other";
  check_refused(claimed, "name", bytes);
}

TEST_CASE("hostile: a zip with more than CEP 35's members (a zip inside, a second payload) is refused") {
  Spec nested;
  nested.payload = {{"a", "b"}};
  nested.extra_zip_members = {{"inner.zip", zip_test::build_zip({{"x", std::string(1 << 20, 'x')}}), 0}};
  check_refused(nested, "inner.zip");
  Spec second;
  second.payload = {{"a", "b"}};
  second.extra_zip_members = {{"pkg-other.tar.zst", zstd(tar_of({{"b", "c"}})), 0}};
  check_refused(second, "pkg-other.tar.zst");
}

TEST_CASE("clobbering: two packages installing one path are named, both") {
  auto dir = temp_dir();
  Spec a, b;
  a.name = "pkg-a";
  b.name = "pkg-b";
  a.payload = {{"share/same.txt", "a"}, {"share/a.txt", "a"}};
  b.payload = {{"share/same.txt", "b"}};
  auto ma = write_package(dir.path(), a);
  auto mb = write_package(dir.path(), b);
  auto ia = condapkg::install_package(ma.file, ma.ref, prefix311());
  auto ib = condapkg::install_package(mb.file, mb.ref, prefix311());
  REQUIRE(ia);
  REQUIRE(ib);
  std::vector<condapkg::Installed> both{*ia, *ib};
  auto r = condapkg::check_environment(both, prefix311());
  REQUIRE(!r);
  CHECK(r.error().message.find("pkg-a-1.0-h0_0") != std::string::npos);
  CHECK(r.error().message.find("pkg-b-1.0-h0_0") != std::string::npos);
  CHECK(r.error().message.find("share/same.txt") != std::string::npos);
  // A file where another package needs a directory.
  Spec c;
  c.name = "pkg-c";
  c.payload = {{"share/a.txt/inner", "c"}};
  auto mc = write_package(dir.path(), c);
  auto ic = condapkg::install_package(mc.file, mc.ref, prefix311());
  REQUIRE(ic);
  std::vector<condapkg::Installed> nested{*ia, *ic};
  auto n = condapkg::check_environment(nested, prefix311());
  REQUIRE(!n);
  CHECK(n.error().message.find("pkg-c") != std::string::npos);
  // Apart, each is fine.
  std::vector<condapkg::Installed> one{*ia};
  CHECK(condapkg::check_environment(one, prefix311()));
}

TEST_CASE("history: one revision adding every package, without the clock") {
  std::vector<condapkg::PackageRef> refs(2);
  refs[0].name = "zlib", refs[0].version = "1.3", refs[0].build = "h0_0", refs[0].channel = "https://c.test/forge";
  refs[1].name = "abc", refs[1].version = "2", refs[1].build = "0", refs[1].channel = "https://c.test/forge";
  std::vector<std::string> specs{"zlib >=1.2"};
  auto e = condapkg::history_entry(refs, specs, prefix311());
  CHECK(e.path == "opt/conda/conda-meta/history");
  CHECK(e.data ==
        "==> 1970-01-01 00:00:00 <==\n# cmd: mlpack build\n# update specs: [\"zlib >=1.2\"]\n"
        "+https://c.test/forge::abc-2-0\n+https://c.test/forge::zlib-1.3-h0_0\n");
}

TEST_CASE("install: a stream budget bounds open payloads; a closed one reopens where it is needed") {
  auto dir = temp_dir();
  Spec a, b;
  a.name = "pkg-a";
  b.name = "pkg-b";
  std::string a1(100000, '1'), a2(100000, '2'), b1(100000, '3'), b2(100000, '4');
  a.payload = {{"lib/a1", a1}, {"share/a2", a2}};
  b.payload = {{"lib/b1", b1}, {"share/b2", b2}};
  auto ma = write_package(dir.path(), a);
  auto mb = write_package(dir.path(), b);
  condapkg::InstallOptions options;
  options.streams = condapkg::make_stream_budget(1);
  auto ia = condapkg::install_package(ma.file, ma.ref, prefix311(), options);
  auto ib = condapkg::install_package(mb.file, mb.ref, prefix311(), options);
  REQUIRE(ia);
  REQUIRE(ib);
  // In layer order the two packages alternate: lib/a1, lib/b1, share/a2, share/b2.
  auto entries = condapkg::layer_entries({*ia, *ib});
  std::map<std::string, std::string> got;
  for (const auto& e : entries)
    if (e.open) got[e.path] = content_of(e);
  CHECK(got == std::map<std::string, std::string>{{"opt/conda/lib/a1", a1},
                                                  {"opt/conda/lib/b1", b1},
                                                  {"opt/conda/share/a2", a2},
                                                  {"opt/conda/share/b2", b2}});
}

TEST_CASE("install: past max_inline bytes of small files, the rest stream too") {
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"a", "first file"}, {"b", "second file"}, {"c", "third file"}};
  auto made = write_package(dir.path(), s);
  condapkg::InstallOptions options;
  options.max_inline = 12;  // room for "first file" only
  auto r = condapkg::install_package(made.file, made.ref, prefix311(), options);
  REQUIRE(r);
  CHECK(find(r->entries, "opt/conda/a")->data == "first file");
  auto* b = find(r->entries, "opt/conda/b");
  CHECK(b->data.empty());
  CHECK(b->open);
  CHECK(content_of(*b) == "second file");
  CHECK(content_of(*find(r->entries, "opt/conda/c")) == "third file");
}

TEST_CASE("install: a path that is not UTF-8 does not break conda-meta") {
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"share/caf\xe9.txt", "x"}};
  auto made = write_package(dir.path(), s, make_conda([&] {
                              Spec t = s;
                              t.paths = nlohmann::json{{"paths", nlohmann::json::array()}};
                              return t;
                            }()));
  // paths.json cannot hold the name (JSON is UTF-8): the member is not listed, and refused.
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE(!r);
  CHECK(r.error().message.find("not in info/paths.json") != std::string::npos);
  // Without paths.json (a sparse package), it installs and conda-meta still serialises.
  Spec sparse = s;
  std::vector<TarMember> info = {{"info/index.json", index_json(sparse)}};
  std::vector<zip_test::RawMember> members = {{"metadata.json", R"({"conda_pkg_format_version": 2})", 0},
                                              {"info-" + stem(sparse) + ".tar.zst", zstd(tar_of(info)), 0},
                                              {"pkg-" + stem(sparse) + ".tar.zst", zstd(tar_of(sparse.payload)), 0}};
  auto made2 = write_package(dir.path(), sparse, zip_test::build_zip(members));
  auto r2 = condapkg::install_package(made2.file, made2.ref, prefix311());
  REQUIRE_MESSAGE(r2, (r2 ? "" : r2.error().message));
  CHECK(find(r2->entries, "opt/conda/conda-meta/demo-1.0-h0_0.json"));
}

TEST_CASE("hostile: a payload that inflates past the unpack limits is refused, and the limits can be raised") {
  auto dir = temp_dir();
  Spec s;
  s.payload = {{"share/zeros.bin", std::string(8 << 20, '\0')}};  // zstd makes a few hundred bytes of it
  auto made = write_package(dir.path(), s);
  auto r = condapkg::install_package(made.file, made.ref, prefix311());
  REQUIRE(!r);
  CHECK(r.error().message.find(made.ref.filename) != std::string::npos);
  condapkg::InstallOptions raised;
  raised.unpack.max_ratio = 1'000'000;
  auto ok = condapkg::install_package(made.file, made.ref, prefix311(), raised);
  CHECK(ok);
  condapkg::InstallOptions small;
  small.unpack.max_ratio = 1'000'000;
  small.unpack.max_total = 1 << 20;
  CHECK_FALSE(condapkg::install_package(made.file, made.ref, prefix311(), small));
}
