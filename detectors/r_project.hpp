#pragma once
// An R project's files, read and checked but not resolved: DESCRIPTION (a DCF file: Depends,
// Imports, LinkingTo with their constraints, `Depends: R (>= x)`, Remotes), renv.lock (renv 0.x and
// 1.x), runtime.txt as repo2docker reads it (`r-4.3-2024-01-15`, `r-2024-01-15`) and install.R,
// which is read, never run. Files live in environment_dir(project_root) (binder/, else .binder/,
// else the root), are read through read_project_file and quoted through quote_text. Nothing here
// touches the network or reads environment variables. Errors in a file are
// ErrorKind::invalid_input, "file:line: what", the file as the project shows it.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

// One package the project asks for, with where it asks.
struct RRequirement {
  std::string name;
  std::optional<std::string> constraint;     // ">= 1.0" as cran::Constraint::str() writes it
  std::optional<std::string> exact_version;  // install_version("a", "1.2") and renv.lock pins
  std::string file;                          // as shown to people: "DESCRIPTION", "binder/install.R"
  int line = 0;                              // where the entry is written (1-based)
  std::string field;                         // "Depends", "Imports", "LinkingTo", "install.R", "renv.lock"
};

struct RenvRepository {
  std::string name;
  std::string url;  // as written, credentials included: show it through util::redact_url
};

struct RenvPackage {
  std::string name;
  std::string version;
  std::string source;       // "Repository", "CRAN" (renv 0.x), "Bioconductor", "GitHub", "Local", …
  std::string repository;   // "CRAN", "RSPM", a repository URL, or ""
  std::string remote_type;  // RemoteType: "standard", "github", … or ""
  std::string hash;         // renv's Hash, or ""
  // The packages it needs, in lockfile order, each once, without R and the base packages:
  // `Requirements` (renv 1.0), else the names in Depends, Imports and LinkingTo (renv 1.1).
  std::vector<std::string> requirements;
  int line = 0;  // where its entry under "Packages" starts
};

struct RenvLock {
  std::string file;
  std::optional<std::string> r_version;             // R.Version
  std::vector<RenvRepository> repositories;         // R.Repositories, in order
  std::optional<std::string> bioconductor_version;  // Bioconductor.Version
  std::vector<RenvPackage> packages;                // in file order, every Source kept
};

// runtime.txt's R pin.
struct RRuntime {
  std::optional<std::string> version;        // "4.3" or "4.3.2"; nullopt for `r-YYYY-MM-DD`
  std::optional<std::string> snapshot_date;  // "2024-01-15"; nullopt for `r-4.3`
  std::string file;
  int line = 0;
};

// A DESCRIPTION file as a project's declaration of what it needs.
struct RDescription {
  std::string file;
  std::optional<std::string> package;    // Package, when given
  std::optional<std::string> r_minimum;  // `Depends: R (>= 4.1.0)` → "4.1.0" (the highest lower bound)
  int r_minimum_line = 0;
  std::vector<RRequirement> requirements;  // Depends, Imports, LinkingTo in that order; no base packages
  std::vector<std::string> remotes;        // Remotes entries, trimmed, as written (noted, not built)
};

struct RProject {
  std::vector<std::string> files;            // read, as shown: "DESCRIPTION", "binder/runtime.txt"
  std::optional<std::string> r_version;      // wanted "4.3" or "4.3.2": runtime.txt, else renv.lock R.Version
  std::string r_version_origin;              // "runtime.txt:1", "renv.lock"; "" without r_version
  std::optional<std::string> r_minimum;      // DESCRIPTION `Depends: R (>= x)`: the version text
  std::optional<std::string> snapshot_date;  // runtime.txt `r-4.3-2024-01-15` / `r-2024-01-15` → "2024-01-15"
  // DESCRIPTION's, then install.R's, then renv.lock's (each package pinned exactly), base packages
  // dropped. A name may appear more than once (Imports and LinkingTo; DESCRIPTION and renv.lock):
  // the resolver meets them all.
  std::vector<RRequirement> requirements;
  std::vector<std::string> remotes;  // DESCRIPTION Remotes (noted, not built)
  std::optional<RenvLock> renv;
  bool has_r_files = false;  // has_r_files(project_root)
};

