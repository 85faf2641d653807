#include "archive/libarchive.hpp"

#include <cerrno>

namespace mlpack::archive::la {

util::Result<ReadArchive> new_reader() {
  ReadArchive a(archive_read_new());
  if (!a) return util::fail(util::ErrorKind::internal, "libarchive: cannot allocate a reader");
  return a;
}

util::Result<WriteArchive> new_writer() {
  WriteArchive a(archive_write_new());
  if (!a) return util::fail(util::ErrorKind::internal, "libarchive: cannot allocate a writer");
  return a;
}

std::string error_message(struct archive* a, const char* fallback) {
  const char* s = archive_error_string(a);
  return s && *s ? s : fallback;
}

namespace {

la_ssize_t read_callback(struct archive* a, void* ctx, const void** out) {
  auto* s = static_cast<ReaderSource*>(ctx);
  auto n = s->in->read(s->buf);
  if (!n) {
    s->error = n.error();
    archive_set_error(a, EIO, "%s", n.error().message.c_str());
    return -1;
  }
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

}  // namespace

int open_reader(struct archive* a, ReaderSource& source) {
  return archive_read_open(a, &source, nullptr, read_callback, nullptr);
}

}  // namespace mlpack::archive::la
