#pragma once
// The one set of RAII wrappers for libarchive handles, and the glue that lets libarchive read
// from a util::Reader. Every module that calls libarchive (archive, deb, oci) uses these rather
// than its own deleters.
//
// libarchive's C types are `struct archive` and `struct archive_entry`; inside namespace
// mlpack, `archive` names this module, so code there writes `struct archive`.
#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::archive::la {

struct ReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

using ReadArchive = std::unique_ptr<struct archive, ReadFree>;
using WriteArchive = std::unique_ptr<struct archive, WriteFree>;
using EntryPtr = std::unique_ptr<struct archive_entry, EntryFree>;

// archive_read_new / archive_write_new; internal error when libarchive cannot allocate.
util::Result<ReadArchive> new_reader();
util::Result<WriteArchive> new_writer();

// libarchive's last error on `a`, or `fallback` when it has none.
std::string error_message(struct archive* a, const char* fallback = "malformed archive");

// Feeds libarchive from a util::Reader. The Reader's own error is kept, so it reaches the
// caller intact (a network or digest error) rather than as libarchive's paraphrase: after a
// libarchive call fails, check `error` first.
struct ReaderSource {
  explicit ReaderSource(util::Reader& in, std::size_t buffer = 256 << 10) : in(&in), buf(buffer) {}
  util::Reader* in;
  std::vector<std::byte> buf;
  std::optional<util::Error> error;
};

// archive_read_open over `source`, which must outlive the reading. Returns libarchive's status.
int open_reader(struct archive* a, ReaderSource& source);

}  // namespace mlpack::archive::la
