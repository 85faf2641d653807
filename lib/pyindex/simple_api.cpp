#include "pyindex/simple_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>

#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/url.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

using util::ErrorKind;
using util::fail;

namespace {

// Hex digits in either case (indexes write both); the value is lowercased once accepted.
bool is_hex(std::string_view s) { return util::is_lower_hex(util::to_lower(s)); }

// A character reference as HTML reads it: NUL, surrogates and out-of-range values become U+FFFD.
void append_reference(std::string& out, unsigned long cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  util::append_utf8(out, static_cast<char32_t>(cp));
}

// Splits "#sha256=ab12" style fragments into the hash map; other fragments are dropped.
void take_hash_fragment(std::string_view fragment, std::map<std::string, std::string>& hashes) {
  auto eq = fragment.find('=');
  if (eq == std::string_view::npos) return;
  auto algo = util::to_lower(fragment.substr(0, eq));
  auto value = fragment.substr(eq + 1);
  static const char* known[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};
  for (const char* k : known)
    if (algo == k && is_hex(value)) hashes[algo] = util::to_lower(value);
}

struct Tag {
  std::string name;  // lowercase
  std::map<std::string, std::string> attrs;  // lowercase names, decoded values
};

// A tolerant scanner: finds start tags and their attributes, skipping comments, end tags and
// the contents of script/style. Enough for index pages, which are machine-written.
std::vector<Tag> scan_tags(std::string_view html, std::initializer_list<std::string_view> wanted) {
  std::vector<Tag> tags;
  std::size_t i = 0;
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while ((i = html.find('<', i)) != std::string_view::npos) {
    if (html.substr(i, 4) == "<!--") {
      auto end = html.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    ++i;
    if (i >= html.size() || !std::isalpha(static_cast<unsigned char>(html[i]))) continue;
    std::size_t start = i;
    while (i < html.size() && !space(html[i]) && html[i] != '>' && html[i] != '/') ++i;
    Tag tag{util::to_lower(html.substr(start, i - start)), {}};
    // Attributes until '>'.
    while (i < html.size() && html[i] != '>') {
      if (space(html[i]) || html[i] == '/') {
        ++i;
        continue;
      }
      std::size_t ns = i;
      while (i < html.size() && !space(html[i]) && html[i] != '>' && html[i] != '=' && html[i] != '/') ++i;
      std::string name = util::to_lower(html.substr(ns, i - ns));
      while (i < html.size() && space(html[i])) ++i;
      std::string value;
      if (i < html.size() && html[i] == '=') {
        ++i;
        while (i < html.size() && space(html[i])) ++i;
        if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
          char q = html[i++];
          auto end = html.find(q, i);
          if (end == std::string_view::npos) end = html.size();
          value = decode_html_entities(html.substr(i, end - i));
          i = std::min(end + 1, html.size());
        } else {
          std::size_t vs = i;
          while (i < html.size() && !space(html[i]) && html[i] != '>') ++i;
          value = decode_html_entities(html.substr(vs, i - vs));
        }
      }
      if (!name.empty()) tag.attrs.emplace(std::move(name), std::move(value));
    }
    if (tag.name == "script" || tag.name == "style") {
      auto close = util::to_lower(html.substr(i)).find("</" + tag.name);
      i = close == std::string::npos ? html.size() : i + close;
      continue;
    }
    for (auto w : wanted)
      if (tag.name == w) tags.push_back(std::move(tag));
  }
  return tags;
}

// PEP 658/714 attribute values: "true", or "<hashname>=<hex>".
void take_metadata_attr(const std::string& value, DistFile& f) {
  auto v = util::trim(value);
  if (util::to_lower(v) == "false") return;
  f.has_metadata_file = true;
  take_hash_fragment(v, f.metadata_hashes);
}

std::optional<std::string> non_empty(std::string s) {
  s = util::trim(s);
  if (s.empty()) return std::nullopt;
  return s;
}

DistFile file_from_url(std::string_view url, std::string_view page_url, std::string_view index) {
  DistFile f;
  auto [clean, fragment] = util::split_fragment(util::resolve_reference(page_url, url));
  f.url = std::move(clean);
  take_hash_fragment(fragment, f.hashes);
  f.filename = util::url_filename(f.url);
  f.index = std::string(index);
  return f;
}

}  // namespace

std::string decode_html_entities(std::string_view s) {
  static const std::map<std::string, std::string, std::less<>> named = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += s[i];
      continue;
    }
    auto ent = s.substr(i + 1, semi - i - 1);
    if (ent.starts_with('#') && ent.size() > 1) {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      auto digits = ent.substr(hex ? 2 : 1);
      bool ok = !digits.empty() && std::all_of(digits.begin(), digits.end(), [&](char c) {
        return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : std::isdigit(static_cast<unsigned char>(c)) != 0;
      });
      if (ok) {
        append_reference(out, std::stoul(std::string(digits), nullptr, hex ? 16 : 10));
        i = semi;
        continue;
      }
    } else if (auto it = named.find(ent); it != named.end()) {
      out += it->second;
      i = semi;
      continue;
    }
    out += s[i];
  }
  return out;
}

