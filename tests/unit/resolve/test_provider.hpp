#pragma once
// An in-memory provider for resolver tests: packages with versions, Depends-like requirements,
// conflicts and unversioned provides, in a Debian-flavoured syntax:
//   "name", "name (>= 1.2)", "a | b (<< 2) | virtual"   operators: = >= <= >> << (and > < as >> <<)
// Candidates are, per alternative in order: the real packages of that name that match, newest
// first, then (for an unversioned alternative) the packages providing it, by name then newest.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolve/resolver.hpp"

namespace mlpack::resolve::test {

// Dotted numeric versions; a non-numeric part compares as a string.
inline int compare_versions(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    std::size_t ie = a.find('.', i), je = b.find('.', j);
    if (ie == std::string::npos) ie = a.size();
    if (je == std::string::npos) je = b.size();
    std::string pa = i < a.size() ? a.substr(i, ie - i) : "0";
    std::string pb = j < b.size() ? b.substr(j, je - j) : "0";
    bool na = !pa.empty() && std::all_of(pa.begin(), pa.end(), ::isdigit);
    bool nb = !pb.empty() && std::all_of(pb.begin(), pb.end(), ::isdigit);
    if (na && nb) {
      long long x = std::stoll(pa), y = std::stoll(pb);
      if (x != y) return x < y ? -1 : 1;
    } else if (pa != pb) {
      return pa < pb ? -1 : 1;
    }
    i = ie + 1;
    j = je + 1;
  }
  return 0;
}

class TestProvider : public Provider {
 public:
  struct Package {
    std::string name, version;
    std::vector<std::string> depends, conflicts, provides;
  };

  // `id_seed` scrambles the SolvableId numbering, to show that results do not depend on it.
  explicit TestProvider(std::uint32_t id_seed = 0) : id_seed_(id_seed) {}

  void add(std::string name, std::string version, std::vector<std::string> depends = {},
           std::vector<std::string> conflicts = {}, std::vector<std::string> provides = {}) {
    std::size_t index = packages_.size();
    packages_.push_back(
        {std::move(name), std::move(version), std::move(depends), std::move(conflicts), std::move(provides)});
    SolvableId id = static_cast<SolvableId>((index + 1) * 2654435761U) ^ id_seed_;
    ids_.push_back(id);
    index_of_id_.emplace(id, index);
    by_name_[packages_.back().name].push_back(index);
    for (const auto& p : packages_.back().provides) providers_[p].push_back(index);
    sorted_ = false;
  }

  Requirement req(const std::string& text) {
    auto [it, inserted] = req_keys_.try_emplace(text, req_texts_.size());
    if (inserted) req_texts_.push_back(text);
    return Requirement{text, it->second};
  }
  std::vector<Requirement> reqs(const std::vector<std::string>& texts) {
    std::vector<Requirement> out;
    for (const auto& t : texts) out.push_back(req(t));
    return out;
  }

  // Every solvable, in the order added.
  const std::vector<SolvableId>& all() const { return ids_; }

  // "name version" of each selected solvable, in solution order.
  std::vector<std::string> names(const Solution& s) {
    std::vector<std::string> out;
    for (SolvableId id : s.selected) out.push_back(display(id));
    return out;
  }

  // Checks a solution against the tables: every root and dependency met, no conflict, one per name.
  std::string violation(const Solution& s, const std::vector<Requirement>& roots) {
    std::set<SolvableId> chosen(s.selected.begin(), s.selected.end());
    std::set<std::string> seen_names;
    auto met = [&](const Requirement& r) {
      auto cands = candidates(r);
      for (SolvableId c : *cands)
        if (chosen.count(c)) return true;
      return false;
    };
    for (const auto& r : roots)
      if (!met(r)) return "root `" + r.text + "` unmet";
    for (SolvableId id : s.selected) {
      if (!seen_names.insert(name(id)).second) return "two of " + name(id);
      auto deps = dependencies(id);
      for (const auto& r : *deps)
        if (!met(r)) return display(id) + " needs `" + r.text + "`";
      auto cons = conflicts(id);
      for (const auto& r : *cons) {
        auto cands = candidates(r);
        for (SolvableId c : *cands)
          if (c != id && chosen.count(c)) return display(id) + " conflicts with " + display(c);
      }
    }
    return "";
  }

