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

#include "detectors/python.hpp"
#include "lock/lockfile.hpp"
#include "net/http.hpp"
#include "pyindex/index.hpp"

namespace mlpack::buildpacks::python {

namespace fs = std::filesystem;
using util::Result;

struct Inputs {
  fs::path env_dir;  // where the environment files were found (the root, binder/ or .binder/)
  std::optional<detectors::RequirementsFile> requirements;
  std::optional<detectors::PyProject> pyproject;
  std::optional<detectors::PythonVersionFile> version_file;
  std::vector<std::string> files;  // what was understood, relative to the project root

  bool has_dependencies() const;
};

// Reads the Python files (no network). Malformed files are invalid_input naming file:line.
Result<Inputs> detect(const fs::path& project);

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

// Where packages come from: requirements.txt options first, then $PIP_INDEX_URL,
// $PIP_EXTRA_INDEX_URL and $PIP_FIND_LINKS (space-separated), else PyPI.
pyindex::IndexOptions index_options(const Inputs& inputs, const fs::path& cache_dir);

// What the lock depends on, for the inputs digest: the parsed requirements (not the file bytes, so
// comments do not invalidate a lock), the selection and the index configuration.
nlohmann::json describe(const Inputs& inputs, const Selection& selection);

// The requested Python X.Y from the project's own files (runtime.txt / .python-version), if any.
std::optional<std::string> requested_python(const Inputs& inputs);

// Resolves the project's requirements for `target`. Nothing to resolve gives an empty list.
Result<std::vector<lock::Package>> resolve(const Inputs& inputs, const Selection& selection, const Target& target,
                                           const fs::path& cache_dir, std::shared_ptr<net::HttpClient> http = nullptr);

}  // namespace mlpack::buildpacks::python

#include "archive/layer.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::buildpacks::python {

// "3.11.2-1+b1" → "3.11.2": the leading dotted number of a Debian version's upstream part (what
// python3 and libc6 package versions say of the interpreter and the C library).
std::string debian_upstream_number(const std::string& version);

// The venv the image gets: /opt/venv on the base's interpreter. A Debian base (a python3 package
// in the lock or the base image) has it at /usr/bin/python3.X; other image bases are assumed to
// follow the official python images (/usr/local/bin/python3.X).
Result<wheel::VenvLayout> venv_layout(const lock::LockFile& lock, bool base_has_debian_python);

// The text a venv layer's cache key is derived from: the layout and every locked wheel.
std::string layer_key_text(const lock::LockFile& lock, const wheel::VenvLayout& layout);

struct VenvLayer {
  std::vector<archive::Entry> entries;  // stream from the verified wheels when written
  std::string contents;                 // "python: 12 packages in /opt/venv"
};

// Downloads (or finds in the cache) every locked `pypi` wheel, verifying its sha256, and installs
// them into the venv's layer entries. Returns nothing when the lock has no `pypi` packages.
Result<std::optional<VenvLayer>> assemble(const lock::LockFile& lock, const wheel::VenvLayout& layout,
                                          const fs::path& cache_dir, std::shared_ptr<net::HttpClient> http = nullptr);

}  // namespace mlpack::buildpacks::python
