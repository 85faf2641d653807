// app behind the Buildpack interface: the project's files at /app and how the image runs.
#include <algorithm>
#include <chrono>

#include "buildpacks/app/app.hpp"
#include "buildpacks/registry.hpp"
#include "detectors/ignore.hpp"
#include "util/expected.hpp"

namespace mlpack::buildpacks::app {

namespace {

class App final : public Buildpack {
 public:
  std::string_view name() const override { return "app"; }
  std::vector<std::string> looks_for() const override { return {"Procfile"}; }

  Result<Detection> detect(Project& project) override {
    default_command_ = TRY(detectors::default_command(project.dir));
    Detection d;
    d.files = existing_files(project.dir, {"Procfile", "start"});
    d.applies = default_command_.kind != detectors::DefaultCommand::Kind::none;
    return d;
  }

  DetectSection describe(const Project&) const override {
    DetectSection s;
    const auto& command = default_command_.command;
    s.json["default_command"] = command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command);
    if (!command.empty()) s.lines.push_back("command: " + command);
    return s;
  }

  // The project's files, last, so a code change rebuilds one layer. .git, .mlpack/, __pycache__,
  // virtual environments, and what .gitignore, .dockerignore, .mlpackignore and mlpack.yaml
  // `exclude` name stay out.
  Result<void> layers(Context& ctx, const lock::LockFile&, LayerSink& sink) const override {
    auto t_app = std::chrono::steady_clock::now();
    auto filter = TRY_CONTEXT(detectors::ProjectFilter::load(ctx.project.dir, ctx.project.config.exclude),
                              "reading the project's ignore files");
    for (const auto& w : filter.warnings()) sink.warning(w);
    auto entries =
        TRY_CONTEXT(archive::scan_directory(ctx.project.dir, archive::ScanOptions{"/app", filter.scan_exclude()}),
                    "adding the project's files");
    for (const auto& e : entries)
      if (e.size > detectors::large_file_threshold)
        sink.warning(e.path.substr(4) + " is " + std::to_string(e.size >> 20) +
                     " MB and goes into the image; if it is data, list it under `exclude:` in mlpack.yaml or in .mlpackignore");
    sink.add(TRY(sink.write_by_content(Layer{std::move(entries), "project files at /app"}, FileTimes::created)));
    sink.timing("app_layer_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_app).count());
    return {};
  }

  Result<void> configure(const Context& ctx, const lock::LockFile&, ConfigDraft& draft) const override {
    const auto& project = ctx.project.config;
    auto& config = draft.config;
    for (const auto& [k, v] : project.env) config.set_env(k, v);
    if (project.user) config.user = *project.user;
    config.working_dir = "/app";
    set_command(config, project, default_command_, draft.default_command);
    for (int port : project.ports) config.exposed_ports.push_back(std::to_string(port) + "/tcp");
    std::sort(config.exposed_ports.begin(), config.exposed_ports.end());
    return {};
  }

 private:
  detectors::DefaultCommand default_command_;  // Procfile `web:` or ./start
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<App>(); }

}  // namespace mlpack::buildpacks::app
