#include "pipeline/pipeline.hpp"
#include "pipeline/layer_plan.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <future>
#include <iterator>
#include <set>

#include "image/append.hpp"
#include "image/blob_store.hpp"
#include "image/copy.hpp"
#include "image/file_view.hpp"
#include "image/staged.hpp"
#include "pipeline/git.hpp"
#include "pipeline/sbom_attach.hpp"
#include "pipeline/sink.hpp"
#include "sbom/cache.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::pipeline {

using util::ErrorKind;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string image_name(const fs::path& project, const detectors::ProjectConfig& config) {
  if (config.name) return *config.name;
  std::string base = fs::absolute(project).lexically_normal().filename().string();
  if (base.empty()) base = fs::absolute(project).lexically_normal().parent_path().filename().string();
  std::string out;
  for (char c : base) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back((std::isalnum(static_cast<unsigned char>(l)) || l == '.' || l == '_' || l == '-') ? l : '-');
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  return out.empty() ? "project" : out;
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// What the SBOM thread is given.
struct SbomJob {
  const lock::LockFile* lock;
  sbom::ImageFacts facts;                    // without the stated licences
  buildpacks::facts::StatedLicenses stated;  // may be empty
  oci::Descriptor subject;
  std::vector<sbom::Format> formats;
  std::string created;
  std::string writer;  // sbom::writer_identity
  sbom::DocumentCache documents;
  bool reuse;  // false with --no-cache: every document written again (and cached)
};

// Each format's document from the cache when it holds it (a warm build), else written and cached;
// the licences stated outside the lock are read only then (they are not part of the key).
SbomsResult make_sboms(SbomJob job) {
  auto start = Clock::now();
  auto description = sbom::describe(*job.lock, job.facts);
  std::vector<util::Digest> keys;
  std::vector<std::optional<sbom::Artifact>> made(job.formats.size());
  for (std::size_t i = 0; i < job.formats.size(); ++i) {
    keys.push_back(sbom::document_key(job.formats[i], description, job.writer));
    if (auto cached = job.reuse ? job.documents.load(keys[i]) : std::nullopt)
      made[i] =
          sbom::make_artifact(job.formats[i], std::move(cached->document), cached->digest, job.subject, job.created);
  }
  if (std::any_of(made.begin(), made.end(), [](const auto& m) { return !m; })) {
    if (job.stated) {
      for (auto& l : TRY_CONTEXT(job.stated(), "reading the packages' licences for the SBOM"))
        job.facts.stated_licenses[{l.ecosystem, l.name, l.version}] = std::move(l.text);
      description = sbom::describe(*job.lock, job.facts);
    }
    for (std::size_t i = 0; i < job.formats.size(); ++i) {
      if (made[i]) continue;
      auto document = sbom::write_document(job.formats[i], description);
      auto digest = util::Digest::sha256_of(document);
      TRY_CONTEXT(job.documents.store(keys[i], document, digest), "caching the SBOM");
      made[i] = sbom::make_artifact(job.formats[i], std::move(document), digest, job.subject, job.created);
    }
  }
  std::vector<sbom::Artifact> out;
  for (auto& m : made) out.push_back(std::move(*m));
  return std::pair{std::move(out), since(start)};
}

}  // namespace

std::vector<buildpacks::FlagSpec> buildpack_flags(const buildpacks::Buildpacks& buildpacks) {
  std::vector<buildpacks::FlagSpec> out;
  for (const auto& bp : buildpacks)
    for (auto& f : bp->flags()) out.push_back(std::move(f));
  return out;
}

std::vector<buildpacks::FlagValues> variant_flags(const buildpacks::Buildpacks& buildpacks,
                                                  const buildpacks::FlagValues& flags) {
  std::vector<buildpacks::FlagValues> sets{flags};
  for (const auto& spec : buildpack_flags(buildpacks)) {
    auto values = flags.all(spec.name);
    if (!spec.variants || values.size() < 2) continue;
    std::vector<buildpacks::FlagValues> next;
    for (const auto& set : sets)
      for (const auto& v : values) {
        auto one = set;
        one.values[spec.name] = {v};
        next.push_back(std::move(one));
      }
    sets = std::move(next);
  }
  return sets;
}

