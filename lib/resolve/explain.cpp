// Turns an unsatisfiable core into text a person can act on.
//
// The core is a set of facts (clauses) that cannot all hold. It is told as a tree that starts at
// the request: each requirement names its candidates, and under it each candidate (or group of
// candidates) says why it cannot be selected — its own requirement that fails, a conflict, or
// another version of the same name that something else needs. Each fact is told once, at the first
// place the walk reaches it, so cycles and diamonds end. Candidates of one name whose reasons are
// the same are told together ("numpy 2.0.1 and numpy 2.0.0 require …"), and long runs of versions
// are collapsed ("numpy 1.9 … numpy 1.0 (10 versions)"). Conflicts declared by one solvable are
// told once per requirement, naming every candidate they exclude.
//
// The order is the order the solver created clauses in (roots first, then dependencies in the
// provider's order), never a hash order, so the text is stable.
#include <algorithm>
#include <optional>
#include <tuple>

#include "resolve/problem.hpp"

namespace mlpack::resolve::detail {
namespace {

// What a clause says about one of its solvables, independent of which version it is; equal
// elements on two versions mean "the same reason".
struct Element {
  enum Kind : std::uint8_t { requires_, conflicts_with, conflicted_by, same_name } kind;
  std::uint32_t a = 0;  // requires_: req; conflicts_with: req; conflicted_by: declarer; same_name: other
  std::uint32_t b = 0;  // conflicts_with: the excluded var; conflicted_by: req
  auto operator<=>(const Element&) const = default;
};

constexpr std::size_t max_listed = 6;  // longer lists end in "or N others"

class Explainer {
 public:
  Explainer(const Problem& pb, const std::vector<ClauseId>& core, Provider& provider)
      : pb_(pb),
        core_(core),
        provider_(provider),
        by_var_(pb.vars.size()),
        printed_(pb.clauses.size(), 0),
        displays_(pb.vars.size()) {
    for (ClauseId c : core) {
      const auto& clause = pb.clauses[c];
      if (clause.parent != none) by_var_[clause.parent].push_back(c);
      if (clause.other != none) by_var_[clause.other].push_back(c);
    }
  }

  std::string run() {
    for (ClauseId c : core_)
      if (pb_.clauses[c].kind == ClauseKind::root && !printed_[c]) {
        printed_[c] = 1;
        requirement("the request", false, pb_.clauses[c].req, 1);
      }
    // Defensive: a fact the walk from the request did not reach is still told.
    for (ClauseId c : core_)
      if (!printed_[c]) group({pb_.clauses[c].parent != none ? pb_.clauses[c].parent : pb_.clauses[c].other}, 1);
    std::string out = "cannot install the requested packages:";
    for (const auto& line : lines_) out += "\n" + line;
    return out;
  }

 private:
  Element element(ClauseId c, Var v) const {
    const auto& clause = pb_.clauses[c];
    switch (clause.kind) {
      case ClauseKind::requires_:
        return {Element::requires_, clause.req, 0};
      case ClauseKind::conflict:
        if (clause.parent == v) return {Element::conflicts_with, clause.req, clause.other};
        return {Element::conflicted_by, clause.parent, clause.req};
      default:
        return {Element::same_name, clause.parent == v ? clause.other : clause.parent, 0};
    }
  }

  std::vector<Element> signature(Var v) const {
    std::vector<Element> sig;
    for (ClauseId c : by_var_[v]) sig.push_back(element(c, v));
    std::sort(sig.begin(), sig.end());
    return sig;
  }

  // The clause of `v` that says `e`, if any.
  std::optional<ClauseId> clause_of(Var v, const Element& e) const {
    for (ClauseId c : by_var_[v])
      if (element(c, v) == e) return c;
    return std::nullopt;
  }

  const std::string& display(Var v) {
    if (displays_[v].empty()) displays_[v] = provider_.display(pb_.vars[v].id);
    return displays_[v];
  }

  // "a", "a or b", "a, b or c"; runs of four or more versions of one name are collapsed.
  std::string list(const std::vector<Var>& vars, std::string_view conjunction) {
    std::vector<std::string> items;
    for (std::size_t i = 0; i < vars.size();) {
      std::size_t j = i + 1;
      while (j < vars.size() && pb_.vars[vars[j]].name == pb_.vars[vars[i]].name) ++j;
      if (j - i >= 4) {
        items.push_back(display(vars[i]) + " … " + display(vars[j - 1]) + " (" + std::to_string(j - i) + " versions)");
      } else {
        for (std::size_t k = i; k < j; ++k) items.push_back(display(vars[k]));
      }
      i = j;
    }
    if (items.size() > max_listed) {
      std::size_t rest = items.size() - (max_listed - 1);
      items.resize(max_listed - 1);
      items.push_back(std::to_string(rest) + " others");
    }
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += i + 1 == items.size() ? " " + std::string(conjunction) + " " : ", ";
      out += items[i];
    }
    return out;
  }

  void line(int indent, std::string text) { lines_.push_back(std::string(2 * indent, ' ') + std::move(text)); }

