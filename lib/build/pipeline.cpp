#include "build/pipeline.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "build/git.hpp"
#include "image/append.hpp"
#include "image/blob_store.hpp"
#include "image/copy.hpp"
#include "image/staged.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::build {

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

}  // namespace

Result<Detected> detect(const fs::path& project, buildpacks::Buildpacks buildpacks) {
  std::error_code ec;
  if (!fs::is_directory(project, ec))
    return util::fail(ErrorKind::invalid_input, "project folder `" + project.string() + "` does not exist");
  Detected d;
  d.dir = project;
  auto config = detectors::read_project_config(project);
  if (!config) return std::unexpected(config.error());
  d.config = std::move(*config);
  d.name = image_name(project, d.config);
  d.files = buildpacks::existing_files(project, {"mlpack.yaml", "mlpack.yml", "mlpack.lock"});
  for (const auto& bp : buildpacks) {
    auto found = bp->detect(d);
    if (!found) return std::unexpected(found.error());
    for (auto& f : found->files)
      if (std::find(d.files.begin(), d.files.end(), f) == d.files.end()) d.files.push_back(std::move(f));
    for (auto& n : found->notes) d.notes.push_back(std::move(n));
    d.applies = d.applies || found->applies;
  }
  d.buildpacks = std::move(buildpacks);
  return d;
}

namespace {

buildpacks::Context context_for(const Detected& d, const Options& options) {
  return buildpacks::Context{d, options, {}, nullptr};
}

// The base named by the project: a distribution a buildpack builds, or a registry image opened here
// (its manifest and config) for the buildpacks to read.
Result<buildpacks::BaseFacts> open_base(const Detected& d, const Options& options, const std::string& pinned_digest) {
  buildpacks::BaseFacts base;
  base.name = options.base.value_or(d.config.base.value_or("debian:bookworm"));
  for (const auto& bp : d.buildpacks)
    if (bp->builds_base(base.name)) return base;
  auto loc = image::Location::parse(base.name);
  if (!loc) return std::unexpected(loc.error().context("base"));
  base.image = true;
  image::OpenOptions open{options.cache_dir, options.insecure_registries, std::nullopt};
  auto source = image::open_source(*loc, open);
  if (!source) return std::unexpected(source.error().context("opening the base image"));
  base.source = std::move(*source);
  auto platform = oci::Platform::parse(options.platform);
  if (!platform) return std::unexpected(platform.error());
  oci::RawManifest raw;
  if (!pinned_digest.empty()) {
    auto digest = util::Digest::parse(pinned_digest);
    if (!digest) return std::unexpected(digest.error().context("mlpack.lock `base_digest`"));
    auto got = base.source->get_manifest(*digest);
    if (!got) return std::unexpected(got.error().context("reading the locked base image " + digest->short_str()));
    raw = std::move(*got);
    auto m = oci::parse_manifest(raw.bytes);
    if (!m) return std::unexpected(m.error().context("the locked base image"));
    base.manifest = std::move(*m);
  } else {
    auto resolved = image::resolve_manifest(*base.source, *platform);
    if (!resolved) return std::unexpected(resolved.error().context("reading the base image"));
    raw = std::move(resolved->raw);
    base.manifest = std::move(resolved->manifest);
  }
  base.digest = raw.digest.str();
  auto reader = base.source->open_blob(base.manifest.config);
  if (!reader) return std::unexpected(reader.error().context("reading the base image's config"));
  auto verified = oci::verify_reader(std::move(*reader), base.manifest.config);
  auto config = util::read_all(*verified, 16 << 20);
  if (!config) return std::unexpected(config.error().context("reading the base image's config"));
  base.config = std::move(*config);
  return base;
}

// Each buildpack's parts of the inputs, with what a person changes to change them.
std::vector<buildpacks::InputPart> input_texts(const Detected& d, const Options& options) {
  auto ctx = context_for(d, options);
  std::vector<buildpacks::InputPart> out;
  for (const auto& bp : d.buildpacks)
    for (auto& part : bp->inputs(ctx)) out.push_back(std::move(part));
  return out;
}

}  // namespace

std::map<std::string, std::string> input_parts(const Detected& d, const Options& options) {
  std::map<std::string, std::string> out;
  for (const auto& part : input_texts(d, options)) out[part.name] = util::Digest::sha256_of(part.text).str();
  return out;
}

std::string inputs_digest(const Detected& d, const Options& options) {
  std::string text;
  for (const auto& [k, v] : input_parts(d, options)) text += k + " " + v + "\n";
  return util::Digest::sha256_of(text).str();
}

