#include "dcf/paragraph.hpp"

#include <algorithm>
#include <unordered_map>

#include "util/expected.hpp"

namespace mlpack::dcf {

namespace {

// Field names are US-ASCII (checked before they are compared), so ASCII case folding is exact.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

std::string_view rstrip(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// deb822(5): U+0021..U+0039 and U+003B..U+007E, not starting with `#` or `-`.
bool valid_field_name(std::string_view name) {
  if (name.empty() || name.front() == '-' || name.front() == '#') return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < '!' || c > '~' || c == ':') return false;
  }
  return true;
}

// At most 60 bytes of an untrusted line for a message: cut on a UTF-8 character boundary, with
// control characters (a terminal would obey them) shown as `?`.
std::string excerpt(std::string_view line) {
  std::size_t n = std::min<std::size_t>(line.size(), 60);
  if (n < line.size())
    while (n > 0 && (static_cast<unsigned char>(line[n]) & 0xC0) == 0x80) --n;
  std::string out(line.substr(0, n));
  for (auto& ch : out) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) ch = '?';
  }
  return out;
}

}  // namespace

namespace detail {

struct CaseInsensitiveHash {
  std::size_t operator()(std::string_view s) const {
    std::size_t h = 14695981039346656037ull;  // FNV-1a
    for (char c : s) {
      h ^= static_cast<unsigned char>(ascii_lower(c));
      h *= 1099511628211ull;
    }
    return h;
  }
};

struct CaseInsensitiveEqual {
  bool operator()(std::string_view a, std::string_view b) const { return iequals(a, b); }
};

// One pass over the text, one paragraph in memory. A field's earlier position is found by a
// linear search while the paragraph is small (real ones are) and by hash beyond that, so a
// paragraph of many fields still costs linear time.
class ParagraphParser {
 public:
  ParagraphParser(std::string_view source, const ParseOptions& options,
                  const std::function<Result<void>(Paragraph&&)>& visit)
      : source_(source), options_(options), visit_(visit) {}

  Result<void> parse(std::string_view text) {
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      auto nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
      ++line_no;
      std::string_view trimmed = rstrip(line);
      if (trimmed.empty()) {
        TRY(flush());
      } else if (trimmed.front() == '#') {
        if (options_.comments == Comments::refused) return fail(line_no, "comment lines are not allowed in this file");
      } else if (trimmed.front() == ' ' || trimmed.front() == '\t') {
        TRY(continuation(trimmed, line_no));
      } else {
        TRY(field(trimmed, line_no));
      }
    }
    return flush();
  }

 private:
  std::unexpected<util::Error> fail(std::size_t line_no, const std::string& what) const {
    return util::fail(util::ErrorKind::invalid_input, std::string(source_) + ":" + std::to_string(line_no) + ": " + what);
  }

  Result<void> continuation(std::string_view trimmed, std::size_t line_no) {
    if (!last_) return fail(line_no, "continuation line without a field");
    std::string_view cont = trimmed.substr(1);
    auto& value = current_.fields_[*last_].second;
    value.push_back('\n');
    if (rstrip(cont) != ".") value.append(cont);
    return {};
  }

  Result<void> field(std::string_view trimmed, std::size_t line_no) {
    auto colon = trimmed.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(line_no, "expected `Field: value`, got `" + excerpt(trimmed) + "`");
    std::string_view name = trimmed.substr(0, colon);
    if (!valid_field_name(name))
      return fail(line_no, "invalid field name `" + excerpt(name) +
                               "` (field names are printable US-ASCII without spaces, and start with neither `-` "
                               "nor `#`)");
    std::string_view value = trimmed.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (current_.empty()) current_.line = line_no;
    if (auto i = position(name)) {
      current_.fields_[*i].second = std::string(value);
      last_ = *i;
      return {};
    }
    if (current_.fields_.size() >= options_.max_fields)
      return fail(line_no, "more than " + std::to_string(options_.max_fields) +
                               " fields in one paragraph (it starts at line " + std::to_string(current_.line) + ")");
    last_ = names_.size();
    if (!index_.empty()) index_.emplace(name, names_.size());
    names_.push_back(name);
    current_.fields_.emplace_back(std::string(name), std::string(value));
    return {};
  }

  std::optional<std::size_t> position(std::string_view name) {
    constexpr std::size_t linear_search_limit = 32;
    if (names_.size() <= linear_search_limit) {
      for (std::size_t i = 0; i < names_.size(); ++i)
        if (iequals(names_[i], name)) return i;
      return std::nullopt;
    }
    if (index_.empty())
      for (std::size_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    return std::nullopt;
  }

  Result<void> flush() {
    if (current_.empty()) return {};
    names_.clear();
    index_.clear();
    last_.reset();
    return visit_(std::exchange(current_, Paragraph{}));
  }

  std::string_view source_;
  const ParseOptions& options_;
  const std::function<Result<void>(Paragraph&&)>& visit_;
  Paragraph current_;
  // The current paragraph's field names, as views into the text (which outlives the parser), and
  // an index of them once there are too many to search.
  std::vector<std::string_view> names_;
  std::unordered_map<std::string_view, std::size_t, CaseInsensitiveHash, CaseInsensitiveEqual> index_;
  std::optional<std::size_t> last_;  // the field continuation lines extend
};

}  // namespace detail

std::optional<std::string_view> Paragraph::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::string Paragraph::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return std::string(v ? *v : fallback);
}

std::string& Paragraph::set(std::string_view name, std::string value) {
  for (auto& [k, v] : fields_)
    if (iequals(k, name)) {
      v = std::move(value);
      return v;
    }
  return fields_.emplace_back(std::string(name), std::move(value)).second;
}

std::string Paragraph::str() const {
  std::string out;
  for (const auto& [k, v] : fields_) {
    out += k;
    out += ':';
    std::size_t start = 0;
    bool first = true;
    for (;;) {
      auto nl = v.find('\n', start);
      std::string_view line = std::string_view(v).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (first) {
        if (!line.empty()) out += ' ';
        out += line;
      } else {
        out += ' ';
        out += line.empty() ? std::string_view(".") : line;
      }
      out += '\n';
      first = false;
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return out;
}

Result<void> for_each_paragraph(std::string_view text, std::string_view source, const ParseOptions& options,
                                const std::function<Result<void>(Paragraph&&)>& visit) {
  return detail::ParagraphParser(source, options, visit).parse(text);
}

Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source,
                                                const ParseOptions& options) {
  std::vector<Paragraph> out;
  TRY(for_each_paragraph(text, source, options, [&](Paragraph&& p) -> Result<void> {
    out.push_back(std::move(p));
    return {};
  }));
  return out;
}

}  // namespace mlpack::dcf
