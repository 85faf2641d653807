#include "sbom/license.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "sbom/license_list.hpp"

namespace mlpack::sbom {

namespace {

bool less_ci(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

// The list's spelling of `id`, matched case-insensitively.
template <std::size_t N>
std::optional<std::string_view> find_id(const std::array<std::string_view, N>& ids, std::string_view id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id, less_ci);
  if (it == ids.end() || less_ci(id, *it)) return std::nullopt;
  return *it;
}

// Tokens: `(`, `)`, and words (ids, `+`-suffixed ids, operators) split at spaces and parentheses.
std::optional<std::vector<std::string>> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\t' || c == '(' || c == ')') {
      if (!word.empty()) out.push_back(std::move(word)), word.clear();
      if (c == '(' || c == ')') out.emplace_back(1, c);
    } else if (std::isalnum(u) || c == '.' || c == '-' || c == '+' || c == ':') {
      word += c;
    } else {
      return std::nullopt;  // commas, slashes, quotes, line breaks: prose, not an expression
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

// A recursive-descent parser over annex D's grammar, writing the canonical form as it goes:
//   compound := and ("OR" and)*      and := term ("AND" term)*
//   term     := "(" compound ")" | simple ["WITH" exception]
class Parser {
 public:
  explicit Parser(std::vector<std::string> tokens) : t_(std::move(tokens)) {}

  std::optional<std::string> parse() {
    if (t_.empty()) return std::nullopt;
    auto e = compound(0);
    if (!e || pos_ != t_.size()) return std::nullopt;
    return e;
  }

 private:
  bool at(std::string_view s) const { return pos_ < t_.size() && t_[pos_] == s; }

  std::optional<std::string> compound(int depth) {
    if (depth > 32) return std::nullopt;
    auto left = conjunction(depth);
    if (!left) return std::nullopt;
    std::string out = *left;
    while (at("OR")) {
      ++pos_;
      auto right = conjunction(depth);
      if (!right) return std::nullopt;
      out += " OR " + *right;
    }
    return out;
  }

  std::optional<std::string> conjunction(int depth) {
    auto left = term(depth);
    if (!left) return std::nullopt;
    std::string out = *left;
    while (at("AND")) {
      ++pos_;
      auto right = term(depth);
      if (!right) return std::nullopt;
      out += " AND " + *right;
    }
    return out;
  }

  std::optional<std::string> term(int depth) {
    if (pos_ >= t_.size()) return std::nullopt;
    if (at("(")) {
      ++pos_;
      auto inner = compound(depth + 1);
      if (!inner || !at(")")) return std::nullopt;
      ++pos_;
      return "(" + *inner + ")";
    }
    std::string_view word = t_[pos_++];
    bool plus = word.size() > 1 && word.back() == '+';
    if (plus) word.remove_suffix(1);
    auto id = find_id(detail::license_ids, word);
    if (!id) return std::nullopt;
    std::string out = std::string(*id) + (plus ? "+" : "");
    if (at("WITH")) {
      ++pos_;
      if (pos_ >= t_.size()) return std::nullopt;
      auto exception = find_id(detail::exception_ids, t_[pos_++]);
      if (!exception) return std::nullopt;
      out += " WITH " + std::string(*exception);
    }
    return out;
  }

  std::vector<std::string> t_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> spdx_expression(std::string_view text) {
  if (text.size() > 4096) return std::nullopt;
  auto tokens = tokenize(text);
  if (!tokens) return std::nullopt;
  return Parser(std::move(*tokens)).parse();
}

}  // namespace mlpack::sbom

// ---- Debian's copyright-format 1.0 ----

namespace mlpack::sbom {

namespace {

// Source: copyright-format 1.0 (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/),
// section "License short name", its table of standard short names, against the SPDX License List
// 3.24. The GNU families (GPL, LGPL, AGPL, GFDL, GFDL-NIV) are versioned by the rule in
// gnu_family() below; the rest of the format's names are SPDX-like and map here or through the
// SPDX list by name (Apache-2.0, BSD-3-clause, CC-BY-SA-4.0, CC0-1.0, CDDL-1.0, EFL-2.0,
// LPPL-1.3c, MPL-2.0, Python-2.0, QPL-1.0, Zlib, ISC), a version "N" read as "N.0".
constexpr DebianShortName short_names[] = {
    {"expat", "MIT"},           // the format: "Expat", the MIT licence as SPDX's MIT reads
    {"zope-1.1", "ZPL-1.1"},    // Zope Public License
    {"zope-2.0", "ZPL-2.0"},
    {"zope-2.1", "ZPL-2.1"},
    {"artistic", ""},           // Perl's Artistic licence: SPDX has three 1.0 texts
    {"artistic-1", ""},
    {"artistic-1.0", ""},
    {"perl", ""},               // "GPL-1+ or Artistic" spelt as one name
    {"w3c", ""},                // SPDX has three dated W3C licences
    {"public-domain", ""},      // not a licence
    {"gpl", ""},                // the GNU families without a version
    {"lgpl", ""},
    {"agpl", ""},
    {"gfdl", ""},
    {"gfdl-niv", ""},
};

// Exceptions named `with KEYWORD exception`, where SPDX has exactly one exception of that name.
constexpr DebianShortName exceptions[] = {
    {"classpath", "Classpath-exception-2.0"},
    {"font", "Font-exception-2.0"},
    {"llvm", "LLVM-exception"},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// GPL-2, GPL-2+, GPL-2.0+, LGPL-2.1, AGPL-3, GFDL-1.3+, GFDL-NIV-1.2: "-only" / "-or-later".
std::optional<std::string> gnu_family(const std::string& name) {
  struct Family {
    std::string_view prefix, spdx, suffix;
    std::array<std::string_view, 3> versions;
  };
  static constexpr Family families[] = {
      {"gpl-", "GPL-", "", {"1.0", "2.0", "3.0"}},
      {"lgpl-", "LGPL-", "", {"2.0", "2.1", "3.0"}},
      {"agpl-", "AGPL-", "", {"1.0", "3.0", ""}},
      {"gfdl-niv-", "GFDL-", "-no-invariants", {"1.1", "1.2", "1.3"}},
      {"gfdl-", "GFDL-", "", {"1.1", "1.2", "1.3"}},
  };
  for (const auto& f : families) {
    if (!name.starts_with(f.prefix)) continue;
    std::string version = name.substr(f.prefix.size());
    bool later = version.ends_with('+');
    if (later) version.pop_back();
    if (version.find('.') == std::string::npos) version += ".0";
    for (auto v : f.versions)
      if (!v.empty() && v == version)
        return std::string(f.spdx) + version + std::string(f.suffix) + (later ? "-or-later" : "-only");
    return std::nullopt;  // a version the family does not have
  }
  return std::nullopt;
}

// One short name (with `+` where written) as an SPDX license id or `id+`.
std::optional<std::string> map_short_name(std::string_view word) {
  std::string name = lower(word);
  for (const auto& s : short_names)
    if (s.debian == name) return s.spdx.empty() ? std::nullopt : std::optional<std::string>(s.spdx);
  if (name.starts_with("gpl-") || name.starts_with("lgpl-") || name.starts_with("agpl-") ||
      name.starts_with("gfdl-"))
    return gnu_family(name);
  bool plus = name.size() > 1 && name.ends_with('+');
  std::string id = plus ? name.substr(0, name.size() - 1) : name;
  auto found = find_id(detail::license_ids, id);
  if (!found && !id.empty() && std::isdigit(static_cast<unsigned char>(id.back())) &&
      id.find_last_of('-') != std::string::npos && id.find('.', id.find_last_of('-')) == std::string::npos)
    found = find_id(detail::license_ids, id + ".0");  // Apache-2, MPL-2
  if (!found) return std::nullopt;
  return std::string(*found) + (plus ? "+" : "");
}

// An expression with its binding: 0 an OR list, 1 an AND list, 2 a term.
struct Node {
  std::string text;
  int binding = 2;
};

Node join(const Node& a, const Node& b, bool conjunction) {
  auto wrap = [&](const Node& n) { return conjunction && n.binding < 1 ? "(" + n.text + ")" : n.text; };
  return {wrap(a) + (conjunction ? " AND " : " OR ") + wrap(b), conjunction ? 1 : 0};
}

}  // namespace

std::span<const DebianShortName> debian_short_names() {
  return short_names;
}

std::optional<std::string> debian_license_expression(std::string_view text) {
  if (text.size() > 4096) return std::nullopt;
  // Words, with commas as words of their own.
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == ',') {
      if (!word.empty()) words.push_back(std::move(word)), word.clear();
      if (c == ',') words.emplace_back(",");
    } else if (static_cast<unsigned char>(c) < 0x20 || c == '(' || c == ')') {
      return std::nullopt;
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));

  std::size_t i = 0;
  auto keyword = [&](std::string_view k) { return i < words.size() && lower(words[i]) == k; };
  auto term = [&]() -> std::optional<Node> {
    if (i >= words.size() || words[i] == "," || keyword("and") || keyword("or") || keyword("with"))
      return std::nullopt;
    auto id = map_short_name(words[i++]);
    if (!id) return std::nullopt;
    if (!keyword("with")) return Node{*id, 2};
    ++i;  // `with KEYWORD exception`
    if (i + 1 >= words.size() || lower(words[i + 1]) != "exception") return std::nullopt;
    std::string name = lower(words[i]);
    i += 2;
    for (const auto& e : exceptions)
      if (e.debian == name) return Node{*id + " WITH " + std::string(e.spdx), 2};
    return std::nullopt;
  };
  auto conjunction = [&]() -> std::optional<Node> {
    auto left = term();
    while (left && keyword("and")) {
      ++i;
      auto right = term();
      if (!right) return std::nullopt;
      left = join(*left, *right, true);
    }
    return left;
  };
  auto group = [&]() -> std::optional<Node> {
    auto left = conjunction();
    while (left && keyword("or")) {
      ++i;
      auto right = conjunction();
      if (!right) return std::nullopt;
      left = join(*left, *right, false);
    }
    return left;
  };
  auto all = group();
  while (all && i < words.size() && words[i] == ",") {
    ++i;
    bool conj = keyword("and");
    if (!conj && !keyword("or")) return std::nullopt;  // a bare list is no expression
    ++i;
    auto right = group();
    if (!right) return std::nullopt;
    // The comma closes what came before: joined as a group of its own (join() adds the
    // parentheses an OR list needs inside an AND).
    all = join(*all, *right, conj);
  }
  if (!all || i != words.size()) return std::nullopt;
  return spdx_expression(all->text);  // checked, and spelled as the list spells it
}

}  // namespace mlpack::sbom
