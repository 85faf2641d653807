// libFuzzer target for mlpack.yaml (outside input: a project's build settings), parsed with every
// buildpack's keys accepted as the pipeline passes them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detectors/project_config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 18)) return 0;
  static const std::vector<std::string> buildpack_keys = {
      "conda_channel_alias", "conda_default_channels", "python", "apt", "apt_repositories", "apt_sources",
      "snapshot",            "cuda",                   "r",      "cran"};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = mlpack::detectors::parse_project_config(text, "mlpack.yaml", buildpack_keys);
  mlpack::fuzz::check_error(c);
  (void)mlpack::detectors::nearest(text.substr(0, 64), mlpack::detectors::project_config_keys());
  return mlpack::fuzz::finish();
}