Result<void> name_variant(Detected& d) {
  buildpacks::VariantId id;
  bool named = false;
  for (const auto& bp : d.buildpacks)
    if (auto part = bp->variant_id(d)) {
      named = true;
      for (auto& [k, v] : part->annotations) id.annotations[k] = v;
      id.suffix += (id.suffix.empty() ? "" : "-") + part->suffix;
    }
  if (!named || id.suffix.empty())
    return util::fail(ErrorKind::invalid_input, "no buildpack names this variant of the image");
  d.lock_file = "mlpack." + id.suffix + ".lock";
  d.variant = std::move(id);
  return {};
}

Result<Detected> detect(const fs::path& project, const DetectOptions& options, buildpacks::Buildpacks buildpacks) {
  std::error_code ec;
  if (!fs::is_directory(project, ec))
    return util::fail(ErrorKind::invalid_input, "project folder `" + project.string() + "` does not exist");
  Detected d;
  for (const auto& bp : buildpacks)
    for (auto& w : TRY(bp->accept(options.flags, options.env))) d.warnings.push_back(std::move(w));
  std::vector<std::string> keys;
  for (const auto& bp : buildpacks)
    for (auto& k : bp->config_keys()) keys.push_back(std::move(k));
  d.dir = project;
  d.config = TRY(detectors::read_project_config(project, keys));
  d.name = image_name(project, d.config);
  d.files = buildpacks::existing_files(project, {"mlpack.yaml", "mlpack.yml", "mlpack.lock"});
  for (const auto& bp : buildpacks) {
    auto found = TRY(bp->detect(d));
    for (auto& f : found.files)
      if (std::find(d.files.begin(), d.files.end(), f) == d.files.end()) d.files.push_back(std::move(f));
    for (auto& n : found.notes) d.notes.push_back(std::move(n));
    if (!found.ecosystem.empty() &&
        std::find(d.ecosystems.begin(), d.ecosystems.end(), found.ecosystem) == d.ecosystems.end())
      d.ecosystems.push_back(found.ecosystem);
    d.applies = d.applies || found.applies;
  }
  d.buildpacks = std::move(buildpacks);
  return d;
}

Report report(const Detected& d) {
  Report out;
  out.json = buildpacks::detect_defaults();
  out.json["name"] = d.name;
  out.json["files"] = d.files;
  out.json["ecosystems"] = d.ecosystems;
  out.json["notes"] = d.notes;
  for (const auto& bp : d.buildpacks) {
    auto section = bp->describe(d);
    for (auto& [key, value] : section.json.items()) {
      auto& slot = out.json[key];
      if (slot.is_array() && value.is_array())
        for (auto& v : value) slot.push_back(std::move(v));
      else
        slot = std::move(value);
    }
    for (auto& line : section.lines) out.lines.push_back(std::move(line));
  }
  return out;
}

Session::Session(const Detected& detected, const Options& options)
    : detected_(detected), options_(options), ctx_{detected, options, {}, {}, nullptr} {}

