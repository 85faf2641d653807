// read_dynamic over real files of the host (checked against binutils' readelf), hand-made ELF32
// and big-endian files, and hostile ones: every truncation and byte flips of a real library.
#include "elf/dynamic.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "elf_builder.hpp"
#include "skip.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;
using namespace mlpack;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What binutils' readelf says of the file's dynamic section; nullopt without readelf.
struct Readelf {
  std::vector<std::string> needed, rpath, runpath;
  std::string soname;
};
std::optional<Readelf> readelf(const fs::path& p) {
  auto out = util::program_output({"readelf", "-d", "-W", p.string()});
  if (!out) return std::nullopt;
  Readelf r;
  std::istringstream lines(*out);
  auto bracket = [](const std::string& line) {
    auto a = line.find('['), b = line.rfind(']');
    return line.substr(a + 1, b - a - 1);
  };
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    std::istringstream in(s);
    for (std::string part; std::getline(in, part, ':');)
      if (!part.empty()) parts.push_back(part);
    return parts;
  };
  for (std::string line; std::getline(lines, line);) {
    if (line.find("(NEEDED)") != std::string::npos)
      r.needed.push_back(bracket(line));
    else if (line.find("(SONAME)") != std::string::npos)
      r.soname = bracket(line);
    else if (line.find("(RUNPATH)") != std::string::npos)
      r.runpath = split(bracket(line));
    else if (line.find("(RPATH)") != std::string::npos)
      r.rpath = split(bracket(line));
  }
  return r;
}

void check_against_readelf(const fs::path& p, const elf::DynamicInfo& info) {
  auto expected = readelf(p);
  if (!expected) {
    MLPACK_SKIP("readelf is not installed: " << p << " checked without it");
    return;
  }
  CHECK(info.needed == expected->needed);
  CHECK(info.soname == expected->soname);
  CHECK(info.rpath == expected->rpath);
  CHECK(info.runpath == expected->runpath);
}

elf::DynamicInfo read_ok(std::string_view bytes) {
  auto r = elf::read_dynamic(bytes, "test");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->has_value());
  return **r;
}

const fs::path libcurl = "/usr/lib/x86_64-linux-gnu/libcurl.so.4";
const fs::path small_lib = "/usr/lib/x86_64-linux-gnu/libdl.so.2";

}  // namespace

TEST_CASE("read_dynamic: libcurl as the loader sees it") {
  if (!fs::exists(libcurl)) {
    MLPACK_SKIP(libcurl << " is not installed");
    return;
  }
  auto info = read_ok(slurp(libcurl));
  CHECK(info.is_64);
  CHECK(!info.big_endian);
  CHECK(info.machine == elf::em_x86_64);
  CHECK(info.type == 3);
  CHECK(info.soname == "libcurl.so.4");
  CHECK(std::ranges::find(info.needed, "libc.so.6") != info.needed.end());
  CHECK(std::ranges::find(info.needed, "libz.so.1") != info.needed.end());
  CHECK(info.interpreter.empty());
  check_against_readelf(libcurl, info);
}

TEST_CASE("read_dynamic: an executable has its interpreter, a .o has no dynamic section") {
  if (fs::exists("/bin/ls")) {
    auto info = read_ok(slurp("/bin/ls"));
    CHECK(info.interpreter.starts_with("/lib"));
    CHECK(info.interpreter.find("ld-linux") != std::string::npos);
    CHECK(std::ranges::find(info.needed, "libc.so.6") != info.needed.end());
    CHECK(info.soname.empty());
    check_against_readelf("/bin/ls", info);
  }
  const fs::path object = "/usr/lib/x86_64-linux-gnu/crt1.o";
  if (fs::exists(object)) {
    auto info = read_ok(slurp(object));
    CHECK(info.type == 1);
    CHECK(info.needed.empty());
    CHECK(info.interpreter.empty());
  } else {
    MLPACK_SKIP("no " << object);
  }
}

TEST_CASE("read_dynamic: RUNPATH and RPATH set by patchelf") {
  if (!fs::exists(small_lib) || !util::program_output({"patchelf", "--version"})) {
    MLPACK_SKIP("needs patchelf and " << small_lib);
    return;
  }
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto copy = dir->path() / "libx.so";
  fs::copy_file(small_lib, copy);
  REQUIRE(util::program_output({"patchelf", "--set-rpath", "$ORIGIN/../lib:/opt/x/lib", copy.string()}));
  auto info = read_ok(slurp(copy));
  CHECK(info.runpath == std::vector<std::string>{"$ORIGIN/../lib", "/opt/x/lib"});
  CHECK(info.rpath.empty());
  check_against_readelf(copy, info);

  REQUIRE(util::program_output({"patchelf", "--force-rpath", "--set-rpath", "${ORIGIN}", copy.string()}));
  info = read_ok(slurp(copy));
  CHECK(info.rpath == std::vector<std::string>{"${ORIGIN}"});
  CHECK(info.runpath.empty());
  check_against_readelf(copy, info);

  // Two runs: patchelf 0.14 given both at once writes the new needed name as the soname too.
  REQUIRE(util::program_output({"patchelf", "--add-needed", "libextra.so.7", copy.string()}));
  REQUIRE(util::program_output({"patchelf", "--set-soname", "libx.so.1", copy.string()}));
  info = read_ok(slurp(copy));
  CHECK(std::ranges::find(info.needed, "libextra.so.7") != info.needed.end());
  CHECK(info.soname == "libx.so.1");
  check_against_readelf(copy, info);
}

