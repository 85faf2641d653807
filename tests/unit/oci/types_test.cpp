#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "corpora.hpp"
#include "oci/transport.hpp"
#include "oci/types.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::oci;
using util::ErrorKind;

namespace {
Digest dg(char c) { return *Digest::parse("sha256:" + std::string(64, c)); }

// The OCI image spec corpus ($MLPACK_CORPORA or ../shared/corpora, tests/unit/corpora.hpp).
std::optional<std::filesystem::path> spec_corpus() { return test::corpus_dir("oci_image_spec"); }

std::string corpus(const std::string& rel) {
  auto dir = spec_corpus();
  if (!dir) return {};
  auto r = util::read_file((*dir / rel).string());
  return r ? *r : std::string();
}

std::string read_everything(util::Reader& r, util::Error* err = nullptr) {
  std::string out;
  std::byte buf[7];  // small on purpose: many reads
  for (;;) {
    auto n = r.read(buf);
    if (!n) {
      if (err) *err = n.error();
      return "<error>";
    }
    if (*n == 0) return out;
    out.append(reinterpret_cast<const char*>(buf), *n);
  }
}
}  // namespace

TEST_CASE("manifest JSON is canonical and its digest stable") {
  Manifest m;
  m.config = {std::string(media::oci_config), dg('a'), 123};
  m.layers.push_back({std::string(media::oci_layer_gzip), dg('b'), 456});
  auto json = to_json(m);
  CHECK(json ==
        R"({"config":{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","mediaType":"application/vnd.oci.image.config.v1+json","size":123},)"
        R"("layers":[{"digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":456}],)"
        R"("mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
  CHECK(Digest::sha256_of(json).str() == "sha256:e6fddb514a142f497f66e28c84f4d9e28b55898db49ca191647214c37844107f");
}

TEST_CASE("config JSON is canonical, omits empty fields and keeps Docker's shapes") {
  ImageConfig c;
  c.created = "1970-01-01T00:00:00Z";
  c.user = "1000:1000";
  c.set_env("PATH", "/usr/bin");
  c.set_env("A", "1");
  c.set_env("PATH", "/opt/venv/bin:/usr/bin");
  c.entrypoint = std::vector<std::string>{"python", "serve.py"};
  c.working_dir = "/app";
  c.labels["org.opencontainers.image.title"] = "demo";
  c.exposed_ports = {"8080/tcp"};
  c.diff_ids = {dg('c')};
  c.history.push_back({"1970-01-01T00:00:00Z", "mlpack: app", "", false});
  auto json = to_json(c);
  CHECK(json ==
        R"({"architecture":"amd64","config":{"Entrypoint":["python","serve.py"],"Env":["PATH=/opt/venv/bin:/usr/bin","A=1"],)"
        R"("ExposedPorts":{"8080/tcp":{}},"Labels":{"org.opencontainers.image.title":"demo"},"User":"1000:1000","WorkingDir":"/app"},)"
        R"("created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"mlpack: app"}],"os":"linux",)"
        R"("rootfs":{"diff_ids":["sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"],"type":"layers"}})");
  CHECK(Digest::sha256_of(json).str() == "sha256:4dbdb7be0df188a7f3e81238ace272dadd821ccb7077bb70d409f46bf38dbb3c");

  ImageConfig empty;
  CHECK(to_json(empty) == R"({"architecture":"amd64","config":{},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}})");
}

TEST_CASE("index and descriptor JSON omit empty optional fields") {
  Index idx;
  Descriptor d{std::string(media::oci_manifest), dg('d'), 7};
  d.platform = Platform{"linux", "arm64", "v8", ""};
  d.annotations["org.opencontainers.image.ref.name"] = "v1";
  idx.manifests.push_back(d);
  CHECK(to_json(idx) ==
        R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"v1"},"digest":"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",)"
        R"("mediaType":"application/vnd.oci.image.manifest.v1+json","platform":{"architecture":"arm64","os":"linux","variant":"v8"},"size":7}],)"
        R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

