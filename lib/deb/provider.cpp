#include "deb/provider.hpp"

#include <algorithm>
#include <set>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::deb {

namespace {

using util::ErrorKind;

int priority_rank(std::string_view p) {
  if (p == "required") return 0;
  if (p == "important") return 1;
  if (p == "standard") return 2;
  if (p == "optional") return 3;
  return 4;
}

// Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The package behind solvable `s`; an internal error for an id the index never handed out.
Result<const IndexPackage*> package_of(const PackageIndex& index, resolve::SolvableId s) {
  if (s >= index.packages().size()) return util::fail(ErrorKind::internal, "unknown solvable");
  return &index.package(s);
}

}  // namespace

std::size_t PackageIndex::add_repository(std::string_view name) {
  repositories_.emplace_back(name);
  return repositories_.size() - 1;
}

Result<void> PackageIndex::add_paragraph(const Paragraph& p, std::size_t repository, std::string_view source) {
  IndexPackage pkg;
  pkg.name = p.get_or("Package");
  auto where = std::string(source) + ":" + std::to_string(p.line) + ": package `" + util::printable_excerpt(pkg.name) + "`";
  if (!valid_package_name(pkg.name))
    return util::fail(ErrorKind::invalid_input,
                      std::string(source) + ":" + std::to_string(p.line) + ": invalid package name `" + util::printable_excerpt(pkg.name) + "`");
  auto version = TRY_CONTEXT(Version::parse(p.get_or("Version")), where);
  pkg.version = std::move(version);
  pkg.architecture = p.get_or("Architecture");
  if (pkg.architecture.empty()) return util::fail(ErrorKind::invalid_input, where + ": no `Architecture` field");
  pkg.multi_arch = util::to_lower(p.get_or("Multi-Arch"));
  if (pkg.multi_arch == "no") pkg.multi_arch.clear();
  auto groups = [&](std::string_view f, std::vector<Alternatives>& out) -> Result<void> {
    auto v = p.get(f);
    if (!v) return {};
    out = TRY_CONTEXT(parse_relations(*v, f), where);
    return {};
  };
  auto list = [&](std::string_view f, std::vector<Relation>& out) -> Result<void> {
    auto v = p.get(f);
    if (!v) return {};
    out = TRY_CONTEXT(parse_relation_list(*v, f), where);
    return {};
  };
  TRY(groups("Pre-Depends", pkg.pre_depends));
  TRY(groups("Depends", pkg.depends));
  TRY(list("Provides", pkg.provides));
  TRY(list("Conflicts", pkg.conflicts));
  TRY(list("Breaks", pkg.breaks));
  for (const auto& prov : pkg.provides)
    if (prov.op != RelOp::any && prov.op != RelOp::eq)
      return util::fail(ErrorKind::invalid_input, where + ": Provides: only `=` is allowed, in `" + util::printable_excerpt(prov.str()) + "`");
  pkg.essential = util::to_lower(p.get_or("Essential")) == "yes";
  pkg.priority = util::to_lower(p.get_or("Priority"));
  pkg.filename = p.get_or("Filename");
  if (auto s = p.get("Size")) pkg.size = std::strtoull(std::string(*s).c_str(), nullptr, 10);
  if (auto s = p.get("Installed-Size")) {
    std::uint64_t kib = std::strtoull(std::string(*s).c_str(), nullptr, 10);
    if (kib < (std::uint64_t(1) << 40)) pkg.installed_size = kib * 1024;
  }
  pkg.sha256 = util::to_lower(p.get_or("SHA256"));
  pkg.repository = repository;

  auto id = static_cast<std::uint32_t>(packages_.size());
  by_name_[pkg.name].push_back(id);
  std::set<std::string> provided;
  for (const auto& prov : pkg.provides)
    if (provided.insert(prov.name).second) by_provides_[prov.name].push_back(id);
  packages_.push_back(std::move(pkg));
  return {};
}

Result<void> PackageIndex::add_packages(std::string_view text, std::string_view repository) {
  auto repo = add_repository(repository);
  return for_each_paragraph(text, repository, [&](Paragraph&& p) { return add_paragraph(p, repo, repository); });
}

