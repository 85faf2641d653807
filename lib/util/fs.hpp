#pragma once
// Filesystem helpers. Every write that replaces something goes through AtomicFile so an
// interrupted write leaves the previous content intact.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/cleanup.hpp"
#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::util {

namespace fs = std::filesystem;

// A file written under a temporary name in the destination's directory (`<dest>.tmp-<random>`)
// and renamed into place by commit(). Destroying it without commit() removes the temporary file;
// so does an interrupt (the name is registered, util/cleanup.hpp), and after a kill the next
// remove_abandoned_temp_paths() over the directory does (the file is locked while it lives).
class AtomicFile final : public Writer {
 public:
  static Result<std::unique_ptr<AtomicFile>> create(const fs::path& dest, int mode = 0644);
  ~AtomicFile() override;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Result<void> write(Bytes data) override;
  // fsyncs, renames over `dest`, and fsyncs the directory.
  Result<void> commit();
  // Like commit(), to a destination known only once the content is written (content-addressed).
  Result<void> commit_as(const fs::path& dest) {
    dest_ = dest;
    return commit();
  }
  const fs::path& temp_path() const { return temp_; }

 private:
  AtomicFile(int fd, fs::path dest, fs::path temp, TempRegistration registration)
      : fd_(fd), dest_(std::move(dest)), temp_(std::move(temp)), registration_(std::move(registration)) {}
  int fd_;  // holds the lock that marks the temporary file as alive (hold_temp)
  fs::path dest_;
  fs::path temp_;
  TempRegistration registration_;
  bool committed_ = false;
};

Result<void> write_file_atomic(const fs::path& dest, std::string_view content, int mode = 0644);
// Reads a whole file, refusing files larger than `limit`.
Result<std::string> read_file(const fs::path& path, std::size_t limit = 64 << 20);
Result<void> make_dirs(const fs::path& dir);

// A directory removed (recursively) on destruction, on an interrupt, and (when its name holds
// `.tmp-`) by remove_abandoned_temp_paths() once its process is gone (util/cleanup.hpp).
class TempDir {
 public:
  // Creates a fresh directory under `parent` (default: $TMPDIR or /tmp). The one environment
  // variable library code reads (STYLE.md habit 13 otherwise): TMPDIR is the C library's and
  // POSIX's own convention for scratch space, as mkstemp(3) users, tmpfile(3) and every child
  // program (gpgv, credential helpers) honour it; it changes where scratch files go, never what
  // a run produces; and the callers that take the default (running programs, reading archives,
  // gpgv keyrings, registry pulls without a cache) sit in modules that have no options to carry a
  // temp root.
  static Result<TempDir> create(const fs::path& parent = {}, std::string_view prefix = "mlpack-");
  TempDir(TempDir&& other) noexcept
      : path_(std::exchange(other.path_, {})), lock_fd_(std::exchange(other.lock_fd_, -1)),
        registration_(std::move(other.registration_)) {}
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const fs::path& path() const { return path_; }
  // Keeps the directory on destruction.
  fs::path release();

 private:
  TempDir(fs::path p, int lock_fd, TempRegistration registration)
      : path_(std::move(p)), lock_fd_(lock_fd), registration_(std::move(registration)) {}
  fs::path path_;
  int lock_fd_ = -1;  // the directory, locked while it lives (hold_temp)
  TempRegistration registration_;
};

// An io error naming the operation, path and errno text.
Error errno_error(std::string_view op, const fs::path& path, int err);

}  // namespace mlpack::util
