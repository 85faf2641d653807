#include "conda/version_spec.hpp"

#include <algorithm>

#include "conda/glob.hpp"
#include "util/expected.hpp"

namespace mlpack::conda {

namespace {

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error{util::ErrorKind::invalid_input,
                     "invalid version spec `" + std::string(text) + "`: " + std::string(why)};
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n\f\v");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n\f\v") - b + 1);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// Splits an expression into `(`, `)`, `|`, `,`, regexes `^…$` and the text between them.
std::vector<std::string> tokenize(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && is_space(s[j])) ++j;
    if (j < s.size() && s[j] == '^') {
      auto end = s.find('$', j);
      if (end != std::string_view::npos) {
        out.emplace_back(s.substr(j, end - j + 1));
        i = end + 1;
        continue;
      }
    }
    if (j < s.size() && (s[j] == '(' || s[j] == ')' || s[j] == '|' || s[j] == ',')) {
      out.emplace_back(1, s[j]);
      i = j + 1;
      continue;
    }
    j = i;
    while (j < s.size() && s[j] != '(' && s[j] != ')' && s[j] != '|' && s[j] != ',') ++j;
    if (j == i) {  // only white space before a `^` without `$`: take the rest as one item
      j = s.size();
    }
    out.emplace_back(trim(s.substr(i, j - i)));
    if (out.back().empty()) out.pop_back();
    i = j;
  }
  return out;
}

// An expression tree of `|`/`,` nodes over leaf texts.
struct Tree {
  char op = 0;  // 0 for a leaf
  std::string leaf;
  std::vector<Tree> children;
};

// Shunting-yard over the tokens of `(text)`, fusing nested nodes with the same operator.
Result<Tree> treeify(std::string_view text) {
  auto tokens = tokenize("(" + std::string(text) + ")");
  std::vector<Tree> output;
  std::vector<char> stack;
  auto apply = [&](std::string_view stop) -> Result<void> {
    while (!stack.empty() && stop.find(stack.back()) == std::string_view::npos) {
      if (output.size() < 2) return std::unexpected(invalid(text, "cannot join a single expression"));
      char op = stack.back();
      stack.pop_back();
      Tree right = std::move(output.back());
      output.pop_back();
      Tree left = std::move(output.back());
      output.pop_back();
      Tree node{op, {}, {}};
      for (Tree* t : {&left, &right}) {
        if (t->op == op) std::ranges::move(t->children, std::back_inserter(node.children));
        else node.children.push_back(std::move(*t));
      }
      output.push_back(std::move(node));
    }
    return {};
  };
  for (const auto& t : tokens) {
    if (t == "|") {
      TRY(apply("("));
      stack.push_back('|');
    } else if (t == ",") {
      TRY(apply("|("));
      stack.push_back(',');
    } else if (t == "(") {
      stack.push_back('(');
    } else if (t == ")") {
      TRY(apply("("));
      if (stack.empty() || stack.back() != '(')
        return std::unexpected(invalid(text, "unbalanced parentheses"));
      stack.pop_back();
    } else {
      output.push_back(Tree{0, t, {}});
    }
  }
  if (!stack.empty()) return std::unexpected(invalid(text, "unbalanced parentheses"));
  if (output.empty()) return std::unexpected(invalid(text, "no version in the spec"));
  return std::move(output.front());
}

}  // namespace

Result<VersionSpec> VersionSpec::parse(std::string_view input) {
  auto text = trim(input);
  if (text.empty()) return std::unexpected(invalid(input, "empty version spec"));
  if (text.find_first_of("()|,^$") == std::string_view::npos) return parse_leaf(text);
  auto tree = TRY(treeify(text));
  struct Build {
    static Result<VersionSpec> from(const Tree& t, bool inside_and) {
      if (t.op == 0) return parse_leaf(t.leaf);
      VersionSpec spec;
      spec.kind_ = t.op == '|' ? Kind::any_of : Kind::all_of;
      for (const auto& c : t.children) {
        auto child = TRY(from(c, t.op == ','));
        if (!spec.text_.empty()) spec.text_ += t.op;
        spec.text_ += child.text_;
        spec.children_.push_back(std::move(child));
      }
      if (t.op == '|' && inside_and) spec.text_ = "(" + spec.text_ + ")";
      return spec;
    }
  };
  return Build::from(tree, false);
}

