#pragma once
// The build pipeline behind `mlpack detect`, `mlpack lock` and `mlpack build`: detect → lock →
// fetch/assemble → output. It runs the buildpacks of the registry (buildpacks/registry.hpp) in
// order at each step and names no ecosystem. detect() reads the project; a Session then carries
// one context from the lock to the output, so the base is opened once, its files read once, and
// each buildpack's inputs computed once.
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <span>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "buildpacks/buildpack.hpp"
#include "buildpacks/registry.hpp"
#include "image/location.hpp"
#include "image/staged.hpp"
#include "lock/lockfile.hpp"
#include "oci/types.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/shared_libs.hpp"
#include "sbom/sbom.hpp"

namespace mlpack::pipeline {

namespace fs = std::filesystem;
using util::Result;

// What the command line gives the buildpacks before they read the project.
struct DetectOptions {
  buildpacks::FlagValues flags;  // the buildpacks' own flags (Buildpack::flags)
  util::Environment env;         // the process environment, as the CLI read it
};

// What the project asks for, read from its files only (no network): mlpack.yaml, the facts the
// buildpacks published (buildpacks::Project), and the buildpacks that read them, which the later
// steps run again in the same order.
struct Detected : buildpacks::Project {
  buildpacks::Buildpacks buildpacks;
  bool applies = false;                 // some buildpack found something it understood
  std::vector<std::string> ecosystems;  // what the buildpacks contribute ("deb", "pypi"), in order
  std::vector<std::string> warnings;    // what the flags given weaken (--insecure-skip-verify)
  // The lock, in `dir`: mlpack.lock; a variant's (name_variant): mlpack.<suffix>.lock.
  std::string lock_file = "mlpack.lock";
  std::optional<buildpacks::VariantId> variant;  // set by name_variant
};

// The buildpacks' flags for each variant the command line asks for: one set per value of a flag
// that makes variants (FlagSpec::variants) given more than once — `--cuda 12.1 --cuda none` gives
// two, in the order given; with two such flags, every combination. One set (the flags as given)
// otherwise.
std::vector<buildpacks::FlagValues> variant_flags(const buildpacks::Buildpacks& buildpacks,
                                                  const buildpacks::FlagValues& flags);

// Marks `detected` as one variant of an image index: its VariantId (the buildpacks', merged:
// annotations joined, suffixes joined by '-') and its own lock file, mlpack.<suffix>.lock.
// invalid_input when no buildpack names the variant.
Result<void> name_variant(Detected& detected);

// The flags of every buildpack in `buildpacks`, in registry order, for the CLI to offer.
std::vector<buildpacks::FlagSpec> buildpack_flags(const buildpacks::Buildpacks& buildpacks);

// Where `build` writes when no -o is given: "oci:<dir>/.mlpack/image:<name>".
std::string default_output(const Detected& detected);

// Hands each buildpack its flags, reads mlpack.yaml with every buildpack's keys, then runs each
// buildpack's detect() in order. Files are listed once: mlpack's own first, then what each
// buildpack understood.
Result<Detected> detect(const fs::path& project, const DetectOptions& options = {},
                        buildpacks::Buildpacks buildpacks = buildpacks::default_buildpacks());

// `mlpack detect`: the --json document (every buildpack's section over the keys PRODUCT.md
// promises) and the lines for people.
struct Report {
  nlohmann::json json;
  std::vector<std::string> lines;
};
Report report(const Detected& detected);

// The buildpacks' options plus the pipeline's own.
struct Options : buildpacks::Options {
  std::vector<std::string> insecure_registries;
  std::optional<fs::path> docker_config;  // registry credentials (nullopt: ask anonymously)
  std::optional<std::uint64_t> upload_chunk_size;  // registry uploads in chunks over this size
  bool no_cache = false;         // --no-cache: build every layer again (the cache is still filled)
  // --layers N: the most layers the image may have, the base's included; nullopt: mlpack.yaml
  // `layers`, else the planner's default (lib/layerplan).
  std::optional<std::size_t> layers;
  Reporter* reporter = nullptr;  // progress; nullptr: silent
};

struct Locked {
  fs::path path;  // <project>/mlpack.lock
  lock::LockFile lock;
  bool reused = false;  // the existing lock matched the project and was kept
};

using BuiltLayer = buildpacks::BuiltLayer;

// One SBOM of the image (lib/sbom): the document, the OCI artifact that attaches it, and where it went.
struct BuiltSbom {
  sbom::Format format = sbom::Format::spdx;
  std::string media_type;                                   // of the document
  util::Digest digest = util::Digest::sha256_of("");        // the artifact manifest's
  util::Digest document_digest = util::Digest::sha256_of("");
  std::string document;
  std::vector<std::string> written;  // outputs it is attached to or beside, and the --sbom-file path
  std::vector<std::string> skipped;  // outputs that cannot carry it yet, with the reason
};

struct Built {
  oci::RawManifest manifest;
  util::Digest config_digest = util::Digest::sha256_of("");
  std::vector<BuiltLayer> layers;
  std::vector<std::string> outputs;
  std::map<std::string, double> timings;  // seconds per step
  // What the buildpacks warned of while laying down the image (a package's link script not run,
  // an activation script not understood), in order; shown as they happen and in `--json`.
  std::vector<std::string> warnings;
  std::uint64_t bytes_pushed = 0;         // blob bytes written to the outputs (skipped blobs not counted)
  std::size_t blobs_pushed = 0;
  std::size_t blobs_skipped = 0;
  std::vector<BuiltSbom> sboms;
  std::size_t layer_budget = 0;  // the most layers the image could have had
  // One shared library (by soname) at two paths or more (each also a warning): what --json lists.
  std::vector<DuplicateLibrary> duplicate_libraries;
  // An image index of variants (build_index): `manifest` is the index, and each variant's image,
  // with its VariantId and the locations that name it alone (TAG-<suffix>), is here.
  std::optional<buildpacks::VariantId> variant;
  std::vector<Built> variants;
};

// An image assembled from the lock, not yet written anywhere (Session::assemble): its manifest,
// config and layers (in `built`), the image to copy from, and its SBOMs, being written.
using SbomsResult = Result<std::pair<std::vector<sbom::Artifact>, double>>;  // the artifacts, seconds
struct Assembled {
  Built built;
  std::shared_ptr<image::StagedImage> staged;
  std::future<SbomsResult> sboms;
};

struct BuildRequest {
  std::vector<std::string> outputs;  // locations; empty: oci:<project>/.mlpack/image:<name>
  // The SBOMs to write from the lock (none: empty). Each is attached to every OCI layout output as
  // an OCI 1.1 artifact, written beside every docker-archive output (FILE.spdx.json,
  // FILE.cdx.json), and to `sbom_file` when set (atomically; with two formats the CycloneDX
  // document goes to the same path with `.cdx.json` for its `.spdx.json`, or `.cdx.json` added).
  std::vector<sbom::Format> sboms = {sbom::Format::spdx};
  std::optional<fs::path> sbom_file;
  std::string tool_version;  // mlpack's, named as the SBOMs' creator
};

// Where `--sbom-file PATH` puts each format's document.
fs::path sbom_file_for(const fs::path& requested, sbom::Format format, bool several);

// One run from the lock to the outputs over one buildpack context. `detected` and `options` must
// outlive it.
class Session {
 public:
  Session(const Detected& detected, const Options& options);

