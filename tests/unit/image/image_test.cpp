#include <doctest/doctest.h>

#include <map>
#include <mutex>

#include "image/append.hpp"
#include "archive/entry.hpp"
#include "image/copy.hpp"
#include "image/diff_id.hpp"
#include "image/location.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using image::Location;
namespace fs = std::filesystem;

TEST_CASE("locations parse with the transport syntax skopeo users know") {
  auto oci = Location::parse("oci:/tmp/layout:v1");
  REQUIRE(oci);
  CHECK(oci->kind == Location::Kind::oci_layout);
  CHECK(oci->path == "/tmp/layout");
  CHECK(oci->tag == "v1");
  CHECK(oci->str() == "oci:/tmp/layout:v1");

  auto untagged = Location::parse("oci:out");
  REQUIRE(untagged);
  CHECK(untagged->tag.empty());

  auto archive = Location::parse("docker-archive:/tmp/img.tar:team/model:v2");
  REQUIRE(archive);
  CHECK(archive->kind == Location::Kind::docker_archive);
  CHECK(archive->path == "/tmp/img.tar");
  CHECK(archive->tag == "team/model:v2");

  auto reg = Location::parse("docker://localhost:5000/team/model:v1");
  REQUIRE(reg);
  CHECK(reg->kind == Location::Kind::registry);
  CHECK(reg->reference->registry == "localhost:5000");
  CHECK(reg->reference->repository == "team/model");

  auto bare = Location::parse("localhost:5000/team/model:v1");
  REQUIRE(bare);
  CHECK(bare->kind == Location::Kind::registry);
  CHECK(bare->str() == "docker://localhost:5000/team/model:v1");
}

