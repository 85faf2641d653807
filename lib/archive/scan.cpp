#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <utility>

#include "archive/layer.hpp"
#include "archive/paths.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::archive {

namespace {

using util::ErrorKind;
using util::fail;

std::uint32_t normalized_mode(mode_t m) {
  std::uint32_t r = m & 07000;
  if (m & S_IRUSR) r |= 0444;
  if (m & S_IWUSR) r |= 0200;
  if (m & S_IXUSR) r |= 0111;
  return r;
}

const char* kind_name(mode_t m) {
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "of an unsupported file type";
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

struct Scanned {
  Entry entry;
  dev_t dev = 0;
  ino_t ino = 0;
  bool multi_link = false;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

std::uint32_t entry_mode(mode_t m, Modes modes) {
  return modes == Modes::as_is ? static_cast<std::uint32_t>(m & 07777) : normalized_mode(m);
}

class Walker {
 public:
  Walker(std::vector<std::string> dest, const ScanOptions& options)
      : dest_(std::move(dest)), options_(options) {
    for (const auto& c : dest_) dest_str_ = join(dest_str_, c);
  }

  Result<void> walk(const fs::path& dir, const std::string& rel) {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) return std::unexpected(util::errno_error("open directory", dir, errno));
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      dirent* de = ::readdir(d.get());
      if (!de) {
        if (errno != 0) return std::unexpected(util::errno_error("read directory", dir, errno));
        break;
      }
      std::string_view name = de->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    int dfd = ::dirfd(d.get());
    for (const auto& name : names) {
      std::string child_rel = join(rel, name);
      if (options_.exclude && options_.exclude(child_rel)) continue;
      fs::path host = dir / name;
      struct stat st {};
      if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return std::unexpected(util::errno_error("stat", host, errno));
      Scanned s;
      s.entry.path = join(dest_str_, child_rel);
      if (S_ISDIR(st.st_mode)) {
        s.entry.type = EntryType::directory;
        s.entry.mode = entry_mode(st.st_mode, options_.modes);
        out.push_back(std::move(s));
        TRY(walk(host, child_rel));
      } else if (S_ISREG(st.st_mode)) {
        s.entry.type = EntryType::file;
        s.entry.mode = entry_mode(st.st_mode, options_.modes);
        s.entry.source = host;
        s.entry.size = static_cast<std::uint64_t>(st.st_size);
        s.dev = st.st_dev;
        s.ino = st.st_ino;
        s.multi_link = st.st_nlink > 1;
        out.push_back(std::move(s));
      } else if (S_ISLNK(st.st_mode)) {
        auto target = TRY(read_link(dfd, name, host, st));
        if (!target_stays_inside(rel, target))
          return fail(ErrorKind::invalid_input,
                      "symlink `" + host.string() + "` points to `" + target + "`, outside the tree" +
                          (target.starts_with('/') ? " (absolute targets must fall under `/" + dest_str_ + "`)" : ""));
        s.entry.type = EntryType::symlink;
        s.entry.mode = 0777;
        s.entry.link_target = std::move(target);
        out.push_back(std::move(s));
      } else {
        return fail(ErrorKind::invalid_input, "`" + host.string() + "` is " + kind_name(st.st_mode) +
                                                  "; only files, directories and symlinks can go into a layer");
      }
    }
    return {};
  }

  std::vector<Scanned> out;

 private:
  static Result<std::string> read_link(int dfd, const std::string& name, const fs::path& host,
                                       const struct stat& st) {
    std::string buf(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    for (;;) {
      ssize_t n = ::readlinkat(dfd, name.c_str(), buf.data(), buf.size());
      if (n < 0) return std::unexpected(util::errno_error("read symlink", host, errno));
      if (static_cast<std::size_t>(n) < buf.size()) {
        buf.resize(static_cast<std::size_t>(n));
        return buf;
      }
      buf.resize(buf.size() * 2);
    }
  }

  // `rel_dir` is the link's directory relative to the tree root.
  bool target_stays_inside(const std::string& rel_dir, const std::string& target) const {
    if (target.empty()) return false;
    if (target.starts_with('/')) {
      // Inside the image "/.." is "/", so climbing past the root cannot fail here; what matters is
      // whether the result falls under dest.
      auto resolved = detail::resolve_lexically({}, target, detail::Climb::clamp);
      if (!resolved) return false;
      if (resolved->size() < dest_.size()) return false;
      return std::equal(dest_.begin(), dest_.end(), resolved->begin());
    }
    std::vector<std::string> base;
    for (auto& c : detail::components(rel_dir)) base.emplace_back(c);
    return detail::resolve_lexically(std::move(base), target, detail::Climb::refuse).has_value();
  }

  std::vector<std::string> dest_;
  std::string dest_str_;
  const ScanOptions& options_;
};

}  // namespace

Result<std::vector<Entry>> scan_directory(const fs::path& root, const ScanOptions& options) {
  auto dest = detail::resolve_lexically({}, options.dest, detail::Climb::refuse);
  if (!dest || !options.dest.starts_with('/'))
    return fail(ErrorKind::invalid_input, "layer destination `" + options.dest + "` must be an absolute path without `..`");
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) return std::unexpected(util::errno_error("scan", root, errno));
  if (!S_ISDIR(st.st_mode)) return fail(ErrorKind::invalid_input, "`" + root.string() + "` is not a directory");

  Walker walker(*dest, options);
  std::string prefix;
  for (std::size_t i = 0; i < dest->size(); ++i) {
    prefix = join(prefix, (*dest)[i]);
    Scanned s;
    s.entry.path = prefix;
    s.entry.type = EntryType::directory;
    s.entry.mode = i + 1 == dest->size() ? entry_mode(st.st_mode, options.modes) : 0755;
    walker.out.push_back(std::move(s));
  }
  TRY(walker.walk(root, ""));

  auto& items = walker.out;
  std::sort(items.begin(), items.end(), [](const Scanned& a, const Scanned& b) { return a.entry.path < b.entry.path; });
  std::map<std::pair<dev_t, ino_t>, std::string> first_link;
  std::vector<Entry> entries;
  entries.reserve(items.size());
  for (auto& s : items) {
    if (s.multi_link) {
      auto [it, inserted] = first_link.try_emplace({s.dev, s.ino}, s.entry.path);
      if (!inserted) {
        s.entry.type = EntryType::hardlink;
        s.entry.link_target = it->second;
        s.entry.source.reset();
        s.entry.size = 0;
      }
    }
    entries.push_back(std::move(s.entry));
  }
  return entries;
}

}  // namespace mlpack::archive
