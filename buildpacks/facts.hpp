#pragma once
// The fact board: how buildpacks tell each other what they found or laid down, by name and type
// (as Cloud Native Buildpacks' build plan does), without fields added to a shared struct for one
// of them. A fact is declared once as a typed key; a buildpack publishes it and the ones after it
// in registry order read it. The pipeline never looks inside.
#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/requirements.hpp"
#include "lock/lockfile.hpp"

namespace mlpack::buildpacks {

// A named fact holding a T. Declare each as an `inline constexpr` constant so every reader and
// publisher agrees on its type.
template <class T>
struct Fact {
  std::string_view name;
};

class FactBoard {
 public:
  // Publishes (or replaces) a fact: a step that runs again publishes the same value again.
  template <class T>
  void publish(const Fact<T>& fact, T value) {
    facts_[std::string(fact.name)] = std::move(value);
  }
  // The fact, or null when nobody published it.
  template <class T>
  const T* find(const Fact<T>& fact) const {
    auto it = facts_.find(fact.name);
    return it == facts_.end() ? nullptr : std::any_cast<T>(&it->second);
  }
  // The fact, or `fallback` when nobody published it.
  template <class T>
  T get_or(const Fact<T>& fact, T fallback = T()) const {
    const T* v = find(fact);
    return v ? *v : std::move(fallback);
  }
  bool has(std::string_view name) const { return facts_.find(name) != facts_.end(); }

