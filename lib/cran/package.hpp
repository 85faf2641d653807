#pragma once
// A package's metadata: a DESCRIPTION file or a paragraph of a repository's PACKAGES index (both
// DCF, read through lib/dcf), and R's rule for whether a binary package can be loaded.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cran/depends.hpp"
#include "cran/version.hpp"
#include "dcf/paragraph.hpp"
#include "util/error.hpp"

namespace mlpack::cran {

// R's `Built:` field of an installed or binary package:
// "R 4.2.2; x86_64-pc-linux-gnu; 2023-01-10 12:00:00 UTC; unix". The platform is empty for a
// package without compiled code ("R 4.3.1; ; 2023-...; unix").
struct Built {
  Version r_version;
  std::string platform;  // "x86_64-pc-linux-gnu", or "" (no compiled code)
  std::string date;
  std::string os_type;  // "unix", "windows"
};

// invalid_input "invalid `Built:` field `…`: <reason>" unless there are four `;`-separated
// parts and the first is "R <version>".
Result<Built> parse_built(std::string_view text);

struct PackageRecord {
  std::string name;
  Version version;
  std::vector<Dependency> depends;  // without R
  std::vector<Dependency> imports;
  std::vector<Dependency> linking_to;
  std::vector<Dependency> suggests;
  std::optional<Version> r_min;  // from `Depends: R (>= x)` (the highest when given twice)
  // Every versioned `R (op x)` in Depends, in order: binary repositories add upper bounds
  // ("R (>= 4.4), R (< 4.4.99)"), which r_min leaves out.
  std::vector<Constraint> r_constraints;
  std::string system_requirements;  // whitespace runs (newlines too) folded to one space
  std::optional<bool> needs_compilation;
  std::string license;
  std::string md5sum;  // MD5sum, lower case hex, or ""
  std::string sha256;  // SHA256 (PPM's indexes give it), lower case hex, or ""
  std::optional<Built> built;  // absent: a source package
  std::string os_type;  // OS_type, "" when any
  std::string file;  // PACKAGES `File:` (the tarball's name when it differs), or ""
  std::string path;  // PACKAGES `Path:` (a folder under src/contrib), or ""

  // What must be installed for this package to load: Depends (without R), Imports and
  // LinkingTo, without the base packages, each name once (the first occurrence, in that order).
  std::vector<Dependency> runtime_dependencies() const;
};

// Reads the fields above from one paragraph. `origin` names the file in messages
// ("DESCRIPTION", "https://…/PACKAGES"). invalid_input naming origin:line for a missing or
// invalid `Package:` or `Version:`, a bad dependency field, a bad `Built:`, a `NeedsCompilation:`
// other than yes/no. Values need not be UTF-8 (`Encoding: latin1`): they are kept as bytes and
// quoted through util::printable_excerpt.
Result<PackageRecord> record_from_paragraph(const dcf::Paragraph& paragraph, std::string_view origin);

// A DESCRIPTION file: exactly one paragraph.
Result<PackageRecord> parse_description(std::string_view text, std::string_view origin);

// A repository's PACKAGES index. Paragraphs whose OS_type is set and not `unix` are skipped;
// when a name appears more than once the highest version is kept (as R's available.packages
// does), the first of equal versions. Sorted by name. Any bad paragraph fails the whole index,
// naming origin:line.
Result<std::vector<PackageRecord>> parse_packages_index(std::string_view text, std::string_view origin);

// R's rule for loading a binary package (R's library() and tools:::.getRequiredPackages2):
// it must have `Built:` (else "`name` is a source package"), built by the same R major version
// as the target, by an R whose minor version is no newer than the target's (R only warns; we
// refuse, as a package built by a newer R may call functions the target lacks; a newer patch of
// the same x.y is accepted, as binary repositories build each series with its latest patch), not before 4.0.0 when the target is R 4.x
// (R refuses those), whose `Depends: R (op x)` constraints all hold for the target, with OS type unix, and a platform that is empty (no compiled code) or
// `<target_arch>-*-linux-gnu`. `target_arch` is "x86_64" or "aarch64".
// Refusals are ErrorKind::unsatisfiable (the package exists; it is the wrong build for this R,
// the user picks another snapshot or R version), with the message "`name` version: <why>".
Result<void> check_loadable(const PackageRecord& record, const Version& target_r, std::string_view target_arch);

}  // namespace mlpack::cran
