#pragma once
// Debian packages for the generic resolver: an index of Packages paragraphs from one or more
// repositories (plus what a base image already has installed) and a resolve::Provider over it for
// one target architecture, following Debian Policy §7 and the Multi-Arch spec.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deb/control.hpp"
#include "deb/dpkg_db.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"
#include "resolve/resolver.hpp"

namespace mlpack::deb {

// One version of one package for one architecture, as an index describes it.
struct IndexPackage {
  std::string name;
  Version version;
  std::string architecture;  // "amd64", "all", ...
  std::string multi_arch;    // "same", "foreign", "allowed" or empty ("no")
  std::vector<Alternatives> pre_depends;
  std::vector<Alternatives> depends;
  std::vector<Relation> provides;
  std::vector<Relation> conflicts;
  std::vector<Relation> breaks;
  bool essential = false;
  std::string priority;  // "required", "important", "standard", "optional", "extra", or empty
  std::string filename;  // pool path relative to the repository root; empty for installed-only
  std::uint64_t size = 0;
  std::uint64_t installed_size = 0;  // bytes: Installed-Size (KiB) × 1024; 0 when not given
  std::string sha256;
  std::size_t repository = 0;  // index into PackageIndex::repositories()
  bool installed = false;      // present in the base image's dpkg status
};

class PackageIndex {
 public:
  // Adds every paragraph of a Packages file. `repository` names it in errors and in the lock
  // ("http://deb.debian.org/debian bookworm/main amd64"); earlier repositories win ties between
  // identical versions. A paragraph whose fields do not parse is an error naming the repository,
  // the line and the package (invalid_input).
  Result<void> add_packages(std::string_view packages_text, std::string_view repository);
  Result<void> add_paragraph(const Paragraph& p, std::size_t repository, std::string_view source = "Packages");
  std::size_t add_repository(std::string_view name);

  // Records what a base image has installed. A package with the same name, version and
  // architecture in the index is marked installed; otherwise the status paragraph itself is added
  // (with no Filename), so installed packages always satisfy dependencies without reinstalling.
  Result<void> add_installed(std::span<const InstalledPackage> installed);

  const std::vector<IndexPackage>& packages() const { return packages_; }
  const IndexPackage& package(std::uint32_t id) const { return packages_[id]; }
  const std::vector<std::string>& repositories() const { return repositories_; }
  // Ids of the packages named `name` / providing `name`, in insertion order.
  std::span<const std::uint32_t> named(std::string_view name) const;
  std::span<const std::uint32_t> providers(std::string_view name) const;
  bool knows(std::string_view name) const { return !named(name).empty() || !providers(name).empty(); }
  // Up to `max` known names close to `name` (edit distance <= 2, or sharing a prefix), best first.
  std::vector<std::string> close_matches(std::string_view name, std::size_t max = 3) const;

 private:
  std::vector<IndexPackage> packages_;
  std::vector<std::string> repositories_;
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_name_;
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_provides_;
};

struct ProviderOptions {
  std::string arch = "amd64";               // the native architecture of the image
  std::vector<std::string> foreign_arches;  // dpkg --add-architecture; packages of other arches are ignored
};

// SolvableIds are PackageIndex ids. Requirement keys index the provider's own table of relation
// groups, so requirements must come from this provider (root helpers below, or its answers).
class DebianProvider final : public resolve::Provider {
 public:
  DebianProvider(const PackageIndex& index, ProviderOptions options);

  // A root requirement from an apt.txt entry: `name`, `name=version`, `name:arch`, or a relation
  // (`name (>= 1.0)`). An unknown name is ErrorKind::not_found naming it with close matches; a
  // `name=version` that the index lacks is not_found listing the versions it has; bad syntax is
  // invalid_input.
  Result<resolve::Requirement> require(std::string_view spec);
  // One requirement per package name that is `Essential: yes` or `Priority: required` for the
  // target architecture (the minimal base, as debootstrap's minbase), sorted by name.
  std::vector<resolve::Requirement> essential_requirements();
  // One requirement per installed package pinning its installed version, so that a solution keeps
  // the base image as it is (the caller skips installed packages when unpacking).
  std::vector<resolve::Requirement> installed_requirements();

  // Best first, per alternative in order: the packages of that name (installed first, then newest,
  // then earlier repository), then the packages providing it (installed first, then by Priority,
  // name and newest version). Multi-Arch: a plain dependency is met by the dependent's own
  // architecture (`all` counts as native) or by `Multi-Arch: foreign` packages of any enabled
  // architecture; `:any` by `allowed` or `foreign` packages of any architecture (and the
  // dependent's own); `:native` and `:<arch>` by that architecture only.
  Result<std::vector<resolve::SolvableId>> candidates(const resolve::Requirement& r) override;
  // Pre-Depends then Depends (Recommends and Suggests are ignored, as --no-install-recommends).
  Result<std::vector<resolve::Requirement>> dependencies(resolve::SolvableId s) override;
  // Conflicts and Breaks: each relation is a requirement whose candidates are the packages of
  // that name (any architecture unless qualified) and the providers of that name (only versioned
  // Provides satisfy a versioned relation). The package itself is among them when it provides
  // and conflicts with a virtual name (the "replace" idiom); the resolver ignores it.
  Result<std::vector<resolve::Requirement>> conflicts(resolve::SolvableId s) override;
  // "libc6:amd64" for Multi-Arch: same, else "bash".
  std::string name(resolve::SolvableId s) override;
  // "libc6:amd64 2.36-9+deb12u4".
  std::string display(resolve::SolvableId s) override;
  std::string no_candidates_note(const resolve::Requirement& r) override;

  const PackageIndex& index() const { return index_; }

 private:
  enum class Kind { depends, conflicts };
  struct Spec {
    Kind kind;
    Alternatives group;
    std::string context_arch;  // the dependent's architecture, "all" resolved to native
  };
  resolve::Requirement intern(Kind kind, Alternatives group, std::string context_arch);
  bool enabled(const IndexPackage& p) const;
  bool arch_satisfies(const Relation& r, const std::string& context_arch, const IndexPackage& p, Kind kind) const;
  std::string effective_arch(const IndexPackage& p) const;

  const PackageIndex& index_;
  ProviderOptions options_;
  std::vector<Spec> specs_;
  std::map<std::string, std::uint64_t> spec_keys_;
};

}  // namespace mlpack::deb
