#include "sbom/license.hpp"

#include <doctest/doctest.h>

using mlpack::sbom::spdx_expression;

TEST_CASE("SPDX license expressions are kept, in the list's spelling") {
  CHECK(spdx_expression("MIT") == "MIT");
  CHECK(spdx_expression("mit") == "MIT");
  CHECK(spdx_expression("BSD-3-Clause") == "BSD-3-Clause");
  CHECK(spdx_expression("Apache-2.0 OR MIT") == "Apache-2.0 OR MIT");
  CHECK(spdx_expression("GPL-2.0-or-later WITH Classpath-exception-2.0") ==
        "GPL-2.0-or-later WITH Classpath-exception-2.0");
  CHECK(spdx_expression("(MIT OR Apache-2.0) AND BSD-2-Clause") == "(MIT OR Apache-2.0) AND BSD-2-Clause");
  CHECK(spdx_expression("  LGPL-2.1+ ") == "LGPL-2.1+");
  CHECK(spdx_expression("GPL-2.0") == "GPL-2.0");  // deprecated, still on the list
}

TEST_CASE("text that is not an SPDX expression is not made into one") {
  for (const char* text : {"",
                           "BSD",
                           "PSF",
                           "GPL (>= 2)",
                           "GPL-2 | GPL-3",
                           "Apache 2.0",
                           "MIT License",
                           "MIT and BSD-3-Clause",
                           "MIT OR",
                           "OR MIT",
                           "(MIT",
                           "MIT)",
                           "MIT WITH MIT",
                           "Classpath-exception-2.0",
                           "LicenseRef-Proprietary",
                           "DocumentRef-x:LicenseRef-y",
                           "MIT, BSD-3-Clause",
                           "MIT\nBSD-3-Clause",
                           "file LICENSE",
                           "NOASSERTION"}) {
    CHECK_MESSAGE(!spdx_expression(text), text);
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(";
  deep += "MIT";
  for (int i = 0; i < 100; ++i) deep += ")";
  CHECK(!spdx_expression(deep));
}

using mlpack::sbom::debian_license_expression;

TEST_CASE("Debian copyright-format licences map to SPDX where every short name has an id") {
  CHECK(debian_license_expression("GPL-2+") == "GPL-2.0-or-later");
  CHECK(debian_license_expression("GPL-2") == "GPL-2.0-only");
  CHECK(debian_license_expression("GPL-2.0+") == "GPL-2.0-or-later");
  CHECK(debian_license_expression("gpl-3") == "GPL-3.0-only");
  CHECK(debian_license_expression("LGPL-2.1+") == "LGPL-2.1-or-later");
  CHECK(debian_license_expression("LGPL-2") == "LGPL-2.0-only");
  CHECK(debian_license_expression("AGPL-3+") == "AGPL-3.0-or-later");
  CHECK(debian_license_expression("GFDL-1.3+") == "GFDL-1.3-or-later");
  CHECK(debian_license_expression("GFDL-NIV-1.2") == "GFDL-1.2-no-invariants-only");
  CHECK(debian_license_expression("Expat") == "MIT");
  CHECK(debian_license_expression("expat") == "MIT");
  CHECK(debian_license_expression("BSD-3-clause") == "BSD-3-Clause");
  CHECK(debian_license_expression("Apache-2") == "Apache-2.0");
  CHECK(debian_license_expression("Apache-2.0") == "Apache-2.0");
  CHECK(debian_license_expression("MPL-1.1") == "MPL-1.1");
  CHECK(debian_license_expression("Zope-2.1") == "ZPL-2.1");
  CHECK(debian_license_expression("CC0-1.0") == "CC0-1.0");
  CHECK(debian_license_expression("BSL-1.0") == "BSL-1.0");  // an SPDX id as written
  CHECK(debian_license_expression("curl") == "curl");
  CHECK(debian_license_expression("Artistic-2.0") == "Artistic-2.0");
  // Operators: `and` binds tighter; a comma closes the group before it.
  CHECK(debian_license_expression("GPL-2+ or Artistic-2.0") == "GPL-2.0-or-later OR Artistic-2.0");
  CHECK(debian_license_expression("LGPL-3+ or GPL-2+") == "LGPL-3.0-or-later OR GPL-2.0-or-later");
  CHECK(debian_license_expression("BSL-1.0 and MIT") == "BSL-1.0 AND MIT");
  CHECK(debian_license_expression("MIT or BSL-1.0 and Zlib") == "MIT OR BSL-1.0 AND Zlib");
  CHECK(debian_license_expression("GPL-2+ or Artistic-2.0, and BSD-3-clause") ==
        "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
  CHECK(debian_license_expression("GPL-2+, and BSD-3-clause, and Expat") ==
        "GPL-2.0-or-later AND BSD-3-Clause AND MIT");
  CHECK(debian_license_expression("GPL-2+ or MIT, and Zlib or ISC") ==
        "(GPL-2.0-or-later OR MIT) AND (Zlib OR ISC)");
  CHECK(debian_license_expression("MIT, or Zlib and ISC") == "MIT OR Zlib AND ISC");
  CHECK(debian_license_expression("GPL-2+ with Font exception") == "GPL-2.0-or-later WITH Font-exception-2.0");
  CHECK(debian_license_expression("MIT OR Apache-2.0") == "MIT OR Apache-2.0");
}

TEST_CASE("Debian licences with a name that has no one SPDX id stay unmapped") {
  for (const char* text : {"", "GPL", "LGPL", "GPL-4", "LGPL-2.2+", "GPLv3+", "LGPLv3+_or_GPLv2+", "public-domain",
                           "Artistic", "GPL-1+ or Artistic", "Perl", "W3C", "permissive", "OpenLDAP-2.8",
                           "GPL-2+ with OpenSSL exception", "GPL-2+ with Autoconf exception", "GPL-2+ with",
                           "MIT, Zlib", "MIT and", "or MIT", "MIT,", "(MIT or Zlib)", "GPL-2+, and BSD-3-clause, and custom",
                           "MIT\nZlib"}) {
    CAPTURE(text);
    CHECK(!debian_license_expression(text));
  }
}

TEST_CASE("the short-name table maps only to ids on the SPDX list") {
  for (const auto& s : mlpack::sbom::debian_short_names()) {
    CAPTURE(s.debian);
    if (!s.spdx.empty()) CHECK(spdx_expression(s.spdx) == std::string(s.spdx));
  }
}