namespace {

// A folder with nothing mlpack understands gets an answer saying what it looks for.
Result<void> check_buildable(const Detected& d) {
  for (const auto& bp : d.buildpacks)
    if (auto ok = bp->check(d); !ok) return ok;
  if (d.files.empty() && !d.applies)
    return util::fail(ErrorKind::invalid_input,
                      "nothing to build in `" + d.dir.string() +
                          "`: mlpack looks for requirements.txt, pyproject.toml, uv.lock, poetry.lock, Pipfile.lock, "
                          "pylock.toml, runtime.txt, .python-version, apt.txt, Procfile, mlpack.yaml or *.py files");
  return {};
}

}  // namespace

Result<Locked> read_lock(const Detected& d, const Options& options) {
  if (auto ok = check_buildable(d); !ok) return std::unexpected(ok.error());
  Locked out;
  out.path = d.dir / "mlpack.lock";
  if (!path_exists(out.path))
    return util::fail(ErrorKind::invalid_input, "`--locked` was given but `" + out.path.string() + "` does not exist");
  auto lock = lock::read(out.path);
  if (!lock) return std::unexpected(lock.error());
  if (lock->inputs_digest != inputs_digest(d, options)) {
    std::map<std::string, std::string> what;
    for (const auto& part : input_texts(d, options)) what[part.name] = part.what;
    std::vector<std::string> changed;
    for (const auto& [k, v] : input_parts(d, options)) {
      auto it = lock->input_parts.find(k);
      if (it == lock->input_parts.end() || it->second != v) changed.push_back(what.contains(k) ? what.at(k) : k);
    }
    std::string list;
    for (const auto& c : changed) list += (list.empty() ? "" : "; ") + c;
    return util::fail(ErrorKind::stale, "`" + out.path.string() + "` no longer matches the project" +
                                            (list.empty() ? std::string() : ": changed: " + list) +
                                            "; run `mlpack lock` to update it");
  }
  out.lock = std::move(*lock);
  out.reused = true;
  return out;
}

Result<Locked> lock_project(const Detected& d, const Options& options, bool upgrade) {
  if (auto ok = check_buildable(d); !ok) return std::unexpected(ok.error());
  if (!upgrade && path_exists(d.dir / "mlpack.lock")) {
    auto existing = read_lock(d, options);
    if (existing) return existing;
    // A stale lock is re-resolved; a malformed one is an error rather than silently replaced.
    if (existing.error().kind != ErrorKind::stale) return existing;
  }
  if (options.reporter) options.reporter->step(Step::lock, "resolving the project's dependencies");
  auto base = open_base(d, options, "");
  if (!base) return std::unexpected(base.error());
  Locked out;
  out.path = d.dir / "mlpack.lock";
  out.lock.target.platform = options.platform;
  out.lock.base = base->name;
  if (base->image) out.lock.base_digest = base->digest;
  out.lock.inputs_digest = inputs_digest(d, options);
  out.lock.input_parts = input_parts(d, options);
  auto ctx = context_for(d, options);
  ctx.base = std::move(*base);
  for (const auto& bp : d.buildpacks)
    if (auto r = bp->resolve(ctx, out.lock); !r) return std::unexpected(r.error());
  out.lock.normalize();
  if (auto w = lock::write(out.path, out.lock); !w) return std::unexpected(w.error().context("writing the lock"));
  return out;
}

namespace {

// `created` when git has already been asked: SOURCE_DATE_EPOCH wins over the commit time.
Result<std::int64_t> created_time(const GitFacts& git) {
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) return archive::source_date_epoch();
  return git.commit_time.value_or(0);
}

}  // namespace

Result<std::int64_t> created_time(const fs::path& project) {
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) return archive::source_date_epoch();
  return created_time(git_facts(project));
}

namespace {

// A finished layer blob recorded under a key derived from everything that determines its bytes,
// so a warm rebuild neither unpacks nor compresses again.
struct LayerCache {
  fs::path dir;
  image::BlobStore store;
  bool disabled = false;  // --no-cache: never reuse, still remember

  std::optional<BuiltLayer> find(const std::string& key) const {
    if (disabled) return std::nullopt;
    auto text = util::read_file(dir / key, 1 << 16);
    if (!text) return std::nullopt;
    try {
      auto doc = nlohmann::json::parse(*text);
      auto digest = util::Digest::parse(doc.at("digest").get<std::string>());
      auto diff_id = util::Digest::parse(doc.at("diff_id").get<std::string>());
      if (!digest || !diff_id || !store.has(*digest)) return std::nullopt;
      oci::Descriptor desc;
      desc.media_type = doc.at("media_type").get<std::string>();
      desc.digest = *digest;
      desc.size = doc.at("size").get<std::int64_t>();
      return BuiltLayer{desc, *diff_id, doc.at("contents").get<std::string>(), true};
    } catch (const nlohmann::json::exception&) {
      return std::nullopt;
    }
  }

