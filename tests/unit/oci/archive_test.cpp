#include <doctest/doctest.h>
#include <zstd.h>

#include "oci/archive_transport.hpp"
#include "oci/layout.hpp"
#include "oci/tar_io.hpp"
#include "skip.hpp"
#include "test_image.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::oci;
using util::ErrorKind;
namespace fs = std::filesystem;
using test_image::make_image;
using test_image::write_image;

namespace {
const std::vector<std::pair<std::string, std::string>> base_files = {{"etc/os-release", "ID=test\n"},
                                                                     {"bin/hello", "#!/bin/sh\necho hi\n"}};

// name -> content of every regular member, and the member order.
std::pair<std::map<std::string, std::string>, std::vector<std::string>> read_tar(const fs::path& path) {
  std::map<std::string, std::string> files;
  std::vector<std::string> order;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, path.c_str(), 65536) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    order.push_back(name);
    CHECK(archive_entry_uid(e) == 0);
    CHECK(archive_entry_mtime(e) == 0);
    std::string data;
    char buf[8192];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
    files[name] = data;
  }
  archive_read_free(a);
  return {files, order};
}

struct Member {
  std::string name;
  char type;  // 'f' file, 'l' symlink, 'h' hardlink, 'p' fifo
  std::string data;
};

void write_raw_tar(const fs::path& path, const std::vector<Member>& members) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, 0644);
    if (m.type == 'f') {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    } else if (m.type == 'l') {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, m.data.c_str());
    } else if (m.type == 'h') {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, m.data.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFIFO);
    }
    archive_write_header(a, e);
    if (m.type == 'f') archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
}  // namespace

TEST_CASE("oci-archive: round trip, deterministic bytes, skopeo reads it") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto img = make_image({base_files, {{"app/main.py", "print(1)\n"}}});
  auto file = tmp->path() / "out" / "image.tar";  // parent created on demand
  {
    auto dest = open_oci_archive_destination(file, "v1");
    REQUIRE_MESSAGE(dest, dest.error().message);
    CHECK((*dest)->describe() == "oci-archive:" + file.string() + ":v1");
    REQUIRE(write_image(**dest, img));
  }
  CHECK(entries_in(tmp->path() / "out") == 1);  // the staging directory is gone

  auto [files, order] = read_tar(file);
  CHECK(files.at("oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(files.contains("blobs/sha256/" + img.manifest.digest.hex()));
  CHECK(std::is_sorted(order.begin(), order.end()));

  for (std::string_view tag : {"v1", ""}) {
    auto src = open_oci_archive_source(file, tag);
    REQUIRE_MESSAGE(src, src.error().message);
    auto back = test_image::read_image(**src);
    REQUIRE_MESSAGE(back, back.error().message);
    CHECK(back->manifest.digest == img.manifest.digest);
    for (std::size_t i = 0; i < img.blobs.size(); ++i) CHECK(back->blobs[i] == img.blobs[i].bytes);
  }
  auto wrong = open_oci_archive_source(file, "v2");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().kind == ErrorKind::not_found);
  CHECK(wrong.error().message.find("oci-archive:" + file.string()) == 0);
  CHECK(wrong.error().message.find("`v1`") != std::string::npos);

  // Same image, second file: same bytes.
  auto file2 = tmp->path() / "image2.tar";
  REQUIRE(write_image(**open_oci_archive_destination(file2, "v1"), img));
  CHECK(*util::sha256_file(file.string()) == *util::sha256_file(file2.string()));

  if (!test_image::have_skopeo()) {
    MLPACK_SKIP("the skopeo check: skopeo is not installed");
    return;
  }
  for (std::string loc : {"oci-archive:" + file.string(), "oci-archive:" + file.string() + ":v1"}) {
    auto [rc, out] = test_image::run("skopeo inspect " + loc);
    CAPTURE(loc);
    CAPTURE(out);
    CHECK(rc == 0);
    CHECK(out.find(img.manifest.digest.str()) != std::string::npos);
  }
}

