#include "oci/layout.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <set>

#include "skip.hpp"
#include "test_image.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"

using namespace mlpack;
using namespace mlpack::oci;
using util::ErrorKind;
namespace fs = std::filesystem;
using test_image::make_image;
using test_image::write_image;

namespace {
std::vector<std::string> blob_files(const fs::path& layout) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(layout / "blobs" / "sha256")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> tags(const fs::path& layout) {
  auto idx = parse_index(*util::read_file(layout / "index.json"));
  REQUIRE(idx);
  std::map<std::string, std::string> out;
  for (const auto& d : idx->manifests) out[d.annotations.at(std::string(ref_name_annotation))] = d.digest.str();
  return out;
}

const std::vector<std::pair<std::string, std::string>> base_files = {{"etc/os-release", "ID=test\n"}};
}  // namespace

TEST_CASE("layout: two tags share blobs; re-tagging one keeps the other") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "layout";

  auto a = make_image({base_files, {{"app/a.py", "print('a')\n"}}}, "a");
  auto b = make_image({base_files, {{"app/b.py", "print('b')\n"}}}, "b");
  {
    auto dest = open_layout_destination(dir, "a");
    REQUIRE_MESSAGE(dest, dest.error().message);
    CHECK((*dest)->describe() == "oci:" + dir.string() + ":a");
    REQUIRE(write_image(**dest, a));
  }
  CHECK(*util::read_file(dir / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  {
    auto dest = open_layout_destination(dir, "b");
    REQUIRE(dest);
    // The shared base layer is already there; a copier would skip it.
    CHECK(*(*dest)->has_blob(b.blobs[1].desc, std::nullopt));
    CHECK_FALSE(*(*dest)->has_blob(b.blobs[2].desc, std::nullopt));
    REQUIRE(write_image(**dest, b));
  }
  auto t = tags(dir);
  CHECK(t.size() == 2);
  CHECK(t["a"] == a.manifest.digest.str());
  CHECK(t["b"] == b.manifest.digest.str());
  // a: config, base, app + manifest; b: config, app + manifest (base shared) = 7 files, no temporaries.
  std::set<std::string> expected;
  for (const auto* img : {&a, &b}) {
    expected.insert(img->manifest.digest.hex());
    for (const auto& blob : img->blobs) expected.insert(blob.desc.digest.hex());
  }
  CHECK(expected.size() == 7);
  auto files = blob_files(dir);
  CHECK(std::set<std::string>(files.begin(), files.end()) == expected);
  CHECK(files.size() == 7);

  // Overwrite a with a new image: b stays, a moves.
  auto a2 = make_image({base_files, {{"app/a.py", "print('a2')\n"}}}, "a2");
  {
    auto dest = open_layout_destination(dir, "a");
    REQUIRE(dest);
    REQUIRE(write_image(**dest, a2));
  }
  t = tags(dir);
  CHECK(t.size() == 2);
  CHECK(t["a"] == a2.manifest.digest.str());
  CHECK(t["b"] == b.manifest.digest.str());

  // Both read back through the source, byte for byte.
  for (auto [tag, img] : {std::pair{"a", &a2}, std::pair{"b", &b}}) {
    CAPTURE(tag);
    auto src = open_layout_source(dir, tag);
    REQUIRE_MESSAGE(src, src.error().message);
    auto back = test_image::read_image(**src);
    REQUIRE_MESSAGE(back, back.error().message);
    CHECK(back->manifest.bytes == img->manifest.bytes);
    CHECK(back->manifest.digest == img->manifest.digest);
    CHECK(back->manifest.media_type == media::oci_manifest);
    REQUIRE(back->blobs.size() == img->blobs.size());
    for (std::size_t i = 0; i < img->blobs.size(); ++i) CHECK(back->blobs[i] == img->blobs[i].bytes);
    auto by_digest = (*src)->get_manifest(img->manifest.digest);
    REQUIRE(by_digest);
    CHECK(by_digest->bytes == img->manifest.bytes);
  }
}

TEST_CASE("layout source: choosing an image") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "l";
  auto a = make_image({base_files}, "a");
  REQUIRE(write_image(**open_layout_destination(dir, "one"), a));

  auto only = open_layout_source(dir);  // a single image needs no tag
  REQUIRE_MESSAGE(only, only.error().message);
  CHECK((*only)->get_manifest()->digest == a.manifest.digest);

  auto b = make_image({base_files}, "b");
  REQUIRE(write_image(**open_layout_destination(dir, "two"), b));
  auto ambiguous = open_layout_source(dir);
  REQUIRE_FALSE(ambiguous);
  CHECK(ambiguous.error().kind == ErrorKind::invalid_input);
  CHECK(ambiguous.error().message.find("`one`, `two`") != std::string::npos);

  auto missing = open_layout_source(dir, "three");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find("`three`") != std::string::npos);
  CHECK(missing.error().message.find("`one`") != std::string::npos);

  auto not_layout = open_layout_source(tmp->path());
  REQUIRE_FALSE(not_layout);
  CHECK(not_layout.error().kind == ErrorKind::not_found);
  CHECK(not_layout.error().message.find("not an OCI layout") != std::string::npos);

  CHECK(open_layout_source(dir, "bad tag").error().kind == ErrorKind::invalid_input);
  CHECK(open_layout_destination(dir, "-x").error().kind == ErrorKind::invalid_input);

  // Untagged writes replace the untagged entry for the same digest instead of piling up.
  REQUIRE(write_image(**open_layout_destination(dir), a));
  REQUIRE(write_image(**open_layout_destination(dir), a));
  CHECK(parse_index(*util::read_file(dir / "index.json"))->manifests.size() == 3);

  // A blob missing from the layout is reported as such.
  fs::remove(dir / "blobs" / "sha256" / a.blobs[1].desc.digest.hex());
  auto src = open_layout_source(dir, "one");
  REQUIRE(src);
  auto blob = (*src)->open_blob(a.blobs[1].desc);
  REQUIRE_FALSE(blob);
  CHECK(blob.error().kind == ErrorKind::not_found);
  CHECK(blob.error().message.find(a.blobs[1].desc.digest.str()) != std::string::npos);
}

