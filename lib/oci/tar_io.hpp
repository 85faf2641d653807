#pragma once
// Tar plumbing shared by the oci-archive: and docker-archive: transports (module-internal).
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::oci::tar_io {

namespace fs = std::filesystem;
using util::Result;

struct Member {
  std::string name;  // path inside the archive, "/"-separated, no leading "/"
  fs::path source;   // file to copy; empty for a directory entry
};

// Writes a deterministic tar through archive::TarWriter: members in the given order, uid/gid 0,
// no user/group names, mtime 0, mode 0644 (files) / 0755 (directories). Memory stays bounded
// whatever the sizes; a file that changes size while it is archived is an error.
Result<void> write_tar(const std::vector<Member>& members, util::Writer& out);

// Lists a directory tree as members, sorted by name, directories included (as "blobs/").
Result<std::vector<Member>> list_tree(const fs::path& root);

// Extracts a tar (optionally compressed) into `dest`, which must exist. Refuses, with
// ErrorKind::integrity, members whose paths are absolute or contain "..", links whose targets
// leave the archive, and devices, FIFOs and sockets. Symlinks and hardlinks to files are
// materialised as copies of their target, so nothing on disk points outside `dest`.
Result<void> extract_tar(const fs::path& archive, const fs::path& dest);

// Makes an archive-relative path safe to join under a directory: strips "./" prefixes and
// refuses absolute paths, empty paths and ".." components.
Result<std::string> safe_relative(std::string_view name);

// Copies `in` to `out`, decompressing what archive::decompress_detected recognises (gzip, zstd,
// xz, bzip2); plain data passes through. Reads `in` to its end so a verifying reader sees every
// byte.
Result<std::uint64_t> decompress(util::Reader& in, util::Writer& out);

}  // namespace mlpack::oci::tar_io
