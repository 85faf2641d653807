#pragma once
// Deterministic layer tarballs. Entries are sorted by path, owned by 0:0 with empty user/group
// names, modes derived from the owner bits (so the umask cannot change them), mtime fixed, no
// atime/ctime. The uncompressed digest (diff_id) and the blob digest come from one streaming pass
// with bounded memory; gzip compresses in parallel blocks.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/digest.hpp"
#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::archive {

using util::Digest;
using util::Result;
namespace fs = std::filesystem;

enum class Compression { gzip, zstd, none };

enum class EntryType { file, directory, symlink, hardlink, whiteout, opaque_whiteout };

// One entry of a layer. `path` is relative to the image root, without a leading "/", using "/"
// separators ("opt/venv/bin/python"). Content comes from `source` (a file on disk, read when the
// layer is written) or from `data` (in memory).
struct Entry {
  std::string path;
  EntryType type = EntryType::file;
  std::uint32_t mode = 0644;  // permission + suid/sgid/sticky bits
  std::string link_target;    // symlink target, or the path of the hardlink's original entry
  std::optional<fs::path> source;
  std::string data;
  std::uint64_t size = 0;  // of `source`; for `data` it is data.size()
};

struct ScanOptions {
  std::string dest = "/";  // where the tree lands in the image ("/app")
};

// Lists a directory tree as layer entries under `options.dest` (parent directories of dest
// included). Refuses sockets, devices and FIFOs, and symlinks whose target resolves outside the
// tree (relative targets are resolved lexically from the link; absolute ones inside the image).
// Files with several links in the tree become one file plus hardlinks.
Result<std::vector<Entry>> scan_directory(const fs::path& root, const ScanOptions& options = {});

struct LayerOptions {
  Compression compression = Compression::gzip;
  std::int64_t mtime = 0;  // SOURCE_DATE_EPOCH, else 0
  int level = -1;          // compressor level; -1 = the compressor's default
  unsigned threads = 0;    // compression threads; 0 = hardware threads. Output never depends on it.
};

struct LayerResult {
  Digest digest;                    // of the compressed blob
  Digest diff_id;                   // of the uncompressed tar
  std::uint64_t size = 0;           // compressed bytes
  std::uint64_t uncompressed_size = 0;
};

// Writes the entries (sorted here, so callers need not) as a tar stream, compressed, to `out`.
Result<LayerResult> write_layer(std::vector<Entry> entries, const LayerOptions& options, util::Writer& out);

// SOURCE_DATE_EPOCH from the environment, else 0. Errors on a malformed value.
Result<std::int64_t> source_date_epoch();

}  // namespace mlpack::archive
