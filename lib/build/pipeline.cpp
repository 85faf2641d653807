#include "build/pipeline.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "build/git.hpp"
#include "detectors/ignore.hpp"
#include "image/append.hpp"
#include "image/blob_store.hpp"
#include "image/copy.hpp"
#include "image/staged.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::build {

using util::ErrorKind;
namespace debian_base = buildpacks::debian_base;

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

Result<Detected> detect(const fs::path& project) {
  std::error_code ec;
  if (!fs::is_directory(project, ec))
    return util::fail(ErrorKind::invalid_input, "project folder `" + project.string() + "` does not exist");
  Detected d;
  d.project = project;
  auto config = detectors::read_project_config(project);
  if (!config) return std::unexpected(config.error());
  d.config = std::move(*config);
  auto apt = detectors::read_apt_txt(project);
  if (!apt) return std::unexpected(apt.error());
  d.apt = std::move(*apt);
  for (const char* f : {"mlpack.yaml", "mlpack.yml", "apt.txt", "binder/apt.txt", ".binder/apt.txt", "requirements.txt",
                        "pyproject.toml", "runtime.txt", ".python-version", "mlpack.lock"})
    if (path_exists(project / f)) d.files.push_back(f);
  d.name = image_name(project, d.config);
  auto command = detectors::default_command(project);
  if (!command) return std::unexpected(command.error());
  d.default_command = *command;
  for (const char* f : {"Procfile", "start"})
    if (path_exists(project / f)) d.files.push_back(f);
  auto py = buildpacks::python::detect(project);
  if (!py) return std::unexpected(py.error());
  d.py = std::move(*py);
  for (const auto& f : d.py.files)
    if (std::find(d.files.begin(), d.files.end(), f) == d.files.end()) d.files.push_back(f);

  // conda is not built yet: an environment.yml is named, never silently ignored.
  for (const char* f : {"environment.yml", "environment.yaml"})
    if (path_exists(d.py.env_dir / f)) {
      d.files.push_back(f);
      if (d.py.requirements || d.py.lockfile || (d.py.pyproject && d.py.pyproject->has_project))
        d.notes.push_back(std::string(f) + " is ignored: conda environments are not supported yet, and the Python "
                          "files (requirements.txt, pyproject.toml or a lockfile) take precedence");
      else
        d.conda_only = f;
      break;
    }

  // Python is needed when the project says so or has Python in it.
  d.python = d.config.python.has_value() || d.py.has_dependencies() || d.py.version_file.has_value();
  for (const char* f : {"requirements.txt", "pyproject.toml", ".python-version", "setup.py"})
    if (path_exists(project / f)) d.python = true;
  for (const auto& entry : fs::directory_iterator(project, ec))
    if (entry.path().extension() == ".py" || entry.path().extension() == ".ipynb") d.python = true;
  return d;
}

