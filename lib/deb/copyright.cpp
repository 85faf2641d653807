#include "deb/copyright.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <set>

#include "deb/control.hpp"
#include "deb/deb_file.hpp"
#include "deb/relation.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::deb {

namespace {

constexpr std::string_view format_url = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0";
constexpr std::string_view record_magic = "mlpack deb copyright 1\n";
constexpr std::size_t max_copyright_size = 16 << 20;  // the largest in bookworm is under 2 MiB

std::string collapse_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool space = c == ' ' || c == '\t' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The Format field names the 1.0 specification: its URL with or without the final slash, over
// https or http (both appear in the archive), as the specification's own examples write it.
bool is_format_1_0(std::string_view value) {
  std::string v = collapse_spaces(value);
  if (v.starts_with("http://")) v = "https://" + v.substr(7);
  while (v.ends_with('/')) v.pop_back();
  return v == format_url;
}

}  // namespace

CopyrightLicenses parse_copyright(std::string_view text) {
  CopyrightLicenses out;
  auto paragraphs = dcf::parse_paragraphs(text, "copyright", {.comments = dcf::Comments::skipped});
  if (!paragraphs || paragraphs->empty()) return out;
  auto format = paragraphs->front().get("Format");
  if (!format || !is_format_1_0(*format)) return out;
  out.machine_readable = true;
  std::set<std::string> seen;
  for (std::size_t i = 1; i < paragraphs->size(); ++i) {
    const auto& p = (*paragraphs)[i];
    if (!p.get("Files")) continue;  // a stand-alone License paragraph: the text of a short name
    auto license = p.get("License");
    std::string first = license ? collapse_spaces(license->substr(0, license->find('\n'))) : std::string();
    if (first.empty()) {  // a Files paragraph without a licence: the file does not say
      out.licenses.clear();
      return out;
    }
    // Short names are case-insensitive (BSD-3-Clause and BSD-3-clause in one file are one).
    std::string key = first;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (seen.insert(key).second) out.licenses.push_back(std::move(first));
  }
  return out;
}

std::string license_statement(const CopyrightLicenses& licenses) {
  std::string out;
  for (const auto& l : licenses.licenses) out += (out.empty() ? "" : ", and ") + l;
  return out;
}

PackageCopyright package_copyright(const std::optional<std::string>& copyright, std::string_view doc_link) {
  PackageCopyright out;
  if (copyright) out.statement = license_statement(parse_copyright(*copyright));
  // A sibling doc directory only: "libfoo1" or "./libfoo1/", never one that leaves usr/share/doc.
  std::string link(doc_link);
  if (link.starts_with("./")) link = link.substr(2);
  while (link.ends_with('/')) link.pop_back();
  if (!copyright && !link.empty() && valid_package_name(link)) out.doc_link = link;
  return out;
}

Result<PackageCopyright> read_package_copyright(const fs::path& deb, std::string_view package,
                                                const archive::UnpackLimits& limits) {
  const std::string dir = "usr/share/doc/" + std::string(package);
  const std::string file = dir + "/copyright";
  std::optional<std::string> copyright;
  std::string link;
  TRY(read_data_members(deb, limits, [&](const archive::TarEntry& e, util::Reader& content) -> Result<void> {
    if (e.path == file && e.type == archive::TarType::file) {
      if (e.size > max_copyright_size) return {};  // no statement rather than an unbounded read
      std::string text;
      std::array<char, 1 << 16> buf;
      for (;;) {
        auto n = TRY(content.read(std::as_writable_bytes(std::span(buf))));
        if (n == 0) break;
        text.append(buf.data(), n);
      }
      copyright = std::move(text);
    } else if (e.path == dir && e.type == archive::TarType::symlink) {
      link = e.link_target;
    }
    return {};
  }));
  return package_copyright(copyright, link);
}

std::optional<PackageCopyright> load_copyright_record(const fs::path& dir, const util::Digest& deb) {
  auto text = util::read_file(dir / deb.hex(), 1 << 20);
  if (!text || !text->starts_with(record_magic)) return std::nullopt;
  std::string_view rest = std::string_view(*text).substr(record_magic.size());
  PackageCopyright out;
  bool seen_end = false;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;  // cut short
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.starts_with("statement ")) out.statement = line.substr(10);
    else if (line.starts_with("doc-link ")) out.doc_link = line.substr(9);
    else if (line == "end") seen_end = true;
    else return std::nullopt;
  }
  if (!seen_end) return std::nullopt;
  return out;
}

Result<void> store_copyright_record(const fs::path& dir, const util::Digest& deb, const PackageCopyright& record) {
  auto one_line = [](const std::string& s) { return s.find('\n') == std::string::npos; };
  if (!one_line(record.statement) || !one_line(record.doc_link))
    return util::fail(util::ErrorKind::internal, "a copyright record field holds a line break");
  std::string text(record_magic);
  if (!record.statement.empty()) text += "statement " + record.statement + "\n";
  if (!record.doc_link.empty()) text += "doc-link " + record.doc_link + "\n";
  text += "end\n";
  TRY(util::make_dirs(dir));
  TRY(util::write_file_atomic(dir / deb.hex(), text));
  return {};
}

}  // namespace mlpack::deb
