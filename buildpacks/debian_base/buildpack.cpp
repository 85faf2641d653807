// debian-base behind the Buildpack interface: apt.txt and mlpack.yaml's apt keys in, the OS's lock
// entries, layers and facts (its packages, libc, a registry base's interpreters) out.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "apt/source.hpp"
#include "buildpacks/debian_base/debian_base.hpp"
#include "buildpacks/registry.hpp"
#include "detectors/apt_txt.hpp"
#include "detectors/project.hpp"
#include "image/file_view.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::buildpacks::debian_base {

using util::ErrorKind;

namespace {

// What debian-base reads from mlpack.yaml.
struct Config {
  std::vector<std::string> apt;  // `apt`: more packages, as apt.txt lines
  std::optional<std::string> snapshot;
  std::vector<AptRepository> apt_repositories;  // added to the base's sources
  std::vector<AptRepository> apt_sources;       // replace the base's sources (a mirror, a local archive)
};

Result<std::vector<AptRepository>> read_repositories(const detectors::ConfigValue& value) {
  std::vector<AptRepository> out;
  for (const auto& repo : TRY(value.items())) {
    if (!repo.is_map()) return std::unexpected(repo.error("each apt repository must be a mapping with `url`, `suite`, `keyring`"));
    static const std::vector<std::string> repo_keys = {"url", "suite", "components", "keyring"};
    TRY(repo.only_keys(repo_keys, " in an apt repository"));
    for (const char* required : {"url", "suite", "keyring"})
      if (!repo.get(required)) return std::unexpected(repo.error(std::string("apt repository without `") + required + "`"));
    AptRepository r;
    r.url = TRY(repo.get("url")->string());
    r.suite = TRY(repo.get("suite")->string());
    r.keyring = TRY(repo.get("keyring")->string());
    if (auto components = repo.get("components")) r.components = TRY(components->strings());
    out.push_back(std::move(r));
  }
  return out;
}

Result<Config> read_config(const detectors::ProjectConfig& project) {
  Config c;
  if (const auto* v = project.section("apt")) c.apt = TRY(v->strings());
  if (const auto* v = project.section("snapshot")) c.snapshot = TRY(v->string());
  if (const auto* v = project.section("apt_repositories")) c.apt_repositories = TRY(read_repositories(*v));
  if (const auto* v = project.section("apt_sources")) c.apt_sources = TRY(read_repositories(*v));
  return c;
}

// Publishes the OS for the buildpacks above: its packages (those the lock adds, then the base
// image's own), the C library's version, and a registry base's interpreters. Replaces what an
// earlier step of the same run published.
void publish_os(Context& ctx, const std::vector<lock::Package>& added, const std::optional<BaseImage>& image) {
  std::vector<facts::OsPackage> packages;
  for (const auto& p : added)
    if (p.ecosystem == "deb") packages.push_back(facts::OsPackage{p.name, p.version, false, p.architecture});
  if (image)
    for (const auto& p : image->installed) packages.push_back(facts::OsPackage{p.name, p.version, true, p.architecture});
  for (const auto& p : packages)
    if (p.name == "libc6") {
      int major = 0, minor = 0;
      if (std::sscanf(p.version.c_str(), "%d.%d", &major, &minor) == 2)
        ctx.facts.publish(facts::libc_version, std::to_string(major) + "." + std::to_string(minor));
      break;
    }
  ctx.facts.publish(facts::os_packages, std::move(packages));
  if (image) ctx.facts.publish(facts::base_interpreters, image->pythons);
  if (image) ctx.facts.publish(facts::base_os, facts::OsRelease{image->os_id, image->distribution});
}

// Covers the layer's identity in the plan, its history text, its members and the encoding: the
// same packages give the same key (and bytes) in every project.
std::string layer_key(std::string_view group, std::string_view contents, const std::vector<const lock::Package*>& packages,
                      const archive::LayerOptions& options) {
  // Bump the version when what mlpack generates into these layers changes.
  std::string text = "mlpack-debian-layer-v4\n" + std::string(group) + "\n" + std::string(contents) + "\n" +
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
  auto built =
      TRY_CONTEXT(sink.write(buildpacks::Layer{std::move(layer.entries), layer.contents}, FileTimes::fixed, key),
                  "writing the accounts layer");
  sink.add(std::move(built));
  return {};
}

class DebianBase final : public Buildpack {
 public:
  std::string_view name() const override { return "debian-base"; }

