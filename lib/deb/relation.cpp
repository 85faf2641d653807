#include "deb/relation.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <utility>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::deb {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Result<Relation> parse_error(std::string_view field, std::string_view part, std::string_view why) {
  return util::fail(util::ErrorKind::invalid_input,
                    std::string(field) + ": `" + util::printable_excerpt(part) + "`: " + std::string(why));
}

// The version relation operators as written, the canonical spelling of each first; "<" and ">"
// are the obsolete spellings of "<=" and ">=", still accepted.
constexpr std::pair<std::string_view, RelOp> op_spellings[] = {
    {"<<", RelOp::lt}, {"<=", RelOp::le}, {"=", RelOp::eq}, {">=", RelOp::ge},
    {">>", RelOp::gt}, {"<", RelOp::le},  {">", RelOp::ge},
};

// A cursor over one alternative's text.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  void skip_ws() {
    while (i < s.size() && is_space(s[i])) ++i;
  }
  bool at_end() const { return i >= s.size(); }
  char peek() const { return i < s.size() ? s[i] : '\0'; }
  // At an opening bracket: what lies between it and `close`, stepping past `close` and the
  // whitespace after it; nothing (and no step) when `close` is missing.
  std::optional<std::string_view> bracketed(char close) {
    auto end = s.find(close, i);
    if (end == std::string_view::npos) return std::nullopt;
    auto inside = s.substr(i + 1, end - i - 1);
    i = end + 1;
    skip_ws();
    return inside;
  }
};

// The whitespace-separated words of `list`.
std::vector<std::string> words(std::string_view list) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < list.size();) {
    while (k < list.size() && is_space(list[k])) ++k;
    std::size_t b = k;
    while (k < list.size() && !is_space(list[k])) ++k;
    if (k > b) out.emplace_back(list.substr(b, k - b));
  }
  return out;
}

// Parses one alternative (no ',' or '|' inside: the caller splits on those).
Result<Relation> parse_one(std::string_view text, std::string_view field) {
  Cursor c{text};
  Relation r;
  c.skip_ws();
  std::size_t start = c.i;
  while (!c.at_end() && !is_space(c.peek()) && c.peek() != ':' && c.peek() != '(' && c.peek() != '[' && c.peek() != '<')
    ++c.i;
  r.name = std::string(text.substr(start, c.i - start));
  if (r.name.empty()) return parse_error(field, text, "missing package name");
  if (!valid_package_name(r.name)) return parse_error(field, text, "invalid package name `" + util::printable_excerpt(r.name) + "`");
  if (c.peek() == ':') {
    ++c.i;
    start = c.i;
    while (!c.at_end() && (std::isalnum(static_cast<unsigned char>(c.peek())) || c.peek() == '-')) ++c.i;
    r.arch_qualifier = std::string(text.substr(start, c.i - start));
    if (r.arch_qualifier.empty()) return parse_error(field, text, "empty architecture qualifier");
  }
  c.skip_ws();
  if (c.peek() == '(') {
    ++c.i;
    c.skip_ws();
    start = c.i;
    while (!c.at_end() && (c.peek() == '<' || c.peek() == '>' || c.peek() == '=')) ++c.i;
    auto op = text.substr(start, c.i - start);
    auto known = std::find_if(std::begin(op_spellings), std::end(op_spellings),
                              [&](const auto& o) { return o.first == op; });
    if (op.empty()) return parse_error(field, text, "missing version relation operator");
    if (known == std::end(op_spellings))
      return parse_error(field, text, "unknown version relation operator `" + util::printable_excerpt(op) + "`");
    r.op = known->second;
    auto close = text.find(')', c.i);
    if (close == std::string_view::npos) return parse_error(field, text, "missing `)`");
    r.version = TRY_CONTEXT(Version::parse(text.substr(c.i, close - c.i)),
                            std::string(field) + ": `" + util::printable_excerpt(text) + "`");
    c.i = close + 1;
    c.skip_ws();
  }
  if (c.peek() == '[') {
    auto list = c.bracketed(']');
    if (!list) return parse_error(field, text, "missing `]`");
    r.arch_list = words(*list);
    if (r.arch_list.empty()) return parse_error(field, text, "empty architecture list");
    auto negated = std::count_if(r.arch_list.begin(), r.arch_list.end(), [](const auto& a) { return a[0] == '!'; });
    if (negated != 0 && static_cast<std::size_t>(negated) != r.arch_list.size())
      return parse_error(field, text, "architecture list mixes negated and plain architectures");
  }
  while (c.peek() == '<') {
    auto list = c.bracketed('>');
    if (!list) return parse_error(field, text, "missing `>`");
    auto terms = words(*list);
    if (terms.empty()) return parse_error(field, text, "empty build profile list");
    r.profiles.push_back(std::move(terms));
  }
  if (!c.at_end()) return parse_error(field, text, "unexpected `" + util::printable_excerpt(text.substr(c.i)) + "`");
  return r;
}

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::pair<std::string_view, std::string_view> split_arch(std::string_view arch) {
  auto dash = arch.find('-');
  if (dash == std::string_view::npos) return {"linux", arch};
  return {arch.substr(0, dash), arch.substr(dash + 1)};
}

}  // namespace

