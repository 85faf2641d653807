#include "buildpacks/debian_base/base_image.hpp"

#include <map>
#include <optional>
#include <set>

#include "archive/reader.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::debian_base {

namespace {

// The files we need from the merged filesystem, as the last layer that touched them left them.
struct Tracked {
  std::map<std::string, std::optional<std::string>> files;  // path -> content (nullopt: deleted)
  std::map<std::string, std::string> links;                 // path -> symlink target
  std::optional<bool> bin_is_link;
  std::map<std::string, bool> pythons;  // interpreter path -> present
  // etc/passwd, etc/group, etc/shadow -> the file (nullopt: deleted, or not a plain file)
  std::map<std::string, std::optional<AccountFile>> accounts;
  std::set<std::string> unreadable;  // account files that are links, or too large to be lists
  std::set<std::string> dirs;  // every directory, explicit or implied by a path below it
};

bool is_account_file(const std::string& path) {
  return path == "etc/passwd" || path == "etc/group" || path == "etc/shadow";
}

// Forgets `path` and everything below it ("" is the root): a whiteout, or a file or link where a
// directory was.
void erase_tree(std::set<std::string>& dirs, const std::string& path) {
  dirs.erase(path);
  std::string prefix = path.empty() ? "" : path + "/";
  for (auto it = dirs.lower_bound(prefix); it != dirs.end() && it->starts_with(prefix);) it = dirs.erase(it);
}

bool tracked(const std::string& path) {
  return path == "var/lib/dpkg/status" || path == "etc/os-release" || path == "usr/lib/os-release";
}

std::string os_release_value(const std::string& text, std::string_view key) {
  for (const auto& line : util::split(text, '\n')) {
    if (!line.starts_with(std::string(key) + "=")) continue;
    std::string v = line.substr(key.size() + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

}  // namespace

bool is_python_interpreter_path(std::string_view path) {
  for (std::string_view dir : {"usr/local/bin/python", "usr/bin/python", "bin/python"}) {
    if (!path.starts_with(dir)) continue;
    std::string_view v = path.substr(dir.size());  // "3.12"
    auto dot = v.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return false;
    return v.find_first_not_of("0123456789.") == std::string_view::npos && v.find('.', dot + 1) == std::string_view::npos;
  }
  return false;
}

util::Result<BaseImage> inspect_base(oci::ImageSource& source, const oci::Manifest& manifest) {
  Tracked state;
  for (const auto& layer : manifest.layers) {
    auto reader = source.open_blob(layer);
    if (!reader) return std::unexpected(reader.error().context("reading base layer " + layer.digest.short_str()));
    auto verified = oci::verify_reader(std::move(*reader), layer);
    auto visit = [&](const archive::TarEntry& e, util::Reader& content) -> util::Result<void> {
      auto slash = e.path.rfind('/');
      std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash);
      std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
      if (name == ".wh..wh..opq") {
        // An opaque directory hides what lower layers had below it.
        std::string prefix = dir.empty() ? "" : dir + "/";
        for (auto& [path, value] : state.files)
          if (path.starts_with(prefix)) value.reset();
        for (auto& [path, present] : state.pythons)
          if (path.starts_with(prefix)) present = false;
        for (auto& [path, value] : state.accounts)
          if (path.starts_with(prefix)) value.reset();
        erase_tree(state.unreadable, dir);
        if (!dir.empty()) {
          erase_tree(state.dirs, dir);
          state.dirs.insert(dir);
        } else {
          state.dirs.clear();
        }
        return {};
      }
      if (name.starts_with(".wh.")) {
        std::string target = (dir.empty() ? "" : dir + "/") + name.substr(4);
        if (state.files.contains(target)) state.files[target].reset();
        state.links.erase(target);
        if (state.pythons.contains(target)) state.pythons[target] = false;
        if (target == "bin") state.bin_is_link = false;
        for (auto& [path, value] : state.accounts)
          if (path == target || path.starts_with(target + "/")) value.reset();
        erase_tree(state.unreadable, target);
        erase_tree(state.dirs, target);
        return {};
      }
      for (auto slash = e.path.find('/'); slash != std::string::npos; slash = e.path.find('/', slash + 1))
        state.dirs.insert(e.path.substr(0, slash));
      if (e.type == archive::TarType::directory) {
        if (!e.path.empty()) state.dirs.insert(e.path);
      } else {
        erase_tree(state.dirs, e.path);
      }
      if (is_account_file(e.path)) {
        state.accounts[e.path].reset();
        state.unreadable.erase(e.path);
        if (e.type == archive::TarType::file && e.size <= account_file_limit) {
          auto text = util::read_all(content, account_file_limit);
          if (!text) return std::unexpected(text.error().context(e.path));
          state.accounts[e.path] = AccountFile{std::move(*text), e.mode, static_cast<std::uint32_t>(e.uid),
                                               static_cast<std::uint32_t>(e.gid)};
        } else if (e.type != archive::TarType::directory) {
          // A link, or a file too large to be an account list: taken as it is, never rewritten.
          state.unreadable.insert(e.path);
        }
      }
      if (e.path == "bin") state.bin_is_link = e.type == archive::TarType::symlink;
      if (is_python_interpreter_path(e.path))
        state.pythons[e.path] = e.type == archive::TarType::symlink || e.type == archive::TarType::file ||
                                e.type == archive::TarType::hardlink;
      if (!tracked(e.path)) return {};
      if (e.type == archive::TarType::symlink) {
        state.links[e.path] = e.link_target;
        state.files[e.path].reset();
      } else if (e.type == archive::TarType::file) {
        auto text = util::read_all(content, 256 << 20);
        if (!text) return std::unexpected(text.error().context(e.path));
        state.files[e.path] = std::move(*text);
        state.links.erase(e.path);
      }
      return {};
    };
    auto r = archive::read_tar(*verified, visit);
    if (!r) return std::unexpected(r.error().context("reading base layer " + layer.digest.short_str()));
  }

  BaseImage out;
  out.accounts.passwd = state.accounts["etc/passwd"];
  out.accounts.group = state.accounts["etc/group"];
  out.accounts.shadow = state.accounts["etc/shadow"];
  out.accounts.unreadable = !state.unreadable.empty();
  out.accounts.dirs = std::move(state.dirs);
  out.usrmerged = state.bin_is_link.value_or(false);
  for (const auto& [path, present] : state.pythons)
    if (present) out.pythons.push_back("/" + path);
  std::optional<std::string> os_release;
  if (state.files.contains("etc/os-release") && state.files["etc/os-release"]) os_release = state.files["etc/os-release"];
  else if (state.links.contains("etc/os-release") && state.files.contains("usr/lib/os-release"))
    os_release = state.files["usr/lib/os-release"];
  if (os_release) {
    out.os_id = os_release_value(*os_release, "ID");
    std::string codename = os_release_value(*os_release, "VERSION_CODENAME");
    if (out.os_id == "debian" && !codename.empty()) out.distribution = "debian:" + codename;
  }
  if (state.files.contains("var/lib/dpkg/status") && state.files["var/lib/dpkg/status"]) {
    auto installed = deb::parse_dpkg_status(*state.files["var/lib/dpkg/status"], "base image /var/lib/dpkg/status");
    if (!installed) return std::unexpected(installed.error());
    out.installed = std::move(*installed);
  }
  return out;
}

}  // namespace mlpack::buildpacks::debian_base
