// R from CRAN's Debian repository when the suite's r-base-core is not the R the project asks for:
// what R is wanted, and the repository the OS buildpack falls back to.
#include "buildpacks/r/r.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::buildpacks::r {

using util::ErrorKind;

// No copy of the key's armoured text was at hand to check against the fingerprint when this was
// written, and a key is never typed in from memory: until one is pinned here, CRAN's Debian
// repository is read only with MLPACK_CRAN_DEBIAN_KEY naming a keyring that holds
// cran_debian_fingerprint (`gpg --export 95C0FAF38DB3CCAD0C080A7BDC78B2DDEABC47B7`).
const std::string_view cran_debian_key = "";

std::optional<std::string> cran_debian_suite(std::string_view distribution) {
  static const std::vector<std::string_view> served = {"bullseye", "bookworm", "trixie"};
  if (!distribution.starts_with("debian:")) return std::nullopt;
  auto suite = distribution.substr(7);
  if (std::find(served.begin(), served.end(), suite) == served.end()) return std::nullopt;
  return std::string(suite) + "-cran40/";
}

namespace {

// Whether `have` is the R a version text names: each component given must match ("4.3" is any 4.3.x).
bool same_release(const cran::Version& have, std::string_view wanted) {
  auto want = util::split(wanted, '.');
  auto got = util::split(have.str(), '.');
  if (want.size() > got.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::stoll("0" + want[i]) != std::stoll("0" + got[i])) return false;
  return true;
}

}  // namespace

bool WantedR::accepts(const cran::Version& r) const {
  if (version && !same_release(r, *version)) return false;
  if (minimum) {
    auto m = cran::Version::parse(*minimum);
    if (m && r < *m) return false;
  }
  return true;
}

std::string WantedR::describe() const {
  std::vector<std::string> parts;
  if (version) parts.push_back("R " + *version + " wanted (" + version_origin + ")");
  if (minimum) parts.push_back("R >= " + *minimum + " wanted (" + minimum_origin + ")");
  return util::join(parts, " and ");
}

WantedR wanted_r(const Inputs& in) {
  WantedR w;
  if (!in.project && !in.settings.r) return w;
  static const detectors::RProject none;
  const auto& project = in.project ? *in.project : none;
  w.version = in.settings.r ? in.settings.r : project.r_version;
  w.version_origin = in.settings.r ? in.settings.r_origin : project.r_version_origin;
  if (w.version && project.renv && !in.settings.r && project.r_version_origin.starts_with(project.renv->file)) {
    // renv records the exact R it ran; a patch release of the same R loads the same packages.
    auto parts = util::split(*w.version, '.');
    if (parts.size() > 2) w.version = parts[0] + "." + parts[1];
  }
  w.minimum = project.r_minimum;
  if (w.minimum) {
    w.minimum_origin = "DESCRIPTION";
    for (const auto& f : project.files)
      if (f.ends_with("DESCRIPTION")) w.minimum_origin = f;
  }
  return w;
}

debian_base::RuntimeVersion runtime_version(const WantedR& wanted, const CranDebian& cran_debian) {
  debian_base::RuntimeVersion rv;
  rv.package = "r-base-core";
  rv.wanted = wanted.describe();
  rv.accepts = [wanted](std::string_view debian_version) {
    auto r = r_of_debian_version(debian_version);
    return r && wanted.accepts(*r);
  };
  rv.fallback_name = "CRAN's Debian repository";
  rv.fallback = [cran_debian](std::string_view distribution) -> Result<std::optional<debian_base::AptRepository>> {
    auto suite = cran_debian_suite(distribution);
    if (!suite) return std::optional<debian_base::AptRepository>();
    debian_base::AptRepository repo;
    repo.url = cran_debian.url;
    repo.suite = *suite;
    repo.keyring = cran_debian.keyring;
    if (repo.keyring.empty()) repo.key = std::string(cran_debian_key);
    if (repo.keyring.empty() && repo.key.empty())
      return util::fail(ErrorKind::unsupported,
                        "CRAN's Debian repository (" + util::redact_url(repo.url) + " " + repo.suite +
                            ") is where mlpack looks next, but this mlpack carries no copy of its signing key (fingerprint " +
                            std::string(cran_debian_fingerprint) +
                            "): set MLPACK_CRAN_DEBIAN_KEY to a keyring file holding it, or build on a Debian "
                            "release whose R is the one wanted");
    return std::optional<debian_base::AptRepository>(std::move(repo));
  };
  rv.identity = rv.wanted + " | " + util::strip_userinfo(cran_debian.url);
  return rv;
}

}  // namespace mlpack::buildpacks::r
