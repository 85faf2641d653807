#include "archive/tar_writer.hpp"

#include <vector>

#include "archive/tar_header.hpp"
#include "util/expected.hpp"

namespace mlpack::archive {

using util::ErrorKind;
using util::fail;

namespace {

Result<void> write_zeros(util::Writer& out, std::size_t n) {
  static const std::byte zeros[detail::tar_block * 2] = {};
  while (n > 0) {
    std::size_t k = std::min(n, sizeof zeros);
    TRY(out.write({zeros, k}));
    n -= k;
  }
  return {};
}

}  // namespace

Result<void> TarWriter::add_directory(std::string_view name) {
  if (finished_) return fail(ErrorKind::internal, "tar member added after the end of the archive");
  detail::TarHeader h{std::string(name), '5', 0755, 0, 0, "", 0, 0, detail::NumberStyle::space_terminated};
  return out_.write(util::as_bytes(detail::encode_tar_header(h)));
}

Result<void> TarWriter::add_file(std::string_view name, std::uint64_t size, util::Reader& content) {
  if (finished_) return fail(ErrorKind::internal, "tar member added after the end of the archive");
  detail::TarHeader h{std::string(name), '0', 0644, size, 0, "", 0, 0, detail::NumberStyle::space_terminated};
  TRY(out_.write(util::as_bytes(detail::encode_tar_header(h))));
  std::vector<std::byte> buf(256 << 10);
  std::uint64_t written = 0;
  for (;;) {
    auto n = TRY(content.read(buf));
    if (n == 0) break;
    if (n > size - written) return fail(ErrorKind::io, "`" + std::string(name) + "` grew while it was being archived");
    TRY(out_.write({buf.data(), n}));
    written += n;
  }
  if (written != size) return fail(ErrorKind::io, "`" + std::string(name) + "` shrank while it was being archived");
  return write_zeros(out_, detail::tar_padding(size));
}

Result<void> TarWriter::finish() {
  if (finished_) return {};
  finished_ = true;
  return write_zeros(out_, 2 * detail::tar_block);
}

}  // namespace mlpack::archive
