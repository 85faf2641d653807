#pragma once
// Licences as a Debian package states them: its /usr/share/doc/<package>/copyright file, when that
// file is machine-readable (copyright-format 1.0, "DEP-5": the first paragraph's `Format:` names
// https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/). Each `Files:` paragraph's
// `License:` field starts with the licence of those files as short names joined by `or`/`and`
// (e.g. "GPL-2+ or Artistic-2.0"); the rest of the field is the licence text, ignored here.
// A file in any other format states nothing machine-readable and gives no licence (never a guess).
//
// What was read is cached per .deb (by its sha256), so a warm build whose layers come from the
// layer cache, which does not unpack the .debs, states the same licences as a cold one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/decompress.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::deb {

namespace fs = std::filesystem;
using util::Result;

struct CopyrightLicenses {
  bool machine_readable = false;  // copyright-format 1.0
  // The first line of each `Files:` paragraph's `License:` field (whitespace collapsed), each
  // once (compared case-insensitively, as short names are), in the file's order. Empty when not machine_readable, or when a Files paragraph states
  // no licence (then the file as a whole does not say what the package is under).
  std::vector<std::string> licenses;
};

// Never fails: a file that is not machine-readable (or does not parse as deb822) states nothing.
CopyrightLicenses parse_copyright(std::string_view text);

// The package's licence as one copyright-format expression: every licence of its Files paragraphs
// (each covers part of the package), joined by ", and " (the format's comma: lowest precedence).
// "" when the file states none.
std::string license_statement(const CopyrightLicenses& licenses);

// What a .deb says about its licence, as cached: its own copyright file's statement, or a link to
// another package's doc directory (/usr/share/doc/<package> a symlink to <other>, as policy 12.5
// allows within one source package, whose copyright file then stands for both).
struct PackageCopyright {
  std::string statement;  // license_statement() of its copyright file; "" when it states none
  std::string doc_link;   // the package whose doc directory it links to; "" when none
  bool operator==(const PackageCopyright&) const = default;
};

// From a package's unpacked data: `copyright` the content of usr/share/doc/<package>/copyright
// when it is a regular file, `doc_link` the target of usr/share/doc/<package> when that is a
// symlink to a sibling directory ("libfoo1", never a path that leaves usr/share/doc).
PackageCopyright package_copyright(const std::optional<std::string>& copyright, std::string_view doc_link);

// Reads just what package_copyright needs out of a .deb (its data.tar, under `limits`), for a
// warm build whose cached record is missing. `package` is the package's name (the lock's).
Result<PackageCopyright> read_package_copyright(const fs::path& deb, std::string_view package,
                                                const archive::UnpackLimits& limits = {});

// The record cache: `<dir>/<sha256 hex>`, a small text file written atomically. A record of
// another format version (or unreadable) is nullopt, as if missing.
std::optional<PackageCopyright> load_copyright_record(const fs::path& dir, const util::Digest& deb);
Result<void> store_copyright_record(const fs::path& dir, const util::Digest& deb, const PackageCopyright& record);

}  // namespace mlpack::deb
