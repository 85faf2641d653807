// CDCL over solvables, in the manner of libsolv and resolvo, with the problem built lazily.
//
// Variables are solvables ("selected" or not); there is no variable for the request itself: its
// requirements are plain clauses. A solvable's dependency and conflict clauses are added the first
// time it becomes true ("expansion"), so the provider is asked only about what the search reaches.
// "At most one per name" is propagated natively rather than with pairwise clauses (a PyPI project
// may have a thousand versions); the binary clause is created only when it becomes a reason.
//
// Decisions follow preference, not activity: the first requirement (in the order clauses were
// created) that is active and unmet gets its first unassigned candidate. That makes results
// deterministic and biased towards the provider's best candidates, at the cost of the heuristics
// a general SAT solver would use; package graphs rarely need them.
//
// Clauses added in the middle of the search may be unit or conflicting at once. They are handled
// at the current level, which is sound but may propagate later than a SAT solver would; after a
// backjump such a clause can be unit without having propagated. That only costs a decision: a
// conflict is still detected when its last watched literal becomes false.
#include <algorithm>
#include <optional>
#include <unordered_map>

#include "resolve/problem.hpp"
#include "resolve/resolver.hpp"
#include "util/expected.hpp"

namespace mlpack::resolve {
namespace {

using namespace detail;

class Solver {
 public:
  explicit Solver(Provider& provider) : provider_(provider) {}

  Result<Solution> run(const std::vector<Requirement>& roots);

 private:
  // Problem building.
  Result<ReqId> intern(const Requirement& r, Var requirer, std::string_view role);
  Var var_for(SolvableId id, std::string name);
  Result<Var> var_for(SolvableId id);
  ClauseId add_clause(Clause c);
  ClauseId pair_clause(ClauseKind kind, Var parent, Var other, ReqId req);
  Result<ClauseId> expand(Var v);
  ClauseId attach(ClauseId c);

  // Search.
  std::int8_t value(Lit l) const {
    std::int8_t v = value_[var_of(l)];
    return is_negative(l) ? static_cast<std::int8_t>(-v) : v;
  }
  std::uint32_t level() const { return static_cast<std::uint32_t>(decision_pos_.size()); }
  void assign(Lit l, ClauseId reason);
  Result<ClauseId> propagate();
  ClauseId analyze(ClauseId conflict, std::uint32_t& backjump_level);
  void backjump(std::uint32_t to);
  Var pick_decision(bool& internal_error);
  Var true_var_of_name(std::uint32_t name, Var except) const;
  std::string unsatisfiable(ClauseId conflict);
  std::string display(Var v) { return provider_.display(pb_.vars[v].id); }
  ClauseId reason_of(Var v) {
    ClauseId r = reason_[v];
    if (r != none && (r & forbid_tag)) r = reason_[v] = pair_clause(ClauseKind::forbid, r & ~forbid_tag, v, none);
    return r;
  }
  static constexpr ClauseId forbid_tag = 0x80000000U;

  Provider& provider_;
  Problem pb_;
  std::unordered_map<SolvableId, Var> var_of_id_;
  std::unordered_map<std::string, std::uint32_t> name_index_;
  std::vector<std::vector<Var>> vars_by_name_;
  std::unordered_map<std::string, ReqId> req_index_;             // key "<key>\n<text>"
  std::unordered_map<std::uint64_t, ClauseId> pair_clauses_[2];  // conflict, forbid; key (lo, hi)

