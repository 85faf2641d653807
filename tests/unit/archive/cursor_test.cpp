// TarCursor: read_tar_stream's members pulled one at a time.
#include <doctest/doctest.h>

#include "archive/reader.hpp"
#include "archive/tar_header.hpp"
#include "util/io.hpp"

using namespace mlpack::archive;
using mlpack::util::ErrorKind;

namespace {

std::string tar_of(std::initializer_list<std::pair<std::string, std::string>> files, std::string extra = "") {
  std::string bytes;
  for (const auto& [name, content] : files) {
    detail::TarHeader h{name, '0', 0644, content.size(), 0, ""};
    bytes += detail::encode_tar_header(h);
    bytes += content;
    bytes.append(detail::tar_padding(content.size()), '\0');
  }
  return bytes + extra + std::string(1024, '\0');
}

}  // namespace

TEST_CASE("cursor: members in order, content read in part or not at all, then the end") {
  mlpack::util::StringReader in(tar_of({{"a.txt", "alpha"}, {"b/c.txt", "charlie"}, {"d.txt", "delta"}}));
  auto cursor = TarCursor::open(in);
  REQUIRE(cursor);
  auto a = (*cursor)->next();
  REQUIRE(a);
  REQUIRE(a->has_value());
  CHECK((*a)->path == "a.txt");
  std::string buf(2, '\0');
  auto n = (*cursor)->content().read(std::as_writable_bytes(std::span(buf)));
  REQUIRE(n);
  CHECK(buf.substr(0, *n) == "al");  // the rest of a.txt is skipped by next()
  auto c = (*cursor)->next();
  REQUIRE(c);
  CHECK((*c)->path == "b/c.txt");
  auto all = mlpack::util::read_all((*cursor)->content(), 100);
  REQUIRE(all);
  CHECK(*all == "charlie");
  auto d = (*cursor)->next();
  REQUIRE(d);
  CHECK((*d)->path == "d.txt");
  auto end = (*cursor)->next();
  REQUIRE(end);
  CHECK(!end->has_value());
}

TEST_CASE("cursor: the reader's refusals, member by member") {
  mlpack::util::StringReader in(tar_of({{"ok", "x"}, {"../escape", "y"}}));
  auto cursor = TarCursor::open(in);
  REQUIRE(cursor);
  REQUIRE((*cursor)->next());
  auto bad = (*cursor)->next();
  REQUIRE(!bad);
  CHECK(bad.error().kind == ErrorKind::integrity);
  CHECK(bad.error().message.find("../escape") != std::string::npos);
}
