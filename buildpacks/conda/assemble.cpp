// Turning the locked conda packages into the image's /opt/conda layers.
#include "buildpacks/conda/assemble.hpp"
#include "buildpacks/python/python.hpp"

#include <algorithm>
#include <set>

#include "archive/entry.hpp"
#include "conda/channel_url.hpp"
#include "condaindex/client.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::buildpacks::conda {

using util::ErrorKind;

namespace {

std::string basename(const std::string& p) {
  return p.substr(p.rfind('/') + 1);
}

std::string extra(const lock::Package& p, const char* key) {
  auto it = p.extra.find(key);
  return it == p.extra.end() ? std::string() : it->second;
}

std::vector<const lock::Package*> conda_packages(const lock::LockFile& lock) {
  std::vector<const lock::Package*> out;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "conda") out.push_back(&p);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  return out;
}

// The URL a package is fetched from: with the credentials of the channel (or lock file) it came from.
std::string request_url(const lock::Package& p, const EnvSources& sources) {
  std::string canonical = p.url();
  if (auto it = sources.urls.find(canonical); it != sources.urls.end()) return it->second;
  for (const auto& c : sources.channels)
    if (!p.source.empty() && c.url == p.source) return c.with_credentials(canonical);
  return canonical;
}


// What a group's layer is a function of: bump the version when what mlpack writes changes.
std::string key_text(const EnvGroup& group, const condapkg::Prefix& prefix, const EnvSources& sources) {
  std::string text = "mlpack-conda-layer-v2\n" + prefix.path + " " + prefix.site_packages + "\n" + group.contents + "\n";
  for (const auto* p : group.packages) {
    auto ref = package_ref(*p, sources.requested);
    text += p->name + " " + p->version + " " + extra(*p, "build") + " " + p->sha256 + " " +
            util::Digest::sha256_of(ref.record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" +
                                    ref.url + "\n" + ref.requested_spec)
                .hex() +
            "\n";
  }
  return text;
}

nlohmann::json activation_json(const Activation& a) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : a.env) env.push_back({k, v});
  return {{"env", env}, {"warnings", a.warnings}};
}

