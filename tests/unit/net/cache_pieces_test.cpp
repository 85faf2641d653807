// The pieces the index clients (cranindex, condaindex) and pyindex's page cache share: validators,
// a cache entry's state.json, the spool a download lands in, authorized GETs, and the hex check.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "net/authorized_get.hpp"
#include "net/spool.hpp"
#include "net/validators.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

using namespace mlpack;
namespace fs = std::filesystem;

namespace {
util::Bytes bytes(std::string_view s) { return util::as_bytes(s); }

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

TEST_CASE("validators come from a response and go back as conditional headers") {
  net::Response r;
  r.headers.set("etag", "\"abc\"");
  r.headers.set("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
  auto v = net::Validators::of(r);
  CHECK(v.etag == "\"abc\"");
  CHECK(v.last_modified == "Tue, 01 Dec 2026 10:00:00 GMT");
  CHECK_FALSE(v.empty());
  net::Request req;
  v.add_to(req);
  CHECK(req.headers.get("If-None-Match") == "\"abc\"");
  CHECK(req.headers.get("If-Modified-Since") == "Tue, 01 Dec 2026 10:00:00 GMT");

  auto none = net::Validators::of(net::Response{});
  CHECK(none.empty());
  net::Request plain;
  none.add_to(plain);
  CHECK(plain.headers.fields().empty());

  net::Validators only_date{std::nullopt, "Mon, 30 Nov 2026 00:00:00 GMT"};
  net::Request dated;
  only_date.add_to(dated);
  CHECK_FALSE(dated.headers.has("If-None-Match"));
  CHECK(dated.headers.has("If-Modified-Since"));
}

TEST_CASE("a cache entry's state round-trips, in the format earlier versions wrote") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto path = dir->path() / "state.json";
  CHECK_FALSE(net::load_entry_state(path));  // missing: a full fetch

  net::EntryState s{"https://cran.example/src/contrib/PACKAGES.gz", "gz", {"\"e1\"", std::nullopt}, {}};
  s.numbers["zst_missing_at"] = 1'700'000'000;
  REQUIRE(net::store_entry_state(path, s));
  auto j = nlohmann::json::parse(*util::read_file(path));
  // The keys cranindex and condaindex have always written; absent validators are left out.
  CHECK(j == nlohmann::json{{"url", s.url}, {"variant", "gz"}, {"etag", "\"e1\""}, {"zst_missing_at", 1'700'000'000}});

  auto back = net::load_entry_state(path);
  REQUIRE(back);
  CHECK(back->url == s.url);
  CHECK(back->variant == "gz");
  CHECK(back->validators.etag == "\"e1\"");
  CHECK_FALSE(back->validators.last_modified);
  CHECK(back->numbers.at("zst_missing_at") == 1'700'000'000);

  SUBCASE("a state.json written by the earlier condaindex code reads the same") {
    REQUIRE(util::write_file_atomic(path, R"({"etag":"W/\"x\"","last_modified":"Tue, 01 Dec 2026 10:00:00 GMT",)"
                                          R"("url":"https://c.example/linux-64/repodata.json","variant":"zst",)"
                                          R"("zst_missing_at":12})"
                                          "\n"));
    auto old = net::load_entry_state(path);
    REQUIRE(old);
    CHECK(old->variant == "zst");
    CHECK(old->validators.etag == "W/\"x\"");
    CHECK(old->validators.last_modified == "Tue, 01 Dec 2026 10:00:00 GMT");
    CHECK(old->numbers.at("zst_missing_at") == 12);
  }
  SUBCASE("mistyped keys read as absent; a number cannot take a reserved name") {
    REQUIRE(util::write_file_atomic(path, R"({"url":3,"variant":"plain","etag":null,"zst_missing_at":"soon"})"));
    auto odd = net::load_entry_state(path);
    REQUIRE(odd);
    CHECK(odd->url.empty());
    CHECK(odd->variant == "plain");
    CHECK_FALSE(odd->validators.etag);
    CHECK(odd->numbers.empty());
    net::EntryState clash{"u", "v", {}, {{"url", 5}}};
    REQUIRE(net::store_entry_state(path, clash));
    CHECK(net::load_entry_state(path)->url == "u");
  }
  SUBCASE("garbage or an oversized file is a miss, not an error") {
    REQUIRE(util::write_file_atomic(path, "not json"));
    CHECK_FALSE(net::load_entry_state(path));
    REQUIRE(util::write_file_atomic(path, "[1,2]"));
    CHECK_FALSE(net::load_entry_state(path));
    REQUIRE(util::write_file_atomic(path, "{\"url\":\"" + std::string(70'000, 'a') + "\"}"));
    CHECK_FALSE(net::load_entry_state(path));
  }
}

TEST_CASE("a spool appears only on commit, starts over on restart, and refuses what is too large") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  const auto dest = dir->path() / "body";

  SUBCASE("commit") {
    net::Spool spool(dest, 10, "`x`");
    REQUIRE(spool.restart());
    REQUIRE(spool.write(bytes("hello")));
    CHECK_FALSE(fs::exists(dest));
    CHECK(spool.count() == 5);
    REQUIRE(spool.file().commit());
    CHECK(util::read_file(dest) == "hello");
  }
  SUBCASE("restart drops what was written") {
    net::Spool spool(dest, 10, "`x`", util::ErrorKind::invalid_input, net::Spool::Hashes::sha256_md5);
    REQUIRE(spool.restart());
    REQUIRE(spool.write(bytes("garbage")));
    REQUIRE(spool.restart());
    CHECK(spool.count() == 0);
    REQUIRE(spool.write(bytes("abc")));
    // The hashes cover only what came after the restart.
    CHECK(spool.sha256_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(spool.md5_hex() == "900150983cd24fb0d6963f7d28e17f72");
    REQUIRE(spool.file().commit_as(dir->path() / "named"));
    CHECK(util::read_file(dir->path() / "named") == "abc");
    CHECK(files_in(dir->path()) == 1);  // the dropped temporary file is gone
  }
  SUBCASE("the limit is checked before the bytes reach the disk") {
    net::Spool spool(dest, 4, "`https://h/x`", util::ErrorKind::integrity);
    REQUIRE(spool.restart());
    REQUIRE(spool.write(bytes("abcd")));  // exactly the limit is fine
    auto r = spool.write(bytes("e"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(r.error().message == "`https://h/x` is larger than " + util::human_bytes(4) + "; refused");
    CHECK(spool.count() == 4);
    CHECK(fs::file_size(spool.file().temp_path()) == 4);
  }
  SUBCASE("abandoned: nothing is left") {
    {
      net::Spool spool(dest, 10, "`x`");
      REQUIRE(spool.restart());
      REQUIRE(spool.write(bytes("partial")));
    }
    CHECK(files_in(dir->path()) == 0);
  }
  SUBCASE("a write before restart is an error, not a crash") {
    net::Spool spool(dest, 10, "`x`");
    CHECK_FALSE(spool.write(bytes("a")));
  }
}

TEST_CASE("authorized GETs carry credentials as a header, and secrets are scrubbed from messages") {
  auto r = net::authorized_get("https://h.example/x", util::Credentials{"ann", "s3cret"}, "R (4.4.1)");
  CHECK(r.method == "GET");
  CHECK(r.url == "https://h.example/x");
  CHECK(r.headers.get("Authorization") == "Basic YW5uOnMzY3JldA==");
  CHECK(r.headers.get("User-Agent") == "R (4.4.1)");
  auto bare = net::authorized_get("https://h.example/x", std::nullopt);
  CHECK(bare.headers.fields().empty());

  util::Error e{util::ErrorKind::network, "GET https://ann:s3cret@h/x: s3cret rejected"};
  auto scrubbed = net::scrub_credentials(e, util::Credentials{"ann", "s3cret"});
  CHECK(scrubbed.message == "GET https://ann:***@h/x: *** rejected");
  CHECK(scrubbed.kind == util::ErrorKind::network);
  CHECK(net::scrub_credentials(e, std::nullopt).message == e.message);
  CHECK(net::scrub_secret(e, "s").message == e.message);  // too short to tell from text
  // A secret that the mask itself contains does not loop forever.
  CHECK(net::scrub_secret(util::Error{util::ErrorKind::http, "a**b"}, "**").message == "a***b");

  net::Response forbidden;
  forbidden.status = 403;
  auto err = net::status_error(forbidden, "https://h/PACKAGES", "credentials come from the URL");
  CHECK(err.kind == util::ErrorKind::http);
  CHECK(err.message == "GET https://h/PACKAGES: 403 Forbidden (credentials come from the URL)");
  net::Response missing;
  missing.status = 500;
  CHECK(net::status_error(missing, "u", "hint").message == "GET u: 500 Internal Server Error");
}

TEST_CASE("is_lower_hex: the hex check index checksums go through") {
  CHECK(util::is_lower_hex("0123456789abcdef"));
  CHECK(util::is_lower_hex(std::string(64, 'a'), 64));
  CHECK_FALSE(util::is_lower_hex(std::string(63, 'a'), 64));
  CHECK_FALSE(util::is_lower_hex(std::string(32, 'A'), 32));
  CHECK_FALSE(util::is_lower_hex("12g4"));
  CHECK_FALSE(util::is_lower_hex(""));
  CHECK_FALSE(util::is_lower_hex("", 0));
}