Result<void> Session::open_base(const std::string& pinned_digest) {
  if (base_open_ && (!ctx_.base.image || pinned_digest.empty() || pinned_digest == ctx_.base.digest)) return {};
  const Detected& d = detected_;
  buildpacks::Base base;
  std::optional<std::string> fallback;
  for (const auto& bp : d.buildpacks)
    if (!fallback) fallback = bp->default_base();
  if (options_.base) base.name = *options_.base;
  else if (d.config.base) base.name = *d.config.base;
  else if (fallback) base.name = *fallback;
  else return util::fail(ErrorKind::invalid_input, "no base: name one with `base:` in mlpack.yaml or --base");
  for (const auto& bp : d.buildpacks)
    if (bp->builds_base(base.name)) {
      ctx_.base = std::move(base);
      base_open_ = true;
      return {};
    }
  auto loc = TRY_CONTEXT(image::Location::parse(base.name), "base");
  base.image = true;
  image::OpenOptions open{options_.cache_dir, options_.insecure_registries, options_.docker_config, options_.ca_file,
                          options_.upload_chunk_size};
  base.source = TRY_CONTEXT(image::open_source(loc, open), "opening the base image");
  oci::RawManifest raw;
  if (!pinned_digest.empty()) {
    auto digest = TRY_CONTEXT(util::Digest::parse(pinned_digest), "mlpack.lock `base_digest`");
    raw = TRY_CONTEXT(base.source->get_manifest(digest), "reading the locked base image " + digest.short_str());
    base.manifest = TRY_CONTEXT(oci::parse_manifest(raw.bytes), "the locked base image");
  } else {
    auto resolved = TRY_CONTEXT(image::resolve_manifest(*base.source, options_.platform), "reading the base image");
    raw = std::move(resolved.raw);
    base.manifest = std::move(resolved.manifest);
  }
  base.digest = raw.digest.str();
  auto reader = TRY_CONTEXT(base.source->open_blob(base.manifest.config), "reading the base image's config");
  auto verified = oci::verify_reader(std::move(reader), base.manifest.config);
  base.config = TRY_CONTEXT(util::read_all(*verified, 16 << 20), "reading the base image's config");
  // The base's files, read once for every buildpack that looks at them.
  image::FileViewRequest wanted;
  for (const auto& bp : d.buildpacks)
    for (auto& path : bp->base_files())
      if (std::find(wanted.paths.begin(), wanted.paths.end(), path) == wanted.paths.end()) wanted.paths.push_back(std::move(path));
  auto view = TRY_CONTEXT(image::read_file_view(*base.source, base.manifest, wanted), "reading the base image");
  base.files = std::make_shared<const image::FileView>(std::move(view));
  ctx_.base = std::move(base);
  base_open_ = true;
  return {};
}

// Each buildpack's parts of the inputs, with what a person changes to change them; computed once.
const std::vector<buildpacks::InputPart>& Session::input_texts() {
  if (!inputs_) {
    inputs_.emplace();
    for (const auto& bp : detected_.buildpacks)
      for (auto& part : bp->inputs(ctx_)) inputs_->push_back(std::move(part));
  }
  return *inputs_;
}

const std::map<std::string, std::string>& Session::input_parts() {
  if (!input_parts_) {
    input_parts_.emplace();
    for (const auto& part : input_texts()) (*input_parts_)[part.name] = util::Digest::sha256_of(part.text).str();
  }
  return *input_parts_;
}

const std::string& Session::inputs_digest() {
  if (!inputs_digest_) {
    std::string text;
    for (const auto& [k, v] : input_parts()) text += k + " " + v + "\n";
    inputs_digest_ = util::Digest::sha256_of(text).str();
  }
  return *inputs_digest_;
}

namespace {

// "a, b or c".
std::string list_or(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return out;
}

// A folder with nothing mlpack understands gets an answer saying what it looks for.
Result<void> check_buildable(const Detected& d) {
  for (const auto& bp : d.buildpacks) TRY(bp->check(d));
  if (d.files.empty() && !d.applies) {
    std::vector<std::string> wanted;
    for (const auto& bp : d.buildpacks)
      for (auto& f : bp->looks_for()) wanted.push_back(std::move(f));
    wanted.push_back("mlpack.yaml");
    return util::fail(ErrorKind::invalid_input,
                      "nothing to build in `" + d.dir.string() + "`: mlpack looks for " + list_or(wanted));
  }
  return {};
}

}  // namespace

Result<Locked> Session::read_lock() {
  const Detected& d = detected_;
  TRY(check_buildable(d));
  Locked out;
  out.path = d.dir / d.lock_file;
  if (!path_exists(out.path))
    return util::fail(ErrorKind::invalid_input, "`--locked` was given but `" + out.path.string() + "` does not exist");
  auto lock = TRY(lock::read(out.path));
  if (lock.inputs_digest != inputs_digest()) {
    std::map<std::string, std::string> what;
    for (const auto& part : input_texts()) what[part.name] = part.what;
    std::vector<std::string> changed;
    for (const auto& [k, v] : input_parts()) {
      auto it = lock.input_parts.find(k);
      if (it == lock.input_parts.end() || it->second != v) changed.push_back(what.contains(k) ? what.at(k) : k);
    }
    std::string list;
    for (const auto& c : changed) list += (list.empty() ? "" : "; ") + c;
    return util::fail(ErrorKind::stale, "`" + out.path.string() + "` no longer matches the project" +
                                            (list.empty() ? std::string() : ": changed: " + list) +
                                            "; run `mlpack lock` to update it");
  }
  out.lock = std::move(lock);
  out.reused = true;
  return out;
}

