#include "deb/dpkg_db.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "archive/entry.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::deb {

namespace {

// The fields dpkg knows, in the order it writes them to the status file (dpkg-query(1) and
// deb-control(5) list them; the order was checked against a live /var/lib/dpkg/status).
constexpr std::array<std::string_view, 28> dpkg_field_order = {
    "Package",        "Essential",  "Protected", "Status",       "Priority",    "Section",          "Installed-Size",
    "Origin",         "Maintainer", "Bugs",      "Architecture", "Multi-Arch",  "Source",           "Version",
    "Config-Version", "Replaces",   "Provides",  "Depends",      "Pre-Depends", "Recommends",       "Suggests",
    "Breaks",         "Conflicts",  "Enhances",  "Conffiles",    "Description", "Triggers-Pending", "Triggers-Awaited"};

// Fields that describe an archive file rather than an installed package.
constexpr std::array<std::string_view, 5> archive_only_fields = {"Filename", "Size", "MD5sum", "SHA256",
                                                                 "MSDOS-Filename"};

bool in(std::string_view name, std::span<const std::string_view> set) {
  return std::any_of(set.begin(), set.end(),
                     [&](std::string_view f) { return util::to_lower(f) == util::to_lower(name); });
}

struct StatusRecord {
  std::string name, arch;
  std::string text;
};

}  // namespace

Result<std::vector<InstalledPackage>> parse_dpkg_status(std::string_view text, std::string_view source) {
  std::vector<InstalledPackage> out;
  TRY(for_each_paragraph(text, source, [&](Paragraph&& p) -> Result<void> {
    auto status = util::split(util::trim(p.get_or("Status")), ' ');
    status.erase(std::remove(status.begin(), status.end(), ""), status.end());
    if (status.size() != 3 || (status[0] != "install" && status[0] != "hold") || status[1] != "ok" ||
        status[2] != "installed")
      return {};
    InstalledPackage pkg;
    pkg.name = p.get_or("Package");
    pkg.version = p.get_or("Version");
    pkg.architecture = p.get_or("Architecture");
    pkg.multi_arch = p.get_or("Multi-Arch");
    if (pkg.name.empty() || pkg.version.empty())
      return util::fail(util::ErrorKind::invalid_input, std::string(source) + ":" + std::to_string(p.line) +
                                                            ": installed package without `Package` or `Version`");
    pkg.paragraph = std::move(p);
    out.push_back(std::move(pkg));
    return {};
  }));
  return out;
}

Paragraph status_paragraph(const DebFile& package) {
  std::map<std::string, std::string> known;  // lower-case name -> value
  std::vector<std::pair<std::string, std::string>> unknown;
  for (const auto& [k, v] : package.control.fields()) {
    if (in(k, archive_only_fields) || util::to_lower(k) == "status" || util::to_lower(k) == "conffiles") continue;
    if (in(k, dpkg_field_order))
      known[util::to_lower(k)] = v;
    else
      unknown.emplace_back(k, v);
  }
  known["status"] = "install ok installed";
  if (!package.conffiles.empty()) {
    std::string v;
    for (const auto& c : package.conffiles) v += "\n" + c.path + " " + c.md5;
    known["conffiles"] = v;
  }
  Paragraph p;
  for (auto f : dpkg_field_order)
    if (auto it = known.find(util::to_lower(f)); it != known.end()) p.set(f, it->second);
  for (auto& [k, v] : unknown) p.set(k, v);
  return p;
}

Result<std::vector<archive::Entry>> dpkg_database(std::span<const DebFile> packages,
                                                  std::span<const InstalledPackage> already_installed) {
  std::vector<StatusRecord> records;
  std::set<std::string> names;
  auto add_name = [&](const std::string& package, const std::string& arch,
                      const std::string& multi_arch) -> Result<void> {
    std::string key = multi_arch == "same" ? package + ":" + arch : package;
    if (!names.insert(key).second)
      return util::fail(util::ErrorKind::invalid_input, "package `" + util::printable_excerpt(key) + "` is recorded twice in the dpkg database");
    return {};
  };
  for (const auto& p : already_installed) {
    TRY(add_name(p.name, p.architecture, p.multi_arch));
    records.push_back({p.name, p.architecture, p.paragraph.str()});
  }
  std::vector<archive::Entry> out = {
      archive::dir_entry("var"),
      archive::dir_entry("var/lib"),
      archive::dir_entry("var/lib/dpkg"),
      archive::dir_entry("var/lib/dpkg/alternatives"),
      archive::dir_entry("var/lib/dpkg/info"),
      archive::dir_entry("var/lib/dpkg/triggers"),
      archive::dir_entry("var/lib/dpkg/updates"),
      archive::file_entry("var/lib/dpkg/available", ""),
      archive::file_entry("var/lib/dpkg/diversions", ""),
      archive::file_entry("var/lib/dpkg/statoverride", ""),
      archive::file_entry("var/lib/dpkg/info/format", "1\n"),
  };
  for (const auto& p : packages) {
    TRY(add_name(p.package, p.architecture, p.multi_arch));
    records.push_back({p.package, p.architecture, status_paragraph(p).str()});
    std::string info = "var/lib/dpkg/info/" + p.db_name();
    std::string list;
    for (const auto& f : p.file_list) list += f + "\n";
    out.push_back(archive::file_entry(info + ".list", std::move(list)));
    if (!p.md5sums.empty()) out.push_back(archive::file_entry(info + ".md5sums", p.md5sums));
    if (!p.conffiles.empty()) {
      std::string conf;
      for (const auto& c : p.conffiles) conf += c.path + "\n";
      out.push_back(archive::file_entry(info + ".conffiles", std::move(conf)));
    }
  }
  std::sort(records.begin(), records.end(), [](const StatusRecord& a, const StatusRecord& b) {
    return std::tie(a.name, a.arch) < std::tie(b.name, b.arch);
  });
  std::string status;
  for (const auto& r : records) {
    status += r.text;
    status += "\n";
  }
  out.push_back(archive::file_entry("var/lib/dpkg/status", std::move(status)));
  std::sort(out.begin(), out.end(), [](const archive::Entry& a, const archive::Entry& b) { return a.path < b.path; });
  return out;
}

}  // namespace mlpack::deb
