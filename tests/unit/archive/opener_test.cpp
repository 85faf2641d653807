// Entries whose content comes from a ContentOpener (streamed when the layer is written).
#include <algorithm>
#include <cstring>

#include "archive_test_util.hpp"

using namespace archive_test;
using namespace mlpack::archive;
using mlpack::util::ErrorKind;

namespace {

// Yields `text`, then (when `fail_at_end` is set) fails at the end as a digest-checking reader would.
class ChunkyReader final : public util::Reader {
 public:
  ChunkyReader(std::string text, bool fail_at_end) : text_(std::move(text)), fail_at_end_(fail_at_end) {}
  util::Result<std::size_t> read(std::span<std::byte> out) override {
    if (pos_ == text_.size()) {
      if (fail_at_end_) return util::fail(ErrorKind::integrity, "digest mismatch at the end");
      return 0;
    }
    std::size_t n = std::min<std::size_t>({out.size(), text_.size() - pos_, 7});  // short reads
    std::memcpy(out.data(), text_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string text_;
  bool fail_at_end_;
  std::size_t pos_ = 0;
};

Entry opened(std::string path, std::string text, std::uint64_t size, bool fail_at_end = false, int* calls = nullptr) {
  Entry e;
  e.path = std::move(path);
  e.size = size;
  e.open = [text = std::move(text), fail_at_end, calls]() -> util::Result<std::unique_ptr<util::Reader>> {
    if (calls) ++*calls;
    return std::make_unique<ChunkyReader>(text, fail_at_end);
  };
  return e;
}

util::Result<LayerResult> try_layer(std::vector<Entry> entries) {
  util::StringWriter out;
  return write_layer(std::move(entries), {.compression = Compression::none}, out);
}

}  // namespace

TEST_CASE("an opened entry is streamed into the layer, and matches the same bytes given as data") {
  std::string text = pseudo_text(3 * gzip_block_size + 123, 3);
  int calls = 0;
  auto a = layer_of({opened("opt/big.bin", text, text.size(), false, &calls)}, {.compression = Compression::gzip});
  CHECK(calls == 1);
  Entry d;
  d.path = "opt/big.bin";
  d.data = text;
  auto b = layer_of({d}, {.compression = Compression::gzip});
  CHECK(a.result.diff_id == b.result.diff_id);
  CHECK(a.bytes == b.bytes);
  auto members = list_tar(gunzip(a.bytes));
  REQUIRE(members.size() == 1);
  CHECK(members[0].content == text);
}

TEST_CASE("an opened entry that is shorter or longer than its size is refused") {
  auto shorter = try_layer({opened("a", "abc", 4)});
  REQUIRE_FALSE(shorter);
  CHECK(shorter.error().message.find("`a`") != std::string::npos);
  CHECK(shorter.error().message.find("ended after 3 of 4 bytes") != std::string::npos);
  auto longer = try_layer({opened("a", "abcde", 4)});
  REQUIRE_FALSE(longer);
  CHECK(longer.error().message.find("longer") != std::string::npos);
}

TEST_CASE("errors from the opener or from the end of its stream stop the layer") {
  Entry e;
  e.path = "x";
  e.size = 1;
  e.open = []() -> util::Result<std::unique_ptr<util::Reader>> {
    return util::fail(ErrorKind::not_found, "member gone");
  };
  auto r = try_layer({e});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.find("member gone") != std::string::npos);

  auto end = try_layer({opened("y", "hello", 5, true)});
  REQUIRE_FALSE(end);
  CHECK(end.error().kind == ErrorKind::integrity);
}

TEST_CASE("an empty opened entry still reads its stream to the end") {
  auto r = try_layer({opened("empty", "", 0, true)});
  REQUIRE_FALSE(r);  // the reader's end-of-stream check runs even for zero bytes
  auto ok = try_layer({opened("empty", "", 0)});
  CHECK(ok);
}