  void remember(const std::string& key, const BuiltLayer& layer) const {
    nlohmann::json doc = {{"digest", layer.descriptor.digest.str()},
                          {"diff_id", layer.diff_id.str()},
                          {"size", layer.descriptor.size},
                          {"media_type", layer.descriptor.media_type},
                          {"contents", layer.contents}};
    if (util::make_dirs(dir)) (void)util::write_file_atomic(dir / key, doc.dump());
  }
};

Result<BuiltLayer> write_layer(image::BlobStore& store, std::vector<archive::Entry> entries,
                               const archive::LayerOptions& options, std::string contents) {
  std::optional<archive::LayerResult> written;
  auto digest = store.add([&](util::Writer& out) -> Result<util::Digest> {
    auto r = archive::write_layer(std::move(entries), options, out);
    if (!r) return std::unexpected(r.error());
    written = *r;
    return r->digest;
  });
  if (!digest) return std::unexpected(digest.error().context("writing layer " + contents));
  oci::Descriptor desc;
  desc.media_type = image::layer_media_type(options.compression);
  desc.digest = written->digest;
  desc.size = static_cast<std::int64_t>(written->size);
  return BuiltLayer{desc, written->diff_id, std::move(contents), false};
}


// A layer whose entries can be read twice (files on disk, data in memory): its tar is hashed
// first, and the compressed blob is taken from the cache by that content digest (the diff_id),
// so a rebuild with unchanged files compresses nothing. A miss costs one extra read.
Result<BuiltLayer> write_layer_by_content(image::BlobStore& store, const LayerCache& cache, std::vector<archive::Entry> entries,
                                          const archive::LayerOptions& options, std::string contents) {
  struct Discard final : util::Writer {
    Result<void> write(util::Bytes) override { return {}; }
  } discard;
  archive::LayerOptions plain = options;
  plain.compression = archive::Compression::none;
  auto hashed = archive::write_layer(entries, plain, discard);
  if (!hashed) return std::unexpected(hashed.error().context("reading " + contents));
  std::string key = "content-" + util::Digest::sha256_of(hashed->diff_id.str() + " " +
                                                           archive::encoding_key(options).value_or("invalid-options") +
                                                           " " + contents)
                                     .hex();
  if (auto hit = cache.find(key); hit && hit->diff_id == hashed->diff_id) return *hit;
  auto built = write_layer(store, std::move(entries), options, contents);
  if (!built) return std::unexpected(built.error());
  if (built->diff_id != hashed->diff_id)
    return util::fail(ErrorKind::io, contents + " changed while the image was being built; build again");
  cache.remember(key, *built);
  return built;
}


// The pipeline's side of buildpacks::LayerSink: blobs into the store, keys into the layer cache,
// layers stacked in the order the buildpacks add them.
class Sink final : public buildpacks::LayerSink {
 public:
  Sink(image::BlobStore& store, const LayerCache& cache, Reporter& report, const archive::LayerOptions& fixed,
       const archive::LayerOptions& created, std::map<std::string, double>& timings)
      : store_(store), cache_(cache), report_(report), fixed_(fixed), created_(created), timings_(timings) {}

  const archive::LayerOptions& options(buildpacks::FileTimes times) const override {
    return times == buildpacks::FileTimes::fixed ? fixed_ : created_;
  }
  std::optional<BuiltLayer> find(const std::string& key) const override { return cache_.find(key); }
  Result<BuiltLayer> write(buildpacks::Layer layer, buildpacks::FileTimes times, const std::string& key) override {
    auto b = write_layer(store_, std::move(layer.entries), options(times), std::move(layer.contents));
    if (b) cache_.remember(key, *b);
    return b;
  }
  Result<BuiltLayer> write_by_content(buildpacks::Layer layer, buildpacks::FileTimes times) override {
    return write_layer_by_content(store_, cache_, std::move(layer.entries), options(times), std::move(layer.contents));
  }
  void add(BuiltLayer layer) override {
    report_.layer(layer.contents, static_cast<std::uint64_t>(layer.descriptor.size), layer.cached);
    layers_.push_back(std::move(layer));
  }
  void fetching(std::string_view what) override { report_.step(Step::fetch, what); }
  void warning(std::string_view message) override { report_.warning(message); }
  void timing(const std::string& key, double seconds) override { timings_[key] = seconds; }

  std::vector<BuiltLayer> take() { return std::move(layers_); }