  void requirement(const std::string& subject, bool plural, ReqId r, int indent) {
    const auto& info = pb_.requirements[r];
    std::string text = subject + (plural ? " require `" : " requires `") + info.req.text + "`";
    if (info.candidates.empty()) {
      text += ", but no package matches `" + info.req.text + "`";
      if (auto note = provider_.no_candidates_note(info.req); !note.empty()) text += " (" + note + ")";
      line(indent, std::move(text));
      return;
    }
    text += info.candidates.size() == 1 ? ", satisfied only by " : ", satisfied by ";
    text += list(info.candidates, "or");
    line(indent, std::move(text));

    // A conflict declared by one solvable often excludes several candidates, of several names
    // (every provider of a virtual package): one line for all of them, in clause order.
    std::vector<std::pair<Element, std::vector<Var>>> conflicted;
    for (Var x : info.candidates)
      for (ClauseId c : by_var_[x])
        if (Element e = element(c, x); e.kind == Element::conflicted_by && !printed_[c]) {
          printed_[c] = 1;
          auto it = std::find_if(conflicted.begin(), conflicted.end(), [&](const auto& g) { return g.first == e; });
          if (it == conflicted.end())
            conflicted.emplace_back(e, std::vector<Var>{x});
          else
            it->second.push_back(x);
        }
    for (const auto& [e, excluded] : conflicted)
      line(indent + 1, display(e.a) + " conflicts with `" + pb_.requirements[e.b].req.text + "`, which matches " +
                           list(excluded, "and"));

    // Candidates with the same name and the same other reasons are told together, in candidate order.
    std::vector<std::tuple<std::uint32_t, std::vector<Element>, std::vector<Var>>> groups;
    for (Var x : info.candidates) {
      if (by_var_[x].empty()) continue;
      auto sig = signature(x);
      std::erase_if(sig, [](const Element& e) { return e.kind == Element::conflicted_by; });
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
        return std::get<0>(g) == pb_.vars[x].name && std::get<1>(g) == sig;
      });
      if (it == groups.end())
        groups.emplace_back(pb_.vars[x].name, std::move(sig), std::vector<Var>{x});
      else
        std::get<2>(*it).push_back(x);
    }
    for (const auto& g : groups) group(std::get<2>(g), indent + 1);
  }

  // Tells why none of `members` (same name, same reasons) can be selected, skipping facts told before.
  void group(const std::vector<Var>& members, int indent) {
    std::string subject = list(members, "and");
    bool plural = members.size() > 1;
    const std::string& name = pb_.names[pb_.vars[members[0]].name];
    // Marks what `e` says for every member; false when all of it was told already.
    auto take = [&](const Element& e) {
      bool fresh = false;
      for (Var m : members)
        if (auto c = clause_of(m, e); c && !printed_[*c]) {
          printed_[*c] = 1;
          fresh = true;
        }
      return fresh;
    };
    const std::vector<ClauseId>& own = by_var_[members[0]];
    for (ClauseId c : own) {
      Element e = element(c, members[0]);
      switch (e.kind) {
        case Element::requires_:
          if (take(e)) requirement(subject, plural, e.a, indent);
          break;
        case Element::conflicts_with: {
          // One line per conflicting relation, naming everything it excludes.
          std::vector<Var> excluded;
          for (ClauseId d : own) {
            Element f = element(d, members[0]);
            if (f.kind == Element::conflicts_with && f.a == e.a && take(f)) excluded.push_back(f.b);
          }
          std::sort(excluded.begin(), excluded.end());  // vars are numbered in the order they were reached
          if (!excluded.empty())
            line(indent, subject + (plural ? " conflict with `" : " conflicts with `") +
                             pb_.requirements[e.a].req.text + "`, which matches " + list(excluded, "and"));
          break;
        }
        case Element::conflicted_by:
          if (take(e))
            line(indent,
                 display(e.a) + " conflicts with `" + pb_.requirements[e.b].req.text + "`, which matches " + subject);
          break;
        case Element::same_name: {
          std::vector<Var> others;
          for (ClauseId d : own) {
            Element f = element(d, members[0]);
            if (f.kind == Element::same_name && take(f)) others.push_back(f.a);
          }
          std::sort(others.begin(), others.end());
          if (!others.empty())
            line(indent, subject + " cannot be installed together with " + list(others, "or") +
                             " (only one version of `" + name + "` can be installed)");
          break;
        }
      }
    }
  }

  const Problem& pb_;
  const std::vector<ClauseId>& core_;
  Provider& provider_;
  std::vector<std::vector<ClauseId>> by_var_;  // core clauses naming each var, by clause id
  std::vector<std::uint8_t> printed_;
  std::vector<std::string> displays_;
  std::vector<std::string> lines_;
};

}  // namespace

std::string explain(const Problem& problem, const std::vector<ClauseId>& core, Provider& provider) {
  return Explainer(problem, core, provider).run();
}

}  // namespace mlpack::resolve::detail
