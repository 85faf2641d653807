#include "condaresolve/solve.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
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

// Repodata timestamps are milliseconds since 2019 and seconds before; conda reads a value above
// year 9999 in seconds as milliseconds. Compared in milliseconds.
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
  const conda::Version* version;  // shared by the records of one name with the same version text
  std::uint32_t channel;          // index into Request::channels, no_channel for a virtual package
  std::size_t features;           // track_features count
};

// The order conda and rattler prefer (best first). rattler (conda_sorting.rs) compares whether a
// record has track_features at all; conda's solver minimises their count, which is what is kept
// here. Then version, build number and timestamp. What follows only makes the order total, so the
// result does not depend on the input's record order.
bool better(const Cand& a, const Cand& b) {
  if (a.features != b.features) return a.features < b.features;
  if (a.version != b.version)
    if (auto c = *a.version <=> *b.version; c != 0) return c > 0;
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
};

// Whether `spec` is only a name and a version spec (`numpy >=1.26`, `filelock`): most `depends`
// entries are. Told by comparing its canonical form with that of a spec built from those two.
bool is_version_only(const conda::MatchSpec& spec) {
  if (spec.build() || spec.build_number() || spec.channel() || spec.subdir()) return false;
  auto probe = conda::MatchSpec::parse(spec.version() ? spec.name() + " " + spec.version()->str() : spec.name());
  return probe && probe->str() == spec.str();
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
    std::sort(list.begin(), list.end(), better);
    for (auto& c : list) {
      slot.eligible.push_back(static_cast<SolvableId>(cands_.size()));
      cands_.push_back(std::move(c));
    }
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
  std::vector<ReqInfo> reqs_;
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
