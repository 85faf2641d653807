#include "sbom/license.hpp"

#include <algorithm>
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
