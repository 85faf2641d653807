#pragma once
// Licences as packages state them, sorted into what an SBOM may claim. An SPDX license expression
// (SPDX 2.3 annex D) is kept, with its identifiers spelled as the SPDX License List spells them;
// anything else ("BSD", "GPL (>= 2)", "PSF") is not an expression and is never turned into one:
// the SBOM says NOASSERTION and carries the text as written.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mlpack::sbom {

// The expression in canonical form when `text` is a valid SPDX license expression over the SPDX
// License List (license ids, optionally with `+`, `WITH` an exception id, `AND`, `OR` (upper case,
// as annex D asks) and parentheses); nullopt otherwise. `LicenseRef-…`/`DocumentRef-…` are
// refused: a document that uses one must define its text, which a package's metadata does not give.
std::optional<std::string> spdx_expression(std::string_view text);

// A Debian machine-readable copyright file's licence (copyright-format 1.0, "License
// specification"), as an SPDX expression when every short name in it has one, else nullopt.
// Syntax: short names joined by `or` and `and` (`and` binding tighter, as in SPDX), a comma ending
// a group that the next `and`/`or` joins ("GPL-2+ or Artistic-2.0, and BSD-3-clause" is
// "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause"), and `NAME with KEYWORD exception`.
// Short names map as debian_short_names() says (the format's list; its GNU names carry `+` for
// "or later"); any other name maps only when it is an SPDX License List identifier as written
// (maintainers use SPDX ids for licences off the format's list: BSL-1.0, curl, FSFAP). What is
// neither (`GPLv3+`, `public-domain`, `Artistic`, a maintainer's own name) leaves the whole
// licence unmapped: NOASSERTION with the text kept beside it, never a guess. SPDX's `AND`/`OR`
// read the same in any case; parentheses are refused.
std::optional<std::string> debian_license_expression(std::string_view text);

// The mapping table, as data, for tests and the documentation: a copyright-format short name
// (lower case, versionless family or exact name) and what it becomes. "" means the short name has
// no one SPDX identifier (its versions differ, or it is no licence).
struct DebianShortName {
  std::string_view debian;
  std::string_view spdx;
};
std::span<const DebianShortName> debian_short_names();

}  // namespace mlpack::sbom