TEST_CASE("layout: a blob that does not match its descriptor is refused and leaves nothing") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "l";
  auto dest = open_layout_destination(dir, "x");
  REQUIRE(dest);
  std::string data = "some layer bytes";
  Descriptor wrong_digest{std::string(media::oci_layer_gzip), Digest::sha256_of("other bytes!!!!!"),
                          static_cast<std::int64_t>(data.size())};
  auto r = (*dest)->put_blob(wrong_digest, test_image::opener(data));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);
  CHECK(r.error().message.find(wrong_digest.digest.str()) != std::string::npos);

  Descriptor wrong_size{std::string(media::oci_layer_gzip), Digest::sha256_of(data), 3};
  r = (*dest)->put_blob(wrong_size, test_image::opener(data));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::integrity);

  CHECK(blob_files(dir).empty());
  CHECK_FALSE(*(*dest)->has_blob(wrong_digest, std::nullopt));
}

TEST_CASE("layout: concurrent put_blob of different blobs") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "l";
  auto dest = open_layout_destination(dir, "x");
  REQUIRE(dest);
  std::vector<test_image::Blob> blobs;
  for (int i = 0; i < 32; ++i) {
    std::string data(10000 + i * 997, static_cast<char>('a' + i % 26));
    blobs.push_back({{"application/octet-stream", Digest::sha256_of(data), static_cast<std::int64_t>(data.size())}, data});
  }
  blobs.push_back(blobs[3]);  // the same blob twice at once must also work
  auto r = util::parallel_for(blobs.size(), 8, [&](std::size_t i) {
    return (*dest)->put_blob(blobs[i].desc, test_image::opener(blobs[i].bytes));
  });
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(blob_files(dir).size() == 32);
  for (const auto& b : blobs)
    CHECK(util::sha256_file((dir / "blobs" / "sha256" / b.desc.digest.hex()).string()).value() == b.desc.digest);
}

