#pragma once
// Package relationship fields (Debian Policy §7.1, the Multi-Arch spec): Depends, Pre-Depends,
// Recommends, Conflicts, Breaks, Provides. A field is a comma-separated list of groups; a group is
// `|`-separated alternatives; an alternative is
//   name[:arch|:any|:native] [(op version)] [[arch list]] [<profile list>...]
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deb/version.hpp"

namespace mlpack::deb {

// Version relations. The obsolete `<` and `>` mean `<=` and `>=` (Policy §7.1) and are parsed as such.
enum class RelOp { any, lt, le, eq, ge, gt };

std::string_view to_string(RelOp op);  // "<<", "<=", "=", ">=", ">>", "" for any

// Whether `v` satisfies `op required` (any: always).
bool satisfies(const Version& v, RelOp op, const Version& required);

struct Relation {
  std::string name;
  // Empty, "any", "native" or an architecture name ("amd64").
  std::string arch_qualifier;
  RelOp op = RelOp::any;
  std::optional<Version> version;  // set exactly when op != any
  // `[amd64 !i386]` entries as written; all negated or none (mixing is refused at parse time).
  std::vector<std::string> arch_list;
  // `<!nocheck> <stage1 cross>`: the relation applies when any one list is fully satisfied.
  std::vector<std::vector<std::string>> profiles;

  // Whether the relation applies when building for `arch` with these build profiles active
  // (binary package fields carry neither list, so they always apply).
  bool applies_to(std::string_view arch, std::span<const std::string> active_profiles = {}) const;
  // Whether a package of this version satisfies the version part (a relation without one: always).
  bool matches_version(const Version& v) const { return op == RelOp::any || satisfies(v, op, *version); }
  // Canonical text: "libc6:any (>= 2.36) [amd64] <!nocheck>".
  std::string str() const;
};

// One group of alternatives: satisfied when any alternative is.
using Alternatives = std::vector<Relation>;

// Parses a whole field value. `field` names the field in errors ("Depends"). Errors are
// invalid_input and quote the offending part. An empty value gives an empty list.
Result<std::vector<Alternatives>> parse_relations(std::string_view value, std::string_view field = "relation");

// Parses a field that has no alternatives (Conflicts, Breaks, Provides, Replaces): `|` is refused.
Result<std::vector<Relation>> parse_relation_list(std::string_view value, std::string_view field = "relation");

// "a (>= 1) | b, c" from parsed groups.
std::string to_string(const std::vector<Alternatives>& groups);
std::string to_string(const Alternatives& group);

// Whether the Debian architecture `arch` ("amd64", "arm64", "kfreebsd-amd64") matches `pattern`,
// which is an architecture, "any", "all", or a wildcard "<os>-any", "any-<cpu>", "<os>-<cpu>"
// (dpkg-architecture(1) wildcards; a plain name like "amd64" means "linux-amd64").
bool arch_matches(std::string_view arch, std::string_view pattern);

// Whether `name` is a valid package name (Policy §5.6.1: [a-z0-9][a-z0-9+.-]+).
bool valid_package_name(std::string_view name);

}  // namespace mlpack::deb
