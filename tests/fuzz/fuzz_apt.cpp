// libFuzzer target for apt repository metadata (outside input: a mirror's InRelease/Release,
// its Packages indexes, and a base image's dpkg status). Each input goes through all of them:
// the clearsigned wrapper (as Verify::no reads it), the Release file with its SHA256 list and
// dates, a Packages index into the resolver's PackageIndex, and the dpkg status database.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apt/release.hpp"
#include "apt/signature.hpp"
#include "deb/dpkg_db.hpp"
#include "deb/provider.hpp"
#include "fuzz_support.hpp"

using mlpack::fuzz::check_error;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto signed_text = mlpack::apt::unverified_clearsigned_text(text, "InRelease");
  check_error(signed_text);
  auto release = mlpack::apt::parse_release(signed_text ? std::string_view(*signed_text) : text, "Release");
  check_error(release);
  if (release) {
    for (const auto& [path, entry] : release->files) {
      if (entry.sha256.size() != 64) __builtin_trap();
      if (release->find(path) != &entry) __builtin_trap();
    }
  }
  (void)mlpack::apt::parse_release_date(text.substr(0, 200));

  mlpack::deb::PackageIndex index;
  auto added = index.add_packages(text, "fuzz bookworm/main amd64");
  check_error(added);
  auto status = mlpack::deb::parse_dpkg_status(text);
  check_error(status);
  if (status) check_error(index.add_installed(*status));
  if (added) {
    mlpack::deb::DebianProvider provider(index, {});
    (void)provider.essential_requirements();
    (void)provider.installed_requirements();
    if (!index.packages().empty()) {
      const auto& first = index.packages().front();
      auto req = provider.require(first.name);
      check_error(req);
      if (req) {
        auto cands = provider.candidates(*req);
        if (cands)
          for (auto id : *cands) {
            (void)provider.dependencies(id);
            (void)provider.conflicts(id);
            (void)provider.display(id);
          }
      }
    }
  }
  return mlpack::fuzz::finish();
}
