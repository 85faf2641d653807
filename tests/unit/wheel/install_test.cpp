// install_wheel on the pip test wheels and on wheels written here, good and bad.
#include "wheel_test_util.hpp"

using namespace wheel_test;
using mlpack::util::ErrorKind;
using mlpack::wheel::InstallOptions;
using mlpack::wheel::Requested;
using mlpack::wheel::VenvLayout;

namespace {

const std::string sp = "opt/venv/lib/python3.11/site-packages/";

util::Result<wheel::Distribution> install(const fs::path& w, InstallOptions options = {}) {
  return wheel::install_wheel(w, sha256_of_file(w), VenvLayout{}, options);
}

wheel::Distribution must_install(const fs::path& w, InstallOptions options = {}) {
  auto d = install(w, options);
  if (!d) FAIL(d.error().message);
  return std::move(*d);
}

std::string error_of(const util::Result<wheel::Distribution>& r) {
  REQUIRE_FALSE(r);
  return r.error().message;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("simplewheel: files to site-packages, INSTALLER, REQUESTED and a new RECORD") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "simplewheel-1.0-py2.py3-none-any.whl", {.requested = Requested::yes});
  CHECK(d.name == "simplewheel");
  CHECK(d.version == "1.0");
  std::vector<std::string> paths;
  for (const auto& e : d.entries) paths.push_back(e.path);
  CHECK(std::is_sorted(paths.begin(), paths.end()));
  CHECK(paths == std::vector<std::string>{
                     sp + "simplewheel-1.0.dist-info/DESCRIPTION.rst", sp + "simplewheel-1.0.dist-info/INSTALLER",
                     sp + "simplewheel-1.0.dist-info/METADATA", sp + "simplewheel-1.0.dist-info/RECORD",
                     sp + "simplewheel-1.0.dist-info/REQUESTED", sp + "simplewheel-1.0.dist-info/WHEEL",
                     sp + "simplewheel-1.0.dist-info/metadata.json", sp + "simplewheel-1.0.dist-info/top_level.txt",
                     sp + "simplewheel/__init__.py"});
  auto* init = find(d.entries, sp + "simplewheel/__init__.py");
  REQUIRE(init);
  CHECK(init->mode == 0644);
  CHECK_FALSE(init->open);  // small: written from the bytes verified here
  CHECK(content_of(*init).find("__version__") != std::string::npos);
  CHECK(content_of(*find(d.entries, sp + "simplewheel-1.0.dist-info/INSTALLER")) == "mlpack\n");
  CHECK(content_of(*find(d.entries, sp + "simplewheel-1.0.dist-info/REQUESTED")).empty());

  // The RECORD lists every installed file with its hash and size, itself without.
  auto record = wheel::detail::parse_record(find(d.entries, sp + "simplewheel-1.0.dist-info/RECORD")->data);
  REQUIRE(record);
  REQUIRE(record->size() == d.entries.size());
  for (const auto& row : *record) {
    auto* e = find(d.entries, sp + row.path);
    REQUIRE_MESSAGE(e, row.path);
    if (row.path.ends_with("/RECORD")) {
      CHECK(row.hash.empty());
      CHECK(row.size.empty());
      continue;
    }
    auto content = content_of(*e);
    CHECK(row.hash == hash_of(content));
    CHECK(row.size == std::to_string(content.size()));
  }

  auto not_requested = must_install(*pkgs / "simplewheel-1.0-py2.py3-none-any.whl");
  CHECK_FALSE(find(not_requested.entries, sp + "simplewheel-1.0.dist-info/REQUESTED"));
}

TEST_CASE("has.script: .data/scripts go to bin/ as 0755, listed in RECORD from site-packages") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "has.script-1.0-py2.py3-none-any.whl");
  auto* script = find(d.entries, "opt/venv/bin/script.py");
  REQUIRE(script);
  CHECK(script->mode == 0755);
  CHECK(content_of(*script) == "#script\n");  // not a #!python shebang: left alone
  auto* record = find(d.entries, sp + "has.script-1.0.dist-info/RECORD");
  REQUIRE(record);
  CHECK(has(record->data, "../../../bin/script.py," + hash_of("#script\n") + ",8\n"));
}

