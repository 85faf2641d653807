#include "conda/match_spec.hpp"

#include <algorithm>
#include <array>
#include <regex>

#include "conda/glob.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::conda {

namespace {

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input,
                     "invalid match spec `" + std::string(text) + "`: " + std::string(why)};
}

using util::trim;

constexpr std::array<std::string_view, 8> extra_keys = {"track_features", "features", "url", "fn",
                                                        "md5",            "sha256",   "license", "license_family"};

bool is_subdir(std::string_view s) {
  static constexpr std::string_view known[] = {
      "noarch",      "linux-32",  "linux-64",  "linux-aarch64", "linux-armv6l", "linux-armv7l", "linux-ppc64",
      "linux-ppc64le", "linux-s390x", "linux-riscv64", "osx-64", "osx-arm64", "win-32", "win-64", "win-arm64",
      "emscripten-wasm32", "wasi-wasm32", "zos-z"};
  return std::ranges::find(known, s) != std::end(known);
}

// Splits a trailing known subdir off a channel, and names pkgs/main `defaults` as conda does.
void set_channel(std::string value, std::optional<std::string>& channel, std::optional<std::string>& subdir) {
  auto slash = value.rfind('/');
  if (slash != std::string::npos && is_subdir(std::string_view(value).substr(slash + 1))) {
    subdir = value.substr(slash + 1);
    value.resize(slash);
  }
  if (value == "pkgs/main") value = "defaults";
  channel = value;
}

// A build-string or name pattern: `^…$` a regex, `*` globs, else exact.
bool glob_match(const std::string& pattern, const std::string& value, bool icase = false) {
  if (pattern.size() >= 2 && pattern.front() == '^' && pattern.back() == '$') {
    try {
      if (!detail::unsafe_regex(pattern).empty()) return false;
      return std::regex_search(value, std::regex(pattern));
    } catch (const std::regex_error&) {
      return false;
    }
  }
  return detail::glob_match(pattern, value, icase);
}

// conda's split of `version build`: the first space or `=` that is not part of an operator and
// leaves a build string without `-=,|<>~`.
std::pair<std::string, std::optional<std::string>> split_version_build(const std::string& s) {
  for (std::size_t k = 1; k + 1 < s.size(); ++k) {
    if (s[k] != ' ' && s[k] != '=') continue;
    if (std::string_view("=!|,<>~").find(s[k - 1]) != std::string_view::npos) continue;
    auto build = s.substr(k + 1);
    if (build.find_first_of("-=,|<>~") != std::string::npos) continue;
    auto version = s.substr(0, k);
    std::erase(version, ' ');
    return {version, trim(build)};
  }
  auto version = s;
  std::erase(version, ' ');
  return {version, std::nullopt};
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '*';
}

}  // namespace

