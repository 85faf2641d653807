#include <algorithm>
#include <map>
#include <set>

#include "archive/links.hpp"
#include "util/expected.hpp"
#include "wheel/paths.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::wheel {

namespace {

using util::ErrorKind;
using util::fail;

std::string label(const Distribution& d) { return "`" + d.name + (d.version.empty() ? "" : " " + d.version) + "`"; }

}  // namespace

Result<void> check_conflicts(std::span<const Distribution> distributions) {
  std::map<std::string, std::size_t> files;  // files and symlinks -> who installs them
  std::map<std::string, std::size_t> dirs;   // directories, given or implied -> the first who needs them
  for (std::size_t d = 0; d < distributions.size(); ++d) {
    for (const auto& e : distributions[d].entries) {
      if (e.type == archive::EntryType::directory) {
        dirs.emplace(e.path, d);
      } else if (auto [it, fresh] = files.emplace(e.path, d); !fresh) {
        const auto& a = distributions[it->second];
        const auto& b = distributions[d];
        return fail(ErrorKind::invalid_input,
                    it->second == d ? label(a) + " installs `/" + e.path + "` twice"
                                    : label(a) + " and " + label(b) + " both install `/" + e.path + "`");
      }
      for (auto p = detail::parent_of(e.path); !p.empty(); p = detail::parent_of(p)) dirs.emplace(p, d);
    }
  }
  // Links of different distributions resolved through each other (archive/links.hpp): each
  // wheel's were checked against the venv on install, but `esc -> up/../..` in one and `up` in
  // another only meet here. Absolute targets (the skeleton's bin/python) are only passed through.
  std::vector<archive::LinkSpec> relative, all;
  for (const auto& dist : distributions)
    for (const auto& e : dist.entries)
      if (e.type == archive::EntryType::symlink) {
        all.push_back({e.path, e.link_target});
        if (!e.link_target.starts_with('/')) relative.push_back(all.back());
      }
  if (!relative.empty()) TRY(archive::check_links(relative, "", all));
  for (const auto& [path, d] : dirs) {
    auto it = files.find(path);
    if (it == files.end()) continue;
    return fail(ErrorKind::invalid_input, label(distributions[it->second]) + " installs `/" + path +
                                              "` as a file or symlink, but " + label(distributions[d]) +
                                              " needs it to be a directory");
  }
  return {};
}

Result<std::vector<archive::Entry>> layer_entries(std::vector<Distribution> distributions) {
  TRY(check_conflicts(distributions));
  std::vector<archive::Entry> out;
  std::set<std::string> dirs;
  for (auto& d : distributions)
    for (auto& e : d.entries) {
      if (e.type == archive::EntryType::directory && !dirs.insert(e.path).second) continue;
      out.push_back(std::move(e));
    }
  std::vector<std::string> missing;
  for (const auto& e : out)
    for (auto p = detail::parent_of(e.path); !p.empty(); p = detail::parent_of(p))
      if (dirs.insert(p).second) missing.push_back(p);
  for (auto& p : missing) {
    archive::Entry e;
    e.path = std::move(p);
    e.type = archive::EntryType::directory;
    e.mode = 0755;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace mlpack::wheel
