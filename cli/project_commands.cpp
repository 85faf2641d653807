// `mlpack lock` and `mlpack build`.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "pipeline/pipeline.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::cli {

namespace {

util::Result<pipeline::Options> options_for(const ProjectArgs& args, const Globals& g) {
  pipeline::Options o;
  o.cache_dir = g.cache_dir;
  o.platform = TRY_CONTEXT(oci::Platform::parse(args.platform), "invalid `--platform`");
  if (!args.base.empty()) o.base = args.base;
  auto open = open_options(g);
  o.insecure_registries = open.insecure_registries;
  o.docker_config = open.docker_config;
  o.ca_file = open.ca_file;
  o.upload_chunk_size = open.upload_chunk_size;
  o.env = g.env;
  o.no_cache = args.no_cache;
  o.layers = args.layers;
  if (args.unpack_max_ratio) o.unpack.max_ratio = *args.unpack_max_ratio;
  if (args.unpack_max_size) o.unpack.max_total = *args.unpack_max_size;
  o.unpack.raise_hint = "if the package is genuine, raise the limit with --unpack-max-ratio N or --unpack-max-size BYTES";
  return o;
}

// The project read with the buildpacks' flags; what those flags weaken is said at once.
util::Result<pipeline::Detected> detect_project(const std::string& dir, const ProjectArgs& args, const Globals& g) {
  pipeline::DetectOptions options{args.buildpack_flags, g.env};
  auto detected = TRY(pipeline::detect(dir, options));
  for (const auto& w : detected.warnings) fmt::print(stderr, "warning: {}\n", w);
  return detected;
}

nlohmann::json lock_json(const pipeline::Locked& locked) {
  nlohmann::json packages = nlohmann::json::array();
  for (const auto& p : locked.lock.packages)
    packages.push_back({{"ecosystem", p.ecosystem},
                        {"name", p.name},
                        {"version", p.version},
                        {"architecture", p.architecture},
                        {"source", p.url()},
                        {"sha256", p.sha256},
                        {"size", p.size},
                        {"layer", p.extra.contains("layer") ? p.extra.at("layer") : ""},
                        {"wheel", p.extra.contains("wheel") ? p.extra.at("wheel") : ""},
                        {"from", p.extra.contains("lockfile") ? p.extra.at("lockfile") : "mlpack"}});
  nlohmann::json target = {{"platform", locked.lock.target.platform}};
  for (const auto& [key, value] : locked.lock.target.entries())
    target[key] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  return {{"lock", locked.path.string()}, {"reused", locked.reused}, {"target", target}, {"packages", packages}};
}

// "debian:bookworm, Python 3.11; 143 deb, 12 pypi packages": the base, what each buildpack
// pinned, and the packages by ecosystem.
std::string plan_text(const pipeline::Detected& detected, const pipeline::Locked& locked) {
  std::map<std::string, std::size_t> counts;
  for (const auto& p : locked.lock.packages) ++counts[p.ecosystem];
  std::string text = locked.lock.base;
  for (const auto& bp : detected.buildpacks)
    if (auto plan = bp->plan(locked.lock); !plan.empty()) text += ", " + plan;
  std::string list;
  for (const auto& [eco, n] : counts) list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + eco;
  return text + "; " + (list.empty() ? "no packages" : list + " packages");
}

// A variant of an index build: its own detection, session and lock (mlpack.<suffix>.lock).
struct VariantRun {
  pipeline::Detected detected;
  std::unique_ptr<pipeline::Session> session;
  pipeline::Locked locked;
};

// Detects, names and locks each variant the flags ask for (pipeline::variant_flags).
util::Result<std::vector<std::unique_ptr<VariantRun>>> lock_variants(const ProjectArgs& args, const Globals& g,
                                                                     const std::vector<buildpacks::FlagValues>& sets,
                                                                     const pipeline::Options& options, bool locked,
                                                                     bool upgrade) {
  std::vector<std::unique_ptr<VariantRun>> runs;
  for (const auto& set : sets) {
    auto run = std::make_unique<VariantRun>();
    ProjectArgs one = args;
    one.buildpack_flags = set;
    run->detected = TRY(detect_project(args.dir, one, g));
    TRY(pipeline::name_variant(run->detected));
    run->session = std::make_unique<pipeline::Session>(run->detected, options);
    run->locked = locked ? TRY(run->session->read_lock()) : TRY(run->session->lock(upgrade));
    if (options.reporter)
      options.reporter->step(pipeline::Step::lock,
                             fmt::format("{} {} ({})", run->locked.reused ? "reused" : "wrote",
                                         run->locked.path.string(), run->detected.variant->suffix));
    runs.push_back(std::move(run));
  }
  return runs;
}

nlohmann::json variant_json(const std::optional<buildpacks::VariantId>& id) {
  if (!id) return nullptr;
  return {{"suffix", id->suffix}, {"annotations", id->annotations}};
}

// The image part of build's --json: digests, outputs, layers and SBOMs.
nlohmann::json image_json(const pipeline::Built& built) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : built.layers)
    layers.push_back({{"digest", l.descriptor.digest.str()},
                      {"diff_id", l.diff_id.str()},
                      {"size", l.descriptor.size},
                      {"media_type", l.descriptor.media_type},
                      {"cached", l.cached},
                      {"contents", l.contents},
                      {"packages", l.packages}});
  return {{"digest", built.manifest.digest.str()},
          {"media_type", built.manifest.media_type},
          {"config_digest", built.config_digest.str()},
          {"outputs", built.outputs},
          {"layers", layers},
          {"layer_budget", built.layer_budget}};
}

