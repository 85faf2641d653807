#pragma once
// The R buildpack: an R project (DESCRIPTION, renv.lock, runtime.txt, install.R; read by
// detectors/r_project.*) pinned into `cran` lock entries and installed from CRAN-like repositories
// that serve Linux binaries (Posit Package Manager's `__linux__/<suite>/<snapshot>` by default),
// with no R run and nothing compiled at build time. R itself is Debian's r-base-core, which the
// OS buildpack adds when this one asks for the "R" runtime: the suite's when it is the R the project
// asks for, else CRAN's Debian repository's for the suite (`bookworm-cran40/`, runtime_version());
// the system libraries the binaries
// link to come from Debian too (facts::os_add), and every shared object's DT_NEEDED libraries are
// checked against the image's files before the layers are written.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "buildpacks/buildpack.hpp"
#include "buildpacks/debian_base/debian_base.hpp"
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

// CRAN's Debian repository: one flat repository per Debian release, `<url>/<suite>-cran40/`,
// signed by Johannes Ranke's key.
inline constexpr std::string_view cran_debian_url = "https://cloud.r-project.org/bin/linux/debian";
inline constexpr std::string_view cran_debian_fingerprint = "95C0FAF38DB3CCAD0C080A7BDC78B2DDEABC47B7";
// The key's ASCII-armoured public key, pinned here; empty while this build carries none (then the
// repository is used only with a keyring named by MLPACK_CRAN_DEBIAN_KEY).
extern const std::string_view cran_debian_key;

// Where CRAN's Debian repository is read from: the defaults, or MLPACK_CRAN_DEBIAN_URL /
// MLPACK_CRAN_DEBIAN_KEY (a keyring file) as the CLI's environment gives them (a mirror, tests).
struct CranDebian {
  std::string url = std::string(cran_debian_url);
  std::string keyring;  // a file; empty: the pinned key
};

// The repository's flat suite for a distribution: "debian:bookworm" → "bookworm-cran40/"; nullopt
// for releases it does not serve (Ubuntu has its own, signed by another key).
std::optional<std::string> cran_debian_suite(std::string_view distribution);

// The R version the project asks for: mlpack.yaml `r`, else runtime.txt / renv.lock (renv's exact
// R read as its X.Y: a patch release loads the same packages), and DESCRIPTION's lowest R.
struct WantedR {
  std::optional<std::string> version;  // "4.3": any 4.3.x
  std::string version_origin;          // "runtime.txt:1"
  std::optional<std::string> minimum;  // DESCRIPTION `R (>= x)`
  std::string minimum_origin;          // "DESCRIPTION:4"
  bool any() const { return version || minimum; }
  bool accepts(const cran::Version& r) const;
  // "R 4.3 wanted (runtime.txt:1)", "R >= 4.4 wanted (DESCRIPTION:4)"
  std::string describe() const;
};
WantedR wanted_r(const Inputs& in);

// What the OS buildpack needs to pick r-base-core for `wanted` (see debian_base::RuntimeVersion):
// the suite's when it accepts it, else CRAN's Debian repository's.
debian_base::RuntimeVersion runtime_version(const WantedR& wanted, const CranDebian& cran_debian);

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
