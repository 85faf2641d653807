#pragma once
// Licences as packages state them, sorted into what an SBOM may claim. An SPDX license expression
// (SPDX 2.3 annex D) is kept, with its identifiers spelled as the SPDX License List spells them;
// anything else ("BSD", "GPL (>= 2)", "PSF") is not an expression and is never turned into one:
// the SBOM says NOASSERTION and carries the text as written.
#include <optional>
#include <string>
#include <string_view>

namespace mlpack::sbom {

// The expression in canonical form when `text` is a valid SPDX license expression over the SPDX
// License List (license ids, optionally with `+`, `WITH` an exception id, `AND`, `OR` (upper case,
// as annex D asks) and parentheses); nullopt otherwise. `LicenseRef-…`/`DocumentRef-…` are
// refused: a document that uses one must define its text, which a package's metadata does not give.
std::optional<std::string> spdx_expression(std::string_view text);

}  // namespace mlpack::sbom