nlohmann::json sbom_json(const pipeline::Built& built) {
  nlohmann::json sboms = nlohmann::json::array();
  for (const auto& s : built.sboms)
    sboms.push_back({{"format", sbom::format_name(s.format)},
                     {"media_type", s.media_type},
                     {"digest", s.digest.str()},
                     {"document_digest", s.document_digest.str()},
                     {"written", s.written},
                     {"skipped", s.skipped}});
  return sboms;
}

nlohmann::json duplicates_json(const pipeline::Built& built) {
  auto out = nlohmann::json::array();
  for (const auto& d : built.duplicate_libraries) out.push_back(pipeline::to_json(d));
  return out;
}

void print_sboms(const Globals& g, const pipeline::Built& built) {
  for (const auto& s : built.sboms) {
    for (const auto& w : s.written) g.out.info(fmt::format("    sbom: {} {} in {}", sbom::format_name(s.format), s.digest.short_str(), w));
    for (const auto& w : s.skipped) g.out.info(fmt::format("    sbom: {} {}", sbom::format_name(s.format), w));
  }
}

}  // namespace

int run_detect(const std::string& dir, const buildpacks::FlagValues& flags, const Globals& g) {
  auto d = pipeline::detect(dir, pipeline::DetectOptions{flags, g.env});
  if (!d) return g.out.error(d.error());
  auto report = pipeline::report(*d);
  auto& doc = report.json;
  doc["project"] = dir;
  if (g.out.json) {
    g.out.document(doc);
    return 0;
  }
  fmt::print("project: {} ({})\n", dir, d->name);
  fmt::print("files: {}\n", d->files.empty() ? "(none)" : fmt::format("{}", fmt::join(d->files, ", ")));
  for (const auto& line : report.lines) fmt::print("{}\n", line);
  for (const auto& n : d->notes) fmt::print("note: {}\n", n);
  for (const auto& r : doc["requirements"])
    fmt::print("  {} {}{}  ({}:{})\n", r["ecosystem"].get<std::string>(), r["name"].get<std::string>(),
               r["specifier"].get<std::string>(), r["file"].get<std::string>(), r["line"].get<int>());
  return 0;
}

