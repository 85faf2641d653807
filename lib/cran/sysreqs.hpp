#pragma once
// System requirements: the free text of a package's `SystemRequirements:` field turned into
// Debian packages, with rules in the form of renv's database (inst/sysreqs/sysreqs.json):
//   { "<rule>": { "patterns": ["<regex>", ...],
//                 "dependencies": [ { "packages": ["libxml2-dev"],
//                                     "constraints": [ { "os": "linux", "distribution": "debian",
//                                                        "versions"?: ["12", ...] } ] } ] } }
// A rule applies when any of its patterns is found (case-insensitive ECMAScript regex search) in
// the text; its packages count for a dependency whose constraints name the distribution (and the
// version, when the constraint lists versions).
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::cran {

using util::Result;

struct SysreqConstraint {
  std::string os;            // "linux"
  std::string distribution;  // "debian", "ubuntu", ...
  std::vector<std::string> versions;  // empty: every version
};

struct SysreqDependency {
  std::vector<std::string> packages;
  std::vector<SysreqConstraint> constraints;
};

struct SysreqRule {
  std::string name;
  std::vector<std::string> patterns;  // as written
  std::vector<std::regex> regexes;    // compiled, icase
  std::vector<SysreqDependency> dependencies;
};

struct Rules {
  std::vector<SysreqRule> rules;  // sorted by name
};

// invalid_input for JSON that is not of that shape or a pattern std::regex cannot compile
// (naming the rule). Input over 16 MiB is refused.
Result<Rules> parse_rules(std::string_view json);

// The packages of every matching rule for `distribution` `version` ("debian", "12"), sorted and
// each once. Only the first 4 KiB of `system_requirements` are searched (std::regex backtracks,
// and real fields are a line or two).
std::vector<std::string> match(const Rules& rules, std::string_view system_requirements,
                               std::string_view distribution, std::string_view version);

// Our own table for Debian (distribution "debian", every version): common libraries' patterns and
// their -dev packages, written here from the libraries' Debian package names. Built once.
const Rules& builtin_rules();

}  // namespace mlpack::cran