TEST_CASE("script.wheel1: #!python rewritten, console_scripts launcher generated") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "script.wheel1-0.1-py2.py3-none-any.whl");
  auto* script = find(d.entries, "opt/venv/bin/t1-script.py");
  REQUIRE(script);
  CHECK(script->data.starts_with("#!/opt/venv/bin/python\n# EASY-INSTALL-ENTRY-SCRIPT"));
  CHECK(script->mode == 0755);
  auto* exe = find(d.entries, "opt/venv/bin/t1.exe");
  REQUIRE(exe);
  CHECK(exe->mode == 0755);
  auto* t1 = find(d.entries, "opt/venv/bin/t1");
  REQUIRE(t1);
  CHECK(t1->mode == 0755);
  CHECK(t1->data.starts_with("#!/opt/venv/bin/python\n"));
  CHECK(has(t1->data, "from test import main\n"));
  CHECK(has(t1->data, "sys.exit(main())"));
  auto record = find(d.entries, sp + "script.wheel1-0.1.dist-info/RECORD")->data;
  CHECK(has(record, "../../../bin/t1," + hash_of(t1->data) + "," + std::to_string(t1->data.size()) + "\n"));
  CHECK(has(record, "../../../bin/t1-script.py," + hash_of(script->data) + ","));
  CHECK(find(d.entries, sp + "test.py"));
}

TEST_CASE("console_scripts_uppercase: the command keeps its case") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "console_scripts_uppercase-1.0-py2.py3-none-any.whl");
  auto* cmd = find(d.entries, "opt/venv/bin/cmdName");
  REQUIRE(cmd);
  CHECK(has(cmd->data, "from cmdmod import cmd\n"));
}

TEST_CASE("prjwithdatafile: .data/data goes to the prefix") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "prjwithdatafile-1.0-py2.py3-none-any.whl");
  CHECK(find(d.entries, "opt/venv/packages1/README.txt"));
  CHECK(find(d.entries, "opt/venv/packages2/README.txt"));
  CHECK(find(d.entries, sp + "prjwithdatafile/somemodule.py"));
  CHECK(has(find(d.entries, sp + "prjwithdatafile-1.0.dist-info/RECORD")->data, "../../../packages1/README.txt,"));
}

TEST_CASE("simple_namespace: its .pth goes to site-packages") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "simple_namespace-1.0-py2.py3-none-any.whl");
  auto* pth = find(d.entries, sp + "simple_namespace-1.0-py3.7-nspkg.pth");
  REQUIRE(pth);
  CHECK(pth->mode == 0644);  // 0600 in the zip: modes come from the owner's execute bit only
}

TEST_CASE("mypy: a real wheel with 1,500 files installs and streams") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto d = must_install(*pkgs / "mypy-0.782-py3-none-any.whl");
  CHECK(d.entries.size() > 1500);
  CHECK(find(d.entries, "opt/venv/bin/mypy"));
  CHECK(find(d.entries, "opt/venv/bin/dmypy"));
  CHECK(find(d.entries, sp + "mypy/__main__.py"));
  CHECK(find(d.entries, sp + "mypy/typeshed/stdlib/2and3/builtins.pyi"));
  CHECK(find(d.entries, sp + "mypy-0.782.dist-info/RECORD"));
  // Files up to 16 KiB keep the content verified here; larger ones stream from the wheel when
  // the layer is written, and read back the same.
  std::size_t streamed = 0;
  for (const auto& e : d.entries) {
    if (!e.open) continue;
    ++streamed;
    CHECK(e.size > 16 * 1024);
    CHECK(content_of(e).size() == e.size);
  }
  CHECK(streamed > 50);
  CHECK(streamed < 200);
  // Same wheel, same entries: deterministic.
  auto again = must_install(*pkgs / "mypy-0.782-py3-none-any.whl");
  REQUIRE(again.entries.size() == d.entries.size());
  for (std::size_t i = 0; i < d.entries.size(); ++i) {
    CHECK(again.entries[i].path == d.entries[i].path);
    CHECK(again.entries[i].mode == d.entries[i].mode);
    CHECK(again.entries[i].data == d.entries[i].data);
  }
}

TEST_CASE("corrupt and mismatched wheels from the corpus are refused, naming the wheel") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto corrupt = error_of(install(*pkgs / "corruptwheel-1.0-py2.py3-none-any.whl"));
  CHECK(has(corrupt, "`corruptwheel-1.0-py2.py3-none-any.whl`"));
  CHECK(has(corrupt, "not a zip file"));

  // license.dist 0.1: METADATA does not match its RECORD hash (and RECORD.jws is unlisted, as
  // signatures are).
  auto license = install(*pkgs / "license.dist-0.1-py2.py3-none-any.whl");
  REQUIRE_FALSE(license);
  CHECK(license.error().kind == ErrorKind::integrity);
  CHECK(has(license.error().message, "`license.dist-0.1-py2.py3-none-any.whl`"));
  CHECK(has(license.error().message, "`license.dist-0.1.dist-info/METADATA` does not match its RECORD hash"));
}