int run_lock(const ProjectArgs& args, const Globals& g) {
  auto options = options_for(args, g);
  if (!options) return g.out.error(options.error());
  auto cache_run = tidy_cache(g);
  tidy_project(args.dir);
  auto sets = pipeline::variant_flags(buildpacks::default_buildpacks(), args.buildpack_flags);
  if (sets.size() > 1) {
    auto runs = lock_variants(args, g, sets, *options, false, args.upgrade);
    if (!runs) return g.out.error(runs.error());
    if (g.out.json) {
      nlohmann::json variants = nlohmann::json::array();
      for (const auto& r : *runs) {
        auto doc = lock_json(r->locked);
        doc["variant"] = variant_json(r->detected.variant);
        variants.push_back(std::move(doc));
      }
      g.out.document({{"variants", variants}});
    } else {
      for (const auto& r : *runs)
        g.out.info(fmt::format("{} {} ({} packages)", r->locked.reused ? "kept" : "wrote", r->locked.path.string(),
                               r->locked.lock.packages.size()));
    }
    return 0;
  }
  auto detected = detect_project(args.dir, args, g);
  if (!detected) return g.out.error(detected.error());
  pipeline::Session session(*detected, *options);
  auto locked = session.lock(args.upgrade);
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
  if (auto outputs = check_outputs(args.outputs); !outputs) return g.out.error(outputs.error());
  if (!args.sbom_file.empty() && args.sbom == "none")
    return g.out.error(
        util::Error{util::ErrorKind::invalid_input, "`--sbom-file` writes the SBOM, and `--sbom none` asks for none"});
  auto sets = pipeline::variant_flags(buildpacks::default_buildpacks(), args.buildpack_flags);
  auto cache_run = tidy_cache(g);
  tidy_project(args.dir);
  ConsoleReporter reporter(progress_mode(args.progress, g.out.json, g.out.quiet, g.env), use_color(g.color, g.env),
                           g.out.quiet);
  options->reporter = &reporter;
  options->transfers = &reporter;  // download bars
  auto fail = [&](const util::Error& e) {
    reporter.finish();
    return g.out.error(e);
  };
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  pipeline::BuildRequest request{args.outputs};
  request.sboms.clear();
  if (args.sbom == "spdx" || args.sbom == "both") request.sboms.push_back(sbom::Format::spdx);
  if (args.sbom == "cyclonedx" || args.sbom == "both") request.sboms.push_back(sbom::Format::cyclonedx);
  if (!args.sbom_file.empty()) request.sbom_file = args.sbom_file;
  request.tool_version = MLPACK_VERSION;

  // Several values of a variant flag (`--cuda 12.1 --cuda none`): one image index.
  std::vector<std::unique_ptr<VariantRun>> runs;
  std::optional<pipeline::Detected> single;
  std::optional<pipeline::Session> session;
  std::optional<pipeline::Locked> locked;
  const pipeline::Detected* detected = nullptr;
  if (sets.size() > 1) {
    for (const auto& o : args.outputs)
      if (o.starts_with("docker-archive:"))
        return fail(util::Error{util::ErrorKind::invalid_input,
                                "`" + o + "` holds one image, not an index of variants: write the variants to an OCI "
                                "layout (oci:), an oci-archive or a registry, or build one variant at a time"});
    auto r = lock_variants(args, g, sets, *options, args.locked, false);
    if (!r) return fail(r.error());
    runs = std::move(*r);
    detected = &runs.front()->detected;
  } else {
    auto d = detect_project(args.dir, args, g);
    if (!d) return fail(d.error());
    single = std::move(*d);
    detected = &*single;
  }
  // The default output is checked before any work too, as -o is above.
  if (args.outputs.empty())
    if (auto out = check_outputs({pipeline::default_output(*detected)}); !out) return fail(out.error());
  for (const auto& n : detected->notes) reporter.warning(n);
  reporter.step(pipeline::Step::detect, detected->files.empty() ? std::string("no project files")
                                                             : fmt::format("{}", fmt::join(detected->files, ", ")));
  util::Result<pipeline::Built> built = std::unexpected(util::Error{util::ErrorKind::internal, "not built"});
  double lock_s = 0;
  if (single) {
    session.emplace(*single, *options);
    auto l = args.locked ? session->read_lock() : session->lock(false);
    if (!l) return fail(l.error());
    locked = std::move(*l);
    lock_s = seconds();
    reporter.step(pipeline::Step::lock, fmt::format("{} {} ({:.2f}s)", locked->reused ? "reused" : "wrote",
                                                 locked->path.string(), lock_s));
    reporter.step(pipeline::Step::plan, plan_text(*single, *locked));
    built = session->build(*locked, request);
  } else {
    lock_s = seconds();
    std::vector<pipeline::VariantBuild> variants;
    for (const auto& r : runs) {
      reporter.step(pipeline::Step::plan, r->detected.variant->suffix + ": " + plan_text(r->detected, r->locked));
      variants.push_back({r->session.get(), &r->locked});
    }
    built = pipeline::build_index(variants, request);
  }
  if (!built) return fail(built.error());
  built->timings["lock_s"] = lock_s;
  double total_s = seconds();
  built->timings["wall_s"] = total_s;
  reporter.finish();

  if (!args.digest_file.empty()) {
    if (auto w = util::write_file_atomic(args.digest_file, built->manifest.digest.str()); !w)
      return g.out.error(w.error().context("writing --digest-file"));
  }
  // An index counts its variants' layers.
  std::size_t layer_count = built->layers.size(), reused = 0;
  for (const auto& l : built->layers) reused += l.cached ? 1 : 0;
  for (const auto& v : built->variants) {
    layer_count += v.layers.size();
    for (const auto& l : v.layers) reused += l.cached ? 1 : 0;
  }
  if (g.out.json) {
    nlohmann::json doc;
    if (single) {
      doc = lock_json(*locked);
      doc["image"] = image_json(*built);
      doc["sbom"] = sbom_json(*built);
      doc["duplicate_libraries"] = duplicates_json(*built);
    } else {
      nlohmann::json variants = nlohmann::json::array();
      for (std::size_t i = 0; i < runs.size(); ++i) {
        auto v = lock_json(runs[i]->locked);
        v["variant"] = variant_json(built->variants[i].variant);
        v["image"] = image_json(built->variants[i]);
        v["sbom"] = sbom_json(built->variants[i]);
        v["warnings"] = built->variants[i].warnings;
        v["duplicate_libraries"] = duplicates_json(built->variants[i]);
        v["timings"] = built->variants[i].timings;
        variants.push_back(std::move(v));
      }
      doc["image"] = {{"digest", built->manifest.digest.str()},
                      {"media_type", built->manifest.media_type},
                      {"outputs", built->outputs}};
      doc["variants"] = variants;
      doc["sbom"] = nlohmann::json::array();
    }
    doc["summary"] = {{"layers_built", layer_count - reused},
                      {"layers_reused", reused},
                      {"blobs_pushed", built->blobs_pushed},
                      {"blobs_skipped", built->blobs_skipped},
                      {"bytes_pushed", built->bytes_pushed},
                      {"seconds", total_s}};
    doc["warnings"] = built->warnings;
    doc["timings"] = built->timings;
    g.out.document(doc);
    return 0;
  }
  for (const auto& o : built->outputs) g.out.info("   image: " + o);
  print_sboms(g, *built);
  for (const auto& v : built->variants) {
    g.out.info(fmt::format(" variant: {} {}{}", v.variant->suffix, v.manifest.digest.str(),
                           v.outputs.empty() ? std::string() : fmt::format(" ({})", fmt::join(v.outputs, ", "))));
    print_sboms(g, v);
  }
  g.out.info("  digest: " + built->manifest.digest.str());
  g.out.info(fmt::format("    done: {} layers ({} built, {} reused), {} blobs written ({}), {} already there, in {:.2f}s",
                         layer_count, layer_count - reused, reused, built->blobs_pushed,
                         human_bytes(built->bytes_pushed), built->blobs_skipped, total_s));
  fmt::print("{}\n", built->manifest.digest.str());
  return 0;
}

}  // namespace mlpack::cli
