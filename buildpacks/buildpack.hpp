#pragma once
// The interface every ecosystem implements. The pipeline (lib/pipeline) and the CLI run the
// buildpacks of the registry (registry.hpp) in order at each step and know none of them by name.
// A buildpack owns its surface: its flags, its mlpack.yaml keys, the files it looks for and its
// section of `mlpack detect`. The steps:
//   accept     → the values of its flags
//   detect     → what the project has (files only, no network); feeds `mlpack detect`
//   check      → a project it recognises but cannot build is refused before any lock is touched
//   inputs     → its parts of the lock's input digest
//   resolve    → its lock entries (feeds `mlpack lock`)
//   layers     → its layers, from the lock only, with their history text and cache keys
//   configure  → its part of the image config
// A buildpack may keep what its detect() found in its own members: the registry makes fresh
// instances for each project, and the later steps are const.
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "buildpacks/facts.hpp"
#include "detectors/project_config.hpp"
#include "lock/lockfile.hpp"
#include "net/http.hpp"
#include "oci/transport.hpp"
#include "oci/types.hpp"
#include "util/environment.hpp"
#include "util/transfer.hpp"

namespace mlpack::image {
struct FileView;
}

namespace mlpack::buildpacks {

namespace fs = std::filesystem;
using util::Result;

// The project as the buildpacks see it: what every buildpack shares. The pipeline reads
// mlpack.yaml (with the keys the buildpacks declare) and the image name; each buildpack's
// detect() then publishes on `facts` what later buildpacks read, and keeps whatever else it
// found to itself.
struct Project {
  fs::path dir;
  std::string name;  // image name: mlpack.yaml `name`, else the folder name
  detectors::ProjectConfig config;
  std::vector<std::string> files;  // project files that were understood, relative
  std::vector<std::string> notes;  // decisions the user should see (which file took precedence)
  FactBoard facts;                 // published by detect()
};

// Those of `names` that exist in `dir`, in that order: what a detect() lists as understood.
inline std::vector<std::string> existing_files(const fs::path& dir, std::initializer_list<const char*> names) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const char* name : names)
    if (fs::exists(dir / name, ec)) out.emplace_back(name);
  return out;
}

// What a buildpack's detect() says besides the facts it publishes.
struct Detection {
  bool applies = false;            // the project has something this buildpack understood
  std::vector<std::string> files;  // relative to the project; listed once however many say so
  std::vector<std::string> notes;
  // The package ecosystem it contributes to this project ("deb", "pypi"), listed by `mlpack
  // detect` as `ecosystems`; empty when none.
  std::string ecosystem;
};

// A command-line flag a buildpack owns; `mlpack lock` and `mlpack build` accept it.
struct FlagSpec {
  std::string name;        // "--python"
  std::string value_name;  // "X.Y"; empty for a switch, which takes no value
  std::string help;
  bool repeatable = false;
  // Each value makes one variant of the image (`--cuda 12.1 --cuda none`): `mlpack build` and
  // `mlpack lock` run once per value and write one image index (the pipeline's variant_flags).
  bool variants = false;
};

// What sets one variant of an image apart from its siblings in an index: the annotations of its
// manifest's entry in the index ("org.mlpack.cuda": "12.1") and the suffix of its tag and lock
// file ("cu121": TAG-cu121, mlpack.cu121.lock).
struct VariantId {
  std::map<std::string, std::string> annotations;
  std::string suffix;
};

// The values given for the buildpacks' flags: name → values in order (a switch given: {""}).
struct FlagValues {
  std::map<std::string, std::vector<std::string>> values;

  bool given(const std::string& name) const { return values.contains(name); }
  // The values of a repeatable flag (none: empty).
  std::vector<std::string> all(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }
  // The value of a flag given once.
  std::optional<std::string> value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
};

// What `mlpack detect` shows of one buildpack: keys of the --json document (a list is appended
// to the same key of earlier buildpacks, so `requirements` gathers every ecosystem's) and lines
// for people, printed after the files.
struct DetectSection {
  nlohmann::json json = nlohmann::json::object();
  std::vector<std::string> lines;
};

