#include <algorithm>
#include <charconv>

#include "archive/entry.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"
#include "wheel/paths.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::wheel {

namespace {

using util::ErrorKind;
using util::fail;

// Paths that go into shebangs, pyvenv.cfg and a shell script unquoted: a conservative alphabet.
bool is_plain_absolute(std::string_view p) {
  if (p.size() < 2 || p.front() != '/') return false;
  if (!detail::is_clean_relative(p.substr(1))) return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+';
  });
}

// The POSIX `activate` script of a venv at `prefix`, as `python -m venv` writes it in spirit: it
// only sets VIRTUAL_ENV and PATH, and `deactivate` undoes that.
std::string activate_script(std::string_view prefix) {
  const std::string p(prefix);
  return "# Source this file from a POSIX shell: `. " + p + "/bin/activate`. Written by mlpack.\n" +
         R"(deactivate () {
    if [ -n "${_OLD_VIRTUAL_PATH:-}" ]; then
        PATH="$_OLD_VIRTUAL_PATH"
        export PATH
        unset _OLD_VIRTUAL_PATH
    fi
    unset VIRTUAL_ENV
    hash -r 2> /dev/null
    if [ "${1:-}" != "nondestructive" ]; then
        unset -f deactivate
    fi
}
deactivate nondestructive
VIRTUAL_ENV=)" + p + R"(
export VIRTUAL_ENV
_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH
hash -r 2> /dev/null
)";
}

}  // namespace

Result<VenvPaths> venv_paths(const VenvLayout& layout) {
  if (!is_plain_absolute(layout.prefix))
    return fail(ErrorKind::invalid_input, "venv prefix `" + layout.prefix +
                                              "` must be an absolute, clean path of letters, digits and `/._+-`");
  if (!is_plain_absolute(layout.interpreter))
    return fail(ErrorKind::invalid_input, "interpreter `" + layout.interpreter +
                                              "` must be an absolute, clean path of letters, digits and `/._+-`");
  auto parts = util::split(layout.python_version, '.');
  bool numeric = parts.size() >= 2 && parts.size() <= 3 && std::all_of(parts.begin(), parts.end(), [](auto& p) {
                   return !p.empty() && p.size() <= 4 && std::all_of(p.begin(), p.end(), [](char c) {
                     return c >= '0' && c <= '9';
                   });
                 });
  if (!numeric)
    return fail(ErrorKind::invalid_input, "Python version `" + layout.python_version + "` is not X.Y or X.Y.Z");
  VenvPaths p;
  p.python_xy = parts[0] + "." + parts[1];
  p.root = layout.prefix.substr(1);
  p.bin = p.root + "/bin";
  p.site_packages = p.root + "/lib/python" + p.python_xy + "/site-packages";
  p.include = p.root + "/include/site/python" + p.python_xy;
  p.python = layout.prefix + "/bin/python";
  return p;
}

Result<std::vector<archive::Entry>> venv_entries(const VenvLayout& layout, const VenvOptions& options) {
  auto p = TRY(venv_paths(layout));
  std::vector<archive::Entry> out;
  std::string dir;
  for (const auto& c : util::split(p.root, '/')) {
    dir = detail::join(dir, c);
    out.push_back(archive::dir_entry(dir));
  }
  out.push_back(archive::dir_entry(p.bin));
  out.push_back(archive::dir_entry(p.root + "/include"));
  out.push_back(archive::dir_entry(p.root + "/lib"));
  out.push_back(archive::dir_entry(p.root + "/lib/python" + p.python_xy));
  out.push_back(archive::dir_entry(p.site_packages));
  out.push_back(archive::symlink_entry(p.root + "/lib64", "lib"));
  // As `python -m venv` does: python is the base interpreter, the versioned names point at it.
  out.push_back(archive::symlink_entry(p.bin + "/python", layout.interpreter));
  out.push_back(archive::symlink_entry(p.bin + "/python3", "python"));
  out.push_back(archive::symlink_entry(p.bin + "/python" + p.python_xy, "python"));
  std::string home = detail::parent_of(layout.interpreter.substr(1));
  std::string cfg = "home = /" + home + "\n";
  cfg += "include-system-site-packages = false\n";
  cfg += "version = " + layout.python_version + "\n";
  cfg += "executable = " + layout.interpreter + "\n";
  out.push_back(archive::file_entry(p.root + "/pyvenv.cfg", cfg));
  if (options.activate == Activate::yes)
    out.push_back(archive::file_entry(p.bin + "/activate", activate_script(layout.prefix)));
  if (options.apt_packages == AptPackages::visible)
    out.push_back(
        archive::file_entry(p.site_packages + "/_mlpack_apt_dist_packages.pth", "/usr/lib/python3/dist-packages\n"));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace mlpack::wheel
