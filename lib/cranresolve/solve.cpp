#include "cranresolve/solve.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include "cran/base_packages.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::cranresolve {

using resolve::SolvableId;
using util::ErrorKind;

namespace {

// One record the solver may select.
struct Cand {
  const cran::PackageRecord* record;
  std::size_t repository;
};

// A record of the name that is not a candidate, and why (told when a requirement has none).
struct SetAside {
  enum class Why { needs_r, pinned };
  Why why;
  Cand cand;
  std::string detail;  // needs_r: the constraint on R that fails (">= 4.4")
};

struct NameSlot {
  std::vector<SolvableId> eligible;  // highest version first, earlier repository first
  std::vector<SetAside> set_aside;
};

struct ReqInfo {
  std::string name;
  std::optional<cran::Constraint> constraint;
  std::string text;    // "toast (>= 1.0.0)"
  std::string origin;  // roots: "DESCRIPTION:12"
  bool root = false;
};

class CranProvider final : public resolve::Provider {
 public:
  explicit CranProvider(const Request& request) : request_(request) {}

  Result<std::vector<resolve::Requirement>> prepare() {
    // Every record of every repository under its name; the same version twice keeps the earlier
    // repository's record (R's available.packages order), so the later one is never a candidate.
    std::unordered_map<std::string_view, std::vector<Cand>> all;
    for (std::size_t repo = 0; repo < request_.repositories.size(); ++repo)
      for (const auto& record : request_.repositories[repo].packages) {
        if (cran::is_base_package(record.name)) continue;  // R provides these
        auto& list = all[record.name];
        if (std::none_of(list.begin(), list.end(), [&](const Cand& c) { return c.record->version == record.version; }))
          list.push_back({&record, repo});
      }
    for (auto& [name, list] : all) {
      std::stable_sort(list.begin(), list.end(), [](const Cand& a, const Cand& b) {
        return a.record->version > b.record->version;
      });
      auto& slot = names_[name];
      const auto pin = request_.pins.find(name);
      for (const auto& c : list) {
        if (pin != request_.pins.end() && c.record->version != pin->second) {
          slot.set_aside.push_back({SetAside::Why::pinned, c, pin->second.str()});
          continue;
        }
        const auto& rs = c.record->r_constraints;
        auto failing = std::find_if(rs.begin(), rs.end(), [&](const cran::Constraint& k) { return !k.satisfied_by(request_.r_version); });
        if (failing != rs.end()) {
          slot.set_aside.push_back({SetAside::Why::needs_r, c, failing->str()});
          continue;
        }
        slot.eligible.push_back(static_cast<SolvableId>(cands_.size()));
        cands_.push_back(c);
      }
    }

    std::vector<resolve::Requirement> roots;
    for (const auto& r : request_.requirements) {
      const auto where = r.where.empty() ? std::string() : r.where + ": ";
      if (r.name == "R") {
        if (r.constraint && !r.constraint->satisfied_by(request_.r_version))
          return util::fail(ErrorKind::unsatisfiable, where + "the project needs R " + r.constraint->str() +
                                                          ", and the R chosen is " + request_.r_version.str());
        continue;
      }
      if (!cran::is_valid_package_name(r.name))
        return util::fail(ErrorKind::invalid_input,
                          where + "`" + util::printable_excerpt(r.name, 60) + "` is not a valid R package name");
      if (cran::is_base_package(r.name)) continue;
      const auto key = static_cast<std::uint64_t>(reqs_.size());
      auto text = cran::Dependency{r.name, r.constraint}.str();
      reqs_.push_back(ReqInfo{r.name, r.constraint, text, r.where, true});
      roots.push_back({text, key});
      if (!names_.contains(r.name)) note_missing(r.name, r.where.empty() ? "the request" : r.where);
    }
    return roots;
  }

  Result<std::vector<SolvableId>> candidates(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    std::vector<SolvableId> out;
    auto slot = names_.find(info.name);
    if (slot == names_.end()) return out;
    for (SolvableId id : slot->second.eligible)
      if (!info.constraint || info.constraint->satisfied_by(cands_[id].record->version)) out.push_back(id);
    return out;
  }

  Result<std::vector<resolve::Requirement>> dependencies(SolvableId s) override {
    std::vector<resolve::Requirement> out;
    for (const auto& dep : cands_[s].record->runtime_dependencies()) {
      if (!names_.contains(dep.name)) note_missing(dep.name, display(s));
      auto text = dep.str();
      auto [it, added] = dependency_index_.try_emplace(text, reqs_.size());
      if (added) reqs_.push_back(ReqInfo{dep.name, dep.constraint, text, {}, false});
      out.push_back({text, it->second});
    }
    return out;
  }

  Result<std::vector<resolve::Requirement>> conflicts(SolvableId) override { return std::vector<resolve::Requirement>{}; }

  std::string name(SolvableId s) override { return cands_[s].record->name; }

  std::string display(SolvableId s) override {
    const auto& c = cands_[s];
    auto out = c.record->name + " " + c.record->version.str();
    if (request_.repositories.size() > 1) out += " (" + util::redact_url(request_.repositories[c.repository].url) + ")";
    return out;
  }

