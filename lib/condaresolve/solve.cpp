#include "condaresolve/solve.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <span>
#include <tuple>
#include <unordered_map>

#include "conda/version.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::condaresolve {

using resolve::SolvableId;
using util::ErrorKind;

namespace {

constexpr std::uint32_t no_channel = std::numeric_limits<std::uint32_t>::max();  // virtual packages

bool is_virtual_name(std::string_view name) {
  return name.starts_with("__");
}

// track_features as repodata writes them: a list, or one string "foo,bar" / "foo bar" (conda
// splits on both); padded entries ("  foo  ") occur in real channels.
std::size_t count_features(const std::vector<std::string>& entries) {
  std::size_t n = 0;
  for (const auto& entry : entries) {
    bool in_word = false;
    for (char c : entry) {
      bool separator = c == ',' || c == ' ' || c == '\t';
      if (!separator && !in_word) ++n;
      in_word = !separator;
    }
  }
  return n;
}

// parse_repodata gives milliseconds; a record built elsewhere may carry repodata's older seconds.
// As conda does, a value above the year 9999 in seconds is milliseconds.
std::uint64_t timestamp_ms(std::uint64_t t) {
  return t > 253402300799ULL ? t : t * 1000;
}

// The channel a spec asks for (`conda-forge`) against a channel of the request, named or by URL.
bool channel_is(std::string_view channel, std::string_view wanted) {
  while (channel.ends_with('/')) channel.remove_suffix(1);
  while (wanted.ends_with('/')) wanted.remove_suffix(1);
  return channel == wanted || (channel.size() > wanted.size() && channel.ends_with(wanted) &&
                               channel[channel.size() - wanted.size() - 1] == '/');
}

// One record the solver may select.
struct Cand {
  const conda::PackageRecord* record;
  const conda::Version* version;   // shared by the records of one name with the same version text
  std::uint32_t channel;           // index into Request::channels, no_channel for a virtual package
  std::size_t features;            // track_features count
  std::uint32_t version_rank = 0;  // among the name's versions, 0 the highest; equal versions share it
};

// The order conda and rattler prefer (best first): track_features, version, build number, then
// timestamp; break_ties_by_dependencies() reorders records equal up to the build number before the
// timestamp counts. rattler (conda_sorting.rs) asks whether a record has track_features at all;
// conda's solver minimises their count, which is what is kept here. What follows the timestamp only
// makes the order total, so the result does not depend on the input's record order.
bool better(const Cand& a, const Cand& b) {
  if (a.features != b.features) return a.features < b.features;
  if (a.version_rank != b.version_rank) return a.version_rank < b.version_rank;
  const auto& ra = *a.record;
  const auto& rb = *b.record;
  if (ra.build_number != rb.build_number) return ra.build_number > rb.build_number;
  if (auto ta = timestamp_ms(ra.timestamp), tb = timestamp_ms(rb.timestamp); ta != tb) return ta > tb;
  if (a.channel != b.channel) return a.channel < b.channel;
  bool na = ra.subdir == "noarch", nb = rb.subdir == "noarch";
  if (na != nb) return nb;
  return std::tie(ra.version, ra.build, ra.subdir, ra.fn, ra.url, ra.sha256, ra.md5) <
         std::tie(rb.version, rb.build, rb.subdir, rb.fn, rb.url, rb.sha256, rb.md5);
}

// A record of a name that is never a candidate, and why (for explanations).
struct SetAside {
  enum class Why { channel_priority, requested_channel, bad_version };
  const conda::PackageRecord* record;
  std::uint32_t channel;
  Why why;
};

struct NameSlot {
  struct Entry {
    std::uint32_t channel;
    const conda::PackageRecord* record;
  };
  std::vector<Entry> entries;  // every record of the name, in input order
  bool prepared = false;
  std::vector<SolvableId> eligible;  // best first
  std::vector<SetAside> set_aside;
  std::uint32_t taken_channel = no_channel;  // strict priority: the one channel the name comes from
  std::string requested_channel;             // a root spec's `channel::name`
};

enum class Role { root, depends, constrains, broken_constrains };

struct ReqInfo {
  Role role;
  std::string text;  // as written
  std::optional<conda::MatchSpec> spec;
  std::string parse_error;    // set when `text` does not parse (spec is empty)
  std::string origin;         // roots: "environment.yml:7"
  bool version_only = false;  // the spec says nothing but its name and version
  // The best record the spec allows (fewest track_features, then highest version), for the
  // dependency tie-break; computed once.
  bool best_known = false;
  std::optional<std::pair<std::size_t, std::uint32_t>> best;  // (track_features, version rank)
};

// Whether `spec` is only a name and a version spec (`numpy >=1.26`, `filelock`): most `depends`
// entries are, and for them matching a record of the name is matching its version.
bool is_version_only(const conda::MatchSpec& spec) {
  if (spec.build() || spec.build_number() || spec.channel() || spec.subdir()) return false;
  // Without those, conda's canonical form has brackets only for a version with operators
  // (`numpy[version='>=1.26']`, written first) and for other keys (md5, license, …).
  std::string text = spec.str();
  auto open = text.find('[');
  if (open == std::string::npos) return true;
  std::string_view inside = std::string_view(text).substr(open + 1);
  return inside.starts_with("version='") && inside.find('\'', 9) + 2 == inside.size() && inside.back() == ']';
}

class CondaProvider final : public resolve::Provider {
 public:
  explicit CondaProvider(const Request& request) : request_(request) {}

