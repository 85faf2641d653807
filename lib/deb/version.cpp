#include "deb/version.hpp"

#include <cctype>

#include "util/text.hpp"

namespace mlpack::deb {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The weight of one character of a non-digit run; the end of the run weighs 0.
int weight(char c) {
  if (c == '~') return -1;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  return static_cast<unsigned char>(c) + 256;
}

Result<Version> bad(std::string_view text, std::string_view why) {
  return util::fail(util::ErrorKind::invalid_input, "invalid version `" + util::printable_excerpt(text) + "`: " + std::string(why));
}

}  // namespace

int compare_fragments(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    // Non-digit run: compare weights until both runs end.
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int wa = (i < a.size() && !is_digit(a[i])) ? weight(a[i]) : 0;
      int wb = (j < b.size() && !is_digit(b[j])) ? weight(b[j]) : 0;
      if (wa != wb) return wa < wb ? -1 : 1;
      if (i < a.size() && !is_digit(a[i])) ++i;
      if (j < b.size() && !is_digit(b[j])) ++j;
    }
    // Digit run: numeric comparison without overflow (skip leading zeros, then length, then text).
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    std::size_t si = i, sj = j;
    while (i < a.size() && is_digit(a[i])) ++i;
    while (j < b.size() && is_digit(b[j])) ++j;
    std::string_view da = a.substr(si, i - si), db = b.substr(sj, j - sj);
    if (da.size() != db.size()) return da.size() < db.size() ? -1 : 1;
    if (int c = da.compare(db); c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

Result<Version> Version::parse(std::string_view text) {
  // dpkg strips surrounding whitespace and refuses whitespace inside.
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return bad(text, "version string is empty");
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c))) return bad(text, "version string has embedded spaces");

  Version v;
  v.text_ = std::string(text);
  std::string_view rest = text;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    auto e = rest.substr(0, colon);
    if (e.empty()) return bad(text, "epoch in version is empty");
    std::uint64_t n = 0;
    for (char c : e) {
      if (!is_digit(c)) return bad(text, "epoch in version is not a number");
      n = n * 10 + static_cast<unsigned>(c - '0');
      if (n > 0x7fffffff) return bad(text, "epoch in version is too big");
    }
    v.epoch_ = static_cast<std::uint32_t>(n);
    rest.remove_prefix(colon + 1);
  }
  if (auto dash = rest.rfind('-'); dash != std::string_view::npos) {
    v.revision_ = std::string(rest.substr(dash + 1));
    if (v.revision_.empty()) return bad(text, "revision number is empty");
    rest = rest.substr(0, dash);
  }
  if (rest.empty()) return bad(text, "nothing after colon in version number");
  v.upstream_ = std::string(rest);
  for (char c : v.upstream_)
    if (!is_digit(c) && !is_alpha(c) && std::string_view(".-+~:").find(c) == std::string_view::npos)
      return bad(text, "invalid character in version number");
  for (char c : v.revision_)
    if (!is_digit(c) && !is_alpha(c) && std::string_view(".+~").find(c) == std::string_view::npos)
      return bad(text, "invalid character in revision number");
  return v;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (a.epoch_ != b.epoch_) return a.epoch_ <=> b.epoch_;
  if (int c = compare_fragments(a.upstream_, b.upstream_); c != 0) return c <=> 0;
  return compare_fragments(a.revision_, b.revision_) <=> 0;
}

}  // namespace mlpack::deb
