// debian-base behind the Buildpack interface: apt.txt in, the OS's lock entries and layers out.
#include <nlohmann/json.hpp>

#include <map>

#include "buildpacks/debian_base/debian_base.hpp"
#include "buildpacks/registry.hpp"
#include "apt/source.hpp"
#include "detectors/project.hpp"
#include "util/fs.hpp"

namespace mlpack::buildpacks::debian_base {

using util::ErrorKind;

namespace {

std::vector<std::string> apt_specs(const Project& project) {
  std::vector<std::string> specs = project.config.apt;
  for (const auto& a : project.apt) specs.push_back(a.version.empty() ? a.name : a.name + "=" + a.version);
  return specs;
}

Request request_for(const Context& ctx) {
  const Project& project = ctx.project;
  Request r;
  r.base = ctx.options.base.value_or(project.config.base.value_or("debian:bookworm"));
  r.snapshot = project.config.snapshot;
  r.extra_repositories = project.config.apt_repositories;
  r.replace_sources = project.config.apt_sources;
  r.apt = apt_specs(project);
  r.python = project.python;
  auto platform = oci::Platform::parse(ctx.options.platform);
  r.arch = platform ? platform->architecture : "amd64";
  return r;
}

Environment environment_for(const Context& ctx) {
  Environment env{ctx.options.cache_dir, ctx.project.dir, ctx.options.verify, ctx.http};
  env.transfers = ctx.options.transfers;
  return env;
}

// What a registry base image holds, read from its layers, published in ctx.base for the
// buildpacks above. apt.txt needs a Debian release to install on.
Result<std::optional<BaseImage>> inspect(Context& ctx) {
  if (!ctx.base.image) return std::optional<BaseImage>();
  auto view = image::read_file_view(*ctx.base.source, ctx.base.manifest, base_files_wanted());
  if (!view) return std::unexpected(view.error().context("reading the base image"));
  auto facts = inspect_base(*view);
  if (!facts) return std::unexpected(facts.error().context("reading the base image"));
  bool wants_apt = !ctx.project.apt.empty() || !ctx.project.config.apt.empty();
  if (wants_apt && facts->distribution.empty())
    return util::fail(ErrorKind::invalid_input,
                      "the base image `" + ctx.base.name + "` is not a Debian release (os-release ID `" + facts->os_id +
                          "`), so apt.txt cannot be installed on it");
  ctx.base.interpreters = facts->pythons;
  return std::optional<BaseImage>(std::move(*facts));
}

// The OS's packages for ctx.base: those the lock adds, then the base image's own.
void publish_packages(Context& ctx, const std::vector<lock::Package>& added, const std::optional<BaseImage>& image) {
  for (const auto& p : added)
    if (p.ecosystem == "deb") ctx.base.packages.push_back(BaseFacts::Package{p.name, p.version, false});
  if (image)
    for (const auto& p : image->installed) ctx.base.packages.push_back(BaseFacts::Package{p.name, p.version, true});
}

std::string layer_key(std::string_view group, const std::vector<const lock::Package*>& packages,
                      const archive::LayerOptions& options) {
  // Bump the version when what mlpack generates into these layers changes.
  std::string text = "mlpack-debian-layer-v3\n" + std::string(group) + "\n" +
                     archive::encoding_key(options).value_or("invalid-options") + " mtime " +
                     std::to_string(options.mtime) + "\n";
  for (const auto* p : packages) text += p->name + " " + p->version + " " + p->architecture + " " + p->sha256 + "\n";
  return util::Digest::sha256_of(text).hex();
}

// Whether the image runs as mlpack's user, uid 1000 or `app` (mlpack.yaml `user` unset, or naming
// it), so that user must exist: `user: "0"` or `user: nobody` needs no account from mlpack.
bool runs_as_app(const Project& project) {
  if (!project.config.user) return true;
  std::string user = project.config.user->substr(0, project.config.user->find(':'));
  return user == std::to_string(app_uid) || user == app_user;
}

// The layer that gives a registry base image the user the image runs as, from the cache when it
// was written before. Its bytes are a function of the base's account files and directories only,
// so the key is the layer's own entries.
Result<void> add_accounts_layer(const BaseImage& image, LayerSink& sink) {
  auto layer = app_accounts_layer(image.accounts);
  if (layer.entries.empty()) return {};
  const auto& options = sink.options(FileTimes::fixed);
  std::string text = "mlpack-accounts-layer-v1\n" + archive::encoding_key(options).value_or("invalid-options") +
                     " mtime " + std::to_string(options.mtime) + "\n";
  for (const auto& e : layer.entries)
    text += e.path + " " + std::to_string(static_cast<int>(e.type)) + " " + std::to_string(e.mode) + " " +
            std::to_string(e.uid) + ":" + std::to_string(e.gid) + " " + util::Digest::sha256_of(e.data).hex() + "\n";
  std::string key = util::Digest::sha256_of(text).hex();
  if (auto hit = sink.find(key)) {
    sink.add(std::move(*hit));
    return {};
  }
  auto built = sink.write(buildpacks::Layer{std::move(layer.entries), layer.contents}, FileTimes::fixed, key);
  if (!built) return std::unexpected(built.error().context("writing the accounts layer"));
  sink.add(std::move(*built));
  return {};
}

class DebianBase final : public Buildpack {
 public:
  std::string_view name() const override { return "debian-base"; }

