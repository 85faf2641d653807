#include "sbom/purl.hpp"

#include <cctype>
#include <set>

#include "util/expected.hpp"

namespace mlpack::sbom {

using util::ErrorKind;
using util::fail;

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<std::string> decode(std::string_view s, std::string_view what) {
  std::string out;
  auto hex = [](char c) -> int {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size())
      return fail(ErrorKind::invalid_input, "a `%` escape is cut short in the " + std::string(what));
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0)
      return fail(ErrorKind::invalid_input, "a `%` escape is not two hex digits in the " + std::string(what));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string purl_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (is_alpha(ch) || is_digit(ch) || ch == '.' || ch == '-' || ch == '_' || ch == '~' || ch == ':') {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string Purl::str() const {
  std::string out = "pkg:" + lower(type) + "/";
  std::string_view rest = ns;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (!seg.empty()) out += purl_encode(seg) + "/";
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  out += purl_encode(name);
  if (!version.empty()) out += "@" + purl_encode(version);
  bool first = true;
  for (const auto& [k, v] : qualifiers) {  // std::map: sorted by key
    if (v.empty()) continue;
    out += (first ? "?" : "&") + lower(k) + "=" + purl_encode(v);
    first = false;
  }
  if (!subpath.empty()) {
    std::string sub;
    std::string_view r = subpath;
    while (!r.empty()) {
      auto slash = r.find('/');
      auto seg = r.substr(0, slash);
      if (!seg.empty() && seg != "." && seg != "..") sub += (sub.empty() ? "" : "/") + purl_encode(seg);
      r = slash == std::string_view::npos ? std::string_view() : r.substr(slash + 1);
    }
    if (!sub.empty()) out += "#" + sub;
  }
  return out;
}

Result<Purl> parse_purl(std::string_view text) {
  auto bad = [&](std::string why) {
    return fail(ErrorKind::invalid_input, "purl `" + std::string(text) + "`: " + why);
  };
  Purl p;
  std::string_view rest = text;
  if (auto hash = rest.rfind('#'); hash != std::string_view::npos) {
    auto sub = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    std::string decoded;
    while (!sub.empty()) {
      auto slash = sub.find('/');
      auto seg = sub.substr(0, slash);
      sub = slash == std::string_view::npos ? std::string_view() : sub.substr(slash + 1);
      if (seg.empty()) continue;
      auto d = decode(seg, "subpath");
      if (!d) return bad(d.error().message);
      decoded += (decoded.empty() ? "" : "/") + *d;
    }
    p.subpath = decoded;
  }
  if (auto q = rest.rfind('?'); q != std::string_view::npos) {
    auto qs = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      auto pair = qs.substr(0, amp);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0) return bad("a qualifier is not `key=value`");
      auto key = lower(pair.substr(0, eq));
      if (is_digit(key[0])) return bad("qualifier key `" + key + "` starts with a digit");
      for (char c : key)
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_')
          return bad("qualifier key `" + key + "` has a character other than letters, digits and `.-_`");
      auto value = decode(pair.substr(eq + 1), "qualifier `" + key + "`");
      if (!value) return bad(value.error().message);
      if (value->empty()) continue;
      if (p.qualifiers.contains(key)) return bad("qualifier `" + key + "` appears twice");
      p.qualifiers[key] = *value;
    }
  }
  if (!rest.starts_with("pkg:")) return bad("it does not start with `pkg:`");
  rest.remove_prefix(4);
  while (rest.starts_with('/')) rest.remove_prefix(1);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return bad("it has no type");
  auto type = rest.substr(0, slash);
  if (is_digit(type[0])) return bad("the type starts with a digit");
  for (char c : type)
    if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '+' && c != '-')
      return bad("the type has a character other than letters, digits and `.+-`");
  p.type = lower(type);
  rest = rest.substr(slash + 1);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto v = decode(rest.substr(at + 1), "version");
    if (!v) return bad(v.error().message);
    if (v->empty()) return bad("the version after `@` is empty");
    p.version = *v;
    rest = rest.substr(0, at);
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  auto last = rest.rfind('/');
  auto name = decode(last == std::string_view::npos ? rest : rest.substr(last + 1), "name");
  if (!name) return bad(name.error().message);
  if (name->empty()) return bad("it has no name");
  p.name = *name;
  if (last != std::string_view::npos) {
    std::string_view ns = rest.substr(0, last);
    std::string decoded;
    while (!ns.empty()) {
      auto s = ns.find('/');
      auto seg = ns.substr(0, s);
      ns = s == std::string_view::npos ? std::string_view() : ns.substr(s + 1);
      if (seg.empty()) continue;
      auto d = decode(seg, "namespace");
      if (!d) return bad(d.error().message);
      if (d->find('/') != std::string::npos) return bad("a namespace segment holds an encoded `/`");
      decoded += (decoded.empty() ? "" : "/") + *d;
    }
    p.ns = decoded;
  }
  return p;
}

}  // namespace mlpack::sbom
