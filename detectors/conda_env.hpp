#pragma once
// conda environment files, read and checked but not solved: environment.yml / environment.yaml
// (CEP 24, and what `conda env create` accepts in practice), conda-lock.yml (CEP 37, version 1)
// and explicit files (`@EXPLICIT`, as `conda list --explicit` and conda-lock write them).
// MatchSpecs stay strings with where they were written; lib/conda parses them. Nothing here touches
// the network or reads environment variables (`${VAR}` in a channel is kept as written).
// Errors in a file are ErrorKind::invalid_input, "file:line:column: what", the file relative to the
// project root; URLs in messages have their credentials removed (conda::redact_channel_url).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detectors/python_requirement.hpp"
#include "detectors/requirements.hpp"
#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

// A string from a file, as written, with where it starts (1-based; column 0 when the format has none).
struct CondaSpec {
  std::string text;
  std::string file;  // relative to the project root
  int line = 0;
  int column = 0;
};

// The `pip:` mapping inside `dependencies`. conda writes these entries to a requirements file beside
// the environment file and runs pip there, so paths are relative to the environment file's folder.
struct CondaPipSection {
  std::vector<PythonRequirement> requirements;  // plain requirement lines, PEP 508 checked
  // Option lines as written (`--index-url URL`, `-e ./dir`, `-f dir`, `--pre`…). pip's options for
  // requirements files are accepted; what they mean is for the installer (an editable or VCS
  // requirement is not judged here).
  std::vector<CondaSpec> options;
  // `-r FILE` / `-c FILE`, read with parse_requirements_file (constraints marked `constraint`).
  std::vector<RequirementsFile> includes;
};

struct CondaEnvironment {
  std::string file;                           // relative to the project root
  std::optional<std::string> name;
  std::vector<CondaSpec> channels;            // in order, `nodefaults` left out
  bool nodefaults = false;                    // `nodefaults` was listed: no implicit `defaults`
  std::vector<CondaSpec> dependencies;        // MatchSpec strings, as written
  std::optional<CondaPipSection> pip;         // the one `- pip:` mapping, when there is one
  std::map<std::string, std::string> variables;
  std::optional<std::string> prefix;          // recorded only: an image has its own prefix
  std::vector<std::string> ignored_keys;      // unknown top-level keys conda would ignore too
};

// Reads environment.yml. `path` may be relative to `project_root`. A missing file is not_found.
Result<CondaEnvironment> parse_conda_environment(const fs::path& path, const fs::path& project_root);

struct CondaLockPackage {
  std::string name;
  std::string version;
  std::string manager;   // "conda" or "pip"
  std::string platform;  // one of the metadata's platforms
  std::string url;       // as written, credentials included: never show it unredacted
  std::string md5;       // lowercase hex, or empty
  std::string sha256;    // lowercase hex, or empty (at least one of the two is set)
  std::map<std::string, std::string> dependencies;  // name -> constraint, as written
  std::string category = "main";
  bool optional = false;
  int line = 0;          // where the package's entry starts
};

struct CondaLock {
  std::string file;
  std::vector<std::string> platforms;
  std::vector<std::string> channels;                  // channel URLs or names, as written
  std::map<std::string, std::string> content_hash;    // platform -> hash
  std::vector<CondaLockPackage> packages;             // in file order
};

// Reads conda-lock.yml, `version: 1` only (another version is invalid_input naming it).
Result<CondaLock> parse_conda_lock(const fs::path& path, const fs::path& project_root);

struct ExplicitPackage {
  std::string url;     // without the fragment; credentials included: never show it unredacted
  std::string md5;     // lowercase hex, or empty
  std::string sha256;  // lowercase hex, or empty
  int line = 0;
};

struct ExplicitEnvironment {
  std::string file;
  std::optional<std::string> platform;  // from a `# platform: linux-64` comment, when present
  std::vector<ExplicitPackage> packages;
};

// Reads an explicit file: comments (`#`) and blank lines anywhere, an `@EXPLICIT` line before the
// first package, then one package URL a line (`scheme://…` or an absolute path) naming a `.conda` or
// `.tar.bz2`, optionally with a hash fragment: `#<32 hex>` (md5), `#<64 hex>` (sha256),
// `#md5:<hex>`, `#sha256:<hex>`. Anything else (a MatchSpec, a relative name) is invalid_input.
Result<ExplicitEnvironment> parse_explicit_environment(const fs::path& path, const fs::path& project_root);

// Whether `text` holds an `@EXPLICIT` line (how conda tells an explicit file from a requirements list).
bool is_explicit_file(std::string_view text);

enum class CondaEnvKind { conda_lock, explicit_lock, environment_yml };

struct CondaEnvFiles {
  CondaEnvKind kind = CondaEnvKind::environment_yml;
  std::vector<fs::path> paths;  // one file; for explicit locks every `conda-<platform>.lock`, sorted
};

// Which conda environment file the project uses, looked for in environment_dir(project_root)
// (binder/, else .binder/, else the root) and nowhere else. As a lockfile wins over requirements for
// Python, a lock wins over environment.yml. First match wins:
//   1. conda-lock.yml (conda-lock's unified lock; conda-lock.yaml is the same file);
//   2. conda-<platform>.lock files holding `@EXPLICIT` (conda-lock's rendered explicit locks; the
//      caller picks the target's platform);
//   3. environment.yml, else environment.yaml (both present is invalid_input: which one was meant
//      is not ours to guess).
// nullopt when there is none. Files are only found here, not parsed.
Result<std::optional<CondaEnvFiles>> find_conda_env(const fs::path& project_root);


}  // namespace mlpack::detectors