Result<VersionSpec> VersionSpec::parse_leaf(std::string_view input) {
  auto text = trim(input);
  VersionSpec spec;
  spec.text_ = text;
  if (text.empty()) return std::unexpected(invalid(input, "empty version spec"));
  if (text.front() == '^' || text.back() == '$') {
    if (text.front() != '^' || text.back() != '$')
      return std::unexpected(invalid(text, "a regex must start with `^` and end with `$`"));
    spec.kind_ = Kind::regex;
    try {
      if (auto why = detail::unsafe_regex(text); !why.empty())
        return std::unexpected(invalid(text, "regex refused: " + std::string(why)));
      spec.regex_ = std::make_shared<const std::regex>(std::string(text));
    } catch (const std::regex_error& e) {
      return std::unexpected(invalid(text, std::string("bad regex: ") + e.what()));
    }
    return spec;
  }
  if (std::string_view("=<>!~").find(text.front()) != std::string_view::npos) {
    static constexpr std::pair<std::string_view, Kind> ops[] = {
        {"==", Kind::equal},     {"!=", Kind::not_equal}, {"<=", Kind::less_equal}, {">=", Kind::greater_equal},
        {"~=", Kind::compatible}, {"<", Kind::less},      {">", Kind::greater},      {"=", Kind::starts_with},
    };
    std::string_view op;
    for (auto [o, k] : ops)
      if (text.starts_with(o)) {
        op = o;
        spec.kind_ = k;
        break;
      }
    auto rest = text.substr(op.size());
    if (op.empty() || rest.empty() || std::string_view("=<>!~").find(rest.front()) != std::string_view::npos ||
        std::ranges::any_of(rest, is_space))
      return std::unexpected(invalid(text, "invalid operator"));
    if (rest.ends_with(".*")) {
      if (spec.kind_ == Kind::compatible) return std::unexpected(invalid(text, "`~=` cannot take `.*`"));
      if (spec.kind_ == Kind::not_equal) spec.kind_ = Kind::not_starts_with;
      else if (spec.kind_ == Kind::equal) spec.kind_ = Kind::starts_with;  // `==1.7.*`, as conda reads it
      rest.remove_suffix(2);
    }
    spec.version_ = TRY_CONTEXT(Version::parse(rest), "invalid version spec `" + std::string(text) + "`");
    if (spec.kind_ == Kind::compatible) {
      auto s = spec.version_->str();
      auto dot = s.rfind('.');
      if (dot == std::string::npos)
        return std::unexpected(invalid(text, "`~=` needs a version with at least two components"));
      spec.compatible_prefix_ = TRY(Version::parse(s.substr(0, dot)));
    }
    return spec;
  }
  if (text == "*") return spec;
  auto without_stars = text.substr(0, text.find_last_not_of('*') + 1);
  if (without_stars.find('*') != std::string_view::npos) {
    // The whole version, with `*` for any run of characters (conda turns this into a regex;
    // a glob matcher gives the same answers without a backtracking regex's worst case).
    spec.kind_ = Kind::glob;
    spec.glob_ = std::string(text);
    return spec;
  }
  if (text.back() == '*') {
    auto base = without_stars;
    while (!base.empty() && base.back() == '.') base.remove_suffix(1);
    spec.text_ = std::string(base) + ".*";
    spec.kind_ = Kind::starts_with;
    spec.version_ = TRY_CONTEXT(Version::parse(base), "invalid version spec `" + std::string(text) + "`");
    return spec;
  }
  spec.kind_ = Kind::exact;
  spec.version_ = TRY_CONTEXT(Version::parse(text), "invalid version spec `" + std::string(text) + "`");
  return spec;
}

bool VersionSpec::matches(const Version& v) const {
  switch (kind_) {
    case Kind::any: return true;
    case Kind::exact:
    case Kind::equal: return v == *version_;
    case Kind::not_equal: return v != *version_;
    case Kind::less: return v < *version_;
    case Kind::less_equal: return v <= *version_;
    case Kind::greater: return v > *version_;
    case Kind::greater_equal: return v >= *version_;
    case Kind::compatible: return v >= *version_ && v.starts_with(*compatible_prefix_);
    case Kind::starts_with: return v.starts_with(*version_);
    case Kind::not_starts_with: return !v.starts_with(*version_);
    case Kind::regex: return std::regex_search(v.str(), *regex_);
    case Kind::glob: return detail::glob_match(glob_, v.str());
    case Kind::all_of: return std::ranges::all_of(children_, [&](const auto& c) { return c.matches(v); });
    case Kind::any_of: return std::ranges::any_of(children_, [&](const auto& c) { return c.matches(v); });
  }
  return false;
}

}  // namespace mlpack::conda
