#include "util/cleanup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <vector>

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::util {

namespace {

struct Registry {
  std::mutex mu;
  bool closed = false;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::pair<fs::path, TempKind>> paths;
};

// Never destroyed: a signal may come while static destructors run at exit.
Registry& registry() {
  static auto* r = new Registry;
  return *r;
}

void remove_path(const fs::path& path, TempKind kind) {
  std::error_code ec;
  if (kind == TempKind::directory) fs::remove_all(path, ec);
  else ::unlink(path.c_str());
}

}  // namespace

void TempRegistration::reset() {
  if (id_ == 0) return;
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.paths.erase(std::exchange(id_, 0));
}

Result<TempRegistration> create_registered_temp(TempKind kind, const std::function<Result<fs::path>()>& create) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  if (r.closed) return fail(ErrorKind::io, "not creating a temporary file: interrupted");
  auto made = TRY(create());
  auto id = r.next_id++;
  r.paths.emplace(id, std::pair{std::move(made), kind});
  return TempRegistration(id);
}

void remove_registered_temp_paths() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.closed = true;
  for (const auto& [id, entry] : r.paths) remove_path(entry.first, entry.second);
  r.paths.clear();
}

Result<bool> hold_temp(int fd, const fs::path& path) {
  while (::flock(fd, LOCK_EX) != 0)
    if (errno != EINTR) return std::unexpected(errno_error("lock", path, errno));
  // A sweep that opened the path before we locked it may have removed it since; it unlinks only
  // while holding the lock, so once we hold it, a path still linked stays ours.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::unexpected(errno_error("stat", path, errno));
  return st.st_nlink > 0;
}

std::size_t remove_abandoned_temp_paths(const fs::path& dir, std::string_view prefix) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.find(".tmp-") != std::string::npos && name.starts_with(prefix)) candidates.push_back(it->path());
  }
  std::size_t removed = 0;
  for (const auto& path : candidates) {
    // O_NONBLOCK: never hang on a FIFO someone put here. A folder opens read-only as well.
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat held {}, named {};
    // A writer holds its lock from creation until the path is renamed or removed, so a lock we
    // get belongs to a path whose writer is gone.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      if (S_ISDIR(held.st_mode)) {
        removed += fs::remove_all(path, ec) > 0 && !ec ? 1 : 0;
      } else if (S_ISREG(held.st_mode) && ::unlink(path.c_str()) == 0) {
        ++removed;
      }
    }
    ::close(fd);  // releases the lock, after the unlink
  }
  return removed;
}

std::size_t remove_abandoned_temp_paths_below(const fs::path& root, int max_depth, std::size_t max_folders) {
  std::size_t removed = 0;
  std::size_t listed = 0;
  // Breadth first: the folders near the root, where most of a cache's writes land, come first
  // when the bound cuts the walk short.
  std::vector<std::pair<fs::path, int>> queue{{root, 0}};
  for (std::size_t next = 0; next < queue.size() && listed < max_folders; ++next) {
    auto [dir, depth] = queue[next];
    ++listed;
    removed += remove_abandoned_temp_paths(dir);
    if (depth >= max_depth) continue;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      auto name = it->path().filename().string();
      if (name.find(".tmp-") != std::string::npos) continue;  // a live temporary folder: its writer's
      std::error_code type_ec;
      if (it->symlink_status(type_ec).type() == fs::file_type::directory && !type_ec)
        queue.emplace_back(it->path(), depth + 1);
    }
  }
  return removed;
}

struct CacheRun::Marker {
  std::unique_ptr<AtomicFile> file;  // never committed: destroying it removes it
};

CacheRun::CacheRun(CacheRun&&) noexcept = default;
CacheRun& CacheRun::operator=(CacheRun&&) noexcept = default;
CacheRun::~CacheRun() = default;

CacheRun begin_cache_run(const fs::path& root, int max_depth) {
  CacheRun run;
  const auto runs = root / "runs";
  std::error_code ec;
  bool dead_run = !fs::is_directory(runs, ec);
  for (fs::directory_iterator it(runs, ec), end; !dead_run && !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().find(".tmp-") == std::string::npos) continue;
    int fd = ::open(it->path().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;  // gone meanwhile: its run ended well
    // A lock we get belongs to a marker whose run is gone; we only look, the sweep removes it.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) dead_run = true;
    ::close(fd);
  }
  auto made = make_dirs(runs);
  std::unique_ptr<AtomicFile> marker;
  if (made) {
    if (auto file = AtomicFile::create(runs / "run")) marker = std::move(*file);
  }
  if (dead_run || !marker) {
    run.removed_ = remove_abandoned_temp_paths_below(root, max_depth);
    run.swept_ = true;
  }
  if (marker) run.marker_ = std::make_unique<CacheRun::Marker>(CacheRun::Marker{std::move(marker)});
  return run;
}

}  // namespace mlpack::util
