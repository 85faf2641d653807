#pragma once
// conda match specs (CEP 29, conda's MatchSpec): `channel(/subdir)::name version build`,
// `name=version=build`, and brackets `name[version='…',build=…,build_number=…,md5=…,sha256=…,
// subdir=…,channel=…,…]`, which win over the positional parts. Build strings are globs (`py3*`) or
// regexes (`^…$`). Package URLs and tarball paths are refused as unsupported for now.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conda/version_spec.hpp"
#include "util/error.hpp"

namespace mlpack::conda {

// What a match spec is matched against: one entry of a channel's repodata.
struct PackageRecord {
  std::string name;
  std::string version;
  std::string build;
  std::uint64_t build_number = 0;
  std::string subdir;
  std::string channel;
  std::string fn;
  std::string url;
  std::string md5;
  std::string sha256;
  std::string license;
  std::string license_family;
  std::vector<std::string> track_features;
  std::vector<std::string> features;
  std::vector<std::string> depends;
  std::vector<std::string> constrains;
  std::uint64_t timestamp = 0;  // milliseconds since the epoch (repodata's seconds are scaled)
  std::uint64_t size = 0;       // bytes of the package file; 0 when the repodata does not say
  std::string noarch;           // "python", "generic" or "" (not noarch)
  std::string python_site_packages_path;  // CEP 17: where a python package installs, when it says
};

class MatchSpec {
 public:
  // Parses a spec as conda does; invalid_input "invalid match spec `…`: <reason>" otherwise.
  static Result<MatchSpec> parse(std::string_view text);

  // The canonical form conda prints: `conda-forge/linux-64::numpy==1.7=py27_0`, `numpy=1.7`
  // (prefix), `numpy[version='>=1.5',build=py27*]`, `*[md5=…]`.
  std::string str() const;

  const std::string& name() const { return name_; }
  const std::optional<VersionSpec>& version() const { return version_; }
  const std::optional<std::string>& build() const { return build_; }
  const std::optional<std::string>& build_number() const { return build_number_; }
  const std::optional<std::string>& channel() const { return channel_; }
  const std::optional<std::string>& subdir() const { return subdir_; }

  bool matches(const PackageRecord& record) const;

 private:
  std::string name_ = "*";
  std::optional<VersionSpec> version_;
  std::optional<std::string> build_;
  std::optional<std::string> build_number_;
  std::optional<std::string> channel_;
  std::optional<std::string> subdir_;
  // Other bracket keys, in the order str() writes them: track_features, features, url, fn, md5,
  // sha256, license, license_family.
  std::vector<std::pair<std::string, std::string>> extra_;
};

}  // namespace mlpack::conda
