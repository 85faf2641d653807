// archive::decompress: every codec read back, codecs detected from their first bytes, a file
// that is not what its name says, truncation, garbage, bombs, and the input read to its end.
#include <archive.h>
#include <archive_entry.h>

#include <map>

#include "archive/decompress.hpp"
#include "archive/entry.hpp"
#include "archive/reader.hpp"
#include "archive_test_util.hpp"
#include "test_archives.hpp"

using namespace archive_test;
using mlpack::archive::Codec;
using mlpack::util::ErrorKind;

namespace {

// Compresses with libarchive's writers (independent of the code under test).
std::string compress(const std::string& data, Codec c) {
  std::string out;
  struct archive* a = archive_write_new();
  switch (c) {
    case Codec::gzip: archive_write_add_filter_gzip(a); break;
    case Codec::bzip2: archive_write_add_filter_bzip2(a); break;
    case Codec::xz: archive_write_add_filter_xz(a); break;
    case Codec::lzma: archive_write_add_filter_lzma(a); break;
    case Codec::zstd: archive_write_add_filter_zstd(a); break;
    case Codec::none: break;
  }
  archive_write_set_format_raw(a);
  archive_write_set_bytes_in_last_block(a, 1);
  mlpack::test::open_to_string(a, &out);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  if (!data.empty()) REQUIRE(archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// Counts how much of the input was read.
class Counting final : public mlpack::util::Reader {
 public:
  explicit Counting(std::string data) : inner_(std::move(data)) {}
  mlpack::util::Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = inner_.read(out);
    if (n) count += *n;
    return n;
  }
  std::size_t count = 0;

 private:
  mlpack::util::StringReader inner_;
};

mlpack::util::Result<std::string> inflate_all(const std::string& data, Codec c, std::uint64_t limit = UINT64_MAX) {
  mlpack::util::StringReader in(data);
  auto r = mlpack::archive::decompress(in, c, {.max_size = limit});
  if (!r) return std::unexpected(r.error());
  return mlpack::util::read_all(**r, 256 << 20);
}

}  // namespace

TEST_CASE("decompress: every codec, by name and detected") {
  auto text = pseudo_text(3 << 20, 9);
  for (Codec c : {Codec::none, Codec::gzip, Codec::bzip2, Codec::xz, Codec::lzma, Codec::zstd}) {
    CAPTURE(mlpack::archive::codec_name(c));
    auto packed = compress(text, c);
    Counting in(packed);
    auto r = mlpack::archive::decompress(in, c);
    REQUIRE_MESSAGE(r, r.error().message);
    auto all = mlpack::util::read_all(**r, 64 << 20);
    REQUIRE_MESSAGE(all, all.error().message);
    CHECK(*all == text);
    CHECK(in.count == packed.size());  // read to its end
    if (c != Codec::lzma) {
      mlpack::util::StringReader again(packed);
      auto d = mlpack::archive::decompress_detected(again);
      REQUIRE(d);
      CHECK(d->codec == c);
      CHECK(mlpack::util::read_all(*d->content, 64 << 20).value() == text);
    }
    // Empty content is fine; an empty file is not compressed data.
    if (c != Codec::none) {
      CHECK(inflate_all(compress("", c), c).value() == "");
      auto empty = inflate_all("", c);
      REQUIRE_FALSE(empty);
      CHECK(empty.error().kind == ErrorKind::integrity);
    }
  }
  CHECK(mlpack::archive::codec_of("Packages.xz") == Codec::xz);
  CHECK(mlpack::archive::codec_of("data.tar.zst") == Codec::zstd);
  CHECK(mlpack::archive::codec_of("x.tar.bz2") == Codec::bzip2);
  CHECK(mlpack::archive::codec_of("control.tar") == Codec::none);
}

TEST_CASE("decompress: wrong codec, truncation, garbage and bombs are integrity errors") {
  auto text = pseudo_text(1 << 20, 3);
  for (Codec c : {Codec::gzip, Codec::bzip2, Codec::xz, Codec::zstd}) {
    CAPTURE(mlpack::archive::codec_name(c));
    auto packed = compress(text, c);
    // Another codec's data under this name.
    auto other = compress(text, c == Codec::gzip ? Codec::xz : Codec::gzip);
    auto wrong = inflate_all(other, c);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().kind == ErrorKind::integrity);
    CHECK(wrong.error().message.find("not " + std::string(mlpack::archive::codec_name(c))) != std::string::npos);
    auto cut = inflate_all(packed.substr(0, packed.size() / 2), c);
    REQUIRE_FALSE(cut);
    CHECK(cut.error().kind == ErrorKind::integrity);
    auto bomb = inflate_all(packed, c, 1000);
    REQUIRE_FALSE(bomb);
    CHECK(bomb.error().message.find("more than 1000 bytes") != std::string::npos);
  }
  auto gz = compress(text, Codec::gzip);
  CHECK(inflate_all(gz + gz, Codec::gzip).value() == text + text);  // two members
  CHECK(inflate_all(gz + std::string(700, '\0'), Codec::gzip).value() == text);  // padding
  CHECK_FALSE(inflate_all(gz + "junk", Codec::gzip));
}

