// libFuzzer target for Docker's config.json (outside input: the user's credentials file, which
// other tools write). parse_docker_config is what lookup_credentials runs over the file's text;
// it only names a credential helper, so nothing is run here.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "registry/credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view registry : {"docker.io", "localhost:5000", "ghcr.io", "x.io"}) {
    auto r = mlpack::registry::parse_docker_config(text, registry, "config.json");
    mlpack::fuzz::check_error(r);
    if (r && r->credentials && r->helper) __builtin_trap();  // one or the other
    if (r && r->credentials && r->credentials->username.empty() && r->credentials->password.empty() &&
        r->credentials->identity_token.empty())
      __builtin_trap();
  }
  (void)mlpack::registry::normalize_registry_host(text.substr(0, 256));
  return mlpack::fuzz::finish();
}