Result<Locked> Session::lock(bool upgrade) {
  const Detected& d = detected_;
  TRY(check_buildable(d));
  if (!upgrade && path_exists(d.dir / d.lock_file)) {
    auto existing = read_lock();
    if (existing) return existing;
    // A stale lock is re-resolved; a malformed one is an error rather than silently replaced.
    if (existing.error().kind != ErrorKind::stale) return existing;
  }
  if (options_.reporter) options_.reporter->step(Step::lock, "resolving the project's dependencies");
  TRY(open_base(""));
  Locked out;
  out.path = d.dir / d.lock_file;
  out.lock.target.platform = options_.platform.str();
  out.lock.base = ctx_.base.name;
  if (ctx_.base.image) out.lock.base_digest = ctx_.base.digest;
  out.lock.inputs_digest = inputs_digest();
  out.lock.input_parts = input_parts();
  for (const auto& bp : d.buildpacks) TRY(bp->resolve(ctx_, out.lock));
  out.lock.normalize();
  TRY_CONTEXT(lock::write(out.path, out.lock), "writing the lock");
  return out;
}

namespace {

// `created` for the image: SOURCE_DATE_EPOCH of `env`, else the last git commit time, else 0.
Result<std::int64_t> created_time(const GitFacts& git, const util::Environment& env) {
  if (auto sde = env.non_empty("SOURCE_DATE_EPOCH")) return archive::source_date_epoch(*sde);
  return git.commit_time.value_or(0);
}

}  // namespace

fs::path sbom_file_for(const fs::path& requested, sbom::Format format, bool several) {
  if (!several || format == sbom::Format::spdx) return requested;
  std::string p = requested.string();
  if (p.ends_with(".spdx.json")) return p.substr(0, p.size() - 10) + ".cdx.json";
  return p + ".cdx.json";
}

std::string default_output(const Detected& d) { return "oci:" + (d.dir / ".mlpack" / "image").string() + ":" + d.name; }

