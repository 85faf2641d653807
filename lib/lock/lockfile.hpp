#pragma once
// mlpack.lock: every resolved input, pinned to an exact version, source and sha256. YAML, in a
// stable order (packages sorted by ecosystem, name, architecture), so it reads well in a diff.
// Resolving writes it; assembling reads only it (STYLE.md habit 6).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace mlpack::lock {

using util::Result;

inline constexpr int current_version = 1;

struct Target {
  std::string platform = "linux/amd64";
  std::optional<std::string> python;  // "3.11"
  std::optional<std::string> cuda;    // "12.1"
  std::optional<std::string> r;       // "4.2.2": the exact R the image runs (R packages are built for it)
  std::optional<std::string> glibc;   // "2.36": the base's C library, which decides manylinux wheels
  // conda: the virtual packages the solve assumed for the target ("__glibc" → "2.36", "__archspec"
  // → "1=x86_64"), never the build machine's.
  std::map<std::string, std::string> virtual_packages;

  // Everything but the platform, in the lock's order, for output that lists the target whatever
  // it holds (`mlpack lock --json`).
  std::vector<std::pair<std::string, std::optional<std::string>>> entries() const {
    return {{"python", python}, {"cuda", cuda}, {"glibc", glibc}, {"r", r}};
  }
};

// One package repository the lock refers to (an apt archive, a Python index, a conda channel).
struct Source {
  std::string ecosystem;  // "deb" | "pypi" | "conda" | "cran"
  std::string url;
  std::string suite;  // apt
  std::vector<std::string> components;
  std::string snapshot;  // apt: snapshot.debian.org timestamp, for refetching what mirrors dropped
};

struct Package {
  std::string ecosystem;     // "deb" | "pypi" | "conda" | "cran"
  std::string name;
  std::string version;
  std::string architecture;  // deb: amd64/all; empty elsewhere
  std::string source;        // the repository URL it came from
  std::string filename;      // path below `source` (deb: the Packages "Filename")
  std::string sha256;        // hex
  std::uint64_t size = 0;
  // Ecosystem-specific extras (e.g. deb "layer: os"); written sorted.
  std::map<std::string, std::string> extra;
  // What the package needs and what it restricts, as its ecosystem writes them (conda: `depends`
  // and `constrains` MatchSpecs), for the dependency graph an SBOM reports. Written in this order.
  std::vector<std::string> depends;
  std::vector<std::string> constrains;

  // The URL to download: source + "/" + filename.
  std::string url() const;
};

struct LockFile {
  int version = current_version;
  Target target;
  std::string base;         // "debian:bookworm" or an image reference
  std::string base_digest;  // the image base's manifest digest, pinned; empty for a distribution
  // sha256 of what the project asked for (apt.txt, requirements…), so `--locked` can tell when
  // the lock no longer matches the project.
  std::string inputs_digest;
  // The digest of each part of the inputs ("base", "apt", "python"), so a stale lock can say
  // what changed.
  std::map<std::string, std::string> input_parts;
  std::vector<Source> sources;
  std::vector<Package> packages;

  // Sorts packages and sources into the stable order.
  void normalize();
};

// Parses a lock. Errors are ErrorKind::invalid_input naming `source_name`, line and column;
// an unknown `version` is refused with a message saying which versions are understood.
Result<LockFile> parse(std::string_view yaml, std::string_view source_name = "mlpack.lock");
// Serialises in the stable order (normalize() is applied to a copy).
std::string emit(const LockFile& lock);

Result<LockFile> read(const std::filesystem::path& path);
// Writes atomically (temporary file + rename).
Result<void> write(const std::filesystem::path& path, const LockFile& lock);

}  // namespace mlpack::lock
