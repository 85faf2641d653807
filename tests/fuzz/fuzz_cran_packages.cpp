// libFuzzer target for R package metadata from outside: PACKAGES indexes and DESCRIPTION files
// (through lib/dcf), dependency fields, `Built:` fields, R versions and archive listings. What is
// accepted must be consistent: versions and dependencies print back to text that parses to the
// same value, an index is sorted with each name once and only unix/any OS types.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cran/base_packages.hpp"
#include "cran/depends.hpp"
#include "cran/package.hpp"
#include "cran/repository.hpp"
#include "cran/sysreqs.hpp"
#include "cran/version.hpp"

namespace cran = mlpack::cran;

namespace {

void check_dependencies(const std::vector<cran::Dependency>& deps) {
  for (const auto& d : deps) {
    auto again = cran::parse_dependencies(d.str());
    if (!again || again->size() != 1 || again->front().name != d.name) __builtin_trap();
    if (d.constraint && (!again->front().constraint || again->front().constraint->op != d.constraint->op ||
                         again->front().constraint->version != d.constraint->version))
      __builtin_trap();
  }
}

void check_record(const cran::PackageRecord& r) {
  if (!cran::is_valid_package_name(r.name)) __builtin_trap();
  for (const auto* deps : {&r.depends, &r.imports, &r.linking_to, &r.suggests}) check_dependencies(*deps);
  for (const auto& d : r.runtime_dependencies())
    if (cran::is_base_package(d.name)) __builtin_trap();
  (void)cran::check_loadable(r, *cran::Version::parse("4.3.2"), "x86_64");
  (void)cran::match(cran::builtin_rules(), r.system_requirements, "debian", "12");
  (void)cran::package_url("https://r.example", r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto index = cran::parse_packages_index(text, "PACKAGES")) {
    for (std::size_t i = 0; i < index->size(); ++i) {
      const auto& r = (*index)[i];
      if (i > 0 && !((*index)[i - 1].name < r.name)) __builtin_trap();
      if (!r.os_type.empty() && r.os_type != "unix") __builtin_trap();
      check_record(r);
    }
  }
  if (auto description = cran::parse_description(text, "DESCRIPTION")) check_record(*description);
  if (auto deps = cran::parse_dependencies(text)) check_dependencies(*deps);
  if (auto built = cran::parse_built(text); built && built->r_version.components().empty()) __builtin_trap();
  for (auto parse : {&cran::Version::parse, &cran::Version::parse_numeric})
    if (auto v = parse(text)) {
      auto again = parse(v->str());
      if (!again || *again != *v || again->str() != v->str()) __builtin_trap();
    }
  if (auto versions = cran::parse_archive_listing(text, "toast"))
    for (const auto& v : *versions)
      if (!cran::Version::parse(v)) __builtin_trap();
  return 0;
}
