// The pipeline runs whatever buildpacks it is given: a fake ecosystem registered in a test registry
// adds a lock entry, a layer and config, and the pipeline, which knows nothing of it, carries them
// into mlpack.lock and the image. No network: the fake says it builds the base itself.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <fstream>

#include "pipeline/pipeline.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"
#include "test_files.hpp"

using namespace mlpack;
namespace bp = mlpack::buildpacks;
namespace fs = std::filesystem;

namespace {

using mlpack::test::write_text;

// A fact only the two test buildpacks know: where the widget runtime lives.
constexpr bp::Fact<std::string> widget_home{"widgets.home"};

// "widgets": widgets.txt names one widget, pinned in the lock and installed under /opt/widgets.
// It owns a flag (--widget-finish), a mlpack.yaml key (`widgets`) and a section of `mlpack
// detect`, and publishes where its runtime lives for "gadgets" to read.
class Widgets final : public bp::Buildpack {
 public:
  std::string_view name() const override { return "widgets"; }
  bool builds_base(std::string_view base) const override { return base == "widgets:1"; }
  std::optional<std::string> default_base() const override { return "widgets:1"; }
  std::vector<bp::FlagSpec> flags() const override {
    return {bp::FlagSpec{"--widget-finish", "FINISH", "How widgets are finished", false}};
  }
  std::vector<std::string> config_keys() const override { return {"widgets"}; }
  std::vector<std::string> looks_for() const override { return {"widgets.txt"}; }

  util::Result<std::vector<std::string>> accept(const bp::FlagValues& flags, const util::Environment& env) override {
    if (auto f = flags.value("--widget-finish")) {
      if (*f != "matte" && *f != "gloss")
        return util::fail(util::ErrorKind::invalid_input, "invalid `--widget-finish " + *f + "`");
      finish_ = *f;
    }
    home_ = env.non_empty("WIDGETS_HOME").value_or("/opt/widgets");
    return std::vector<std::string>{};
  }

  util::Result<bp::Detection> detect(bp::Project& project) override {
    bp::Detection d;
    if (const auto* v = project.config.section("widgets")) {
      auto extra = v->strings();
      if (!extra) return std::unexpected(extra.error());
      extra_ = *extra;
    }
    auto text = util::read_file(project.dir / "widgets.txt");
    if (!text) return d;
    widget_ = util::trim(*text);
    d.applies = true;
    d.ecosystem = "widget";
    d.files.push_back("widgets.txt");
    return d;
  }

  bp::DetectSection describe(const bp::Project&) const override {
    bp::DetectSection s;
    s.json["widgets"] = {{"widget", widget_}, {"finish", finish_}, {"extra", extra_}};
    s.json["requirements"] = nlohmann::json::array({{{"ecosystem", "widget"}, {"name", widget_}, {"specifier", ""},
                                                     {"file", "widgets.txt"}, {"line", 1}}});
    s.lines.push_back("widgets: " + widget_ + " (" + finish_ + ")");
    return s;
  }

  std::vector<bp::InputPart> inputs(const bp::Context&) const override {
    return {bp::InputPart{"widgets", widget_, "the widgets (widgets.txt)"}};
  }

  util::Result<void> resolve(bp::Context& ctx, lock::LockFile& lock) const override {
    ++resolve_calls;
    lock::Package p;
    p.ecosystem = "widget";
    p.name = widget_;
    p.version = "1.0";
    p.source = "https://widgets.example/";
    p.filename = widget_ + ".tar";
    p.sha256 = std::string(64, 'a');
    p.extra["finish"] = finish_;
    lock.packages.push_back(std::move(p));
    ctx.facts.publish(widget_home, home_);
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
        file.path = home_.substr(1) + "/" + p.name;
        file.data = p.name + " " + p.version + " " + p.extra.at("finish") + "\n";
        file.size = file.data.size();
        auto written = sink.write(bp::Layer{{std::move(file)}, "widgets: " + p.name}, bp::FileTimes::fixed, key);
        if (!written) return std::unexpected(written.error());
        layer = std::move(*written);
      }
      sink.add(std::move(*layer));
    }
    ctx.facts.publish(widget_home, home_);  // from the lock: resolve() may not have run
    return {};
  }

  util::Result<void> configure(const bp::Context&, const lock::LockFile&, bp::ConfigDraft& draft) const override {
    draft.config.set_env("WIDGETS_HOME", home_);
    return {};
  }

  std::string plan(const lock::LockFile&) const override { return "widgets " + finish_; }

  std::string widget_;
  std::string finish_ = "matte";
  std::string home_;
  std::vector<std::string> extra_;
  mutable int layer_calls = 0;
  mutable int resolve_calls = 0;
};