 private:
  std::map<std::string, std::any, std::less<>> facts_;
};

// The facts shared across ecosystems today. An ecosystem's own facts (read only by buildpacks
// that know it) are declared in its folder.
namespace facts {

// One package of the OS the image runs on.
struct OsPackage {
  std::string name;
  std::string version;        // the distribution's version string: "2.36-9+deb12u4"
  bool preinstalled = false;  // a registry base image has it; otherwise the lock adds it
  std::string architecture;   // "amd64", "all"; empty when unknown
};

// Which OS a registry base image is, from its own files (os-release): the ID ("debian",
// "ubuntu") and, for a release the OS buildpack knows, its name ("debian:bookworm").
struct OsRelease {
  std::string id;
  std::string distribution;
};

// Detect: commands the project runs that the OS should provide when mlpack lays the OS down
// itself ("python3"). The OS buildpack maps them to its packages.
inline constexpr Fact<std::vector<std::string>> wanted_runtimes{"project.runtimes"};

// Lock and build: the OS's packages, those the lock adds first, then a registry base image's own.
inline constexpr Fact<std::vector<OsPackage>> os_packages{"os.packages"};
// Lock and build: what a registry base image says it is (unset for a distribution mlpack lays down).
inline constexpr Fact<OsRelease> base_os{"base.os"};
// Lock and build: the C library's version, "2.36" (glibc), which decides binary compatibility.
inline constexpr Fact<std::string> libc_version{"os.libc"};
// Lock and build: interpreters a registry base image's files hold: "/usr/local/bin/python3.12".
// Sorted.
inline constexpr Fact<std::vector<std::string>> base_interpreters{"base.interpreters"};

// Resolve: OS packages an ecosystem finds it needs once its own packages are resolved (the system
// libraries R binaries link to). The OS buildpack publishes the function at resolve; a buildpack
// after it calls it, and the packages land in the lock in a layer group of their own. Returns the
// packages asked for, after "-dev" names were turned into their runtime libraries.
struct OsRequest {
  std::vector<std::string> packages;        // installed as named
  std::vector<std::string> runtime_of_dev;  // "-dev" packages: the runtime libraries they depend on, not them
  std::string why;                          // "system libraries of R packages"
};
using OsAdd = std::function<util::Result<std::vector<std::string>>(const OsRequest&, lock::LockFile&)>;
inline constexpr Fact<OsAdd> os_add{"os.add"};

// Build: every path the OS holds (its layers, and a registry base's files), for checks that what
// an ecosystem installs resolves inside the image (the DT_NEEDED libraries of its ELF objects).
// A function, so the list is made only when a check needs it.
struct OsPath {
  std::string path;  // relative: "usr/lib/x86_64-linux-gnu/libxml2.so.2"
  bool symlink = false;
  std::string link;  // a symlink's target, as written
};
using OsPaths = std::function<util::Result<std::shared_ptr<const std::vector<OsPath>>>()>;
inline constexpr Fact<OsPaths> os_paths{"os.paths"};

// Detect: the project's Python comes from another ecosystem's environment (conda's python in
// /opt/conda), not from the OS; pip requirements that environment lists for itself
// (environment.yml's `pip:`) are the python buildpack's to resolve, for that interpreter.
struct PythonEnvironment {
  std::string installer;  // "conda": the ecosystem whose interpreter it is
  std::string prefix;     // "/opt/conda"
  std::string origin;     // the file that says so: "environment.yml"
  std::optional<detectors::RequirementsFile> pip;  // what it hands to pip, when anything
};
inline constexpr Fact<PythonEnvironment> python_environment{"python.environment"};
// Lock and build: the X.Y.Z of that environment's interpreter, once solved ("3.12.4").
inline constexpr Fact<std::string> python_environment_version{"python.environment.version"};

// One thing in the project that names or implies a CUDA version. Ecosystems publish them at detect
// (append with cuda::add_hints, never replace); the cuda buildpack, after them, decides.
struct CudaHint {
  // "12.1"; a major alone ("12") when only that is named (nvidia-cublas-cu12); "none" for an
  // explicit CPU build (`+cpu`, the PyTorch index `…/whl/cpu`).
  std::string version;
  // What says so, as a person reads it: "torch==2.3.1+cu121", "the PyTorch index
  // https://download.pytorch.org/whl/cu118", "pytorch-cuda=12.1", "torch 2.3.1 (PyPI default)".
  std::string package;
  std::string where;              // "requirements.txt:3"
  // Names a variant (a +cuXYZ local version, a backend index, nvidia-*-cuNN, cuda-version…);
  // false: only implied (the CUDA a framework's release ships by default on PyPI, the minor of a
  // pinned nvidia-cuda-* wheel), which an explicit variant overrides.
  bool explicit_variant = false;
};

// The project's one CUDA decision (PRODUCT.md: decided from the project, never the build machine).
struct CudaDecision {
  std::string setting;                 // as asked: "auto", "none" or "X.Y"
  std::optional<std::string> version;  // "12.1"; none: a CPU-only image
  std::string reason;                  // "torch==2.3.1+cu121 (requirements.txt:1)"
};

// Detect: every CUDA hint the ecosystems found, in registry order.
inline constexpr Fact<std::vector<CudaHint>> cuda_hints{"cuda.hints"};
// Detect (the cuda buildpack, after the ecosystems), and again at lock and build from the lock:
// the decision pip, conda (`__cuda`) and the image follow.
inline constexpr Fact<CudaDecision> cuda{"cuda.decision"};
// Detect (the cuda buildpack): which shared-library file names ("libcudart.so.12.1.105", no folder)
// the pipeline reads for their soname as layers are written, to warn of one library that reaches
// the image twice (NVIDIA's redistributable CUDA libraries). Unpublished: none is watched.
inline constexpr Fact<std::function<bool(std::string_view)>> watched_libraries{"image.watched_libraries"};

// Build: the image's layer plan (lib/layerplan), made once by the pipeline from every package of
// every ecosystem in the lock, within the image's layer budget (mlpack.yaml `layers`, --layers).
// Each buildpack writes the layers of its own ecosystem in plan order, holding exactly the
// members planned, under a cache key that covers those members and the layer encoding.
struct PlannedLayer {
  std::string ecosystem;                // "deb", "pypi", "conda", "cran"
  int tier = 0;                         // 1 runtimes, 2 system libraries, 3 project packages
  std::string key;                      // stable: "deb:libc6", "pypi:@tier3-bucket-2-of-8"
  std::string description;              // history text: names the packages, never the project
  std::vector<std::string> packages;    // the members' names, sorted
  std::uint64_t size = 0;               // their installed bytes (the lock's size where unknown)
};
struct LayerPlan {
  std::size_t budget = 0;       // layers the whole image may have
  std::size_t base_layers = 0;  // the registry base's, plus the core OS layer
  std::size_t reserved = 0;     // layers the buildpacks add beside the plan (dpkg database, /app…)
  std::vector<PlannedLayer> layers;  // bottom to top

  // The layers of one ecosystem, bottom to top.
  std::vector<const PlannedLayer*> of(std::string_view ecosystem) const {
    std::vector<const PlannedLayer*> out;
    for (const auto& l : layers)
      if (l.ecosystem == ecosystem) out.push_back(&l);
    return out;
  }
};
inline constexpr Fact<LayerPlan> layer_plan{"layers.plan"};

// Build: licences packages state outside the lock (debian-base: each package's machine-readable
// copyright file, in that format's syntax), for the SBOM's sbom::ImageFacts::stated_licenses.
// A function, so they are read only when an SBOM is written.
struct StatedLicense {
  std::string ecosystem;  // "deb"
  std::string name;
  std::string version;
  std::string text;  // "GPL-2+ or Artistic-2.0, and BSD-3-clause"
};
using StatedLicenses = std::function<util::Result<std::vector<StatedLicense>>()>;
inline constexpr Fact<StatedLicenses> stated_licenses{"sbom.stated_licenses"};

}  // namespace facts

}  // namespace mlpack::buildpacks
