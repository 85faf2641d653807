#include "util/url.hpp"

#include <cctype>
#include <vector>

#include "util/text.hpp"

namespace mlpack::util {

UrlSplit split_url(std::string_view url) {
  UrlSplit out;
  if (auto hash = url.find('#'); hash != std::string_view::npos) {
    out.fragment = std::string(url.substr(hash + 1));
    url = url.substr(0, hash);
  }
  if (auto q = url.find('?'); q != std::string_view::npos) {
    out.query = std::string(url.substr(q + 1));
    url = url.substr(0, q);
  }
  // A scheme is letters, digits, '+', '-', '.' before the first ':', starting with a letter.
  if (auto colon = url.find(':'); colon != std::string_view::npos && colon > 0 &&
                                  std::isalpha(static_cast<unsigned char>(url[0]))) {
    auto scheme = url.substr(0, colon);
    bool ok = true;
    for (char c : scheme)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') ok = false;
    if (ok) {
      out.scheme = to_lower(scheme);
      url = url.substr(colon + 1);
    }
  }
  if (url.starts_with("//")) {
    out.has_authority = true;
    auto rest = url.substr(2);
    auto slash = rest.find('/');
    out.authority = std::string(rest.substr(0, slash));
    url = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  out.path = std::string(url);
  return out;
}

std::string join_url(const UrlSplit& p) {
  std::string out;
  if (!p.scheme.empty()) out += p.scheme + ":";
  if (p.has_authority) out += "//" + p.authority;
  out += p.path;
  if (p.query) out += "?" + *p.query;
  if (p.fragment) out += "#" + *p.fragment;
  return out;
}

namespace {

std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  bool absolute = path.starts_with('/');
  std::string_view rest = absolute ? path.substr(1) : path;
  bool trailing = false;
  while (true) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = last;
    } else {
      out.push_back(seg);
      trailing = false;
    }
    if (last) break;
    rest = rest.substr(slash + 1);
  }
  std::string result = absolute ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result += out[i];
  }
  if (trailing && !result.ends_with('/')) result += '/';
  return result;
}

std::string merge(const UrlSplit& base, std::string_view ref_path) {
  if (base.has_authority && base.path.empty()) return "/" + std::string(ref_path);
  auto slash = base.path.rfind('/');
  if (slash == std::string::npos) return std::string(ref_path);
  return base.path.substr(0, slash + 1) + std::string(ref_path);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string resolve_reference(std::string_view base_url, std::string_view ref_url) {
  auto ref = split_url(trim(ref_url));
  auto base = split_url(base_url);
  UrlSplit t;
  if (!ref.scheme.empty()) {
    t = ref;
    t.path = remove_dot_segments(ref.path);
  } else {
    t.scheme = base.scheme;
    if (ref.has_authority) {
      t.has_authority = true;
      t.authority = ref.authority;
      t.path = remove_dot_segments(ref.path);
      t.query = ref.query;
    } else {
      t.has_authority = base.has_authority;
      t.authority = base.authority;
      if (ref.path.empty()) {
        t.path = base.path;
        t.query = ref.query ? ref.query : base.query;
      } else {
        t.path = remove_dot_segments(ref.path.starts_with('/') ? ref.path : merge(base, ref.path));
        t.query = ref.query;
      }
    }
    t.fragment = ref.fragment;
  }
  return join_url(t);
}

std::pair<std::string, std::string> split_fragment(std::string_view url) {
  auto hash = url.find('#');
  if (hash == std::string_view::npos) return {std::string(url), {}};
  return {std::string(url.substr(0, hash)), std::string(url.substr(hash + 1))};
}

std::pair<std::string, std::optional<Credentials>> take_userinfo(std::string_view url) {
  auto parts = split_url(url);
  if (!parts.has_authority) return {std::string(url), std::nullopt};
  auto at = parts.authority.rfind('@');
  if (at == std::string::npos) return {std::string(url), std::nullopt};
  auto userinfo = std::string_view(parts.authority).substr(0, at);
  Credentials c;
  auto colon = userinfo.find(':');
  c.user = percent_decode(userinfo.substr(0, colon));
  if (colon != std::string_view::npos) c.password = percent_decode(userinfo.substr(colon + 1));
  parts.authority = parts.authority.substr(at + 1);
  return {join_url(parts), std::move(c)};
}

std::string strip_userinfo(std::string_view url) { return take_userinfo(url).first; }

std::string url_authority(std::string_view url) {
  auto parts = split_url(url);
  auto a = std::string_view(parts.authority);
  if (auto at = a.rfind('@'); at != std::string_view::npos) a = a.substr(at + 1);
  return to_lower(a);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string percent_encode(std::string_view s, std::string_view keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool is_file_url(std::string_view url) { return starts_with_ci(url, "file:"); }

std::optional<std::filesystem::path> file_url_to_path(std::string_view url) {
  auto parts = split_url(url);
  if (parts.scheme != "file") return std::nullopt;
  if (parts.has_authority && !parts.authority.empty() && to_lower(parts.authority) != "localhost")
    return std::nullopt;
  return std::filesystem::path(percent_decode(parts.path));
}

std::string path_to_file_url(const std::filesystem::path& path) {
  auto abs = std::filesystem::absolute(path).lexically_normal().string();
  // RFC 3986 path characters (pchar and '/') stay as they are.
  return "file://" + percent_encode(abs, "-._~/!$&'()*+,;=:@");
}

std::string url_filename(std::string_view url) {
  auto parts = split_url(url);
  auto slash = parts.path.rfind('/');
  return percent_decode(slash == std::string::npos ? parts.path : parts.path.substr(slash + 1));
}

}  // namespace mlpack::util