  Result<Detection> detect(Project& project) override {
    auto apt = detectors::read_apt_txt(project.dir);
    if (!apt) return std::unexpected(apt.error());
    project.apt = std::move(*apt);
    Detection d;
    // The file read_apt_txt took (binder/ or .binder/ hides the root's), not every apt.txt there is.
    auto apt_txt = detectors::environment_dir(project.dir) / "apt.txt";
    std::error_code ec;
    if (std::filesystem::is_regular_file(apt_txt, ec))
      d.files.push_back(apt_txt.lexically_relative(project.dir).generic_string());
    d.applies = !project.apt.empty() || !project.config.apt.empty();
    return d;
  }

  bool builds_base(std::string_view base) const override {
    return apt::distribution_sources(std::string(base)).has_value();
  }

  std::vector<InputPart> inputs(const Context& ctx) const override {
    auto r = request_for(ctx);
    nlohmann::json base = {{"base", r.base}, {"snapshot", r.snapshot.value_or("")}, {"arch", r.arch}, {"platform", ctx.options.platform}};
    nlohmann::json repos = nlohmann::json::array();
    for (const auto& repo : r.replace_sources)
      repos.push_back({{"replace", true}, {"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
    for (const auto& repo : r.extra_repositories)
      repos.push_back({{"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
    nlohmann::json apt = {{"apt", r.apt}, {"apt_repositories", repos}};
    return {InputPart{"base", base.dump(), "the base or platform (mlpack.yaml `base`, --base, --platform)"},
            InputPart{"apt", apt.dump(), "the OS packages (apt.txt, mlpack.yaml `apt` or its repositories)"}};
  }

  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    auto image = inspect(ctx);
    if (!image) return std::unexpected(image.error());
    auto request = request_for(ctx);
    if (*image) {
      request.base = (*image)->distribution;
      request.base_image = &**image;
    }
    Resolved resolved;
    if (!ctx.base.image || !request.apt.empty()) {
      auto r = debian_base::resolve(request, environment_for(ctx));
      if (!r) return std::unexpected(r.error());
      resolved = std::move(*r);
    }
    publish_packages(ctx, resolved.packages, *image);
    for (auto& s : resolved.sources) lock.sources.push_back(std::move(s));
    for (auto& p : resolved.packages) lock.packages.push_back(std::move(p));
    return {};
  }

  // The os, runtime, apt and dpkg layers: from the layer cache when every one is there, else
  // unpacked and compressed.
  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const override {
    auto image = inspect(ctx);
    if (!image) return std::unexpected(image.error());
    publish_packages(ctx, lock.packages, *image);
    const auto& options = sink.options(FileTimes::fixed);

    std::map<std::string, std::vector<const lock::Package*>> groups;
    std::vector<const lock::Package*> all_debs;
    for (const auto& p : lock.packages)
      if (p.ecosystem == "deb") {
        auto it = p.extra.find("layer");
        groups[it == p.extra.end() ? "apt" : it->second].push_back(&p);
        all_debs.push_back(&p);
      }
    std::vector<std::string> keys;  // bottom to top
    for (std::string_view g : {layer_os, layer_runtime, layer_apt})
      if (groups.contains(std::string(g))) keys.push_back(layer_key(g, groups[std::string(g)], options));
    if (!all_debs.empty()) keys.push_back(layer_key("dpkg", all_debs, options));

    std::vector<BuiltLayer> layers;
    bool all_cached = !ctx.base.image;  // the layer cache keys do not cover what a base image holds
    for (const auto& key : keys) {
      auto hit = sink.find(key);
      if (!hit) {
        all_cached = false;
        break;
      }
      layers.push_back(*hit);
    }
    auto t_assemble = std::chrono::steady_clock::now();
    auto since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };
    if (!all_debs.empty())
      sink.fetching(all_cached ? std::to_string(all_debs.size()) + " Debian packages: layers reused"
                               : std::to_string(all_debs.size()) + " Debian packages: downloading (sha256-verified)");
    if (!all_cached) {
      layers.clear();
      auto env = environment_for(ctx);
      if (*image) env.base_image = &**image;
      auto assembled = assemble(lock, env);
      if (!assembled) return std::unexpected(assembled.error());
      sink.timing("fetch_unpack_s", since(t_assemble));
      if (assembled->layers.size() != keys.size() && !(ctx.base.image && all_debs.empty()))
        return util::fail(ErrorKind::internal, "the Debian layers do not match the lock's layer groups");
      for (std::size_t i = 0; i < assembled->layers.size(); ++i) {
        auto& layer = assembled->layers[i];
        auto b = sink.write(buildpacks::Layer{std::move(layer.entries), layer.contents}, FileTimes::fixed, keys[i]);
        if (!b) return std::unexpected(b.error());
        layers.push_back(std::move(*b));
      }
    }
    for (auto& l : layers) sink.add(std::move(l));
    // mlpack's own core OS has the user; a registry base image may not.
    if (*image && runs_as_app(ctx.project))
      if (auto r = add_accounts_layer(**image, sink); !r) return std::unexpected(r.error());
    sink.timing("debian_layers_s", since(t_assemble));
    return {};
  }

  Result<void> configure(const Context& ctx, const lock::LockFile&, ConfigDraft& draft) const override {
    if (!ctx.base.image) draft.config.set_env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    draft.config.set_env("LANG", "C.UTF-8");
    draft.config.user = std::to_string(app_uid);
    draft.default_command = {"/bin/sh"};
    return {};
  }
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<DebianBase>(); }

}  // namespace mlpack::buildpacks::debian_base
