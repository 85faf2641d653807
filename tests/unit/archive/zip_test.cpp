// The zip reader (archive/zip.hpp) on zips written byte by byte here: good ones (stored,
// deflate, data descriptors, zip64) and hostile ones (truncated directories, offsets past the end,
// overlapping members, sizes that lie, methods and flags it does not read), from a local file and
// from memory.
#include <unistd.h>

#include <cstring>
#include <optional>

#include "archive/zip.hpp"
#include "archive_test_util.hpp"
#include "util/fs.hpp"
#include "zip_builder.hpp"

using namespace zip_test;
using mlpack::util::ErrorKind;
namespace fs = std::filesystem;
namespace util = mlpack::util;
using mlpack::util::Result;

namespace {

struct Fixture {
  util::TempDir dir = archive_test::temp_dir();
  fs::path write(const std::string& bytes) {
    auto p = dir.path() / ("z" + std::to_string(n++) + ".zip");
    REQUIRE(util::write_file_atomic(p, bytes));
    return p;
  }
  int n = 0;
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The error of opening the zip, or of reading each member whole (CRC checked) and streaming it.
std::optional<util::Error> first_error(const fs::path& p, mlpack::archive::Crc crc = mlpack::archive::Crc::check) {
  auto z = mlpack::archive::ZipReader::open(p);
  if (!z) return z.error();
  for (const auto& m : z->members()) {
    if (m.size <= mlpack::archive::zip_one_shot_limit) {
      auto r = z->read(m, crc);
      if (!r) return r.error();
    }
    auto s = z->open_member(m);
    if (!s) return s.error();
    auto all = util::read_all(**s, 64 << 20);
    if (!all) return all.error();
  }
  return std::nullopt;
}

util::Error must_fail(const fs::path& p, ErrorKind kind, const std::string& part) {
  auto e = first_error(p);
  REQUIRE(e);
  CHECK_MESSAGE(e->kind == kind, e->message);
  CHECK_MESSAGE(has(e->message, part), e->message);
  return *e;
}

}  // namespace

TEST_CASE("zip: stored, deflate, data descriptors and zip64 read back exactly") {
  Fixture f;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i * 7919 % 1000) + " of the text\n";
  auto p = f.write(build_zip(
      {
          {.name = "pkg/", .content = "", .method = 0, .mode = 040755},
          {.name = "pkg/stored.txt", .content = "stored bytes\n", .method = 0},
          {.name = "pkg/text.py", .content = text},
          {.name = "pkg/descriptor.py", .content = text + "more", .descriptor = true},
          {.name = "pkg/zip64.bin", .content = text + "64", .zip64 = true},
          {.name = "pkg/both.bin", .content = "both", .descriptor = true, .zip64 = true},
          {.name = "pkg/empty", .content = ""},
          {.name = "pkg/tool", .content = "#!/bin/sh\n", .mode = 0100755},
          {.name = "pkg/link", .content = "text.py", .method = 0, .mode = 0120777},
      },
      {.zip64_end = true}));
  auto z = mlpack::archive::ZipReader::open(p);
  REQUIRE_MESSAGE(z, z.error().message);
  const auto& ms = z->members();
  REQUIRE(ms.size() == 9);
  CHECK(ms[0].is_directory());
  CHECK(ms[2].method == 8);
  CHECK(ms[2].size == text.size());
  CHECK(ms[2].compressed_size < text.size());
  CHECK(ms[2].limit == ms[3].offset);
  CHECK(ms[7].is_executable());
  CHECK(ms[8].is_symlink());
  std::vector<std::string> expected = {"", "stored bytes\n", text, text + "more", text + "64", "both", "", "#!/bin/sh\n",
                                       "text.py"};
  for (std::size_t i = 0; i < ms.size(); ++i) {
    CAPTURE(ms[i].name);
    auto whole = z->read(ms[i], mlpack::archive::Crc::check);
    REQUIRE_MESSAGE(whole, whole.error().message);
    CHECK(*whole == expected[i]);
    auto s = z->open_member(ms[i], util::Digest::sha256_of(expected[i]));
    REQUIRE(s);
    auto all = util::read_all(**s, 1 << 20);
    REQUIRE_MESSAGE(all, all.error().message);
    CHECK(*all == expected[i]);
    // The free function opens the file again for one member.
    auto again = mlpack::archive::open_zip_member(p, ms[i]);
    REQUIRE(again);
    CHECK(util::read_all(**again, 1 << 20).value() == expected[i]);
  }
  // The same zip from memory gives the same members and contents.
  auto mem = mlpack::archive::ZipReader::open(mlpack::archive::memory_access(archive_test::slurp(p)));
  REQUIRE(mem);
  REQUIRE(mem->members().size() == ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) CHECK(mem->read(mem->members()[i], mlpack::archive::Crc::check).value() == expected[i]);
}

