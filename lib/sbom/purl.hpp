#pragma once
// Package URLs (package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`.
// Written as the spec's "how to build" says: the type lowercase, each namespace segment, the name,
// the version and each qualifier value percent-encoded (everything but ASCII letters, digits,
// `.-_~` and `:`; so a Debian `+` is `%2B`), qualifiers sorted by key, empty ones left out.
#include <map>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::sbom {

using util::Result;

struct Purl {
  std::string type;  // "deb", "pypi", "conda", "cran", "oci"
  std::string ns;    // "debian"; may hold `/`-separated segments
  std::string name;
  std::string version;
  std::map<std::string, std::string> qualifiers;  // keys lowercase
  std::string subpath;

  std::string str() const;
  bool operator==(const Purl&) const = default;
};

// Percent-encodes for a purl component: keeps ASCII letters, digits, `.-_~` and `:`.
std::string purl_encode(std::string_view s);

// Parses a purl by the spec's "how to parse" rules and checks what it requires: the `pkg:` scheme,
// a type of ASCII letters, digits and `.+-` not starting with a digit, a name, qualifier keys of
// letters, digits and `.-_` not starting with a digit, no key twice, valid percent-escapes.
// Components come back decoded. Errors are ErrorKind::invalid_input saying which rule failed.
Result<Purl> parse_purl(std::string_view text);

}  // namespace mlpack::sbom