TEST_CASE("the whole file must match the lock's sha256 first") {
  auto dir = temp_dir();
  auto w = build_wheel(dir.path(), {.members = {{"demo/__init__.py", "x = 1\n"}}});
  auto r = wheel::install_wheel(w.path, util::Digest::sha256_of("something else"), VenvLayout{});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK(has(r.error().message, "`demo-1.0-py3-none-any.whl`"));
  CHECK(has(r.error().message, "the lock says"));
  CHECK(wheel::install_wheel(w.path, w.sha256, VenvLayout{}));
}

TEST_CASE("generated wheels: a good one, with every .data scheme and an executable") {
  auto dir = temp_dir();
  WheelSpec spec;
  spec.members = {
      {"demo/__init__.py", "x = 1\n"},
      {"demo/bin/tool", "\x7f" "ELF", 0755},
      {"demo/link.py", "__init__.py", 0777, true},
      {"demo-1.0.data/purelib/demo_pure.py", "p = 1\n"},
      {"demo-1.0.data/platlib/demo_plat.py", "q = 1\n"},
      {"demo-1.0.data/scripts/run", "#!python -u\nprint('run')\n"},
      {"demo-1.0.data/headers/demo.h", "int demo;\n"},
      {"demo-1.0.data/data/share/demo/x.txt", "data\n"},
  };
  spec.entry_points = "[console_scripts]\ndemo = demo.cli:main\n[gui_scripts]\ndemo-gui = demo:gui\n[other]\nx = y\n";
  auto w = build_wheel(dir.path(), spec);
  auto d = wheel::install_wheel(w.path, w.sha256, VenvLayout{});
  if (!d) FAIL(d.error().message);
  CHECK(find(d->entries, sp + "demo/bin/tool")->mode == 0755);
  CHECK(find(d->entries, sp + "demo/__init__.py")->mode == 0644);
  auto* link = find(d->entries, sp + "demo/link.py");
  REQUIRE(link);
  CHECK(link->type == archive::EntryType::symlink);
  CHECK(link->link_target == "__init__.py");
  CHECK(find(d->entries, sp + "demo_pure.py"));
  CHECK(find(d->entries, sp + "demo_plat.py"));
  CHECK(find(d->entries, "opt/venv/bin/run")->data == "#!/opt/venv/bin/python -u\nprint('run')\n");
  CHECK(find(d->entries, "opt/venv/include/site/python3.11/demo/demo.h"));
  CHECK(find(d->entries, "opt/venv/share/demo/x.txt"));
  CHECK(find(d->entries, "opt/venv/bin/demo"));
  CHECK(find(d->entries, "opt/venv/bin/demo-gui"));
  CHECK_FALSE(find(d->entries, "opt/venv/bin/x"));
  auto record = find(d->entries, sp + "demo-1.0.dist-info/RECORD")->data;
  CHECK(has(record, "../../../include/site/python3.11/demo/demo.h,"));
  CHECK(has(record, "demo/link.py,,\n"));
}

