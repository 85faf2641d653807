#include "detectors/project_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "detectors/project.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;
using util::Result;

namespace {

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

util::Error not_regular(const std::string& shown, mode_t mode) {
  return util::Error{ErrorKind::invalid_input,
                     "`" + shown + "` is " + kind_of(mode) + "; mlpack reads only regular files from a project"};
}

// Whether `path` lies strictly below `dir` (both real, absolute paths).
bool strictly_inside(const fs::path& path, const fs::path& dir) {
  auto [d, p] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return d == dir.end() && p != path.end();
}

struct Opened {
  ProjectFileInfo info;
  int fd = -1;
};

// The rule, leaving the file open for the caller to read (or close).
Result<Opened> open_project_file(const fs::path& file, const fs::path& project_root, const std::string& shown) {
  std::error_code ec;
  const fs::path root = fs::absolute(project_root, ec).lexically_normal();
  const fs::path full = fs::absolute(file, ec).lexically_normal();
  const fs::path root_real = fs::canonical(root, ec);
  if (ec) return util::fail(ErrorKind::io, "the project folder `" + root.string() + "`: " + ec.message());

  fs::path real = fs::canonical(full, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory)
      return util::fail(ErrorKind::not_found, "`" + shown + "`: no such file");
    if (ec == std::errc::too_many_symbolic_link_levels || ec == std::errc::not_a_directory)
      return util::fail(ErrorKind::invalid_input, "`" + shown + "`: " + ec.message());
    return util::fail(ErrorKind::io, "`" + shown + "`: " + ec.message());
  }
  if (!strictly_inside(real, root_real))
    return util::fail(ErrorKind::invalid_input,
                      "`" + shown + "` is outside the project folder; mlpack reads only the project's own files, "
                      "and a link in the project must point inside it too");

  // Looked at before it is opened (opening some devices does something), and again through the
  // descriptor (what was opened is what counts). O_NONBLOCK: opening a FIFO for reading would
  // otherwise wait for a writer.
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return util::fail(ErrorKind::io, "`" + shown + "`: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return std::unexpected(not_regular(shown, st.st_mode));
  int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP)  // the last component became a link since canonical()
      return util::fail(ErrorKind::invalid_input, "`" + shown + "` changed while it was read");
    return util::fail(ErrorKind::io, "opening `" + shown + "`: " + std::strerror(e));
  }
  Fd guard(fd);
  if (::fstat(fd, &st) != 0) return util::fail(ErrorKind::io, "`" + shown + "`: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return std::unexpected(not_regular(shown, st.st_mode));
  Opened out;
  out.info.real = std::move(real);
  out.info.size = static_cast<std::uint64_t>(st.st_size);
  out.info.executable = (st.st_mode & S_IXUSR) != 0;
  out.fd = guard.release();
  return out;
}

// How messages name `file`: `shown`, else where the project shows it, made safe to print (the name
// may come from a project file).
std::string name_for(const fs::path& file, const fs::path& project_root, std::string_view shown) {
  if (!shown.empty()) return util::printable_excerpt(shown);
  std::error_code ec;
  const fs::path root = fs::absolute(project_root, ec).lexically_normal();
  return util::printable_excerpt(display_path(fs::absolute(file, ec).lexically_normal(), root));
}

}  // namespace

Result<ProjectFileInfo> check_project_file(const fs::path& file, const fs::path& project_root, std::string_view shown) {
  auto opened = TRY(open_project_file(file, project_root, name_for(file, project_root, shown)));
  ::close(opened.fd);
  return std::move(opened.info);
}

Result<std::string> read_project_file(const fs::path& file, const fs::path& project_root, std::size_t max_bytes,
                                      std::string_view shown_as) {
  const std::string shown = name_for(file, project_root, shown_as);
  auto opened = TRY(open_project_file(file, project_root, shown));
  Fd fd(opened.fd);
  auto too_large = [&](std::uint64_t size) {
    return util::fail(ErrorKind::invalid_input, "`" + shown + "` is " + util::human_bytes(size) +
                                                    "; mlpack reads a file of this kind up to " +
                                                    util::human_bytes(max_bytes));
  };
  if (opened.info.size > max_bytes) return too_large(opened.info.size);
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  std::string out;
  out.resize(static_cast<std::size_t>(opened.info.size) + 1);
  std::size_t have = 0;
  while (true) {
    if (have == out.size()) {
      if (out.size() > max_bytes) return too_large(out.size());  // it grew while read
      out.resize(std::min(out.size() * 2 + 4096, max_bytes + 1));
    }
    ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return util::fail(ErrorKind::io, "reading `" + shown + "`: " + std::strerror(errno));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_bytes) return too_large(have);
  out.resize(have);
  return out;
}

bool project_file_present(const fs::path& file) {
  std::error_code ec;
  auto st = fs::status(file, ec);
  return fs::exists(st) && !fs::is_directory(st);
}

std::string quote_text(std::string_view text) { return "`" + util::printable_excerpt(text) + "`"; }

}  // namespace mlpack::detectors