namespace {

std::vector<std::string> apt_specs(const Detected& d) {
  std::vector<std::string> specs = d.config.apt;
  for (const auto& a : d.apt) specs.push_back(a.version.empty() ? a.name : a.name + "=" + a.version);
  return specs;
}

debian_base::Request debian_request(const Detected& d, const Options& options) {
  debian_base::Request r;
  r.base = options.base.value_or(d.config.base.value_or("debian:bookworm"));
  r.snapshot = d.config.snapshot;
  r.extra_repositories = d.config.apt_repositories;
  r.replace_sources = d.config.apt_sources;
  r.apt = apt_specs(d);
  r.python = d.python;
  auto platform = oci::Platform::parse(options.platform);
  r.arch = platform ? platform->architecture : "amd64";
  return r;
}

debian_base::Environment debian_env(const Detected& d, const Options& options) {
  return debian_base::Environment{options.cache_dir, d.project, options.verify, nullptr};
}

// The base named by the project: a distribution mlpack builds itself, or an image.
struct Base {
  std::string name;
  bool image = false;
  std::shared_ptr<oci::ImageSource> source;
  oci::RawManifest raw;
  oci::Manifest manifest;
  std::string config;
  debian_base::BaseImage facts;
};

Result<Base> open_base(const Detected& d, const Options& options, const std::string& pinned_digest) {
  Base base;
  base.name = options.base.value_or(d.config.base.value_or("debian:bookworm"));
  if (apt::distribution_sources(base.name)) return base;
  auto loc = image::Location::parse(base.name);
  if (!loc) return std::unexpected(loc.error().context("base"));
  base.image = true;
  image::OpenOptions open{options.cache_dir, options.insecure_registries, std::nullopt};
  auto source = image::open_source(*loc, open);
  if (!source) return std::unexpected(source.error().context("opening the base image"));
  base.source = std::move(*source);
  auto platform = oci::Platform::parse(options.platform);
  if (!platform) return std::unexpected(platform.error());
  if (!pinned_digest.empty()) {
    auto digest = util::Digest::parse(pinned_digest);
    if (!digest) return std::unexpected(digest.error().context("mlpack.lock `base_digest`"));
    auto raw = base.source->get_manifest(*digest);
    if (!raw) return std::unexpected(raw.error().context("reading the locked base image " + digest->short_str()));
    base.raw = std::move(*raw);
    auto m = oci::parse_manifest(base.raw.bytes);
    if (!m) return std::unexpected(m.error().context("the locked base image"));
    base.manifest = std::move(*m);
  } else {
    auto resolved = image::resolve_manifest(*base.source, *platform);
    if (!resolved) return std::unexpected(resolved.error().context("reading the base image"));
    base.raw = std::move(resolved->raw);
    base.manifest = std::move(resolved->manifest);
  }
  auto reader = base.source->open_blob(base.manifest.config);
  if (!reader) return std::unexpected(reader.error().context("reading the base image's config"));
  auto verified = oci::verify_reader(std::move(*reader), base.manifest.config);
  auto config = util::read_all(*verified, 16 << 20);
  if (!config) return std::unexpected(config.error().context("reading the base image's config"));
  base.config = std::move(*config);
  auto facts = debian_base::inspect_base(*base.source, base.manifest);
  if (!facts) return std::unexpected(facts.error().context("reading the base image"));
  base.facts = std::move(*facts);
  bool wants_apt = !d.apt.empty() || !d.config.apt.empty();
  if (wants_apt && base.facts.distribution.empty())
    return util::fail(ErrorKind::invalid_input,
                      "the base image `" + base.name + "` is not a Debian release (os-release ID `" + base.facts.os_id +
                          "`), so apt.txt cannot be installed on it");
  return base;
}

}  // namespace

namespace {

// The Python X.Y the project asks for: --python, else mlpack.yaml `python`, else runtime.txt or
// .python-version; nullopt leaves it to the base.
std::optional<std::string> requested_python(const Detected& d, const Options& options) {
  if (options.python) return options.python;
  if (d.config.python) return d.config.python;
  return buildpacks::python::requested_python(d.py);
}

// "2.36-9+deb12u4" → {2, 36}.
std::optional<std::pair<int, int>> glibc_of(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return std::pair{major, minor};
}

std::string major_minor(const std::string& version) {
  auto dot = version.find('.');
  if (dot == std::string::npos) return version;
  auto end = version.find('.', dot + 1);
  return version.substr(0, end);
}

// What a registry base image says of its Python: Debian's python3 package, the interpreters in its
// files, and the official images' PYTHON_VERSION.
buildpacks::python::BasePython base_python(const Base& base) {
  buildpacks::python::BasePython out;
  if (!base.image) return out;
  out.debian = std::any_of(base.facts.installed.begin(), base.facts.installed.end(),
                           [](const auto& p) { return p.name == "python3"; });
  out.interpreters = base.facts.pythons;
  if (auto config = oci::parse_config(base.config))
    for (const auto& e : config->env)
      if (e.starts_with("PYTHON_VERSION=")) out.version = e.substr(15);
  return out;
}

// The X.Y.Z (or X.Y) of the interpreter a registry base image has without Debian's python3: its
// PYTHON_VERSION when that interpreter is there, else the newest python3.X in its files.
std::string image_python(const buildpacks::python::BasePython& bp) {
  std::string best;
  for (const auto& path : bp.interpreters) {
    std::string xy = path.substr(path.rfind("python") + 6);
    if (!bp.version.empty() && major_minor(bp.version) == xy) return bp.version;
    int a = 0, b = 0, c = 0, d = 0;
    if (best.empty() || (std::sscanf(xy.c_str(), "%d.%d", &a, &b) == 2 && std::sscanf(best.c_str(), "%d.%d", &c, &d) == 2 &&
                         std::pair{a, b} > std::pair{c, d}))
      best = xy;
  }
  return best;
}

}  // namespace