TEST_CASE("generated wheels: unsafe, broken and unsupported ones are refused") {
  auto dir = temp_dir();
  auto refused = [&](WheelSpec spec, ErrorKind kind, const std::string& part) {
    auto w = build_wheel(dir.path(), spec);
    auto r = wheel::install_wheel(w.path, w.sha256, VenvLayout{});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == kind);
    CHECK_MESSAGE(has(r.error().message, part), r.error().message);
    CHECK(has(r.error().message, "`demo-1.0-py3-none-any.whl`"));
  };
  SUBCASE("a `..` path") {
    refused({.members = {{"demo/../../../../etc/passwd", "root::0:0\n"}}}, ErrorKind::integrity, "unsafe path");
  }
  SUBCASE("an absolute path") {
    refused({.members = {{"/etc/passwd", "root::0:0\n"}}}, ErrorKind::integrity, "unsafe path");
  }
  SUBCASE("a symlink out of the venv") {
    refused({.members = {{"demo/evil", "../../../../../../etc/shadow", 0777, true}}}, ErrorKind::integrity,
            "outside /opt/venv");
  }
  SUBCASE("an absolute symlink") {
    refused({.members = {{"demo/evil", "/etc/shadow", 0777, true}}}, ErrorKind::integrity,
            "outside /opt/venv");
  }
  SUBCASE("a chain of symlinks that each look inside the venv (issue 15)") {
    // site-packages/demo/up -> ../../.. is opt/venv/lib; esc -> up/../../../.. looks like
    // site-packages/demo/up/../../../.. = opt/venv/lib, but through the link it is `/`.
    refused({.members = {{"demo/up", "../../..", 0777, true}, {"demo/esc", "up/../../../..", 0777, true}}},
            ErrorKind::integrity, "symlink `opt/venv/lib/python3.11/site-packages/demo/esc` points to `up/../../../..`");
  }
  SUBCASE("a symlink through the skeleton's lib64") {
    refused({.members = {{"demo/l", "../../../../lib64/../..", 0777, true}}}, ErrorKind::integrity, "`opt/venv/lib64`");
  }
  SUBCASE("METADATA naming another distribution (issue 15)") {
    WheelSpec spec{.members = {{"demo/__init__.py", "x = 1\n"}}};
    spec.metadata_name = "requests";
    refused(spec, ErrorKind::integrity, "its METADATA says it is `requests 1.0`, but its file name says `demo 1.0`");
  }
  SUBCASE("METADATA with another version") {
    WheelSpec spec{.members = {{"demo/__init__.py", "x = 1\n"}}};
    spec.metadata_version = "2.0";
    refused(spec, ErrorKind::integrity, "its METADATA says it is `demo 2.0`, but its file name says `demo 1.0`");
  }
  SUBCASE("a RECORD hash mismatch") {
    refused({.members = {{"demo/__init__.py", "x = 1\n"}},
             .record_hash_override = {{"demo/__init__.py", hash_of("x = 2\n")}}},
            ErrorKind::integrity, "`demo/__init__.py` does not match its RECORD hash");
  }
  SUBCASE("a file missing from RECORD") {
    refused({.members = {{"demo/__init__.py", "x = 1\n"}}, .record_omit = {"demo/__init__.py"}}, ErrorKind::integrity,
            "`demo/__init__.py` is not listed in RECORD");
  }
  SUBCASE("a RECORD row without a hash") {
    refused({.members = {{"demo/__init__.py", "x = 1\n"}}, .record_hash_override = {{"demo/__init__.py", ""}}},
            ErrorKind::integrity, "no hash");
  }
  SUBCASE("a md5 RECORD hash") {
    refused({.members = {{"demo/__init__.py", "x = 1\n"}}, .record_hash_override = {{"demo/__init__.py", "md5=abc"}}},
            ErrorKind::integrity, "`md5`");
  }
  SUBCASE("Wheel-Version 2.0") {
    refused({.wheel_version = "2.0", .members = {{"demo/__init__.py", "x = 1\n"}}}, ErrorKind::unsupported,
            "Wheel-Version 2.0");
  }
  SUBCASE("an unknown .data scheme") {
    refused({.members = {{"demo-1.0.data/config/x", "x\n"}}}, ErrorKind::unsupported, "`config` is not a .data scheme");
  }
  SUBCASE("a path installed twice") {
    refused({.members = {{"demo.py", "a\n"}, {"demo-1.0.data/purelib/demo.py", "b\n"}}}, ErrorKind::integrity,
            "installs `/opt/venv/lib/python3.11/site-packages/demo.py` twice");
  }
  SUBCASE("a launcher whose name climbs out of bin/") {
    refused({.members = {{"demo/__init__.py", ""}}, .entry_points = "[console_scripts]\n../../evil = demo:main\n"},
            ErrorKind::integrity, "not a safe command name");
  }
  SUBCASE("a .dist-info that does not match the filename") {
    WheelSpec spec{.members = {{"demo/__init__.py", ""}}};
    auto w = build_wheel(dir.path(), spec);
    fs::path renamed = dir.path() / "other-1.0-py3-none-any.whl";
    fs::rename(w.path, renamed);
    auto r = wheel::install_wheel(renamed, w.sha256, VenvLayout{});
    REQUIRE_FALSE(r);
    CHECK(has(r.error().message, "does not match the filename"));
  }
}