Result<Assembled> Session::assemble(const Locked& locked, const BuildRequest& request) {
  const Detected& d = detected_;
  const Options& options = options_;

  Assembled out;
  Built& built = out.built;
  auto start = Clock::now();
  built.variant = d.variant;

  // git is asked once per build: for `created` and for the revision and source labels.
  const GitFacts git = git_facts(d.dir);
  auto created = TRY(created_time(git, options.env));
  // The /app layer carries `created` as its files' time. Every other layer (OS, venv, the
  // project's metadata) does not depend on the project's commit: its files have a fixed time
  // (the epoch), so a new commit rebuilds none of them, and images that share a package set
  // share those blobs.
  archive::LayerOptions layer_options;
  layer_options.mtime = created;
  archive::LayerOptions deps_options = layer_options;
  deps_options.mtime = 0;
  const std::string created_text = util::format_rfc3339(created);

  image::BlobStore store(options.cache_dir);
  LayerCache cache{options.cache_dir / "layers", store, options.no_cache};
  Reporter& report = options.reporter ? *options.reporter : silent_reporter();

  TRY(open_base(locked.lock.base_digest));
  auto& ctx = ctx_;

  // Config: the base image's, or a fresh one; each buildpack adds its part below. A registry
  // base's own layers come first in the image, and are listed (and reported) as reused.
  buildpacks::ConfigDraft draft;
  oci::ImageConfig& config = draft.config;
  std::vector<BuiltLayer> base_layers;
  if (ctx.base.image) {
    config = TRY_CONTEXT(oci::parse_config(ctx.base.config), "the base image's config");
    const auto& theirs = ctx.base.manifest.layers;
    if (config.diff_ids.size() != theirs.size())
      return util::fail(ErrorKind::invalid_input, "the base image's config and manifest disagree on its layers");
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      BuiltLayer l{theirs[i], config.diff_ids[i],
                   fmt::format("base image {}: layer {} of {}", ctx.base.name, i + 1, theirs.size()), true};
      if (l.descriptor.media_type == oci::media::docker_layer_gzip)
        l.descriptor.media_type = std::string(oci::media::oci_layer_gzip);
      report.layer(l.contents, static_cast<std::uint64_t>(l.descriptor.size), true);
      base_layers.push_back(std::move(l));
    }
  }

  // One plan for every ecosystem's packages, within the image's budget; each buildpack writes its
  // own ecosystem's layers as planned.
  LayerBudget budget;
  budget.budget = options.layers.value_or(d.config.layers.value_or(budget.budget));
  budget.base_layers = base_layers.size();
  budget.base_image = ctx.base.image;
  ctx.facts.publish(buildpacks::facts::layer_plan, TRY(plan_layers(locked.lock, budget)));
  built.layer_budget = budget.budget;

  // Each buildpack's layers, bottom to top; the project's files come last (the app buildpack).
  Sink sink(store, cache, report, deps_options, layer_options, built.timings, built.warnings);
  if (const auto* watched = d.facts.find(buildpacks::facts::watched_libraries)) sink.watch(*watched);
  for (const auto& bp : d.buildpacks) TRY(bp->layers(ctx, locked.lock, sink));
  std::vector<BuiltLayer> layers = sink.take();
  built.duplicate_libraries = sink.duplicates();
  if (base_layers.size() + layers.size() > budget.budget)
    return util::fail(ErrorKind::internal,
                      fmt::format("the image has {} layers, over its budget of {}: the layer plan left too few for the "
                                  "layers beside it",
                                  base_layers.size() + layers.size(), budget.budget));
  config.architecture = options.platform.architecture;
  config.os = options.platform.os;
  config.variant = options.platform.variant;
  config.created = created_text;
  for (const auto& bp : d.buildpacks) TRY(bp->configure(ctx, locked.lock, draft));
  config.labels["org.opencontainers.image.created"] = created_text;
  config.labels["org.opencontainers.image.title"] = d.name;
  if (!git.revision.empty()) config.labels["org.opencontainers.image.revision"] = git.revision;
  if (!git.source.empty()) config.labels["org.opencontainers.image.source"] = git.source;

  oci::Manifest manifest;
  for (const auto& l : base_layers) manifest.layers.push_back(l.descriptor);
  for (const auto& l : layers) {
    manifest.layers.push_back(l.descriptor);
    config.diff_ids.push_back(l.diff_id);
    config.history.push_back(oci::HistoryEntry{created_text, "mlpack build: " + l.contents, "", false});
  }
  std::string config_json = oci::to_json(config);
  manifest.config.media_type = std::string(oci::media::oci_config);
  manifest.config.digest = util::Digest::sha256_of(config_json);
  manifest.config.size = static_cast<std::int64_t>(config_json.size());
  built.config_digest = manifest.config.digest;
  built.manifest = oci::RawManifest::from_bytes(oci::to_json(manifest), std::string(oci::media::oci_manifest));
  out.staged = std::make_shared<image::StagedImage>(built.manifest, config_json, store, ctx.base.source);

  // SBOMs from the lock: the image's digest is fixed by now and does not change with them. They
  // are written on another thread while the image goes to its outputs, and attached after.
  built.timings["sbom_s"] = 0;
  if (!request.sboms.empty()) {
    sbom::ImageFacts facts{d.name, built.manifest.digest, created_text, request.tool_version, {}, {}, {}};
    // A registry base's own packages, as the OS buildpack published them for this build.
    if (const auto* os = ctx.facts.find(buildpacks::facts::os_packages))
      for (const auto& p : *os)
        if (p.preinstalled) facts.base_packages.push_back({p.name, p.version, p.architecture});
    if (const auto* release = ctx.facts.find(buildpacks::facts::base_os)) {
      facts.base_os_id = release->id;
      facts.base_distribution = release->distribution;
    }
    // Licences stated outside the lock (Debian's copyright files), read on the SBOM's thread too,
    // and only for a document the cache (<cache>/sbom, lib/sbom/cache.hpp) does not hold: its key
    // is the description without them, which names each package's archive by its sha256.
    buildpacks::facts::StatedLicenses stated;
    if (const auto* f = ctx.facts.find(buildpacks::facts::stated_licenses)) stated = *f;
    oci::Descriptor subject{built.manifest.media_type, built.manifest.digest,
                            static_cast<std::int64_t>(built.manifest.bytes.size())};
    out.sboms = std::async(std::launch::async, make_sboms,
                           SbomJob{&locked.lock, std::move(facts), std::move(stated), subject, request.sboms,
                                   created_text, sbom::writer_identity(request.tool_version),
                                   sbom::DocumentCache(options.cache_dir / "sbom"), !options.no_cache});
  }

  built.layers = std::move(base_layers);
  built.layers.insert(built.layers.end(), std::make_move_iterator(layers.begin()), std::make_move_iterator(layers.end()));
  built.timings["assemble_s"] = since(start);
  return out;
}