  std::vector<std::int8_t> value_;  // per var: 1 selected, -1 not selected, 0 unassigned
  std::vector<std::uint32_t> level_;
  // None for decisions and unassigned variables. A solvable excluded because another of its name is
  // selected stores `forbid_tag | that var`, and the binary clause is made only if analysis needs it:
  // selecting one of a thousand versions would otherwise create a thousand clauses.
  std::vector<ClauseId> reason_;
  std::vector<std::uint8_t> expanded_;
  std::vector<std::uint32_t> first_requirement_;  // per var: its first index in requirement_order_
  std::vector<std::vector<ClauseId>> watches_;    // per literal: clauses watching it
  std::vector<Lit> trail_;
  std::vector<std::size_t> decision_pos_;    // trail index of the decision of level i + 1
  std::size_t propagated_ = 0;               // trail entries already propagated
  std::vector<ClauseId> requirement_order_;  // root and requires_ clauses, in creation order
  std::size_t resume_ = 0;                   // requirement_order_ before this index needs no decision
  std::vector<std::uint8_t> seen_;           // scratch for analyze()
  SolveStats stats_;
};

std::uint64_t pair_key(Var a, Var b) {
  if (a > b) std::swap(a, b);
  return (static_cast<std::uint64_t>(a) << 32) | b;
}

Result<ReqId> Solver::intern(const Requirement& r, Var requirer, std::string_view role) {
  std::string key = std::to_string(r.key) + '\n' + r.text;
  if (auto it = req_index_.find(key); it != req_index_.end()) return it->second;
  auto ids = provider_.candidates(r);
  if (!ids) {
    std::string what = "finding candidates for `" + r.text + "`";
    if (requirer != none) what += " (" + std::string(role) + " " + display(requirer) + ")";
    return util::chain(ids, what);
  }
  RequirementInfo info{r, {}};
  info.candidates.reserve(ids->size());
  for (SolvableId id : *ids) {
    auto v = TRY(var_for(id));
    if (std::find(info.candidates.begin(), info.candidates.end(), v) == info.candidates.end())
      info.candidates.push_back(v);
  }
  auto id = static_cast<ReqId>(pb_.requirements.size());
  pb_.requirements.push_back(std::move(info));
  req_index_.emplace(std::move(key), id);
  ++stats_.requirements;
  return id;
}

Result<Var> Solver::var_for(SolvableId id) {
  if (auto it = var_of_id_.find(id); it != var_of_id_.end()) return it->second;
  return var_for(id, provider_.name(id));
}

Var Solver::var_for(SolvableId id, std::string name) {
  auto [it, inserted] = name_index_.try_emplace(std::move(name), static_cast<std::uint32_t>(pb_.names.size()));
  if (inserted) {
    pb_.names.push_back(it->first);
    vars_by_name_.emplace_back();
  }
  auto v = static_cast<Var>(pb_.vars.size());
  pb_.vars.push_back({id, it->second});
  var_of_id_.emplace(id, v);
  vars_by_name_[it->second].push_back(v);
  value_.push_back(0);
  level_.push_back(0);
  reason_.push_back(none);
  expanded_.push_back(0);
  first_requirement_.push_back(none);
  seen_.push_back(0);
  watches_.emplace_back();
  watches_.emplace_back();
  ++stats_.solvables;
  // Another version is already selected: this one is excluded from the start. Propagated late
  // (at the current level), see the file comment.
  if (Var t = true_var_of_name(it->second, v); t != none) assign(negative(v), forbid_tag | t);
  return v;
}

Var Solver::true_var_of_name(std::uint32_t name, Var except) const {
  for (Var u : vars_by_name_[name])
    if (u != except && value_[u] == 1) return u;
  return none;
}

ClauseId Solver::add_clause(Clause c) {
  auto id = static_cast<ClauseId>(pb_.clauses.size());
  pb_.clauses.push_back(std::move(c));
  ++stats_.clauses;
  return id;
}

// Binary exclusion clauses are shared: "a conflicts with b" and "b conflicts with a" is one fact,
// and a forbid clause is created once however often it becomes a reason. Forbid clauses are never
// watched: the native at-most-one check in propagate() does their work.
ClauseId Solver::pair_clause(ClauseKind kind, Var parent, Var other, ReqId req) {
  auto& memo = pair_clauses_[kind == ClauseKind::forbid ? 1 : 0];
  auto [it, inserted] = memo.try_emplace(pair_key(parent, other), 0);
  if (!inserted) return it->second;
  Clause c{kind, parent, other, req, {negative(parent), negative(other)}, {}, {}};
  it->second = add_clause(std::move(c));
  return it->second;
}

// Adds the clauses of a solvable that just became true. Returns a conflicting clause or none.
Result<ClauseId> Solver::expand(Var v) {
  expanded_[v] = 1;
  ++stats_.expanded;
  SolvableId id = pb_.vars[v].id;
  std::vector<ClauseId> added;
  auto deps = TRY_CONTEXT(provider_.dependencies(id), "reading the dependencies of " + display(v));
  for (const auto& r : deps) {
    auto rid = TRY(intern(r, v, "required by"));
    const auto& cands = pb_.requirements[rid].candidates;
    if (std::find(cands.begin(), cands.end(), v) != cands.end()) continue;  // met by v itself
    Clause c{ClauseKind::requires_, v, none, rid, {negative(v)}, {}, {}};
    for (Var x : cands) c.lits.push_back(positive(x));
    ClauseId cid = add_clause(std::move(c));
    if (first_requirement_[v] == none) first_requirement_[v] = static_cast<std::uint32_t>(requirement_order_.size());
    requirement_order_.push_back(cid);
    added.push_back(cid);
  }
  auto conflicts = TRY_CONTEXT(provider_.conflicts(id), "reading the conflicts of " + display(v));
  for (const auto& r : conflicts) {
    auto rid = TRY(intern(r, v, "a conflict of"));
    for (Var x : pb_.requirements[rid].candidates) {
      if (x == v) continue;
      auto before = pb_.clauses.size();
      ClauseId cid = pair_clause(ClauseKind::conflict, v, x, rid);
      if (pb_.clauses.size() != before) added.push_back(cid);
    }
  }
  // All clauses exist before any is evaluated, so a conflict never leaves the expansion half done.
  ClauseId conflict = none;
  for (ClauseId cid : added) {
    ClauseId c = attach(cid);
    if (c != none && conflict == none) conflict = c;
  }
  return conflict;
}

// Chooses the watched literals of a new clause (true, then unassigned, then false ones assigned
// last) and propagates or reports it when it is already unit or false. Returns a conflict or none.
ClauseId Solver::attach(ClauseId cid) {
  auto& lits = pb_.clauses[cid].lits;
  if (lits.empty()) return cid;
  auto rank = [&](Lit l) -> std::int64_t {
    auto val = value(l);
    if (val > 0) return 0;
    if (val == 0) return 1;
    return 2 + (std::int64_t{UINT32_MAX} - level_[var_of(l)]);
  };
  for (std::size_t w = 0; w < std::min<std::size_t>(2, lits.size()); ++w) {
    std::size_t best = w;
    for (std::size_t k = w + 1; k < lits.size(); ++k)
      if (rank(lits[k]) < rank(lits[best])) best = k;
    std::swap(lits[w], lits[best]);
  }
  watches_[lits[0]].push_back(cid);
  if (lits.size() > 1) watches_[lits[1]].push_back(cid);
  auto first = value(lits[0]);
  if (first > 0) return none;
  if (first < 0) return cid;
  if (lits.size() == 1 || value(lits[1]) < 0) assign(lits[0], cid);
  return none;
}

void Solver::assign(Lit l, ClauseId reason) {
  Var v = var_of(l);
  value_[v] = is_negative(l) ? -1 : 1;
  level_[v] = level();
  reason_[v] = reason;
  trail_.push_back(l);
  // An expanded solvable selected again makes its old requirements active again.
  if (!is_negative(l) && first_requirement_[v] != none) resume_ = std::min<std::size_t>(resume_, first_requirement_[v]);
}

Result<ClauseId> Solver::propagate() {
  while (propagated_ < trail_.size()) {
    Lit l = trail_[propagated_++];
    Var v = var_of(l);
    if (!is_negative(l)) {
      for (Var u : vars_by_name_[pb_.vars[v].name]) {
        if (u == v || value_[u] < 0) continue;
        if (value_[u] > 0) return pair_clause(ClauseKind::forbid, v, u, none);
        assign(negative(u), forbid_tag | v);
      }
      if (!expanded_[v]) {
        auto c = expand(v);
        if (!c || *c != none) return c;
      }
    }
    Lit falsified = l ^ 1U;
    auto& ws = watches_[falsified];
    for (std::size_t i = 0; i < ws.size();) {
      ClauseId cid = ws[i];
      auto& lits = pb_.clauses[cid].lits;
      if (lits.size() == 1) return cid;
      if (lits[0] == falsified) std::swap(lits[0], lits[1]);
      if (value(lits[0]) > 0) {
        ++i;
        continue;
      }
      bool moved = false;
      for (std::size_t k = 2; k < lits.size(); ++k) {
        if (value(lits[k]) >= 0) {
          std::swap(lits[1], lits[k]);
          watches_[lits[1]].push_back(cid);
          ws[i] = ws.back();
          ws.pop_back();
          moved = true;
          break;
        }
      }
      if (moved) continue;
      if (value(lits[0]) < 0) return cid;
      assign(lits[0], cid);
      ++i;
    }
  }
  return none;
}

// First-UIP conflict analysis. Returns the learned clause (its lits[0] is the literal to assert,
// lits[1] the one assigned at `backjump_level`), recording what it was derived from.
ClauseId Solver::analyze(ClauseId conflict, std::uint32_t& backjump_level) {
  Clause learned{ClauseKind::learned, none, none, none, {0}, {conflict}, {}};
  std::vector<Var> touched;
  int pending = 0;  // seen literals of the current level not yet resolved
  Lit p = none;
  std::size_t index = trail_.size();
  ClauseId current = conflict;
  for (;;) {
    for (Lit q : pb_.clauses[current].lits) {
      Var v = var_of(q);
      if ((p != none && v == var_of(p)) || seen_[v]) continue;
      seen_[v] = 1;
      touched.push_back(v);
      if (level_[v] == 0)
        learned.level0_vars.push_back(v);
      else if (level_[v] == level())
        ++pending;
      else
        learned.lits.push_back(q);
    }
    // The latest seen literal of the current level: resolve on it, unless it is the last one.
    while (index > 0 && !seen_[var_of(trail_[--index])]) {
    }
    p = trail_[index];
    if (--pending <= 0) break;
    current = reason_of(var_of(p));
    learned.antecedents.push_back(current);
  }
  for (Var v : touched) seen_[v] = 0;
  learned.lits[0] = p ^ 1U;
  backjump_level = 0;
  for (std::size_t k = 1; k < learned.lits.size(); ++k) {
    if (level_[var_of(learned.lits[k])] > backjump_level) {
      backjump_level = level_[var_of(learned.lits[k])];
      std::swap(learned.lits[1], learned.lits[k]);
    }
  }
  ClauseId id = add_clause(std::move(learned));
  const auto& lits = pb_.clauses[id].lits;
  watches_[lits[0]].push_back(id);
  if (lits.size() > 1) watches_[lits[1]].push_back(id);
  return id;
}

void Solver::backjump(std::uint32_t to) {
  std::size_t keep = decision_pos_[to];
  for (std::size_t i = trail_.size(); i-- > keep;) {
    Var v = var_of(trail_[i]);
    value_[v] = 0;
    reason_[v] = none;
  }
  trail_.resize(keep);
  decision_pos_.resize(to);
  propagated_ = keep;
  resume_ = 0;
}

// The first candidate of the first active, unmet requirement; none when every requirement is met.
Var Solver::pick_decision(bool& internal_error) {
  for (; resume_ < requirement_order_.size(); ++resume_) {
    const auto& c = pb_.clauses[requirement_order_[resume_]];
    if (c.kind == ClauseKind::requires_ && value_[c.parent] <= 0) continue;
    Var choice = none;
    bool met = false;
    for (Var x : pb_.requirements[c.req].candidates) {
      if (value_[x] > 0) {
        met = true;
        break;
      }
      if (value_[x] == 0 && choice == none) choice = x;
    }
    if (met) continue;
    if (choice == none) internal_error = true;  // propagation should have reported the conflict
    return choice;
  }
  return none;
}

Result<Solution> Solver::run(const std::vector<Requirement>& roots) {
  ClauseId conflict = none;
  for (const auto& r : roots) {
    auto rid = TRY(intern(r, none, ""));
    Clause c{ClauseKind::root, none, none, rid, {}, {}, {}};
    for (Var x : pb_.requirements[rid].candidates) c.lits.push_back(positive(x));
    ClauseId cid = add_clause(std::move(c));
    requirement_order_.push_back(cid);
    if (conflict == none) conflict = attach(cid);
  }
  for (;;) {
    if (conflict == none) {
      conflict = TRY(propagate());
    }
    if (conflict != none) {
      ++stats_.conflicts;
      if (level() == 0) return util::fail(util::ErrorKind::unsatisfiable, unsatisfiable(conflict));
      std::uint32_t to = 0;
      ClauseId learned = analyze(conflict, to);
      backjump(to);
      assign(pb_.clauses[learned].lits[0], learned);
      conflict = none;
      continue;
    }
    bool broken = false;
    Var d = pick_decision(broken);
    if (broken) return util::fail(util::ErrorKind::internal, "resolver: an unmet requirement has no candidate left");
    if (d == none) break;
    if (Var t = true_var_of_name(pb_.vars[d].name, d); t != none) {
      assign(negative(d), forbid_tag | t);  // late exclusion, see the file comment
      continue;
    }
    ++stats_.decisions;
    decision_pos_.push_back(trail_.size());
    assign(positive(d), none);
  }

  Solution solution;
  std::vector<std::pair<const std::string*, SolvableId>> chosen;
  for (Var v = 0; v < pb_.vars.size(); ++v)
    if (value_[v] > 0) chosen.emplace_back(&pb_.names[pb_.vars[v].name], pb_.vars[v].id);
  std::sort(chosen.begin(), chosen.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [name, id] : chosen) solution.selected.push_back(id);
  solution.stats = stats_;
  return solution;
}

// The original clauses that a conflict at level 0 rests on: the conflict, the reasons of its
// literals (recursively), and for learned clauses what they were derived from. This is the leaf set
// of a resolution refutation, so every candidate it mentions is excluded by another clause in it.
std::string Solver::unsatisfiable(ClauseId conflict) {
  for (Lit l : trail_) reason_of(var_of(l));  // materialise first: the walk below holds references
  enum Mode : std::uint8_t { derivation = 1, literals = 2 };
  std::vector<std::uint8_t> done(pb_.clauses.size(), 0);
  std::vector<std::pair<ClauseId, Mode>> work{{conflict, literals}};
  std::vector<ClauseId> core;
  while (!work.empty()) {
    auto [cid, mode] = work.back();
    work.pop_back();
    if (cid == none || (done[cid] & mode)) continue;
    done[cid] |= mode;
    const auto& c = pb_.clauses[cid];
    if (mode == literals) {
      // Every literal but the one it implied is false at level 0; their reasons are needed too.
      for (Lit l : c.lits)
        if (value(l) < 0 && reason_[var_of(l)] != cid) work.emplace_back(reason_[var_of(l)], literals);
      work.emplace_back(cid, derivation);
    } else if (c.kind == ClauseKind::learned) {
      for (ClauseId a : c.antecedents) work.emplace_back(a, derivation);
      for (Var v : c.level0_vars) work.emplace_back(reason_[v], literals);
    } else {
      core.push_back(cid);
    }
  }
  std::sort(core.begin(), core.end());
  return explain(pb_, core, provider_);
}

}  // namespace

Result<Solution> solve(Provider& provider, const std::vector<Requirement>& roots) {
  Solver solver(provider);
  return solver.run(roots);
}

}  // namespace mlpack::resolve
