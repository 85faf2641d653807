#pragma once
// Runs tests/fixtures/cran_repo.py: a CRAN-like repository of real R binary packages (Debian
// bookworm's r-cran-* repacked) served over HTTP on loopback, for as long as this object lives
// (served_fixture.hpp). When the machine cannot fetch the .debs (offline) start() returns null and
// the test skips.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "served_fixture.hpp"

namespace mlpack::test {

class CranFixture : public ServedFixture {
 public:
  // Starts the fixture with extra arguments (e.g. {"--ppm"}); null when it cannot be built here.
  static std::unique_ptr<CranFixture> start(const std::vector<std::string>& extra = {}) {
    std::unique_ptr<CranFixture> f(new CranFixture());
    if (!f->launch("cran_repo.py", extra, "the local CRAN repository fixture")) return nullptr;
    return f;
  }

  // The entry of `name` in info["packages"] (name, version, file, sha256, md5, size, compiled).
  nlohmann::json package(std::string_view name) const {
    for (const auto& p : info["packages"])
      if (p["name"] == name) return p;
    FAIL("the CRAN fixture has no package " << name);
    return {};
  }

 private:
  CranFixture() : ServedFixture("mlpack-cran-test-") {}
};

}  // namespace mlpack::test