// Over the one-shot limit, and its deflate stream: made once, every subcase runs the test again.
const std::pair<std::string, std::string>& big_member() {
  static const auto made = [] {
    std::string big;
    big.reserve(mlpack::archive::zip_one_shot_limit + 300000);
    for (std::uint64_t i = 0; big.size() < mlpack::archive::zip_one_shot_limit + 300000; ++i) big += std::to_string(i * 2654435761u) + ",";
    return std::pair{big, deflate_raw(big)};
  }();
  return made;
}

TEST_CASE("zip: members over the one-shot limit stream through zlib, checked at the end") {
  Fixture f;
  const auto& [big, deflated] = big_member();
  auto good = f.write(
      build_zip({{.name = "big.bin", .content = big, .data = deflated}, {.name = "stored.bin", .content = big, .method = 0}}));
  auto z = mlpack::archive::ZipReader::open(good);
  REQUIRE(z);
  for (const auto& m : z->members()) {
    CAPTURE(m.name);
    auto s = z->open_member(m, util::Digest::sha256_of(big));
    REQUIRE(s);
    auto all = util::read_all(**s, 64 << 20);
    REQUIRE_MESSAGE(all, all.error().message);
    CHECK(*all == big);
    // Read whole is only for one-shot sizes.
    CHECK_FALSE(z->read(m, mlpack::archive::Crc::check));
    // A digest that does not match fails at the end of the stream.
    auto wrong = z->open_member(m, util::Digest::sha256_of("other"));
    REQUIRE(wrong);
    auto r = util::read_all(**wrong, 64 << 20);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(has(r.error().message, "sha256"));
  }
  SUBCASE("declared longer than it is") {
    must_fail(f.write(build_zip({{.name = "big.bin", .content = big, .descriptor = true, .data = deflated, .cd_size = big.size() + 10}})),
              ErrorKind::integrity, "shorter than the central directory's");
  }
  SUBCASE("declared shorter than it is") {
    must_fail(f.write(build_zip({{.name = "big.bin", .content = big, .descriptor = true, .data = deflated, .cd_size = big.size() - 10}})),
              ErrorKind::integrity, "longer than the central directory's");
  }
  SUBCASE("a CRC-32 that does not match") {
    must_fail(f.write(build_zip({{.name = "big.bin", .content = big, .descriptor = true, .data = deflated, .cd_crc = 1234}})),
              ErrorKind::integrity, "CRC-32");
  }
  SUBCASE("a truncated deflate stream") {
    auto data = deflated.substr(0, deflated.size() / 2);
    must_fail(f.write(build_zip({{.name = "big.bin", .content = big, .data = data}})), ErrorKind::integrity,
              "corrupt zip member");
  }
}