Result<MatchSpec> MatchSpec::parse(std::string_view input) {
  std::string text = trim(input);
  if (auto hash = text.find('#'); hash != std::string::npos) text = trim(text.substr(0, hash));
  if (text.empty()) return std::unexpected(invalid(input, "empty spec"));
  if (text.ends_with(".tar.bz2") || text.ends_with(".conda") || text.find("://") == 0 ||
      (text.find("://") != std::string::npos && text.find("::") == std::string::npos && text.find('[') == std::string::npos))
    return util::fail(util::ErrorKind::unsupported, "match spec `" + text + "`: package URLs are not supported");

  MatchSpec spec;
  if (text.back() == '@') {  // `mkl@`: the old spelling of a track_features spec
    spec.extra_.emplace_back("track_features", text.substr(0, text.size() - 1));
    return spec;
  }

  std::vector<std::pair<std::string, std::string>> brackets;
  if (auto open = text.rfind('['), close = text.rfind(']');
      open != std::string::npos && close != std::string::npos && close > open) {
    std::string inside = text.substr(open + 1, close - open - 1);
    text = text.substr(0, open) + text.substr(close + 1);
    std::size_t i = 0;
    while (i < inside.size()) {
      while (i < inside.size() && (inside[i] == ',' || inside[i] == ' ')) ++i;
      if (i >= inside.size()) break;
      auto eq = inside.find('=', i);
      if (eq == std::string::npos) return std::unexpected(invalid(input, "key-value mismatch in brackets"));
      std::string key = trim(std::string_view(inside).substr(i, eq - i));
      std::string value;
      std::size_t j = eq + 1;
      if (j < inside.size() && (inside[j] == '\'' || inside[j] == '"')) {
        auto end = inside.find(inside[j], j + 1);
        if (end == std::string::npos) return std::unexpected(invalid(input, "unterminated quote in brackets"));
        value = inside.substr(j + 1, end - j - 1);
        i = end + 1;
      } else {
        auto end = inside.find_first_of(", ", j);
        if (end == std::string::npos) end = inside.size();
        value = inside.substr(j, end - j);
        i = end;
      }
      if (key.empty() || value.empty()) return std::unexpected(invalid(input, "key-value mismatch in brackets"));
      brackets.emplace_back(key, value);
    }
  }
  if (text.find('[') != std::string::npos || text.find(']') != std::string::npos)
    return std::unexpected(invalid(input, "multiple bracket sections are not allowed"));

  if (auto colons = text.rfind("::"); colons != std::string::npos) {
    set_channel(text.substr(0, colons), spec.channel_, spec.subdir_);
    text = text.substr(colons + 2);
  }
  auto name_end = text.find_first_of(" =<>!~");
  std::string name = text.substr(0, name_end);
  std::string rest = name_end == std::string::npos ? "" : trim(text.substr(name_end));
  if (name.empty()) return std::unexpected(invalid(input, "missing package name"));
  if (!std::ranges::all_of(name, valid_name_char))
    return std::unexpected(invalid(input, "package name contains invalid characters"));
  if (name.front() == '-' || name.find("--") != std::string::npos)
    return std::unexpected(invalid(input, "invalid package name"));
  spec.name_ = name;

  if (!rest.empty()) {
    auto [version, build] = split_version_build(rest);
    if (version != "=" && version != "==" && version.front() == '=') {
      auto tail = version.substr(1);
      if (version.starts_with("==") &&
          (!build || version.find_first_of("=,|<>!~*", 2) == std::string::npos)) {
        version = version.substr(2);  // `==1.7` is the bare exact version `1.7`
      } else if (tail.find_first_of("=,|") == std::string::npos) {
        version = (!build && !tail.empty() && tail.back() != '*') ? tail + "*" : tail;
      }
    }
    spec.version_ = TRY_CONTEXT(VersionSpec::parse(version), "invalid match spec `" + std::string(input) + "`");
    if (build) spec.build_ = *build;
  }

  for (auto& [key, value] : brackets) {
    if (key == "version") {
      spec.version_ = TRY_CONTEXT(VersionSpec::parse(value), "invalid match spec `" + std::string(input) + "`");
    } else if (key == "build") {
      spec.build_ = value;
    } else if (key == "build_number") {
      spec.build_number_ = value;
    } else if (key == "channel") {
      set_channel(value, spec.channel_, spec.subdir_);
    } else if (key == "subdir") {
      spec.subdir_ = value;
    } else if (std::ranges::find(extra_keys, key) != extra_keys.end()) {
      if (key == "license_family") std::ranges::transform(value, value.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
      });
      std::erase_if(spec.extra_, [&](const auto& kv) { return kv.first == key; });
      spec.extra_.emplace_back(key, value);
    }
  }
  std::ranges::sort(spec.extra_, {}, [](const auto& kv) {
    return std::ranges::find(extra_keys, kv.first) - extra_keys.begin();
  });
  return spec;
}

