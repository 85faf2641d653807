#include "pypi/requirement.hpp"

#include <algorithm>

#include "pypi/name.hpp"
#include "pypi/version.hpp"
#include "util/expected.hpp"

namespace mlpack::pypi {
namespace {

using detail::SyntaxError;
using detail::word_before;
using detail::word_boundary;

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of Python's `\s*` at the front of `s` (Unicode white space, line breaks included).
std::size_t leading_space(std::string_view s) {
  std::size_t n = 0;
  while (auto k = detail::space_length(s.substr(n))) n += k;
  return n;
}

// A case-insensitive (ASCII) cursor that matches the pieces of packaging's SPECIFIER regex. Each
// optional group either matches whole or leaves the position alone; since everything after a group
// is optional too, the regex's first match is exactly this greedy left-to-right one.
struct VersionCursor {
  std::string_view s;
  std::size_t pos;

  char at(std::size_t i) const { return i < s.size() ? lower(s[i]) : '\0'; }
  bool sep(std::size_t i) const { char c = at(i); return c == '-' || c == '_' || c == '.'; }
  std::size_t digits(std::size_t i) const {
    std::size_t n = 0;
    while (is_digit(at(i + n))) ++n;
    return n;
  }
  bool word(std::size_t i, std::string_view w) const {
    for (std::size_t k = 0; k < w.size(); ++k)
      if (at(i + k) != w[k]) return false;
    return true;
  }
  // One alternative of a regex group such as (alpha|beta|…), first match in order.
  std::size_t alternative(std::size_t i, std::initializer_list<std::string_view> words) const {
    for (auto w : words)
      if (word(i, w)) return w.size();
    return 0;
  }
  void skip_sep_digits() {  // [-_\.]?[0-9]*
    if (sep(pos)) ++pos;
    pos += digits(pos);
  }

  // v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)* ; with `two_segments`, (?:\.[0-9]+)+
  bool release(bool two_segments) {
    if (at(pos) == 'v') ++pos;
    if (auto n = digits(pos); n && at(pos + n) == '!' && digits(pos + n + 1)) pos += n + 1;
    auto n = digits(pos);
    if (!n) return false;
    pos += n;
    int more = 0;
    while (at(pos) == '.' && digits(pos + 1)) {
      pos += 1 + digits(pos + 1);
      ++more;
    }
    return !two_segments || more > 0;
  }
  void pre() {  // ([-_\.]?(alpha|beta|preview|pre|a|b|c|rc)[-_\.]?[0-9]*)?
    auto i = pos + (sep(pos) ? 1 : 0);
    auto n = alternative(i, {"alpha", "beta", "preview", "pre", "a", "b", "c", "rc"});
    if (!n) return;
    pos = i + n;
    skip_sep_digits();
  }
  void post() {  // ((?:-[0-9]+)|(?:[-_\.]?(post|rev|r)[-_\.]?[0-9]*))?
    if (at(pos) == '-' && digits(pos + 1)) {
      pos += 1 + digits(pos + 1);
      return;
    }
    auto i = pos + (sep(pos) ? 1 : 0);
    auto n = alternative(i, {"post", "rev", "r"});
    if (!n) return;
    pos = i + n;
    skip_sep_digits();
  }
  void dev() {  // ([-_\.]?dev[-_\.]?[0-9]*)?
    auto i = pos + (sep(pos) ? 1 : 0);
    if (!word(i, "dev")) return;
    pos = i + 3;
    skip_sep_digits();
  }
};

// `\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*` at `i`, case-insensitive or not; its length or 0.
std::size_t local_label(std::string_view s, std::size_t i, bool ignore_case) {
  auto alnum = [&](std::size_t k) {
    if (k >= s.size()) return false;
    char c = ignore_case ? lower(s[k]) : s[k];
    return (c >= 'a' && c <= 'z') || is_digit(c);
  };
  if (i >= s.size() || s[i] != '+' || !alnum(i + 1)) return 0;
  auto j = i + 1;
  while (alnum(j)) ++j;
  while (j + 1 < s.size() && (s[j] == '-' || s[j] == '_' || s[j] == '.') && alnum(j + 1)) {
    ++j;
    while (alnum(j)) ++j;
  }
  return j - i;
}

// Length of packaging's SPECIFIER token at `pos`, 0 when there is none.
std::size_t specifier_token(std::string_view s, std::size_t pos) {
  auto rest = s.substr(pos);
  if (rest.starts_with("===")) {  // `===` then anything up to white space, `;` or `)`
    auto i = pos + 3;
    i += leading_space(s.substr(i));
    while (i < s.size() && s[i] != ';' && s[i] != ')' && detail::space_length(s.substr(i)) == 0) ++i;
    return i - pos;
  }
  std::string_view op;
  for (std::string_view o : {"==", "!=", "~=", "<=", ">=", "<", ">"})
    if (rest.starts_with(o)) {
      op = o;
      break;
    }
  if (op.empty()) return 0;
  VersionCursor v{s, pos + op.size()};
  v.pos += leading_space(s.substr(v.pos));
  bool equality = op == "==" || op == "!=";
  if (!v.release(op == "~=")) return 0;
  if (equality && v.at(v.pos) == '.' && v.at(v.pos + 1) == '*') return v.pos + 2 - pos;
  v.pre();
  v.post();
  v.dev();
  if (equality) v.pos += local_label(s, v.pos, true);
  return v.pos - pos;
}

// The requirement half of packaging's PEP 508 parser; the marker goes to marker.cpp.
struct RequirementParser {
  std::string_view s;
  std::size_t pos = 0;

