// Turning the locked wheels into the image's /opt/venv layer.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "buildpacks/python/python.hpp"
#include "net/curl_client.hpp"
#include "util/expected.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::python {

using util::ErrorKind;

std::string debian_upstream_number(const std::string& version) {
  auto colon = version.find(':');
  std::string v = colon == std::string::npos ? version : version.substr(colon + 1);
  return v.substr(0, v.find_first_not_of("0123456789."));
}

Result<wheel::VenvLayout> venv_layout(const lock::LockFile& lock, const BasePython& base) {
  if (!lock.target.python)
    return util::fail(ErrorKind::invalid_input, "mlpack.lock has Python packages but no target Python version");
  const std::string& xy = *lock.target.python;
  wheel::VenvLayout layout;
  layout.python_version = xy;
  bool debian = base.debian;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "deb" && p.name == "python3") {
      debian = true;
      std::string full = debian_upstream_number(p.version);
      if (full.rfind(xy, 0) == 0) layout.python_version = full;
    }
  if (debian) {
    layout.interpreter = "/usr/bin/python" + xy;
  } else {
    layout.interpreter.clear();
    for (std::string dir : {"/usr/local/bin/python", "/usr/bin/python", "/bin/python"})
      if (std::find(base.interpreters.begin(), base.interpreters.end(), dir + xy) != base.interpreters.end()) {
        layout.interpreter = dir + xy;
        break;
      }
    if (layout.interpreter.empty())
      return util::fail(ErrorKind::invalid_input,
                        "the base image has no Python " + xy + " interpreter (looked for python" + xy +
                            " in /usr/local/bin and /usr/bin" +
                            (base.interpreters.empty() ? std::string() : "; it has " + util::join(base.interpreters, ", ")) +
                            "); use a base with Python " + xy + " or add python3 to apt.txt");
    if (base.version.rfind(xy + ".", 0) == 0) layout.python_version = base.version;
  }
  TRY(wheel::venv_paths(layout));
  return layout;
}

wheel::VenvOptions venv_options(const lock::LockFile& lock) {
  wheel::VenvOptions options;
  for (const auto& p : lock.packages) {
    auto layer = p.extra.find("layer");
    bool from_apt_txt = layer != p.extra.end() && layer->second == "apt";
    if (p.ecosystem == "deb" && from_apt_txt && p.name.starts_with("python3-")) options.apt_packages = wheel::AptPackages::visible;
  }
  return options;
}

std::vector<VenvGroup> plan_venv(const lock::LockFile& lock, const wheel::VenvLayout& layout, std::size_t budget,
                                 std::uint64_t large_bytes) {
  std::vector<const lock::Package*> wheels;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "pypi") wheels.push_back(&p);
  // Largest first (name breaks ties) picks which wheels get their own layer.
  std::vector<const lock::Package*> by_size = wheels;
  std::sort(by_size.begin(), by_size.end(), [](const auto* a, const auto* b) {
    return a->size != b->size ? a->size > b->size : a->name < b->name;
  });
  std::set<const lock::Package*> own;
  for (const auto* p : by_size) {
    if (own.size() + 1 >= budget || p->size < large_bytes) break;
    own.insert(p);
  }
  std::vector<VenvGroup> groups;
  VenvGroup rest;
  rest.skeleton = true;
  for (const auto* p : wheels) {  // the lock is sorted by name
    if (own.contains(p)) groups.push_back(VenvGroup{{p}, false, "python: " + p->name + " " + p->version});
    else rest.wheels.push_back(p);
  }
  rest.contents = "python: " + std::to_string(rest.wheels.size()) + (rest.wheels.size() == 1 ? " package" : " packages") +
                  " in " + layout.prefix;
  groups.push_back(std::move(rest));
  return groups;
}

Result<std::vector<VenvGroup>> plan_venv(const lock::LockFile& lock, const wheel::VenvLayout& layout,
                                         const facts::LayerPlan& plan) {
  std::map<std::string, const lock::Package*> by_name;
  for (const auto& p : lock.packages)
    if (p.ecosystem == "pypi" && !p.extra.contains("installer")) by_name[p.name] = &p;
  std::vector<VenvGroup> groups;
  groups.push_back(VenvGroup{{}, true, "python: the virtual environment " + layout.prefix + " (" + layout.interpreter + ")"});
  std::map<std::string, int> placed;
  for (const auto* layer : plan.of("pypi")) {
    VenvGroup g;
    g.contents = layer->description;
    for (const auto& name : layer->packages) {
      auto it = by_name.find(name);
      if (it == by_name.end())
        return util::fail(ErrorKind::internal, "the layer plan names `" + name + "`, which the lock has no venv wheel of");
      g.wheels.push_back(it->second);
      ++placed[name];
    }
    groups.push_back(std::move(g));
  }
  for (const auto& [name, p] : by_name)
    if (placed[name] != 1)
      return util::fail(ErrorKind::internal, "the layer plan puts wheel `" + name + "` in " + std::to_string(placed[name]) +
                                                 " layers, not one");
  return groups;
}

