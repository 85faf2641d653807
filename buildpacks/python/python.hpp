#pragma once
// The python buildpack: what a project's Python files ask for (requirements.txt, pyproject.toml,
// runtime.txt / .python-version, in the root or binder/), resolved for the image's interpreter and
// platform into pinned, hash-verified wheels recorded in mlpack.lock.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "detectors/project.hpp"
#include "detectors/pyproject.hpp"
#include "detectors/python_version.hpp"
#include "detectors/requirements.hpp"
#include "lock/lockfile.hpp"
#include "net/http.hpp"
#include "pyindex/index.hpp"
#include "pypi/tags.hpp"
#include "util/environment.hpp"
#include "util/transfer.hpp"

namespace mlpack::buildpacks::python {

namespace fs = std::filesystem;
using util::Result;

struct Inputs {
  fs::path root;     // the project, absolute
  fs::path env_dir;  // where the environment files were found (the root, binder/ or .binder/)
  std::optional<detectors::RequirementsFile> requirements;
  std::optional<detectors::PyProject> pyproject;
  std::optional<detectors::PythonVersionFile> version_file;
  // A lockfile another tool wrote (uv.lock, poetry.lock, Pipfile.lock, pylock[.name].toml), relative
  // to the root: when present it is what gets installed, exactly, instead of resolving.
  std::optional<std::string> lockfile;
  std::string lockfile_digest;     // sha256 of its bytes, for the lock's inputs digest
  std::vector<std::string> files;  // what was understood, relative to the project root
  // The environment the CLI read: PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS add to
  // the indexes, as they do for pip.
  util::Environment env;

  bool has_dependencies() const;
};

// Reads the Python files (no network); `env` is the environment requirements files expand
// ${VAR} from, and where PIP_INDEX_URL… come from. Malformed files are invalid_input naming
// file:line.
Result<Inputs> detect(const fs::path& project, const util::Environment& env = {});

// Which optional parts of pyproject.toml to install.
struct Selection {
  std::vector<std::string> extras;  // --extra
  std::vector<std::string> groups;  // --group
};

// The interpreter and platform the wheels must run on.
struct Target {
  std::string python;       // "3.11"
  std::string python_full;  // "3.11.2"; may equal `python`
  std::string arch = "x86_64";  // uname -m
  std::optional<std::pair<int, int>> glibc;
};

// "amd64" → "x86_64", "arm64" → "aarch64" (OCI architecture to uname -m).
std::string machine_for(std::string_view oci_arch);

// Where packages come from: requirements.txt options first, then PIP_INDEX_URL,
// PIP_EXTRA_INDEX_URL and PIP_FIND_LINKS of `inputs.env` (space-separated), else PyPI; the
// credentials from the netrc file `inputs.env` names (NETRC, else ~/.netrc).
pyindex::IndexOptions index_options(const Inputs& inputs, const fs::path& cache_dir,
                                    util::TransferObserver* transfers = nullptr);

// What the lock depends on, for the inputs digest: the parsed requirements (not the file bytes, so
// comments do not invalidate a lock), the selection and the index configuration.
nlohmann::json describe(const Inputs& inputs, const Selection& selection);

// What the project's own files (runtime.txt / .python-version) ask for, if anything: "3", "3.11" or
// "3.11.4" (detectors::PythonVersionFile).
std::optional<std::string> requested_python(const Inputs& inputs);

// Resolves the project's requirements for `target`; with a lockfile, takes its pins as they are
// (resolve_lockfile). Nothing to resolve gives an empty list.
// `transfers` is told about downloads (a wheel fetched for its metadata); it may be null.
Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const fs::path& cache_dir, std::shared_ptr<net::HttpClient> http = nullptr,
                                           util::TransferObserver* transfers = nullptr);

// The lockfile in `project`, by precedence: pylock.toml (or a single pylock.<name>.toml), uv.lock,
// poetry.lock, Pipfile.lock. Several pylock.<name>.toml and no pylock.toml is invalid_input.
Result<std::optional<std::string>> find_lockfile(const fs::path& project);

// The compatibility target of `target` (invalid_input when its Python is not X.Y).
Result<pypi::Target> pypi_target(const Target& target);

// The lockfile's distributions for `target` (markers evaluated, extras/groups selected), each with
// the best-fitting wheel among the files the lockfile allows; files named only by hash or filename
// (Pipfile.lock, poetry.lock) are found on the index by their sha256. A pinned distribution with
// no wheel for the target is unsatisfiable naming it; a source tree or repository is
// invalid_input (mlpack never runs a build backend).
Result<std::vector<lock::Package>> resolve_lockfile(const Inputs& inputs, const Selection& selection,
                                                    const Target& target, const fs::path& cache_dir,
                                                    std::shared_ptr<net::HttpClient> http = nullptr,
                                                    util::TransferObserver* transfers = nullptr);

}  // namespace mlpack::buildpacks::python