// What the command line asks of every build.
struct Options {
  fs::path cache_dir;
  oci::Platform platform;  // parsed once, by the CLI (default linux/amd64)
  std::optional<std::string> base;               // --base overrides mlpack.yaml
  // The process environment, read once by the CLI; library code reads no other.
  util::Environment env;
  // CA certificates trusted for every host beside the system's (the CLI passes $SSL_CERT_FILE);
  // empty: none.
  fs::path ca_file;
  // Told about downloads as their bytes arrive; may be null.
  util::TransferObserver* transfers = nullptr;
  // How far one package may unpack (wheels, .debs): against decompression bombs; the CLI's
  // --unpack-max-ratio / --unpack-max-size raise it.
  archive::UnpackLimits unpack;
};

// The image the layers go on. The pipeline fills it in once per run: the base as named (a
// distribution a buildpack lays down, or a registry image it opens) and, for a registry image,
// the final state of its files.
struct Base {
  std::string name;    // "debian:bookworm" or an image reference
  bool image = false;  // a registry image, whose own layers come first
  std::shared_ptr<oci::ImageSource> source;  // set when `image`
  std::string digest;                        // its manifest's digest, set when `image`
  oci::Manifest manifest;                    // set when `image`
  std::string config;                        // the image's config JSON, set when `image`
  // Its files after every layer (whiteouts applied), with the contents the buildpacks asked for
  // (Buildpack::base_files); set when `image`.
  std::shared_ptr<const image::FileView> files;
};

// What a step may use. One context lives from the lock to the output: buildpacks run in
// registry order and publish on `facts` what the ones above them read.
struct Context {
  const Project& project;
  const Options& options;
  Base base;
  FactBoard facts;
  std::shared_ptr<net::HttpClient> http;  // null: each client makes its own (libcurl)
};

// The context's HTTP client, else libcurl trusting the CA file the CLI was given.
std::shared_ptr<net::HttpClient> http_client(const Context& ctx);

// One part of the lock's input digest: when its text changes, the lock is stale.
struct InputPart {
  std::string name;  // "apt"; unique across buildpacks
  std::string text;  // canonical: the same inputs give the same text
  std::string what;  // what a person changed, for the stale-lock error: "the OS packages (apt.txt…)"
};

// How a layer's files are timed. Dependency layers get a fixed time (the epoch), so a new commit
// rebuilds none of them and images that share a package set share their blobs; the project's own
// files get the image's `created`.
enum class FileTimes { fixed, created };

struct Layer {
  std::vector<archive::Entry> entries;
  std::string contents;  // for history and --json: "python: 12 packages in /opt/venv"
};

// A layer written to the blob store, or found in the layer cache.
struct BuiltLayer {
  oci::Descriptor descriptor;
  util::Digest diff_id = util::Digest::sha256_of("");
  std::string contents;
  bool cached = false;  // re-used from the cache, not compressed again
  // The packages it holds, as the layer plan (facts::layer_plan) has them: "numpy 1.26.4"; empty
  // for a layer outside the plan. Set by the buildpack before add(), for --json and the summary.
  std::vector<std::string> packages;
};

// Where buildpacks put their layers; the pipeline implements it over its blob store and layer
// cache. write*() only produce a blob; add() stacks a layer on the image, in call order.
class LayerSink {
 public:
  virtual ~LayerSink() = default;
  // The options layers of `times` are written with; a cache key must cover encoding_key() and mtime.
  virtual const archive::LayerOptions& options(FileTimes times) const = 0;
  // The layer recorded under `key`, when the cache has it and is not disabled (--no-cache).
  virtual std::optional<BuiltLayer> find(const std::string& key) const = 0;
  // Writes (compresses) a layer and records it under `key`.
  virtual Result<BuiltLayer> write(Layer layer, FileTimes times, const std::string& key) = 0;
  // For entries that can be read twice (files on disk, data in memory): hashes the tar first and
  // reuses a blob with the same content, so an unchanged rebuild compresses nothing.
  virtual Result<BuiltLayer> write_by_content(Layer layer, FileTimes times) = 0;
  // Stacks a layer on top of the image and reports it.
  virtual void add(BuiltLayer layer) = 0;
  // Progress: what is being fetched, something the user should know, seconds a part took.
  virtual void fetching(std::string_view what) = 0;
  virtual void warning(std::string_view message) = 0;
  virtual void timing(const std::string& key, double seconds) = 0;
};