  // The digest of what the project asked for; a lock whose `inputs` differs is out of date.
  const std::string& inputs_digest();
  // The digests of its parts (debian-base: "base", "apt"; python: "python"), recorded so a stale
  // lock can name what changed.
  const std::map<std::string, std::string>& input_parts();

  // Resolves the project and writes mlpack.lock. With `upgrade` == false an existing lock whose
  // inputs match is reused as it is.
  Result<Locked> lock(bool upgrade);
  // Reads mlpack.lock and checks it still matches the project (`--locked`).
  Result<Locked> read_lock();
  // Assembles the image from the lock and writes it to every output.
  Result<Built> build(const Locked& locked, const BuildRequest& request);
  // Assembles the image from the lock (layers in the blob store, the SBOMs started) without
  // writing it to an output.
  Result<Assembled> assemble(const Locked& locked, const BuildRequest& request);

  const Detected& detected() const { return detected_; }
  const Options& options() const { return options_; }

 private:
  // The base the project names, opened once per run: a distribution a buildpack lays down, or a
  // registry image (its manifest, config and files). `pinned_digest` is the lock's, when known.
  Result<void> open_base(const std::string& pinned_digest);
  const std::vector<buildpacks::InputPart>& input_texts();

  const Detected& detected_;
  const Options& options_;
  buildpacks::Context ctx_;
  bool base_open_ = false;
  std::optional<std::vector<buildpacks::InputPart>> inputs_;
  std::optional<std::map<std::string, std::string>> input_parts_;
  std::optional<std::string> inputs_digest_;
};

// One variant of an index build: its session (over its own Detected, see name_variant) and lock.
struct VariantBuild {
  Session* session = nullptr;
  const Locked* locked = nullptr;
};

// Several variants of one image (`--cuda 12.1 --cuda none`), built and written as one OCI image
// index: a manifest per variant in the order given, each entry annotated with its VariantId's
// annotations and sharing every layer that does not depend on the variant (the layer cache and
// blob store are shared). Every output gets the index under its tag; OCI layouts and registries
// also get each variant under TAG-<suffix> (a location without a tag: none). A docker-archive,
// which holds one image, is refused. The variants' SBOMs are attached to their own manifests.
Result<Built> build_index(std::span<const VariantBuild> variants, const BuildRequest& request);

}  // namespace mlpack::pipeline
