// The pipeline runs whatever buildpacks it is given: a fake ecosystem registered in a test registry
// adds a lock entry, a layer and config, and the pipeline, which knows nothing of it, carries them
// into mlpack.lock and the image. No network: the fake says it builds the base itself.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "build/pipeline.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

using namespace mlpack;
namespace bp = mlpack::buildpacks;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// "widgets": widgets.txt names one widget, pinned in the lock and installed under /opt/widgets.
class Widgets final : public bp::Buildpack {
 public:
  std::string_view name() const override { return "widgets"; }
  bool builds_base(std::string_view base) const override { return base == "widgets:1"; }

  util::Result<bp::Detection> detect(bp::Project& project) override {
    bp::Detection d;
    auto text = util::read_file(project.dir / "widgets.txt");
    if (!text) return d;
    widget_ = util::trim(*text);
    d.applies = true;
    d.files.push_back("widgets.txt");
    return d;
  }

  std::vector<bp::InputPart> inputs(const bp::Context&) const override {
    return {bp::InputPart{"widgets", widget_, "the widgets (widgets.txt)"}};
  }

  util::Result<void> resolve(bp::Context& ctx, lock::LockFile& lock) const override {
    lock::Package p;
    p.ecosystem = "widget";
    p.name = widget_;
    p.version = "1.0";
    p.source = "https://widgets.example/";
    p.filename = widget_ + ".tar";
    p.sha256 = std::string(64, 'a');
    lock.packages.push_back(std::move(p));
    ctx.base.packages.push_back(bp::BaseFacts::Package{"widget-runtime", "1.0", false});
    return {};
  }

  util::Result<void> layers(bp::Context& ctx, const lock::LockFile& lock, bp::LayerSink& sink) const override {
    ++layer_calls;
    for (const auto& p : lock.packages) {
      if (p.ecosystem != "widget") continue;
      std::string key = util::Digest::sha256_of("widget-layer " + p.name + " " +
                                                archive::encoding_key(sink.options(bp::FileTimes::fixed)).value_or(""))
                            .hex();
      auto layer = sink.find(key);
      if (!layer) {
        archive::Entry file;
        file.path = "opt/widgets/" + p.name;
        file.data = p.name + " " + p.version + "\n";
        file.size = file.data.size();
        auto written = sink.write(bp::Layer{{std::move(file)}, "widgets: " + p.name}, bp::FileTimes::fixed, key);
        if (!written) return std::unexpected(written.error());
        layer = std::move(*written);
      }
      sink.add(std::move(*layer));
    }
    ctx.base.interpreters.push_back("/opt/widgets/bin/widget");  // seen by configure below
    return {};
  }

  util::Result<void> configure(const bp::Context& ctx, const lock::LockFile&, bp::ConfigDraft& draft) const override {
    draft.config.set_env("WIDGETS_HOME", "/opt/widgets");
    draft.default_command = {ctx.base.interpreters.at(0), "serve"};
    return {};
  }

  std::string widget_;
  mutable int layer_calls = 0;
};