Result<void> PackageIndex::add_installed(std::span<const InstalledPackage> installed) {
  std::size_t repo = repositories_.size();
  bool repo_added = false;
  for (const auto& inst : installed) {
    auto v = TRY_CONTEXT(Version::parse(inst.version), "installed package `" + util::printable_excerpt(inst.name) + "`");
    bool found = false;
    for (auto id : named(inst.name)) {
      auto& p = packages_[id];
      if (p.architecture == inst.architecture && p.version == v) {
        p.installed = true;
        found = true;
      }
    }
    if (found) continue;
    if (!repo_added) {
      repo = add_repository("installed");
      repo_added = true;
    }
    TRY(add_paragraph(inst.paragraph, repo, "status"));
    packages_.back().installed = true;
  }
  return {};
}

std::span<const std::uint32_t> PackageIndex::named(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return {};
  return it->second;
}

std::span<const std::uint32_t> PackageIndex::providers(std::string_view name) const {
  auto it = by_provides_.find(name);
  if (it == by_provides_.end()) return {};
  return it->second;
}

std::vector<std::string> PackageIndex::close_matches(std::string_view name, std::size_t max) const {
  std::vector<std::pair<std::size_t, std::string>> scored;
  auto consider = [&](const std::string& known) {
    std::size_t d = edit_distance(name, known, 2);
    if (d <= 2)
      scored.emplace_back(d, known);
    else if (name.size() >= 3 && known.starts_with(name))
      scored.emplace_back(3, known);  // a completion ranks after the typos
  };
  for (const auto& [n, ids] : by_name_) consider(n);
  for (const auto& [n, ids] : by_provides_)
    if (!by_name_.contains(n)) consider(n);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (auto& [d, n] : scored)
    if (out.size() < max) out.push_back(n);
  return out;
}

DebianProvider::DebianProvider(const PackageIndex& index, ProviderOptions options)
    : index_(index), options_(std::move(options)) {}

bool DebianProvider::enabled(const IndexPackage& p) const {
  return p.architecture == "all" || p.architecture == options_.arch ||
         std::find(options_.foreign_arches.begin(), options_.foreign_arches.end(), p.architecture) !=
             options_.foreign_arches.end();
}

std::string DebianProvider::effective_arch(const IndexPackage& p) const {
  return p.architecture == "all" ? options_.arch : p.architecture;
}

bool DebianProvider::arch_satisfies(const Relation& r, const std::string& context_arch, const IndexPackage& p,
                                    Kind kind) const {
  if (!enabled(p)) return false;
  std::string pa = effective_arch(p);
  const auto& q = r.arch_qualifier;
  if (kind == Kind::conflicts) return q.empty() || q == "any" || pa == (q == "native" ? options_.arch : q);
  if (q.empty()) return pa == context_arch || p.multi_arch == "foreign";
  if (q == "any") return p.multi_arch == "allowed" || p.multi_arch == "foreign" || pa == context_arch;
  if (q == "native") return pa == options_.arch;
  return pa == q;
}

resolve::Requirement DebianProvider::intern(Kind kind, Alternatives group, std::string context_arch) {
  std::string text = to_string(group);
  std::string key = std::string(kind == Kind::depends ? "d" : "c") + '\0' + context_arch + '\0' + text;
  auto [it, inserted] = spec_keys_.try_emplace(key, specs_.size());
  if (inserted) specs_.push_back({kind, std::move(group), std::move(context_arch)});
  return {text, it->second};
}

