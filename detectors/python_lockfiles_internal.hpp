#pragma once
// Shared by the lockfile importers (python_lockfiles_*.cpp); not part of the detectors' API.
#include <toml++/toml.h>

#include <span>
#include <string>
#include <string_view>

#include "detectors/project_file.hpp"
#include "detectors/python_lockfiles.hpp"

namespace mlpack::detectors::lockfiles {

using util::Result;

// What one import knows about where it is and what it is for.
struct Context {
  fs::path path;          // the lockfile
  std::string file;       // the lockfile relative to the project root, for messages
  fs::path project_root;
  const pypi::MarkerEnvironment& env;
  const LockSelection& selection;

  // invalid_input "file[:line[:column]]: what".
  util::Error error(std::string_view what, int line = 0, int column = 0) const;
  util::Error error(const toml::node& at, std::string_view what) const;

  // A path the lockfile names, relative to the lockfile's folder (or absolute), made absolute
  // and lexically normal.
  fs::path resolve(std::string_view relative) const;
};

// Parses TOML; syntax errors name file:line:column.
Result<toml::table> parse_toml(const Context& ctx, std::string_view text);

// Whether `marker` (PEP 508 text) holds on the target with `extras`; a marker that does not
// parse is invalid_input at `at`, naming `package`.
Result<bool> marker_holds(const Context& ctx, const toml::node& at, std::string_view package,
                          std::string_view marker, std::span<const std::string> extras = {});
// The same for markers found outside TOML (Pipfile.lock), with a line when known.
Result<bool> marker_holds_at(const Context& ctx, int line, std::string_view package, std::string_view marker,
                             std::span<const std::string> extras = {});

// "sha256:<hex>" → "<hex>" (lowercase). "" when the algorithm is not sha256; invalid_input
// naming `package` when the value is not `algorithm:hex` or a sha256 is not 64 hex digits.
Result<std::string> sha256_of(const Context& ctx, const toml::node* at, int line, std::string_view package,
                              std::string_view hash);
bool is_sha256_hex(std::string_view hex);

// The last segment of a URL or path, percent-decoded ("numpy-2.0.0-cp311-…whl").
std::string last_segment(std::string_view url_or_path);

// Whether the target's Python (python_full_version, else python_version) satisfies `specifier`;
// true when the environment names no Python.
Result<bool> python_satisfies(const Context& ctx, const toml::node* at, std::string_view specifier);

// Where an unsatisfiable requires-python message points: file:line, or (uv.lock) only the file.
enum class ShowLine { yes, no };

// The specifier of the `requires-python` at `rp`, which the target's Python satisfies.
// invalid_input when it is not a string; unsatisfiable when it excludes the target's Python.
// `package` names the entry it belongs to, "" for the lock as a whole.
Result<std::string> checked_requires_python(const Context& ctx, const toml::node& rp, std::string_view package,
                                            ShowLine show_line);

// invalid_input at `at` unless one of `files` has a sha256: mlpack installs only what it can verify.
Result<void> require_a_sha256(const Context& ctx, const toml::node& at, std::string_view name,
                              std::string_view version, std::span<const LockedFile> files);

// PEP 503 names of extras/groups in the selection.
std::vector<std::string> normalized(std::span<const std::string> names);

// TOML accessors.
const toml::table* table_of(const toml::node* n);
const toml::array* array_of(const toml::node* n);
std::optional<std::string> string_of(const toml::node* n);
int line_of(const toml::node& n);

// One importer per format.
// The TOML lockfiles are parsed once, by the dispatcher; each importer reads the document.
Result<ImportedLock> import_uv(const Context& ctx, const toml::table& doc);
Result<ImportedLock> import_poetry(const Context& ctx, const toml::table& doc);
Result<ImportedLock> import_pylock(const Context& ctx, const toml::table& doc);
Result<ImportedLock> import_pipfile(const Context& ctx, std::string_view text);

}  // namespace mlpack::detectors::lockfiles
