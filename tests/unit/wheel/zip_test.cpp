// The zip reader (wheel/zip.hpp) on zips written byte by byte here: good ones (stored, deflate,
// data descriptors, zip64) and hostile ones (truncated directories, offsets past the end,
// overlapping members, sizes that lie, methods and flags it does not read).
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <optional>

#include "wheel/zip.hpp"
#include "wheel_test_util.hpp"

using namespace wheel_test;
using mlpack::util::ErrorKind;
namespace zip = mlpack::wheel::detail;

namespace {

struct RawMember {
  std::string name;
  std::string content;
  std::uint16_t method = 8;  // 0 stored, 8 deflate, anything else: content stored as it is
  bool descriptor = false;   // general purpose bit 3: CRC and sizes after the data
  bool zip64 = false;        // sizes and offset in zip64 extra fields
  std::uint16_t flags = 0;   // more general purpose bits (both headers)
  std::uint32_t mode = 0100644;
  // Lies, applied after the honest values are computed.
  std::optional<std::string> data;  // the bytes after the local header, instead of the compressed content
  std::optional<std::uint64_t> cd_size, cd_compressed, cd_offset;
  std::optional<std::uint32_t> cd_crc, local_crc;
  std::optional<std::uint16_t> local_method;
  std::optional<std::string> local_name;
};

struct ZipOptions {
  bool zip64_end = false;                    // a zip64 end of central directory record and locator
  std::optional<std::uint64_t> entries;      // the count the end record claims
  std::optional<std::uint64_t> cd_size;      // the directory size it claims
};

void put(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string deflate_raw(const std::string& in) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::uint32_t crc_of(const std::string& s) {
  return static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::string build_zip(const std::vector<RawMember>& members, const ZipOptions& options = {}) {
  std::string out, cd;
  for (const auto& m : members) {
    std::string data = m.data ? *m.data : m.method == 8 ? deflate_raw(m.content) : m.content;
    std::uint32_t crc = crc_of(m.content);
    std::uint64_t offset = out.size();
    std::uint16_t flags = static_cast<std::uint16_t>(m.flags | (m.descriptor ? 8 : 0));
    // Local header.
    put(out, 0x04034b50, 4);
    put(out, m.zip64 ? 45 : 20, 2);
    put(out, flags, 2);
    put(out, m.local_method.value_or(m.method), 2);
    put(out, 0, 2);
    put(out, 0x21, 2);
    put(out, m.descriptor ? 0 : m.local_crc.value_or(crc), 4);
    std::string local_extra;
    if (m.zip64) {
      put(out, m.descriptor ? 0 : 0xffffffff, 4);
      put(out, m.descriptor ? 0 : 0xffffffff, 4);
      put(local_extra, 1, 2);
      put(local_extra, 16, 2);
      put(local_extra, m.content.size(), 8);
      put(local_extra, data.size(), 8);
    } else {
      put(out, m.descriptor ? 0 : data.size(), 4);
      put(out, m.descriptor ? 0 : m.content.size(), 4);
    }
    std::string local_name = m.local_name.value_or(m.name);
    put(out, local_name.size(), 2);
    put(out, local_extra.size(), 2);
    out += local_name + local_extra + data;
    if (m.descriptor) {
      put(out, 0x08074b50, 4);
      put(out, crc, 4);
      put(out, data.size(), m.zip64 ? 8 : 4);
      put(out, m.content.size(), m.zip64 ? 8 : 4);
    }
    // Central directory entry.
    std::uint64_t size = m.cd_size.value_or(m.content.size());
    std::uint64_t compressed = m.cd_compressed.value_or(data.size());
    std::uint64_t at = m.cd_offset.value_or(offset);
    put(cd, 0x02014b50, 4);
    put(cd, 3 << 8 | 20, 2);
    put(cd, m.zip64 ? 45 : 20, 2);
    put(cd, flags, 2);
    put(cd, m.method, 2);
    put(cd, 0, 2);
    put(cd, 0x21, 2);
    put(cd, m.cd_crc.value_or(crc), 4);
    std::string extra;
    if (m.zip64) {
      put(cd, 0xffffffff, 4);
      put(cd, 0xffffffff, 4);
      put(extra, 1, 2);
      put(extra, 24, 2);
      put(extra, size, 8);
      put(extra, compressed, 8);
      put(extra, at, 8);
    } else {
      put(cd, compressed, 4);
      put(cd, size, 4);
    }
    put(cd, m.name.size(), 2);
    put(cd, extra.size(), 2);
    put(cd, 0, 2);  // comment
    put(cd, 0, 2);  // disk
    put(cd, 0, 2);  // internal attributes
    put(cd, static_cast<std::uint64_t>(m.mode) << 16, 4);
    put(cd, m.zip64 ? 0xffffffff : at, 4);
    cd += m.name + extra;
  }
  std::uint64_t cd_offset = out.size();
  out += cd;
  std::uint64_t entries = options.entries.value_or(members.size());
  std::uint64_t cd_size = options.cd_size.value_or(cd.size());
  if (options.zip64_end) {
    std::uint64_t record = out.size();
    put(out, 0x06064b50, 4);
    put(out, 44, 8);
    put(out, 45, 2);
    put(out, 45, 2);
    put(out, 0, 4);
    put(out, 0, 4);
    put(out, entries, 8);
    put(out, entries, 8);
    put(out, cd_size, 8);
    put(out, cd_offset, 8);
    put(out, 0x07064b50, 4);
    put(out, 0, 4);
    put(out, record, 8);
    put(out, 1, 4);
  }
  put(out, 0x06054b50, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, options.zip64_end ? 0xffff : entries, 2);
  put(out, options.zip64_end ? 0xffff : entries, 2);
  put(out, options.zip64_end ? 0xffffffff : cd_size, 4);
  put(out, options.zip64_end ? 0xffffffff : cd_offset, 4);
  put(out, 0, 2);
  return out;
}

struct Fixture {
  util::TempDir dir = temp_dir();
  fs::path write(const std::string& bytes) {
    auto p = dir.path() / ("z" + std::to_string(n++) + ".zip");
    REQUIRE(util::write_file_atomic(p, bytes));
    return p;
  }
  int n = 0;
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The error of opening the zip, or of reading each member whole (CRC checked) and streaming it.
std::optional<util::Error> first_error(const fs::path& p, zip::Crc crc = zip::Crc::check) {
  auto z = zip::ZipFile::open(p);
  if (!z) return z.error();
  for (const auto& m : z->members()) {
    if (m.size <= zip::one_shot_limit) {
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
  auto z = zip::ZipFile::open(p);
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
    auto whole = z->read(ms[i], zip::Crc::check);
    REQUIRE_MESSAGE(whole, whole.error().message);
    CHECK(*whole == expected[i]);
    auto s = z->open_member(ms[i], util::Digest::sha256_of(expected[i]));
    REQUIRE(s);
    auto all = util::read_all(**s, 1 << 20);
    REQUIRE_MESSAGE(all, all.error().message);
    CHECK(*all == expected[i]);
    // The free function opens the file again for one member.
    auto again = zip::open_member(p, ms[i]);
    REQUIRE(again);
    CHECK(util::read_all(**again, 1 << 20).value() == expected[i]);
  }
  // read_central_directory gives the same members.
  auto cd = zip::read_central_directory(p);
  REQUIRE(cd);
  CHECK(cd->size() == ms.size());
}

// Over the one-shot limit, and its deflate stream: made once, every subcase runs the test again.
const std::pair<std::string, std::string>& big_member() {
  static const auto made = [] {
    std::string big;
    big.reserve(zip::one_shot_limit + 300000);
    for (std::uint64_t i = 0; big.size() < zip::one_shot_limit + 300000; ++i) big += std::to_string(i * 2654435761u) + ",";
    return std::pair{big, deflate_raw(big)};
  }();
  return made;
}

TEST_CASE("zip: members over the one-shot limit stream through zlib, checked at the end") {
  Fixture f;
  const auto& [big, deflated] = big_member();
  auto good = f.write(
      build_zip({{.name = "big.bin", .content = big, .data = deflated}, {.name = "stored.bin", .content = big, .method = 0}}));
  auto z = zip::ZipFile::open(good);
  REQUIRE(z);
  for (const auto& m : z->members()) {
    CAPTURE(m.name);
    auto s = z->open_member(m, util::Digest::sha256_of(big));
    REQUIRE(s);
    auto all = util::read_all(**s, 64 << 20);
    REQUIRE_MESSAGE(all, all.error().message);
    CHECK(*all == big);
    // Read whole is only for one-shot sizes.
    CHECK_FALSE(z->read(m, zip::Crc::check));
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
    auto z = zip::ZipFile::open(p);
    REQUIRE(z);
    CHECK(z->read(z->members()[0], zip::Crc::skip).value() == text);
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
    auto z = zip::ZipFile::open(p);
    REQUIRE(z);
    REQUIRE(::truncate(p.c_str(), 40) == 0);
    auto r = z->read(z->members()[0], zip::Crc::check);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(has(r.error().message, "truncated"));
  }
}

TEST_CASE("install_wheel names the wheel when its zip is refused") {
  auto dir = temp_dir();
  WheelSpec spec{.members = {{"demo/__init__.py", "x = 1\n"}}};
  std::vector<RawMember> raw;
  for (const auto& z : wheel_members(spec)) raw.push_back({.name = z.name, .content = z.content});
  SUBCASE("an unsupported method") { raw[0].method = 14; }  // lzma
  SUBCASE("a declared size that lies") {
    raw[0].cd_size = raw[0].content.size() + 1;
    raw[0].descriptor = true;
  }
  auto path = dir.path() / spec.filename();
  REQUIRE(util::write_file_atomic(path, build_zip(raw)));
  auto r = wheel::install_wheel(path, sha256_of_file(path), wheel::VenvLayout{});
  REQUIRE_FALSE(r);
  CHECK(has(r.error().message, "`demo-1.0-py3-none-any.whl`"));
  CHECK(has(r.error().message, "demo/__init__.py"));
}
