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
// ASCII whitespace as the C locale's isspace has it (space, \t, \n, \r, \f, \v), without a locale.
bool is_ascii_space(char c);
// `s` without leading and trailing ASCII whitespace, as a view into it.
std::string_view trim_view(std::string_view s);

// Removes userinfo (user:password@) from a URL so it can be shown to people.
std::string redact_url(std::string_view url);

// Appends code point `cp` as UTF-8 (1 to 4 bytes). The caller decides what an invalid code
// point (a surrogate, above U+10FFFF) becomes; this only encodes.
void append_utf8(std::string& out, char32_t cp);

// Joins `parts` with `sep` between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// "1.5 MiB"
std::string human_bytes(unsigned long long n);

// Text from outside (a project file, a server's answer) made safe to quote in a message: control
// characters (C0, DEL, C1), NUL and bytes that are not UTF-8 are escaped (`\n`, `\t`, `\r`,
// `\xNN`, `\u{85}`), so a terminal or a CI log shows them rather than obeys them, and the result
// is cut at a character boundary to at most about `max_bytes`, ending in `…` when cut.
std::string printable_excerpt(std::string_view text, std::size_t max_bytes = 200);

}  // namespace mlpack::util

namespace mlpack::util {
// "2024-01-15T10:00:00Z" for seconds since the epoch (UTC).
std::string format_rfc3339(long long epoch_seconds);
}  // namespace mlpack::util
