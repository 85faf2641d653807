// libFuzzer target for registry authentication (outside input: a registry's WWW-Authenticate
// header on a 401, and its token server's JSON answer). The first input line is the header value,
// the rest the token response.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "registry/auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1 << 16)) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string_view header = input.substr(0, nl);
  for (const auto& c : mlpack::registry::parse_www_authenticate(header)) {
    // Schemes and parameter names come out lowercase, as the header says they compare.
    for (char ch : c.scheme)
      if (ch >= 'A' && ch <= 'Z') __builtin_trap();
    for (const auto& [key, value] : c.params)
      for (char ch : key)
        if (ch >= 'A' && ch <= 'Z') __builtin_trap();
    (void)c.param("realm");
  }
  (void)mlpack::registry::parse_www_authenticate(input);
  const std::string_view body = nl == std::string_view::npos ? input : input.substr(nl + 1);
  const auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(24 * 365);
  auto token = mlpack::registry::parse_token_response(body, now);
  mlpack::fuzz::check_error(token);
  if (token && token->value.empty()) __builtin_trap();
  return mlpack::fuzz::finish();
}
