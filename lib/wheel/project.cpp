#include <algorithm>

#include "pypi/name.hpp"
#include "pypi/version.hpp"
#include "wheel/dist_info.hpp"
#include "wheel/paths.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::wheel {

namespace {

using util::ErrorKind;
using util::fail;

// A .pth line is a path unless it starts with `import`, and a line break would split it: the
// import root is held to the same plain alphabet as the venv's paths.
bool is_plain_absolute(std::string_view p) {
  if (p == "/") return true;
  if (p.size() < 2 || p.front() != '/' || !detail::is_clean_relative(p.substr(1))) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+';
  });
}

// The binary distribution format's escaping of a name for file names: runs of `-_.` become `_`.
std::string escaped(std::string_view name) {
  std::string out = pypi::normalize_name(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

}  // namespace

Result<Distribution> project_entries(const Project& project, const VenvLayout& venv) {
  auto in_context = [&](util::Error e) { return std::unexpected(e.context("making project `" + project.name + "` importable")); };
  auto paths = venv_paths(venv);
  if (!paths) return in_context(paths.error());
  if (!pypi::is_valid_name(project.name))
    return in_context({ErrorKind::invalid_input, "`" + project.name + "` is not a valid project name"});
  auto version = pypi::Version::parse(project.version);
  if (!version) return in_context({ErrorKind::invalid_input, "version `" + project.version + "` is not a PEP 440 version"});
  if (!is_plain_absolute(project.import_root))
    return in_context({ErrorKind::invalid_input, "import root `" + project.import_root +
                                                     "` must be an absolute, clean path of letters, digits and `/._+-`"});

  Distribution dist;
  dist.name = pypi::normalize_name(project.name);
  dist.version = version->str();
  std::vector<detail::RecordRow> rows;
  auto add = [&](std::string path, std::string data, std::uint32_t mode) {
    rows.push_back({detail::record_path(path, paths->site_packages), detail::record_hash(util::Digest::sha256_of(data)),
                    std::to_string(data.size())});
    archive::Entry e;
    e.path = std::move(path);
    e.mode = mode;
    e.data = std::move(data);
    dist.entries.push_back(std::move(e));
  };

  std::string entry_points;
  for (const auto& [group, scripts] : {std::pair{"console_scripts", &project.scripts},
                                       std::pair{"gui_scripts", &project.gui_scripts}}) {
    if (scripts->empty()) continue;
    entry_points += entry_points.empty() ? "" : "\n";
    entry_points += "[" + std::string(group) + "]\n";
    for (const auto& [name, value] : *scripts) {
      auto ep = detail::parse_object_reference(group, name, value);
      if (!ep) return in_context({ErrorKind::invalid_input, ep.error().message});
      if (!detail::is_safe_command_name(name) || ep->attr.empty())
        return in_context({ErrorKind::invalid_input, "script `" + name + " = " + value +
                                                         "` needs a plain command name and a `module:function` value"});
      entry_points += name + " = " + value + "\n";
      add(detail::join(paths->bin, name), detail::launcher_script(*ep, paths->python), 0755);
    }
  }

  std::string stem = escaped(project.name);
  std::string dist_info = detail::join(paths->site_packages, stem + "-" + dist.version + ".dist-info");
  add(detail::join(paths->site_packages, "_mlpack_" + stem + ".pth"), project.import_root + "\n", 0644);
  add(dist_info + "/METADATA", "Metadata-Version: 2.1\nName: " + project.name + "\nVersion: " + dist.version + "\n", 0644);
  add(dist_info + "/INSTALLER", "mlpack\n", 0644);
  // PEP 610: an editable install of a local directory, which is what this amounts to.
  add(dist_info + "/direct_url.json",
      "{\"dir_info\":{\"editable\":true},\"url\":\"file://" + project.import_root + "\"}\n", 0644);
  if (!entry_points.empty()) add(dist_info + "/entry_points.txt", entry_points, 0644);
  rows.push_back({detail::record_path(dist_info + "/RECORD", paths->site_packages), "", ""});
  std::sort(rows.begin(), rows.end());
  archive::Entry record;
  record.path = dist_info + "/RECORD";
  record.data = detail::write_record(rows);
  dist.entries.push_back(std::move(record));
  std::sort(dist.entries.begin(), dist.entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return dist;
}

}  // namespace mlpack::wheel
