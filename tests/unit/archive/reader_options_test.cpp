// The tar reader's optional rules (ReadOptions::symlinks, special_files, malformed) and
// resolve_symlink, which deb and oci rely on to share one set of rules.
#include "archive/reader.hpp"
#include "archive/tar_header.hpp"
#include "archive_test_util.hpp"

using namespace mlpack::archive;
using mlpack::util::ErrorKind;
using mlpack::util::Result;

namespace {

std::string tar_of(std::vector<detail::TarHeader> members) {
  std::string out;
  for (auto& h : members) out += detail::encode_tar_header(h);
  return out + std::string(1024, '\0');
}

Result<void> read(const std::string& bytes, const ReadOptions& options) {
  mlpack::util::StringReader in(bytes);
  return read_tar_stream(in, [](const TarEntry&, mlpack::util::Reader&) -> Result<void> { return {}; }, options);
}

}  // namespace

TEST_CASE("reader options: symlinks that climb out of the root are refused when asked") {
  const ReadOptions inside{.symlinks = Symlinks::inside_root};
  for (const char* target : {"../etc/shadow", "a/../../../x", "/../etc", "../../../etc"}) {
    CAPTURE(std::string(target));
    auto tar = tar_of({{"./usr/link", '2', 0777, 0, 0, target}});
    if (std::string_view(target) == "../etc/shadow") {
      CHECK(read(tar, {}));  // usr/../etc/shadow stays inside
      CHECK(read(tar, inside));
      continue;
    }
    CHECK(read(tar, {}));  // reported verbatim by default
    auto r = read(tar, inside);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(r.error().message == "tar member `./usr/link`: symlink target `" + std::string(target) + "` escapes the root");
  }
  CHECK(read(tar_of({{"bin", '2', 0777, 0, 0, "/usr/bin"}}), inside));
}

TEST_CASE("reader options: devices and FIFOs are refused when asked") {
  const ReadOptions refuse{.special_files = SpecialFiles::refuse};
  for (auto [type, name] : {std::pair{'3', "character device"}, {'4', "block device"}, {'6', "FIFO"}}) {
    CAPTURE(name);
    auto tar = tar_of({{"dev/x", type, 0644, 0, 0, ""}});
    CHECK(read(tar, {}));
    auto r = read(tar, refuse);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(r.error().message == "tar member `dev/x`: " + std::string(name) + " (devices and FIFOs are refused)");
  }
}

TEST_CASE("reader options: the kind of a malformed stream is the caller's; refusals stay integrity") {
  const ReadOptions user_file{.malformed = ErrorKind::invalid_input};
  auto junk = read(std::string(2000, 'x'), user_file);
  REQUIRE_FALSE(junk);
  CHECK(junk.error().kind == ErrorKind::invalid_input);
  auto escape = read(tar_of({{"../evil", '0', 0644, 0, 0, ""}}), user_file);
  REQUIRE_FALSE(escape);
  CHECK(escape.error().kind == ErrorKind::integrity);
}

TEST_CASE("reader options: an oversized member names its size and the limit") {
  std::string tar = detail::encode_tar_header({"big", '0', 0644, 4096, 0, ""}) + std::string(4096, 'x') +
                    std::string(1024, '\0');
  auto r = read(tar, {.max_member_size = 1024});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "tar member `big`: 4096 bytes, larger than the limit of 1024 bytes");
}

TEST_CASE("resolve_symlink: lexical, from the link's directory, inside the root") {
  CHECK(resolve_symlink("b/layer.tar", "../a/layer.tar") == "a/layer.tar");
  CHECK(resolve_symlink("usr/bin/sh", "dash") == "usr/bin/dash");
  CHECK(resolve_symlink("lib/x", "/usr/lib/x") == "usr/lib/x");
  CHECK(resolve_symlink("a/b", "./c/./d/..") == "a/c");
  CHECK(resolve_symlink("a", ".") == "");
  CHECK_FALSE(resolve_symlink("a", "../x"));
  CHECK_FALSE(resolve_symlink("a/b", "/../x"));
}
