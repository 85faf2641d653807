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

// "1.5 MiB"
std::string human_bytes(unsigned long long n);

}  // namespace mlpack::util

namespace mlpack::util {
// "2024-01-15T10:00:00Z" for seconds since the epoch (UTC).
std::string format_rfc3339(long long epoch_seconds);
}  // namespace mlpack::util
