#pragma once
// The R buildpack: an R project (DESCRIPTION, renv.lock, runtime.txt, install.R; read by
// detectors/r_project.*) pinned into `cran` lock entries and installed from CRAN-like repositories
// that serve Linux binaries (Posit Package Manager's `__linux__/<suite>/<snapshot>` by default),
// with no R run and nothing compiled at build time. R itself is Debian's r-base-core, which the
// OS buildpack adds when this one asks for the "R" runtime; the system libraries the binaries
// link to come from Debian too (facts::os_add), and every shared object's DT_NEEDED libraries are
// checked against the image's files before the layers are written.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "buildpacks/buildpack.hpp"
#include "cran/version.hpp"
#include "detectors/r_project.hpp"
#include "lock/lockfile.hpp"

namespace mlpack::buildpacks::r {

namespace fs = std::filesystem;
using util::Result;

// Where R packages go: Debian's R puts /usr/local/lib/R/site-library first in R_LIBS_SITE.
inline constexpr std::string_view site_library = "usr/local/lib/R/site-library";
// A package this large gets a layer of its own.
inline constexpr std::uint64_t own_layer_bytes = std::uint64_t(50) << 20;

// mlpack.yaml's R keys.
struct Settings {
  std::optional<std::string> r;     // `r: "4.3"`
  std::string r_origin;             // "mlpack.yaml"
  std::vector<std::string> cran;    // `cran:` one URL or a list; replaces every other repository
};

// What detect() found.
struct Inputs {
  fs::path root;
  std::optional<detectors::RProject> project;
  Settings settings;
};

// The R a Debian r-base-core version is: "4.2.2.20221110-2" → "4.2.2".
std::optional<cran::Version> r_of_debian_version(std::string_view debian_version);

// The suite a base names ("debian:bookworm" → "bookworm"), and Debian's release number for the
// system requirement rules ("12"); empty when unknown.
std::string suite_of(std::string_view base);
std::string debian_release(std::string_view suite);

// The repositories packages come from, in priority order, credentials kept (for requests only):
// mlpack.yaml `cran`, else renv.lock's (Posit Package Manager's source URLs turned into its
// Linux binaries for `suite`; CRAN's own mirrors, which serve no Linux binaries, replaced by
// PPM), else PPM's `__linux__/<suite>/<snapshot date or latest>`.
std::vector<std::string> repositories_for(const Inputs& in, std::string_view suite);

// Resolves the project's R packages into `lock` (ecosystem "cran"), downloads each to check that
// it is a binary this R loads and to pin its sha256, and asks the OS for their system libraries.
Result<void> resolve_packages(Context& ctx, const Inputs& in, lock::LockFile& lock);

// The site-library layers from the lock: each package verified and unpacked by lib/rpkg, its
// shared objects' libraries checked against the image, large packages in layers of their own.
Result<void> add_layers(Context& ctx, const Inputs& in, const lock::LockFile& lock, LayerSink& sink);

}  // namespace mlpack::buildpacks::r