namespace {

Result<std::vector<image::Location>> output_locations(const BuildRequest& request, const Detected& d) {
  std::vector<image::Location> outputs;
  std::vector<std::string> texts = request.outputs;
  if (texts.empty()) texts.push_back(default_output(d));
  for (const auto& o : texts) outputs.push_back(TRY(image::Location::parse(o)));
  return outputs;
}

// Opens an output for writing, its parent folder made first.
Result<std::unique_ptr<oci::ImageDestination>> open_output(const image::Location& loc, const Options& options) {
  if (loc.kind == image::Location::Kind::oci_layout || loc.kind == image::Location::Kind::oci_archive ||
      loc.kind == image::Location::Kind::docker_archive)
    TRY(util::make_dirs(fs::absolute(loc.path).parent_path()));
  image::OpenOptions open{options.cache_dir, options.insecure_registries, options.docker_config, options.ca_file,
                          options.upload_chunk_size};
  return image::open_destination(loc, open);
}

// Copies the image (or index) `source` names to `dest`, counting what went into `built`.
Result<void> copy_to(oci::ImageSource& source, oci::ImageDestination& dest, const std::string& where,
                     Reporter& report, Built& built) {
  image::CopyOptions copy;
  copy.on_blob = [&](const image::BlobEvent& e) { report.blob(where, static_cast<std::uint64_t>(e.blob.size), e.skipped); };
  auto copied = TRY_CONTEXT(image::copy_image(source, dest, copy), "writing " + where);
  built.bytes_pushed += copied.bytes_copied;
  built.blobs_pushed += copied.blobs_copied;
  built.blobs_skipped += copied.blobs_skipped;
  return {};
}

// Waits for the image's SBOMs, records them in its Built, and returns their artifacts.
Result<std::vector<sbom::Artifact>> finish_sboms(Assembled& a) {
  if (!a.sboms.valid()) return std::vector<sbom::Artifact>{};
  auto t_wait = Clock::now();
  auto [artifacts, seconds] = TRY(a.sboms.get());
  a.built.timings["sbom_s"] = seconds;
  a.built.timings["sbom_wait_s"] = since(t_wait);  // how long the output waited for them
  for (const auto& x : artifacts)
    a.built.sboms.push_back(BuiltSbom{x.format, std::string(sbom::media_type(x.format)), x.manifest.digest,
                                      x.layer.digest, x.document, {}, {}});
  return artifacts;
}

// "sbom.spdx.json" for the variant cu121: "sbom.cu121.spdx.json".
fs::path variant_path(const fs::path& requested, const std::string& suffix) {
  if (suffix.empty()) return requested;
  std::string p = requested.string();
  for (std::string_view ext : {".spdx.json", ".cdx.json", ".json"})
    if (p.ends_with(ext)) return p.substr(0, p.size() - ext.size()) + "." + suffix + std::string(ext);
  return p + "." + suffix;
}

// --sbom-file: each format's document, atomically.
Result<void> write_sbom_files(Built& built, const BuildRequest& request, const std::string& suffix) {
  if (!request.sbom_file) return {};
  for (auto& s : built.sboms) {
    auto path = sbom_file_for(variant_path(*request.sbom_file, suffix), s.format, built.sboms.size() > 1);
    TRY_CONTEXT(util::make_dirs(fs::absolute(path).parent_path()), "writing the SBOM");
    TRY_CONTEXT(util::write_file_atomic(path, s.document), "writing the SBOM");
    s.written.push_back(path.string());
  }
  return {};
}

Result<void> attach_sboms(const std::vector<image::Location>& outputs,
                          const std::vector<std::unique_ptr<oci::ImageDestination>>& destinations,
                          const std::vector<sbom::Artifact>& artifacts, Built& built) {
  for (std::size_t o = 0; o < outputs.size(); ++o)
    for (std::size_t i = 0; i < artifacts.size(); ++i)
      TRY_CONTEXT(attach_sbom(outputs[o], *destinations[o], artifacts[i], built.sboms[i]),
                  "attaching the SBOM to " + outputs[o].str());
  return {};
}

// Where a variant is named alone: TAG-<suffix> in an OCI layout or a registry repository whose
// location has a tag; nullopt elsewhere (an oci-archive is written whole, with the index alone).
std::optional<image::Location> variant_location(const image::Location& loc, const std::string& suffix) {
  image::Location out = loc;
  switch (loc.kind) {
    case image::Location::Kind::oci_layout:
      if (loc.tag.empty()) return std::nullopt;
      out.tag = loc.tag + "-" + suffix;
      return out;
    case image::Location::Kind::registry:
      if (!loc.reference || loc.reference->tag.empty()) return std::nullopt;
      out.reference->tag = loc.reference->tag + "-" + suffix;
      out.reference->digest.reset();
      return out;
    default:
      return std::nullopt;
  }
}

// The index of several assembled images, as a source to copy from: the index first, then each
// image's manifest, config and layers from that image.
class IndexSource final : public oci::ImageSource {
 public:
  IndexSource(oci::RawManifest index, std::vector<Assembled>& images) : index_(std::move(index)) {
    for (auto& a : images) {
      images_.push_back(a.staged.get());
      auto m = oci::parse_manifest(a.built.manifest.bytes);
      if (!m) continue;
      owner_.emplace(m->config.digest.str(), a.staged.get());
      for (const auto& l : m->layers) owner_.emplace(l.digest.str(), a.staged.get());
    }
  }
  std::string describe() const override { return "the built index " + index_.digest.short_str(); }
  Result<oci::RawManifest> get_manifest(const std::optional<util::Digest>& digest) override {
    if (!digest || *digest == index_.digest) return index_;
    for (auto* image : images_)
      if (image->manifest().digest == *digest) return image->manifest();
    return util::fail(ErrorKind::not_found, describe() + " has no manifest " + digest->short_str());
  }
  Result<std::unique_ptr<util::Reader>> open_blob(const oci::Descriptor& blob) override {
    auto it = owner_.find(blob.digest.str());
    if (it == owner_.end()) return util::fail(ErrorKind::not_found, describe() + " has no blob " + blob.digest.short_str());
    return it->second->open_blob(blob);
  }
  std::optional<oci::BlobSourceHint> blob_hint() const override {
    return images_.empty() ? std::nullopt : images_.front()->blob_hint();
  }
  std::optional<fs::path> trusted_blob_file(const oci::Descriptor& blob) override {
    auto it = owner_.find(blob.digest.str());
    return it == owner_.end() ? std::nullopt : it->second->trusted_blob_file(blob);
  }

