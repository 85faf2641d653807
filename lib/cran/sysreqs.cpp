#include "cran/sysreqs.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "util/text.hpp"

namespace mlpack::cran {

namespace {

constexpr std::size_t max_rules_bytes = std::size_t{16} << 20;
constexpr std::size_t max_searched = 4096;

util::Error bad_rules(std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input, "invalid system requirements rules: " + std::string(why)};
}

Result<std::regex> compile(std::string_view rule, const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return std::unexpected(bad_rules("rule `" + util::printable_excerpt(rule, 60) + "`: pattern `" +
                                     util::printable_excerpt(pattern, 100) + "` does not compile: " + e.what()));
  }
}

bool applies(const SysreqDependency& dep, std::string_view distribution, std::string_view version) {
  for (const auto& c : dep.constraints) {
    if (c.os != "linux" || c.distribution != distribution) continue;
    if (c.versions.empty() || std::find(c.versions.begin(), c.versions.end(), version) != c.versions.end()) return true;
  }
  return false;
}

// Our own Debian table: a name, case-insensitive patterns over SystemRequirements text, and the
// Debian (bookworm and later) -dev packages. Patterns are word-bounded so `libpng` does not match
// inside `libpngx`; `\b` before a name that starts with a letter.
struct BuiltinEntry {
  std::string_view name;
  std::vector<std::string_view> patterns;
  std::vector<std::string_view> packages;
};

const std::vector<BuiltinEntry>& builtin_entries() {
  static const std::vector<BuiltinEntry> entries = {
      {"bzip2", {R"(\bbzip2\b)", R"(\blibbz2\b)"}, {"libbz2-dev"}},
      {"cairo", {R"(\bcairo\b)"}, {"libcairo2-dev"}},
      {"fftw", {R"(\bfftw3?\b)", R"(\blibfftw3\b)"}, {"libfftw3-dev"}},
      {"fontconfig", {R"(\bfontconfig\b)"}, {"libfontconfig1-dev"}},
      {"freetype", {R"(\bfreetype2?\b)"}, {"libfreetype6-dev"}},
      {"fribidi", {R"(\bfribidi\b)"}, {"libfribidi-dev"}},
      {"gdal", {R"(\bgdal\b)", R"(\blibgdal\b)"}, {"libgdal-dev"}},
      {"geos", {R"(\bgeos\b)"}, {"libgeos-dev"}},
      {"glpk", {R"(\bglpk\b)"}, {"libglpk-dev"}},
      {"gmp", {R"(\bgmp\b)", R"(\blibgmp\b)"}, {"libgmp-dev"}},
      {"harfbuzz", {R"(\bharfbuzz\b)"}, {"libharfbuzz-dev"}},
      {"hdf5", {R"(\bhdf5\b)", R"(\blibhdf5\b)"}, {"libhdf5-dev"}},
      {"icu", {R"(\bicu4c\b)", R"(\blibicu\b)"}, {"libicu-dev"}},
      {"imagemagick", {R"(\bimage ?magick\b)", R"(\bmagick\+\+)"}, {"libmagick++-dev"}},
      {"libcurl", {R"(\blibcurl\b)"}, {"libcurl4-openssl-dev"}},
      {"libgit2", {R"(\blibgit2\b)"}, {"libgit2-dev"}},
      {"libjpeg", {R"(\blibjpeg\b)", R"(\bjpeg\b)"}, {"libjpeg-dev"}},
      {"libpng", {R"(\blibpng\b)"}, {"libpng-dev"}},
      {"libsodium", {R"(\blibsodium\b)"}, {"libsodium-dev"}},
      {"libssh2", {R"(\blibssh2\b)"}, {"libssh2-1-dev"}},
      {"libtiff", {R"(\blibtiff\b)", R"(\btiff\b)"}, {"libtiff-dev"}},
      {"libwebp", {R"(\blibwebp\b)"}, {"libwebp-dev"}},
      {"libxml2", {R"(\blibxml2\b)"}, {"libxml2-dev"}},
      {"mariadb", {R"(\blibmysqlclient\b)", R"(\blibmariadb)"}, {"libmariadb-dev"}},
      {"mpfr", {R"(\bmpfr\b)"}, {"libmpfr-dev"}},
      {"netcdf", {R"(\bnetcdf4?\b)"}, {"libnetcdf-dev"}},
      {"odbc", {R"(\bunixodbc\b)", R"(\bodbc3?\b)"}, {"unixodbc-dev"}},
      {"openssl", {R"(\bopenssl\b)", R"(\blibssl\b)"}, {"libssl-dev"}},
      {"pango", {R"(\bpango\b)"}, {"libpango1.0-dev"}},
      {"pcre2", {R"(\bpcre2\b)", R"(\blibpcre2\b)"}, {"libpcre2-dev"}},
      {"poppler", {R"(\bpoppler c\+\+)", R"(\bpoppler-cpp\b)"}, {"libpoppler-cpp-dev"}},
      {"postgresql", {R"(\bpostgresql\b)", R"(\blibpq\b)"}, {"libpq-dev"}},
      {"proj", {R"(\bproj\b)", R"(\bproj\.4\b)"}, {"libproj-dev"}},
      {"sqlite3", {R"(\bsqlite3?\b)"}, {"libsqlite3-dev"}},
      {"tesseract", {R"(\btesseract\b)"}, {"libtesseract-dev"}},
      {"udunits2", {R"(\budunits-?2\b)"}, {"libudunits2-dev"}},
      {"xz", {R"(\bliblzma\b)", R"(\bxz\b)"}, {"liblzma-dev"}},
      {"zlib", {R"(\bzlib\b)"}, {"zlib1g-dev"}},
      {"zstd", {R"(\blibzstd\b)", R"(\bzstd\b)"}, {"libzstd-dev"}},
  };
  return entries;
}

}  // namespace