std::string_view to_string(RelOp op) {
  for (const auto& [spelling, o] : op_spellings)
    if (o == op) return spelling;
  return "";  // RelOp::any
}

bool satisfies(const Version& v, RelOp op, const Version& required) {
  auto c = v <=> required;
  switch (op) {
    case RelOp::any:
      return true;
    case RelOp::lt:
      return c < 0;
    case RelOp::le:
      return c <= 0;
    case RelOp::eq:
      return c == 0;
    case RelOp::ge:
      return c >= 0;
    case RelOp::gt:
      return c > 0;
  }
  return false;
}

bool valid_package_name(std::string_view name) {
  if (name.size() < 2) return false;
  auto ok = [](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return !first && (c == '+' || c == '-' || c == '.');
  };
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!ok(name[i], i == 0)) return false;
  return true;
}

bool arch_matches(std::string_view arch, std::string_view pattern) {
  if (pattern == "any") return arch != "all";
  if (pattern == "all" || arch == "all") return pattern == arch;
  if (arch == pattern) return true;
  auto [os, cpu] = split_arch(arch);
  auto [pos, pcpu] = split_arch(pattern);
  bool os_ok = pos == "any" || pos == os;
  bool cpu_ok = pcpu == "any" || pcpu == cpu;
  return os_ok && cpu_ok;
}

bool Relation::applies_to(std::string_view arch, std::span<const std::string> active_profiles) const {
  if (!arch_list.empty()) {
    bool negated = arch_list.front()[0] == '!';
    bool any_match = std::any_of(arch_list.begin(), arch_list.end(), [&](const std::string& a) {
      return arch_matches(arch, negated ? std::string_view(a).substr(1) : std::string_view(a));
    });
    if (negated == any_match) return false;
  }
  if (profiles.empty()) return true;
  auto active = [&](std::string_view p) {
    return std::find(active_profiles.begin(), active_profiles.end(), p) != active_profiles.end();
  };
  return std::any_of(profiles.begin(), profiles.end(), [&](const std::vector<std::string>& terms) {
    return std::all_of(terms.begin(), terms.end(), [&](const std::string& t) {
      return t[0] == '!' ? !active(std::string_view(t).substr(1)) : active(t);
    });
  });
}

std::string Relation::str() const {
  std::string out = name;
  if (!arch_qualifier.empty()) out += ":" + arch_qualifier;
  if (version) out += " (" + std::string(to_string(op)) + " " + version->str() + ")";
  if (!arch_list.empty()) {
    out += " [";
    for (std::size_t i = 0; i < arch_list.size(); ++i) out += (i ? " " : "") + arch_list[i];
    out += "]";
  }
  for (const auto& terms : profiles) {
    out += " <";
    for (std::size_t i = 0; i < terms.size(); ++i) out += (i ? " " : "") + terms[i];
    out += ">";
  }
  return out;
}

Result<std::vector<Alternatives>> parse_relations(std::string_view value, std::string_view field) {
  std::vector<Alternatives> groups;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    auto comma = value.find(',', pos);
    auto group_text = value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? value.size() + 1 : comma + 1;
    if (trim_view(group_text).empty()) {
      // dpkg tolerates a trailing comma; an empty group elsewhere is a mistake.
      if (pos > value.size() && !groups.empty()) break;
      if (trim_view(value).empty()) break;
      return util::fail(util::ErrorKind::invalid_input,
                        std::string(field) + ": empty entry in `" + util::printable_excerpt(trim_view(value)) + "`");
    }
    Alternatives alts;
    std::size_t apos = 0;
    while (apos <= group_text.size()) {
      auto bar = group_text.find('|', apos);
      auto alt = group_text.substr(apos, bar == std::string_view::npos ? std::string_view::npos : bar - apos);
      apos = bar == std::string_view::npos ? group_text.size() + 1 : bar + 1;
      if (trim_view(alt).empty())
        return util::fail(util::ErrorKind::invalid_input,
                          std::string(field) + ": empty alternative in `" + util::printable_excerpt(trim_view(group_text)) + "`");
      alts.push_back(TRY(parse_one(trim_view(alt), field)));
    }
    groups.push_back(std::move(alts));
  }
  return groups;
}

Result<std::vector<Relation>> parse_relation_list(std::string_view value, std::string_view field) {
  auto groups = TRY(parse_relations(value, field));
  std::vector<Relation> out;
  for (auto& g : groups) {
    if (g.size() != 1)
      return util::fail(util::ErrorKind::invalid_input,
                        std::string(field) + ": alternatives are not allowed here: `" + util::printable_excerpt(to_string(g)) + "`");
    out.push_back(std::move(g.front()));
  }
  return out;
}

std::string to_string(const Alternatives& group) {
  std::string out;
  for (std::size_t i = 0; i < group.size(); ++i) out += (i ? " | " : "") + group[i].str();
  return out;
}

std::string to_string(const std::vector<Alternatives>& groups) {
  std::string out;
  for (std::size_t i = 0; i < groups.size(); ++i) out += (i ? ", " : "") + to_string(groups[i]);
  return out;
}

}  // namespace mlpack::deb
