#include "buildpacks/debian_base/base_image.hpp"

#include <optional>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::debian_base {

namespace {

using Type = image::FileInfo::Type;

constexpr std::string_view dpkg_status = "var/lib/dpkg/status";
constexpr std::string_view os_release_path = "etc/os-release";
constexpr std::string_view os_release_usr = "usr/lib/os-release";

const image::FileInfo* find(const image::FileView& view, std::string_view path) {
  auto it = view.files.find(std::string(path));
  return it == view.files.end() ? nullptr : &it->second;
}

// The bytes of `path` when the image ends with it as a regular file.
std::optional<std::string> contents(const image::FileView& view, std::string_view path) {
  auto it = view.contents.find(std::string(path));
  if (it == view.contents.end()) return std::nullopt;
  return it->second;
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

// One account file as the base leaves it. A link, or a file too large to be an account list, is
// taken as it is and never rewritten: `unreadable` is set.
std::optional<AccountFile> account_file(const image::FileView& view, std::string_view path, bool& unreadable) {
  const auto* info = find(view, path);
  if (!info || info->type == Type::dir) return std::nullopt;
  auto text = contents(view, path);
  if (info->type != Type::file || info->size > account_file_limit || !text) {
    unreadable = true;
    return std::nullopt;
  }
  return AccountFile{std::move(*text), info->mode, info->uid, info->gid};
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

const image::FileViewRequest& base_files_wanted() {
  static const image::FileViewRequest request{
      {std::string(os_release_path), std::string(os_release_usr), std::string(dpkg_status), "etc/passwd", "etc/group",
       "etc/shadow"},
      256 << 20};
  return request;
}

util::Result<BaseImage> inspect_base(const image::FileView& view) {
  BaseImage out;
  out.accounts.passwd = account_file(view, "etc/passwd", out.accounts.unreadable);
  out.accounts.group = account_file(view, "etc/group", out.accounts.unreadable);
  out.accounts.shadow = account_file(view, "etc/shadow", out.accounts.unreadable);
  for (const auto& [path, info] : view.files) {
    if (info.type == Type::dir) out.accounts.dirs.insert(path);
    if (is_python_interpreter_path(path) &&
        (info.type == Type::file || info.type == Type::symlink || info.type == Type::hardlink))
      out.pythons.push_back("/" + path);
  }
  const auto* bin = find(view, "bin");
  out.usrmerged = bin && bin->type == Type::symlink;

  // /etc/os-release, or the file it usually links to.
  auto os_release = contents(view, os_release_path);
  const auto* etc_link = find(view, os_release_path);
  if (!os_release && etc_link && etc_link->type == Type::symlink) os_release = contents(view, os_release_usr);
  if (os_release) {
    out.os_id = os_release_value(*os_release, "ID");
    std::string codename = os_release_value(*os_release, "VERSION_CODENAME");
    if (out.os_id == "debian" && !codename.empty()) out.distribution = "debian:" + codename;
  }
  if (auto status = contents(view, dpkg_status))
    out.installed = TRY(deb::parse_dpkg_status(*status, "base image /var/lib/dpkg/status"));
  return out;
}

}  // namespace mlpack::buildpacks::debian_base
