#include "wheel/dist_info.hpp"

#include <charconv>
#include <optional>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::wheel::detail {

namespace {

using util::ErrorKind;
using util::fail;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

bool is_identifier_char(char c, bool first) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;  // non-ASCII identifiers are Python's to judge
  if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return !first && c >= '0' && c <= '9';
}

// `a.b.c`, each part a Python identifier (ASCII checked strictly).
bool is_dotted_name(std::string_view s) {
  if (s.empty()) return false;
  bool first = true;
  for (char c : s) {
    if (c == '.') {
      if (first) return false;
      first = true;
      continue;
    }
    if (!is_identifier_char(c, first)) return false;
    first = false;
  }
  return !first;
}

}  // namespace

Result<WheelInfo> parse_wheel_info(std::string_view text) {
  std::optional<std::string> version, purelib;
  for (auto line : lines_of(text)) {
    if (line.empty()) break;  // the body, if any
    if (line.front() == ' ' || line.front() == '\t') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = util::to_lower(util::trim(line.substr(0, colon)));
    std::string value = util::trim(line.substr(colon + 1));
    if (key == "wheel-version" && !version) version = value;
    if (key == "root-is-purelib" && !purelib) purelib = value;
  }
  if (!version) return fail(ErrorKind::integrity, "WHEEL has no `Wheel-Version`");
  WheelInfo info;
  auto dot = version->find('.');
  auto number = [](std::string_view s, int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty() && s.front() != '-';
  };
  if (dot == std::string::npos || !number(std::string_view(*version).substr(0, dot), info.major) ||
      !number(std::string_view(*version).substr(dot + 1), info.minor))
    return fail(ErrorKind::integrity, "WHEEL has a malformed `Wheel-Version: " + *version + "`");
  if (!purelib) return fail(ErrorKind::integrity, "WHEEL has no `Root-Is-Purelib`");
  std::string p = util::to_lower(*purelib);
  if (p != "true" && p != "false")
    return fail(ErrorKind::integrity, "WHEEL has `Root-Is-Purelib: " + *purelib + "`; expected `true` or `false`");
  info.root_is_purelib = p == "true";
  return info;
}

Result<std::vector<RecordRow>> parse_record(std::string_view text) {
  std::vector<RecordRow> rows;
  std::size_t i = 0, line = 1;
  while (i < text.size()) {
    std::vector<std::string> fields(1);
    bool quoted = false, was_quoted = false;
    std::size_t start_line = line;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            fields.back() += '"';
            ++i;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line;
          fields.back() += c;
        }
      } else if (c == '"' && fields.back().empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        fields.emplace_back();
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        ++i;
        ++line;
        break;
      } else {
        fields.back() += c;
      }
    }
    if (quoted) return fail(ErrorKind::integrity, "RECORD line " + std::to_string(start_line) + ": unterminated quote");
    if (fields.size() == 1 && fields[0].empty() && !was_quoted) continue;
    if (fields.size() > 3)
      return fail(ErrorKind::integrity, "RECORD line " + std::to_string(start_line) + ": more than three fields");
    fields.resize(3);
    rows.push_back({std::move(fields[0]), std::move(fields[1]), std::move(fields[2])});
  }
  return rows;
}

std::string write_record(const std::vector<RecordRow>& rows) {
  auto field = [](const std::string& f) {
    if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  std::string out;
  for (const auto& r : rows) out += field(r.path) + "," + field(r.hash) + "," + field(r.size) + "\n";
  return out;
}

std::string base64url_nopad(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    std::uint32_t v = at(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<util::Digest> sha256_from_base64url(std::string_view encoded) {
  if (encoded.size() != 43) return std::nullopt;
  std::string raw;
  std::uint32_t bits = 0;
  int have = 0;
  for (char c : encoded) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-' ? 62
            : c == '_' ? 63
                       : -1;
    if (v < 0) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      raw += static_cast<char>((bits >> have) & 0xff);
    }
  }
  // 43 characters carry 258 bits: the last two must be zero, or two spellings name one digest.
  if (raw.size() != 32 || (bits & ((1u << have) - 1)) != 0) return std::nullopt;
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string hex;
  for (char b : raw) {
    hex += hex_digits[(static_cast<unsigned char>(b) >> 4) & 15];
    hex += hex_digits[static_cast<unsigned char>(b) & 15];
  }
  auto d = util::Digest::parse("sha256:" + hex);
  if (!d) return std::nullopt;
  return *d;
}

std::string record_hash(const util::Digest& digest) {
  const std::string& hex = digest.hex();
  std::string raw;
  raw.reserve(hex.size() / 2);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) raw += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  return digest.algorithm() + "=" + base64url_nopad(raw);
}