// The image config as the buildpacks build it up, in registry order. It starts as the base image's
// config (or an empty one) with the platform and `created` set.
struct ConfigDraft {
  oci::ImageConfig config;
  // The command when the project names none; a later buildpack may replace an earlier one's.
  std::vector<std::string> default_command;
};

class Buildpack {
 public:
  virtual ~Buildpack() = default;
  // "debian-base", "python", "app".
  virtual std::string_view name() const = 0;
  // Its command-line flags (`mlpack lock` / `mlpack build`).
  virtual std::vector<FlagSpec> flags() const { return {}; }
  // Its mlpack.yaml keys, read in detect() from `project.config.sections`.
  virtual std::vector<std::string> config_keys() const { return {}; }
  // The files it looks for, for the message a folder with nothing to build gets.
  virtual std::vector<std::string> looks_for() const { return {}; }
  // Takes the values of its flags, and the process environment as the CLI read it, before
  // detect(); a bad value is invalid_input. Returns warnings to show at once (a flag that weakens
  // a check).
  virtual Result<std::vector<std::string>> accept(const FlagValues&, const util::Environment&) {
    return std::vector<std::string>{};
  }
  // Reads the project's files through detectors (never the network), publishes its facts in
  // `project` and keeps what else it needs. Malformed files are invalid_input naming file:line.
  virtual Result<Detection> detect(Project& project) = 0;
  // Its part of `mlpack detect` (after detect()).
  virtual DetectSection describe(const Project&) const { return {}; }
  // After detect(), its part of what names this variant of the image, when one of its flags makes
  // variants (FlagSpec::variants); nullopt: none.
  virtual std::optional<VariantId> variant_id(const Project&) const { return std::nullopt; }
  // The base it lays down itself when the project names none ("debian:bookworm"); the first
  // buildpack with one gives the default.
  virtual std::optional<std::string> default_base() const { return std::nullopt; }
  // Whether it lays down the base named `base` itself ("debian:bookworm"); otherwise the base is a
  // registry image the pipeline opens.
  virtual bool builds_base(std::string_view /*base*/) const { return false; }
  // Files whose contents it reads from a registry base image (relative: "etc/os-release"); the
  // pipeline reads the base's layers once for all buildpacks.
  virtual std::vector<std::string> base_files() const { return {}; }
  // An error when the project has something this buildpack recognises but cannot build.
  virtual Result<void> check(const Project&) const { return {}; }
  // Its parts of the lock's input digest (none: the lock does not depend on it).
  virtual std::vector<InputPart> inputs(const Context&) const { return {}; }
  // Adds its packages and sources to the lock and sets its target; publishes on ctx.facts.
  virtual Result<void> resolve(Context&, lock::LockFile&) const { return {}; }
  // Adds its layers, bottom to top, from the lock only; publishes on ctx.facts (again, from the
  // lock, when resolve() did not run in this session).
  virtual Result<void> layers(Context&, const lock::LockFile&, LayerSink&) const { return {}; }
  // Sets its part of the image config.
  virtual Result<void> configure(const Context&, const lock::LockFile&, ConfigDraft&) const { return {}; }
  // What it pinned, for the plan line of `mlpack build` ("Python 3.11"); empty: nothing to say.
  virtual std::string plan(const lock::LockFile&) const { return {}; }
};

using Buildpacks = std::vector<std::shared_ptr<Buildpack>>;

}  // namespace mlpack::buildpacks