TEST_CASE("parses the OCI spec examples") {
  if (!spec_corpus()) {
    MLPACK_SKIP("corpus oci_image_spec not found (set MLPACK_CORPORA or put it in ../shared/corpora)");
    return;
  }
  auto manifest_text = corpus("examples/manifest__Manifest_8.json");
  REQUIRE_FALSE(manifest_text.empty());
  auto m = parse_manifest(manifest_text);
  REQUIRE_MESSAGE(m, m.error().message);
  CHECK(m->media_type == media::oci_manifest);
  CHECK(m->config.size == 7023);
  REQUIRE(m->layers.size() == 3);
  CHECK(m->layers[2].digest.str() == "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736");
  CHECK(m->annotations.at("com.example.key1") == "value1");

  auto idx = parse_index(corpus("examples/image-index__Image_Index_4.json"));
  REQUIRE_MESSAGE(idx, idx.error().message);
  REQUIRE(idx->manifests.size() == 2);
  CHECK(idx->manifests[0].platform->architecture == "ppc64le");

  auto layout_index = parse_index(corpus("examples/image-layout__Image_Index_7.json"));
  REQUIRE_MESSAGE(layout_index, layout_index.error().message);
  CHECK(layout_index->manifests[0].annotations.at("org.opencontainers.image.ref.name") == "stable-release");

  auto c = parse_config(corpus("examples/config__Image_JSON_0.json"));
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK(c->user == "alice");
  CHECK(c->env.size() == 3);
  CHECK(c->entrypoint == std::vector<std::string>{"/bin/my-app-binary"});
  CHECK(c->cmd->size() == 3);
  CHECK(c->exposed_ports == std::vector<std::string>{"8080/tcp"});
  CHECK(c->labels.size() == 2);
  CHECK(c->diff_ids.size() == 2);
  CHECK(c->history.size() == 3);
  CHECK(c->history[1].empty_layer);
  CHECK(c->config_extra.contains("Volumes"));
  CHECK(c->author == "Alyssa P. Hacker <alyspdev@example.com>");
}

TEST_CASE("parses real Docker schema 2 documents (spec backwards-compatibility cases)") {
  auto dir = spec_corpus();
  if (!dir) {
    MLPACK_SKIP("corpus oci_image_spec not found (set MLPACK_CORPORA or put it in ../shared/corpora)");
    return;
  }
  std::ifstream in(*dir / "schema_validation_cases.jsonl");
  REQUIRE(in);
  int checked = 0;
  std::string line;
  while (std::getline(in, line)) {
    auto c = nlohmann::json::parse(line);
    if (c["source"].get<std::string>().find("backwards_compatibility") == std::string::npos) continue;
    auto doc = c["document"].get<std::string>();
    auto kind = c["validator_media_type"].get<std::string>();
    CAPTURE(kind);
    // The documents are byte-exact, so our digest of them must equal Docker Hub's.
    CHECK(RawManifest::from_bytes(doc, "").digest.str() == c["other_fields"]["digest"].get<std::string>());
    if (kind == "ValidatorMediaTypeImageIndex") {
      auto idx = parse_index(doc);
      REQUIRE_MESSAGE(idx, idx.error().message);
      CHECK(idx->media_type == media::docker_manifest_list);
      CHECK(media::is_index(idx->media_type));
      auto amd64 = select_platform(*idx, Platform{});
      REQUIRE(amd64);
      CHECK(amd64->digest.str() == "sha256:ae1b0e06e8ade3a11267564a26e750585ba2259c0ecab59ab165ad1af41d1bdd");
    } else if (kind == "ValidatorMediaTypeManifest") {
      auto m = parse_manifest(doc);
      REQUIRE_MESSAGE(m, m.error().message);
      CHECK(m->media_type == media::docker_manifest);
      CHECK(m->config.media_type == media::docker_config);
      CHECK_FALSE(m->layers.empty());
    } else if (kind == "ValidatorMediaTypeImageConfig") {
      auto cfg = parse_config(doc);
      REQUIRE_MESSAGE(cfg, cfg.error().message);
      CHECK_FALSE(cfg->diff_ids.empty());
      // Docker-only fields survive a round trip.
      auto again = parse_config(to_json(*cfg));
      REQUIRE(again);
      CHECK(again->extra == cfg->extra);
      CHECK(again->config_extra == cfg->config_extra);
      CHECK(to_json(*again) == to_json(*cfg));
    }
    ++checked;
  }
  CHECK(checked >= 2);  // the corpus holds a manifest list and a config
}

TEST_CASE("parses inline Docker schema 2 manifest and config") {
  auto m = parse_manifest(R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:)" +
                          std::string(64, 'e') + R"("},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2479,"digest":"sha256:)" +
                          std::string(64, 'f') + R"("}]})");
  REQUIRE_MESSAGE(m, m.error().message);
  CHECK(m->layers[0].media_type == media::docker_layer_gzip);

  auto c = parse_config(R"({"architecture":"amd64","os":"linux","container":"abc","docker_version":"20.10",
    "config":{"Hostname":"","Env":["PATH=/bin"],"Cmd":null,"Entrypoint":null,"Labels":null,"Volumes":null,"OnBuild":null},
    "rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE_MESSAGE(c, c.error().message);
  CHECK_FALSE(c->cmd);
  CHECK_FALSE(c->entrypoint);
  CHECK(c->extra.contains("docker_version"));
  CHECK(c->config_extra.contains("Hostname"));
  CHECK_FALSE(c->config_extra.contains("Env"));
}

