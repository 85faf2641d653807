#pragma once
// The R side of lib/resolve: a Provider over CRAN-like repositories' PACKAGES indexes. Candidates
// of a name are its versions, highest first; a package's requirements are its Depends (without
// R), Imports and LinkingTo with their version constraints (Suggests and Enhances are ignored, as
// install.packages' default `dependencies = NA` does). Base packages (`cran::is_base_package`)
// come with R: they are never candidates and a requirement on one always holds.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cran/depends.hpp"
#include "cran/package.hpp"
#include "cran/version.hpp"
#include "resolve/resolver.hpp"
#include "util/error.hpp"

namespace mlpack::cranresolve {

using util::Result;

// One repository and its (parsed) index; `url` names it in messages.
struct Repository {
  std::string url;
  std::vector<cran::PackageRecord> packages;
};

// A package the project asks for, with where it was written ("DESCRIPTION:12", "renv.lock").
struct Requirement {
  std::string name;
  std::optional<cran::Constraint> constraint;
  std::string where;
};

struct Request {
  // Priority order. Every version of every repository is a candidate (R's available.packages with
  // several `repos` and install.packages picking the highest version across them); for the same
  // version in several repositories the earlier repository's record is taken and the others are
  // never candidates.
  std::vector<Repository> repositories;
  std::vector<Requirement> requirements;
  // The R the image installs. A record whose `Depends: R (>= x)` exceeds it is set aside, and the
  // explanation says so.
  cran::Version r_version;
  // Exact versions (renv.lock): the name's only candidates are records of that version. A pin on
  // a name that nothing requires is ignored.
  std::map<std::string, cran::Version, std::less<>> pins;
};

struct Selected {
  const cran::PackageRecord* record = nullptr;  // points into Request::repositories
  std::size_t repository = 0;                   // index into Request::repositories
};

struct Solution {
  std::vector<Selected> packages;  // sorted by name; base packages left out
  resolve::SolveStats stats;
};

// Solves `request`. The result's pointers stay valid as long as `request.repositories` does.
// Errors:
//   not_found: a required name is in no repository; the message names it, who needs it
//     ("required by breakfast 1.0 (from DESCRIPTION:7)") and the repositories searched.
//   unsatisfiable: lib/resolve's explanation, whose notes name what was set aside and why (needs a
//     newer R, pinned to another version), followed by where each request came from.
//   invalid_input: a requirement naming an invalid package name.
Result<Solution> solve(const Request& request);

}  // namespace mlpack::cranresolve
