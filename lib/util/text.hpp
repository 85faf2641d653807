#pragma once
// Small string helpers that know nothing of the product.
#include <string>
#include <string_view>
#include <vector>

namespace mlpack::util {

std::vector<std::string> split(std::string_view s, char sep);
bool starts_with_ci(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);
std::string trim(std::string_view s);

// Removes userinfo (user:password@) from a URL so it can be shown to people.
std::string redact_url(std::string_view url);

// Appends code point `cp` as UTF-8 (1 to 4 bytes). The caller decides what an invalid code
// point (a surrogate, above U+10FFFF) becomes; this only encodes.
void append_utf8(std::string& out, char32_t cp);

// Joins `parts` with `sep` between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// "1.5 MiB"
std::string human_bytes(unsigned long long n);

}  // namespace mlpack::util

namespace mlpack::util {
// "2024-01-15T10:00:00Z" for seconds since the epoch (UTC).
std::string format_rfc3339(long long epoch_seconds);
}  // namespace mlpack::util
