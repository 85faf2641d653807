#pragma once
// R's `License:` field in the standard forms "Writing R Extensions" (section 1.1.2) lists, from R's
// license database (share/licenses/license.db), as an SPDX license expression: "GPL (>= 2)" is
// GPL-2.0-or-later, "MIT + file LICENSE" is MIT (the file only names the holders, as the MIT and
// BSD templates require), "GPL-2 | GPL-3" is "GPL-2.0-only OR GPL-3.0-only". Anything else, or a
// licence with `+ file LICENSE` that may add restrictions ("GPL-2 + file LICENSE"), is not turned
// into an expression: an SBOM must not claim more than the package says.
#include <optional>
#include <string>
#include <string_view>

namespace mlpack::cran {

std::optional<std::string> license_to_spdx(std::string_view license);

}  // namespace mlpack::cran
