#pragma once
// Python dependency resolution: the PyPI side of lib/resolve. A Provider over an index client
// turns PEP 508 requirements into candidates (one per version, each with the best wheel for the
// target) and their dependencies (from core metadata, markers evaluated for the target), and the
// generic solver picks the newest compatible set. Only wheels are candidates: mlpack never builds
// an sdist, so a version that has only an sdist is explained, not silently used.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lock/lockfile.hpp"
#include "pyindex/index.hpp"
#include "pypi/requirement.hpp"
#include "pypi/tags.hpp"
#include "resolve/resolver.hpp"

namespace mlpack::pyresolve {

using util::Result;

// uv's policy names. The default lets a project use a pre-release when a first-party requirement
// asks for one explicitly (`>=2.0b1`) or when the project has nothing else.
enum class Prereleases { if_necessary_or_explicit, allow, disallow };

struct Root {
  pypi::Requirement requirement;
  std::vector<std::string> hashes;  // "sha256:<hex>" from requirements.txt; files must match one
  std::string path;                 // a local wheel the requirement names (absolute), else empty
  bool constraint = false;          // -c: limits the versions of a name, requests nothing
  std::string origin;               // "requirements.txt:3", for messages
};

struct Request {
  std::vector<Root> roots;
  pypi::Target target;
  std::string python_full_version;  // "3.11.2"; empty: "X.Y.0" from the target
  Prereleases prereleases = Prereleases::if_necessary_or_explicit;
  std::set<std::string> no_binary;  // normalised names, or ":all:": no wheel may be used
  std::optional<std::string> requires_python;  // the project's own (pyproject.toml)
  std::vector<std::string> indexes;  // where packages are looked up, for messages (no credentials)
};

struct Package {
  std::string name;     // normalised
  std::string version;  // as the index spells it
  pyindex::DistFile file;
  std::string sha256;   // hex
  bool requested = false;  // a root names it (REQUESTED in the image)
  // From its core metadata, for the SBOM: the licence it states (see license_of) and the
  // Requires-Dist that apply to the target, as written.
  std::string license;
  std::vector<std::string> depends;
};

// The licence a distribution states, best first: License-Expression (PEP 639), a License field
// short enough to be a name rather than the licence's text, else the trove classifiers' names
// ("MIT License"); empty when it states none.
std::string license_of(const pyindex::CoreMetadata& meta);

struct Resolved {
  std::vector<Package> packages;  // sorted by name
  resolve::SolveStats stats;
};

// Resolves the request against the index. Errors: unsatisfiable (with the explanation),
// integrity (a requirements.txt hash that no index file has), invalid_input (a requires-python
// the target cannot meet, a malformed Requires-Dist), and the index client's own errors.
Result<Resolved> resolve(const Request& request, pyindex::IndexClient& index);

// The lock entries for a resolution (ecosystem "pypi"). URLs lose any userinfo.
std::vector<lock::Package> lock_packages(const Resolved& resolved);
lock::Package lock_package(const Package& package);

// The marker environment of a target (python_full_version as in `request`).
pypi::MarkerEnvironment marker_environment(const Request& request);

}  // namespace mlpack::pyresolve