TEST_CASE("zip: hostile directories are refused") {
  Fixture f;
  std::vector<RawMember> two = {{.name = "a.py", .content = "print('a')\n"}, {.name = "b.py", .content = "print('b')\n"}};
  auto good = build_zip(two);
  REQUIRE_FALSE(first_error(f.write(good)));

  SUBCASE("not a zip at all") { must_fail(f.write("hello"), ErrorKind::integrity, "not a zip file"); }
  SUBCASE("cut in half (no end record)") {
    must_fail(f.write(good.substr(0, good.size() / 2)), ErrorKind::integrity, "not a zip file");
  }
  SUBCASE("a central directory cut short: more entries claimed than it holds") {
    must_fail(f.write(build_zip(two, {.entries = 3})), ErrorKind::integrity, "central directory");
  }
  SUBCASE("an entry count no directory of that size could hold") {
    must_fail(f.write(build_zip(two, {.entries = 60000})), ErrorKind::integrity, "more entries than it can hold");
  }
  SUBCASE("a directory size past the end record") {
    must_fail(f.write(build_zip(two, {.cd_size = 100000})), ErrorKind::integrity, "size and offset");
  }
  SUBCASE("a local header offset past the end of the file") {
    two[1].cd_offset = 1u << 30;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "does not fit");
  }
  SUBCASE("a zip64 local header offset past the end of the file") {
    two[1].zip64 = true;
    two[1].cd_offset = 1ULL << 40;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "does not fit");
  }
  SUBCASE("two members at one offset") {
    two[1].cd_offset = 0;
    two[1].name = two[0].name;  // so the local header would match too
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "overlap");
  }
  SUBCASE("a compressed size running into the next member") {
    two[0].cd_compressed = 200;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "overlap");
  }
  SUBCASE("a zip64 end record outside the file") {
    auto z = build_zip(two, {.zip64_end = true});
    // The locator's offset of the zip64 record: 20 + 22 bytes from the end, 8 bytes in.
    std::size_t at = z.size() - 22 - 20 + 8;
    for (int i = 0; i < 8; ++i) z[at + static_cast<std::size_t>(i)] = static_cast<char>(0x7f);
    must_fail(f.write(z), ErrorKind::integrity, "zip64 end of central directory record");
  }
  SUBCASE("an unsupported compression method (bzip2)") {
    two[1].method = 12;
    auto e = must_fail(f.write(build_zip(two)), ErrorKind::unsupported, "compression method 12");
    CHECK(has(e.message, "`b.py`"));
  }
  SUBCASE("an encrypted member") {
    two[0].flags = 1;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "`a.py` is encrypted");
  }
  SUBCASE("strong encryption") {
    two[0].flags = 1 << 6;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "encrypted");
  }
  SUBCASE("a stored member whose sizes differ") {
    two[0].method = 0;
    two[0].cd_compressed = 5;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "stored");
  }
  SUBCASE("a deflate bomb's declared size") {
    two[0].cd_size = 1ULL << 36;
    two[0].zip64 = true;
    must_fail(f.write(build_zip(two)), ErrorKind::integrity, "more than deflate can expand to");
  }
}

