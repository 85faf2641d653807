#include "pypi/version.hpp"

#include <algorithm>
#include <array>

#include "util/text.hpp"

namespace mlpack::pypi {

const char* to_string(PreKind kind) {
  switch (kind) {
    case PreKind::a: return "a";
    case PreKind::b: return "b";
    case PreKind::rc: return "rc";
  }
  return "?";
}

namespace detail {
namespace {

// Python's str.isspace() set, as UTF-8 sequences of two and three bytes.
constexpr std::array<std::string_view, 19> kWideSpaces = {
    "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
    "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
    "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

bool ascii_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= 0x09 && u <= 0x0D) || (u >= 0x1C && u <= 0x1F);
}

enum class End { front, back };

// Length of the white-space character at the front or back of `s`, 0 when there is none.
std::size_t space_at(std::string_view s, End end) {
  if (s.empty()) return 0;
  if (ascii_space(end == End::front ? s.front() : s.back())) return 1;
  for (auto w : kWideSpaces)
    if (end == End::front ? s.starts_with(w) : s.ends_with(w)) return w.size();
  return 0;
}

}  // namespace

std::string_view strip_whitespace(std::string_view text) {
  while (auto n = space_at(text, End::front)) text.remove_prefix(n);
  while (auto n = space_at(text, End::back)) text.remove_suffix(n);
  return text;
}

}  // namespace detail

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }
bool is_separator(char c) { return c == '-' || c == '_' || c == '.'; }

// A cursor over the lower-cased text. Each parse_* step either consumes what it recognises or
// leaves the position where it was, mirroring the optional groups of the PEP 440 grammar.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool at_end() const { return pos_ == s_.size(); }
  std::size_t pos() const { return pos_; }
  bool overflow() const { return overflow_; }

  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat(std::string_view word) {
    if (s_.substr(pos_).starts_with(word)) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  bool eat_separator() {
    if (pos_ < s_.size() && is_separator(s_[pos_])) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool digit_next(std::size_t offset = 0) const {
    return pos_ + offset < s_.size() && is_digit(s_[pos_ + offset]);
  }
  // A run of ASCII digits; nullopt (position unchanged) when there is none.
  std::optional<std::uint64_t> number() {
    if (!digit_next()) return std::nullopt;
    std::uint64_t value = 0;
    while (digit_next()) {
      auto d = static_cast<std::uint64_t>(s_[pos_++] - '0');
      if (value > (UINT64_MAX - d) / 10) overflow_ = true;
      value = value * 10 + d;
    }
    return value;
  }
  void reset(std::size_t pos) { pos_ = pos; }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  bool overflow_ = false;
};

std::optional<PreKind> pre_label(Parser& p) {
  // Longer spellings first: "alpha" before "a", "preview" before "pre".
  static constexpr std::array<std::pair<std::string_view, PreKind>, 8> kLabels = {{
      {"alpha", PreKind::a}, {"a", PreKind::a},
      {"beta", PreKind::b}, {"b", PreKind::b},
      {"preview", PreKind::rc}, {"pre", PreKind::rc}, {"rc", PreKind::rc}, {"c", PreKind::rc},
  }};
  for (auto [word, kind] : kLabels)
    if (p.eat(word)) return kind;
  return std::nullopt;
}

// Compares two local labels (normalised, '.'-separated) per PEP 440.
std::strong_ordering compare_local(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    auto dot = s.find('.');
    auto seg = s.substr(0, dot);
    s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    return seg;
  };
  auto numeric = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c); });
  };
  while (!a.empty() && !b.empty()) {
    auto x = next(a);
    auto y = next(b);
    bool xn = numeric(x);
    bool yn = numeric(y);
    if (xn != yn) return xn ? std::strong_ordering::greater : std::strong_ordering::less;
    if (xn) {
      // Arbitrary length: compare without leading zeros, shorter first, then digit by digit.
      x.remove_prefix(std::min(x.find_first_not_of('0'), x.size()));
      y.remove_prefix(std::min(y.find_first_not_of('0'), y.size()));
      if (auto c = x.size() <=> y.size(); c != 0) return c;
    }
    if (auto c = x.compare(y) <=> 0; c != 0) return c;
  }
  return !a.empty() <=> !b.empty();
}

}  // namespace