  std::vector<FlagSpec> flags() const override {
    return {FlagSpec{"--insecure-skip-verify", "", "Do not check apt archive signatures (dangerous)", false}};
  }
  std::vector<std::string> config_keys() const override { return {"apt", "apt_repositories", "apt_sources", "snapshot"}; }
  std::vector<std::string> looks_for() const override { return {"apt.txt"}; }
  std::optional<std::string> default_base() const override { return std::string(default_distribution); }

  Result<std::vector<std::string>> accept(const FlagValues& flags, const util::Environment&) override {
    if (!flags.given("--insecure-skip-verify")) return std::vector<std::string>{};
    verify_ = apt::Verify::no;
    // Loud on purpose: without signatures nothing ties the packages to the distribution.
    return std::vector<std::string>{
        "`--insecure-skip-verify`: apt archive signatures are NOT checked; packages could come from anyone who "
        "can reach the network path"};
  }

  Result<Detection> detect(Project& project) override {
    config_ = TRY(read_config(project.config));
    apt_ = TRY(detectors::read_apt_txt(project.dir));
    Detection d;
    // The file read_apt_txt took (binder/ or .binder/ hides the root's), not every apt.txt there is.
    auto apt_txt = detectors::environment_dir(project.dir) / "apt.txt";
    std::error_code ec;
    if (std::filesystem::is_regular_file(apt_txt, ec))
      d.files.push_back(apt_txt.lexically_relative(project.dir).generic_string());
    d.applies = wants_apt();
    d.ecosystem = "deb";  // the OS's packages are pinned whatever else the project has
    return d;
  }

  DetectSection describe(const Project&) const override {
    DetectSection s;
    s.json["requirements"] = nlohmann::json::array();
    for (const auto& a : apt_)
      s.json["requirements"].push_back({{"ecosystem", "deb"},
                                        {"name", a.name},
                                        {"specifier", a.version.empty() ? "" : "=" + a.version},
                                        {"extras", nlohmann::json::array()},
                                        {"marker", nullptr},
                                        {"url", nullptr},
                                        {"hashes", nlohmann::json::array()},
                                        {"file", a.file},
                                        {"line", a.line}});
    return s;
  }

  bool builds_base(std::string_view base) const override {
    return apt::distribution_sources(std::string(base)).has_value();
  }

  std::vector<std::string> base_files() const override { return base_files_wanted().paths; }