Result<PageFormat> page_format(std::optional<std::string_view> content_type) {
  if (!content_type) return PageFormat::html;
  auto type = util::to_lower(util::trim(content_type->substr(0, content_type->find(';'))));
  constexpr std::string_view prefix = "application/vnd.pypi.simple.";
  if (type.starts_with(prefix)) {
    auto rest = std::string_view(type).substr(prefix.size());
    auto plus = rest.find('+');
    auto version = rest.substr(0, plus);
    auto syntax = plus == std::string_view::npos ? std::string_view{} : rest.substr(plus + 1);
    if (version != "v1" && version != "latest")
      return fail(ErrorKind::unsupported, "the index answered with simple API version `" + std::string(version) +
                                              "`; only version 1 is supported");
    if (syntax == "json") return PageFormat::json;
    if (syntax == "html") return PageFormat::html;
    return fail(ErrorKind::unsupported, "unsupported index page type `" + type + "`");
  }
  if (type == "application/json")
    return fail(ErrorKind::unsupported,
                "the index answered with plain `application/json`, which is not the simple API (PEP 691 uses "
                "`application/vnd.pypi.simple.v1+json`)");
  return PageFormat::html;
}

std::vector<DistFile> parse_html_page(std::string_view html, std::string_view page_url, std::string_view index) {
  std::vector<DistFile> out;
  std::string base(page_url);
  bool have_base = false;
  for (auto& tag : scan_tags(html, {"a", "base"})) {
    auto href = tag.attrs.find("href");
    if (href == tag.attrs.end()) continue;
    if (tag.name == "base") {
      if (!have_base) base = util::resolve_reference(page_url, href->second);
      have_base = true;
      continue;
    }
    if (util::trim(href->second).empty()) continue;
    auto f = file_from_url(href->second, base, index);
    if (f.filename.empty()) continue;
    if (auto rp = tag.attrs.find("data-requires-python"); rp != tag.attrs.end()) f.requires_python = non_empty(rp->second);
    if (auto y = tag.attrs.find("data-yanked"); y != tag.attrs.end()) f.yanked = y->second;
    if (auto m = tag.attrs.find("data-core-metadata"); m != tag.attrs.end()) take_metadata_attr(m->second, f);
    else if (auto d = tag.attrs.find("data-dist-info-metadata"); d != tag.attrs.end()) take_metadata_attr(d->second, f);
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

void take_hash_object(const nlohmann::json& j, std::map<std::string, std::string>& out) {
  if (!j.is_object()) return;
  for (auto& [k, v] : j.items())
    if (v.is_string() && is_hex(v.get<std::string>())) out[util::to_lower(k)] = util::to_lower(v.get<std::string>());
}

void take_metadata_json(const nlohmann::json& j, DistFile& f) {
  if (j.is_boolean()) {
    f.has_metadata_file = j.get<bool>();
  } else if (j.is_object()) {
    f.has_metadata_file = true;
    take_hash_object(j, f.metadata_hashes);
  }
}

}  // namespace

Result<std::vector<DistFile>> parse_json_page(std::string_view json, std::string_view page_url,
                                              std::string_view index) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(ErrorKind::invalid_input, "the project page is not valid JSON");
  if (auto meta = doc.find("meta"); meta != doc.end() && meta->is_object()) {
    if (auto v = meta->find("api-version"); v != meta->end() && v->is_string()) {
      auto version = v->get<std::string>();
      if (!version.starts_with("1.") && version != "1")
        return fail(ErrorKind::unsupported, "the index speaks simple API version `" + version + "`; only 1.x is supported");
    }
  }
  auto files = doc.find("files");
  if (files == doc.end() || !files->is_array())
    return fail(ErrorKind::invalid_input, "the project page has no `files` list");
  std::vector<DistFile> out;
  for (const auto& j : *files) {
    if (!j.is_object()) continue;
    auto url = j.find("url");
    if (url == j.end() || !url->is_string()) continue;
    auto f = file_from_url(url->get<std::string>(), page_url, index);
    if (auto name = j.find("filename"); name != j.end() && name->is_string()) f.filename = name->get<std::string>();
    if (auto h = j.find("hashes"); h != j.end()) take_hash_object(*h, f.hashes);
    if (auto rp = j.find("requires-python"); rp != j.end() && rp->is_string()) f.requires_python = non_empty(rp->get<std::string>());
    if (auto y = j.find("yanked"); y != j.end()) {
      if (y->is_string()) f.yanked = y->get<std::string>();
      else if (y->is_boolean() && y->get<bool>()) f.yanked = "";
    }
    if (auto m = j.find("core-metadata"); m != j.end()) take_metadata_json(*m, f);
    else if (auto d = j.find("dist-info-metadata"); d != j.end()) take_metadata_json(*d, f);
    if (auto s = j.find("size"); s != j.end() && s->is_number_unsigned()) f.size = s->get<std::uint64_t>();
    if (f.filename.empty()) continue;
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<DistFile>> parse_page(std::string_view body, std::optional<std::string_view> content_type,
                                         std::string_view page_url, std::string_view index) {
  auto format = TRY(page_format(content_type));
  if (format == PageFormat::json) return parse_json_page(body, page_url, index);
  return parse_html_page(body, page_url, index);
}

}  // namespace mlpack::pyindex
