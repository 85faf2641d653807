// `mlpack lock` and `mlpack build`.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "build/pipeline.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "util/fs.hpp"
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
  if (!args.python.empty()) {
    auto dot = args.python.find('.');
    if (dot == std::string::npos || args.python.find_first_not_of("0123456789.") != std::string::npos ||
        args.python.find('.', dot + 1) != std::string::npos)
      return util::fail(util::ErrorKind::invalid_input, "invalid `--python " + args.python + "`: expected X.Y, e.g. 3.11");
    o.python = args.python;
  }
  o.selection.extras = args.extras;
  o.selection.groups = args.groups;
  o.no_cache = args.no_cache;
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
                        {"layer", p.extra.contains("layer") ? p.extra.at("layer") : ""},
                        {"wheel", p.extra.contains("wheel") ? p.extra.at("wheel") : ""},
                        {"from", p.extra.contains("lockfile") ? p.extra.at("lockfile") : "mlpack"}});
  const auto& t = locked.lock.target;
  return {{"lock", locked.path.string()},
          {"reused", locked.reused},
          {"target",
           {{"platform", t.platform},
            {"python", t.python ? nlohmann::json(*t.python) : nlohmann::json(nullptr)},
            {"cuda", t.cuda ? nlohmann::json(*t.cuda) : nlohmann::json(nullptr)},
            {"glibc", t.glibc ? nlohmann::json(*t.glibc) : nlohmann::json(nullptr)}}},
          {"packages", packages}};
}

// "debian:bookworm, Python 3.11; 143 deb, 12 pypi packages".
std::string plan_text(const build::Locked& locked) {
  std::map<std::string, std::size_t> counts;
  for (const auto& p : locked.lock.packages) ++counts[p.ecosystem];
  std::string text = locked.lock.base;
  if (locked.lock.target.python) text += ", Python " + *locked.lock.target.python;
  std::string list;
  for (const auto& [eco, n] : counts) list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + eco;
  return text + "; " + (list.empty() ? "no packages" : list + " packages");
}

nlohmann::json requirement_json(const detectors::PythonRequirement& r) {
  const auto& req = r.requirement;
  return {{"ecosystem", "pypi"},
          {"name", req.name},
          {"specifier", req.specifier.str()},
          {"extras", req.extras},
          {"marker", req.marker ? nlohmann::json(req.marker->str()) : nlohmann::json(nullptr)},
          {"url", req.url.empty() ? (r.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.path)) : nlohmann::json(util::redact_url(req.url))},
          {"hashes", r.hashes},
          {"constraint", r.constraint},
          {"editable", r.editable},
          {"file", r.file},
          {"line", r.line}};
}

}  // namespace

int run_detect(const std::string& dir, const Globals& g) {
  auto d = build::detect(dir);
  if (!d) return g.out.error(d.error());
  const auto& py = d->py;
  nlohmann::json requirements = nlohmann::json::array();
  if (py.requirements)
    for (const auto& r : py.requirements->requirements) requirements.push_back(requirement_json(r));
  nlohmann::json extras = nlohmann::json::object(), groups = nlohmann::json::object();
  std::optional<std::string> python;
  if (d->config.python) python = d->config.python;
  else if (py.version_file) python = py.version_file->version;
  if (py.pyproject) {
    for (const auto& r : py.pyproject->dependencies) requirements.push_back(requirement_json(r));
    for (const auto& [name, list] : py.pyproject->optional_dependencies) {
      extras[name] = nlohmann::json::array();
      for (const auto& r : list) extras[name].push_back(requirement_json(r));
    }
    for (const auto& [name, list] : py.pyproject->dependency_groups) {
      groups[name] = nlohmann::json::array();
      for (const auto& r : list) groups[name].push_back(requirement_json(r));
    }
  }
  for (const auto& a : d->apt)
    requirements.push_back({{"ecosystem", "deb"}, {"name", a.name}, {"specifier", a.version.empty() ? "" : "=" + a.version},
                            {"extras", nlohmann::json::array()}, {"marker", nullptr}, {"url", nullptr},
                            {"hashes", nlohmann::json::array()}, {"file", a.file}, {"line", a.line}});
  nlohmann::json ecosystems = nlohmann::json::array();
  ecosystems.push_back("deb");
  if (d->python) ecosystems.push_back("pypi");
  auto index = buildpacks::python::index_options(py, g.cache_dir);
  std::vector<std::string> indexes;
  for (const auto& u : index.index_urls) indexes.push_back(util::redact_url(u));
  nlohmann::json doc = {{"project", dir},
                        {"name", d->name},
                        {"files", d->files},
                        {"ecosystems", ecosystems},
                        {"python", python ? nlohmann::json(*python) : nlohmann::json(nullptr)},
                        {"r", nullptr},
                        {"cuda", d->config.cuda ? nlohmann::json(*d->config.cuda) : nlohmann::json(nullptr)},
                        {"requirements", requirements},
                        {"optional_dependencies", extras},
                        {"dependency_groups", groups},
                        {"indexes", indexes},
                        {"find_links", index.find_links},
                        {"notes", d->notes},
                        {"lockfile", py.lockfile ? nlohmann::json(*py.lockfile) : nlohmann::json(nullptr)},
                        {"default_command", d->default_command.command.empty() ? nlohmann::json(nullptr)
                                                                               : nlohmann::json(d->default_command.command)}};
  if (py.pyproject && py.pyproject->requires_python) doc["requires_python"] = *py.pyproject->requires_python;
  if (g.out.json) {
    g.out.document(doc);
    return 0;
  }
  fmt::print("project: {} ({})\n", dir, d->name);
  fmt::print("files: {}\n", d->files.empty() ? "(none)" : fmt::format("{}", fmt::join(d->files, ", ")));
  fmt::print("python: {}\n", python.value_or(d->python ? "from the base" : "not needed"));
  if (py.lockfile) fmt::print("python lockfile: {} (installed exactly as locked)\n", *py.lockfile);
  if (!d->default_command.command.empty()) fmt::print("command: {}\n", d->default_command.command);
  for (const auto& n : d->notes) fmt::print("note: {}\n", n);
  for (const auto& r : requirements)
    fmt::print("  {} {}{}  ({}:{})\n", r["ecosystem"].get<std::string>(), r["name"].get<std::string>(),
               r["specifier"].get<std::string>(), r["file"].get<std::string>(), r["line"].get<int>());
  return 0;
}

