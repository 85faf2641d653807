#pragma once
// A generic dependency resolver (CDCL over package candidates). It knows nothing of Debian, PyPI,
// conda or CRAN: each ecosystem plugs in through Provider. Its "no solution" explanations are
// user-facing text and are covered by golden tests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace mlpack::resolve {

using util::Result;

// A concrete candidate (one version of one package, for one architecture), numbered by the
// provider. The resolver only compares ids for equality and hashes them; any numbering works.
using SolvableId = std::uint32_t;

// Something that must hold: satisfied when at least one of its candidates is selected. The
// provider gives its meaning; the resolver uses `text` only in explanations ("python3 (>= 3.11)",
// "libc6 | libc6-udeb", "numpy>=1.26").
//
// Two requirements with the same `key` and `text` are the same requirement: the resolver asks for
// their candidates once per solve.
struct Requirement {
  std::string text;
  std::uint64_t key = 0;  // provider's handle for this requirement (index into its own table)

  friend bool operator==(const Requirement&, const Requirement&) = default;
};

// How one ecosystem answers the resolver. The resolver asks only about what it reaches from the
// roots, and asks each question at most once per solve (answers are cached), so a provider may do
// expensive work (an HTTP metadata fetch) per call. Calls come from the thread running solve().
class Provider {
 public:
  virtual ~Provider() = default;
  // The candidates satisfying `r`, best first (the resolver prefers earlier ones: newest, pinned,
  // already installed — the provider decides). May span several names (alternatives, virtual
  // packages). Empty means unsatisfiable. Duplicates are ignored.
  virtual Result<std::vector<SolvableId>> candidates(const Requirement& r) = 0;
  // What selecting `s` requires (each must hold). A requirement that `s` itself satisfies is
  // trivially met.
  virtual Result<std::vector<Requirement>> dependencies(SolvableId s) = 0;
  // What `s` excludes: no candidate of any of these requirements may be selected together with
  // `s` (Debian Conflicts/Breaks, a constraints file, a locked pin). Returning requirements rather
  // than ids lets explanations name the relation ("bar 1.0 conflicts with `libx (>= 2)`"). `s`
  // among the candidates is ignored: a Debian package may conflict with a virtual package it
  // provides.
  virtual Result<std::vector<Requirement>> conflicts(SolvableId s) = 0;
  // At most one solvable per name is selected ("libc6:amd64", "numpy").
  virtual std::string name(SolvableId s) = 0;
  // For messages: "libc6 2.36-9+deb12u4".
  virtual std::string display(SolvableId s) = 0;
  // Optional, for messages: why `r` has no candidates, e.g. "only python 3.9.18 is available".
  // Called only while explaining a failure; empty adds nothing.
  virtual std::string no_candidates_note(const Requirement& r) {
    (void)r;
    return {};
  }
};

// Counters for benchmarks and tests; not part of any output that must be stable across versions.
struct SolveStats {
  std::size_t solvables = 0;     // candidates the resolver learnt about
  std::size_t expanded = 0;      // solvables whose dependencies were asked for
  std::size_t requirements = 0;  // distinct requirements whose candidates were asked for
  std::size_t clauses = 0;
  std::size_t decisions = 0;
  std::size_t conflicts = 0;
};

struct Solution {
  std::vector<SolvableId> selected;  // sorted by name(s)
  SolveStats stats;
};

// Resolves `roots`: selects at most one solvable per name such that every root holds, every
// dependency of a selected solvable holds, and no selected solvable excludes another.
//
// Preference: requirements are met in the order they are reached (roots first, then dependencies
// breadth-first), each by its first candidate that still works; a requirement already met by an
// earlier choice adds nothing. On a conflict the resolver learns why and backtracks. The same
// provider answers always give the same solution, whatever the SolvableId numbering.
//
// When no solution exists the error is ErrorKind::unsatisfiable and its message explains the chain
// of requirements that conflict: a first line, then one indented line per fact, e.g.
//   cannot install the requested packages:
//     the request requires `app`, satisfied only by app 1.0
//       app 1.0 requires `numpy (>= 2)`, satisfied by numpy 2.0.1 or numpy 2.0.0
//         numpy 2.0.1 and numpy 2.0.0 require `python (>= 3.10)`, but no package matches ...
// Provider errors pass through with their kind and gain context ("reading the dependencies of
// app 1.0: …").
Result<Solution> solve(Provider& provider, const std::vector<Requirement>& roots);

}  // namespace mlpack::resolve