TEST_CASE("docker-archive: layers stored uncompressed, round trip, skopeo reads it") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto img = make_image({base_files, {{"app/main.py", "print(1)\n"}}, base_files});  // a repeated layer
  auto file = tmp->path() / "image.tar";
  {
    auto dest = open_docker_archive_destination(file, "demo/app:v1");
    REQUIRE_MESSAGE(dest, dest.error().message);
    REQUIRE(write_image(**dest, img));
  }
  CHECK(entries_in(tmp->path()) == 1);

  auto [files, order] = read_tar(file);
  auto manifest = nlohmann::json::parse(files.at("manifest.json"));
  REQUIRE(manifest.is_array());
  REQUIRE(manifest.size() == 1);
  CHECK(manifest[0]["Config"] == img.blobs[0].desc.digest.hex() + ".json");
  CHECK(manifest[0]["RepoTags"] == nlohmann::json::array({"demo/app:v1"}));
  REQUIRE(manifest[0]["Layers"].size() == 3);
  CHECK(files.size() == 4);  // manifest.json, config, two distinct layers
  CHECK(files.at(img.blobs[0].desc.digest.hex() + ".json") == img.blobs[0].bytes);
  for (std::size_t i = 0; i < 3; ++i) {
    auto name = manifest[0]["Layers"][i].get<std::string>();
    CHECK(name == img.config.diff_ids[i].hex() + ".tar");
    CHECK(Digest::sha256_of(files.at(name)) == img.config.diff_ids[i]);
  }

  auto src = open_docker_archive_source(file, "demo/app:v1");
  REQUIRE_MESSAGE(src, src.error().message);
  auto back = test_image::read_image(**src);
  REQUIRE_MESSAGE(back, back.error().message);
  CHECK(back->manifest.media_type == media::oci_manifest);
  CHECK(back->parsed.config.digest == img.blobs[0].desc.digest);
  CHECK(back->blobs[0] == img.blobs[0].bytes);
  REQUIRE(back->parsed.layers.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back->parsed.layers[i].media_type == media::oci_layer_tar);
    CHECK(back->parsed.layers[i].digest == img.config.diff_ids[i]);
  }
  CHECK(open_docker_archive_source(file)->get()->get_manifest()->digest == back->manifest.digest);
  auto other = open_docker_archive_source(file, "demo/other");
  REQUIRE_FALSE(other);
  CHECK(other.error().kind == ErrorKind::not_found);
  CHECK(other.error().message.find("`demo/app:v1`") != std::string::npos);

  // What we read from a docker archive writes back to one unchanged (uncompressed layers).
  auto file2 = tmp->path() / "again.tar";
  {
    auto dest = open_docker_archive_destination(file2, "demo/app:v1");
    REQUIRE(dest);
    for (std::size_t i = 0; i < back->blobs.size(); ++i) {
      auto d = i == 0 ? back->parsed.config : back->parsed.layers[i - 1];
      REQUIRE((*dest)->put_blob(d, test_image::opener(back->blobs[i])));
    }
    REQUIRE((*dest)->commit(back->manifest));
  }
  CHECK(*util::sha256_file(file.string()) == *util::sha256_file(file2.string()));

  if (!test_image::have_skopeo()) {
    MLPACK_SKIP("the skopeo check: skopeo is not installed");
    return;
  }
  auto [rc, out] = test_image::run("skopeo inspect docker-archive:" + file.string());
  CAPTURE(out);
  CHECK(rc == 0);
  CHECK(out.find(img.config.diff_ids[1].str()) != std::string::npos);
  // skopeo copy checks every layer against the config's diff_ids.
  auto [rc2, out2] = test_image::run("skopeo copy docker-archive:" + file.string() + " oci:" +
                                     (tmp->path() / "copied").string() + ":x");
  CAPTURE(out2);
  CHECK(rc2 == 0);
}

