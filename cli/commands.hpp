#pragma once
// One function per command: takes parsed flags, calls lib/, renders, returns the exit code.
#include <optional>
#include <string>
#include <vector>

#include "buildpacks/buildpack.hpp"
#include "cli/output.hpp"
#include "image/location.hpp"
#include "util/cleanup.hpp"
#include "util/environment.hpp"

namespace mlpack::cli {

struct Globals {
  std::string cache_dir;  // resolved (never empty)
  std::vector<std::string> insecure_registries;
  std::optional<std::uint64_t> upload_chunk_size;  // --upload-chunk-size
  std::string platform = "linux/amd64";
  std::string color = "auto";  // --color
  Output out;
  util::Environment env;  // the process environment, read once in main()
};

struct AppendArgs {
  std::string base;
  std::vector<std::string> layers;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;
  std::optional<std::string> workdir;
  std::optional<std::string> user;
  std::vector<std::string> labels;
  std::vector<std::string> ports;
  std::string compression = "gzip";
  std::vector<std::string> outputs;
};

struct PushArgs {
  std::string source;
  std::string destination;
  bool all_platforms = true;
};

struct ProjectArgs {
  std::string dir = ".";
  std::string base;
  std::string platform = "linux/amd64";
  bool locked = false;
  bool upgrade = false;
  std::vector<std::string> outputs;
  buildpacks::FlagValues buildpack_flags;  // the flags the buildpacks own (--python…), as given
  std::string progress = "auto";    // --progress auto|plain|none
  std::string digest_file;          // --digest-file: the manifest digest is written here
  bool no_cache = false;            // --no-cache
  std::optional<std::size_t> layers;  // --layers N: the image's layer budget
  std::string sbom = "spdx";        // --sbom spdx|cyclonedx|both|none
  std::string sbom_file;            // --sbom-file: the SBOM is written here too
  std::optional<std::uint64_t> unpack_max_ratio;  // --unpack-max-ratio: how far one member may inflate
  std::optional<std::uint64_t> unpack_max_size;   // --unpack-max-size: bytes one package may unpack to
};

int run_version(const Globals& g);
int run_detect(const std::string& dir, const buildpacks::FlagValues& flags, const Globals& g);
int run_lock(const ProjectArgs& args, const Globals& g);
int run_build(const ProjectArgs& args, const Globals& g);
int run_append(const AppendArgs& args, const Globals& g);
int run_push(const PushArgs& args, const Globals& g);
int run_inspect(const std::string& ref, const Globals& g);
// `mlpack check-gpu REF [--driver VERSION]`: whether the image's CUDA need (its labels) fits the
// driver given, else the local nvidia-smi's, else says the floor alone. 0: it runs; 1: it does not.
int run_check_gpu(const std::string& ref, const std::optional<std::string>& driver, const Globals& g);
// `mlpack sbom REF [--format spdx|cyclonedx]`: prints the SBOM attached to the image (exit 1 when
// it has none).
int run_sbom(const std::string& ref, const std::string& format, const Globals& g);

// How registries and layouts are opened: the cache, --insecure-registry, the docker config and
// the CA file from the environment.
image::OpenOptions open_options(const Globals& g);

// Where the cache lives without --cache-dir: $MLPACK_CACHE_DIR, else $XDG_CACHE_HOME/mlpack, else
// ~/.cache/mlpack, else .mlpack-cache (variables set but empty count as unset).
std::string default_cache_dir(const util::Environment& env);

// Parses and checks every `-o` before any work starts (image::check_destination), so a destination
// that would be refused at the end is refused first, with nothing resolved, downloaded or written.
util::Result<std::vector<image::Location>> check_outputs(const std::vector<std::string>& outputs);

// Remove the temporary files that killed runs left anywhere in the cache (blobs, indexes, pages,
// layer keys) when a run died there since the last sweep, marking this run live for as long as the
// result is kept; and beside the project's mlpack.lock (a live run's stay: util/cleanup.hpp).
util::CacheRun tidy_cache(const Globals& g);
void tidy_project(const std::string& dir);

}  // namespace mlpack::cli