TEST_CASE("read_dynamic: ELF32 and ELF64, both byte orders, program or section headers") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  for (bool is_64 : {true, false})
    for (bool big : {false, true})
      for (int headers = 0; headers < 3; ++headers) {
        elf_test::ElfSpec s;
        s.is_64 = is_64;
        s.big_endian = big;
        s.machine = big ? elf::em_s390 : elf::em_386;
        s.needed = {"libR.so", "libgfortran.so.5", "libc.so.6"};
        s.soname = "demo.so";
        s.runpath = "$ORIGIN:/usr/lib/R/lib";
        s.interpreter = "/lib/ld-linux.so.2";
        s.program_headers = headers != 1;  // 1: sections only
        s.section_headers = headers != 2;  // 2: program headers only
        CAPTURE(is_64);
        CAPTURE(big);
        CAPTURE(headers);
        auto bytes = elf_test::build_elf(s);
        auto info = read_ok(bytes);
        CHECK(info.is_64 == is_64);
        CHECK(info.big_endian == big);
        CHECK(info.machine == s.machine);
        CHECK(info.needed == s.needed);
        CHECK(info.soname == "demo.so");
        CHECK(info.runpath == std::vector<std::string>{"$ORIGIN", "/usr/lib/R/lib"});
        CHECK(info.interpreter == (s.program_headers ? s.interpreter : ""));
        // binutils agrees that the hand-made file says what we read.
        auto path = dir->path() / "made.so";
        std::ofstream(path, std::ios::binary) << bytes;
        if (headers != 1) check_against_readelf(path, info);
      }
}

TEST_CASE("read_dynamic: not ELF is nullopt, ELF magic with garbage is an error") {
  CHECK(
      !elf::looks_like_elf(std::string_view("\x7f"
                                            "EL")));
  CHECK(
      elf::looks_like_elf(std::string_view("\x7f"
                                           "ELF")));
  auto r = elf::read_dynamic(std::string_view("#!/bin/sh\necho hi\n"));
  REQUIRE(r);
  CHECK(!r->has_value());
  r = elf::read_dynamic(std::string_view(""));
  REQUIRE(r);
  CHECK(!r->has_value());
  r = elf::read_dynamic(std::string_view("\x7f"
                                         "ELF\x02\x01\x01",
                                         7),
                        "libs/x.so");
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message.starts_with("libs/x.so: malformed ELF file"));
  r =
      elf::read_dynamic(std::string_view("\x7f"
                                         "ELF\x03\x01\x01\0\0\0\0\0\0\0\0\0",
                                         16));
  REQUIRE(!r);
  CHECK(r.error().message.find("class 3") != std::string::npos);
}

TEST_CASE("read_dynamic: strings past the table or unterminated are errors") {
  elf_test::ElfSpec s;
  s.needed = {"libfoo.so.1"};
  s.program_headers = false;
  auto bytes = elf_test::build_elf(s);
  // The .dynstr section's size field (section 2, at sh_offset + 32 - 0 ... sh_size at +32):
  // shrink it so the name runs off the table's end.
  const std::uint64_t shoff = bytes.size() - 3 * 64;
  const std::uint64_t size_at = shoff + 2 * 64 + 32;
  auto cut = bytes;
  cut[size_at] = 5;  // "\0libf" — no terminator inside
  auto r = elf::read_dynamic(cut, "cut.so");
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("not terminated") != std::string::npos, r.error().message);
  cut[size_at] = 1;  // the name's offset is past the table
  r = elf::read_dynamic(cut, "cut.so");
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("past its string table") != std::string::npos, r.error().message);

  // One DT_NEEDED string longer than the cap.
  s.needed = {std::string(elf::max_string + 10, 'a')};
  r = elf::read_dynamic(elf_test::build_elf(s), "long.so");
  REQUIRE(!r);
  CHECK_MESSAGE(r.error().message.find("longer than") != std::string::npos, r.error().message);
}

TEST_CASE("read_dynamic: every truncation of a real library is an error or a result, never a crash") {
  if (!fs::exists(small_lib)) {
    MLPACK_SKIP("no " << small_lib);
    return;
  }
  const auto bytes = slurp(small_lib);
  const auto whole = read_ok(bytes);
  std::size_t errors = 0, results = 0;
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    auto r = elf::read_dynamic(std::string_view(bytes).substr(0, n));
    if (r) {
      ++results;
      // Whatever is read from a prefix is what the whole file says, or less.
      if (r->has_value() && !(*r)->needed.empty()) CHECK((*r)->needed == whole.needed);
    } else {
      ++errors;
    }
  }
  CHECK(errors > 0);
  CHECK(results > 0);
}

TEST_CASE("read_dynamic: byte flips over the headers and the dynamic section never crash") {
  std::vector<std::string> inputs;
  if (fs::exists(small_lib)) inputs.push_back(slurp(small_lib));
  for (bool is_64 : {true, false}) {
    elf_test::ElfSpec s;
    s.is_64 = is_64;
    s.needed = {"liba.so", "libb.so"};
    s.rpath = "$ORIGIN";
    s.interpreter = "/lib/ld.so";
    inputs.push_back(elf_test::build_elf(s));
  }
  std::mt19937 rng(1234);
  for (const auto& original : inputs) {
    const std::size_t span = std::min<std::size_t>(original.size(), 1024);
    for (std::size_t at = 0; at < span; ++at)
      for (unsigned char v : {0x00, 0xff, 0x7f, 0x80}) {
        auto bytes = original;
        bytes[at] = static_cast<char>(v);
        (void)elf::read_dynamic(bytes);
      }
    for (int round = 0; round < 3000; ++round) {
      auto bytes = original;
      for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
      (void)elf::read_dynamic(bytes);
    }
  }
}