  std::unexpected<SyntaxError> error(std::string message, std::optional<std::size_t> start = {},
                                     std::optional<std::size_t> end = {}) const {
    return std::unexpected(SyntaxError{std::move(message), start.value_or(pos), end.value_or(pos)});
  }

  void blanks() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  }
  bool at(char c) const { return pos < s.size() && s[pos] == c; }
  bool at_end() const { return pos == s.size(); }

  // IDENTIFIER = \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b, backing off trailing `.`/`-` to a boundary.
  std::optional<std::string_view> identifier(bool peek = false) {
    if (pos >= s.size() || !is_ascii_alnum(s[pos]) || word_before(s, pos)) return std::nullopt;
    auto end = pos + 1;
    while (end < s.size() && (is_ascii_alnum(s[end]) || s[end] == '.' || s[end] == '_' || s[end] == '-')) ++end;
    while (end > pos && !word_boundary(s, end)) --end;
    if (end == pos) return std::nullopt;
    auto text = s.substr(pos, end - pos);
    if (!peek) pos = end;
    return text;
  }

  std::expected<Requirement, SyntaxError> requirement() {
    Requirement r;
    blanks();
    auto name = identifier();
    if (!name) return error("Expected package name at the start of dependency specifier");
    r.name = std::string(*name);
    blanks();
    TRY(extras(r.extras));
    blanks();
    TRY(details(r));
    if (!at_end()) return error("Expected end of dependency specifier");
    std::sort(r.extras.begin(), r.extras.end());
    r.extras.erase(std::unique(r.extras.begin(), r.extras.end()), r.extras.end());
    return r;
  }

  // extras = ('[' WS? extras_list? WS? ']')?
  std::expected<void, SyntaxError> extras(std::vector<std::string>& out) {
    if (!at('[')) return {};
    auto open = pos++;
    blanks();
    if (auto first = identifier()) {
      out.emplace_back(*first);
      for (;;) {
        blanks();
        if (identifier(true)) return error("Expected comma between extra names");
        if (!at(',')) break;
        ++pos;
        blanks();
        auto next = identifier();
        if (!next) return error("Expected extra name after comma");
        out.emplace_back(*next);
      }
    }
    blanks();
    if (!at(']')) return error("Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", open);
    ++pos;
    return {};
  }