// "gadgets": knows nothing of widgets.txt, but runs what the widgets buildpack published.
class Gadgets final : public bp::Buildpack {
 public:
  std::string_view name() const override { return "gadgets"; }
  util::Result<bp::Detection> detect(bp::Project&) override { return bp::Detection{}; }
  util::Result<void> configure(const bp::Context& ctx, const lock::LockFile&, bp::ConfigDraft& draft) const override {
    const std::string* home = ctx.facts.find(widget_home);
    if (!home) return util::fail(util::ErrorKind::internal, "no widget home was published");
    draft.default_command = {*home + "/bin/widget", "serve"};
    return {};
  }
};

std::string read_blob(const fs::path& layout, const util::Digest& digest) {
  auto text = util::read_file(layout / "blobs" / "sha256" / digest.hex());
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a buildpack the pipeline does not know adds a flag, a key, a detect section, a fact, a lock entry, a layer and config") {
  auto tmp = util::TempDir::create();
  REQUIRE(tmp);
  const fs::path project = tmp->path() / "shop";
  write_text(project / "widgets.txt", "gear\n");
  write_text(project / "hello.sh", "echo hello\n");
  write_text(project / "mlpack.yaml", "widgets: [spare]\n");

  auto widgets = std::make_shared<Widgets>();
  bp::Buildpacks registry = {widgets, std::make_shared<Gadgets>(), bp::app::make_buildpack()};

  // Its flag is offered with the others, in registry order.
  auto flags = pipeline::buildpack_flags(registry);
  REQUIRE(flags.size() == 1);
  CHECK(flags[0].name == "--widget-finish");

  pipeline::DetectOptions given;
  given.flags.values["--widget-finish"] = {"gloss"};
  given.env.set("WIDGETS_HOME", "/srv/widgets");
  auto detected = pipeline::detect(project, given, registry);
  REQUIRE_MESSAGE(detected, detected.error().message);
  CHECK(detected->files == std::vector<std::string>{"mlpack.yaml", "widgets.txt"});
  CHECK(detected->applies);
  CHECK(detected->name == "shop");
  CHECK(detected->ecosystems == std::vector<std::string>{"widget"});

  // Its section of `mlpack detect`, over the keys every document has.
  auto report = pipeline::report(*detected);
  CHECK(report.json["widgets"]["finish"] == "gloss");
  CHECK(report.json["widgets"]["extra"] == nlohmann::json({"spare"}));
  REQUIRE(report.json["requirements"].size() == 1);
  CHECK(report.json["requirements"][0]["name"] == "gear");
  CHECK(report.json.contains("r"));
  CHECK(report.json["python"].is_null());
  CHECK(report.lines == std::vector<std::string>{"widgets: gear (gloss)"});

  pipeline::Options options;
  options.cache_dir = tmp->path() / "cache";  // no --base: the widgets buildpack's default base

  // The lock: the widget is pinned and the widgets part of the inputs recorded.
  pipeline::Session session(*detected, options);
  auto locked = session.lock(false);
  REQUIRE_MESSAGE(locked, locked.error().message);
  CHECK_FALSE(locked->reused);
  CHECK(locked->lock.base == "widgets:1");
  REQUIRE(locked->lock.packages.size() == 1);
  CHECK(locked->lock.packages[0].ecosystem == "widget");
  CHECK(locked->lock.packages[0].name == "gear");
  CHECK(locked->lock.packages[0].extra.at("finish") == "gloss");
  CHECK(locked->lock.input_parts == session.input_parts());
  REQUIRE(locked->lock.input_parts.contains("widgets"));
  CHECK(locked->lock.input_parts.at("widgets") == util::Digest::sha256_of("gear").str());
  auto text = util::read_file(project / "mlpack.lock");
  REQUIRE(text);
  CHECK(text->find("ecosystem: widget") != std::string::npos);

  // The image: the widget's layer below the project's files, its env, and the command the gadgets
  // buildpack made from the widgets' fact, taken by the app buildpack because the project names none.
  const fs::path layout = tmp->path() / "out";
  auto built = session.build(*locked, pipeline::BuildRequest{{"oci:" + layout.string() + ":t"}});
  REQUIRE_MESSAGE(built, built.error().message);
  REQUIRE(built->layers.size() == 2);
  CHECK(built->layers[0].contents == "widgets: gear");
  CHECK_FALSE(built->layers[0].cached);
  CHECK(built->layers[1].contents == "project files at /app");
  CHECK(widgets->layer_calls == 1);
  CHECK(widgets->resolve_calls == 1);

  auto manifest = nlohmann::json::parse(read_blob(layout, built->manifest.digest));
  REQUIRE(manifest["layers"].size() == 2);
  CHECK(manifest["layers"][0]["digest"] == built->layers[0].descriptor.digest.str());
  auto config = nlohmann::json::parse(read_blob(layout, built->config_digest));
  const auto& env = config["config"]["Env"];
  CHECK(std::find(env.begin(), env.end(), "WIDGETS_HOME=/srv/widgets") != env.end());
  CHECK(config["config"]["Cmd"] == nlohmann::json({"/srv/widgets/bin/widget", "serve"}));
  CHECK(config["config"]["WorkingDir"] == "/app");
  CHECK(config["config"]["Labels"]["org.opencontainers.image.title"] == "shop");
  REQUIRE(config["history"].size() == 2);
  CHECK(config["history"][0]["created_by"] == "mlpack build: widgets: gear");
  REQUIRE(config["rootfs"]["diff_ids"].size() == 2);
  CHECK(config["rootfs"]["diff_ids"][0] == built->layers[0].diff_id.str());

  SUBCASE("a rebuild from the lock alone takes the layer from the cache; the fact comes from layers()") {
    pipeline::Session again_session(*detected, options);
    auto reread = again_session.read_lock();
    REQUIRE(reread);
    auto again = again_session.build(*reread, pipeline::BuildRequest{{"oci:" + layout.string() + ":t"}});
    REQUIRE_MESSAGE(again, again.error().message);
    CHECK(again->layers[0].cached);
    CHECK(again->manifest.digest == built->manifest.digest);
    CHECK(widgets->resolve_calls == 1);
  }

  SUBCASE("a bad flag value is invalid input before anything is read") {
    pipeline::DetectOptions bad;
    bad.flags.values["--widget-finish"] = {"rough"};
    auto refused = pipeline::detect(project, bad, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == util::ErrorKind::invalid_input);
  }

  SUBCASE("its mlpack.yaml key is known; a typo of it is refused naming file:line:column") {
    write_text(project / "mlpack.yaml", "name: shop\nwidgest: [spare]\n");
    auto typo = pipeline::detect(project, {}, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message.find("mlpack.yaml:2:1: unknown key `widgest`; did you mean `widgets`?") != std::string::npos);
    write_text(project / "mlpack.yaml", "widgets: gear\n");
    auto wrong = pipeline::detect(project, {}, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("mlpack.yaml:1:10: `widgets` must be a list of strings") != std::string::npos);
  }

  SUBCASE("a change to the widget makes the lock stale, naming the widgets' part") {
    write_text(project / "widgets.txt", "sprocket\n");
    auto changed = pipeline::detect(project, {}, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE(changed);
    pipeline::Session s2(*changed, options);
    auto stale = s2.read_lock();
    REQUIRE_FALSE(stale);
    CHECK(stale.error().kind == util::ErrorKind::stale);
    CHECK(stale.error().message.find("changed: the widgets (widgets.txt)") != std::string::npos);
    auto relocked = s2.lock(false);
    REQUIRE(relocked);
    CHECK(relocked->lock.packages.at(0).name == "sprocket");
  }

  SUBCASE("a project none of the buildpacks understands is refused, naming what they look for") {
    const fs::path empty = tmp->path() / "empty";
    fs::create_directories(empty);
    auto nothing = pipeline::detect(empty, {}, {std::make_shared<Widgets>(), bp::app::make_buildpack()});
    REQUIRE(nothing);
    pipeline::Session s3(*nothing, options);
    auto refused = s3.lock(false);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("nothing to build") != std::string::npos);
    CHECK(refused.error().message.find("mlpack looks for widgets.txt, Procfile or mlpack.yaml") != std::string::npos);
  }
}

TEST_CASE("the default registry runs debian-base first, the ecosystems, cuda after them, app last") {
  auto registry = bp::default_buildpacks();
  std::vector<std::string> names;
  for (const auto& b : registry) names.emplace_back(b->name());
  auto at = [&](std::string_view name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
  REQUIRE(names.size() >= 4);
  CHECK(names.front() == "debian-base");
  CHECK(names.back() == "app");
  CHECK(at("python") < at("cuda"));  // cuda reads the ecosystems' hints
  CHECK(at("cuda") < at("app"));
  CHECK(registry[0]->builds_base("debian:bookworm"));
  CHECK_FALSE(registry[0]->builds_base("docker.io/library/python:3.11-slim"));
}
