#include "conda/glob.hpp"

namespace mlpack::conda::detail {

std::string_view unsafe_regex(std::string_view pattern) {
  if (pattern.size() > 256) return "longer than 256 characters";
  int quantifiers = 0;
  char previous = 0;  // the previous unescaped character, or 'a' after an escaped one
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size() && pattern[i + 1] >= '0' && pattern[i + 1] <= '9') return "a back-reference";
      ++i;
      previous = 'a';
      continue;
    }
    if (c == '{') return "counted repetition `{…}` is not allowed";
    if (c == '*' || c == '+' || c == '?') {
      if (previous == '*' || previous == '+' || previous == '?') return "a quantifier on a quantifier";
      if (previous == ')') return "a quantified group";
      if (++quantifiers > 8) return "more than 8 quantifiers";
    }
    previous = c;
  }
  return {};
}

bool glob_match(std::string_view pattern, std::string_view value, bool icase) {
  auto lower = [&](char c) { return icase && c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  // Iterative: on a mismatch, go back to just after the last `*` and let it swallow one more
  // character. Each star resumes at most value.size() times.
  std::size_t p = 0, v = 0, star = std::string_view::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(value[v])) {
      ++p;
      ++v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mlpack::conda::detail