Result<Rules> parse_rules(std::string_view json) {
  if (json.size() > max_rules_bytes) return std::unexpected(bad_rules("over 16 MiB"));
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(bad_rules("not JSON"));
  if (!doc.is_object()) return std::unexpected(bad_rules("not a JSON object of rules"));
  auto strings = [](const nlohmann::json& v, std::vector<std::string>& out) {
    if (!v.is_array()) return false;
    for (const auto& s : v) {
      if (!s.is_string()) return false;
      out.push_back(s.get<std::string>());
    }
    return true;
  };
  Rules rules;
  for (const auto& [name, body] : doc.items()) {
    const auto what = "rule `" + util::printable_excerpt(name, 60) + "`";
    if (!body.is_object()) return std::unexpected(bad_rules(what + " is not an object"));
    SysreqRule rule;
    rule.name = name;
    const auto patterns = body.find("patterns");
    if (patterns == body.end() || !strings(*patterns, rule.patterns))
      return std::unexpected(bad_rules(what + ": `patterns` is not a list of strings"));
    for (const auto& p : rule.patterns) {
      auto re = compile(name, p);
      if (!re) return std::unexpected(re.error());
      rule.regexes.push_back(std::move(*re));
    }
    const auto deps = body.find("dependencies");
    if (deps == body.end() || !deps->is_array())
      return std::unexpected(bad_rules(what + ": `dependencies` is not a list"));
    for (const auto& d : *deps) {
      SysreqDependency dep;
      if (!d.is_object()) return std::unexpected(bad_rules(what + ": a dependency is not an object"));
      const auto packages = d.find("packages");
      if (packages == d.end() || !strings(*packages, dep.packages))
        return std::unexpected(bad_rules(what + ": `packages` is not a list of strings"));
      if (const auto constraints = d.find("constraints"); constraints != d.end()) {
        if (!constraints->is_array()) return std::unexpected(bad_rules(what + ": `constraints` is not a list"));
        for (const auto& c : *constraints) {
          if (!c.is_object()) return std::unexpected(bad_rules(what + ": a constraint is not an object"));
          SysreqConstraint constraint;
          for (auto [key, field] : {std::pair{"os", &constraint.os}, std::pair{"distribution", &constraint.distribution}})
            if (const auto v = c.find(key); v != c.end()) {
              if (!v->is_string()) return std::unexpected(bad_rules(what + ": `" + key + "` is not a string"));
              *field = v->get<std::string>();
            }
          if (const auto v = c.find("versions"); v != c.end() && !strings(*v, constraint.versions))
            return std::unexpected(bad_rules(what + ": `versions` is not a list of strings"));
          dep.constraints.push_back(std::move(constraint));
        }
      }
      rule.dependencies.push_back(std::move(dep));
    }
    rules.rules.push_back(std::move(rule));
  }
  std::sort(rules.rules.begin(), rules.rules.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return rules;
}

std::vector<std::string> match(const Rules& rules, std::string_view system_requirements, std::string_view distribution,
                               std::string_view version) {
  const auto text = system_requirements.substr(0, max_searched);
  std::set<std::string> packages;
  for (const auto& rule : rules.rules) {
    const bool hit = std::any_of(rule.regexes.begin(), rule.regexes.end(), [&](const std::regex& re) {
      return std::regex_search(text.begin(), text.end(), re);
    });
    if (!hit) continue;
    for (const auto& dep : rule.dependencies)
      if (applies(dep, distribution, version)) packages.insert(dep.packages.begin(), dep.packages.end());
  }
  return {packages.begin(), packages.end()};
}

const Rules& builtin_rules() {
  static const Rules rules = [] {
    Rules out;
    for (const auto& e : builtin_entries()) {
      SysreqRule rule;
      rule.name = std::string(e.name);
      for (auto p : e.patterns) {
        rule.patterns.emplace_back(p);
        rule.regexes.emplace_back(std::string(p), std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
      }
      SysreqDependency dep;
      for (auto p : e.packages) dep.packages.emplace_back(p);
      dep.constraints.push_back(SysreqConstraint{"linux", "debian", {}});
      rule.dependencies.push_back(std::move(dep));
      out.rules.push_back(std::move(rule));
    }
    std::sort(out.rules.begin(), out.rules.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return rules;
}

}  // namespace mlpack::cran
