#include <doctest/doctest.h>

#include "cran/license.hpp"

using mlpack::cran::license_to_spdx;

TEST_CASE("R's standard licence forms become SPDX expressions") {
  CHECK(license_to_spdx("GPL-2") == "GPL-2.0-only");
  CHECK(license_to_spdx("GPL (>= 2)") == "GPL-2.0-or-later");
  CHECK(license_to_spdx("GPL  (>=  3)") == "GPL-3.0-or-later");
  CHECK(license_to_spdx("MIT + file LICENSE") == "MIT");
  CHECK(license_to_spdx("BSD_3_clause + file LICENSE") == "BSD-3-Clause");
  CHECK(license_to_spdx("GPL-2 | GPL-3") == "GPL-2.0-only OR GPL-3.0-only");
  CHECK(license_to_spdx("LGPL (>= 2.1)") == "LGPL-2.1-or-later");
  CHECK(license_to_spdx("Apache License (== 2.0)") == "Apache-2.0");
  CHECK(license_to_spdx("CC BY 4.0") == "CC-BY-4.0");
}

TEST_CASE("what R's forms do not pin down is not claimed") {
  CHECK_FALSE(license_to_spdx("GPL"));                       // any version: not one expression
  CHECK_FALSE(license_to_spdx("GPL-2 + file LICENSE"));      // the file may add restrictions
  CHECK_FALSE(license_to_spdx("file LICENSE"));
  CHECK_FALSE(license_to_spdx("Unlimited"));
  CHECK_FALSE(license_to_spdx("MIT | Unlimited"));           // one part unknown: none
  CHECK_FALSE(license_to_spdx(""));
  CHECK_FALSE(license_to_spdx(std::string(5000, 'x')));
}