  std::string no_candidates_note(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    auto slot = names_.find(info.name);
    if (slot == names_.end()) return "no repository has a package named `" + info.name + "` (looked in " + repository_list() + ")";
    std::vector<std::string> notes;
    for (auto why : {SetAside::Why::needs_r, SetAside::Why::pinned}) {
      std::vector<const SetAside*> list;
      for (const auto& a : slot->second.set_aside)
        if (a.why == why && (!info.constraint || info.constraint->satisfied_by(a.cand.record->version))) list.push_back(&a);
      if (list.empty()) continue;
      std::vector<std::string> shown;
      for (std::size_t i = 0; i < list.size() && i < 3; ++i) {
        auto item = list[i]->cand.record->name + " " + list[i]->cand.record->version.str();
        if (why == SetAside::Why::needs_r) item += " (needs R " + list[i]->detail + ")";
        shown.push_back(std::move(item));
      }
      auto what = util::join(shown, ", ");
      if (list.size() > shown.size()) what += " and " + std::to_string(list.size() - shown.size()) + " more";
      const auto verb = list.size() == 1 ? " matches but was set aside: " : " match but were set aside: ";
      if (why == SetAside::Why::needs_r)
        notes.push_back(what + verb + "the R chosen is " + request_.r_version.str());
      else
        notes.push_back(what + verb + "`" + info.name + "` is pinned to " + list.front()->detail);
    }
    if (notes.empty()) notes.push_back(available(slot->second, info.name));
    return util::join(notes, "; ");
  }

  const Cand& cand(SolvableId s) const { return cands_[s]; }

  // For a failed solve: the names no repository has, when the explanation mentions them.
  std::string missing_in(const std::string& message) const {
    std::vector<std::string> parts;
    for (const auto& [name, who] : missing_)
      if (message.find("`" + name + "`") != std::string::npos || message.find("`" + name + " (") != std::string::npos)
        parts.push_back("`" + name + "` (required by " + util::join(who, ", ") + ")");
    if (parts.empty()) return {};
    return "no repository has " + util::join(parts, ", ") + "; looked in " + repository_list();
  }

  // Where the requirements the explanation names were written, for the end of the message.
  std::string origins(const std::string& message) const {
    std::vector<std::string> parts;
    for (const auto& info : reqs_)
      if (info.root && !info.origin.empty() && message.find("`" + info.text + "`") != std::string::npos)
        parts.push_back("`" + info.text + "` (" + info.origin + ")");
    if (parts.empty()) return {};
    return "\n  the requirements come from: " + util::join(parts, ", ");
  }

 private:
  void note_missing(const std::string& name, std::string who) {
    auto& list = missing_[name];
    if (std::find(list.begin(), list.end(), who) == list.end()) list.push_back(std::move(who));
  }

  std::string available(const NameSlot& slot, const std::string& name) {
    if (slot.eligible.empty() && slot.set_aside.empty()) return {};
    std::vector<std::string> versions;
    for (SolvableId id : slot.eligible)
      if (versions.size() < 5) versions.push_back(cands_[id].record->version.str());
    if (versions.empty()) return "no version of `" + name + "` can be used";
    auto out = "`" + name + "` has " + util::join(versions, ", ");
    if (slot.eligible.size() > versions.size()) out += " and " + std::to_string(slot.eligible.size() - versions.size()) + " more";
    return out;
  }

  std::string repository_list() const {
    std::vector<std::string> urls;
    for (const auto& r : request_.repositories) urls.push_back(util::redact_url(r.url));
    return urls.empty() ? std::string("no repositories") : util::join(urls, ", ");
  }

  const Request& request_;
  std::unordered_map<std::string_view, NameSlot> names_;
  std::vector<Cand> cands_;
  std::deque<ReqInfo> reqs_;
  std::unordered_map<std::string, std::uint64_t> dependency_index_;
  std::map<std::string, std::vector<std::string>> missing_;  // name -> who requires it, sorted for messages
};

}  // namespace

Result<Solution> solve(const Request& request) {
  CranProvider provider(request);
  auto roots = TRY(provider.prepare());
  auto solved = resolve::solve(provider, roots);
  if (!solved) {
    auto error = solved.error();
    if (error.kind != ErrorKind::unsatisfiable) return std::unexpected(std::move(error));
    if (auto missing = provider.missing_in(error.message); !missing.empty())
      return util::fail(ErrorKind::not_found, missing + "\n" + error.message + provider.origins(error.message));
    error.message += provider.origins(error.message);
    return std::unexpected(std::move(error));
  }
  Solution out;
  out.stats = solved->stats;
  for (SolvableId s : solved->selected) out.packages.push_back({provider.cand(s).record, provider.cand(s).repository});
  std::sort(out.packages.begin(), out.packages.end(),
            [](const Selected& a, const Selected& b) { return a.record->name < b.record->name; });
  return out;
}

}  // namespace mlpack::cranresolve
