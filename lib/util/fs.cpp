#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

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
  fs::path temp = dest;
  temp += ".tmp-" + random_suffix();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(errno_error("create", temp, errno));
  ::fchmod(fd, mode);  // the umask must not change what we write
  return std::unique_ptr<AtomicFile>(new AtomicFile(fd, dest, temp));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
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
  if (::close(fd_) != 0) {
    fd_ = -1;
    return std::unexpected(errno_error("close", temp_, errno));
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), dest_.c_str()) != 0) return std::unexpected(errno_error("rename", dest_, errno));
  committed_ = true;
  return fsync_dir(dest_.parent_path());
}

Result<void> write_file_atomic(const fs::path& dest, std::string_view content, int mode) {
  auto f = AtomicFile::create(dest, mode);
  if (!f) return std::unexpected(f.error());
  if (auto r = (*f)->write(as_bytes(content)); !r) return r;
  return (*f)->commit();
}

Result<std::string> read_file(const fs::path& path, std::size_t limit) {
  auto r = FileReader::open(path.string());
  if (!r) return std::unexpected(r.error());
  auto s = read_all(**r, limit);
  if (!s) return std::unexpected(s.error().context("reading `" + path.string() + "`"));
  return s;
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
  std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
  if (!::mkdtemp(templ.data())) return std::unexpected(errno_error("create temporary directory in", base, errno));
  return TempDir(templ);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace mlpack::util