TEST_CASE("zip: members whose local header or data lie are refused when read") {
  Fixture f;
  std::string text(3000, 'x');
  text += "tail";
  RawMember m{.name = "pkg/mod.py", .content = text};
  SUBCASE("declared longer than it inflates to") {
    m.cd_size = text.size() + 1;
    m.descriptor = true;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "shorter than the central directory's");
  }
  SUBCASE("declared shorter than it inflates to (a zip bomb)") {
    m.cd_size = 100;
    m.descriptor = true;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "longer than the central directory's");
  }
  SUBCASE("a compressed size beyond where the deflate stream ends") {
    auto data = deflate_raw(text) + "junk";
    m.data = data;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "ends before its compressed size");
  }
  SUBCASE("corrupt deflate data") {
    auto data = deflate_raw(text);
    for (std::size_t i = 2; i < data.size(); i += 3) data[i] = static_cast<char>(data[i] ^ 0x5a);
    m.data = data;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "corrupt zip member");
  }
  SUBCASE("a CRC-32 mismatch, when the CRC is checked") {
    m.cd_crc = 42;
    m.local_crc = 42;
    auto p = f.write(build_zip({m}));
    must_fail(p, ErrorKind::integrity, "CRC-32");
    // A caller that hashes the content itself may skip it.
    auto z = mlpack::archive::ZipReader::open(p);
    REQUIRE(z);
    CHECK(z->read(z->members()[0], mlpack::archive::Crc::skip).value() == text);
  }
  SUBCASE("a local header naming another member") {
    m.local_name = "pkg/evil.py";
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "the local header names `pkg/evil.py`");
  }
  SUBCASE("a local header with another method") {
    m.local_method = 0;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "compression method");
  }
  SUBCASE("a local CRC-32 that is not the directory's, without a data descriptor") {
    m.local_crc = 7;
    must_fail(f.write(build_zip({m})), ErrorKind::integrity, "differ from the central directory's");
  }
  SUBCASE("an offset inside another member's data") {
    RawMember first{.name = "a", .content = std::string(100, 'a'), .method = 0};
    RawMember second = m;
    second.cd_offset = 40;  // inside the first member's data
    must_fail(f.write(build_zip({first, second})), ErrorKind::integrity, "overlap");
  }
  SUBCASE("a file truncated after the directory was read") {
    auto bytes = build_zip({m});
    auto p = f.write(bytes);
    auto z = mlpack::archive::ZipReader::open(p);
    REQUIRE(z);
    REQUIRE(::truncate(p.c_str(), 40) == 0);
    auto r = z->read(z->members()[0], mlpack::archive::Crc::check);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(has(r.error().message, "truncated"));
  }
}


namespace {

// Counts what the reader asks of its source, over bytes in memory.
class CountingAccess final : public mlpack::archive::RandomAccess {
 public:
  explicit CountingAccess(std::string bytes) : inner_(mlpack::archive::memory_access(std::move(bytes))) {}
  Result<std::uint64_t> size() override { return inner_->size(); }
  Result<void> read_at(std::uint64_t offset, std::span<std::byte> out) override {
    ++reads;
    return inner_->read_at(offset, out);
  }
  Result<void> will_read(std::uint64_t offset, std::uint64_t length) override {
    hints.emplace_back(offset, length);
    return {};
  }
  int reads = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> hints;

 private:
  std::shared_ptr<mlpack::archive::RandomAccess> inner_;
};

// Gives the zip's end record a comment of `n` bytes.
std::string with_comment(std::string zip, std::size_t n) {
  zip[zip.size() - 2] = static_cast<char>(n & 0xff);
  zip[zip.size() - 1] = static_cast<char>(n >> 8);
  return zip + std::string(n, 'c');
}

}  // namespace

TEST_CASE("zip: the end record is found in the first 64 KiB, or behind a comment of any length") {
  std::string pad(200000, 'p');
  std::vector<RawMember> members = {{.name = "pad.bin", .content = pad, .method = 0}, {.name = "m.txt", .content = "hello"}};
  for (bool zip64 : {false, true}) {
    CAPTURE(zip64);
    auto plain = build_zip(members, {.zip64_end = zip64});
    // No comment: one read of the tail, one of the directory (it lies in the tail, but the
    // reader does not keep the tail: a source that requests bytes caches them itself).
    auto counting = std::make_shared<CountingAccess>(plain);
    auto z = mlpack::archive::ZipReader::open(counting);
    REQUIRE_MESSAGE(z, z.error().message);
    CHECK(counting->reads == (zip64 ? 3 : 2));  // zip64: and its end record
    // The member is announced (header + data, up to the next member) before it is read.
    auto m = z->members()[1];
    CHECK(z->read(m, mlpack::archive::Crc::check).value() == "hello");
    REQUIRE(counting->hints.size() == 1);
    CHECK(counting->hints[0].first == m.offset);
    CHECK(counting->hints[0].second == m.limit - m.offset);
    // The longest comment a zip allows, and one that puts the end record at the very start of the
    // first window: both need the larger window.
    for (std::size_t n : {std::size_t{0xffff}, std::size_t{(64 << 10) - 22 - 10}}) {
      CAPTURE(n);
      auto commented = std::make_shared<CountingAccess>(with_comment(plain, n));
      auto c = mlpack::archive::ZipReader::open(commented);
      REQUIRE_MESSAGE(c, c.error().message);
      CHECK(c->read(c->members()[1], mlpack::archive::Crc::check).value() == "hello");
    }
    // A comment that does not run exactly to the end of the file: refused.
    auto truncated = with_comment(plain, 100);
    truncated.pop_back();
    auto bad = mlpack::archive::ZipReader::open(mlpack::archive::memory_access(truncated));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("not a zip file") != std::string::npos);
  }
}

