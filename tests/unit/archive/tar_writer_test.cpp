// archive::TarWriter writes, byte for byte, what the archive transports wrote with libarchive's
// pax_restricted writer before it replaced it (so oci-archive: and docker-archive: outputs keep
// their bytes), and refuses content that is not the size it was announced with.
#include "archive/tar_writer.hpp"
#include "archive_test_util.hpp"
#include "test_archives.hpp"

using namespace archive_test;

namespace {

struct RefMember {
  std::string name;
  bool directory = false;
  std::string content;
};

// The removed writer (oci/tar_io.cpp), as it configured libarchive.
std::string libarchive_tar(const std::vector<RefMember>& members) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  mlpack::test::open_to_string(a, &out);
  for (const auto& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    if (m.directory) {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, 0755);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!m.content.empty()) archive_write_data(a, m.content.data(), m.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace

TEST_CASE("TarWriter: the bytes libarchive's pax_restricted writer gave the archive transports") {
  std::string hex(64, 'a');
  std::vector<RefMember> members = {
      {"blobs/", true, ""},
      {"blobs/sha256/", true, ""},
      {"blobs/sha256/" + hex, false, pseudo_text(70000, 1)},
      {"blobs/sha256/" + std::string(64, 'b'), false, ""},
      {hex + ".json", false, "{}"},
      {hex + ".tar", false, std::string(512, 'x')},
      {"index.json", false, std::string(513, 'y')},
      {"manifest.json", false, std::string(511, 'z')},
      {"oci-layout", false, "{\"imageLayoutVersion\":\"1.0.0\"}"},
      {std::string(99, 'n'), false, "long"},
  };
  mlpack::util::StringWriter out;
  mlpack::archive::TarWriter tar(out);
  for (const auto& m : members) {
    if (m.directory) {
      REQUIRE(tar.add_directory(m.name));
    } else {
      mlpack::util::StringReader content(m.content);
      REQUIRE(tar.add_file(m.name, m.content.size(), content));
    }
  }
  REQUIRE(tar.finish());
  auto expected = libarchive_tar(members);
  REQUIRE(out.out.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (out.out[i] != expected[i]) {
      FAIL_CHECK("first difference at byte " << i << " (block " << i / 512 << ", offset " << i % 512 << ")");
      break;
    }
  CHECK(out.out == expected);
}

TEST_CASE("TarWriter: content that is not the announced size is an error") {
  mlpack::util::StringWriter out;
  mlpack::archive::TarWriter tar(out);
  mlpack::util::StringReader longer("12345");
  auto grew = tar.add_file("f", 4, longer);
  REQUIRE_FALSE(grew);
  CHECK(grew.error().message.find("grew") != std::string::npos);
  mlpack::util::StringReader shorter("123");
  auto shrank = tar.add_file("g", 4, shorter);
  REQUIRE_FALSE(shrank);
  CHECK(shrank.error().message.find("shrank") != std::string::npos);
}
