#pragma once
// The debian-base buildpack: a pinned Debian (or Ubuntu) OS built from .debs without pulling a
// base image, running no maintainer scripts, needing no root. It resolves the minimal base plus
// the suite's Python (when the project needs it) plus apt.txt, records every package in the lock,
// and turns the locked packages into layers: core OS, language runtime, apt extras, and the dpkg
// database on top.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apt/client.hpp"
#include "buildpacks/debian_base/accounts.hpp"
#include "buildpacks/debian_base/base_image.hpp"
#include "buildpacks/facts.hpp"
#include "util/fs.hpp"
#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "lock/lockfile.hpp"
#include "net/http.hpp"
#include "util/transfer.hpp"

namespace mlpack::buildpacks::debian_base {

namespace fs = std::filesystem;
using util::Result;

// The layer a package belongs to (recorded in the lock as extra["layer"]).
inline constexpr std::string_view layer_os = "os";
inline constexpr std::string_view layer_runtime = "runtime";
inline constexpr std::string_view layer_libs = "libs";  // system libraries other ecosystems' packages need
inline constexpr std::string_view layer_apt = "apt";

// An extra apt repository (e.g. NVIDIA's CUDA repository): mlpack.yaml `apt_repositories`, or
// `apt_sources` to replace the distribution's own.
struct AptRepository {
  std::string url;
  std::string suite;                    // "bookworm", or "./" style for flat repositories
  std::vector<std::string> components;  // empty for flat repositories
  std::string keyring;                  // path to the repository's keyring (binary or armored)
  // The keyring's ASCII-armoured text, when it is pinned in mlpack's code rather than a file
  // (used when `keyring` is empty): written once to <cache>/apt/keys/<sha256>.asc.
  std::string key;
};

// A language runtime whose version the project constrains (R's r-base-core for `Depends: R (>= x)`,
// runtime.txt, renv.lock, mlpack.yaml `r`). The suite's package when one of its versions is
// accepted (the newest such); otherwise the newest accepted version of the `fallback` repository
// for the distribution (CRAN's Debian repository `bookworm-cran40/`), which then joins the sources
// so the runtime's own dependencies resolve from the suite and it together. The ecosystem that
// knows the runtime publishes these at detect (facts below); debian-base knows no runtime.
struct RuntimeVersion {
  std::string package;  // "r-base-core"
  std::string wanted;   // for messages: "R >= 4.4 wanted (DESCRIPTION:3)"
  std::function<bool(std::string_view debian_version)> accepts;
  // The repository to look in, for a distribution ("debian:trixie"); nullopt: none for it; an
  // error when there is one but it cannot be used (no key to verify it with).
  std::function<Result<std::optional<AptRepository>>(std::string_view distribution)> fallback;
  std::string fallback_name;  // "CRAN's Debian repository"
  // What decides the choice, for the lock's input digest: the wanted version and the fallback's URL.
  std::string identity;
};

// Detect: the runtimes whose versions the project constrains (see RuntimeVersion).
inline constexpr Fact<std::vector<RuntimeVersion>> runtime_versions{"os.runtime_versions"};

// The packages the minimal base asks for: what libc, /etc/os-release and ca-certificates need,
// plus a POSIX shell and dpkg (so `dpkg -l` and scanners work in the image), plus netbase for
// /etc/services and /etc/protocols.
const std::vector<std::string>& base_packages();

// The base a project gets when it names none (no mlpack.yaml `base`, no --base): Debian's current
// stable, trixie (13) since August 2025. Other releases (debian:bookworm…) stay available by name.
inline constexpr std::string_view default_distribution = "debian:trixie";

struct Request {
  std::string base = std::string(default_distribution);
  std::optional<std::string> snapshot;
  std::vector<AptRepository> extra_repositories;
  // When set, these replace the distribution's own sources (a mirror or a local archive holding
  // the same suite); `base` then only names the distribution.
  std::vector<AptRepository> replace_sources;
  std::vector<std::string> apt;  // "name" or "name=version": apt.txt and mlpack.yaml `apt`
  bool python = false;           // add the suite's python3
  // More language runtimes, as Debian names them ("r-base-core"), in the runtime group.
  std::vector<std::string> runtimes;
  // Versions some of `runtimes` must have (ignored on a registry base image).
  std::vector<RuntimeVersion> runtime_versions;
  // System libraries other ecosystems' packages need (the libs group, below apt.txt): packages
  // installed as named, and "-dev" packages whose runtime libraries are wanted instead of them.
  std::vector<std::string> libs;
  std::vector<std::string> runtime_of_dev;
  std::string libs_why = "system libraries";
  std::string arch = "amd64";
  // A registry base image: its packages count as installed (kept, never reinstalled), only
  // apt.txt is resolved on top, and neither the minimal base nor python3 is added.
  const BaseImage* base_image = nullptr;
};

struct Environment {
  fs::path cache_dir;
  fs::path project_dir;  // relative keyring paths in mlpack.yaml are relative to it
  apt::Verify verify = apt::Verify::yes;
  // Null: libcurl, allowing plain http to the archive hosts (integrity comes from the signed
  // Release, as with apt).
  std::shared_ptr<net::HttpClient> http;
  // Set when building on a registry base image (see Request::base_image).
  const BaseImage* base_image = nullptr;
  // Told about .deb downloads as their bytes arrive; may be null.
  util::TransferObserver* transfers = nullptr;
  fs::path ca_file;  // CA certificates trusted beside the system's (for the libcurl client)
  archive::UnpackLimits unpack;  // how far one .deb may unpack
};

// The apt sources for a request: the distribution's (debian:trixie → main + security) and the
// extra repositories. Errors are invalid_input for an unknown base or a malformed repository.
Result<std::vector<apt::Source>> sources_for(const Request& request, const Environment& env);

struct Resolved {
  std::vector<lock::Source> sources;
  std::vector<lock::Package> packages;  // ecosystem "deb", extra["layer"] set
  std::vector<std::string> libs;        // what the libs group asked for, after runtime_of_dev
};

// Fetches the verified indexes and resolves the request. Unknown packages are not_found naming
// them with close matches; an unsatisfiable set is `unsatisfiable` with the explanation.
Result<Resolved> resolve(const Request& request, const Environment& env);

struct Layer {
  std::string group;     // "os", the plan's key, or "dpkg"
  std::string contents;  // for history and --json: "debian: 12 packages (core OS)"
  std::vector<archive::Entry> entries;
};

// Which packages go in which layer, bottom to top (the dpkg database always comes last, above
// them all). The core OS (`group` "os") also gets what mlpack generates for the image: the usrmerge
// links, the accounts, /home, /root, /tmp and the certificate store.
struct LayerSpec {
  std::string group;                  // "os", else the layer plan's key ("deb:libc6", "deb:@tier2-bucket-3-of-8")
  std::string contents;               // history text
  std::vector<std::string> packages;  // the deb lock entries' names
};

// One layer per lock group (os, runtime, libs, apt), as the lock records them.
std::vector<LayerSpec> group_layout(const lock::LockFile& locked);
// The core OS as one layer (the same in every image on that distribution), then the Debian layers
// of the image's plan. Every deb package of the lock must be in exactly one of them (assemble()
// checks).
std::vector<LayerSpec> planned_layout(const lock::LockFile& locked, const facts::LayerPlan& plan);

struct Assembled {
  std::vector<Layer> layers;  // bottom to top
  std::string python;         // "/usr/bin/python3" when the runtime layer has it, else ""
  // The unpacked file contents the entries point at: a folder of this build under
  // <cache>/deb-staging, removed when the last copy of this is dropped (keep it until the layers
  // are written), and swept by name after a SIGKILL.
  std::shared_ptr<util::TempDir> staging;
  fs::path staging_dir;
};

// Downloads (or finds in the cache) every locked deb package, verifying each sha256, unpacks
// them, and lays them out as layers. `locked` may hold packages of other ecosystems; they are
// ignored. Fallback URLs from a source's snapshot are tried when the mirror lost a file.
// Conflicts between packages (a path that is a directory in one and not in another) are checked
// across the whole image, not per layer; a file two packages ship comes from the upper layer, as
// dpkg unpacking them in layer order would leave it. `layout` empty: group_layout().
Result<Assembled> assemble(const lock::LockFile& locked, const Environment& env,
                           const std::vector<LayerSpec>& layout = {});

// The licences the locked Debian packages state in their machine-readable copyright files, read
// when called (only when an SBOM is written): from the records assemble() keeps per .deb, else out
// of the .deb (cached, or downloaded and verified) and recorded, so warm and cold builds agree.
facts::StatedLicenses stated_licenses(const lock::LockFile& locked, const Environment& env);

}  // namespace mlpack::buildpacks::debian_base