 private:
  image::BlobStore& store_;
  const LayerCache& cache_;
  Reporter& report_;
  const archive::LayerOptions& fixed_;
  const archive::LayerOptions& created_;
  std::map<std::string, double>& timings_;
  std::vector<BuiltLayer> layers_;
};

}  // namespace

Result<Built> build_image(const Detected& d, const Locked& locked, const Options& options,
                          const BuildRequest& request) {
  Built built;
  auto start = Clock::now();

  std::vector<image::Location> outputs;
  std::vector<std::string> output_texts = request.outputs;
  if (output_texts.empty()) output_texts.push_back("oci:" + (d.dir / ".mlpack" / "image").string() + ":" + d.name);
  for (const auto& o : output_texts) {
    auto loc = image::Location::parse(o);
    if (!loc) return std::unexpected(loc.error());
    outputs.push_back(*loc);
  }

  // git is asked once per build: for `created` and for the revision and source labels.
  const GitFacts git = git_facts(d.dir);
  auto created = created_time(git);
  if (!created) return std::unexpected(created.error());
  // The /app layer carries `created` as its files' time. Every other layer (OS, venv, the
  // project's metadata) does not depend on the project's commit: its files have a fixed time
  // (the epoch), so a new commit rebuilds none of them, and images that share a package set
  // share those blobs.
  archive::LayerOptions layer_options;
  layer_options.mtime = *created;
  archive::LayerOptions deps_options = layer_options;
  deps_options.mtime = 0;
  const std::string created_text = util::format_rfc3339(*created);

  image::BlobStore store(options.cache_dir);
  LayerCache cache{options.cache_dir / "layers", store, options.no_cache};
  Reporter& report = options.reporter ? *options.reporter : silent_reporter();

  auto base = open_base(d, options, locked.lock.base_digest);
  if (!base) return std::unexpected(base.error());
  auto ctx = context_for(d, options);
  ctx.base = std::move(*base);

  // Config: the base image's, or a fresh one; each buildpack adds its part below. A registry
  // base's own layers come first in the image, and are listed (and reported) as reused.
  buildpacks::ConfigDraft draft;
  oci::ImageConfig& config = draft.config;
  std::vector<BuiltLayer> base_layers;
  if (ctx.base.image) {
    auto parsed = oci::parse_config(ctx.base.config);
    if (!parsed) return std::unexpected(parsed.error().context("the base image's config"));
    config = std::move(*parsed);
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

  // Each buildpack's layers, bottom to top; the project's files come last (the app buildpack).
  Sink sink(store, cache, report, deps_options, layer_options, built.timings);
  for (const auto& bp : d.buildpacks)
    if (auto r = bp->layers(ctx, locked.lock, sink); !r) return std::unexpected(r.error());
  std::vector<BuiltLayer> layers = sink.take();
  auto platform = oci::Platform::parse(options.platform);
  if (!platform) return std::unexpected(platform.error());
  config.architecture = platform->architecture;
  config.os = platform->os;
  config.variant = platform->variant;
  config.created = created_text;
  for (const auto& bp : d.buildpacks)
    if (auto r = bp->configure(ctx, locked.lock, draft); !r) return std::unexpected(r.error());
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
  image::StagedImage staged(built.manifest, config_json, store, ctx.base.source);

  auto t_out = Clock::now();
  image::OpenOptions open{options.cache_dir, options.insecure_registries, std::nullopt};
  for (const auto& loc : outputs) {
    report.step(Step::output, loc.str());
    if (loc.kind == image::Location::Kind::oci_layout || loc.kind == image::Location::Kind::oci_archive ||
        loc.kind == image::Location::Kind::docker_archive)
      if (auto r = util::make_dirs(fs::absolute(loc.path).parent_path()); !r) return std::unexpected(r.error());
    auto dest = image::open_destination(loc, open);
    if (!dest) return std::unexpected(dest.error());
    image::CopyOptions copy;
    const std::string where = loc.str();
    copy.on_blob = [&](const image::BlobEvent& e) {
      report.blob(where, static_cast<std::uint64_t>(e.blob.size), e.skipped);
    };
    auto copied = image::copy_image(staged, **dest, copy);
    if (!copied) return std::unexpected(copied.error().context("writing " + loc.str()));
    built.bytes_pushed += copied->bytes_copied;
    built.blobs_pushed += copied->blobs_copied;
    built.blobs_skipped += copied->blobs_skipped;
    built.outputs.push_back(loc.str());
  }
  built.timings["output_s"] = since(t_out);
  built.layers = std::move(base_layers);
  built.layers.insert(built.layers.end(), std::make_move_iterator(layers.begin()), std::make_move_iterator(layers.end()));
  built.timings["total_s"] = since(start);
  return built;
}

}  // namespace mlpack::build
