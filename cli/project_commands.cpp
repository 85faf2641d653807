// `mlpack lock` and `mlpack build`.
#include <fmt/core.h>

#include "build/pipeline.hpp"
#include "cli/commands.hpp"
#include "util/text.hpp"

namespace mlpack::cli {

namespace {

util::Result<build::Options> options_for(const ProjectArgs& args, const Globals& g) {
  build::Options o;
  o.cache_dir = g.cache_dir;
  auto platform = oci::Platform::parse(args.platform);
  if (!platform) return std::unexpected(platform.error().context("invalid `--platform`"));
  o.platform = platform->str();
  if (!args.base.empty()) o.base = args.base;
  o.insecure_registries = g.insecure_registries;
  if (args.insecure_skip_verify) {
    o.verify = apt::Verify::no;
    // Loud on purpose: without signatures nothing ties the packages to the distribution.
    fmt::print(stderr,
               "warning: `--insecure-skip-verify`: apt archive signatures are NOT checked; packages could "
               "come from anyone who can reach the network path\n");
  }
  return o;
}

nlohmann::json lock_json(const build::Locked& locked) {
  nlohmann::json packages = nlohmann::json::array();
  for (const auto& p : locked.lock.packages)
    packages.push_back({{"ecosystem", p.ecosystem},
                        {"name", p.name},
                        {"version", p.version},
                        {"architecture", p.architecture},
                        {"source", p.url()},
                        {"sha256", p.sha256},
                        {"size", p.size},
                        {"layer", p.extra.contains("layer") ? p.extra.at("layer") : ""}});
  const auto& t = locked.lock.target;
  return {{"lock", locked.path.string()},
          {"reused", locked.reused},
          {"target",
           {{"platform", t.platform},
            {"python", t.python ? nlohmann::json(*t.python) : nlohmann::json(nullptr)},
            {"cuda", t.cuda ? nlohmann::json(*t.cuda) : nlohmann::json(nullptr)}}},
          {"packages", packages}};
}

}  // namespace

int run_lock(const ProjectArgs& args, const Globals& g) {
  auto options = options_for(args, g);
  if (!options) return g.out.error(options.error());
  auto detected = build::detect(args.dir);
  if (!detected) return g.out.error(detected.error());
  auto locked = build::lock_project(*detected, *options, args.upgrade);
  if (!locked) return g.out.error(locked.error());
  if (g.out.json) {
    g.out.document(lock_json(*locked));
  } else {
    g.out.info(fmt::format("{} {} ({} packages)", locked->reused ? "kept" : "wrote", locked->path.string(),
                           locked->lock.packages.size()));
  }
  return 0;
}

int run_build(const ProjectArgs& args, const Globals& g) {
  auto options = options_for(args, g);
  if (!options) return g.out.error(options.error());
  auto detected = build::detect(args.dir);
  if (!detected) return g.out.error(detected.error());
  auto start = std::chrono::steady_clock::now();
  auto locked = args.locked ? build::read_lock(*detected, *options) : build::lock_project(*detected, *options, false);
  if (!locked) return g.out.error(locked.error());
  double lock_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto built = build::build_image(*detected, *locked, *options, build::BuildRequest{args.outputs});
  if (!built) return g.out.error(built.error());
  built->timings["lock_s"] = lock_s;

  if (g.out.json) {
    auto doc = lock_json(*locked);
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : built->layers)
      layers.push_back({{"digest", l.descriptor.digest.str()},
                        {"diff_id", l.diff_id.str()},
                        {"size", l.descriptor.size},
                        {"media_type", l.descriptor.media_type},
                        {"cached", l.cached},
                        {"contents", l.contents}});
    doc["image"] = {{"digest", built->manifest.digest.str()},
                    {"config_digest", built->config_digest.str()},
                    {"outputs", built->outputs},
                    {"layers", layers}};
    doc["timings"] = built->timings;
    g.out.document(doc);
    return 0;
  }
  std::size_t reused = 0;
  for (const auto& l : built->layers) reused += l.cached ? 1 : 0;
  for (const auto& o : built->outputs) g.out.info("wrote " + o);
  g.out.info(fmt::format("{} layers ({} built, {} reused), {} packages, in {:.2f}s", built->layers.size(),
                         built->layers.size() - reused, reused, locked->lock.packages.size(),
                         built->timings["total_s"] + lock_s));
  fmt::print("{}\n", built->manifest.digest.str());
  return 0;
}

}  // namespace mlpack::cli