TEST_CASE("docker-archive: zstd and uncompressed layers are accepted") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto tar = test_image::make_tar(base_files);
  std::string zst(ZSTD_compressBound(tar.size()), '\0');
  zst.resize(ZSTD_compress(zst.data(), zst.size(), tar.data(), tar.size(), 3));
  ImageConfig cfg;
  cfg.diff_ids = {Digest::sha256_of(tar), Digest::sha256_of(tar)};
  auto cfg_json = to_json(cfg);
  Manifest m;
  m.config = {std::string(media::oci_config), Digest::sha256_of(cfg_json), static_cast<std::int64_t>(cfg_json.size())};
  m.layers = {{std::string(media::oci_layer_zstd), Digest::sha256_of(zst), static_cast<std::int64_t>(zst.size())},
              {std::string(media::oci_layer_tar), Digest::sha256_of(tar), static_cast<std::int64_t>(tar.size())}};
  auto raw = RawManifest::from_bytes(to_json(m), std::string(media::oci_manifest));
  auto file = tmp->path() / "z.tar";
  auto dest = open_docker_archive_destination(file, "z");
  REQUIRE(dest);
  REQUIRE((*dest)->put_blob(m.config, test_image::opener(cfg_json)));
  auto r = (*dest)->put_blob(m.layers[0], test_image::opener(zst));
  REQUIRE_MESSAGE(r, r.error().message);
  REQUIRE((*dest)->put_blob(m.layers[1], test_image::opener(tar)));
  auto c = (*dest)->commit(raw);
  REQUIRE_MESSAGE(c, c.error().message);
  auto [files, order] = read_tar(file);
  CHECK(nlohmann::json::parse(files.at("manifest.json"))[0]["RepoTags"][0] == "z:latest");
  CHECK(files.at(Digest::sha256_of(tar).hex() + ".tar") == tar);
}

TEST_CASE("docker-archive: mismatched diff_ids, indexes and corrupt blobs are refused; FILE stays intact") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto file = tmp->path() / "image.tar";
  REQUIRE(util::write_file_atomic(file, "previous content"));

  auto img = make_image({base_files});
  // A config that names a different diff_id than the layer holds.
  ImageConfig lying = img.config;
  lying.diff_ids[0] = Digest::sha256_of("something else");
  auto lying_json = to_json(lying);
  auto m = parse_manifest(img.manifest.bytes).value();
  m.config = {std::string(media::oci_config), Digest::sha256_of(lying_json), static_cast<std::int64_t>(lying_json.size())};
  auto raw = RawManifest::from_bytes(to_json(m), std::string(media::oci_manifest));
  {
    auto dest = open_docker_archive_destination(file, "x:y");
    REQUIRE(dest);
    REQUIRE((*dest)->put_blob(m.config, test_image::opener(lying_json)));
    REQUIRE((*dest)->put_blob(img.blobs[1].desc, test_image::opener(img.blobs[1].bytes)));
    auto r = (*dest)->commit(raw);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(r.error().message.find("diff_id") != std::string::npos);

    auto idx = RawManifest::from_bytes(R"({"schemaVersion":2,"manifests":[]})", std::string(media::oci_index));
    auto i = (*dest)->commit(idx);
    REQUIRE_FALSE(i);
    CHECK(i.error().kind == ErrorKind::unsupported);

    // A compressed blob whose bytes do not match its digest.
    std::string corrupt = img.blobs[1].bytes;
    corrupt[corrupt.size() / 2] ^= 0x55;
    auto c = (*dest)->put_blob(img.blobs[1].desc, test_image::opener(corrupt));
    // Already stored under that digest from the good copy: skipped. Use a fresh destination.
    CHECK(c);
    auto dest2 = open_docker_archive_destination(tmp->path() / "other.tar");
    REQUIRE(dest2);
    auto bad = (*dest2)->put_blob(img.blobs[1].desc, test_image::opener(corrupt));
    REQUIRE_FALSE(bad);
    CHECK((bad.error().kind == ErrorKind::integrity));
  }
  CHECK(*util::read_file(file) == "previous content");
  CHECK(entries_in(tmp->path()) == 1);  // no staging directories or temporaries left behind
}

