// The R packages' layers, from the lock only: each binary verified and unpacked into the site
// library by lib/rpkg, the DT_NEEDED libraries of every shared object they install checked
// against the image's files (lib/elf), in the layers the image's layer plan (lib/layerplan) gives
// them.
#include <algorithm>
#include <fstream>
#include <map>

#include "archive/layer.hpp"
#include "buildpacks/r/r.hpp"
#include "cran/repository.hpp"
#include "cranindex/client.hpp"
#include "elf/dynamic.hpp"
#include "elf/needed.hpp"
#include "rpkg/rpkg.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::buildpacks::r {

using util::ErrorKind;

namespace {

// A file's bytes from an entry: in memory, or staged on disk. Shared objects are bounded.
Result<std::string> entry_bytes(const archive::Entry& e) {
  constexpr std::uint64_t max = std::uint64_t(512) << 20;
  if (!e.source) return e.data;
  if (e.size > max) return util::fail(ErrorKind::invalid_input, e.path + " is over 512 MiB");
  std::ifstream in(*e.source, std::ios::binary);
  if (!in) return util::fail(ErrorKind::io, "cannot read " + e.source->string());
  std::string out(e.size, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// The repositories as configured (credentials kept), by the contrib URL the lock records.
std::map<std::string, std::string> contrib_urls(const Inputs& in, const lock::LockFile& lock) {
  std::map<std::string, std::string> out;
  for (const auto& repo : repositories_for(in, suite_of(lock.base))) {
    auto contrib = cran::contrib_url(repo);
    out[util::strip_userinfo(contrib)] = contrib;
  }
  return out;
}

std::string layer_key(const std::vector<const lock::Package*>& packages, const std::string& contents,
                      const archive::LayerOptions& options, const std::string& os_digest, const std::string& r) {
  // Bump the version when what mlpack generates into these layers changes.
  std::string text = "mlpack-r-layer-v2\n" + contents + "\n" + std::string(site_library) + "\nR " + r + "\n" +
                     archive::encoding_key(options).value_or("invalid-options") + " mtime " + std::to_string(options.mtime) +
                     "\nos " + os_digest + "\n";
  for (const auto* p : packages) text += p->name + " " + p->version + " " + p->sha256 + "\n";
  return util::Digest::sha256_of(text).hex();
}

}  // namespace

Result<void> add_layers(Context& ctx, const Inputs& in, const lock::LockFile& lock, LayerSink& sink) {
  std::vector<const lock::Package*> packages;
  std::string os_text;  // the OS the libraries were checked against
  for (const auto& p : lock.packages) {
    if (p.ecosystem == "cran") packages.push_back(&p);
    if (p.ecosystem == "deb") os_text += p.name + " " + p.version + " " + p.architecture + "\n";
  }
  if (packages.empty()) return {};
  if (!lock.target.r) return util::fail(ErrorKind::invalid_input, "mlpack.lock has R packages but no `target.r`: lock again");
  auto r_version = TRY_CONTEXT(cran::Version::parse(*lock.target.r), "mlpack.lock target.r");
  std::string os_digest = util::Digest::sha256_of(os_text + ctx.base.digest).hex();
  const auto& options = sink.options(FileTimes::fixed);

  // The image's layer plan when the pipeline made one; else large packages alone, the rest
  // together (bottom to top: the shared layer, then by name).
  std::vector<std::vector<const lock::Package*>> groups;
  std::vector<std::string> descriptions;
  if (const auto* plan = ctx.facts.find(facts::layer_plan)) {
    std::map<std::string, const lock::Package*> by_name;
    for (const auto* p : packages) by_name[p->name] = p;
    std::map<std::string, int> placed;
    for (const auto* layer : plan->of("cran")) {
      std::vector<const lock::Package*> g;
      for (const auto& name : layer->packages) {
        auto it = by_name.find(name);
        if (it == by_name.end())
          return util::fail(ErrorKind::internal, "the layer plan names `" + name + "`, which the lock has no R package of");
        g.push_back(it->second);
        ++placed[name];
      }
      groups.push_back(std::move(g));
      descriptions.push_back(layer->description);
    }
    for (const auto* p : packages)
      if (placed[p->name] != 1)
        return util::fail(ErrorKind::internal, "the layer plan puts R package `" + p->name + "` in " +
                                                   std::to_string(placed[p->name]) + " layers, not one");
  } else {
    groups.resize(1);
    for (const auto* p : packages) {
      if (p->size >= own_layer_bytes) groups.push_back({p});
      else groups.front().push_back(p);
    }
    if (groups.front().empty()) groups.erase(groups.begin());
    for (const auto& g : groups) {
      std::string contents = "r: " + (g.size() == 1 ? g.front()->name + " " + g.front()->version
                                                     : std::to_string(g.size()) + " packages") +
                             " in /" + std::string(site_library);
      descriptions.push_back(contents);
    }
  }
  std::vector<std::string> keys;
  for (std::size_t g = 0; g < groups.size(); ++g)
    keys.push_back(layer_key(groups[g], descriptions[g], options, os_digest, *lock.target.r));
  auto members = [&](std::size_t g) {
    std::vector<std::string> out;
    for (const auto* p : groups[g]) out.push_back(p->name + " " + p->version);
    return out;
  };

  std::vector<BuiltLayer> cached;
  for (const auto& key : keys)
    if (auto hit = sink.find(key)) cached.push_back(std::move(*hit));
  sink.fetching(std::to_string(packages.size()) + " R packages" +
                (cached.size() == keys.size() ? ": layers reused" : ": downloading (sha256-verified)"));
  if (cached.size() == keys.size()) {
    for (std::size_t g = 0; g < cached.size(); ++g) {
      cached[g].packages = members(g);
      sink.add(std::move(cached[g]));
    }
    return {};
  }

  // Fetch and unpack every package (the check needs them all).
  std::string arch = ctx.options.platform.architecture == "arm64" ? "aarch64" : "x86_64";
  cranindex::ClientOptions client_options;
  client_options.cache_dir = ctx.options.cache_dir;
  client_options.user_agent = cran::r_user_agent(r_version, arch);
  client_options.transfers = ctx.options.transfers;
  cranindex::Client client(http_client(ctx), client_options);
  auto urls = contrib_urls(in, lock);
  rpkg::InstallOptions install_options;
  install_options.site_library = std::string(site_library);
  install_options.target_r = r_version;
  install_options.arch = arch;
  install_options.limits = ctx.options.unpack;
  install_options.staging_dir = ctx.options.cache_dir / "r-staging";
  TRY(util::make_dirs(install_options.staging_dir));
  std::vector<std::optional<rpkg::Installed>> installed(packages.size());
  TRY(util::parallel_for(packages.size(), 4, [&](std::size_t i) -> Result<void> {
    const auto& p = *packages[i];
    auto it = urls.find(p.source);
    std::string url = (it == urls.end() ? p.source : it->second) + "/" + p.filename;
    auto file = TRY_CONTEXT(client.download(url, p.sha256, std::nullopt), "R package " + p.name + " " + p.version);
    installed[i] = TRY_CONTEXT(rpkg::install(file.path, p.name, p.version, p.sha256, install_options),
                               "installing R package " + p.name + " " + p.version);
    return {};
  }));

  // Every library their shared objects need must be in the image: the OS's files, R's own
  // (usr/lib/R/lib is on R's LD_LIBRARY_PATH), and what the packages install.
  elf::ImagePaths paths;
  if (const auto* os_paths = ctx.facts.find(facts::os_paths)) {
    auto all = TRY((*os_paths)());
    for (const auto& f : *all) {
      if (f.symlink) paths.add_symlink(f.path, f.link);
      else paths.add_file(f.path);
    }
  }
  std::vector<elf::Object> objects;
  std::map<std::string, std::string> owner;  // object path → package
  for (std::size_t i = 0; i < packages.size(); ++i) {
    for (const auto& e : installed[i]->entries) {
      if (e.type == archive::EntryType::symlink) paths.add_symlink(e.path, e.link_target);
      else if (e.type == archive::EntryType::directory) paths.add_directory(e.path);
      else paths.add_file(e.path);
    }
    for (const auto& so : installed[i]->shared_objects) {
      auto e = std::find_if(installed[i]->entries.begin(), installed[i]->entries.end(),
                            [&](const archive::Entry& x) { return x.path == so; });
      if (e == installed[i]->entries.end()) continue;
      auto bytes = TRY(entry_bytes(*e));
      auto info = TRY_CONTEXT(elf::read_dynamic(std::string_view(bytes), so), "R package " + packages[i]->name);
      if (!info) continue;
      objects.push_back(elf::Object{so, std::move(*info)});
      owner[so] = packages[i]->name;
    }
  }
  std::vector<std::string> r_dirs = {"usr/lib/R/lib"};
  auto missing = elf::check_needed(objects, paths, r_dirs);
  if (!missing.empty()) {
    std::vector<std::string> lines;
    for (const auto& m : missing) {
      std::string object = m.object.substr(m.object.find("/libs/") == std::string::npos ? 0 : m.object.find("/libs/") + 1);
      lines.push_back("R package `" + owner[m.object] + "`: " + object + " needs " + m.soname);
    }
    return util::fail(ErrorKind::unsatisfiable,
                      "libraries no package in the image provides: " + util::join(lines, "; ") +
                          ". Add the Debian package that ships each to apt.txt (`apt-file search <soname>` names it)");
  }

  // The layers, each with the site library's folders above it.
  std::vector<archive::Entry> dirs = rpkg::site_library_dirs(install_options.site_library);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<archive::Entry> entries = dirs;
    for (const auto* p : groups[g]) {
      auto i = static_cast<std::size_t>(std::find(packages.begin(), packages.end(), p) - packages.begin());
      auto& pkg_entries = installed[i]->entries;
      entries.insert(entries.end(), std::make_move_iterator(pkg_entries.begin()), std::make_move_iterator(pkg_entries.end()));
    }
    std::sort(entries.begin(), entries.end(), [](const archive::Entry& a, const archive::Entry& b) { return a.path < b.path; });
    auto built = TRY_CONTEXT(sink.write(buildpacks::Layer{std::move(entries), descriptions[g]}, FileTimes::fixed, keys[g]),
                             "writing the R packages' layer");
    built.packages = members(g);
    sink.add(std::move(built));
  }
  return {};
}

}  // namespace mlpack::buildpacks::r
