#pragma once
// Temporary files and folders that must not outlive the run that made them, however it ends.
//
// - Interrupted (SIGINT, SIGTERM): every live temporary path is in a registry, and the CLI's
//   signal handling empties it (remove_registered_temp_paths) before the process dies.
// - Killed (SIGKILL, a crash, a lost machine): each temporary path is flock()ed by its writer for
//   its whole life. The kernel drops the lock however the writer dies, so the next run that opens
//   the folder removes what no process holds (remove_abandoned_temp_paths), and never what a live
//   writer holds, in this process, another one, or another container sharing the filesystem.
//
// The registry is the one process-wide mutable state in util (STYLE.md habit 13 gives way here):
// a signal arrives at any moment, and only something reachable from anywhere can then find every
// temporary path.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "util/error.hpp"

namespace mlpack::util {

enum class TempKind { file, directory };

// A path in the registry. Destroying it (or reset()) forgets the path without touching it: its
// owner has renamed it into place or removed it.
class TempRegistration {
 public:
  TempRegistration() = default;
  TempRegistration(TempRegistration&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  TempRegistration& operator=(TempRegistration&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  TempRegistration(const TempRegistration&) = delete;
  TempRegistration& operator=(const TempRegistration&) = delete;
  ~TempRegistration() { reset(); }
  void reset();

 private:
  friend Result<TempRegistration> create_registered_temp(TempKind,
                                                         const std::function<Result<std::filesystem::path>()>&);
  explicit TempRegistration(std::uint64_t id) : id_(id) {}
  std::uint64_t id_ = 0;
};

// Runs `create`, which makes a temporary path and returns it, and registers that path, both under
// the registry's lock, so a cleanup cannot slip in between and miss it. After
// remove_registered_temp_paths() it creates nothing and fails (io): the process is going away.
Result<TempRegistration> create_registered_temp(TempKind kind,
                                                const std::function<Result<std::filesystem::path>()>& create);

// Removes every registered path (folders recursively) and closes the registry. For the CLI's
// signal handling, from an ordinary thread (it takes a mutex and allocates: not async-signal-safe).
void remove_registered_temp_paths();

// Takes the lock that marks `fd` (an open temporary file or folder) as held by a live writer.
// Returns false when the path was removed meanwhile (a sweep by another process saw it before
// the lock was taken): the caller closes `fd` and tries another name.
Result<bool> hold_temp(int fd, const std::filesystem::path& path);

// Removes the entries of `dir` whose names contain `.tmp-` (and start with `prefix`, when given)
// that no process holds: what a killed run left behind. Best effort: what cannot be opened or
// removed is left alone. Returns how many entries were removed.
std::size_t remove_abandoned_temp_paths(const std::filesystem::path& dir, std::string_view prefix = {});

// remove_abandoned_temp_paths() over `root` and every folder below it down to `max_depth` levels
// (0: `root` alone): for a cache, where each module writes into folders of its own (blobs, apt
// indexes, index pages by hash prefix, layer keys), so that the one sweep a run starts with
// reaches whatever a killed run left anywhere in it, naming no module. Symlinks are not followed,
// a temporary folder is removed whole or left whole (never entered), and at most `max_folders`
// folders are listed, so a cache pointed at a large tree costs a bounded walk. Returns how many
// entries were removed.
std::size_t remove_abandoned_temp_paths_below(const std::filesystem::path& root, int max_depth,
                                              std::size_t max_folders = 4096);

// A run's presence in a cache: `<root>/runs/run.tmp-<random>`, locked while the run lives and
// removed when it ends (or by an interrupt's cleanup). Only a run that died can leave temporary
// paths behind, and a run that died leaves its marker unlocked, so begin_cache_run() sweeps the
// whole cache (remove_abandoned_temp_paths_below to `max_depth`, which removes the dead markers
// too) only when it finds such a marker, or when the cache has no `runs` folder yet (a new cache,
// or one an older mlpack wrote without markers). A warm run that follows runs which ended well
// lists one small folder instead of the whole cache. Best effort: when the marker cannot be made
// (a read-only cache), the whole cache is swept as before.
class CacheRun {
 public:
  CacheRun() = default;
  CacheRun(CacheRun&&) noexcept;
  CacheRun& operator=(CacheRun&&) noexcept;
  ~CacheRun();
  bool swept() const { return swept_; }  // whether this run's start swept the whole cache
  std::size_t removed() const { return removed_; }

 private:
  friend CacheRun begin_cache_run(const std::filesystem::path&, int);
  struct Marker;
  std::unique_ptr<Marker> marker_;
  bool swept_ = false;
  std::size_t removed_ = 0;
};
CacheRun begin_cache_run(const std::filesystem::path& root, int max_depth);

}  // namespace mlpack::util
