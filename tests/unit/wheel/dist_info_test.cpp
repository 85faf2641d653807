// The .dist-info formats: WHEEL, RECORD, entry_points.txt, launchers and shebangs.
#include "wheel_test_util.hpp"

using namespace mlpack::wheel::detail;
using mlpack::util::ErrorKind;

TEST_CASE("RECORD hashes are urlsafe base64 without padding") {
  CHECK(base64url_nopad("") == "");
  CHECK(base64url_nopad("f") == "Zg");
  CHECK(base64url_nopad("fo") == "Zm8");
  CHECK(base64url_nopad("foo") == "Zm9v");
  CHECK(base64url_nopad("\xfb\xff") == "-_8");
  // The empty file, as every RECORD writes it.
  CHECK(record_hash(mlpack::util::Digest::sha256_of("")) == "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

TEST_CASE("a RECORD hash reads back as the sha256 it names, and nothing else does") {
  for (std::string content : {"", "x = 1\n", "\xff\xfe"}) {
    auto d = mlpack::util::Digest::sha256_of(content);
    auto back = sha256_from_base64url(record_hash(d).substr(7));
    REQUIRE(back);
    CHECK(*back == d);
  }
  const std::string empty = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
  CHECK(sha256_from_base64url(empty));
  CHECK_FALSE(sha256_from_base64url(""));
  CHECK_FALSE(sha256_from_base64url(empty.substr(1)));            // too short
  CHECK_FALSE(sha256_from_base64url(empty + "A"));                // too long
  CHECK_FALSE(sha256_from_base64url(empty.substr(0, 42) + "="));  // padding is stripped before
  CHECK_FALSE(sha256_from_base64url(empty.substr(0, 10) + "+" + empty.substr(11)));  // standard alphabet
  CHECK_FALSE(sha256_from_base64url(empty.substr(0, 42) + "V"));  // "U" with its unused low bits set
}

TEST_CASE("RECORD is read and written as Python's csv module does") {
  auto rows = parse_record("a.py,sha256=x,3\r\n\"we,ird\"\"name\",,\n\nlast,sha256=y,1");
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0] == RecordRow{"a.py", "sha256=x", "3"});
  CHECK((*rows)[1] == RecordRow{"we,ird\"name", "", ""});
  CHECK((*rows)[2] == RecordRow{"last", "sha256=y", "1"});
  CHECK(write_record(*rows) == "a.py,sha256=x,3\n\"we,ird\"\"name\",,\nlast,sha256=y,1\n");
  auto again = parse_record(write_record(*rows));
  REQUIRE(again);
  CHECK(*again == *rows);
  CHECK_FALSE(parse_record("\"open,,\n"));
  CHECK_FALSE(parse_record("a,b,c,d\n"));
  auto short_row = parse_record("only\n");
  REQUIRE(short_row);
  CHECK((*short_row)[0] == RecordRow{"only", "", ""});
}

TEST_CASE("WHEEL gives the version and Root-Is-Purelib") {
  auto w = parse_wheel_info("Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: false\nTag: py3-none-any\n");
  REQUIRE(w);
  CHECK(w->major == 1);
  CHECK(w->minor == 0);
  CHECK_FALSE(w->root_is_purelib);
  auto two = parse_wheel_info("Wheel-Version: 2.1\r\nRoot-Is-Purelib: True\r\n");
  REQUIRE(two);
  CHECK(two->major == 2);
  CHECK(two->root_is_purelib);
  CHECK_FALSE(parse_wheel_info("Root-Is-Purelib: true\n"));
  CHECK_FALSE(parse_wheel_info("Wheel-Version: one\nRoot-Is-Purelib: true\n"));
  CHECK_FALSE(parse_wheel_info("Wheel-Version: 1.0\n"));
  CHECK_FALSE(parse_wheel_info("Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n"));
}

TEST_CASE("entry_points.txt: groups, names with case and spaces around the reference, extras dropped") {
  auto eps = parse_entry_points(
      "# comment\n[console_scripts]\ncmdName = cmdmod:cmd\nfoo=pkg.mod : obj.attr [extra1, extra2]\n"
      "; also a comment\n\n[pygments.lexers]\nmine = mylexer\n");
  REQUIRE(eps);
  REQUIRE(eps->size() == 3);
  CHECK((*eps)[0].group == "console_scripts");
  CHECK((*eps)[0].name == "cmdName");
  CHECK((*eps)[0].module == "cmdmod");
  CHECK((*eps)[0].attr == "cmd");
  CHECK((*eps)[1].module == "pkg.mod");
  CHECK((*eps)[1].attr == "obj.attr");
  CHECK((*eps)[2].group == "pygments.lexers");
  CHECK((*eps)[2].attr.empty());
  CHECK_FALSE(parse_entry_points("x = y:z\n"));                        // outside a section
  CHECK_FALSE(parse_entry_points("[console_scripts]\nx = os; rm:z\n"));  // not a module name
  CHECK_FALSE(parse_entry_points("[console_scripts]\nx = m:f()\n"));
  CHECK_FALSE(parse_entry_points("[console_scripts]\nnovalue\n"));
}

TEST_CASE("command names that would leave bin/ are not safe") {
  CHECK(is_safe_command_name("cmdName"));
  CHECK(is_safe_command_name("black-primer"));
  CHECK_FALSE(is_safe_command_name(""));
  CHECK_FALSE(is_safe_command_name(".."));
  CHECK_FALSE(is_safe_command_name("../../etc/passwd"));
  CHECK_FALSE(is_safe_command_name("a/b"));
  CHECK_FALSE(is_safe_command_name(" x"));
  CHECK_FALSE(is_safe_command_name("a\nb"));
}

TEST_CASE("a launcher imports the module and calls the attribute") {
  EntryPoint ep{"console_scripts", "tool", "pkg.cli", "App.main"};
  std::string s = launcher_script(ep, "/opt/venv/bin/python");
  CHECK(s.starts_with("#!/opt/venv/bin/python\n"));
  CHECK(s.find("from pkg.cli import App\n") != std::string::npos);
  CHECK(s.find("    sys.exit(App.main())\n") != std::string::npos);
}

TEST_CASE("#!python shebangs point at the venv's python") {
  CHECK(rewrite_shebang("#!python\nprint(1)\n", "/v/bin/python") == "#!/v/bin/python\nprint(1)\n");
  CHECK(rewrite_shebang("#!pythonw -u\r\nx", "/v/bin/python") == "#!/v/bin/python -u\nx");
  CHECK(rewrite_shebang("#!python3.11", "/v/bin/python") == "#!/v/bin/python\n");
  CHECK_FALSE(rewrite_shebang("#!/usr/bin/env python\n", "/v/bin/python"));
  CHECK_FALSE(rewrite_shebang("#!pythonic\n", "/v/bin/python"));
  CHECK_FALSE(rewrite_shebang("#script\n", "/v/bin/python"));
}