TEST_CASE("unknown fields round-trip; modelled fields win over stale copies") {
  auto c = parse_config(R"({"architecture":"arm64","variant":"v8","os":"linux","os.version":"x","custom":{"k":[1,2]},
    "config":{"User":"root","Healthcheck":{"Test":["CMD","true"]},"Volumes":{"/data":{}}},
    "rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE_MESSAGE(c, c.error().message);
  c->user.clear();
  c->set_env("X", "1");
  auto out = nlohmann::json::parse(to_json(*c));
  CHECK(out["custom"] == nlohmann::json::parse(R"({"k":[1,2]})"));
  CHECK(out["os.version"] == "x");
  CHECK(out["variant"] == "v8");
  CHECK(out["config"]["Healthcheck"]["Test"][0] == "CMD");
  CHECK(out["config"]["Volumes"].contains("/data"));
  CHECK_FALSE(out["config"].contains("User"));  // cleared, not resurrected from the original
  CHECK(out["config"]["Env"][0] == "X=1");
}

TEST_CASE("malformed documents are invalid_input with a useful message") {
  struct Case {
    const char* json;
    const char* says;
  };
  const std::string d = "\"sha256:" + std::string(64, 'a') + "\"";
  for (auto [text, says] : std::initializer_list<Case>{
           {"not json", "not valid JSON"},
           {"[]", "JSON object"},
           {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})", "schemaVersion"},
           {R"({"schemaVersion":1})", "schemaVersion"},
           {R"({"schemaVersion":2,"layers":[]})", "`config` is missing"},
           {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})", "select a platform"},
       }) {
    CAPTURE(text);
    auto m = parse_manifest(text);
    REQUIRE_FALSE(m);
    CHECK(m.error().kind == ErrorKind::invalid_input);
    CHECK(m.error().message.find(says) != std::string::npos);
  }
  auto bad_size = parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"a/b","digest":)" + d +
                                 R"(,"size":1},"layers":[{"mediaType":"a/b","digest":)" + d + R"(,"size":"12"}]})");
  REQUIRE_FALSE(bad_size);
  CHECK(bad_size.error().message.find("layer 0") != std::string::npos);
  CHECK(bad_size.error().message.find("size") != std::string::npos);

  auto bad_digest = parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:xyz","size":1}]})");
  REQUIRE_FALSE(bad_digest);
  CHECK(bad_digest.error().kind == ErrorKind::invalid_input);

  auto no_manifests = parse_index(R"({"schemaVersion":2})");
  REQUIRE_FALSE(no_manifests);
  CHECK(no_manifests.error().message.find("manifests") != std::string::npos);

  auto numeric_user = parse_config(R"({"architecture":"amd64","os":"linux","config":{"User":1},"rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE_FALSE(numeric_user);
  CHECK(numeric_user.error().message.find("User") != std::string::npos);
  auto bad_env = parse_config(R"({"architecture":"amd64","os":"linux","config":{"Env":["NOEQUALS"]},"rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE_FALSE(bad_env);
  CHECK(bad_env.error().message.find("NOEQUALS") != std::string::npos);
  auto no_os = parse_config(R"({"architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE_FALSE(no_os);
  CHECK(no_os.error().message.find("`os`") != std::string::npos);
  auto no_rootfs = parse_config(R"({"architecture":"amd64","os":"linux"})");
  REQUIRE_FALSE(no_rootfs);
  CHECK(no_rootfs.error().kind == ErrorKind::invalid_input);
}

TEST_CASE("media type helpers and detection") {
  CHECK(media::is_index(media::oci_index));
  CHECK(media::is_index(media::docker_manifest_list));
  CHECK_FALSE(media::is_index(media::oci_manifest));
  CHECK(media::is_manifest(media::docker_manifest));
  CHECK_FALSE(media::is_manifest(media::oci_config));
  CHECK(detect_media_type(R"({"manifests":[]})") == media::oci_index);
  CHECK(detect_media_type(R"({"config":{},"layers":[]})") == media::oci_manifest);
  CHECK(detect_media_type(R"({"mediaType":"x/y"})") == "x/y");
  CHECK(detect_media_type("garbage").empty());
  auto raw = RawManifest::from_bytes(R"({"manifests":[]})", "");
  CHECK(raw.media_type == media::oci_index);
  CHECK(raw.digest == Digest::sha256_of(R"({"manifests":[]})"));
}

TEST_CASE("Platform::parse and str") {
  auto p = Platform::parse("linux/arm64/v8");
  REQUIRE(p);
  CHECK(p->os == "linux");
  CHECK(p->architecture == "arm64");
  CHECK(p->variant == "v8");
  CHECK(p->str() == "linux/arm64/v8");
  CHECK(Platform::parse("linux/x86_64")->architecture == "amd64");
  CHECK(Platform::parse("Linux/AMD64")->str() == "linux/amd64");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "linux/arm/v7/x", "linux//v7"}) {
    CAPTURE(bad);
    auto r = Platform::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
  }
}