Result<resolve::Requirement> DebianProvider::require(std::string_view spec_text) {
  std::string spec = util::trim(spec_text);
  Relation rel;
  if (auto eq = spec.find('='); eq != std::string::npos && spec.find('(') == std::string::npos) {
    auto parsed = TRY(parse_relations(spec.substr(0, eq), "apt.txt"));
    if (parsed.size() != 1 || parsed.front().size() != 1)
      return util::fail(ErrorKind::invalid_input, "apt.txt: `" + spec + "`: expected `name` or `name=version`");
    rel = parsed.front().front();
    auto v = TRY_CONTEXT(Version::parse(spec.substr(eq + 1)), "apt.txt: `" + spec + "`");
    rel.op = RelOp::eq;
    rel.version = std::move(v);
  } else {
    auto parsed = TRY(parse_relations(spec, "apt.txt"));
    if (parsed.size() != 1 || parsed.front().size() != 1)
      return util::fail(ErrorKind::invalid_input, "apt.txt: `" + spec + "`: expected one package");
    rel = parsed.front().front();
  }
  if (!index_.knows(rel.name)) {
    std::string msg = "unknown package `" + rel.name + "`";
    auto close = index_.close_matches(rel.name);
    if (!close.empty()) {
      msg += "; did you mean ";
      for (std::size_t i = 0; i < close.size(); ++i)
        msg += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + ("`" + close[i] + "`");
      msg += "?";
    }
    return util::fail(ErrorKind::not_found, msg);
  }
  if (rel.op == RelOp::eq && index_.providers(rel.name).empty()) {
    std::vector<const Version*> versions;
    bool found = false;
    for (auto id : index_.named(rel.name)) {
      const auto& p = index_.package(id);
      if (!enabled(p)) continue;
      versions.push_back(&p.version);
      found = found || p.version == *rel.version;
    }
    if (!found) {
      std::sort(versions.begin(), versions.end(), [](const Version* a, const Version* b) { return *a > *b; });
      std::string msg = "package `" + rel.name + "` has no version `" + rel.version->str() + "` for " + options_.arch;
      if (!versions.empty()) {
        msg += "; available: ";
        for (std::size_t i = 0; i < versions.size(); ++i) msg += (i ? ", " : "") + versions[i]->str();
      }
      return util::fail(ErrorKind::not_found, msg);
    }
  }
  return intern(Kind::depends, {rel}, options_.arch);
}

std::vector<resolve::Requirement> DebianProvider::essential_requirements() {
  std::set<std::string> names;
  for (const auto& p : index_.packages())
    if (enabled(p) && (p.essential || p.priority == "required")) names.insert(p.name);
  std::vector<resolve::Requirement> out;
  for (const auto& n : names) {
    Relation r;
    r.name = n;
    out.push_back(intern(Kind::depends, {r}, options_.arch));
  }
  return out;
}