std::string layer_key_text(const VenvGroup& group, const wheel::VenvLayout& layout, const wheel::VenvOptions& options) {
  // Bump the version when what mlpack generates into the venv changes.
  std::string text = "mlpack-venv-layer-v4\n" + group.contents + "\n" + layout.prefix + " " + layout.interpreter + " " + layout.python_version +
                     (options.apt_packages == wheel::AptPackages::visible ? " apt-visible" : "") +
                     (options.activate == wheel::Activate::yes ? " activate" : "") +
                     (group.skeleton ? " skeleton" : "") + "\n";
  for (const auto* p : group.wheels)
    text += p->name + " " + p->version + " " + p->sha256 + " " + (p->extra.contains("requested") ? "requested" : "") + "\n";
  return text;
}

std::optional<wheel::Project> project_of(const Inputs& inputs) {
  if (!inputs.pyproject || !inputs.pyproject->has_project || !inputs.pyproject->name) return std::nullopt;
  const auto& p = *inputs.pyproject;
  wheel::Project project;
  project.name = *p.name;
  if (p.version) project.version = *p.version;
  project.scripts = p.scripts;
  project.gui_scripts = p.gui_scripts;
  std::error_code ec;
  if (fs::is_directory(inputs.root / "src", ec)) project.import_root = "/app/src";
  return project;
}

Result<VenvLayer> project_layer(const wheel::Project& project, const wheel::VenvLayout& layout) {
  auto dist = TRY_CONTEXT(wheel::project_entries(project, layout), "pyproject.toml [project]");
  std::vector<wheel::Distribution> dists;
  dists.push_back(std::move(dist));
  auto entries = TRY(wheel::layer_entries(std::move(dists)));
  return VenvLayer{std::move(entries),
                   "python project " + project.name + " (importable from " + project.import_root + ")"};
}

Result<std::vector<wheel::Distribution>> install_locked_wheels(const std::vector<const lock::Package*>& wheels,
                                                               const wheel::VenvLayout& layout,
                                                               const fs::path& cache_dir,
                                                               std::shared_ptr<net::HttpClient> http,
                                                               util::TransferObserver* transfers,
                                                               std::optional<fs::path> netrc,
                                                               const archive::UnpackLimits& unpack) {
  if (!http) http = net::make_curl_client();
  pyindex::IndexOptions options;
  options.cache_dir = cache_dir / "pypi";
  options.no_index = true;
  options.transfers = transfers;
  options.netrc = std::move(netrc);
  pyindex::IndexClient client(http, options);

  std::vector<wheel::Distribution> dists(wheels.size());
  TRY(util::parallel_for(wheels.size(), 4, [&](std::size_t i) -> Result<void> {
    const auto& p = *wheels[i];
    pyindex::DistFile file;
    file.url = p.url();
    file.filename = p.extra.contains("wheel") ? p.extra.at("wheel") : p.filename;
    file.hashes["sha256"] = p.sha256;
    auto path = TRY_CONTEXT(client.download(file, p.sha256), "downloading " + p.name + " " + p.version);
    auto digest = TRY_CONTEXT(util::Digest::parse("sha256:" + p.sha256), "mlpack.lock: " + p.name);
    wheel::InstallOptions install;
    install.requested = p.extra.contains("requested") ? wheel::Requested::yes : wheel::Requested::no;
    install.filename = file.filename;
    install.name = p.name;  // the wheel must be what the lock says it is
    install.version = p.version;
    install.unpack = unpack;
    dists[i] = TRY(wheel::install_wheel(path, digest, layout, install));  // names the wheel file, hence the package
    return {};
  }));
  return dists;
}

Result<std::vector<VenvLayer>> assemble(const std::vector<VenvGroup>& groups, const wheel::VenvLayout& layout,
                                        const wheel::VenvOptions& venv_options, const fs::path& cache_dir,
                                        std::shared_ptr<net::HttpClient> http, util::TransferObserver* transfers,
                                        std::optional<fs::path> netrc, const archive::UnpackLimits& unpack) {
  std::vector<std::pair<std::size_t, const lock::Package*>> wheels;  // group, package
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto* p : groups[g].wheels) wheels.emplace_back(g, p);
  std::vector<const lock::Package*> packages;
  for (const auto& w : wheels) packages.push_back(w.second);
  auto dists = TRY(install_locked_wheels(packages, layout, cache_dir, std::move(http), transfers, std::move(netrc), unpack));
  auto venv = TRY(wheel::venv_entries(layout, venv_options));
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (groups[g].skeleton) {
      wheels.emplace_back(g, nullptr);
      dists.push_back(wheel::Distribution{"the virtual environment", "", std::move(venv)});
      break;
    }
  // Conflicts are checked across every layer of the venv, not just within one.
  TRY(wheel::check_conflicts(dists));
  std::vector<std::vector<wheel::Distribution>> per_group(groups.size());
  for (std::size_t i = 0; i < dists.size(); ++i) per_group[wheels[i].first].push_back(std::move(dists[i]));
  std::vector<VenvLayer> out;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto entries = TRY(wheel::layer_entries(std::move(per_group[g])));
    out.push_back(VenvLayer{std::move(entries), groups[g].contents});
  }
  return out;
}

}  // namespace mlpack::buildpacks::python