TEST_CASE("read_tar: a tar in bzip2 or xz is read like any other") {
  auto dir = temp_dir();
  std::vector<mlpack::archive::Entry> entries{mlpack::archive::file_entry("a.txt", "alpha"),
                                               mlpack::archive::dir_entry("d")};
  mlpack::util::StringWriter tar;
  REQUIRE(mlpack::archive::write_layer(entries, {.compression = mlpack::archive::Compression::none}, tar));
  for (Codec c : {Codec::bzip2, Codec::xz}) {
    mlpack::util::StringReader in(compress(tar.out, c));
    std::map<std::string, std::string> seen;
    auto r = mlpack::archive::read_tar(in, [&](const mlpack::archive::TarEntry& e, mlpack::util::Reader& content)
                                               -> mlpack::util::Result<void> {
      seen[e.path] = mlpack::util::read_all(content, 1 << 20).value();
      return {};
    });
    REQUIRE_MESSAGE(r, r.error().message);
    CHECK(r->codec == c);
    CHECK(r->diff_id == mlpack::util::Digest::sha256_of(tar.out));
    CHECK(seen == std::map<std::string, std::string>{{"a.txt", "alpha"}, {"d", ""}});
  }
}

TEST_CASE("decompress: a stream inflating past the ratio limit is refused; real data is not") {
  const std::string zeros(8 << 20, '\0');
  const std::string text = pseudo_text(4 << 20, 11);
  for (Codec c : {Codec::gzip, Codec::bzip2, Codec::xz, Codec::zstd}) {
    CAPTURE(mlpack::archive::codec_name(c));
    auto bomb = compress(zeros, c);
    mlpack::util::StringReader in(bomb);
    mlpack::archive::UnpackLimits limits;  // the defaults: 1000:1 past 1 MiB
    auto reader = mlpack::archive::decompress(in, c, limits.stream());
    REQUIRE(reader);
    auto all = mlpack::util::read_all(**reader, 64 << 20);
    REQUIRE_FALSE(all);
    CHECK(all.error().kind == ErrorKind::integrity);
    CHECK_MESSAGE(all.error().message.find("more than 1000 times its compressed size") != std::string::npos,
                  all.error().message);

    auto packed = compress(text, c);
    mlpack::util::StringReader fine(packed);
    auto ok = mlpack::archive::decompress(fine, c, limits.stream());
    REQUIRE(ok);
    CHECK(mlpack::util::read_all(**ok, 64 << 20).value() == text);
    // Without a ratio bound the bomb is only data.
    mlpack::util::StringReader again(bomb);
    auto unbounded = mlpack::archive::decompress(again, c);
    REQUIRE(unbounded);
    CHECK(mlpack::util::read_all(**unbounded, 64 << 20).value().size() == zeros.size());
  }
  // Under the floor, any ratio is fine (a small file of zeros).
  auto small = compress(std::string(512 << 10, '\0'), Codec::xz);
  mlpack::util::StringReader in(small);
  auto r = mlpack::archive::decompress(in, Codec::xz, mlpack::archive::UnpackLimits{}.stream());
  REQUIRE(r);
  CHECK(mlpack::util::read_all(**r, 1 << 20).value().size() == 512 << 10);
}