TEST_CASE("a truncated or damaged zip is refused") {
  auto dir = temp_dir();
  auto w = build_wheel(dir.path(), {.members = {{"demo/__init__.py", std::string(5000, 'x')}}});
  auto bytes = util::read_file(w.path);
  REQUIRE(bytes);
  SUBCASE("truncated") {
    REQUIRE(util::write_file_atomic(w.path, bytes->substr(0, bytes->size() / 2)));
  }
  SUBCASE("a flipped byte in a member's compressed data") {
    std::string b = *bytes;
    // Past the first local header (30 bytes, the name, the extra field) into the deflate stream.
    auto u16 = [&](std::size_t at) { return static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8; };
    std::size_t data = 30 + u16(26) + u16(28);
    b[data + 2] = static_cast<char>(b[data + 2] ^ 0x55);
    REQUIRE(util::write_file_atomic(w.path, b));
  }
  auto r = wheel::install_wheel(w.path, sha256_of_file(w.path), VenvLayout{});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK(has(r.error().message, "`demo-1.0-py3-none-any.whl`"));
}

TEST_CASE("a large file that does not match RECORD fails the layer, naming the wheel and the member") {
  auto dir = temp_dir();
  std::string big = "x = 1\n" + std::string(40000, '#');
  std::string other = big;
  other[4] = '2';
  auto w = build_wheel(dir.path(), {.members = {{"demo/__init__.py", "\n"}, {"demo/big.py", big}},
                                    .record_hash_override = {{"demo/big.py", hash_of(other)}}});
  // Read once, when the layer is written: install_wheel itself accepts it.
  auto d = wheel::install_wheel(w.path, w.sha256, VenvLayout{});
  REQUIRE_MESSAGE(d, d.error().message);
  auto* e = find(d->entries, sp + "demo/big.py");
  REQUIRE(e);
  CHECK(e->open);
  // The new RECORD carries RECORD's hash; the layer fails before anything can be kept.
  CHECK(has(find(d->entries, sp + "demo-1.0.dist-info/RECORD")->data, "demo/big.py," + hash_of(other) + ","));
  std::vector<wheel::Distribution> dists;
  dists.push_back(std::move(*d));
  auto entries = wheel::layer_entries(std::move(dists));
  REQUIRE(entries);
  util::StringWriter out;
  auto r = archive::write_layer(std::move(*entries), {.compression = archive::Compression::none}, out);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(has(r.error().message, "`demo-1.0-py3-none-any.whl`"), r.error().message);
  CHECK_MESSAGE(has(r.error().message, "`demo/big.py`, checked against its RECORD hash"), r.error().message);
  CHECK_MESSAGE(has(r.error().message, "sha256"), r.error().message);

  SUBCASE("a RECORD hash that is no sha256 is refused at once") {
    auto bad = build_wheel(dir.path(), {.members = {{"demo/big.py", big}},
                                        .record_hash_override = {{"demo/big.py", "sha256=abc"}}});
    auto r2 = wheel::install_wheel(bad.path, bad.sha256, VenvLayout{});
    REQUIRE_FALSE(r2);
    CHECK(has(r2.error().message, "`demo/big.py` does not match its RECORD hash (RECORD sha256=abc is not"));
  }
  SUBCASE("a RECORD size that is not the member's is refused at once") {
    auto w3 = build_wheel(dir.path(), {.members = {{"demo/big.py", big}}});
    // Same content, RECORD's size off by one: rebuild RECORD by hand.
    WheelSpec spec{.members = {{"demo/big.py", big}}};
    auto members = wheel_members(spec);
    auto& record = members.back().content;
    auto at = record.find("," + std::to_string(big.size()) + "\n");
    REQUIRE(at != std::string::npos);
    record.replace(at, std::to_string(big.size()).size() + 2, "," + std::to_string(big.size() + 1) + "\n");
    write_zip(w3.path, members);
    auto r3 = wheel::install_wheel(w3.path, sha256_of_file(w3.path), VenvLayout{});
    REQUIRE_FALSE(r3);
    CHECK(has(r3.error().message, "RECORD says"));
  }
}

TEST_CASE("a wheel changed on disk after install_wheel fails when its member is streamed") {
  auto dir = temp_dir();
  // Over 16 KiB, so it streams from the wheel rather than being kept in memory.
  WheelSpec spec{.members = {{"demo/__init__.py", "x = 1\n" + std::string(20000, '#')}}};
  auto w = build_wheel(dir.path(), spec);
  auto d = wheel::install_wheel(w.path, w.sha256, VenvLayout{});
  REQUIRE(d);
  spec.members[0].content[4] = '2';  // same size, other bytes
  write_zip(w.path, wheel_members(spec));
  auto* init = find(d->entries, sp + "demo/__init__.py");
  REQUIRE(init);
  auto reader = init->open();
  REQUIRE(reader);
  auto all = util::read_all(**reader, 1 << 20);
  REQUIRE_FALSE(all);
  CHECK(all.error().kind == ErrorKind::integrity);
}

