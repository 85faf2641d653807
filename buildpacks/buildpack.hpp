#pragma once
// The interface every ecosystem implements. The pipeline (lib/build) runs the buildpacks of the
// registry (registry.hpp) in order at each step and knows none of them by name:
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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apt/client.hpp"
#include "archive/layer.hpp"
#include "buildpacks/python/python.hpp"
#include "detectors/apt_txt.hpp"
#include "detectors/entrypoint.hpp"
#include "detectors/project_config.hpp"
#include "lock/lockfile.hpp"
#include "net/http.hpp"
#include "oci/transport.hpp"
#include "oci/types.hpp"
#include "util/transfer.hpp"

namespace mlpack::buildpacks {

namespace fs = std::filesystem;
using util::Result;

// The project as the buildpacks see it. The pipeline reads mlpack.yaml and the image name; each
// buildpack's detect() then publishes the facts that `mlpack detect` shows and that later
// buildpacks read. A buildpack keeps whatever else it found to itself.
struct Project {
  fs::path dir;
  std::string name;  // image name: mlpack.yaml `name`, else the folder name
  detectors::ProjectConfig config;
  std::vector<std::string> files;  // project files that were understood, relative
  std::vector<std::string> notes;  // decisions the user should see (which file took precedence)

  // Published by debian-base: apt.txt.
  std::vector<detectors::AptRequest> apt;
  // Published by python: the project runs Python (so the base should have an interpreter), and
  // its Python files (requirements.txt, pyproject.toml, runtime.txt…).
  bool python = false;
  python::Inputs py;
  // Published by app: Procfile `web:` or ./start, when mlpack.yaml names no command.
  detectors::DefaultCommand default_command;
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
};

// What the command line asks of every build.
struct Options {
  fs::path cache_dir;
  std::string platform = "linux/amd64";
  std::optional<std::string> base;  // --base overrides mlpack.yaml
  apt::Verify verify = apt::Verify::yes;
  std::optional<std::string> python;  // --python X.Y
  python::Selection selection;        // --extra / --group
  // Told about downloads as their bytes arrive; may be null.
  util::TransferObserver* transfers = nullptr;
};

// What the layers below a buildpack provide. The pipeline fills in the base as named (and opens a
// registry base image); the buildpacks that lay down the OS add what it holds, for those above.
struct BaseFacts {
  std::string name;    // "debian:bookworm" or an image reference
  bool image = false;  // a registry image, whose own layers come first
  std::shared_ptr<oci::ImageSource> source;  // set when `image`
  std::string digest;                        // its manifest's digest, set when `image`
  oci::Manifest manifest;                    // set when `image`
  std::string config;                        // the image's config JSON, set when `image`

  struct Package {
    std::string name;
    std::string version;        // Debian version string: "2.36-9+deb12u4"
    bool preinstalled = false;  // the registry base image has it; otherwise the lock adds it
  };
  // The OS's packages: those the lock adds first, then the base image's own.
  std::vector<Package> packages;
  // Python interpreters in the base image's files: "/usr/local/bin/python3.12". Sorted.
  std::vector<std::string> interpreters;
};

// What a step may use. Buildpacks run in registry order and may add to `base`.
struct Context {
  const Project& project;
  const Options& options;
  BaseFacts base;
  std::shared_ptr<net::HttpClient> http;  // null: each client makes its own (libcurl)
};

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
  // Reads the project's files through detectors (never the network), publishes its facts in
  // `project` and keeps what else it needs. Malformed files are invalid_input naming file:line.
  virtual Result<Detection> detect(Project& project) = 0;
  // Whether it lays down the base named `base` itself ("debian:bookworm"); otherwise the base is a
  // registry image the pipeline opens.
  virtual bool builds_base(std::string_view /*base*/) const { return false; }
  // An error when the project has something this buildpack recognises but cannot build.
  virtual Result<void> check(const Project&) const { return {}; }
  // Its parts of the lock's input digest (none: the lock does not depend on it).
  virtual std::vector<InputPart> inputs(const Context&) const { return {}; }
  // Adds its packages and sources to the lock and sets its target facts; may add to ctx.base.
  virtual Result<void> resolve(Context&, lock::LockFile&) const { return {}; }
  // Adds its layers, bottom to top, from the lock only; may add to ctx.base.
  virtual Result<void> layers(Context&, const lock::LockFile&, LayerSink&) const { return {}; }
  // Sets its part of the image config.
  virtual Result<void> configure(const Context&, const lock::LockFile&, ConfigDraft&) const { return {}; }
};

using Buildpacks = std::vector<std::shared_ptr<Buildpack>>;

}  // namespace mlpack::buildpacks