  Result<std::vector<resolve::Requirement>> prepare() {
    virtual_records_.reserve(request_.virtual_packages.size());
    for (const auto& vp : request_.virtual_packages) {
      if (!is_virtual_name(vp.name))
        return util::fail(ErrorKind::invalid_input, "virtual package `" + vp.name + "` must start with `__`");
      TRY_CONTEXT(conda::Version::parse(vp.version), "virtual package `" + vp.name + "`");
      conda::PackageRecord r;
      r.name = vp.name;
      r.version = vp.version;
      r.build = vp.build;
      virtual_records_.push_back(std::move(r));
    }
    for (const auto& r : virtual_records_) names_[r.name].entries.push_back({no_channel, &r});
    // The name index, built once: name → records of every channel, in priority order. Repodata
    // lists a name's records together, so a run of one name is looked up once (any order works).
    for (std::uint32_t c = 0; c < request_.channels.size(); ++c)
      for (const auto* subdir : request_.channels[c].subdirs) {
        if (!subdir) continue;
        NameSlot* slot = nullptr;
        const std::string* slot_name = nullptr;
        for (const auto& r : subdir->packages) {
          if (is_virtual_name(r.name)) continue;  // only the target provides these
          if (!slot_name || *slot_name != r.name) {
            slot = &names_[r.name];
            slot_name = &r.name;
          }
          slot->entries.push_back({c, &r});
        }
      }

    std::vector<resolve::Requirement> roots;
    // The target's virtual packages are installed, as conda treats them: a `constrains` on one
    // (cuda-version's `__cuda >=12.1`) then holds against it.
    for (const auto& r : virtual_records_) {
      auto spec = TRY_CONTEXT(conda::MatchSpec::parse(r.name), "virtual package `" + r.name + "`");
      auto key = static_cast<std::uint64_t>(reqs_.size());
      reqs_.push_back(ReqInfo{Role::root, r.name, spec, {}, "the target", true});
      roots.push_back({r.name, key});
    }
    for (const auto& s : request_.specs) {
      const auto& name = s.spec.name();
      if (name.empty() || name.find('*') != std::string::npos)
        return util::fail(ErrorKind::invalid_input, (s.origin.empty() ? "" : s.origin + ": ") + "the spec `" +
                                                        s.spec.str() +
                                                        "` names no package; mlpack solves specs with a package name");
      if (s.spec.channel() && *s.spec.channel() != "*")
        if (auto it = names_.find(name); it != names_.end() && it->second.requested_channel.empty())
          it->second.requested_channel = *s.spec.channel();
      auto key = static_cast<std::uint64_t>(reqs_.size());
      std::string text = s.text.empty() ? s.spec.str() : util::trim(s.text);
      reqs_.push_back(ReqInfo{Role::root, text, s.spec, {}, s.origin, is_version_only(s.spec)});
      roots.push_back({text, key});
    }
    return roots;
  }

  Result<std::vector<SolvableId>> candidates(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    std::vector<SolvableId> out;
    if (!info.spec || info.role == Role::broken_constrains) return out;
    NameSlot* slot = lookup(info.spec->name());
    if (!slot) return out;
    bool want_match = info.role != Role::constrains;  // a constrains excludes what does NOT match
    for (SolvableId id : slot->eligible)
      if (matches(info, cands_[id]) == want_match) out.push_back(id);
    return out;
  }

