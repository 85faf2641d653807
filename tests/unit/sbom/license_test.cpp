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
