#pragma once
// Runs tests/fixtures/apt_archive.py: a real, signed apt archive of real .debs served over HTTP on
// loopback, for as long as this object lives (served_fixture.hpp). When the machine cannot fetch
// the .debs (offline) start() returns null and the test skips.
#include <memory>
#include <string>
#include <vector>

#include "served_fixture.hpp"

namespace mlpack::test {

class AptFixture : public ServedFixture {
 public:
  // Starts the fixture with extra arguments (e.g. {"--layout", "flat"}); null when it cannot be
  // built here (the test skips).
  static std::unique_ptr<AptFixture> start(const std::vector<std::string>& extra = {}) {
    std::unique_ptr<AptFixture> f(new AptFixture());
    if (!f->launch("apt_archive.py", extra, "the local apt archive fixture")) return nullptr;
    return f;
  }

  std::string suite() const { return info["suite"]; }
  std::filesystem::path keyring() const { return info["keyring"].get<std::string>(); }
  std::filesystem::path other_keyring() const { return info["other_keyring"].get<std::string>(); }
  std::string fingerprint() const { return info["fingerprint"]; }

 private:
  AptFixture() : ServedFixture("mlpack-apt-test-") {}
};

}  // namespace mlpack::test
