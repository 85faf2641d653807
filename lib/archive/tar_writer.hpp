#pragma once
// A streaming tar writer for archives that are not layers: the oci-archive: and docker-archive:
// outputs, whose members (blobs, manifests) come from files or any Reader, one after another,
// in the order given. Deterministic: uid/gid 0, empty user/group names, mtime 0, mode 0644 for
// files and 0755 for directories. The header bytes are those libarchive's pax_restricted
// writer produced for these archives before (tar_header.hpp, NumberStyle::space_terminated), so
// an archive of the same image has the same bytes as before; a name over 100 bytes gets a pax
// header. The archive ends with two zero blocks, unpadded.
#include <cstdint>
#include <string_view>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::archive {

using util::Result;

class TarWriter {
 public:
  explicit TarWriter(util::Writer& out) : out_(out) {}

  // A directory member; `name` as stored ("blobs/", with the trailing slash).
  Result<void> add_directory(std::string_view name);
  // A file member of exactly `size` bytes read from `content`: a stream that ends before or goes
  // on after `size` is ErrorKind::io (the file changed while it was archived); its own errors
  // pass through.
  Result<void> add_file(std::string_view name, std::uint64_t size, util::Reader& content);
  // The end-of-archive blocks. Nothing may be added after.
  Result<void> finish();

 private:
  util::Writer& out_;
  bool finished_ = false;
};

}  // namespace mlpack::archive