TEST_CASE("select_platform table") {
  Index idx;
  auto add = [&](const char* os, const char* arch, const char* variant, char d) {
    Descriptor desc{std::string(media::oci_manifest), dg(d), 1};
    desc.platform = Platform{os, arch, variant, ""};
    idx.manifests.push_back(desc);
  };
  add("linux", "arm", "v6", '1');
  add("linux", "arm", "v7", '2');
  add("linux", "arm64", "v8", '3');
  add("linux", "amd64", "", '4');
  add("windows", "amd64", "", '5');
  add("unknown", "unknown", "", '6');  // a buildx attestation entry

  struct Row {
    const char* want;
    char expect;  // 0: error
  };
  for (auto [want, expect] : std::initializer_list<Row>{
           {"linux/amd64", '4'},
           {"windows/amd64", '5'},
           {"linux/arm64", '3'},  // no variant matches v8
           {"linux/arm64/v8", '3'},
           {"linux/arm/v7", '2'},
           {"linux/arm/v6", '1'},
           {"linux/arm/v5", 0},
           {"linux/s390x", 0},
           {"linux/amd64/v3", '4'},  // entry without a variant accepts any
       }) {
    CAPTURE(want);
    auto r = select_platform(idx, *Platform::parse(want));
    if (expect) {
      REQUIRE_MESSAGE(r, r.error().message);
      CHECK(r->digest == dg(expect));
    } else {
      REQUIRE_FALSE(r);
      CHECK(r.error().message.find("linux/arm/v7") != std::string::npos);
      CHECK(r.error().message.find("windows/amd64") != std::string::npos);
      CHECK(r.error().message.find("unknown") == std::string::npos);
    }
  }
  CHECK(select_platform(idx, Platform{})->digest == dg('4'));  // default linux/amd64

  Index single;
  single.manifests.push_back({std::string(media::oci_manifest), dg('9'), 1});
  CHECK(select_platform(single, Platform{})->digest == dg('9'));
}

TEST_CASE("set_env replaces an existing key only") {
  ImageConfig c;
  c.env = {"PATH=/bin", "PATHX=1", "P=2"};
  c.set_env("PATH", "/usr/bin");
  c.set_env("P", "3");
  c.set_env("NEW", "a=b");
  CHECK(c.env == std::vector<std::string>{"PATH=/usr/bin", "PATHX=1", "P=3", "NEW=a=b"});
}

TEST_CASE("verify_reader passes good bytes and refuses bad ones") {
  std::string data = "hello, layer bytes";
  Descriptor good{"x/y", Digest::sha256_of(data), static_cast<std::int64_t>(data.size())};
  {
    auto r = verify_reader(std::make_unique<util::StringReader>(data), good);
    CHECK(read_everything(*r) == data);
  }
  {  // same length, different content
    std::string other = data;
    other[0] = 'j';
    auto r = verify_reader(std::make_unique<util::StringReader>(other), good);
    util::Error e;
    CHECK(read_everything(*r, &e) == "<error>");
    CHECK(e.kind == ErrorKind::integrity);
    CHECK(e.message.find(good.digest.str()) != std::string::npos);
  }
  {  // too short
    auto r = verify_reader(std::make_unique<util::StringReader>(data.substr(1)), good);
    util::Error e;
    read_everything(*r, &e);
    CHECK(e.kind == ErrorKind::integrity);
    CHECK(e.message.find(good.digest.str()) != std::string::npos);
  }
  {  // too long: fails before the end of the stream
    std::string big(1 << 20, 'x');
    Descriptor small{"x/y", Digest::sha256_of(big.substr(0, 10)), 10};
    auto r = verify_reader(std::make_unique<util::StringReader>(big), small);
    std::vector<std::byte> buf(64);
    std::size_t total = 0;
    util::Error e;
    for (;;) {
      auto n = r->read(buf);
      if (!n) {
        e = n.error();
        break;
      }
      REQUIRE(*n != 0);
      total += *n;
    }
    CHECK(total <= 10);
    CHECK(e.kind == ErrorKind::integrity);
    CHECK(e.message.find("longer") != std::string::npos);
    CHECK_FALSE(r->read(buf));  // the error sticks
  }
}
