#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "util/expected.hpp"

namespace mlpack::util {

Error errno_error(std::string_view op, const fs::path& path, int err) {
  return Error{err == ENOENT ? ErrorKind::not_found : ErrorKind::io,
               std::string(op) + " `" + path.string() + "`: " + std::strerror(err)};
}

namespace {
std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(10, 'x');
  for (char& c : s) c = chars[rng() % 36];
  return s;
}

Result<void> fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_error("open directory", dir, errno));
  ::fsync(fd);  // best effort: some filesystems refuse fsync on directories
  ::close(fd);
  return {};
}
}  // namespace

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const fs::path& dest, int mode) {
  // Another name is tried when the random one exists, or when a sweep by another process removed
  // the new file before it was locked (hold_temp); either is rare, so a few tries are plenty.
  for (int attempt = 0; attempt < 8; ++attempt) {
    fs::path temp = dest;
    temp += ".tmp-" + random_suffix();
    int fd = -1;
    int open_errno = 0;
    auto registration = create_registered_temp(TempKind::file, [&]() -> Result<fs::path> {
      fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd < 0) return std::unexpected(errno_error("create", temp, open_errno = errno));
      return temp;
    });
    if (!registration) {
      if (open_errno == EEXIST) continue;
      return std::unexpected(registration.error());
    }
    auto held = hold_temp(fd, temp);
    if (!held || !*held) {
      ::close(fd);
      if (!held) {
        ::unlink(temp.c_str());
        return std::unexpected(held.error());
      }
      continue;
    }
    ::fchmod(fd, mode);  // the umask must not change what we write
    return std::unique_ptr<AtomicFile>(new AtomicFile(fd, dest, temp, std::move(*registration)));
  }
  return fail(ErrorKind::io, "create a temporary file for `" + dest.string() + "`: no free name after 8 tries");
}

AtomicFile::~AtomicFile() {
  // Unlink before close: the lock must outlive the name, or a sweep could take a live file.
  if (!committed_) ::unlink(temp_.c_str());
  if (fd_ >= 0) ::close(fd_);
}

Result<void> AtomicFile::write(Bytes data) {
  const std::byte* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("write", temp_, errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> AtomicFile::commit() {
  if (::fsync(fd_) != 0) return std::unexpected(errno_error("fsync", temp_, errno));
  // Renamed while still open: closing drops the lock, and an unlocked temporary file is fair game
  // for a sweep (remove_abandoned_temp_paths).
  if (::rename(temp_.c_str(), dest_.c_str()) != 0) return std::unexpected(errno_error("rename", dest_, errno));
  committed_ = true;
  registration_.reset();
  int closed = ::close(std::exchange(fd_, -1));
  if (closed != 0) return std::unexpected(errno_error("close", dest_, errno));
  return fsync_dir(dest_.parent_path());
}

Result<void> write_file_atomic(const fs::path& dest, std::string_view content, int mode) {
  auto f = TRY(AtomicFile::create(dest, mode));
  TRY(f->write(as_bytes(content)));
  return f->commit();
}

Result<std::string> read_file(const fs::path& path, std::size_t limit) {
  auto r = TRY(FileReader::open(path.string()));
  return TRY_CONTEXT(read_all(*r, limit), "reading `" + path.string() + "`");
}

Result<void> make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::io, "create directory `" + dir.string() + "`: " + ec.message());
  return {};
}

Result<TempDir> TempDir::create(const fs::path& parent, std::string_view prefix) {
  fs::path base = parent;
  if (base.empty()) {
    const char* t = std::getenv("TMPDIR");
    base = t && *t ? t : "/tmp";
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
    int fd = -1;
    auto registration = TRY(create_registered_temp(TempKind::directory, [&]() -> Result<fs::path> {
      if (!::mkdtemp(templ.data())) return std::unexpected(errno_error("create temporary directory in", base, errno));
      fd = ::open(templ.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        int e = errno;
        ::rmdir(templ.c_str());
        return std::unexpected(errno_error("open", templ, e));
      }
      return fs::path(templ);
    }));
    auto held = hold_temp(fd, templ);
    if (!held || !*held) {
      ::close(fd);
      if (!held) {
        std::error_code ec;
        fs::remove_all(templ, ec);
        return std::unexpected(held.error());
      }
      continue;
    }
    return TempDir(templ, fd, std::move(registration));
  }
  return fail(ErrorKind::io, "create a temporary directory in `" + base.string() + "`: removed by another process 8 times");
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

fs::path TempDir::release() {
  registration_.reset();
  if (lock_fd_ >= 0) ::close(std::exchange(lock_fd_, -1));
  return std::exchange(path_, {});
}

}  // namespace mlpack::util