TEST_CASE("zip: a one-shot member claiming more compressed bytes than deflate needs is refused before reading") {
  Fixture f;
  RawMember m{.name = "small.txt", .content = "tiny"};
  auto honest = deflate_raw(m.content);
  m.data = honest + std::string(5000, '\0');  // room in the file for the lie
  m.cd_compressed = honest.size() + 5000;
  m.descriptor = true;
  must_fail(f.write(build_zip({m})), ErrorKind::integrity, "more than deflate ever needs");
}

TEST_CASE("zip: declared sizes past the unpack limits are refused at open, naming the member") {
  auto d = archive_test::temp_dir();
  using zip_test::RawMember;
  using archive_test::write;
  // 2 MiB of zeros: the builder's level-1 deflate makes 9 KB of them (200:1); a bomb made at level
  // 9 reaches deflate's ~1030:1, past the default 1000:1.
  const std::string zeros(2 << 20, '\0');
  write(d.path() / "bomb.whl", zip_test::build_zip({RawMember{"ok.txt", "hello"}, RawMember{"pkg/big.bin", zeros}}));
  CHECK(mlpack::archive::ZipReader::open(d.path() / "bomb.whl"));
  mlpack::archive::UnpackLimits strict;
  strict.max_ratio = 100;
  auto bomb = mlpack::archive::ZipReader::open(d.path() / "bomb.whl", strict);
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(has(bomb.error().message, "`pkg/big.bin` would unpack to 2097152 bytes"), bomb.error().message);
  CHECK(has(bomb.error().message, "more than 100 times"));

  // A member declaring 1020 times its compressed size (deflate could do it: zeros at level 9) is
  // refused at the default, before anything is inflated.
  RawMember lying{"pkg/huge.bin", zeros};
  lying.cd_size = 9162ULL * 1020;
  write(d.path() / "huge.whl", zip_test::build_zip({lying}));
  auto huge = mlpack::archive::ZipReader::open(d.path() / "huge.whl");
  REQUIRE_FALSE(huge);
  CHECK_MESSAGE(has(huge.error().message, "`pkg/huge.bin` would unpack to 9345240 bytes from 9162"), huge.error().message);

  // The same sizes stored: no ratio to speak of, but the total is bounded.
  write(d.path() / "big.whl", zip_test::build_zip({RawMember{"a.bin", zeros, 0}, RawMember{"b.bin", zeros, 0}}));
  CHECK(mlpack::archive::ZipReader::open(d.path() / "big.whl"));
  mlpack::archive::UnpackLimits small;
  small.max_total = 3 << 20;
  small.raise_hint = "raise it with `unpack_max_size`";
  auto total = mlpack::archive::ZipReader::open(d.path() / "big.whl", small);
  REQUIRE_FALSE(total);
  CHECK(total.error().kind == ErrorKind::integrity);
  CHECK_MESSAGE(has(total.error().message, "would unpack to more than 3.0 MiB"), total.error().message);
  CHECK(total.error().message.ends_with("; raise it with `unpack_max_size`"));

  // Below the floor a member may compress as well as it likes.
  write(d.path() / "small.whl", zip_test::build_zip({RawMember{"zeros", std::string(1 << 20, '\0')}}));
  CHECK(mlpack::archive::ZipReader::open(d.path() / "small.whl"));
}
