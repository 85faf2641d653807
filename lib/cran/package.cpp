#include "cran/package.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "cran/base_packages.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::cran {

namespace {

using util::trim_view;
bool is_space(char c) { return util::is_ascii_space(c); }

// Runs of whitespace (continuation lines too) become one space.
std::string fold_whitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : trim_view(s)) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string where(std::string_view origin, std::size_t line) {
  return std::string(origin) + ":" + std::to_string(line);
}

util::Error invalid_field(const dcf::Paragraph& p, std::string_view origin, std::string_view message) {
  return util::Error{util::ErrorKind::invalid_input, where(origin, p.line) + ": " + std::string(message)};
}

}  // namespace

Result<Built> parse_built(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_input,
                      "invalid `Built:` field `" + util::printable_excerpt(text, 100) + "`: " + std::string(why));
  };
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  while (true) {
    const auto semi = rest.find(';');
    parts.push_back(trim_view(rest.substr(0, semi)));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  if (parts.size() != 4) return bad("expected `R <version>; <platform>; <date>; <OS type>`");
  if (!parts[0].starts_with("R ")) return bad("it must start with `R <version>`");
  auto r = Version::parse_numeric(parts[0].substr(2));
  if (!r) return bad(r.error().message);
  return Built{std::move(*r), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

std::vector<Dependency> PackageRecord::runtime_dependencies() const {
  std::vector<Dependency> out;
  std::set<std::string, std::less<>> seen;
  for (const auto* field : {&depends, &imports, &linking_to})
    for (const auto& dep : *field) {
      if (is_base_package(dep.name) || !seen.insert(dep.name).second) continue;
      out.push_back(dep);
    }
  return out;
}

Result<PackageRecord> record_from_paragraph(const dcf::Paragraph& p, std::string_view origin) {
  PackageRecord r;
  const auto name = p.get("Package");
  if (!name) return std::unexpected(invalid_field(p, origin, "no `Package:` field"));
  r.name = std::string(trim_view(*name));
  if (!is_valid_package_name(r.name))
    return std::unexpected(invalid_field(p, origin, "`Package: " + util::printable_excerpt(r.name, 60) +
                                                        "` is not a valid R package name"));
  const auto context = where(origin, p.line) + ": package `" + r.name + "`";
  const auto version = p.get("Version");
  if (!version) return util::fail(util::ErrorKind::invalid_input, context + ": no `Version:` field");
  r.version = TRY_CONTEXT(Version::parse(*version), context);

  auto deps = [&](std::string_view field) -> Result<std::vector<Dependency>> {
    const auto value = p.get(field);
    if (!value) return std::vector<Dependency>{};
    return TRY_CONTEXT(parse_dependencies(*value), context + ": `" + std::string(field) + ":`");
  };
  auto depends = TRY(deps("Depends"));
  for (auto& dep : depends) {
    if (dep.name != "R") {
      r.depends.push_back(std::move(dep));
      continue;
    }
    if (dep.constraint) r.r_constraints.push_back(*dep.constraint);
    // r_min is the highest lower bound, for messages and for choosing an R; r_constraints keeps
    // them all.
    if (dep.constraint && (dep.constraint->op == Op::ge || dep.constraint->op == Op::gt) &&
        (!r.r_min || *r.r_min < dep.constraint->version))
      r.r_min = dep.constraint->version;
  }
  r.imports = TRY(deps("Imports"));
  r.linking_to = TRY(deps("LinkingTo"));
  r.suggests = TRY(deps("Suggests"));

  r.system_requirements = fold_whitespace(p.get_or("SystemRequirements"));
  if (const auto nc = p.get("NeedsCompilation")) {
    const auto value = lower_ascii(trim_view(*nc));
    if (value == "yes") r.needs_compilation = true;
    else if (value == "no") r.needs_compilation = false;
    else if (!value.empty())
      return util::fail(util::ErrorKind::invalid_input,
                        context + ": `NeedsCompilation: " + util::printable_excerpt(*nc, 20) + "` is neither yes nor no");
  }
  r.license = fold_whitespace(p.get_or("License"));
  r.md5sum = lower_ascii(trim_view(p.get_or("MD5sum")));
  r.sha256 = lower_ascii(trim_view(p.get_or("SHA256")));
  if (const auto built = p.get("Built")) r.built = TRY_CONTEXT(parse_built(*built), context);
  r.os_type = std::string(trim_view(p.get_or("OS_type")));
  r.file = std::string(trim_view(p.get_or("File")));
  r.path = std::string(trim_view(p.get_or("Path")));
  return r;
}

Result<PackageRecord> parse_description(std::string_view text, std::string_view origin) {
  auto paragraphs = TRY(dcf::parse_paragraphs(text, origin));
  if (paragraphs.empty()) return util::fail(util::ErrorKind::invalid_input, std::string(origin) + ": empty DESCRIPTION");
  if (paragraphs.size() > 1)
    return util::fail(util::ErrorKind::invalid_input,
                      where(origin, paragraphs[1].line) + ": a DESCRIPTION file holds one paragraph, this is a second");
  return record_from_paragraph(paragraphs.front(), origin);
}

Result<std::vector<PackageRecord>> parse_packages_index(std::string_view text, std::string_view origin) {
  std::map<std::string, PackageRecord, std::less<>> best;
  TRY(dcf::for_each_paragraph(text, origin, dcf::ParseOptions{}, [&](dcf::Paragraph&& p) -> Result<void> {
    if (const auto os = p.get("OS_type"); os && trim_view(*os) != "unix" && !trim_view(*os).empty()) return {};
    auto record = TRY(record_from_paragraph(p, origin));
    auto it = best.find(record.name);
    if (it == best.end()) best.emplace(record.name, std::move(record));
    else if (it->second.version < record.version) it->second = std::move(record);
    return {};
  }));
  std::vector<PackageRecord> out;
  out.reserve(best.size());
  for (auto& [name, record] : best) out.push_back(std::move(record));
  return out;
}

Result<void> check_loadable(const PackageRecord& record, const Version& target_r, std::string_view target_arch) {
  const auto who = "`" + record.name + "` " + record.version.str();
  auto refuse = [&](const std::string& why) { return util::fail(util::ErrorKind::unsatisfiable, who + ": " + why); };
  if (!record.built) return refuse("a source package (no `Built:` field), which would need compiling");
  const auto& built = *record.built;
  const auto& by = built.r_version;
  if (built.os_type != "unix") return refuse("built for OS type `" + util::printable_excerpt(built.os_type, 40) + "`, not unix");
  if (target_r.major() >= 4 && by.major() < 4)
    return refuse("built by R " + by.str() + ", before R 4.0.0; R " + target_r.str() + " refuses to load it");
  if (by.major() != target_r.major())
    return refuse("built by R " + by.str() + ", another major version than R " + target_r.str());
  // A newer patch release of the same R x.y is fine: binary repositories build each R minor
  // series with its latest patch (Posit Package Manager's 4.2 binaries say "R 4.2.3", Debian
  // bookworm's R is 4.2.2), and R keeps its API within a series. A newer minor may use what this R
  // lacks: R only warns, we refuse.
  if (by.major() == target_r.major() && by.minor() > target_r.minor())
    return refuse("built by R " + by.str() + ", newer than R " + target_r.str() +
                  " (R would only warn, but the package may use what this R lacks)");
  for (const auto& c : record.r_constraints)
    if (!c.satisfied_by(target_r)) return refuse("needs R " + c.str() + ", this is R " + target_r.str());
  if (!built.platform.empty()) {
    // R's testPlatformEquivalence: the vendor part (`pc`, `unknown`, `redhat`) does not count.
    const auto& platform = built.platform;
    const auto first = platform.find('-');
    const auto second = first == std::string::npos ? std::string::npos : platform.find('-', first + 1);
    const bool same = second != std::string::npos && platform.substr(0, first) == target_arch &&
                      platform.substr(second + 1) == "linux-gnu";
    if (!same)
      return refuse("built for `" + util::printable_excerpt(platform, 60) + "`, not for " + std::string(target_arch) +
                    " Linux (`" + std::string(target_arch) + "-*-linux-gnu`)");
  }
  return {};
}

}  // namespace mlpack::cran
