#pragma once
// Internal to lib/resolve: the clause database the solver builds and the explainer reads.
#include <cstdint>
#include <string>
#include <vector>

#include "resolve/resolver.hpp"

namespace mlpack::resolve::detail {

using Var = std::uint32_t;       // index into Problem::vars: one per solvable the solver reached
using Lit = std::uint32_t;       // 2 * var + 1 when negated ("not selected")
using ClauseId = std::uint32_t;  // index into Problem::clauses
using ReqId = std::uint32_t;     // index into Problem::requirements
inline constexpr std::uint32_t none = UINT32_MAX;

inline Lit positive(Var v) {
  return v << 1;
}
inline Lit negative(Var v) {
  return (v << 1) | 1U;
}
inline Var var_of(Lit l) {
  return l >> 1;
}
inline bool is_negative(Lit l) {
  return (l & 1U) != 0;
}

// Every clause remembers where it came from, so a proof of unsatisfiability can be told in words.
enum class ClauseKind : std::uint8_t {
  root,       // (c1 ∨ … ∨ cn): the request needs a candidate of `req`
  requires_,  // (¬parent ∨ c1 ∨ … ∨ cn): `parent` needs a candidate of `req`
  conflict,   // (¬parent ∨ ¬other): `parent` conflicts with `req`, which `other` matches
  forbid,     // (¬parent ∨ ¬other): both have the same name
  learned,    // derived by conflict analysis from `antecedents`
};

struct Clause {
  ClauseKind kind = ClauseKind::learned;
  Var parent = none;
  Var other = none;
  ReqId req = none;
  std::vector<Lit> lits;  // lits[0] and lits[1] are watched (see Solver::attach)
  // Learned clauses only: the clauses resolved to derive it, and the variables whose literals were
  // dropped because they were false at level 0 (their reasons are part of the proof too).
  std::vector<ClauseId> antecedents;
  std::vector<Var> level0_vars;
};

struct RequirementInfo {
  Requirement req;
  std::vector<Var> candidates;  // provider order, without duplicates
};

struct VarInfo {
  SolvableId id = 0;
  std::uint32_t name = 0;  // index into Problem::names
};

struct Problem {
  std::vector<VarInfo> vars;
  std::vector<std::string> names;
  std::vector<RequirementInfo> requirements;
  std::vector<Clause> clauses;
};

// Renders an unsatisfiable core (original clauses only, sorted by id) as the user-facing
// explanation. Calls provider.display() and provider.no_candidates_note() only.
std::string explain(const Problem& problem, const std::vector<ClauseId>& core, Provider& provider);

}  // namespace mlpack::resolve::detail
