#pragma once
// A generic dependency resolver (CDCL over package candidates). It knows nothing of Debian, PyPI,
// conda or CRAN: each ecosystem plugs in through Provider. Its "no solution" explanations are
// user-facing text and are covered by golden tests.
#include <cstdint>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace mlpack::resolve {

using util::Result;

// A concrete candidate (one version of one package, for one architecture), numbered by the
// provider. The resolver only compares ids for equality.
using SolvableId = std::uint32_t;

// Something that must hold: satisfied when at least one of its candidates is selected. The
// provider gives its meaning; the resolver uses `text` only in explanations ("python3 (>= 3.11)",
// "libc6 | libc6-udeb", "numpy>=1.26").
struct Requirement {
  std::string text;
  std::uint64_t key = 0;  // provider's handle for this requirement (index into its own table)
};

class Provider {
 public:
  virtual ~Provider() = default;
  // The candidates satisfying `r`, best first (the resolver prefers earlier ones: newest, pinned,
  // already installed — the provider decides). May span several names (alternatives, virtual
  // packages). Empty means unsatisfiable.
  virtual Result<std::vector<SolvableId>> candidates(const Requirement& r) = 0;
  // What selecting `s` requires (each must hold).
  virtual Result<std::vector<Requirement>> dependencies(SolvableId s) = 0;
  // Candidates that cannot be selected together with `s` (Debian Conflicts/Breaks, constraints).
  virtual Result<std::vector<SolvableId>> conflicts(SolvableId s) = 0;
  // At most one solvable per name is selected ("libc6:amd64", "numpy").
  virtual std::string name(SolvableId s) = 0;
  // For messages: "libc6 2.36-9+deb12u4".
  virtual std::string display(SolvableId s) = 0;
};

struct Solution {
  std::vector<SolvableId> selected;  // sorted by name(s)
};

// Resolves `roots`. When no solution exists the error is ErrorKind::unsatisfiable and its message
// explains the chain of requirements that conflict, in words a person can act on. Provider errors
// pass through with context.
Result<Solution> solve(Provider& provider, const std::vector<Requirement>& roots);

}  // namespace mlpack::resolve