Result<EntryPoint> parse_object_reference(std::string_view group, std::string_view name, std::string_view value) {
  auto bad = [&](std::string why) {
    return fail(ErrorKind::integrity, "entry point `" + std::string(name) + " = " + std::string(value) + "` in [" +
                                          std::string(group) + "]: " + why);
  };
  std::string v = util::trim(value);
  if (auto bracket = v.find('['); bracket != std::string::npos) {
    if (v.back() != ']') return bad("malformed extras");
    v = util::trim(std::string_view(v).substr(0, bracket));
  }
  EntryPoint ep{std::string(group), std::string(name), {}, {}};
  auto colon = v.find(':');
  ep.module = util::trim(std::string_view(v).substr(0, colon));
  if (colon != std::string::npos) ep.attr = util::trim(std::string_view(v).substr(colon + 1));
  if (!is_dotted_name(ep.module)) return bad("`" + ep.module + "` is not a module name");
  if (colon != std::string::npos && !is_dotted_name(ep.attr)) return bad("`" + ep.attr + "` is not an attribute name");
  return ep;
}

Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text) {
  std::vector<EntryPoint> out;
  std::optional<std::string> group;
  std::size_t n = 0;
  for (auto raw : lines_of(text)) {
    ++n;
    auto where = [&] { return "entry_points.txt line " + std::to_string(n); };
    std::string line = util::trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (raw.front() == ' ' || raw.front() == '\t')
      return fail(ErrorKind::integrity, where() + ": continuation lines are not allowed in entry points");
    if (line.front() == '[') {
      if (line.back() != ']') return fail(ErrorKind::integrity, where() + ": malformed section header");
      group = util::trim(std::string_view(line).substr(1, line.size() - 2));
      continue;
    }
    if (!group) return fail(ErrorKind::integrity, where() + ": an entry point outside any section");
    auto eq = line.find('=');
    if (eq == std::string::npos) return fail(ErrorKind::integrity, where() + ": expected `name = object reference`");
    std::string name = util::trim(std::string_view(line).substr(0, eq));
    if (name.empty()) return fail(ErrorKind::integrity, where() + ": an entry point without a name");
    out.push_back(TRY_CONTEXT(parse_object_reference(*group, name, std::string_view(line).substr(eq + 1)), where()));
  }
  return out;
}

bool is_safe_command_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  if (util::trim(name).size() != name.size()) return false;
  for (char c : name)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

std::string launcher_script(const EntryPoint& ep, std::string_view python) {
  std::string head = ep.attr.substr(0, ep.attr.find('.'));
  std::string out = "#!" + std::string(python) + "\n";
  out += "# -*- coding: utf-8 -*-\n";
  out += "# The `" + ep.name + "` command (" + ep.group + "), written by mlpack.\n";
  out += "import sys\n";
  out += "from " + ep.module + " import " + head + "\n";
  out += "if __name__ == \"__main__\":\n";
  out += "    sys.exit(" + ep.attr + "())\n";
  return out;
}

std::optional<std::string> rewrite_shebang(std::string_view content, std::string_view python) {
  if (!content.starts_with("#!python")) return std::nullopt;
  auto nl = content.find('\n');
  std::string_view line = content.substr(0, nl);
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::string_view rest = line.substr(8);  // after "#!python"
  if (rest.starts_with('w')) rest.remove_prefix(1);
  while (!rest.empty() && ((rest.front() >= '0' && rest.front() <= '9') || rest.front() == '.')) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return std::nullopt;  // "#!pythonic"
  std::string out = "#!" + std::string(python) + std::string(rest) + "\n";
  if (nl != std::string_view::npos) out += content.substr(nl + 1);
  return out;
}

MetadataIdentity parse_metadata_identity(std::string_view text) {
  MetadataIdentity out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) break;  // the body (the description) starts here
    if (line.front() == ' ' || line.front() == '\t') continue;  // a continuation line
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = util::to_lower(line.substr(0, colon));
    auto value = util::trim(line.substr(colon + 1));
    if (key == "name" && out.name.empty()) out.name = value;
    if (key == "version" && out.version.empty()) out.version = value;
  }
  return out;
}

}  // namespace mlpack::wheel::detail
