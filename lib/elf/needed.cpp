#include "elf/needed.hpp"

#include <deque>

namespace mlpack::elf {

namespace {

// Linux's limit on links followed while resolving one path (MAXSYMLINKS).
constexpr int max_links = 40;

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

// `path` relative to the root, "." and ".." folded lexically (".." stops at the root).
std::string normalize(std::string_view path) {
  std::vector<std::string> parts;
  for (auto part : components(path)) {
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.emplace_back(part);
    }
  }
  return join(parts);
}

std::string parent_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// An RPATH/RUNPATH entry as a directory relative to the image root, or nullopt when it cannot be
// placed: a `$` token other than ORIGIN, or a path relative to the working directory.
std::optional<std::string> expand_dir(std::string dir, std::string_view origin) {
  const std::string absolute_origin = "/" + std::string(origin);
  replace_all(dir, "${ORIGIN}", absolute_origin);
  replace_all(dir, "$ORIGIN", absolute_origin);
  if (dir.find('$') != std::string::npos || !dir.starts_with('/')) return std::nullopt;
  return normalize(dir);
}

}  // namespace

void ImagePaths::add_parents(std::string_view path) {
  for (auto dir = parent_of(path); !dir.empty(); dir = parent_of(dir))
    if (!dirs_.insert(dir).second) break;
}

void ImagePaths::add_file(std::string_view path) {
  auto p = normalize(path);
  add_parents(p);
  if (!p.empty()) files_.insert(std::move(p));
}

void ImagePaths::add_directory(std::string_view path) {
  auto p = normalize(path);
  add_parents(p);
  if (!p.empty()) dirs_.insert(std::move(p));
}

void ImagePaths::add_symlink(std::string_view path, std::string_view target) {
  auto p = normalize(path);
  if (p.empty()) return;
  add_parents(p);
  links_.insert_or_assign(std::move(p), std::string(target));
}

std::optional<std::string> ImagePaths::resolve(std::string_view path) const {
  std::vector<std::string> done;
  std::deque<std::string> todo;
  for (auto part : components(path)) todo.emplace_back(part);
  int followed = 0;
  while (!todo.empty()) {
    auto part = std::move(todo.front());
    todo.pop_front();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    auto link = links_.find(join(done));
    if (link == links_.end()) continue;
    if (++followed > max_links) return std::nullopt;
    done.pop_back();
    const auto& target = link->second;
    if (target.starts_with('/')) done.clear();
    auto parts = components(target);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.emplace_front(*it);
  }
  return join(done);
}

bool ImagePaths::exists(std::string_view path) const {
  auto resolved = resolve(path);
  if (!resolved) return false;
  return resolved->empty() || files_.contains(*resolved) || dirs_.contains(*resolved);
}

std::vector<std::string> default_library_dirs(std::uint16_t machine) {
  std::string triplet;
  switch (machine) {
    case em_x86_64:
      triplet = "x86_64-linux-gnu";
      break;
    case em_aarch64:
      triplet = "aarch64-linux-gnu";
      break;
    case em_386:
      triplet = "i386-linux-gnu";
      break;
    case em_arm:
      triplet = "arm-linux-gnueabihf";
      break;
    case em_ppc64:
      triplet = "powerpc64le-linux-gnu";
      break;
    case em_s390:
      triplet = "s390x-linux-gnu";
      break;
    case em_riscv:
      triplet = "riscv64-linux-gnu";
      break;
    default:
      break;
  }
  std::vector<std::string> dirs;
  if (!triplet.empty()) {
    // Debian's /etc/ld.so.conf.d/<triplet>.conf, then its loader's own directories.
    dirs.push_back("usr/local/lib/" + triplet);
    dirs.push_back("lib/" + triplet);
    dirs.push_back("usr/lib/" + triplet);
  }
  for (const char* d : {"lib64", "usr/lib64", "lib", "usr/lib", "usr/local/lib"}) dirs.emplace_back(d);
  return dirs;
}

std::vector<Missing> check_needed(std::span<const Object> objects, const ImagePaths& image,
                                  std::span<const std::string> extra_dirs) {
  // The objects count as present where they will be, whether or not `image` lists them.
  std::unordered_set<std::string> object_paths;
  for (const auto& o : objects) {
    object_paths.insert(normalize(o.path));
    if (auto r = image.resolve(o.path)) object_paths.insert(*r);
  }
  auto found = [&](std::string_view path) {
    if (image.exists(path)) return true;
    if (object_paths.contains(normalize(path))) return true;
    auto r = image.resolve(path);
    return r && object_paths.contains(*r);
  };

  std::vector<std::string> extra;
  for (const auto& d : extra_dirs) extra.push_back(normalize(d));

  std::vector<Missing> missing;
  for (const auto& object : objects) {
    const auto origin = parent_of(normalize(object.path));
    std::vector<std::string> dirs;
    auto add = [&](const std::vector<std::string>& list) {
      for (const auto& d : list)
        if (auto dir = expand_dir(d, origin)) dirs.push_back(std::move(*dir));
    };
    if (object.info.runpath.empty()) add(object.info.rpath);
    dirs.insert(dirs.end(), extra.begin(), extra.end());
    add(object.info.runpath);
    auto defaults = default_library_dirs(object.info.machine);
    dirs.insert(dirs.end(), defaults.begin(), defaults.end());

    std::unordered_set<std::string> seen;
    for (const auto& name : object.info.needed) {
      if (!seen.insert(name).second) continue;
      bool ok = false;
      if (name.find('/') != std::string::npos) {
        ok = found(normalize(name));
      } else {
        for (const auto& dir : dirs)
          if ((ok = found(join_path(dir, name)))) break;
      }
      if (!ok) missing.push_back(Missing{object.path, name});
    }
  }
  return missing;
}

}  // namespace mlpack::elf