 private:
  oci::RawManifest index_;
  std::vector<image::StagedImage*> images_;
  std::map<std::string, image::StagedImage*> owner_;
};

}  // namespace

Result<Built> Session::build(const Locked& locked, const BuildRequest& request) {
  auto start = Clock::now();
  auto outputs = TRY(output_locations(request, detected_));
  auto a = TRY(assemble(locked, request));
  Built& built = a.built;
  Reporter& report = options_.reporter ? *options_.reporter : silent_reporter();

  auto t_out = Clock::now();
  std::vector<std::unique_ptr<oci::ImageDestination>> destinations;
  for (const auto& loc : outputs) {
    report.step(Step::output, loc.str());
    auto dest = TRY(open_output(loc, options_));
    TRY(copy_to(*a.staged, *dest, loc.str(), report, built));
    built.outputs.push_back(loc.str());
    destinations.push_back(std::move(dest));
  }
  // SBOMs are written on another thread while the image goes to its outputs, and attached after.
  TRY(attach_sboms(outputs, destinations, TRY(finish_sboms(a)), built));
  TRY(write_sbom_files(built, request, ""));
  built.timings["output_s"] = since(t_out);
  built.timings["total_s"] = since(start);
  return std::move(a.built);
}

Result<Built> build_index(std::span<const VariantBuild> variants, const BuildRequest& request) {
  if (variants.empty()) return util::fail(ErrorKind::internal, "an image index needs at least one variant");
  auto start = Clock::now();
  const Detected& first = variants.front().session->detected();
  const Options& options = variants.front().session->options();
  Reporter& report = options.reporter ? *options.reporter : silent_reporter();
  auto outputs = TRY(output_locations(request, first));
  for (const auto& loc : outputs)
    if (loc.kind == image::Location::Kind::docker_archive)
      return util::fail(ErrorKind::invalid_input,
                        "`" + loc.str() + "` holds one image, not an index of variants: write the variants to an "
                        "OCI layout (oci:), an oci-archive or a registry, or build one variant at a time");
  std::set<std::string> suffixes;
  for (const auto& v : variants) {
    const auto& id = v.session->detected().variant;
    if (!id) return util::fail(ErrorKind::internal, "a variant of the index has no name");
    if (!suffixes.insert(id->suffix).second)
      return util::fail(ErrorKind::invalid_input,
                        "two variants of the index are both `" + id->suffix + "`: give each value once");
  }

  std::vector<Assembled> assembled;
  for (const auto& v : variants) assembled.push_back(TRY(v.session->assemble(*v.locked, request)));

  Built built;
  oci::Index index;
  for (const auto& a : assembled) {
    oci::Descriptor d{a.built.manifest.media_type, a.built.manifest.digest,
                      static_cast<std::int64_t>(a.built.manifest.bytes.size())};
    d.platform = options.platform;
    d.annotations = a.built.variant->annotations;
    index.manifests.push_back(std::move(d));
    for (const auto& w : a.built.warnings)
      if (std::find(built.warnings.begin(), built.warnings.end(), w) == built.warnings.end()) built.warnings.push_back(w);
  }
  built.manifest = oci::RawManifest::from_bytes(oci::to_json(index), std::string(oci::media::oci_index));
  built.layer_budget = assembled.front().built.layer_budget;
  IndexSource source(built.manifest, assembled);

  auto t_out = Clock::now();
  std::vector<std::unique_ptr<oci::ImageDestination>> destinations;
  for (const auto& loc : outputs) {
    report.step(Step::output, loc.str());
    auto dest = TRY(open_output(loc, options));
    TRY(copy_to(source, *dest, loc.str(), report, built));
    built.outputs.push_back(loc.str());
    destinations.push_back(std::move(dest));
    for (auto& a : assembled)
      if (auto alone = variant_location(loc, a.built.variant->suffix)) {
        auto to = TRY(open_output(*alone, options));
        TRY(copy_to(*a.staged, *to, alone->str(), report, built));
        a.built.outputs.push_back(alone->str());
      }
  }
  for (auto& a : assembled) {
    TRY(attach_sboms(outputs, destinations, TRY(finish_sboms(a)), a.built));
    TRY(write_sbom_files(a.built, request, a.built.variant->suffix));
    built.variants.push_back(std::move(a.built));
  }
  built.timings["output_s"] = since(t_out);
  built.timings["total_s"] = since(start);
  return built;
}

}  // namespace mlpack::pipeline