  std::vector<InputPart> inputs(const Context& ctx) const override {
    auto r = request_for(ctx);
    nlohmann::json base = {{"base", r.base}, {"snapshot", r.snapshot.value_or("")}, {"arch", r.arch}, {"platform", ctx.options.platform.str()}};
    nlohmann::json repos = nlohmann::json::array();
    for (const auto& repo : r.replace_sources)
      repos.push_back({{"replace", true}, {"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
    for (const auto& repo : r.extra_repositories)
      repos.push_back({{"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
    nlohmann::json apt = {{"apt", r.apt}, {"apt_repositories", repos}};
    // Only when a runtime's version is constrained, so other projects' digests stay as they were.
    std::vector<std::string> versions;
    for (const auto& rv : r.runtime_versions) versions.push_back(rv.identity);
    if (!versions.empty()) apt["runtime_versions"] = versions;
    return {InputPart{"base", base.dump(), "the base or platform (mlpack.yaml `base`, --base, --platform)"},
            InputPart{"apt", apt.dump(), "the OS packages (apt.txt, mlpack.yaml `apt` or its repositories)"}};
  }

  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    auto image = TRY(inspect(ctx));
    auto request = request_for(ctx);
    if (image) {
      request.base = image->distribution;
      request.base_image = &*image;
    }
    Resolved resolved;
    if (!ctx.base.image || !request.apt.empty()) resolved = TRY(debian_base::resolve(request, environment_for(ctx)));
    publish_os(ctx, resolved.packages, image);
    for (auto& s : resolved.sources) lock.sources.push_back(std::move(s));
    for (auto& p : resolved.packages) lock.packages.push_back(std::move(p));
    // For the ecosystems above: resolve again with their system libraries, replacing the OS part.
    Context* c = &ctx;
    ctx.facts.publish(facts::os_add, facts::OsAdd([this, c, image](const facts::OsRequest& more, lock::LockFile& lock)
                                                      -> Result<std::vector<std::string>> {
      auto request = request_for(*c);
      if (image) {
        request.base = image->distribution;
        request.base_image = &*image;
      }
      request.libs = more.packages;
      request.runtime_of_dev = more.runtime_of_dev;
      request.libs_why = more.why;
      auto resolved = TRY(debian_base::resolve(request, environment_for(*c)));
      std::erase_if(lock.packages, [](const lock::Package& p) { return p.ecosystem == "deb"; });
      std::erase_if(lock.sources, [](const lock::Source& s) { return s.ecosystem == "deb"; });
      publish_os(*c, resolved.packages, image);
      for (auto& s : resolved.sources) lock.sources.push_back(std::move(s));
      for (auto& p : resolved.packages) lock.packages.push_back(std::move(p));
      return resolved.libs;
    }));
    return {};
  }

  // The os, runtime, apt and dpkg layers: from the layer cache when every one is there, else
  // unpacked and compressed.
  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink) const override {
    auto image = TRY(inspect(ctx));
    publish_os(ctx, lock.packages, image);
    const auto& options = sink.options(FileTimes::fixed);

    // The core OS, then the Debian layers of the image's plan (one per lock group when no plan was
    // made, as for a lock read on its own), then the dpkg database over them all.
    std::vector<LayerSpec> layout;
    if (const auto* plan = ctx.facts.find(facts::layer_plan)) layout = planned_layout(lock, *plan);
    else layout = group_layout(lock);
    std::map<std::string, const lock::Package*> by_name;
    std::vector<const lock::Package*> all_debs;
    for (const auto& p : lock.packages)
      if (p.ecosystem == "deb") {
        by_name[p.name] = &p;
        all_debs.push_back(&p);
      }
    std::vector<std::string> keys;  // bottom to top
    std::vector<std::vector<std::string>> members;
    for (const auto& spec : layout) {
      std::vector<const lock::Package*> ps;
      std::vector<std::string> names;
      for (const auto& n : spec.packages) {
        auto it = by_name.find(n);
        if (it == by_name.end())
          return util::fail(ErrorKind::internal, "the layer plan names `" + n + "`, which the lock has no Debian package of");
        ps.push_back(it->second);
        names.push_back(n + " " + it->second->version);
      }
      keys.push_back(layer_key(spec.group, spec.contents, ps, options));
      members.push_back(std::move(names));
    }
    if (!all_debs.empty()) {
      keys.push_back(layer_key("dpkg", "", all_debs, options));
      members.emplace_back();
    }

    std::vector<BuiltLayer> layers;
    std::shared_ptr<std::vector<facts::OsPath>> paths;  // when the layers were laid out in this run
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
      if (image) env.base_image = &*image;
      auto assembled = TRY(assemble(lock, env, layout));
      sink.timing("fetch_unpack_s", since(t_assemble));
      if (assembled.layers.size() != keys.size() && !(ctx.base.image && all_debs.empty()))
        return util::fail(ErrorKind::internal, "the Debian layers do not match the lock's layer groups");
      paths = std::make_shared<std::vector<facts::OsPath>>();
      for (const auto& layer : assembled.layers) add_paths(layer.entries, *paths);
      for (std::size_t i = 0; i < assembled.layers.size(); ++i) {
        auto& layer = assembled.layers[i];
        layers.push_back(TRY(sink.write(buildpacks::Layer{std::move(layer.entries), layer.contents}, FileTimes::fixed, keys[i])));
      }
    }
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (i < members.size()) layers[i].packages = members[i];
      sink.add(std::move(layers[i]));
    }
    publish_paths(ctx, lock, image, std::move(paths));
    ctx.facts.publish(facts::stated_licenses, stated_licenses(lock, environment_for(ctx)));
    // mlpack's own core OS has the user; a registry base image may not.
    if (image && runs_as_app(ctx.project)) TRY(add_accounts_layer(*image, sink));
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

 private:
  static void add_paths(const std::vector<archive::Entry>& entries, std::vector<facts::OsPath>& out) {
    for (const auto& e : entries)
      out.push_back(facts::OsPath{e.path, e.type == archive::EntryType::symlink,
                                  e.type == archive::EntryType::symlink ? e.link_target : std::string()});
  }

  // The OS's paths for the buildpacks above: those of the layers laid out in this run, else (every
  // layer came from the cache) laid out again when a check asks; plus a registry base's files.
  void publish_paths(Context& ctx, const lock::LockFile& lock, const std::optional<BaseImage>& image,
                     std::shared_ptr<std::vector<facts::OsPath>> laid_out) const {
    lock::LockFile debs;
    debs.sources = lock.sources;
    for (const auto& p : lock.packages)
      if (p.ecosystem == "deb") debs.packages.push_back(p);
    auto env = environment_for(ctx);
    auto base_files = ctx.base.files;
    bool has_image = image.has_value();
    std::optional<BaseImage> base = image;
    auto cached = std::make_shared<std::shared_ptr<const std::vector<facts::OsPath>>>();
    ctx.facts.publish(facts::os_paths, facts::OsPaths([=]() mutable -> Result<std::shared_ptr<const std::vector<facts::OsPath>>> {
      if (*cached) return *cached;
      auto all = std::make_shared<std::vector<facts::OsPath>>();
      if (base_files)
        for (const auto& [path, info] : base_files->files)
          all->push_back(facts::OsPath{path, info.type == image::FileInfo::Type::symlink,
                                       info.type == image::FileInfo::Type::symlink ? info.link : std::string()});
      if (laid_out) {
        all->insert(all->end(), laid_out->begin(), laid_out->end());
      } else if (!debs.packages.empty()) {
        if (has_image) env.base_image = &*base;
        auto assembled = TRY_CONTEXT(assemble(debs, env), "laying out the OS to check its libraries");
        for (const auto& layer : assembled.layers) add_paths(layer.entries, *all);
      }
      *cached = all;
      return *cached;
    }));
  }

  bool wants_apt() const { return !apt_.empty() || !config_.apt.empty(); }

  std::vector<std::string> apt_specs() const {
    std::vector<std::string> specs = config_.apt;
    for (const auto& a : apt_) specs.push_back(a.version.empty() ? a.name : a.name + "=" + a.version);
    return specs;
  }

  Request request_for(const Context& ctx) const {
    Request r;
    r.base = ctx.options.base.value_or(ctx.project.config.base.value_or(std::string(default_distribution)));
    r.snapshot = config_.snapshot;
    r.extra_repositories = config_.apt_repositories;
    r.replace_sources = config_.apt_sources;
    r.apt = apt_specs();
    // The interpreters the buildpacks above run on, when mlpack lays the OS down itself.
    auto runtimes = ctx.project.facts.get_or(facts::wanted_runtimes);
    r.python = std::find(runtimes.begin(), runtimes.end(), "python3") != runtimes.end();
    // R's interpreter and its base packages (the recommended ones are CRAN packages like any other),
    // and what its scripts run that Debian takes for granted (Essential: never a dependency):
    // /usr/bin/R is a bash script calling sed, grep and uname; Sys.which() runs `which`; libc-bin
    // has the C.UTF-8 locale LANG names, without which R warns for every locale category.
    if (std::find(runtimes.begin(), runtimes.end(), "R") != runtimes.end())
      r.runtimes.insert(r.runtimes.end(), {"r-base-core", "bash", "sed", "grep", "debianutils", "libc-bin"});
    r.runtime_versions = ctx.project.facts.get_or(runtime_versions);
    r.arch = ctx.options.platform.architecture;
    return r;
  }

  Environment environment_for(const Context& ctx) const {
    Environment env{ctx.options.cache_dir, ctx.project.dir, verify_, ctx.http};
    env.transfers = ctx.options.transfers;
    env.ca_file = ctx.options.ca_file;
    env.unpack = ctx.options.unpack;
    return env;
  }

  // What a registry base image holds, from the file view the pipeline read once. apt.txt needs a
  // Debian release to install on.
  Result<std::optional<BaseImage>> inspect(const Context& ctx) const {
    if (!ctx.base.image) return std::optional<BaseImage>();
    if (!ctx.base.files) return util::fail(ErrorKind::internal, "the base image's files were not read");
    auto facts = TRY_CONTEXT(inspect_base(*ctx.base.files), "reading the base image");
    if (wants_apt() && facts.distribution.empty())
      return util::fail(ErrorKind::invalid_input,
                        "the base image `" + ctx.base.name + "` is not a Debian release (os-release ID `" + facts.os_id +
                            "`), so apt.txt cannot be installed on it");
    return std::optional<BaseImage>(std::move(facts));
  }

  Config config_;
  std::vector<detectors::AptRequest> apt_;
  apt::Verify verify_ = apt::Verify::yes;
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<DebianBase>(); }

}  // namespace mlpack::buildpacks::debian_base
