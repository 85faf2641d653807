#include "util/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/expected.hpp"

namespace mlpack::util {

Result<std::size_t> StringReader::read(std::span<std::byte> out) {
  std::size_t n = std::min(out.size(), data_.size() - pos_);
  std::memcpy(out.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

Result<std::unique_ptr<FileReader>> FileReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return fail(e == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                "open `" + path + "`: " + std::strerror(e));
  }
  return std::unique_ptr<FileReader>(new FileReader(fd, path));
}

FileReader::~FileReader() { ::close(fd_); }

Result<std::size_t> FileReader::read(std::span<std::byte> out) {
  for (;;) {
    ssize_t n = ::read(fd_, out.data(), out.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    return fail(ErrorKind::io, "read `" + path_ + "`: " + std::strerror(errno));
  }
}

Result<void> FileReader::seek(std::uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
    return fail(ErrorKind::io, "seek `" + path_ + "`: " + std::strerror(errno));
  return {};
}

Result<std::uint64_t> copy(Reader& from, Writer& to) {
  std::vector<std::byte> buf(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    auto n = TRY(from.read(buf));
    if (n == 0) return total;
    TRY(to.write({buf.data(), n}));
    total += n;
  }
}

Result<std::string> read_all(Reader& from, std::size_t limit) {
  std::string out;
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    auto n = TRY(from.read(buf));
    if (n == 0) return out;
    if (out.size() + n > limit)
      return fail(ErrorKind::integrity, "stream exceeds the limit of " + std::to_string(limit) + " bytes");
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

}  // namespace mlpack::util