  // requirement_details = '@' WS? URL (WS requirement_marker?)? | specifier WS? requirement_marker?
  std::expected<void, SyntaxError> details(Requirement& r) {
    if (at('@')) {
      ++pos;
      blanks();
      auto url_start = pos;
      while (pos < s.size() && s[pos] != ' ' && s[pos] != '\t') ++pos;
      if (pos == url_start) return error("Expected URL after @");
      r.url = std::string(s.substr(url_start, pos - url_start));
      if (at_end()) return {};
      if (!at(' ') && !at('\t')) return error("Expected whitespace after URL");
      blanks();
      if (at_end()) return {};
      return marker(r, url_start, "semicolon (after URL and whitespace)");
    }
    auto spec_start = pos;
    auto text = TRY(specifier());
    blanks();
    if (!text.empty()) {
      auto set = SpecifierSet::parse(text);
      if (!set) return error(set.error().message, spec_start);
      r.specifier = std::move(*set);
    }
    if (at_end()) return {};
    return marker(r, spec_start,
                  text.empty() ? "semicolon (after name with no version specifier)"
                               : "comma (within version specifier), semicolon (after version specifier)");
  }

  // requirement_marker = ';' marker WS?
  std::expected<void, SyntaxError> marker(Requirement& r, std::size_t span_start, std::string_view expected) {
    if (!at(';')) return error("Expected " + std::string(expected) + " or end", span_start);
    ++pos;
    r.marker = TRY(detail::parse_marker_at(s, pos));
    blanks();
    return {};
  }

  // specifier = '(' WS? version_many WS? ')' | WS? version_many WS?
  std::expected<std::string, SyntaxError> specifier() {
    std::optional<std::size_t> open;
    if (at('(')) open = pos++;
    blanks();
    auto text = TRY(version_many());
    blanks();
    if (open) {
      if (!at(')')) return error("Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier", open);
      ++pos;
    }
    return text;
  }

  // version_many = (SPECIFIER (WS? ',' WS? SPECIFIER)*)?
  std::expected<std::string, SyntaxError> version_many() {
    std::string out;
    while (auto n = specifier_token(s, pos)) {
      auto start = pos;
      auto token = s.substr(pos, n);
      pos += n;
      out += token;
      if (s.substr(pos).starts_with(".*")) {
        if (token.starts_with("==") || token.starts_with("!="))
          return error(".* suffix cannot be used with pre-release, post-release, dev or local versions", start,
                       pos + 1);
        return error(".* suffix can only be used with `==` or `!=` operators", start, pos + 1);
      }
      if (local_label(s, pos, false))
        return error("Local version label can only be used with `==` or `!=` operators", start);
      blanks();
      if (!at(',')) break;
      out += ',';
      ++pos;
      blanks();
    }
    return out;
  }
};

}  // namespace

Result<Requirement> Requirement::parse(std::string_view text) {
  RequirementParser p{text};
  auto r = p.requirement();
  if (!r) return std::unexpected(detail::to_error(text, r.error()));
  return std::move(*r);
}

std::string Requirement::str() const {
  std::string out = name;
  if (!extras.empty()) {
    out += '[';
    for (std::size_t i = 0; i < extras.size(); ++i) out += (i ? "," : "") + extras[i];
    out += ']';
  }
  if (!specifier.empty()) out += specifier.str();
  if (!url.empty()) {
    out += " @ " + url;
    if (marker) out += ' ';
  }
  if (marker) out += "; " + marker->str();
  return out;
}

std::string Requirement::normalized_name() const { return normalize_name(name); }

bool Requirement::applies(const MarkerEnvironment& env, std::span<const std::string> extras_asked) const {
  return !marker || marker->evaluate(env, extras_asked);
}

bool operator==(const Requirement& a, const Requirement& b) {
  auto normalized_extras = [](const Requirement& r) {
    std::vector<std::string> out;
    for (const auto& e : r.extras) out.push_back(normalize_name(e));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  return a.normalized_name() == b.normalized_name() && normalized_extras(a) == normalized_extras(b) &&
         a.specifier == b.specifier && a.url == b.url && a.marker == b.marker;
}

}  // namespace mlpack::pypi