TEST_CASE("layout: a failed commit leaves the previous index.json intact") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "l";
  auto a = make_image({base_files}, "a");
  REQUIRE(write_image(**open_layout_destination(dir, "a"), a));
  auto before = *util::read_file(dir / "index.json");

  auto b = make_image({base_files}, "b");
  auto dest = open_layout_destination(dir, "b");
  REQUIRE(dest);
  for (const auto& blob : b.blobs) REQUIRE((*dest)->put_blob(blob.desc, test_image::opener(blob.bytes)));
  REQUIRE((*dest)->put_manifest(b.manifest));

  // Make every write past 16 bytes fail (EFBIG), as a full disk would, while commit writes the
  // new index.json.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 16;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto r = (*dest)->commit(b.manifest);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::io);
  CHECK(r.error().message.find("index.json") != std::string::npos);
  CHECK(*util::read_file(dir / "index.json") == before);
  for (const auto& e : fs::directory_iterator(dir))
    CHECK_MESSAGE(e.path().filename().string().find(".tmp-") == std::string::npos, e.path());

  // And once the disk has room again, the same commit works.
  REQUIRE((*dest)->commit(b.manifest));
  CHECK(tags(dir).size() == 2);
}

TEST_CASE("layout: a destination that cannot be written is a clear io error naming the path") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  // A path below a regular file fails for everyone, root included (ENOTDIR).
  REQUIRE(util::write_file_atomic(tmp->path() / "file", "x"));
  // Found by the check every destination gets before work starts, naming the file.
  auto under_file = open_layout_destination(tmp->path() / "file" / "layout", "t");
  REQUIRE_FALSE(under_file);
  CHECK(under_file.error().kind == ErrorKind::io);
  CHECK_FALSE(check_layout_destination(tmp->path() / "file" / "layout", "t"));
  CHECK(under_file.error().message.find((tmp->path() / "file").string()) != std::string::npos);

  auto is_file = open_layout_destination(tmp->path() / "file", "t");
  REQUIRE_FALSE(is_file);
  CHECK(is_file.error().message.find("not a directory") != std::string::npos);

  REQUIRE(util::make_dirs(tmp->path() / "project"));
  REQUIRE(util::write_file_atomic(tmp->path() / "project" / "requirements.txt", "numpy\n"));
  auto not_layout = open_layout_destination(tmp->path() / "project", "t");
  REQUIRE_FALSE(not_layout);
  CHECK(not_layout.error().kind == ErrorKind::invalid_input);

  // chmod 0555 only stops non-root users.
  auto ro = tmp->path() / "readonly";
  REQUIRE(util::make_dirs(ro));
  ::chmod(ro.c_str(), 0555);
  if (::geteuid() == 0) {
    MLPACK_SKIP("running as root: chmod 0555 does not stop writes; only the ENOTDIR case was checked");
  } else {
    auto r = open_layout_destination(ro / "layout", "t");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::io);
    CHECK(r.error().message.find(ro.string()) != std::string::npos);
    CHECK(r.error().message.find("Permission denied") != std::string::npos);
  }
  ::chmod(ro.c_str(), 0755);
}

TEST_CASE("layout: checking a destination writes nothing and refuses what opening refuses") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto fresh = tmp->path() / "new";
  CHECK(check_layout_destination(fresh, "t"));
  CHECK_FALSE(fs::exists(fresh));
  CHECK(check_layout_destination(fresh, "-bad").error().kind == ErrorKind::invalid_input);

  REQUIRE(util::make_dirs(tmp->path() / "project"));
  REQUIRE(util::write_file_atomic(tmp->path() / "project" / "requirements.txt", "numpy\n"));
  auto not_layout = check_layout_destination(tmp->path() / "project", "t");
  REQUIRE_FALSE(not_layout);
  CHECK(not_layout.error().kind == ErrorKind::invalid_input);
  CHECK(not_layout.error().message.find("not an OCI layout") != std::string::npos);
  CHECK(check_layout_destination(tmp->path() / "project" / "requirements.txt").error().kind == ErrorKind::invalid_input);

  auto layout = tmp->path() / "layout";
  auto dest = open_layout_destination(layout, "t");
  REQUIRE(dest);
  REQUIRE(write_image(**dest, make_image({base_files})));
  CHECK(check_layout_destination(layout, "other"));
}

