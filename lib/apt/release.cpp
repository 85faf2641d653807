#include "apt/release.hpp"

#include <cctype>
#include <charconv>
#include <ctime>

#include "deb/control.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::apt {

using util::ErrorKind;
using util::fail;

namespace {

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_release_date(std::string_view text) {
  auto w = words(text);
  std::size_t i = 0;
  // Optional weekday, "Sat,".
  if (!w.empty() && w[0].ends_with(',')) i = 1;
  if (w.size() < i + 4) return std::nullopt;
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  auto day = to_number<int>(w[i]);
  int month = -1;
  for (int m = 0; m < 12; ++m)
    if (util::to_lower(w[i + 1]) == months[m]) month = m;
  auto year = to_number<int>(w[i + 2]);
  auto hms = util::split(w[i + 3], ':');
  if (!day || month < 0 || !year || hms.size() != 3) return std::nullopt;
  auto hour = to_number<int>(hms[0]), minute = to_number<int>(hms[1]), second = to_number<int>(hms[2]);
  if (!hour || !minute || !second || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  long offset = 0;
  if (w.size() > i + 4) {
    std::string zone = util::to_lower(w[i + 4]);
    if (zone == "utc" || zone == "gmt" || zone == "z" || zone == "ut") {
    } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
      auto hh = to_number<int>(zone.substr(1, 2)), mm = to_number<int>(zone.substr(3, 2));
      if (!hh || !mm) return std::nullopt;
      offset = (*hh * 3600L + *mm * 60L) * (zone[0] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
    if (w.size() > i + 5) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  return static_cast<std::int64_t>(::timegm(&tm)) - offset;
}

Result<Release> parse_release(std::string_view text, std::string_view source) {
  auto paragraphs = TRY(deb::parse_paragraphs(text, source));
  if (paragraphs.empty()) return fail(ErrorKind::invalid_input, std::string(source) + ": empty Release file");
  // A Release file is one paragraph; anything after it is not something apt reads either.
  const deb::Paragraph& p = paragraphs.front();
  Release r;
  r.origin = p.get_or("Origin");
  r.label = p.get_or("Label");
  r.suite = p.get_or("Suite");
  r.codename = p.get_or("Codename");
  r.version = p.get_or("Version");
  r.architectures = words(p.get_or("Architectures"));
  r.components = words(p.get_or("Components"));
  r.acquire_by_hash = util::to_lower(util::trim(p.get_or("Acquire-By-Hash"))) == "yes";
  for (auto [field, slot] : {std::pair{"Date", &r.date}, std::pair{"Valid-Until", &r.valid_until}}) {
    auto v = p.get(field);
    if (!v) continue;
    auto t = parse_release_date(*v);
    if (!t)
      return fail(ErrorKind::invalid_input,
                  std::string(source) + ": " + field + " `" + util::printable_excerpt(*v) + "` is not a date");
    *slot = *t;
  }
  auto sums = p.get("SHA256");
  if (!sums)
    return fail(ErrorKind::invalid_input,
                std::string(source) + ": no SHA256 field (MD5Sum and SHA1 alone are not trusted)");
  for (const auto& line : util::split(*sums, '\n')) {
    auto w = words(line);
    if (w.empty()) continue;
    auto size = w.size() == 3 ? to_number<std::uint64_t>(w[1]) : std::nullopt;
    if (!size || !is_sha256_hex(util::to_lower(w[0])))
      return fail(ErrorKind::invalid_input,
                  std::string(source) + ": malformed SHA256 entry `" + util::printable_excerpt(util::trim(line)) + "`");
    r.files[w[2]] = IndexEntry{*size, util::to_lower(w[0])};
  }
  return r;
}

}  // namespace mlpack::apt
