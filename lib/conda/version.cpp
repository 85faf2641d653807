#include "conda/version.hpp"

#include <algorithm>
#include <functional>

namespace mlpack::conda {

namespace {

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input,
                     "invalid version `" + std::string(text) + "`: " + std::string(why)};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

bool allowed(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) {
    return is_digit(c) || is_lower(c) || c == '*' || c == '.' || c == '+' || c == '!' || c == '_';
  });
}

const Atom zero{Atom::Kind::number, "0"};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// Splits one component into runs of digits, of `*` and of anything else.
Component atoms(std::string_view part) {
  Component out;
  std::size_t i = 0;
  while (i < part.size()) {
    std::size_t j = i + 1;
    auto cls = [](char c) { return is_digit(c) ? 0 : c == '*' ? 1 : 2; };
    while (j < part.size() && cls(part[j]) == cls(part[i])) ++j;
    std::string run(part.substr(i, j - i));
    if (is_digit(run[0])) {
      auto nz = run.find_first_not_of('0');
      out.push_back({Atom::Kind::number, nz == std::string::npos ? "0" : run.substr(nz)});
    } else if (run == "post") {
      out.push_back({Atom::Kind::post, ""});
    } else if (run == "dev") {
      out.push_back({Atom::Kind::text, "DEV"});
    } else {
      out.push_back({Atom::Kind::text, run});
    }
    i = j;
  }
  if (!out.empty() && !is_digit(part[0])) out.insert(out.begin(), zero);
  return out;
}

std::strong_ordering compare(const Atom& a, const Atom& b) {
  if (a.kind != b.kind) return a.kind <=> b.kind;
  if (a.kind == Atom::Kind::number && a.text.size() != b.text.size()) return a.text.size() <=> b.text.size();
  return a.text.compare(b.text) <=> 0;
}

std::strong_ordering compare(const Component& a, const Component& b) {
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    auto c = compare(i < a.size() ? a[i] : zero, i < b.size() ? b[i] : zero);
    if (c != 0) return c;
  }
  return std::strong_ordering::equal;
}

std::strong_ordering compare(const std::vector<Component>& a, const std::vector<Component>& b) {
  static const Component empty;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    auto c = compare(i < a.size() ? a[i] : empty, i < b.size() ? b[i] : empty);
    if (c != 0) return c;
  }
  return std::strong_ordering::equal;
}

std::size_t hash_parts(const std::vector<Component>& parts, std::size_t seed) {
  // Drop what compares equal to nothing: trailing zero atoms, then trailing empty components.
  std::vector<Component> norm = parts;
  for (auto& c : norm)
    while (!c.empty() && c.back() == zero) c.pop_back();
  while (!norm.empty() && norm.back().empty()) norm.pop_back();
  for (const auto& c : norm) {
    for (const auto& a : c) seed = seed * 1000003 ^ (std::hash<std::string>{}(a.text) + static_cast<int>(a.kind));
    seed = seed * 31 + 7;
  }
  return seed;
}

}  // namespace

Result<Version> Version::parse(std::string_view input) {
  std::string text(input);
  auto first = text.find_first_not_of(" \t\r\n\f\v");
  text = first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(" \t\r\n\f\v") - first + 1);
  std::ranges::transform(text, text.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
  if (text.empty()) return std::unexpected(invalid(input, "empty version string"));
  bool ok = allowed(text);
  if (!ok && text.find('-') != std::string::npos && text.find('_') == std::string::npos) {
    std::ranges::replace(text, '-', '_');
    ok = allowed(text);
  }
  if (!ok) return std::unexpected(invalid(input, "invalid character(s)"));

  Version v;
  v.text_ = text;
  auto epoch_split = split(text, '!');
  if (epoch_split.size() > 2) return std::unexpected(invalid(input, "duplicated epoch separator `!`"));
  std::string epoch = "0";
  if (epoch_split.size() == 2) {
    epoch = epoch_split[0];
    if (epoch.empty() || !std::ranges::all_of(epoch, is_digit))
      return std::unexpected(invalid(input, "epoch must be an integer"));
  }
  auto local_split = split(epoch_split.back(), '+');
  if (local_split.size() > 2) return std::unexpected(invalid(input, "duplicated local version separator `+`"));
  std::vector<std::string> local_parts;
  if (local_split.size() == 2) {
    std::ranges::replace(local_split[1], '_', '.');
    local_parts = split(local_split[1], '.');
  }
  std::string main = local_split[0];
  if (main.empty()) return std::unexpected(invalid(input, "missing version before local version separator `+`"));
  std::vector<std::string> parts{epoch};
  // openssl's convention: a trailing `_` stays on the last component (1.0.1_ < 1.0.1a).
  bool trailing_underscore = main.back() == '_';
  if (trailing_underscore) main.pop_back();
  std::ranges::replace(main, '_', '.');
  for (auto& p : split(main, '.')) parts.push_back(std::move(p));
  if (trailing_underscore) parts.back() += '_';

  for (auto [from, to] : {std::pair{&parts, &v.version_}, std::pair{&local_parts, &v.local_}})
    for (const auto& p : *from) {
      auto c = atoms(p);
      if (c.empty()) return std::unexpected(invalid(input, "empty version component"));
      to->push_back(std::move(c));
    }
  return v;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (auto c = compare(a.version_, b.version_); c != 0) return c;
  return compare(a.local_, b.local_);
}

std::size_t Version::hash() const { return hash_parts(local_, hash_parts(version_, 17)); }

bool Version::starts_with(const Version& prefix) const {
  const std::vector<Component>* mine = &version_;
  const std::vector<Component>* theirs = &prefix.version_;
  if (!prefix.local_.empty()) {
    if (compare(version_, prefix.version_) != 0) return false;
    mine = &local_;
    theirs = &prefix.local_;
  }
  if (theirs->empty()) return true;
  std::size_t last = theirs->size() - 1;
  std::vector<Component> head(mine->begin(), mine->begin() + std::min(last, mine->size()));
  if (compare(head, std::vector<Component>(theirs->begin(), theirs->begin() + last)) != 0) return false;
  Component v1 = last < mine->size() ? (*mine)[last] : Component{};
  const Component& v2 = (*theirs)[last];
  std::size_t n = v2.size() - 1;
  if (compare(Component(v1.begin(), v1.begin() + std::min(n, v1.size())), Component(v2.begin(), v2.begin() + n)) != 0)
    return false;
  const Atom& c1 = n < v1.size() ? v1[n] : zero;
  const Atom& c2 = v2[n];
  if (c2.kind == Atom::Kind::text) return c1.kind == Atom::Kind::text && c1.text.starts_with(c2.text);
  return compare(c1, c2) == 0;
}

}  // namespace mlpack::conda