std::map<std::string, std::string> input_parts(const Detected& d, const Options& options) {
  auto r = debian_request(d, options);
  nlohmann::json base = {{"base", r.base}, {"snapshot", r.snapshot.value_or("")}, {"arch", r.arch}, {"platform", options.platform}};
  nlohmann::json repos = nlohmann::json::array();
  for (const auto& repo : r.replace_sources)
    repos.push_back({{"replace", true}, {"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
  for (const auto& repo : r.extra_repositories)
    repos.push_back({{"url", repo.url}, {"suite", repo.suite}, {"components", repo.components}, {"keyring", repo.keyring}});
  nlohmann::json apt = {{"apt", r.apt}, {"apt_repositories", repos}};
  nlohmann::json python = {{"needed", r.python},
                           {"inputs", buildpacks::python::describe(d.py, options.selection)},
                           {"version", requested_python(d, options).value_or("")}};
  return {{"base", util::Digest::sha256_of(base.dump()).str()},
          {"apt", util::Digest::sha256_of(apt.dump()).str()},
          {"python", util::Digest::sha256_of(python.dump()).str()}};
}

std::string inputs_digest(const Detected& d, const Options& options) {
  std::string text;
  for (const auto& [k, v] : input_parts(d, options)) text += k + " " + v + "\n";
  return util::Digest::sha256_of(text).str();
}

namespace {

// A folder with nothing mlpack understands gets an answer saying what it looks for.
Result<void> check_buildable(const Detected& d) {
  if (!d.conda_only.empty())
    return util::fail(ErrorKind::unsupported, "`" + d.conda_only +
                                                  "` describes a conda environment, which mlpack does not build yet; "
                                                  "list the packages in requirements.txt (pip) or apt.txt (Debian) instead");
  if (d.files.empty() && !d.python)
    return util::fail(ErrorKind::invalid_input,
                      "nothing to build in `" + d.project.string() +
                          "`: mlpack looks for requirements.txt, pyproject.toml, uv.lock, poetry.lock, Pipfile.lock, "
                          "pylock.toml, runtime.txt, .python-version, apt.txt, Procfile, mlpack.yaml or *.py files");
  return {};
}

}  // namespace

Result<Locked> read_lock(const Detected& d, const Options& options) {
  if (auto ok = check_buildable(d); !ok) return std::unexpected(ok.error());
  Locked out;
  out.path = d.project / "mlpack.lock";
  if (!path_exists(out.path))
    return util::fail(ErrorKind::invalid_input, "`--locked` was given but `" + out.path.string() + "` does not exist");
  auto lock = lock::read(out.path);
  if (!lock) return std::unexpected(lock.error());
  if (lock->inputs_digest != inputs_digest(d, options)) {
    static const std::map<std::string, std::string> what = {
        {"base", "the base or platform (mlpack.yaml `base`, --base, --platform)"},
        {"apt", "the OS packages (apt.txt, mlpack.yaml `apt` or its repositories)"},
        {"python", "the Python requirements (requirements.txt, pyproject.toml, --extra/--group) or version"}};
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
  if (!upgrade && path_exists(d.project / "mlpack.lock")) {
    auto existing = read_lock(d, options);
    if (existing) return existing;
    // A stale lock is re-resolved; a malformed one is an error rather than silently replaced.
    if (existing.error().kind != ErrorKind::stale) return existing;
  }
  if (options.reporter) options.reporter->step(Step::lock, "resolving the project's dependencies");
  auto base = open_base(d, options, "");
  if (!base) return std::unexpected(base.error());
  auto request = debian_request(d, options);
  if (base->image) {
    request.base = base->facts.distribution;
    request.base_image = &base->facts;
  }
  debian_base::Resolved empty;
  bool needs_debian = !base->image || !request.apt.empty();
  auto resolved = needs_debian ? debian_base::resolve(request, debian_env(d, options)) : Result<debian_base::Resolved>(empty);
  if (!resolved) return std::unexpected(resolved.error());
  Locked out;
  out.path = d.project / "mlpack.lock";
  out.lock.target.platform = options.platform;
  out.lock.base = base->name;
  if (base->image) out.lock.base_digest = base->raw.digest.str();
  out.lock.inputs_digest = inputs_digest(d, options);
  out.lock.input_parts = input_parts(d, options);
  // The interpreter and libc the image will have decide which wheels fit.
  std::string base_python_full;
  std::optional<std::pair<int, int>> glibc;
  for (const auto& p : resolved->packages) {
    if (p.name == "python3") base_python_full = buildpacks::python::debian_upstream_number(p.version);
    if (p.name == "libc6") glibc = glibc_of(p.version);
  }
  if (base->image)
    for (const auto& p : base->facts.installed) {
      if (p.name == "python3" && base_python_full.empty()) base_python_full = buildpacks::python::debian_upstream_number(p.version);
      if (p.name == "libc6" && !glibc) glibc = glibc_of(p.version);
    }
  auto wanted = requested_python(d, options);
  if (base->image && base_python_full.empty()) {
    auto bp = base_python(*base);
    bool has_wanted = wanted && std::any_of(bp.interpreters.begin(), bp.interpreters.end(),
                                            [&](const std::string& p) { return p.ends_with("python" + *wanted); });
    base_python_full = has_wanted ? (major_minor(bp.version) == *wanted ? bp.version : *wanted) : image_python(bp);
  }
  if (wanted && !base_python_full.empty() && major_minor(base_python_full) != *wanted)
    return util::fail(ErrorKind::invalid_input,
                      "the project asks for Python " + *wanted + ", but `" + base->name + "` provides Python " +
                          major_minor(base_python_full) +
                          "; use a base with Python " + *wanted + " (e.g. `base: docker.io/library/python:" + *wanted +
                          "-slim` in mlpack.yaml) or ask for " + major_minor(base_python_full));
  std::string python_full = wanted ? *wanted : base_python_full;
  if (!base_python_full.empty() && major_minor(base_python_full) == major_minor(python_full)) python_full = base_python_full;
  if (!python_full.empty()) out.lock.target.python = major_minor(python_full);
  out.lock.sources = std::move(resolved->sources);
  out.lock.packages = std::move(resolved->packages);
  if (d.py.has_dependencies()) {
    if (python_full.empty())
      return util::fail(ErrorKind::invalid_input, "cannot tell which Python the base `" + base->name +
                                                      "` has; set `python:` in mlpack.yaml or pass --python X.Y");
    buildpacks::python::Target target;
    target.python = major_minor(python_full);
    target.python_full = python_full;
    auto platform = oci::Platform::parse(options.platform);
    target.arch = buildpacks::python::machine_for(platform ? platform->architecture : "amd64");
    target.glibc = glibc;
    if (glibc) out.lock.target.glibc = std::to_string(glibc->first) + "." + std::to_string(glibc->second);
    auto wheels = buildpacks::python::resolve(d.py, options.selection, target, options.cache_dir);
    if (!wheels) return std::unexpected(wheels.error());
    for (auto& w : *wheels) out.lock.packages.push_back(std::move(w));
  }
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

std::string layer_key(std::string_view group, const std::vector<const lock::Package*>& packages,
                      const archive::LayerOptions& options) {
  // Bump the version when what mlpack generates into these layers changes.
  std::string text = "mlpack-debian-layer-v3\n" + std::string(group) + "\n" + archive::encoding_key(options).value_or("invalid-options") +
                     " mtime " + std::to_string(options.mtime) + "\n";
  for (const auto* p : packages) text += p->name + " " + p->version + " " + p->architecture + " " + p->sha256 + "\n";
  return util::Digest::sha256_of(text).hex();
}

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


}  // namespace

Result<Built> build_image(const Detected& d, const Locked& locked, const Options& options,
                          const BuildRequest& request) {
  Built built;
  auto start = Clock::now();

  std::vector<image::Location> outputs;
  std::vector<std::string> output_texts = request.outputs;
  if (output_texts.empty()) output_texts.push_back("oci:" + (d.project / ".mlpack" / "image").string() + ":" + d.name);
  for (const auto& o : output_texts) {
    auto loc = image::Location::parse(o);
    if (!loc) return std::unexpected(loc.error());
    outputs.push_back(*loc);
  }

  // git is asked once per build: for `created` and for the revision and source labels.
  const GitFacts git = git_facts(d.project);
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

  // Debian layers: from the layer cache when every one is there, else unpacked and compressed.
  std::map<std::string, std::vector<const lock::Package*>> groups;
  std::vector<const lock::Package*> all_debs;
  for (const auto& p : locked.lock.packages)
    if (p.ecosystem == "deb") {
      auto it = p.extra.find("layer");
      groups[it == p.extra.end() ? "apt" : it->second].push_back(&p);
      all_debs.push_back(&p);
    }
  std::vector<std::pair<std::string, std::string>> keys;  // group, key, bottom to top
  for (std::string_view g : {debian_base::layer_os, debian_base::layer_runtime, debian_base::layer_apt})
    if (groups.contains(std::string(g))) keys.emplace_back(g, layer_key(g, groups[std::string(g)], deps_options));
  if (!all_debs.empty()) keys.emplace_back("dpkg", layer_key("dpkg", all_debs, deps_options));

  auto base = open_base(d, options, locked.lock.base_digest);
  if (!base) return std::unexpected(base.error());
  auto env = debian_env(d, options);
  if (base->image) env.base_image = &base->facts;

  std::vector<BuiltLayer> layers;
  bool all_cached = !base->image;  // the layer cache keys do not cover what a base image holds
  for (const auto& [group, key] : keys) {
    auto hit = cache.find(key);
    if (!hit) {
      all_cached = false;
      break;
    }
    layers.push_back(*hit);
  }
  std::string python = d.python ? "/usr/bin/python3" : "";
  auto t_assemble = Clock::now();
  if (!all_debs.empty())
    report.step(Step::fetch, all_cached ? std::to_string(all_debs.size()) + " Debian packages: layers reused"
                                        : std::to_string(all_debs.size()) + " Debian packages: downloading (sha256-verified)");
  if (!all_cached) {
    layers.clear();
    auto assembled = debian_base::assemble(locked.lock, env);
    if (!assembled) return std::unexpected(assembled.error());
    built.timings["fetch_unpack_s"] = since(t_assemble);
    if (assembled->layers.size() != keys.size() && !(base->image && all_debs.empty()))
      return util::fail(ErrorKind::internal, "the Debian layers do not match the lock's layer groups");
    for (std::size_t i = 0; i < assembled->layers.size(); ++i) {
      auto& layer = assembled->layers[i];
      auto b = write_layer(store, std::move(layer.entries), deps_options, layer.contents);
      if (!b) return std::unexpected(b.error());
      cache.remember(keys[i].second, *b);
      layers.push_back(std::move(*b));
    }
  }
  for (const auto& l : layers) report.layer(l.contents, static_cast<std::uint64_t>(l.descriptor.size), l.cached);
  built.timings["debian_layers_s"] = since(t_assemble);

  // The Python venv at /opt/venv: one layer, cached by the locked wheels it holds, then the
  // project itself (importable from /app) when pyproject.toml has a [project] table.
  auto t_venv = Clock::now();
  auto project = buildpacks::python::project_of(d.py);
  bool venv = project || std::any_of(locked.lock.packages.begin(), locked.lock.packages.end(),
                                     [](const lock::Package& p) { return p.ecosystem == "pypi"; });
  std::optional<wheel::VenvLayout> venv_layout;
  if (venv) {
    auto layout = buildpacks::python::venv_layout(locked.lock, base_python(*base));
    if (!layout) return std::unexpected(layout.error());
    venv_layout = *layout;
    auto venv_options = buildpacks::python::venv_options(locked.lock);
    auto groups = buildpacks::python::plan_venv(locked.lock, *layout);
    std::vector<std::string> keys;
    std::vector<std::optional<BuiltLayer>> hits;
    bool all_hit = true;
    for (const auto& g : groups) {
      keys.push_back(util::Digest::sha256_of(buildpacks::python::layer_key_text(g, *layout, venv_options) +
                                             archive::encoding_key(deps_options).value_or("invalid-options") +
                                             " mtime " + std::to_string(deps_options.mtime))
                         .hex());
      hits.push_back(cache.find(keys.back()));
      all_hit = all_hit && hits.back().has_value();
    }
    std::size_t wheel_count = 0;
    for (const auto& g : groups) wheel_count += g.wheels.size();
    if (!all_hit) {
      // Every wheel is installed again (and verified) so conflicts are checked across all the
      // venv's layers; only the layers missing from the cache are compressed.
      if (wheel_count) report.step(Step::fetch, std::to_string(wheel_count) + " Python wheels: downloading (sha256-verified)");
      auto assembled = buildpacks::python::assemble(groups, *layout, venv_options, options.cache_dir);
      if (!assembled) return std::unexpected(assembled.error());
      for (std::size_t i = 0; i < groups.size(); ++i) {
        if (hits[i]) continue;
        auto b = write_layer(store, std::move((*assembled)[i].entries), deps_options, (*assembled)[i].contents);
        if (!b) return std::unexpected(b.error());
        cache.remember(keys[i], *b);
        hits[i] = std::move(*b);
      }
    }
    for (auto& h : hits) {
      report.layer(h->contents, static_cast<std::uint64_t>(h->descriptor.size), h->cached);
      layers.push_back(std::move(*h));
    }
    if (project) {
      auto p = buildpacks::python::project_layer(*project, *layout);
      if (!p) return std::unexpected(p.error());
      auto b = write_layer_by_content(store, cache, std::move(p->entries), deps_options, p->contents);
      if (!b) return std::unexpected(b.error());
      report.layer(b->contents, static_cast<std::uint64_t>(b->descriptor.size), b->cached);
      layers.push_back(std::move(*b));
    }
    python = layout->prefix + "/bin/python";
  }
  built.timings["venv_layer_s"] = since(t_venv);

  // The project's files, last, so a code change rebuilds one layer.
  auto t_app = Clock::now();
  // .git, .mlpack/, __pycache__, virtual environments, and what .gitignore, .dockerignore,
  // .mlpackignore and mlpack.yaml `exclude` name stay out.
  auto filter = detectors::ProjectFilter::load(d.project, d.config.exclude);
  if (!filter) return std::unexpected(filter.error().context("reading the project's ignore files"));
  for (const auto& w : filter->warnings()) report.warning(w);
  auto entries = archive::scan_directory(d.project, archive::ScanOptions{"/app", filter->scan_exclude()});
  if (!entries) return std::unexpected(entries.error().context("adding the project's files"));
  for (const auto& e : *entries)
    if (e.size > detectors::large_file_threshold)
      report.warning(e.path.substr(4) + " is " + std::to_string(e.size >> 20) + " MB and goes into the image; if it is data, list it under `exclude:` in mlpack.yaml or in .mlpackignore");
  auto app = write_layer_by_content(store, cache, std::move(*entries), layer_options, "project files at /app");
  if (!app) return std::unexpected(app.error());
  report.layer(app->contents, static_cast<std::uint64_t>(app->descriptor.size), app->cached);
  layers.push_back(std::move(*app));
  built.timings["app_layer_s"] = since(t_app);

  // Config: the base image's, or a fresh one.
  oci::ImageConfig config;
  if (base->image) {
    auto parsed = oci::parse_config(base->config);
    if (!parsed) return std::unexpected(parsed.error().context("the base image's config"));
    config = std::move(*parsed);
    if (config.diff_ids.size() != base->manifest.layers.size())
      return util::fail(ErrorKind::invalid_input, "the base image's config and manifest disagree on its layers");
  }
  auto platform = oci::Platform::parse(options.platform);
  if (!platform) return std::unexpected(platform.error());
  config.architecture = platform->architecture;
  config.os = platform->os;
  config.variant = platform->variant;
  config.created = created_text;
  if (!base->image) config.set_env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  config.set_env("LANG", "C.UTF-8");
  if (venv_layout) {
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& e : config.env)
      if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    config.set_env("PATH", venv_layout->prefix + "/bin:" + path);
    config.set_env("VIRTUAL_ENV", venv_layout->prefix);
  }
  if (!python.empty()) config.set_env("PYTHONUNBUFFERED", "1");
  for (const auto& [k, v] : d.config.env) config.set_env(k, v);
  config.user = d.config.user.value_or(std::to_string(debian_base::app_uid));
  config.working_dir = "/app";
  if (d.config.entrypoint) config.entrypoint = d.config.entrypoint;
  if (d.config.command) config.cmd = d.config.command;
  if (!config.entrypoint && !config.cmd) {
    using Kind = detectors::DefaultCommand::Kind;
    if (d.default_command.kind == Kind::procfile_web)
      config.cmd = std::vector<std::string>{"/bin/sh", "-c", d.default_command.command};
    else if (d.default_command.kind == Kind::start_script)
      config.entrypoint = std::vector<std::string>{d.default_command.command};
    else
      config.cmd = std::vector<std::string>{python.empty() ? "/bin/sh" : venv_layout ? "python" : "python3"};
  }
  for (int port : d.config.ports) config.exposed_ports.push_back(std::to_string(port) + "/tcp");
  std::sort(config.exposed_ports.begin(), config.exposed_ports.end());
  config.labels["org.opencontainers.image.created"] = created_text;
  config.labels["org.opencontainers.image.title"] = d.name;
  if (!git.revision.empty()) config.labels["org.opencontainers.image.revision"] = git.revision;
  if (!git.source.empty()) config.labels["org.opencontainers.image.source"] = git.source;

  oci::Manifest manifest;
  if (base->image) {
    manifest.layers = base->manifest.layers;
    for (auto& l : manifest.layers)
      if (l.media_type == oci::media::docker_layer_gzip) l.media_type = std::string(oci::media::oci_layer_gzip);
  }
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
  image::StagedImage staged(built.manifest, config_json, store, base->source);

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
  built.layers = std::move(layers);
  built.timings["total_s"] = since(start);
  return built;
}

}  // namespace mlpack::build