std::string read_blob(const fs::path& layout, const util::Digest& digest) {
  auto text = util::read_file(layout / "blobs" / "sha256" / digest.hex());
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a buildpack the pipeline does not know adds a requirement, a layer and config") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  const fs::path project = tmp->path() / "shop";
  write(project / "widgets.txt", "gear\n");
  write(project / "hello.sh", "echo hello\n");

  auto widgets = std::make_shared<Widgets>();
  bp::Buildpacks registry = {widgets, bp::app::make_buildpack()};
  auto detected = build::detect(project, registry);
  REQUIRE(detected);
  CHECK(detected->files == std::vector<std::string>{"widgets.txt"});
  CHECK(detected->applies);
  CHECK(detected->name == "shop");

  build::Options options;
  options.cache_dir = tmp->path() / "cache";
  options.base = "widgets:1";  // laid down by the fake, so no image is opened

  // The lock: the widget is pinned and the widgets part of the inputs recorded.
  auto locked = build::lock_project(*detected, options, false);
  REQUIRE_MESSAGE(locked, locked.error().message);
  CHECK_FALSE(locked->reused);
  REQUIRE(locked->lock.packages.size() == 1);
  CHECK(locked->lock.packages[0].ecosystem == "widget");
  CHECK(locked->lock.packages[0].name == "gear");
  CHECK(locked->lock.input_parts == build::input_parts(*detected, options));
  REQUIRE(locked->lock.input_parts.contains("widgets"));
  CHECK(locked->lock.input_parts.at("widgets") == util::Digest::sha256_of("gear").str());
  auto text = util::read_file(project / "mlpack.lock");
  REQUIRE(text);
  CHECK(text->find("ecosystem: widget") != std::string::npos);

  // The image: the widget's layer below the project's files, its env, and its command taken by
  // the app buildpack because the project names none.
  const fs::path layout = tmp->path() / "out";
  auto built = build::build_image(*detected, *locked, options, build::BuildRequest{{"oci:" + layout.string() + ":t"}});
  REQUIRE_MESSAGE(built, built.error().message);
  REQUIRE(built->layers.size() == 2);
  CHECK(built->layers[0].contents == "widgets: gear");
  CHECK_FALSE(built->layers[0].cached);
  CHECK(built->layers[1].contents == "project files at /app");
  CHECK(widgets->layer_calls == 1);

  auto manifest = nlohmann::json::parse(read_blob(layout, built->manifest.digest));
  REQUIRE(manifest["layers"].size() == 2);
  CHECK(manifest["layers"][0]["digest"] == built->layers[0].descriptor.digest.str());
  auto config = nlohmann::json::parse(read_blob(layout, built->config_digest));
  const auto& env = config["config"]["Env"];
  CHECK(std::find(env.begin(), env.end(), "WIDGETS_HOME=/opt/widgets") != env.end());
  CHECK(config["config"]["Cmd"] == nlohmann::json({"/opt/widgets/bin/widget", "serve"}));
  CHECK(config["config"]["WorkingDir"] == "/app");
  CHECK(config["config"]["Labels"]["org.opencontainers.image.title"] == "shop");
  REQUIRE(config["history"].size() == 2);
  CHECK(config["history"][0]["created_by"] == "mlpack build: widgets: gear");
  REQUIRE(config["rootfs"]["diff_ids"].size() == 2);
  CHECK(config["rootfs"]["diff_ids"][0] == built->layers[0].diff_id.str());

  SUBCASE("a rebuild takes the widget's layer from the cache, and the same image results") {
    auto again = build::build_image(*detected, *locked, options, build::BuildRequest{{"oci:" + layout.string() + ":t"}});
    REQUIRE(again);
    CHECK(again->layers[0].cached);
    CHECK(again->manifest.digest == built->manifest.digest);
  }

  SUBCASE("a change to the widget makes the lock stale, naming the widgets' part") {
    write(project / "widgets.txt", "sprocket\n");
    auto changed = build::detect(project, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE(changed);
    auto stale = build::read_lock(*changed, options);
    REQUIRE_FALSE(stale);
    CHECK(stale.error().kind == util::ErrorKind::stale);
    CHECK(stale.error().message.find("changed: the widgets (widgets.txt)") != std::string::npos);
    auto relocked = build::lock_project(*changed, options, false);
    REQUIRE(relocked);
    CHECK(relocked->lock.packages.at(0).name == "sprocket");
  }

  SUBCASE("a project none of the buildpacks understands is refused") {
    const fs::path empty = tmp->path() / "empty";
    fs::create_directories(empty);
    auto nothing = build::detect(empty, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE(nothing);
    auto refused = build::lock_project(*nothing, options, false);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("nothing to build") != std::string::npos);
  }
}

TEST_CASE("the default registry runs debian-base, python and app in that order") {
  auto registry = bp::default_buildpacks();
  REQUIRE(registry.size() == 3);
  CHECK(registry[0]->name() == "debian-base");
  CHECK(registry[1]->name() == "python");
  CHECK(registry[2]->name() == "app");
  CHECK(registry[0]->builds_base("debian:bookworm"));
  CHECK_FALSE(registry[0]->builds_base("docker.io/library/python:3.11-slim"));
}