TEST_CASE("docker-archive reference normalisation") {
  CHECK(docker_archive_repo_tag("app").value() == "app:latest");
  CHECK(docker_archive_repo_tag("team/app:1.0").value() == "team/app:1.0");
  CHECK(docker_archive_repo_tag("localhost:5000/app").value() == "localhost:5000/app:latest");
  CHECK(docker_archive_repo_tag("localhost:5000/app:v2").value() == "localhost:5000/app:v2");
  for (const char* bad : {"", "App", "app@sha256:abcd", "app:", "app:-x", "/app", "app:a/b", "host:/app"}) {
    CAPTURE(bad);
    auto r = docker_archive_repo_tag(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
  }
  CHECK(open_docker_archive_destination("/tmp/x.tar", "Bad").error().kind == ErrorKind::invalid_input);
}

TEST_CASE("archive sources refuse members that escape and accept links that stay inside") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  struct Case {
    const char* what;
    std::vector<Member> members;
  };
  for (const auto& [what, members] : std::vector<Case>{
           {"dot-dot", {{"../evil", 'f', "x"}}},
           {"nested dot-dot", {{"blobs/../../evil", 'f', "x"}}},
           {"absolute", {{"/etc/evil", 'f', "x"}}},
           {"symlink out", {{"manifest.json", 'l', "../../etc/passwd"}}},
           {"absolute symlink", {{"manifest.json", 'l', "/etc/passwd"}}},
           {"hardlink out", {{"manifest.json", 'h', "../x"}}},
           {"fifo", {{"fifo", 'p', ""}}},
       }) {
    CAPTURE(what);
    auto path = tmp->path() / "bad.tar";
    write_raw_tar(path, members);
    for (int docker = 0; docker < 2; ++docker) {
      auto r = docker ? open_docker_archive_source(path) : open_oci_archive_source(path);
      REQUIRE_FALSE(r);
      CHECK(r.error().kind == ErrorKind::integrity);
    }
  }
  CHECK_FALSE(fs::exists(tmp->path().parent_path() / "evil"));

  // docker save's legacy layout links layers between directories; these stay inside.
  auto img = make_image({base_files});
  auto layer_tar = test_image::make_tar(base_files);
  auto cfg = img.blobs[0].bytes;
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", "config.json"}, {"RepoTags", {"legacy:1"}}, {"Layers", {"b/layer.tar"}}}});
  auto path = tmp->path() / "legacy.tar";
  write_raw_tar(path, {{"manifest.json", 'f', manifest.dump()},
                       {"./config.json", 'f', cfg},
                       {"b/layer.tar", 'l', "../a/layer.tar"},
                       {"a/layer.tar", 'f', layer_tar}});
  auto src = open_docker_archive_source(path, "legacy:1");
  REQUIRE_MESSAGE(src, src.error().message);
  auto back = test_image::read_image(**src);
  REQUIRE_MESSAGE(back, back.error().message);
  CHECK(back->blobs[1] == layer_tar);

  auto not_archive = tmp->path() / "plain.txt";
  REQUIRE(util::write_file_atomic(not_archive, "hello"));
  CHECK(open_docker_archive_source(not_archive).error().kind == ErrorKind::invalid_input);
  CHECK(open_oci_archive_source(tmp->path() / "missing.tar").error().kind == ErrorKind::not_found);
}

TEST_CASE("safe_relative") {
  CHECK(tar_io::safe_relative("./a//b/./c").value() == "a/b/c");
  CHECK(tar_io::safe_relative("./").value().empty());
  CHECK_FALSE(tar_io::safe_relative("a/../b"));
  CHECK_FALSE(tar_io::safe_relative("/a"));
}