  Result<std::vector<resolve::Requirement>> dependencies(SolvableId s) override {
    std::vector<resolve::Requirement> out;
    const Cand& c = cands_[s];
    if (c.channel == no_channel) return out;
    for (const auto& d : c.record->depends) {
      auto key = intern(Role::depends, d);
      out.push_back({reqs_[key].text, key});
    }
    // A constrains entry that does not parse leaves the record's meaning unknown: it cannot be
    // used (rattler does the same), and the explanation says why.
    for (const auto& d : c.record->constrains) {
      auto key = intern(Role::constrains, d);
      if (!reqs_[key].spec) {
        auto broken = intern(Role::broken_constrains, d);
        out.push_back({reqs_[broken].text, broken});
      }
    }
    return out;
  }

  Result<std::vector<resolve::Requirement>> conflicts(SolvableId s) override {
    std::vector<resolve::Requirement> out;
    const Cand& c = cands_[s];
    if (c.channel == no_channel) return out;
    for (const auto& d : c.record->constrains) {
      auto key = intern(Role::constrains, d);
      const ReqInfo& info = reqs_[key];
      if (!info.spec) continue;
      // Read inside the explainer's backticks: "foo 1.0 conflicts with `bors` other than
      // `bors <2.0`, which matches bors 2.1".
      out.push_back({info.spec->name() + "` other than `" + info.text, key});
    }
    return out;
  }

  std::string name(SolvableId s) override { return cands_[s].record->name; }

  std::string display(SolvableId s) override {
    const Cand& c = cands_[s];
    const auto& r = *c.record;
    if (c.channel == no_channel) return r.name + " " + r.version + (r.build == "0" ? "" : " " + r.build);
    std::string out = r.name + " " + r.version + " " + r.build;
    if (request_.channels.size() > 1) out += " (" + request_.channels[c.channel].channel + ")";
    return out;
  }

