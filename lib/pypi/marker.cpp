#include "pypi/marker.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "pypi/name.hpp"
#include "pypi/specifier.hpp"
#include "pypi/version.hpp"

namespace mlpack::pypi {

// The tree keeps packaging's shape rather than a normalised boolean one, because str() must give
// back the parentheses as written: a list is `atom (and|or atom)*` (one per parenthesised group and
// one for the whole marker), a comparison is `lhs op rhs`.
struct Marker::Node {
  struct Operand {
    bool variable = false;  // an environment variable (by its canonical name) or a quoted value
    std::string text;
  };
  enum class Join { and_, or_ };

  bool is_list = false;
  // A list: children.size() == joins.size() + 1.
  std::vector<std::shared_ptr<const Node>> children;
  std::vector<Join> joins;
  // A comparison.
  Operand lhs;
  std::string op;  // "==", "not in", …
  Operand rhs;
};

namespace {

using Node = Marker::Node;
using detail::SyntaxError;
using detail::word_boundary;

// Variables whose values are versions: only these compare as PEP 440 versions (packaging 25+);
// everything else compares as strings.
constexpr std::array<std::string_view, 4> kVersionVariables = {
    "implementation_version", "platform_release", "python_full_version", "python_version"};
// Variables whose value is a set of names (PEP 751).
constexpr std::array<std::string_view, 2> kSetVariables = {"extras", "dependency_groups"};
// Variables that hold extra or group names, whose quoted counterpart is normalised (PEP 685).
constexpr std::array<std::string_view, 3> kNameVariables = {"extra", "extras", "dependency_groups"};

// The variable names packaging's tokenizer accepts, including the PEP 345 dotted spellings and
// setuptools' `python_implementation`.
constexpr std::array<std::string_view, 20> kVariableSpellings = {
    "python_version",        "python_full_version",   "os_name",
    "os.name",               "sys_platform",          "sys.platform",
    "platform_release",      "platform_system",       "platform_version",
    "platform.version",      "platform_machine",      "platform.machine",
    "platform_python_implementation", "platform.python_implementation", "python_implementation",
    "implementation_name",   "implementation_version", "extras",
    "extra",                 "dependency_groups",
};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}


int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of a quoted string token (quotes included) as Python's ast.literal_eval reads it:
// backslash escapes are interpreted, unknown ones (`\d`) kept verbatim. nullopt where Python
// refuses the literal: a backslash before the closing quote, a bare line break, a NUL, a short
// `\x`/`\u`/`\U` escape, a code point past U+10FFFF. `\N{…}` (Unicode names) is refused too: we
// carry no name table, and no marker in the wild uses one.
std::optional<std::string> python_string_value(std::string_view token) {
  std::string_view body = token.substr(1, token.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\0' || c == '\n' || c == '\r') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == body.size()) return std::nullopt;  // the backslash escapes the closing quote
    char e = body[i];
    auto hex = [&](std::size_t digits) -> std::optional<std::uint32_t> {
      if (body.size() - i - 1 < digits) return std::nullopt;
      std::uint32_t v = 0;
      for (std::size_t k = 1; k <= digits; ++k) {
        int h = hex_value(body[i + k]);
        if (h < 0) return std::nullopt;
        v = v * 16 + static_cast<std::uint32_t>(h);
      }
      i += digits;
      return v;
    };
    switch (e) {
      case '\n': break;  // line continuation
      case '\r':
        if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
        break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x':
      case 'u':
      case 'U': {
        auto v = hex(e == 'x' ? 2 : e == 'u' ? 4 : 8);
        if (!v || *v > 0x10FFFF) return std::nullopt;
        util::append_utf8(out, *v);
        break;
      }
      case 'N': return std::nullopt;
      default:
        if (e >= '0' && e <= '7') {
          std::uint32_t v = static_cast<std::uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
            v = v * 8 + static_cast<std::uint32_t>(body[++i] - '0');
          util::append_utf8(out, v);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return out;
}

std::string format_operand(const Node::Operand& o) {
  if (o.variable) return o.text;
  // A value that contains `"` keeps single quotes, so the result parses back to the same marker.
  char q = o.text.find('"') != std::string::npos ? '\'' : '"';
  return q + o.text + q;
}

// packaging's _format_marker: a list of one element prints as that element, so parentheses around
// a single comparison (or around another group) disappear; other inner lists keep theirs.
std::string format(const Node& n, bool first) {
  if (!n.is_list) return format_operand(n.lhs) + " " + n.op + " " + format_operand(n.rhs);
  if (n.children.size() == 1) return format(*n.children.front(), true);
  std::string out = first ? "" : "(";
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    if (i) out += n.joins[i - 1] == Node::Join::and_ ? " and " : " or ";
    out += format(*n.children[i], false);
  }
  if (!first) out += ")";
  return out;
}

bool mentions_extra(const Node& n) {
  if (n.is_list)
    return std::any_of(n.children.begin(), n.children.end(), [](const auto& c) { return mentions_extra(*c); });
  auto is_extra = [](const Node::Operand& o) { return o.variable && (o.text == "extra" || o.text == "extras"); };
  return is_extra(n.lhs) || is_extra(n.rhs);
}

// What one evaluation sees: the environment, the current `extra` (normalised) and the sets.
struct Context {
  const MarkerEnvironment& env;
  std::string extra;
  std::vector<std::string> extras;  // normalised
  std::vector<std::string> groups;  // normalised
};

std::string lookup(const Context& ctx, std::string_view key) {
  if (key == "extra") return ctx.extra;
  auto it = ctx.env.values.find(std::string(key));
  std::string v = it == ctx.env.values.end() ? std::string() : it->second;
  // platform.python_version() of an untagged build ends in `+`, which is not PEP 440.
  if (key == "python_full_version" && v.ends_with('+')) v += "local";
  return v;
}

util::Error undefined(std::string_view op, std::string_view lhs, std::string_view rhs) {
  return util::Error{util::ErrorKind::invalid_input, "undefined comparison `" + std::string(lhs) + "` " +
                                                         std::string(op) + " `" + std::string(rhs) + "`"};
}

Result<bool> compare(const Node& item, const Context& ctx) {
  const auto& op = item.op;
  std::string key;
  std::string lhs;
  std::string rhs;
  const std::vector<std::string>* rhs_set = nullptr;
  if (item.lhs.variable) {
    key = item.lhs.text;
    if (one_of(kSetVariables, key)) return std::unexpected(undefined(op, key, item.rhs.text));
    lhs = lookup(ctx, key);
    rhs = item.rhs.text;  // packaging takes a variable on the right by its name here
  } else {
    key = item.rhs.text;
    lhs = item.lhs.text;
    if (item.rhs.variable && key == "extras") {
      rhs_set = &ctx.extras;
    } else if (item.rhs.variable && key == "dependency_groups") {
      rhs_set = &ctx.groups;
    } else {
      rhs = lookup(ctx, key);
    }
  }

  if (rhs_set) {
    auto name = normalize_name(lhs);
    bool found = std::find(rhs_set->begin(), rhs_set->end(), name) != rhs_set->end();
    if (op == "in") return found;
    if (op == "not in") return !found;
    if (op == "!=") return true;  // a string never equals a set
    if (op == "==" || op == "<" || op == ">" || op == "<=" || op == ">=") return false;
    return std::unexpected(undefined(op, lhs, key));
  }

  if (one_of(kVersionVariables, key)) {
    if (auto spec = Specifier::parse(op + rhs)) return spec->contains(lhs, Prereleases::include);
  }
  if (op == "in") return rhs.find(lhs) != std::string::npos;
  if (op == "not in") return rhs.find(lhs) == std::string::npos;
  // Strings have no order: packaging 25+ answers `<`/`>` with false and `<=`/`>=` with equality.
  if (op == "==" || op == "<=" || op == ">=") return lhs == rhs;
  if (op == "!=") return lhs != rhs;
  if (op == "<" || op == ">") return false;
  return std::unexpected(undefined(op, lhs, rhs));
}

// `a or b and c` is `a or (b and c)`: the list splits into `or` groups, each an `and` chain.
// Every comparison is evaluated (as packaging does), so an undefined one fails the whole marker.
Result<bool> evaluate_node(const Node& n, const Context& ctx) {
  if (!n.is_list) return compare(n, ctx);
  bool any_group = false;
  bool group = true;
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    if (i && n.joins[i - 1] == Node::Join::or_) {
      any_group = any_group || group;
      group = true;
    }
    auto r = TRY(evaluate_node(*n.children[i], ctx));
    group = group && r;
  }
  return any_group || group;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

// The marker half of packaging's hand-written PEP 508 parser, one method per grammar rule. Each
// rule consumes what it recognises; a failure carries the span the message points at.
struct MarkerParser {
  static constexpr int kMaxDepth = 100;

  std::string_view s;
  std::size_t pos = 0;
  int depth = 0;

  using Parsed = std::expected<std::shared_ptr<const Node>, SyntaxError>;

  std::unexpected<SyntaxError> error(std::string message, std::optional<std::size_t> start = {}) const {
    return std::unexpected(SyntaxError{std::move(message), start.value_or(pos), pos});
  }

  void blanks() {  // WS = [ \t]+
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  }

  // `\bword\b`
  bool keyword(std::string_view word) {
    if (!s.substr(pos).starts_with(word) || !word_boundary(s, pos) || !word_boundary(s, pos + word.size())) return false;
    pos += word.size();
    return true;
  }

  // marker = marker_atom (BOOLOP marker_atom)*
  Parsed list() {
    auto n = std::make_shared<Node>();
    n->is_list = true;
    n->children.push_back(TRY(atom()));
    for (;;) {
      Node::Join join;
      if (keyword("and"))
        join = Node::Join::and_;
      else if (keyword("or"))
        join = Node::Join::or_;
      else
        break;
      auto next = TRY(atom());
      n->joins.push_back(join);
      n->children.push_back(next);
    }
    return n;
  }

  // marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS?
  Parsed atom() {
    blanks();
    Parsed out;
    if (pos < s.size() && s[pos] == '(') {
      // Markers come from index metadata: bound the recursion (parser, evaluation, str()) so a
      // hostile one cannot exhaust the stack. Python stops at its recursion limit likewise.
      if (depth == kMaxDepth) return error("Parentheses nested more than " + std::to_string(kMaxDepth) + " deep");
      auto open = pos++;
      blanks();
      ++depth;
      out = list();
      --depth;
      if (!out) return out;
      blanks();
      if (pos >= s.size() || s[pos] != ')')
        return error("Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression", open);
      ++pos;
    } else {
      out = item();
      if (!out) return out;
    }
    blanks();
    return out;
  }

  // marker_item = WS? marker_var WS? marker_op WS? marker_var WS?
  Parsed item() {
    auto n = std::make_shared<Node>();
    blanks();
    auto lhs = TRY(operand());
    blanks();
    auto op = TRY(oper());
    blanks();
    auto rhs = TRY(operand());
    blanks();
    n->lhs = std::move(lhs);
    n->op = std::move(op);
    n->rhs = std::move(rhs);
    // PEP 685: a name compared with `extra` (or looked up in `extras`/`dependency_groups`) is
    // normalised once here, so str() and evaluation both see the normalised form.
    if (n->lhs.variable && one_of(kNameVariables, n->lhs.text) && !n->rhs.variable)
      n->rhs.text = normalize_name(n->rhs.text);
    else if (n->rhs.variable && one_of(kNameVariables, n->rhs.text) && !n->lhs.variable)
      n->lhs.text = normalize_name(n->lhs.text);
    return n;
  }

  // marker_var = VARIABLE | QUOTED_STRING
  std::expected<Node::Operand, SyntaxError> operand() {
    if (word_boundary(s, pos)) {
      for (auto name : kVariableSpellings) {
        if (!s.substr(pos).starts_with(name) || !word_boundary(s, pos + name.size())) continue;
        pos += name.size();
        std::string canonical(name);
        std::replace(canonical.begin(), canonical.end(), '.', '_');
        if (canonical == "python_implementation") canonical = "platform_python_implementation";
        return Node::Operand{true, std::move(canonical)};
      }
    }
    if (pos < s.size() && (s[pos] == '\'' || s[pos] == '"')) {
      auto close = s.find(s[pos], pos + 1);
      if (close != std::string_view::npos) {
        auto start = pos;
        auto token = s.substr(pos, close + 1 - pos);
        pos = close + 1;
        auto value = python_string_value(token);
        if (!value) return error("Invalid quoted string", start);
        return Node::Operand{false, std::move(*value)};
      }
    }
    return error("Expected a marker variable or quoted string");
  }

  // marker_op = IN | NOT WS IN | OP
  std::expected<std::string, SyntaxError> oper() {
    if (keyword("in")) return "in";
    if (keyword("not")) {
      if (pos >= s.size() || (s[pos] != ' ' && s[pos] != '\t')) return error("Expected whitespace after 'not'");
      blanks();
      if (!keyword("in")) return error("Expected 'in' after 'not'");
      return "not in";
    }
    for (std::string_view op : {"===", "==", "~=", "!=", "<=", ">=", "<", ">"}) {
      if (s.substr(pos).starts_with(op)) {
        pos += op.size();
        return std::string(op);
      }
    }
    return error("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in");
  }

  static Marker make(std::shared_ptr<const Node> root) {
    Marker m;
    m.root_ = std::move(root);
    return m;
  }
};

namespace detail {

std::size_t space_length(std::string_view s) {
  if (s.empty()) return 0;
  auto u = static_cast<unsigned char>(s[0]);
  if (u == ' ' || (u >= 0x09 && u <= 0x0D) || (u >= 0x1C && u <= 0x1F)) return 1;
  if (u < 0x80) return 0;
  // Python's str.isspace() beyond ASCII: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
  // U+202F, U+205F, U+3000. strip_whitespace knows them; ask it about this one character only.
  std::size_t n = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
  auto one = s.substr(0, n);
  return strip_whitespace(one).empty() ? one.size() : 0;
}

// Python's `\w` for the character starting at byte `i`: ASCII letters, digits and `_`; any other
// non-ASCII character except white space counts as a word character (an approximation: Python
// also treats non-ASCII punctuation as non-word, which no real marker or name contains).
bool word_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return false;
  char c = s[i];
  if (static_cast<unsigned char>(c) < 0x80) return is_ascii_alnum(c) || c == '_';
  return space_length(s.substr(i)) == 0;
}

bool word_before(std::string_view s, std::size_t i) {
  if (i == 0) return false;
  std::size_t j = i - 1;
  while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;  // UTF-8 lead byte
  return word_at(s, j);
}

bool word_boundary(std::string_view s, std::size_t i) { return word_before(s, i) != word_at(s, i); }

util::Error to_error(std::string_view source, const SyntaxError& e) {
  // The source comes from a project file: a line with control characters (other than the line
  // feeds and tabs packaging shows as they are), or too long to read, is shown escaped and cut
  // (util::printable_excerpt), without the underline it would no longer match. A carriage return
  // is escaped too, unlike packaging: a terminal would return to the line's start and hide what
  // came before it.
  std::string probe(source);
  for (char& c : probe)
    if (c == '\n' || c == '\t') c = ' ';
  if (util::printable_excerpt(probe) != probe)
    return util::Error{util::ErrorKind::invalid_input,
                       e.message + " at column " + std::to_string(code_points(source.substr(0, std::min(e.end, source.size()))) + 1) +
                           "\n    " + util::printable_excerpt(source)};
  auto start = code_points(source.substr(0, std::min(e.start, source.size())));
  auto end = code_points(source.substr(0, std::min(e.end, source.size())));
  std::string underline(start, ' ');
  underline.append(end - start, '~');
  underline += '^';
  return util::Error{util::ErrorKind::invalid_input, e.message + " at column " + std::to_string(end + 1) +
                                                         "\n    " + std::string(source) + "\n    " + underline};
}

std::expected<Marker, SyntaxError> parse_marker_at(std::string_view source, std::size_t& pos) {
  MarkerParser p{source, pos, 0};
  auto root = TRY(p.list());
  p.blanks();
  pos = p.pos;
  return MarkerParser::make(std::move(root));
}

}  // namespace detail

Result<Marker> Marker::parse(std::string_view text) {
  std::size_t pos = 0;
  auto m = detail::parse_marker_at(text, pos);
  if (!m) return std::unexpected(detail::to_error(text, m.error()));
  if (pos != text.size())
    return std::unexpected(detail::to_error(text, SyntaxError{"Expected end of marker expression", pos, pos}));
  return std::move(*m);
}

Result<bool> Marker::try_evaluate(const MarkerEnvironment& env, std::span<const std::string> extras) const {
  if (!root_) return true;
  Context ctx{env, {}, {}, {}};
  for (const auto& e : extras) ctx.extras.push_back(normalize_name(e));
  for (const auto& g : env.dependency_groups) ctx.groups.push_back(normalize_name(g));
  if (extras.empty()) {  // as in packaging, an `extra` in the environment itself still counts
    auto it = env.values.find("extra");
    ctx.extra = it == env.values.end() ? "" : normalize_name(it->second);
    return evaluate_node(*root_, ctx);
  }
  bool any = false;
  for (const auto& e : ctx.extras) {
    ctx.extra = e;
    auto r = TRY(evaluate_node(*root_, ctx));
    any = any || r;
  }
  return any;
}

bool Marker::evaluate(const MarkerEnvironment& env, std::span<const std::string> extras) const {
  return try_evaluate(env, extras).value_or(false);
}

std::string Marker::str() const { return root_ ? format(*root_, true) : std::string(); }

bool Marker::uses_extra() const { return root_ && mentions_extra(*root_); }

MarkerEnvironment MarkerEnvironment::for_target(const Target& target, std::string_view full_version) {
  struct Implementation {
    std::string_view abbreviation, name, platform_name;
  };
  // sys.implementation.name and platform.python_implementation() per PEP 425 abbreviation.
  constexpr std::array<Implementation, 5> known = {{
      {"cp", "cpython", "CPython"},
      {"pp", "pypy", "PyPy"},
      {"graalpy", "graalpy", "GraalVM"},
      {"ip", "ironpython", "IronPython"},
      {"jy", "jython", "Jython"},
  }};
  std::string name = target.implementation;
  std::string platform_name = target.implementation;
  for (const auto& k : known) {
    if (k.abbreviation == target.implementation) {
      name = k.name;
      platform_name = k.platform_name;
    }
  }
  auto short_version = std::to_string(target.python_major) + "." + std::to_string(target.python_minor);
  auto full = full_version.empty() ? short_version + ".0" : std::string(full_version);

  MarkerEnvironment env;
  env.values = {
      {"implementation_name", name},
      {"implementation_version", full},
      {"os_name", "posix"},
      {"platform_machine", target.arch},
      // The target's kernel is whatever runs the container: unknown when building the image.
      {"platform_release", ""},
      {"platform_system", "Linux"},
      {"platform_version", ""},
      {"platform_python_implementation", platform_name},
      {"python_full_version", full},
      {"python_version", short_version},
      {"sys_platform", "linux"},
  };
  return env;
}

}  // namespace mlpack::pypi