Result<Version> Version::parse(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_input,
                      "`" + util::printable_excerpt(text) + "` is not a valid PEP 440 version: " + std::string(why));
  };
  auto stripped = detail::strip_whitespace(text);
  if (stripped.empty()) return invalid("it is empty");
  std::string lowered(stripped);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
  Parser p(lowered);

  Version v;
  p.eat('v');
  auto first = p.number();
  if (!first) return invalid("expected a release number such as `1.0`");
  if (p.eat('!')) {
    v.epoch_ = *first;
    first = p.number();
    if (!first) return invalid("expected a release number after the epoch `!`");
  }
  v.release_.push_back(*first);
  while (p.digit_next(1) && p.eat('.')) v.release_.push_back(*p.number());

  auto mark = p.pos();
  p.eat_separator();
  if (auto kind = pre_label(p)) {
    p.eat_separator();
    v.pre_ = PreRelease{*kind, p.number().value_or(0)};
  } else {
    p.reset(mark);
  }

  mark = p.pos();
  if (p.eat('-') && p.digit_next()) {
    v.post_ = *p.number();
  } else {
    p.reset(mark);
    p.eat_separator();
    if (p.eat("post") || p.eat("rev") || p.eat("r")) {
      p.eat_separator();
      v.post_ = p.number().value_or(0);
    } else {
      p.reset(mark);
    }
  }

  mark = p.pos();
  p.eat_separator();
  if (p.eat("dev")) {
    p.eat_separator();
    v.dev_ = p.number().value_or(0);
  } else {
    p.reset(mark);
  }

  if (p.eat('+')) {
    auto local = p.rest();
    bool expect_alnum = true;
    for (char c : local) {
      if (is_alnum(c)) {
        v.local_ += c;
        expect_alnum = false;
      } else if (is_separator(c) && !expect_alnum) {
        v.local_ += '.';
        expect_alnum = true;
      } else {
        return invalid("a local label is letters and digits separated by `.`, `-` or `_`");
      }
    }
    if (expect_alnum) return invalid("the local label after `+` is empty or ends in a separator");
    p.reset(lowered.size());
  }

  if (!p.at_end())
    return invalid("unexpected `" + util::printable_excerpt(stripped.substr(p.pos())) + "`");
  if (p.overflow()) return invalid("a number is too large");
  return v;
}

Version Version::public_version() const {
  Version v = *this;
  v.local_.clear();
  return v;
}

Version Version::base_version() const {
  Version v;
  v.epoch_ = epoch_;
  v.release_ = release_;
  return v;
}

std::string Version::str() const {
  std::string out;
  if (epoch_ != 0) out += std::to_string(epoch_) + "!";
  for (std::size_t i = 0; i < release_.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(release_[i]);
  }
  if (pre_) out += std::string(to_string(pre_->kind)) + std::to_string(pre_->number);
  if (post_) out += ".post" + std::to_string(*post_);
  if (dev_) out += ".dev" + std::to_string(*dev_);
  if (!local_.empty()) out += "+" + local_;
  return out;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (auto c = a.epoch_ <=> b.epoch_; c != 0) return c;
  // Missing release segments count as zero, which is the same as ignoring trailing zeros.
  auto n = std::max(a.release_.size(), b.release_.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto x = i < a.release_.size() ? a.release_[i] : 0;
    auto y = i < b.release_.size() ? b.release_[i] : 0;
    if (auto c = x <=> y; c != 0) return c;
  }
  // Pre-release phase: a bare dev release (1.0.dev1) precedes every pre-release of the same
  // release, and a version without a pre-release segment follows them all.
  auto pre_rank = [](const Version& v) {
    if (v.pre_) return 1;
    return (!v.post_ && v.dev_) ? 0 : 2;
  };
  if (auto c = pre_rank(a) <=> pre_rank(b); c != 0) return c;
  if (a.pre_ && b.pre_) {
    if (auto c = a.pre_->kind <=> b.pre_->kind; c != 0) return c;
    if (auto c = a.pre_->number <=> b.pre_->number; c != 0) return c;
  }
  // No post release sorts first; no dev release sorts last.
  if (auto c = a.post_.has_value() <=> b.post_.has_value(); c != 0) return c;
  if (a.post_ && b.post_)
    if (auto c = *a.post_ <=> *b.post_; c != 0) return c;
  if (auto c = !a.dev_.has_value() <=> !b.dev_.has_value(); c != 0) return c;
  if (a.dev_ && b.dev_)
    if (auto c = *a.dev_ <=> *b.dev_; c != 0) return c;
  if (auto c = !a.local_.empty() <=> !b.local_.empty(); c != 0) return c;
  return compare_local(a.local_, b.local_);
}

}  // namespace mlpack::pypi
