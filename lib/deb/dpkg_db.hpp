#pragma once
// The dpkg database of an image (/var/lib/dpkg), so that dpkg, trivy and syft see every package
// unpacked without dpkg: written from unpacked .debs, and read from a registry base image.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archive/layer.hpp"
#include "deb/control.hpp"
#include "deb/deb_file.hpp"

namespace mlpack::deb {

// A package recorded as installed in a dpkg status file.
struct InstalledPackage {
  std::string name;
  std::string version;
  std::string architecture;
  std::string multi_arch;
  Paragraph paragraph;  // the whole status paragraph (Depends, Provides, ... for the resolver)
};

// Parses /var/lib/dpkg/status, keeping packages whose Status is "<want> ok installed" with want
// `install` or `hold` (half-installed, config-files-only and deinstalled ones are left out).
// Errors (invalid_input) name `source` and the line.
Result<std::vector<InstalledPackage>> parse_dpkg_status(std::string_view text, std::string_view source = "status");

// The status paragraph dpkg would write for an unpacked and configured package: the control
// fields plus `Status: install ok installed` and `Conffiles:` (path and md5), in dpkg's field order
// (fields dpkg does not know come after the known ones, in the package's order).
Paragraph status_paragraph(const DebFile& package);

// Entries for var/lib/dpkg: `status` (the paragraphs of `already_installed` verbatim plus one per
// package, sorted by name and architecture), info/<name>.list, info/<name>.md5sums (when not
// empty), info/<name>.conffiles (when there are conffiles), info/format, empty `available`,
// `diversions` and `statoverride`, and the directories var, var/lib, var/lib/dpkg and its info,
// updates, alternatives and triggers subdirectories (merge_entries folds these into a package's
// own). Sorted by path. A package named twice (also among `already_installed`) is refused.
Result<std::vector<archive::Entry>> dpkg_database(std::span<const DebFile> packages,
                                                  std::span<const InstalledPackage> already_installed = {});

}  // namespace mlpack::deb