std::string MatchSpec::str() const {
  std::string out;
  std::vector<std::string> brackets;
  bool exact_channel = channel_ && *channel_ != "*";
  if (exact_channel) out += *channel_;
  if (subdir_) {
    if (exact_channel) out += "/" + *subdir_;
    else brackets.push_back("subdir=" + *subdir_);
  }
  if (!out.empty()) out += "::";
  out += name_;
  bool version_exact = false;
  if (version_ && version_->str() != "*") {
    const auto& v = version_->str();
    if (v.find_first_of("><$^|,") != std::string::npos) {
      brackets.push_back("version='" + v + "'");
    } else if (v.starts_with("!=") || v.starts_with("~=")) {
      if (build_) brackets.push_back("version='" + v + "'");
      else out += v;
    } else if (v.ends_with(".*")) {
      out += "=" + v.substr(0, v.size() - 2);
    } else if (v.ends_with("*")) {
      out += "=" + v.substr(0, v.size() - 1);
    } else if (v.starts_with("==")) {
      out += v;
      version_exact = true;
    } else {
      out += "==" + v;
      version_exact = true;
    }
  }
  if (build_) {
    const auto& b = *build_;
    if (b.find_first_of("><$^|,") != std::string::npos) brackets.push_back("build='" + b + "'");
    else if (b.find('*') != std::string::npos || !version_exact) brackets.push_back("build=" + b);
    else out += "=" + b;
  }
  auto quoted = [](const std::string& v) {
    return v.find_first_of("=, |") != std::string::npos ? "'" + v + "'" : v;
  };
  if (build_number_) brackets.push_back("build_number=" + quoted(*build_number_));
  for (const auto& [key, value] : extra_) brackets.push_back(key + "=" + quoted(value));
  if (!brackets.empty()) {
    out += "[";
    for (std::size_t i = 0; i < brackets.size(); ++i) out += (i ? "," : "") + brackets[i];
    out += "]";
  }
  return out;
}

bool MatchSpec::matches(const PackageRecord& r) const {
  if (!glob_match(name_, r.name)) return false;
  if (version_) {
    auto v = Version::parse(r.version);
    if (!v || !version_->matches(*v)) return false;
  }
  if (build_ && !glob_match(*build_, r.build)) return false;
  if (build_number_) {
    std::string_view s = *build_number_;
    std::string op;
    while (!s.empty() && std::string_view("<>=!").find(s.front()) != std::string_view::npos) {
      op += s.front();
      s.remove_prefix(1);
    }
    std::uint64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    auto b = r.build_number;
    bool ok = op.empty() || op == "==" || op == "=" ? b == n
              : op == "!="                          ? b != n
              : op == "<"                           ? b < n
              : op == "<="                          ? b <= n
              : op == ">"                           ? b > n
              : op == ">="                          ? b >= n
                                                    : false;
    if (!ok) return false;
  }
  if (subdir_ && *subdir_ != r.subdir) return false;
  if (channel_ && *channel_ != "*") {
    std::string rc = r.channel;
    if (auto slash = rc.rfind('/'); slash != std::string::npos && is_subdir(std::string_view(rc).substr(slash + 1)))
      rc.resize(slash);
    const auto& c = *channel_;
    bool ok = rc == c || rc.ends_with("/" + c) ||
              (c == "defaults" && (rc.find("repo.anaconda.com/pkgs/") != std::string::npos || rc == "pkgs/main"));
    if (!ok) return false;
  }
  for (const auto& [key, value] : extra_) {
    if (key == "md5" && value != r.md5) return false;
    if (key == "sha256" && value != r.sha256) return false;
    if (key == "license" && !glob_match(value, r.license, true)) return false;
    if (key == "license_family" && !glob_match(value, r.license_family, true)) return false;
    if (key == "url" && value != r.url) return false;
    if (key == "fn" && value != r.fn) return false;
    if (key == "track_features" || key == "features") {
      std::vector<std::string> want;
      for (std::size_t i = 0; i < value.size();) {
        auto end = value.find_first_of(", ", i);
        if (end == std::string::npos) end = value.size();
        if (end > i) want.push_back(value.substr(i, end - i));
        i = end + 1;
      }
      auto have = key == "features" ? r.features : r.track_features;
      std::ranges::sort(want);
      std::ranges::sort(have);
      if (want != have) return false;
    }
  }
  return true;
}

}  // namespace mlpack::conda