#include "buildpacks/facts.hpp"
#include "archive/layer.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::buildpacks::python {

// "3.11.2-1+b1" → "3.11.2": the leading dotted number of a Debian version's upstream part (what
// python3 and libc6 package versions say of the interpreter and the C library).
std::string debian_upstream_number(const std::string& version);

// What the base says of its Python, for the venv's interpreter.
struct BasePython {
  bool debian = false;                    // the base image has Debian's python3 package
  std::vector<std::string> interpreters;  // "/usr/local/bin/python3.12"… found in its files
  std::string version;                    // "3.12.1" when the base says (PYTHON_VERSION), else ""
};

// The venv the image gets: /opt/venv on the base's interpreter. Debian's python3 (in the lock or the
// base image) is /usr/bin/python3.X; otherwise it is the python3.X the base image's files have,
// /usr/local/bin first (the official python images). A base without python3.X is invalid_input.
Result<wheel::VenvLayout> venv_layout(const lock::LockFile& lock, const BasePython& base);

// Debian's python3-* packages from apt.txt are importable in the venv when the lock has any.
wheel::VenvOptions venv_options(const lock::LockFile& lock);

// How the venv is cut into layers, so that images share their large packages and a change to a
// small one does not rebuild a large one: each wheel of at least `large_bytes` (the lock's size)
// gets a layer of its own, largest first and at most `budget - 1` of them, ordered by name; the
// venv skeleton and every other wheel share one layer, last. Always at least that one group.
struct VenvGroup {
  std::vector<const lock::Package*> wheels;  // sorted by name
  bool skeleton = false;                     // holds pyvenv.cfg, bin/python…
  std::string contents;                      // "python: torch 2.3.0", "python: 41 packages in /opt/venv"
};
inline constexpr std::size_t default_venv_budget = 8;
inline constexpr std::uint64_t default_large_wheel = 50ull << 20;
std::vector<VenvGroup> plan_venv(const lock::LockFile& lock, const wheel::VenvLayout& layout,
                                 std::size_t budget = default_venv_budget,
                                 std::uint64_t large_bytes = default_large_wheel);

// The venv's layers as the image's layer plan has them (facts::layer_plan, lib/layerplan): the venv
// skeleton alone first (its bytes depend on the interpreter only, so every project on the same
// Python shares it), then the plan's pypi layers bottom to top, each described by the plan (history
// text naming its packages). A venv wheel the plan leaves out, or puts twice, is an internal error.
Result<std::vector<VenvGroup>> plan_venv(const lock::LockFile& lock, const wheel::VenvLayout& layout,
                                         const facts::LayerPlan& plan);

// The text a venv layer's cache key is derived from: the layout, the options and the group's wheels.
std::string layer_key_text(const VenvGroup& group, const wheel::VenvLayout& layout, const wheel::VenvOptions& options);

// The project itself when pyproject.toml has a [project] table with a name: importable from /app,
// or /app/src when the project has a src/ folder (the src layout).
std::optional<wheel::Project> project_of(const Inputs& inputs);

struct VenvLayer {
  std::vector<archive::Entry> entries;  // stream from the verified wheels when written
  std::string contents;                 // "python: 12 packages in /opt/venv"
};

// Downloads (or finds in the cache) the wheels of every group, verifying each sha256, installs
// them, checks that no two distributions in any group write the same path, and returns each
// group's layer entries in the order of `groups`.
// `netrc` holds the index credentials (Netrc::default_path); nullopt: none.
Result<std::vector<VenvLayer>> assemble(const std::vector<VenvGroup>& groups, const wheel::VenvLayout& layout,
                                        const wheel::VenvOptions& options, const fs::path& cache_dir,
                                        std::shared_ptr<net::HttpClient> http = nullptr,
                                        util::TransferObserver* transfers = nullptr,
                                        std::optional<fs::path> netrc = std::nullopt,
                                        const archive::UnpackLimits& unpack = {});

// Downloads (or finds in the cache) each locked wheel, verifying its sha256, and installs it into
// `layout` (the wheel must be what the lock names), four at a time; the distributions in the
// order of `wheels`. What the venv's groups and conda's `pip:` layer share.
Result<std::vector<wheel::Distribution>> install_locked_wheels(const std::vector<const lock::Package*>& wheels,
                                                               const wheel::VenvLayout& layout,
                                                               const fs::path& cache_dir,
                                                               std::shared_ptr<net::HttpClient> http,
                                                               util::TransferObserver* transfers,
                                                               std::optional<fs::path> netrc,
                                                               const archive::UnpackLimits& unpack);

// The project's own layer: a .pth naming its import root, its .dist-info and its script launchers.
Result<VenvLayer> project_layer(const wheel::Project& project, const wheel::VenvLayout& layout);

}  // namespace mlpack::buildpacks::python