  Result<std::vector<SolvableId>> candidates(const Requirement& r) override {
    ++candidate_calls[r.text];
    if (fail_candidates_of == r.text)
      return util::fail(util::ErrorKind::http, "GET /simple/x/: 503 Service Unavailable");
    sort_once();
    std::vector<SolvableId> out;
    std::size_t start = 0;
    const std::string& text = r.text;
    while (start <= text.size()) {
      std::size_t bar = text.find('|', start);
      if (bar == std::string::npos) bar = text.size();
      alternative(trim(text.substr(start, bar - start)), out);
      start = bar + 1;
    }
    return out;
  }

  Result<std::vector<Requirement>> dependencies(SolvableId s) override {
    const auto& p = package(s);
    ++dependency_calls[p.name + " " + p.version];
    if (fail_dependencies_of == p.name + " " + p.version)
      return util::fail(util::ErrorKind::network, "GET https://index/" + p.name + ".metadata: connection reset");
    return reqs(p.depends);
  }

  Result<std::vector<Requirement>> conflicts(SolvableId s) override { return reqs(package(s).conflicts); }
  std::string name(SolvableId s) override { return package(s).name; }
  std::string display(SolvableId s) override { return package(s).name + " " + package(s).version; }

  std::string no_candidates_note(const Requirement& r) override {
    if (r.text.find('|') != std::string::npos) return {};
    auto it = by_name_.find(trim(r.text.substr(0, r.text.find('('))));
    if (it == by_name_.end()) return {};
    std::string versions;
    for (std::size_t i : it->second) versions += (versions.empty() ? "" : ", ") + packages_[i].version;
    return "only " + it->first + " " + versions + (it->second.size() == 1 ? " is" : " are") + " available";
  }

  std::map<std::string, int> candidate_calls;   // by requirement text
  std::map<std::string, int> dependency_calls;  // by "name version"
  std::string fail_dependencies_of, fail_candidates_of;

 private:
  static std::string trim(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    return s;
  }

  const Package& package(SolvableId s) const { return packages_[index_of_id_.at(s)]; }

  void sort_once() {
    if (sorted_) return;
    auto newest_first = [&](std::size_t a, std::size_t b) {
      const auto &x = packages_[a], &y = packages_[b];
      if (x.name != y.name) return x.name < y.name;
      return compare_versions(x.version, y.version) > 0;
    };
    for (auto& [n, v] : by_name_) std::sort(v.begin(), v.end(), newest_first);
    for (auto& [n, v] : providers_) std::sort(v.begin(), v.end(), newest_first);
    sorted_ = true;
  }

  void alternative(const std::string& alt, std::vector<SolvableId>& out) {
    std::string name = trim(alt.substr(0, alt.find('(')));
    std::string op, version;
    if (auto open = alt.find('('); open != std::string::npos) {
      std::string inner = trim(alt.substr(open + 1, alt.find(')') - open - 1));
      std::size_t k = 0;
      while (k < inner.size() && std::string("<>=").find(inner[k]) != std::string::npos) ++k;
      op = inner.substr(0, k);
      version = trim(inner.substr(k));
    }
    auto matches = [&](const std::string& v) {
      if (op.empty()) return true;
      int c = compare_versions(v, version);
      if (op == "=" || op == "==") return c == 0;
      if (op == ">=") return c >= 0;
      if (op == "<=") return c <= 0;
      if (op == ">>" || op == ">") return c > 0;
      if (op == "<<" || op == "<") return c < 0;
      return false;
    };
    if (auto it = by_name_.find(name); it != by_name_.end())
      for (std::size_t i : it->second)
        if (matches(packages_[i].version)) out.push_back(ids_[i]);
    if (op.empty())
      if (auto it = providers_.find(name); it != providers_.end())
        for (std::size_t i : it->second) out.push_back(ids_[i]);
  }

  std::uint32_t id_seed_;
  std::vector<Package> packages_;
  std::vector<SolvableId> ids_;
  std::unordered_map<SolvableId, std::size_t> index_of_id_;
  std::map<std::string, std::vector<std::size_t>> by_name_, providers_;
  std::map<std::string, std::uint64_t> req_keys_;
  std::vector<std::string> req_texts_;
  bool sorted_ = false;
};

}  // namespace mlpack::resolve::test