TEST_CASE("layout: opening a destination removes what a killed writer left, never a live writer's files") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto layout = tmp->path() / "layout";
  auto img = make_image({base_files});
  {
    auto dest = open_layout_destination(layout, "t");
    REQUIRE(dest);
    REQUIRE(write_image(**dest, img));
  }
  auto blobs_before = blob_files(layout);
  auto blobs = layout / "blobs" / "sha256";
  // What a writer killed mid-blob and mid-index leaves: unlocked temporary files.
  REQUIRE(util::write_file_atomic(blobs / (std::string(64, 'a') + ".tmp-dead1"), "half a blob"));
  REQUIRE(util::write_file_atomic(layout / "index.json.tmp-dead2", "{"));
  // A writer still at work (this process here; another process is the same to the lock).
  auto live = util::AtomicFile::create(blobs / std::string(64, 'b'));
  REQUIRE(live);

  auto again = open_layout_destination(layout, "t");
  REQUIRE(again);
  auto after = blob_files(layout);
  CHECK(std::count(after.begin(), after.end(), std::string(64, 'a') + ".tmp-dead1") == 0);
  CHECK(std::count(after.begin(), after.end(), (*live)->temp_path().filename().string()) == 1);
  CHECK_FALSE(fs::exists(layout / "index.json.tmp-dead2"));
  CHECK(after.size() == blobs_before.size() + 1);
  // The image is untouched.
  auto src = open_layout_source(layout, "t");
  REQUIRE(src);
  CHECK(test_image::read_image(**src));
}

TEST_CASE("layout: skopeo accepts what we wrote") {
  if (!test_image::have_skopeo()) {
    MLPACK_SKIP("skopeo is not installed");
    return;
  }
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "layout";
  auto a = make_image({base_files, {{"app/a.py", "print('a')\n"}}}, "a");
  auto b = make_image({base_files}, "b");
  REQUIRE(write_image(**open_layout_destination(dir, "a"), a));
  REQUIRE(write_image(**open_layout_destination(dir, "b"), b));
  for (auto [tag, img] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
    auto [rc, out] = test_image::run("skopeo inspect oci:" + dir.string() + ":" + tag);
    CAPTURE(out);
    CHECK(rc == 0);
    CHECK(out.find(img->manifest.digest.str()) != std::string::npos);
    CHECK(out.find(img->blobs.back().desc.digest.str()) != std::string::npos);
  }
}

namespace {
// An artifact manifest attached to `subject`, with its blobs written to `dest`.
RawManifest attach(ImageDestination& dest, const RawManifest& subject, const std::string& document) {
  Manifest m;
  m.artifact_type = "application/spdx+json";
  m.config = Descriptor{std::string(media::oci_empty), Digest::sha256_of("{}"), 2};
  m.layers = {Descriptor{"application/spdx+json", Digest::sha256_of(document), static_cast<std::int64_t>(document.size())}};
  m.subject = Descriptor{subject.media_type, subject.digest, static_cast<std::int64_t>(subject.bytes.size())};
  for (const auto& [d, bytes] : {std::pair{m.config, std::string("{}")}, std::pair{m.layers[0], document}})
    REQUIRE(dest.put_blob(d, [bytes]() -> Result<std::unique_ptr<util::Reader>> {
      return std::unique_ptr<util::Reader>(std::make_unique<util::StringReader>(bytes));
    }));
  auto raw = RawManifest::from_bytes(to_json(m), std::string(media::oci_manifest));
  auto put = dest.put_referrer(raw);
  REQUIRE_MESSAGE(put, put.error().message);
  return raw;
}
}  // namespace

