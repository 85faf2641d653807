#include "detectors/python_internal.hpp"

#include <cctype>
#include <system_error>

#include "detectors/project_file.hpp"
#include "util/text.hpp"

namespace mlpack::detectors::internal {

bool is_space(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

std::string strip(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> lines;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t brk = 0;
    if (c == '\r')
      brk = (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
    else if (c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e)
      brk = 1;
    else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85)
      brk = 2;  // U+0085
    else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
             (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9))
      brk = 3;  // U+2028, U+2029
    if (brk) {
      lines.push_back(std::move(cur));
      cur.clear();
      i += brk - 1;
    } else {
      cur.push_back(s[i]);
    }
  }
  if (!cur.empty()) lines.push_back(std::move(cur));
  return lines;
}

std::string ticked(std::string_view s) { return quote_text(s); }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

fs::path normal(const fs::path& p) {
  auto n = p.lexically_normal();
  if (!n.has_filename() && n.has_relative_path()) n = n.parent_path();
  return n;
}

fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  auto abs = fs::absolute(p, ec);
  return normal(ec ? p : abs);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string url_scheme(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return "";
  return util::to_lower(s.substr(0, colon));
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<fs::path> file_url_path(std::string_view url, const fs::path& base) {
  if (url_scheme(url) != "file") return std::nullopt;
  auto rest = url.substr(5);
  rest = rest.substr(0, rest.find_first_of("?#"));
  if (rest.starts_with("//")) {
    auto slash = rest.find('/', 2);
    auto host = rest.substr(2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
    if (!host.empty() && host != "localhost") return std::nullopt;  // a network share
    rest = slash == std::string_view::npos ? std::string_view{"/"} : rest.substr(slash);
  }
  fs::path p = percent_decode(rest);
  if (p.is_relative()) p = base / p;
  return normal(p);
}

}  // namespace mlpack::detectors::internal