// Each reader takes the file's path (absolute, or relative to the working directory) and the
// project root; a missing file is not_found. The `_text` forms parse text already read, `shown`
// naming the file in messages; they are what the fuzz target drives.

// DESCRIPTION: one DCF paragraph (R allows no comments; an empty file declares nothing). Each
// requirement carries the line its entry is written on, continuation lines counted. Refused,
// naming file:line: text that is not DCF, more than one paragraph, a dependency field R would not
// parse (cran::parse_dependencies).
Result<RDescription> parse_r_description_text(std::string_view text, std::string_view shown);
Result<RDescription> parse_r_description(const fs::path& path, const fs::path& project_root);

// renv.lock (JSON; renv 0.x and 1.x: `R`, `Bioconductor`, `Packages`; `Python` and unknown keys
// ignored). Refused, naming file:line: text that is not JSON, nesting deeper than 64, a known key
// of the wrong type, a package without `Version` or with a version R would not parse, an entry
// whose `Package` differs from its key, a package listed twice. Records of every Source are kept
// (GitHub, Local, Bioconductor git): whoever installs decides what it can install.
Result<RenvLock> parse_renv_lock_text(std::string_view text, std::string_view shown);
Result<RenvLock> parse_renv_lock(const fs::path& path, const fs::path& project_root);

// runtime.txt, as repo2docker reads it: its first line that is neither blank nor a `#` comment.
// nullopt when that line does not start with `r-` (a Python pin, or nothing). Accepted:
// `r-X.Y[.Z]-YYYY-MM-DD`, `r-YYYY-MM-DD` (repo2docker's forms) and `r-X.Y[.Z]` (a version with no
// snapshot: the latest one). Any other `r-…`, or a date that is not a calendar date, is refused
// naming file:line.
Result<std::optional<RRuntime>> parse_r_runtime_text(std::string_view text, std::string_view shown);
Result<std::optional<RRuntime>> read_r_runtime(const fs::path& path, const fs::path& project_root);

// install.R, read as R source but never run. Understood, one call a statement (statements end at a
// newline outside parentheses or at `;`; `#` comments and blank lines anywhere):
//   install.packages("a") / install.packages(c("a", "b")) / utils::install.packages(pkgs = …),
//     named arguments after the packages ignored (repos =, dependencies =, type = …);
//   install_version("a", "1.2") / remotes::install_version("a", version = "1.2") (also devtools::):
//     an exact version, or one constraint such as ">= 1.2";
//   library(x) / require(x) / requireNamespace("x"), which install nothing and are skipped.
// Anything else (an assignment, an `if`, install_github, options(repos = …), a package name that
// is not one, a raw string, a third positional argument) is refused naming file:line and
// suggesting a DESCRIPTION. Base packages are dropped.
Result<std::vector<RRequirement>> parse_install_r_text(std::string_view text, std::string_view shown);
Result<std::vector<RRequirement>> parse_install_r(const fs::path& path, const fs::path& project_root);

// Whether the project has R code: a `.R`, `.r`, `.Rmd`, `.rmd` or `.qmd` file under the root. The
// walk is bounded (depth 12, 20,000 entries), follows no links and skips `.git`, `.mlpack`,
// `node_modules`, `packrat` and `renv/library`; what it cannot read counts as absent.
bool has_r_files(const fs::path& project_root);

// The R part of the project: DESCRIPTION, renv.lock, runtime.txt (when it pins R) and install.R in
// environment_dir(project_root), each read when present. nullopt when the project has none of them
// (R files alone do not make an R project). r_version comes from runtime.txt, else from
// renv.lock's R.Version; the first file's error is returned as is.
Result<std::optional<RProject>> read_r_project(const fs::path& project_root);

}  // namespace mlpack::detectors