TEST_CASE("layout: artifacts attached to an image are listed untagged and found as its referrers") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "layout";
  auto a = make_image({base_files, {{"app/a.py", "print('a')\n"}}}, "a");
  auto dest = open_layout_destination(dir, "a");
  REQUIRE(dest);
  REQUIRE(write_image(**dest, a));
  auto sbom = attach(**dest, a.manifest, "{\"spdxVersion\":\"SPDX-2.3\"}");
  struct stat before {};
  REQUIRE(::stat((dir / "index.json").c_str(), &before) == 0);
  attach(**dest, a.manifest, "{\"spdxVersion\":\"SPDX-2.3\"}");  // the same again: listed once
  struct stat after {};
  REQUIRE(::stat((dir / "index.json").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // and index.json is not written again
  // Two artifacts attached again in the same order (a warm rebuild with both SBOMs): each keeps its
  // place, so index.json is not rewritten.
  auto cdx = attach(**dest, a.manifest, "{\"bomFormat\":\"CycloneDX\"}");
  REQUIRE(::stat((dir / "index.json").c_str(), &before) == 0);
  attach(**dest, a.manifest, "{\"spdxVersion\":\"SPDX-2.3\"}");
  attach(**dest, a.manifest, "{\"bomFormat\":\"CycloneDX\"}");
  REQUIRE(::stat((dir / "index.json").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  {
    auto listed = parse_index(*util::read_file(dir / "index.json"));
    REQUIRE(listed);
    REQUIRE(listed->manifests.size() == 3);
    CHECK(listed->manifests[1].digest == sbom.digest);
    CHECK(listed->manifests[2].digest == cdx.digest);
    // Back to one artifact for what follows.
    listed->manifests.pop_back();
    REQUIRE(util::write_file_atomic(dir / "index.json", to_json(*listed)));
  }

  auto idx = parse_index(*util::read_file(dir / "index.json"));
  REQUIRE(idx);
  REQUIRE(idx->manifests.size() == 2);
  CHECK(idx->manifests[0].digest == a.manifest.digest);  // the image keeps its entry and digest
  CHECK(idx->manifests[1].digest == sbom.digest);
  CHECK(idx->manifests[1].artifact_type == "application/spdx+json");
  CHECK(idx->manifests[1].annotations.empty());

  // Without a tag the layout still names one image: the artifact is not one.
  auto src = open_layout_source(dir);
  REQUIRE_MESSAGE(src, src.error().message);
  auto top = (*src)->get_manifest();
  REQUIRE(top);
  CHECK(top->digest == a.manifest.digest);
  auto refs = (*src)->referrers(a.manifest.digest);
  REQUIRE(refs);
  REQUIRE(refs->size() == 1);
  CHECK((*refs)[0].digest == sbom.digest);
  CHECK((*refs)[0].artifact_type == "application/spdx+json");
  CHECK((*src)->referrers(sbom.digest)->empty());

  // The tag moves on: the old image's artifact leaves the index with it.
  auto a2 = make_image({base_files, {{"app/a.py", "print('a2')\n"}}}, "a2");
  auto dest2 = open_layout_destination(dir, "a");
  REQUIRE(dest2);
  REQUIRE(write_image(**dest2, a2));
  auto sbom2 = attach(**dest2, a2.manifest, "{\"spdxVersion\":\"SPDX-2.3\",\"n\":2}");
  idx = parse_index(*util::read_file(dir / "index.json"));
  REQUIRE(idx->manifests.size() == 2);
  CHECK(idx->manifests[0].digest == a2.manifest.digest);
  CHECK(idx->manifests[1].digest == sbom2.digest);

  // An artifact whose subject the layout does not list is refused.
  auto dest3 = open_layout_destination(dir, "a");
  REQUIRE(dest3);
  Manifest orphan;
  orphan.config = Descriptor{std::string(media::oci_empty), Digest::sha256_of("{}"), 2};
  orphan.subject = Descriptor{std::string(media::oci_manifest), Digest::sha256_of("nothing"), 7};
  auto refused = (*dest3)->put_referrer(RawManifest::from_bytes(to_json(orphan), std::string(media::oci_manifest)));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::not_found);
}

TEST_CASE("layout: writing the same image under the same tag again leaves index.json as it is") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto dir = tmp->path() / "layout";
  auto a = make_image({base_files, {{"app/a.py", "print('a')\n"}}}, "a");
  {
    auto dest = open_layout_destination(dir, "t");
    REQUIRE(dest);
    REQUIRE(write_image(**dest, a));
  }
  struct stat before {};
  REQUIRE(::stat((dir / "index.json").c_str(), &before) == 0);
  {
    auto dest = open_layout_destination(dir, "t");  // a warm rebuild: nothing changed
    REQUIRE(dest);
    REQUIRE(write_image(**dest, a));
  }
  struct stat after {};
  REQUIRE(::stat((dir / "index.json").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // not replaced
  // Another image under the tag is written.
  auto b = make_image({base_files, {{"app/b.py", "print('b')\n"}}}, "b");
  {
    auto dest = open_layout_destination(dir, "t");
    REQUIRE(dest);
    REQUIRE(write_image(**dest, b));
  }
  REQUIRE(::stat((dir / "index.json").c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  CHECK(tags(dir).at("t") == b.manifest.digest.str());
}