int run_lock(const ProjectArgs& args, const Globals& g) {
  auto options = options_for(args, g);
  if (!options) return g.out.error(options.error());
  tidy_cache(g);
  tidy_project(args.dir);
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
  if (auto outputs = check_outputs(args.outputs); !outputs) return g.out.error(outputs.error());
  tidy_cache(g);
  tidy_project(args.dir);
  ConsoleReporter reporter(progress_mode(args.progress, g.out.json, g.out.quiet), use_color(g.color), g.out.quiet);
  options->reporter = &reporter;
  options->transfers = &reporter;  // download bars
  auto fail = [&](const util::Error& e) {
    reporter.finish();
    return g.out.error(e);
  };
  auto start = std::chrono::steady_clock::now();
  auto detected = build::detect(args.dir);
  if (!detected) return fail(detected.error());
  for (const auto& n : detected->notes) reporter.warning(n);
  reporter.step(build::Step::detect, detected->files.empty() ? std::string("no project files")
                                                             : fmt::format("{}", fmt::join(detected->files, ", ")));
  auto locked = args.locked ? build::read_lock(*detected, *options) : build::lock_project(*detected, *options, false);
  if (!locked) return fail(locked.error());
  double lock_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reporter.step(build::Step::lock, fmt::format("{} {} ({:.2f}s)", locked->reused ? "reused" : "wrote",
                                               locked->path.string(), lock_s));
  reporter.step(build::Step::plan, plan_text(*locked));
  auto built = build::build_image(*detected, *locked, *options, build::BuildRequest{args.outputs});
  if (!built) return fail(built.error());
  built->timings["lock_s"] = lock_s;
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  built->timings["wall_s"] = total_s;
  reporter.finish();

  if (!args.digest_file.empty()) {
    if (auto w = util::write_file_atomic(args.digest_file, built->manifest.digest.str()); !w)
      return g.out.error(w.error().context("writing --digest-file"));
  }
  std::size_t reused = 0;
  for (const auto& l : built->layers) reused += l.cached ? 1 : 0;
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
    doc["summary"] = {{"layers_built", built->layers.size() - reused},
                      {"layers_reused", reused},
                      {"blobs_pushed", built->blobs_pushed},
                      {"blobs_skipped", built->blobs_skipped},
                      {"bytes_pushed", built->bytes_pushed},
                      {"seconds", total_s}};
    doc["timings"] = built->timings;
    g.out.document(doc);
    return 0;
  }
  for (const auto& o : built->outputs) g.out.info("   image: " + o);
  g.out.info("  digest: " + built->manifest.digest.str());
  g.out.info(fmt::format("    done: {} layers ({} built, {} reused), {} blobs written ({}), {} already there, in {:.2f}s",
                         built->layers.size(), built->layers.size() - reused, reused, built->blobs_pushed,
                         human_bytes(built->bytes_pushed), built->blobs_skipped, total_s));
  fmt::print("{}\n", built->manifest.digest.str());
  return 0;
}

}  // namespace mlpack::cli