TEST_CASE("malformed locations are invalid input") {
  for (const char* bad : {"oci:", "oci::tag", "oci:/x:bad tag", "docker://host/UPPER", "oci-archive:", ""}) {
    auto r = Location::parse(bad);
    CAPTURE(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
}

TEST_CASE("credentials in a location are refused and never shown") {
  for (std::string text : {"docker://user:s3cret@localhost:5000/team/app:v1", "user:s3cret@registry.example/app:v1",
                           "docker://s3cret@registry.example/app", "https://user:s3cret@registry.example/app:v1",
                           "user:s3c@ret/x@registry.example/app", "user:s3cret@registry.example"}) {
    CAPTURE(text);
    auto r = Location::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK(r.error().message.find("s3c") == std::string::npos);
    CHECK(r.error().message.find("***@") != std::string::npos);
  }
  // A digest after `@` is no credential, and is shown as written.
  auto pinned = Location::parse("registry.example/app@sha256:nothex");
  REQUIRE_FALSE(pinned);
  CHECK(pinned.error().message.find("registry.example/app@sha256:nothex") != std::string::npos);
  CHECK(Location::parse("docker://registry.example/app@sha256:" + std::string(64, 'a')));
  CHECK(Location::parse("app@sha256:" + std::string(64, 'a')));
}

TEST_CASE("layer specs") {
  auto plain = image::LayerSpec::parse("./rootfs");
  REQUIRE(plain);
  CHECK(plain->dest == "/");
  auto dest = image::LayerSpec::parse("src:/app");
  REQUIRE(dest);
  CHECK(dest->dir == "src");
  CHECK(dest->dest == "/app");
  CHECK_FALSE(image::LayerSpec::parse(":/app"));
}

TEST_CASE("config edits") {
  oci::ImageConfig config;
  config.cmd = std::vector<std::string>{"bash"};
  config.env = {"PATH=/usr/bin", "A=1"};
  image::ConfigEdits edits;
  edits.entrypoint = std::vector<std::string>{"python"};
  edits.env = {"A=2", "B=x=y"};
  edits.ports = {"8080", "53/udp"};
  edits.user = "1000";
  REQUIRE(image::apply_edits(config, edits));
  CHECK_FALSE(config.cmd.has_value());  // an entrypoint resets the inherited cmd
  CHECK(config.env == std::vector<std::string>{"PATH=/usr/bin", "A=2", "B=x=y"});
  CHECK(config.exposed_ports == std::vector<std::string>{"53/udp", "8080/tcp"});
  CHECK(config.user == "1000");

  for (const char* bad_port : {"0", "65536", "80/icmp", "http"}) {
    image::ConfigEdits e;
    e.ports = {bad_port};
    CAPTURE(bad_port);
    CHECK(image::apply_edits(config, e).error().kind == util::ErrorKind::invalid_input);
  }
  image::ConfigEdits bad_env;
  bad_env.env = {"NOEQUALS"};
  CHECK_FALSE(image::apply_edits(config, bad_env));
}

namespace {
// In-memory transports, to test the copy algorithm's ordering and skipping.
struct MemorySource final : oci::ImageSource {
  std::map<std::string, std::string> blobs;
  oci::RawManifest top;
  std::string describe() const override { return "memory"; }
  util::Result<oci::RawManifest> get_manifest(const std::optional<util::Digest>&) override { return top; }
  util::Result<std::unique_ptr<util::Reader>> open_blob(const oci::Descriptor& d) override {
    return std::unique_ptr<util::Reader>(std::make_unique<util::StringReader>(blobs.at(d.digest.str())));
  }
};

struct MemoryDestination final : oci::ImageDestination {
  std::mutex mu;
  std::map<std::string, std::string> blobs;
  std::vector<std::string> events;
  int fail_puts = 0;
  std::string describe() const override { return "memory"; }
  util::Result<bool> has_blob(const oci::Descriptor& d, const std::optional<oci::BlobSourceHint>&) override {
    std::lock_guard l(mu);
    return blobs.contains(d.digest.str());
  }
  util::Result<void> put_blob(const oci::Descriptor& d, const oci::BlobOpener& open) override {
    auto r = open();
    if (!r) return std::unexpected(r.error());
    auto data = util::read_all(**r, 1 << 20);
    if (!data) return std::unexpected(data.error());
    std::lock_guard l(mu);
    if (fail_puts > 0) {
      --fail_puts;
      return util::fail(util::ErrorKind::http, "500 Internal Server Error");
    }
    blobs[d.digest.str()] = *data;
    events.push_back("blob");
    return {};
  }
  util::Result<void> put_manifest(const oci::RawManifest&) override { return {}; }
  util::Result<void> commit(const oci::RawManifest&) override {
    events.push_back("commit");
    return {};
  }
};

// Two layers (plain bytes, not a tar: the copy only hashes them) whose diff_ids the config lists,
// or `diff_ids` when given.
MemorySource make_source(std::vector<std::string> layers = {"layer-one", "layer-two"},
                         std::vector<util::Digest> diff_ids = {}) {
  MemorySource src;
  oci::Manifest m;
  oci::ImageConfig c;
  for (const auto& layer : layers) {
    src.blobs[util::Digest::sha256_of(layer).str()] = layer;
    m.layers.push_back(oci::Descriptor{std::string(oci::media::oci_layer_gzip), util::Digest::sha256_of(layer),
                                       static_cast<std::int64_t>(layer.size())});
  }
  if (diff_ids.empty())
    for (const auto& layer : layers) diff_ids.push_back(util::Digest::sha256_of(layer));
  c.diff_ids = diff_ids;
  std::string config = oci::to_json(c);
  src.blobs[util::Digest::sha256_of(config).str()] = config;
  m.config = oci::Descriptor{std::string(oci::media::oci_config), util::Digest::sha256_of(config),
                             static_cast<std::int64_t>(config.size())};
  src.top = oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));
  return src;
}

// A gzip layer as `append` writes it, and its diff_id.
std::pair<std::string, util::Digest> gzip_layer(const std::string& text) {
  util::StringWriter out;
  auto written = archive::write_layer({archive::file_entry("etc/motd", text)}, {}, out);
  REQUIRE(written);
  return {out.out, written->diff_id};
}
}  // namespace

TEST_CASE("copy sends missing blobs, skips present ones, commits last") {
  auto src = make_source();
  MemoryDestination dst;
  auto first = image::copy_image(src, dst, {});
  REQUIRE(first);
  CHECK(first->blobs_copied == 3);
  CHECK(first->blobs_skipped == 0);
  CHECK(dst.events.back() == "commit");
  CHECK(dst.events.size() == 4);

  dst.events.clear();
  auto second = image::copy_image(src, dst, {});
  REQUIRE(second);
  CHECK(second->blobs_copied == 0);
  CHECK(second->blobs_skipped == 3);
  CHECK(second->manifest.digest == src.top.digest);
}

