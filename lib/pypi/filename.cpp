#include "pypi/filename.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

#include "pypi/name.hpp"
#include "util/text.hpp"
#include "util/expected.hpp"

namespace mlpack::pypi {
namespace {

std::unexpected<util::Error> bad(std::string_view filename, std::string_view why) {
  return util::fail(util::ErrorKind::invalid_input,
                    "invalid distribution filename `" + util::printable_excerpt(filename) + "`: " + std::string(why));
}

// A wheel's name part: word characters and dots. Bytes >= 0x80 count as word
// characters so UTF-8 names ("foo_bár") pass, as Python's Unicode \w lets them.
bool is_wheel_name_part(std::string_view s) {
  if (s.empty() || s.find("__") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
  });
}

}  // namespace

bool is_valid_version_string(std::string_view version) {
  // The grammar from PEP 440's appendix (the spec's own regular expression).
  static const std::regex pattern(
      R"(v?(?:(?:[0-9]+)!)?(?:[0-9]+(?:\.[0-9]+)*))"
      R"((?:[-_\.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?:[0-9]+)?)?)"
      R"((?:(?:-(?:[0-9]+))|(?:[-_\.]?(?:post|rev|r)[-_\.]?(?:[0-9]+)?))?)"
      R"((?:[-_\.]?dev[-_\.]?(?:[0-9]+)?)?)"
      R"((?:\+(?:[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?)",
      std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  return std::regex_match(version.begin(), version.end(), pattern);
}

util::Result<WheelFilename> parse_wheel_filename(std::string_view filename) {
  constexpr std::string_view ext = ".whl";
  if (!filename.ends_with(ext)) return bad(filename, "a wheel filename must end in `.whl`");
  auto stem = filename.substr(0, filename.size() - ext.size());
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    auto pos = stem.find('-', start);
    parts.push_back(stem.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  if (parts.size() != 5 && parts.size() != 6) {
    return bad(filename, "expected name-version[-build]-python-abi-platform");
  }
  if (!is_wheel_name_part(parts[0])) return bad(filename, "invalid project name `" + util::printable_excerpt(parts[0]) + "`");
  if (!is_valid_version_string(parts[1])) return bad(filename, "invalid version `" + util::printable_excerpt(parts[1]) + "`");
  WheelFilename out{normalize_name(parts[0]), std::string(parts[1]), std::nullopt, {}};
  if (parts.size() == 6) {
    auto build = parts[2];
    BuildTag tag;
    auto [end, ec] = std::from_chars(build.data(), build.data() + build.size(), tag.number);
    if (ec != std::errc{} || end == build.data()) {
      return bad(filename, "build tag `" + util::printable_excerpt(build) + "` must start with a digit");
    }
    tag.suffix.assign(end, build.data() + build.size());
    out.build = std::move(tag);
  }
  const auto tag_begin = parts[parts.size() - 3].data();
  auto tags = TRY_CONTEXT(parse_tag(std::string_view(tag_begin, stem.data() + stem.size())),
                          "invalid distribution filename `" + util::printable_excerpt(filename) + "`");
  out.tags = std::move(tags);
  return out;
}

util::Result<SdistFilename> parse_sdist_filename(std::string_view filename) {
  std::string_view stem;
  if (filename.ends_with(".tar.gz")) {
    stem = filename.substr(0, filename.size() - 7);
  } else if (filename.ends_with(".zip")) {
    stem = filename.substr(0, filename.size() - 4);
  } else {
    return bad(filename, "an sdist filename must end in `.tar.gz` or `.zip`");
  }
  auto dash = stem.rfind('-');
  if (dash == std::string_view::npos) return bad(filename, "expected name-version");
  auto name = stem.substr(0, dash);
  auto version = stem.substr(dash + 1);
  if (name.empty()) return bad(filename, "empty project name");
  if (!is_valid_version_string(version)) return bad(filename, "invalid version `" + std::string(version) + "`");
  return SdistFilename{normalize_name(name), std::string(version)};
}

}  // namespace mlpack::pypi