  std::string no_candidates_note(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    if (info.role == Role::broken_constrains)
      return "a `constrains` entry that does not parse: " + info.parse_error +
             "; what the package allows is unknown, so it is not used";
    if (!info.spec) return "it does not parse: " + info.parse_error;
    const auto& spec = *info.spec;
    const std::string& name = spec.name();
    if (is_virtual_name(name)) return virtual_note(name);
    if (spec.channel() && *spec.channel() != "*" &&
        std::none_of(request_.channels.begin(), request_.channels.end(),
                     [&](const ChannelPackages& c) { return channel_is(c.channel, *spec.channel()); }))
      return "it asks for channel `" + *spec.channel() + "`, which is not among the channels (" + channel_list() + ")";
    NameSlot* slot = lookup(name);
    if (!slot) return "no channel has a package named `" + name + "` (looked in " + channel_list() + ")";

    std::vector<std::string> notes;
    std::map<SetAside::Why, std::vector<const SetAside*>> matching;
    for (const auto& a : slot->set_aside)
      if (spec.matches(*a.record)) matching[a.why].push_back(&a);
    for (auto& [why, list] : matching) {
      // Best first, as candidates are (versions parsed here: only a failure is explained).
      std::vector<std::pair<std::optional<conda::Version>, const SetAside*>> order;
      for (const auto* a : list) {
        auto v = conda::Version::parse(a->record->version);
        order.emplace_back(v ? std::optional<conda::Version>(std::move(*v)) : std::nullopt, a);
      }
      std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        if (a.first && b.first && *a.first != *b.first) return *a.first > *b.first;
        const auto& ra = *a.second->record;
        const auto& rb = *b.second->record;
        if (a.second->channel != b.second->channel) return a.second->channel < b.second->channel;
        if (ra.build_number != rb.build_number) return ra.build_number > rb.build_number;
        return std::tie(ra.build, ra.fn) < std::tie(rb.build, rb.fn);
      });
      for (std::size_t i = 0; i < order.size(); ++i) list[i] = order[i].second;
      std::vector<std::string> shown;
      for (std::size_t i = 0; i < list.size() && i < 3; ++i)
        shown.push_back(list[i]->record->name + " " + list[i]->record->version + " " + list[i]->record->build + " (" +
                        request_.channels[list[i]->channel].channel + ")");
      std::string what = util::join(shown, ", ");
      if (list.size() > shown.size()) what += " and " + std::to_string(list.size() - shown.size()) + " more";
      switch (why) {
        case SetAside::Why::channel_priority:
          notes.push_back(what + (list.size() == 1 ? " matches but was" : " match but were") +
                          " set aside: strict channel priority takes `" + name + "` only from " +
                          request_.channels[slot->taken_channel].channel +
                          ", the highest-priority channel that has it");
          break;
        case SetAside::Why::requested_channel:
          notes.push_back(what + (list.size() == 1 ? " matches but was" : " match but were") +
                          " set aside: the request takes `" + name + "` only from channel `" + slot->requested_channel +
                          "`");
          break;
        case SetAside::Why::bad_version:
          notes.push_back(what + (list.size() == 1 ? " has a version" : " have versions") + " conda cannot parse");
          break;
      }
    }
    if (notes.empty()) notes.push_back(available(*slot));
    return util::join(notes, "; ");
  }

  bool is_virtual(SolvableId s) const { return cands_[s].channel == no_channel; }
  const conda::PackageRecord& record(SolvableId s) const { return *cands_[s].record; }

  // Where the specs the explanation names were written, for the end of an unsatisfiable message.
  std::string origins(const std::string& message) const {
    std::vector<std::string> parts;
    for (const auto& info : reqs_)
      if (info.role == Role::root && !info.origin.empty() && message.find("`" + info.text + "`") != std::string::npos)
        parts.push_back("`" + info.text + "` (" + info.origin + ")");
    if (parts.empty()) return {};
    return "\n  the request's specs come from: " + util::join(parts, ", ");
  }

 private:
  // `info.spec` against a record of the name it names. The version is checked on the version
  // parsed once per record; MatchSpec::matches (which parses it again) runs only for a spec with
  // more than a name and a version.
  static bool matches(const ReqInfo& info, const Cand& c) {
    const auto& spec = *info.spec;
    if (spec.version() && !spec.version()->matches(*c.version)) return false;
    return info.version_only || spec.matches(*c.record);
  }

  std::uint64_t intern(Role role, const std::string& text) {
    auto& index = role == Role::depends ? depends_index_ : role == Role::constrains ? constrains_index_ : broken_index_;
    auto [it, inserted] = index.try_emplace(text, reqs_.size());
    if (!inserted) return it->second;
    ReqInfo info{role, util::trim(text), std::nullopt, {}, {}};
    if (auto spec = conda::MatchSpec::parse(text)) {
      info.version_only = is_version_only(*spec);
      info.spec = std::move(*spec);
    } else
      info.parse_error = spec.error().message;
    if (role == Role::broken_constrains) info.spec.reset();
    reqs_.push_back(std::move(info));
    return it->second;
  }

  NameSlot* lookup(std::string_view name) {
    auto it = names_.find(name);
    if (it == names_.end()) return nullptr;
    prepare_slot(it->second);
    return &it->second;
  }

  // Orders a name's records once, the first time any requirement names it.
  void prepare_slot(NameSlot& slot) {
    if (slot.prepared) return;
    slot.prepared = true;
    if (request_.strict_channel_priority && slot.requested_channel.empty())
      for (const auto& e : slot.entries) slot.taken_channel = std::min(slot.taken_channel, e.channel);
    std::vector<Cand> list;
    std::unordered_map<std::string_view, const conda::Version*> parsed;  // builds share versions
    for (const auto& e : slot.entries) {
      if (e.channel != no_channel) {
        if (!slot.requested_channel.empty() &&
            !channel_is(request_.channels[e.channel].channel, slot.requested_channel)) {
          slot.set_aside.push_back({e.record, e.channel, SetAside::Why::requested_channel});
          continue;
        }
        if (slot.taken_channel != no_channel && e.channel != slot.taken_channel) {
          slot.set_aside.push_back({e.record, e.channel, SetAside::Why::channel_priority});
          continue;
        }
      }
      auto [known, fresh] = parsed.try_emplace(e.record->version, nullptr);
      if (fresh)
        if (auto v = conda::Version::parse(e.record->version)) known->second = &versions_.emplace_back(std::move(*v));
      if (!known->second) {
        slot.set_aside.push_back({e.record, e.channel, SetAside::Why::bad_version});
        continue;
      }
      list.push_back(Cand{e.record, known->second, e.channel, count_features(e.record->track_features)});
    }
    // Versions ranked once (a name has far fewer versions than builds), then records sorted on it.
    std::vector<const conda::Version*> distinct;
    for (const auto& [text, v] : parsed)
      if (v) distinct.push_back(v);
    std::sort(distinct.begin(), distinct.end(), [](const auto* a, const auto* b) { return *a > *b; });
    std::unordered_map<const conda::Version*, std::uint32_t> rank;
    for (std::size_t i = 0; i < distinct.size(); ++i)
      rank[distinct[i]] =
          i > 0 && *distinct[i] == *distinct[i - 1] ? rank[distinct[i - 1]] : static_cast<std::uint32_t>(i);
    for (auto& c : list) c.version_rank = rank[c.version];
    std::sort(list.begin(), list.end(), better);
    break_ties_by_dependencies(list);
    for (auto& c : list) {
      slot.eligible.push_back(static_cast<SolvableId>(cands_.size()));
      cands_.push_back(std::move(c));
    }
  }

  // rattler's second step (conda_sorting.rs, sort_by_highest_dependency_versions): records equal
  // in track_features, version and build number (pytorch 2.1.0's builds for Python 3.8 to 3.11)
  // are ordered by the best versions their dependencies allow, comparing the names all of them
  // depend on in name order; a record whose dependency allows something comes before one whose
  // does not. What stays equal keeps the timestamp order. Without it, the newest upload would
  // choose the Python version of an environment that does not pin one.
  void break_ties_by_dependencies(std::vector<Cand>& list) {
    auto same_rank = [](const Cand& a, const Cand& b) {
      return a.features == b.features && a.version_rank == b.version_rank &&
             a.record->build_number == b.record->build_number;
    };
    for (std::size_t start = 0; start < list.size();) {
      std::size_t end = start + 1;
      while (end < list.size() && same_rank(list[start], list[end])) ++end;
      if (end - start > 1) break_ties(std::span<Cand>(list.data() + start, end - start));
      start = end;
    }
  }

  using Best = std::optional<std::pair<std::size_t, std::uint32_t>>;  // (track_features, version rank)

  void break_ties(std::span<Cand> group) {
    // Per member: (dependency name, the best version its specs for that name allow), by name.
    std::vector<std::vector<std::pair<std::string_view, Best>>> allows(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) {
      auto& mine = allows[i];
      for (const auto& d : group[i].record->depends) {
        auto key = intern(Role::depends, d);
        if (!reqs_[key].spec) continue;
        mine.emplace_back(reqs_[key].spec->name(), best_allowed(key));  // names live in reqs_ (a deque)
      }
      std::stable_sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      // Several specs on one name: the best of them counts, as in rattler.
      std::size_t out = 0;
      for (std::size_t k = 0; k < mine.size(); ++k) {
        if (out > 0 && mine[out - 1].first == mine[k].first) {
          if (better_best(mine[k].second, mine[out - 1].second)) mine[out - 1].second = mine[k].second;
        } else {
          mine[out++] = mine[k];
        }
      }
      mine.resize(out);
    }
    // The names every member depends on, in name order.
    std::vector<std::string_view> shared;
    for (const auto& [name, best] : allows[0])
      if (std::all_of(allows.begin() + 1, allows.end(), [&](const auto& other) {
            return std::binary_search(other.begin(), other.end(), std::pair<std::string_view, Best>{name, {}},
                                      [](const auto& a, const auto& b) { return a.first < b.first; });
          }))
        shared.push_back(name);
    if (shared.empty()) return;
    // Each member's key: what it allows for each shared name.
    std::vector<std::vector<Best>> keys(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) {
      auto it = allows[i].begin();
      for (auto name : shared) {
        while (it->first != name) ++it;
        keys[i].push_back(it->second);
      }
    }
    std::vector<std::size_t> order(group.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      for (std::size_t k = 0; k < shared.size(); ++k) {
        if (better_best(keys[a][k], keys[b][k])) return true;
        if (better_best(keys[b][k], keys[a][k])) return false;
      }
      return false;
    });
    std::vector<Cand> sorted;
    sorted.reserve(group.size());
    for (std::size_t i : order) sorted.push_back(std::move(group[i]));
    std::move(sorted.begin(), sorted.end(), group.begin());
  }

  static bool better_best(const Best& x, const Best& y) {
    if (!x || !y) return x && !y;
    return *x < *y;
  }

  Best best_allowed(std::uint64_t key) {
    if (reqs_[key].best_known) return reqs_[key].best;
    reqs_[key].best_known = true;
    NameSlot* slot = lookup(reqs_[key].spec->name());  // may prepare another name first
    Best out;
    if (slot)
      for (SolvableId id : slot->eligible) {
        const Cand& c = cands_[id];
        if (!matches(reqs_[key], c)) continue;
        auto mine = std::make_pair(c.features, c.version_rank);
        if (!out || mine < *out) out = mine;
      }
    reqs_[key].best = out;
    return out;
  }

  std::string virtual_note(const std::string& name) const {
    std::vector<std::string> same, all;
    for (const auto& r : virtual_records_) {
      std::string shown = r.name + " " + r.version + (r.build == "0" ? "" : " " + r.build);
      all.push_back(shown);
      if (r.name == name) same.push_back(shown);
    }
    if (!same.empty()) return "the target provides " + util::join(same, ", ");
    std::string out = "`" + name + "` is not provided by the target";
    out += all.empty() ? " (it provides no virtual packages)" : " (it provides " + util::join(all, ", ") + ")";
    if (name == "__cuda") out += "; `__cuda` comes only from the project's CUDA setting, which names no version";
    return out;
  }

  // "`numpy` has 1.26.4, 1.26.3, 1.25.2 and 12 more in conda-forge".
  std::string available(const NameSlot& slot) const {
    std::vector<std::string> versions;
    std::size_t distinct = 0;
    for (SolvableId id : slot.eligible) {
      const auto& v = cands_[id].record->version;
      if (std::find(versions.begin(), versions.end(), v) != versions.end()) continue;
      ++distinct;
      if (versions.size() < 5) versions.push_back(v);
    }
    if (distinct == 0) return {};
    const auto& any = cands_[slot.eligible.front()];
    std::string out = "`" + any.record->name + "` has " + util::join(versions, ", ");
    if (distinct > versions.size()) out += " and " + std::to_string(distinct - versions.size()) + " more";
    if (any.channel == no_channel)
      out += " on the target";
    else if (slot.taken_channel != no_channel || request_.channels.size() == 1)
      out += " in " + request_.channels[any.channel].channel;
    return out;
  }

  std::string channel_list() const {
    std::vector<std::string> names;
    for (const auto& c : request_.channels) names.push_back(c.channel);
    return names.empty() ? std::string("no channels") : util::join(names, ", ");
  }

  const Request& request_;
  std::vector<conda::PackageRecord> virtual_records_;
  std::unordered_map<std::string_view, NameSlot> names_;
  std::deque<conda::Version> versions_;  // Cand::version points here
  std::vector<Cand> cands_;
  std::deque<ReqInfo> reqs_;  // a deque: preparing a name interns specs while callers hold a ReqInfo
  std::unordered_map<std::string, std::uint64_t> depends_index_, constrains_index_, broken_index_;
};

}  // namespace