TEST_CASE("a failed blob means no commit, and the error names the blob") {
  auto src = make_source();
  MemoryDestination dst;
  dst.fail_puts = 1;
  auto r = image::copy_image(src, dst, image::CopyOptions{std::nullopt, 1, {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("sha256:") != std::string::npos);
  CHECK(std::find(dst.events.begin(), dst.events.end(), "commit") == dst.events.end());
}

TEST_CASE("copy checks each layer it reads against the config's diff_ids and names the one that differs") {
  auto [one, one_id] = gzip_layer("one\n");
  auto [two, two_id] = gzip_layer("two\n");
  {
    auto src = make_source({one, two}, {one_id, two_id});
    MemoryDestination dst;
    auto r = image::copy_image(src, dst, {});
    REQUIRE_MESSAGE(r, r.error().message);
    CHECK(dst.blobs.at(util::Digest::sha256_of(two).str()) == two);  // the bytes, not their content
  }
  auto src = make_source({one, two}, {one_id, one_id});
  MemoryDestination dst;
  auto r = image::copy_image(src, dst, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  const std::string layer = "layer 2 of 2 (" + util::Digest::sha256_of(two).short_str() + ")";
  CHECK_MESSAGE(r.error().message.find(layer) != std::string::npos, r.error().message);
  CHECK(r.error().message.find(two_id.str()) != std::string::npos);
  CHECK(std::find(dst.events.begin(), dst.events.end(), "commit") == dst.events.end());
  CHECK_FALSE(dst.blobs.contains(util::Digest::sha256_of(two).str()));

  // A config that does not list one diff_id per layer is refused before anything is copied.
  auto counted = make_source({one, two}, {one_id});
  MemoryDestination none;
  auto c = image::copy_image(counted, none, {});
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("1 diff_ids for 2 layers") != std::string::npos);
  CHECK(none.blobs.empty());
}

TEST_CASE("verify_diff_id passes the blob's bytes on unchanged and fails at the end on a mismatch") {
  auto [blob, id] = gzip_layer(std::string(3 << 20, 'z') + "end\n");
  util::StringWriter out;
  auto ok = image::verify_diff_id(std::make_unique<util::StringReader>(blob), id, "layer 1 of 1");
  REQUIRE(util::copy(*ok, out));
  CHECK(out.out == blob);

  auto bad = image::verify_diff_id(std::make_unique<util::StringReader>(blob), util::Digest::sha256_of("x"), "layer 1 of 1");
  util::StringWriter sink;
  auto r = util::copy(*bad, sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.starts_with("layer 1 of 1: its content's diff_id is " + id.str()));

  auto corrupt = blob;
  corrupt[corrupt.size() / 2] ^= 0x55;
  auto broken = image::verify_diff_id(std::make_unique<util::StringReader>(corrupt), id, "layer 1 of 1");
  auto b = util::copy(*broken, sink);
  REQUIRE_FALSE(b);
  CHECK(b.error().kind == util::ErrorKind::integrity);
  CHECK(b.error().message.starts_with("layer 1 of 1: "));
}

TEST_CASE("a transport mlpack does not have is refused, not taken for a Docker Hub name") {
  for (const char* bad : {"dir:out", "docker-daemon:img:1", "containers-storage:x", "oci-archiv:out.tar",
                          "docker-archve:out.tar", "dockerarchive:out.tar"}) {
    auto r = Location::parse(bad);
    CAPTURE(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK(r.error().message.find("unknown transport") != std::string::npos);
  }
  // Docker Hub short names and registries with a port still parse.
  for (const char* good : {"ubuntu:22.04", "docker:24-dind", "localhost:5000/x:1", "docker://dir:out"}) {
    CAPTURE(good);
    CHECK(Location::parse(good));
  }
}

TEST_CASE("checking a destination writes nothing and refuses a folder that is not a layout") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  auto project = tmp->path() / "project";
  REQUIRE(util::make_dirs(project));
  REQUIRE(util::write_file_atomic(project / "app.py", "print(1)\n"));
  auto check = [](const std::string& text) { return image::check_destination(*Location::parse(text)); };
  CHECK(check("oci:" + project.string() + ":t").error().kind == util::ErrorKind::invalid_input);
  CHECK(check("oci-archive:" + project.string()).error().kind == util::ErrorKind::invalid_input);
  CHECK(check("docker-archive:" + project.string()).error().kind == util::ErrorKind::invalid_input);
  CHECK(check("oci:" + (tmp->path() / "new").string() + ":t"));
  CHECK(check("oci-archive:" + (tmp->path() / "out.tar").string()));
  CHECK(check("docker://localhost:5000/x:1"));
  CHECK_FALSE(fs::exists(tmp->path() / "new"));
  CHECK_FALSE(fs::exists(tmp->path() / "out.tar"));
  CHECK(std::distance(fs::directory_iterator(project), fs::directory_iterator()) == 1);
}