std::optional<Activation> activation_from(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Activation a;
    for (const auto& kv : j.at("env")) a.env.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    for (const auto& w : j.at("warnings")) a.warnings.push_back(w.get<std::string>());
    return a;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Activation and warnings from the installed packages. conda sources etc/conda/activate.d/*.sh in
// the order of their file names, whichever package installed them.
Activation activation_of(const std::vector<condapkg::Installed>& installed, const condapkg::Prefix& prefix) {
  Activation a;
  std::vector<std::pair<const condapkg::ActivationScript*, const condapkg::Installed*>> scripts;
  for (const auto& p : installed) {
    if (!p.link_scripts.empty()) {
      std::string list;
      for (const auto& s : p.link_scripts) list += (list.empty() ? "`" : ", `") + s + "`";
      a.warnings.push_back("conda package " + p.label() + " has link scripts (" + list +
                           ") that mlpack does not run; the environment is installed without what they would do");
    }
    for (const auto& s : p.activation) scripts.emplace_back(&s, &p);
  }
  std::sort(scripts.begin(), scripts.end(), [](const auto& x, const auto& y) { return x.first->path < y.first->path; });
  for (const auto& [script, package] : scripts) {
    auto vars = condapkg::plain_exports(script->text, prefix.path);
    if (!vars) {
      a.warnings.push_back("conda package " + package->label() + " has the activation script `" + prefix.path + "/" +
                           script->path +
                           "`, which does more than `export NAME=value`: its effect is not in the "
                           "image's Env (source it in the entrypoint if the program needs it)");
      continue;
    }
    for (auto& v : *vars) a.env.push_back(std::move(v));
  }
  return a;
}

}  // namespace

std::vector<EnvGroup> plan_environment(const lock::LockFile& lock, std::size_t budget, std::uint64_t large_bytes) {
  auto packages = conda_packages(lock);
  auto by_size = packages;
  std::sort(by_size.begin(), by_size.end(),
            [](const auto* a, const auto* b) { return a->size != b->size ? a->size > b->size : a->name < b->name; });
  std::set<const lock::Package*> own;
  for (const auto* p : by_size) {
    if (own.size() + 1 >= budget || p->size < large_bytes) break;
    own.insert(p);
  }
  std::vector<EnvGroup> groups;
  EnvGroup rest;
  for (const auto* p : packages) {
    if (own.contains(p))
      groups.push_back(EnvGroup{{p}, "conda: " + p->name + " " + p->version});
    else
      rest.packages.push_back(p);
  }
  if (!rest.packages.empty()) {
    rest.contents = "conda: " + std::to_string(rest.packages.size()) +
                    (rest.packages.size() == 1 ? " package" : " packages") + " in " + std::string(environment_prefix);
    groups.push_back(std::move(rest));
  }
  return groups;
}

Result<std::vector<EnvGroup>> plan_environment(const lock::LockFile& lock, const facts::LayerPlan& plan) {
  std::map<std::string, const lock::Package*> by_name;
  for (const auto* p : conda_packages(lock)) by_name[p->name] = p;
  std::map<std::string, int> placed;
  std::vector<EnvGroup> groups;
  for (const auto* layer : plan.of("conda")) {
    EnvGroup g;
    g.contents = layer->description;
    for (const auto& name : layer->packages) {
      auto it = by_name.find(name);
      if (it == by_name.end())
        return util::fail(ErrorKind::internal, "the layer plan names `" + name + "`, which the lock has no conda package of");
      g.packages.push_back(it->second);
      ++placed[name];
    }
    groups.push_back(std::move(g));
  }
  for (const auto& [name, p] : by_name)
    if (placed[name] != 1)
      return util::fail(ErrorKind::internal, "the layer plan puts conda package `" + name + "` in " +
                                                 std::to_string(placed[name]) + " layers, not one");
  return groups;
}

condapkg::Prefix prefix_of(const lock::LockFile& lock) {
  condapkg::Prefix prefix;
  prefix.path = std::string(environment_prefix);
  for (const auto& p : lock.packages) {
    if (p.ecosystem != "conda" || p.name != "python") continue;
    if (auto sp = extra(p, "python_site_packages_path"); !sp.empty()) {
      prefix.site_packages = sp;
    } else {
      auto first = p.version.find('.');
      auto second = first == std::string::npos ? first : p.version.find('.', first + 1);
      prefix.site_packages = "lib/python" + p.version.substr(0, second) + "/site-packages";
    }
  }
  return prefix;
}

condapkg::PackageRef package_ref(const lock::Package& p, const std::map<std::string, std::string>& requested) {
  condapkg::PackageRef ref;
  ref.name = p.name;
  ref.version = p.version;
  ref.build = extra(p, "build");
  ref.filename = basename(p.filename);
  ref.sha256 = p.sha256;
  ref.size = p.size;
  ref.url = mlpack::conda::strip_channel_credentials(p.url());
  ref.channel = p.source.empty() ? ref.url.substr(0, ref.url.rfind('/', ref.url.rfind('/') - 1)) : p.source;
  auto& r = ref.record;
  if (auto bn = extra(p, "build_number"); !bn.empty()) {
    try {
      r["build_number"] = std::stoull(bn);
    } catch (const std::exception&) {
      r["build_number"] = bn;
    }
  }
  for (const char* key : {"subdir", "md5", "license", "noarch"})
    if (auto v = extra(p, key); !v.empty()) r[key] = v;
  if (auto sp = extra(p, "python_site_packages_path"); !sp.empty()) r["python_site_packages_path"] = sp;
  r["depends"] = p.depends;
  r["constrains"] = p.constrains;
  if (auto it = requested.find(p.name); it != requested.end()) ref.requested_spec = it->second;
  return ref;
}

Result<Activation> add_environment_layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink,
                                          const EnvSources& sources) {
  // The image's layer plan when the pipeline made one; else the large-package rule on its own.
  std::vector<EnvGroup> groups;
  if (const auto* plan = ctx.facts.find(facts::layer_plan)) groups = TRY(plan_environment(lock, *plan));
  else groups = plan_environment(lock);
  if (groups.empty()) return Activation{};
  auto prefix = prefix_of(lock);
  const auto& options = sink.options(FileTimes::fixed);
  std::string encoding =
      archive::encoding_key(options).value_or("invalid-options") + " mtime " + std::to_string(options.mtime);
  std::vector<std::string> keys;
  std::vector<std::optional<BuiltLayer>> hits;
  bool all_hit = true;
  std::string all_keys;
  for (const auto& g : groups) {
    keys.push_back(util::Digest::sha256_of(key_text(g, prefix, sources) + encoding).hex());
    all_keys += keys.back();
    hits.push_back(sink.find(keys.back()));
    all_hit = all_hit && hits.back().has_value();
  }
  // The activation is a function of the packages, kept beside the layer cache.
  fs::path activation_file;
  if (!ctx.options.cache_dir.empty())
    activation_file = ctx.options.cache_dir / "conda-activation" / (util::Digest::sha256_of(all_keys).hex() + ".json");
  std::optional<Activation> activation;
  if (all_hit && !activation_file.empty())
    if (auto text = util::read_file(activation_file, 1 << 20)) activation = activation_from(*text);

  std::vector<const lock::Package*> packages;
  std::vector<std::size_t> group_of;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto* p : groups[g].packages) packages.push_back(p), group_of.push_back(g);
  std::vector<condapkg::PackageRef> refs;
  for (const auto* p : packages) refs.push_back(package_ref(*p, sources.requested));

  if (!all_hit || !activation) {
    sink.fetching(std::to_string(packages.size()) + " conda packages: downloading (sha256-verified)");
    condaindex::ClientOptions co;
    co.cache_dir = ctx.options.cache_dir;
    co.transfers = ctx.options.transfers;
    condaindex::ChannelClient client(http_client(ctx), std::move(co));
    std::vector<condapkg::Installed> installed(packages.size());
    // One budget of open payloads per layer: its files stream out of several packages at once.
    std::vector<std::shared_ptr<condapkg::StreamBudget>> budgets;
    for (std::size_t g = 0; g < groups.size(); ++g) budgets.push_back(condapkg::make_stream_budget());
    TRY(util::parallel_for(packages.size(), 4, [&](std::size_t i) -> Result<void> {
      const auto& p = *packages[i];
      condaindex::PackageFile file{request_url(p, sources), p.sha256, extra(p, "md5"), p.size};
      auto blob = TRY_CONTEXT(client.download_package(file), "downloading conda package " + p.name + " " + p.version);
      condapkg::InstallOptions options;
      options.unpack = ctx.options.unpack;
      options.streams = budgets[group_of[i]];
      installed[i] = TRY(condapkg::install_package(blob, refs[i], prefix, options));
      return {};
    }));
    TRY(condapkg::check_environment(installed, prefix));
    activation = activation_of(installed, prefix);
    if (!activation_file.empty()) {
      std::error_code ec;
      fs::create_directories(activation_file.parent_path(), ec);
      (void)util::write_file_atomic(
          activation_file,
          activation_json(*activation)
              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));  // a cache: best effort
    }
    std::vector<std::vector<condapkg::Installed>> per_group(groups.size());
    for (std::size_t i = 0; i < installed.size(); ++i) per_group[group_of[i]].push_back(std::move(installed[i]));
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (hits[g]) continue;
      auto entries = condapkg::layer_entries(std::move(per_group[g]));
      hits[g] = TRY(sink.write(Layer{std::move(entries), groups[g].contents}, FileTimes::fixed, keys[g]));
    }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    hits[g]->packages.clear();
    for (const auto* p : groups[g].packages) hits[g]->packages.push_back(p->name + " " + p->version);
    sink.add(std::move(*hits[g]));
  }
  // conda-meta/history names every package: a small layer of its own, so a changed package does
  // not rebuild the layer of the others.
  std::vector<archive::Entry> history{archive::dir_entry("opt"), archive::dir_entry("opt/conda"),
                                      archive::dir_entry("opt/conda/conda-meta"),
                                      condapkg::history_entry(refs, sources.specs, prefix)};
  sink.add(TRY(sink.write_by_content(Layer{std::move(history), "conda: conda-meta/history"}, FileTimes::fixed)));
  for (const auto& w : activation->warnings) sink.warning(w);
  return *activation;
}

Result<void> add_pip_layer(Context& ctx, const lock::LockFile& lock, LayerSink& sink, std::optional<fs::path> netrc) {
  std::vector<const lock::Package*> wheels;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "pypi" && extra(p, "installer") == "conda") wheels.push_back(&p);
  if (wheels.empty()) return {};
  const lock::Package* python = nullptr;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "conda" && p.name == "python") python = &p;
  if (!python)
    return util::fail(ErrorKind::invalid_input,
                      "mlpack.lock has pip packages for the conda environment but no conda python");
  auto first = python->version.find('.');
  auto second = first == std::string::npos ? first : python->version.find('.', first + 1);
  std::string xy = python->version.substr(0, second);
  wheel::VenvLayout layout;
  layout.prefix = std::string(environment_prefix);
  layout.interpreter = layout.prefix + "/bin/python" + xy;
  layout.python_version = python->version.substr(0, python->version.find_first_not_of("0123456789."));
  auto paths = TRY(wheel::venv_paths(layout));
  auto site = prefix_of(lock).site_packages;
  if (paths.site_packages != layout.prefix.substr(1) + "/" + site)
    return util::fail(ErrorKind::unsupported, "the conda python keeps its packages in `" + layout.prefix + "/" + site +
                                                  "`, where mlpack cannot install the `pip:` list yet");

  const auto& options = sink.options(FileTimes::fixed);
  std::string text =
      "mlpack-conda-pip-layer-v1\n" + layout.prefix + " " + layout.interpreter + " " + layout.python_version + "\n";
  for (const auto* p : wheels)
    text +=
        p->name + " " + p->version + " " + p->sha256 + " " + (p->extra.contains("requested") ? "requested" : "") + "\n";
  std::string key = util::Digest::sha256_of(text + archive::encoding_key(options).value_or("invalid-options") +
                                            " mtime " + std::to_string(options.mtime))
                        .hex();
  std::string contents = "conda pip: " + std::to_string(wheels.size()) +
                         (wheels.size() == 1 ? " package" : " packages") + " in " + layout.prefix;
  if (auto hit = sink.find(key)) {
    sink.add(std::move(*hit));
    return {};
  }
  sink.fetching(std::to_string(wheels.size()) +
                " Python wheels for the conda environment: downloading (sha256-verified)");
  auto dists = TRY(python::install_locked_wheels(wheels, layout, ctx.options.cache_dir, http_client(ctx),
                                                 ctx.options.transfers, std::move(netrc), ctx.options.unpack));
  auto entries = TRY(wheel::layer_entries(std::move(dists)));
  sink.add(TRY(sink.write(Layer{std::move(entries), contents}, FileTimes::fixed, key)));
  return {};
}

}  // namespace mlpack::buildpacks::conda
