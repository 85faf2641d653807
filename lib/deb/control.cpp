#include "deb/control.hpp"

#include "util/text.hpp"

namespace mlpack::deb {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view rstrip(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

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

Result<void> for_each_paragraph(std::string_view text, std::string_view source,
                                const std::function<Result<void>(Paragraph&&)>& visit) {
  Paragraph current;
  std::string* last_value = nullptr;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  auto flush = [&]() -> Result<void> {
    if (current.empty()) return {};
    auto r = visit(std::move(current));
    current = Paragraph{};
    last_value = nullptr;
    return r;
  };
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string_view trimmed = rstrip(line);
    if (trimmed.empty()) {
      if (auto r = flush(); !r) return r;
      continue;
    }
    if (trimmed.front() == '#') continue;
    if (trimmed.front() == ' ' || trimmed.front() == '\t') {
      if (!last_value)
        return util::fail(util::ErrorKind::invalid_input,
                          std::string(source) + ":" + std::to_string(line_no) + ": continuation line without a field");
      std::string_view cont = trimmed.substr(1);
      last_value->push_back('\n');
      if (rstrip(cont) != ".") last_value->append(cont);
      continue;
    }
    auto colon = trimmed.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return util::fail(util::ErrorKind::invalid_input, std::string(source) + ":" + std::to_string(line_no) +
                                                            ": expected `Field: value`, got `" +
                                                            std::string(trimmed.substr(0, 60)) + "`");
    std::string_view name = trimmed.substr(0, colon);
    std::string_view value = trimmed.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (current.empty()) current.line = line_no;
    last_value = &current.set(name, std::string(value));
  }
  return flush();
}

Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source) {
  std::vector<Paragraph> out;
  auto r = for_each_paragraph(text, source, [&](Paragraph&& p) -> Result<void> {
    out.push_back(std::move(p));
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

}  // namespace mlpack::deb