TEST_CASE("install_wheel: the wheel must be what the lock says it is (issue 15)") {
  auto dir = temp_dir();
  auto w = build_wheel(dir.path(), {.name = "demo", .version = "1.0", .members = {{"demo/__init__.py", "x = 1\n"}}});
  auto with = [&](std::string name, std::string version) {
    wheel::InstallOptions o;
    o.name = std::move(name);
    o.version = std::move(version);
    return wheel::install_wheel(w.path, w.sha256, VenvLayout{}, o);
  };
  // Names compare PEP 503-normalised, versions PEP 440-normalised.
  CHECK(with("Demo", "1.0.0").has_value());
  CHECK(with("", "").has_value());
  auto other = with("requests", "1.0");
  REQUIRE_FALSE(other);
  CHECK(other.error().kind == ErrorKind::integrity);
  CHECK(other.error().message ==
        "installing `demo-1.0-py3-none-any.whl`: it is `demo 1.0`, but the lock has `requests 1.0` there");
  auto version = with("demo", "2.0");
  REQUIRE_FALSE(version);
  CHECK(has(version.error().message, "but the lock has `demo 2.0` there"));
}

TEST_CASE("parse_metadata_identity: the first Name and Version of the headers, not the body") {
  auto id = wheel::detail::parse_metadata_identity(
      "Metadata-Version: 2.1\r\nname:  Demo-Pkg \r\nSummary: x\n  Version: 9\nVersion: 1.0\nName: other\n\nVersion: 2\n");
  CHECK(id.name == "Demo-Pkg");
  CHECK(id.version == "1.0");
  CHECK(wheel::detail::parse_metadata_identity("Name: a\n\nVersion: 1\n").version.empty());
}

TEST_CASE("a wheel that would unpack past the limits is refused before anything is read, naming the wheel") {
  auto d = temp_dir();
  // 4 MiB of zeros deflate to 4 KB (over 1000:1): the 2 MB wheel that became a 2 GiB file, scaled down.
  WheelSpec spec;
  spec.name = "bomb";
  spec.members = {{"bomb/__init__.py", ""}, {"bomb/zeros.bin", std::string(4 << 20, '\0')}};
  auto w = build_wheel(d.path(), spec);
  auto r = wheel::install_wheel(w.path, w.sha256, VenvLayout{});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(r.error().message.find("bomb-1.0-py3-none-any.whl") != std::string::npos, r.error().message);
  CHECK(r.error().message.find("`bomb/zeros.bin` would unpack to 4194304 bytes") != std::string::npos);
  CHECK(r.error().message.find("more than 1000 times") != std::string::npos);

  InstallOptions raised;
  raised.unpack.max_ratio = 100000;
  CHECK(wheel::install_wheel(w.path, w.sha256, VenvLayout{}, raised));

  // Real data passes the defaults; a lower limit names how to raise it.
  WheelSpec real;
  real.name = "real";
  std::string text;
  for (std::uint64_t i = 0; text.size() < (4u << 20); ++i) text += "row " + std::to_string(i * 7919 % 100003) + "\n";
  real.members = {{"real/__init__.py", ""}, {"real/data.txt", text}};
  auto rw = build_wheel(d.path(), real);
  REQUIRE(wheel::install_wheel(rw.path, rw.sha256, VenvLayout{}));
  InstallOptions strict;
  strict.unpack.max_ratio = 2;
  strict.unpack.raise_hint = "raise it with `unpack_max_ratio`";
  auto ratio = wheel::install_wheel(rw.path, rw.sha256, VenvLayout{}, strict);
  REQUIRE_FALSE(ratio);
  CHECK(ratio.error().message.ends_with("raise it with `unpack_max_ratio`"));

  InstallOptions total;
  total.unpack.max_total = 1 << 20;
  auto big = wheel::install_wheel(rw.path, rw.sha256, VenvLayout{}, total);
  REQUIRE_FALSE(big);
  CHECK(big.error().message.find("would unpack to more than 1.0 MiB") != std::string::npos);
}
