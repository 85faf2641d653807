// libFuzzer target for an R project's files (outside input): renv.lock, install.R (read as R
// source, never run), DESCRIPTION and runtime.txt, all through the text forms of the readers.
// What is accepted must be sane: every renv package has a name and a version and a line inside
// the text, every install.R requirement a line inside the text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detectors/r_project.hpp"

namespace {

int lines_in(std::string_view text) {
  return 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const int lines = lines_in(text);

  if (auto lock = mlpack::detectors::parse_renv_lock_text(text, "renv.lock")) {
    for (const auto& p : lock->packages) {
      check(!p.name.empty() && !p.version.empty());
      check(p.line >= 1 && p.line <= lines);
    }
  }
  if (auto reqs = mlpack::detectors::parse_install_r_text(text, "install.R")) {
    for (const auto& r : *reqs) check(!r.name.empty() && r.line >= 1 && r.line <= lines);
  }
  if (auto d = mlpack::detectors::parse_r_description_text(text, "DESCRIPTION")) {
    for (const auto& r : d->requirements) check(!r.name.empty() && r.line >= 1 && r.line <= lines);
  }
  (void)mlpack::detectors::parse_r_runtime_text(text, "runtime.txt");
  return 0;
}