std::vector<resolve::Requirement> DebianProvider::installed_requirements() {
  std::vector<std::pair<std::string, resolve::Requirement>> out;
  for (const auto& p : index_.packages()) {
    if (!p.installed || !enabled(p)) continue;
    Relation r;
    r.name = p.name;
    if (p.architecture != "all") r.arch_qualifier = p.architecture;
    r.op = RelOp::eq;
    r.version = p.version;
    out.emplace_back(p.name + ":" + p.architecture, intern(Kind::depends, {r}, effective_arch(p)));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<resolve::Requirement> reqs;
  for (auto& [k, r] : out) reqs.push_back(std::move(r));
  return reqs;
}

Result<std::vector<resolve::SolvableId>> DebianProvider::candidates(const resolve::Requirement& r) {
  if (r.key >= specs_.size() || to_string(specs_[r.key].group) != r.text)
    return util::fail(ErrorKind::internal, "requirement `" + r.text + "` does not come from this provider");
  const Spec& spec = specs_[r.key];
  std::vector<resolve::SolvableId> out;
  std::set<resolve::SolvableId> seen;
  for (const auto& rel : spec.group) {
    if (!rel.applies_to(options_.arch)) continue;
    std::vector<std::uint32_t> real, virt;
    for (auto id : index_.named(rel.name)) {
      const auto& p = index_.package(id);
      if (rel.matches_version(p.version) && arch_satisfies(rel, spec.context_arch, p, spec.kind)) real.push_back(id);
    }
    for (auto id : index_.providers(rel.name)) {
      const auto& p = index_.package(id);
      if (!arch_satisfies(rel, spec.context_arch, p, spec.kind)) continue;
      bool ok = false;
      for (const auto& prov : p.provides) {
        if (prov.name != rel.name) continue;
        // An unversioned Provides satisfies only unversioned relations (Policy §7.5).
        if (rel.op == RelOp::any || (prov.version && rel.matches_version(*prov.version))) ok = true;
      }
      if (ok) virt.push_back(id);
    }
    auto newest_first = [&](std::uint32_t a, std::uint32_t b) {
      const auto& pa = index_.package(a);
      const auto& pb = index_.package(b);
      if (pa.installed != pb.installed) return pa.installed;
      if (auto c = pa.version <=> pb.version; c != 0) return c > 0;
      if (pa.repository != pb.repository) return pa.repository < pb.repository;
      if (pa.architecture != pb.architecture) return effective_arch(pa) == spec.context_arch;
      return a < b;
    };
    std::sort(real.begin(), real.end(), newest_first);
    std::sort(virt.begin(), virt.end(), [&](std::uint32_t a, std::uint32_t b) {
      const auto& pa = index_.package(a);
      const auto& pb = index_.package(b);
      if (pa.installed != pb.installed) return pa.installed;
      if (int ra = priority_rank(pa.priority), rb = priority_rank(pb.priority); ra != rb) return ra < rb;
      if (pa.name != pb.name) return pa.name < pb.name;
      return newest_first(a, b);
    });
    for (auto id : real)
      if (seen.insert(id).second) out.push_back(id);
    for (auto id : virt)
      if (seen.insert(id).second) out.push_back(id);
  }
  return out;
}

Result<std::vector<resolve::Requirement>> DebianProvider::dependencies(resolve::SolvableId s) {
  const auto& p = *TRY(package_of(index_, s));
  std::vector<resolve::Requirement> out;
  for (const auto* field : {&p.pre_depends, &p.depends})
    for (const auto& group : *field) {
      Alternatives applicable;
      for (const auto& rel : group)
        if (rel.applies_to(options_.arch)) applicable.push_back(rel);
      if (!applicable.empty()) out.push_back(intern(Kind::depends, std::move(applicable), effective_arch(p)));
    }
  return out;
}

Result<std::vector<resolve::Requirement>> DebianProvider::conflicts(resolve::SolvableId s) {
  const auto& p = *TRY(package_of(index_, s));
  std::vector<resolve::Requirement> out;
  for (const auto* field : {&p.conflicts, &p.breaks})
    for (const auto& rel : *field)
      if (rel.applies_to(options_.arch)) out.push_back(intern(Kind::conflicts, {rel}, effective_arch(p)));
  return out;
}

std::string DebianProvider::name(resolve::SolvableId s) {
  const auto& p = index_.package(s);
  return p.multi_arch == "same" ? p.name + ":" + p.architecture : p.name;
}

std::string DebianProvider::display(resolve::SolvableId s) {
  return name(s) + " " + index_.package(s).version.str();
}

std::string DebianProvider::no_candidates_note(const resolve::Requirement& r) {
  if (r.key >= specs_.size()) return {};
  std::string note;
  for (const auto& rel : specs_[r.key].group) {
    std::vector<const Version*> versions;
    for (auto id : index_.named(rel.name))
      if (enabled(index_.package(id))) versions.push_back(&index_.package(id).version);
    std::sort(versions.begin(), versions.end(), [](const Version* a, const Version* b) { return *a > *b; });
    std::string part;
    if (!index_.knows(rel.name))
      part = "no package is named `" + rel.name + "`";
    else if (versions.empty() && index_.providers(rel.name).empty())
      part = "`" + rel.name + "` is not available for " + options_.arch;
    else if (versions.empty() && rel.op != RelOp::any)
      part = "`" + rel.name + "` is a virtual package, and none of its providers gives a version that matches";
    else if (!versions.empty()) {
      part = "available: `" + rel.name + "` ";
      for (std::size_t i = 0; i < versions.size(); ++i) part += (i ? ", " : "") + versions[i]->str();
    }
    if (!part.empty()) note += (note.empty() ? "" : "; ") + part;
  }
  return note;
}

}  // namespace mlpack::deb