Result<std::vector<VirtualPackage>> target_virtual_packages(std::string_view oci_arch, std::string_view glibc,
                                                            const std::optional<std::string>& cuda) {
  static constexpr std::pair<std::string_view, std::string_view> arches[] = {
      {"amd64", "x86_64"}, {"arm64", "aarch64"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"}};
  auto arch = std::find_if(std::begin(arches), std::end(arches), [&](const auto& a) { return a.first == oci_arch; });
  if (arch == std::end(arches))
    return util::fail(ErrorKind::invalid_input, "conda has no platform for the architecture `" + std::string(oci_arch) +
                                                    "` (amd64, arm64, ppc64le, s390x)");
  std::vector<VirtualPackage> out;
  out.push_back({"__unix", "0", "0"});
  out.push_back({"__linux", std::string(linux_kernel_floor), "0"});
  if (!glibc.empty()) {
    TRY_CONTEXT(conda::Version::parse(glibc), "the base's glibc");
    out.push_back({"__glibc", std::string(glibc), "0"});
  }
  out.push_back({"__archspec", "1", std::string(arch->second)});
  if (cuda) {
    TRY_CONTEXT(conda::Version::parse(*cuda), "the project's CUDA version");
    out.push_back({"__cuda", *cuda, "0"});
  }
  return out;
}

Result<Solution> solve(const Request& request) {
  CondaProvider provider(request);
  auto roots = TRY(provider.prepare());
  auto solved = resolve::solve(provider, roots);
  if (!solved) {
    if (solved.error().kind == ErrorKind::unsatisfiable) {
      auto error = solved.error();
      error.message += provider.origins(error.message);
      return std::unexpected(std::move(error));
    }
    return std::unexpected(solved.error());
  }
  Solution out;
  out.stats = solved->stats;
  for (SolvableId s : solved->selected)
    if (!provider.is_virtual(s)) out.packages.push_back(provider.record(s));
  return out;
}

}  // namespace mlpack::condaresolve
