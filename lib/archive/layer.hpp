#pragma once
// Deterministic layer tarballs. Entries are sorted by path, owned by 0:0 with empty user/group
// names, modes as the entries give them (scan_directory derives them from the owner bits unless
// told to keep the tree's), mtime fixed, no atime/ctime. The uncompressed digest (diff_id) and the
// blob digest come from one streaming pass with bounded memory; gzip compresses in parallel
// blocks, one gzip member per block.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
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

// Opens the content of an entry when the layer is written: a stream of exactly Entry::size bytes.
// Lets content that is neither a file on disk nor small enough for memory (a member of a package
// archive) be streamed into the layer. Called at most once per entry, on the writing thread.
using ContentOpener = std::function<Result<std::unique_ptr<util::Reader>>()>;

// One entry of a layer. `path` is relative to the image root, without a leading "/", using "/"
// separators ("opt/venv/bin/python"). Content comes from `source` (a file on disk, read when the
// layer is written), else from `open` (streamed when the layer is written), else from `data` (in
// memory).
struct Entry {
  std::string path;
  EntryType type = EntryType::file;
  std::uint32_t mode = 0644;  // permission + suid/sgid/sticky bits
  std::string link_target;    // symlink target, or the path of the hardlink's original entry
  std::optional<fs::path> source;
  std::string data;
  std::uint64_t size = 0;  // of `source` or `open`; for `data` it is data.size()
  // Numeric owner. 0:0 for everything scanned or unpacked (user and group names are always
  // empty); set only where an image needs another owner, such as the non-root user's home.
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  // Last, so that positional initialisers written before it existed keep their meaning.
  ContentOpener open;
};

// How scan_directory sets entries' modes. `normalized`: from the owner bits only, so neither the
// umask nor group/other bits on the build machine change a layer (a layer mlpack makes from a
// project). `as_is`: every permission bit as the tree has it, suid, sgid and sticky included (a
// root filesystem given to `append --layer`, whose /tmp must stay 1777: reproducing such a layer
// is up to the tree).
enum class Modes { normalized, as_is };

struct ScanOptions {
  std::string dest = "/";  // where the tree lands in the image ("/app")
  // Paths relative to the scanned root ("data/raw", "x.py") for which this returns true are left
  // out; an excluded directory is not descended into. Empty: nothing is excluded.
  std::function<bool(std::string_view relative_path)> exclude;
  Modes modes = Modes::normalized;
};

// Lists a directory tree as layer entries under `options.dest`: "/app" gives "app", "app/x.py",
// ...; parent directories of dest come first as directories with mode 0755 (dest "/" adds no entry
// for the root itself). Entries are sorted by path in byte order.
//
// With Modes::normalized, modes are derived from the owner bits only, so neither the umask nor
// group/other bits on the build machine change a layer: owner r -> 0444, owner w -> 0200, owner
// x -> 0111, and suid/sgid/sticky are kept (a 0600 file becomes 0644, 0700 becomes 0755). With
// Modes::as_is, files and directories keep all of their 07777 bits. Symlinks get 0777 either way.
// The parent directories of dest that the tree does not hold are 0755 either way.
//
// Refused, with an error naming the path: sockets, devices and FIFOs (invalid_input), and
// symlinks whose target resolves outside the tree (invalid_input). Relative targets are resolved
// lexically from the link's directory within the tree (intermediate symlinks are not followed);
// absolute targets are read as paths inside the image, so they must fall under dest. A missing
// root is not_found. A file with several links inside the tree becomes one file (the first path in
// sorted order) plus hardlinks to it. Contents are not read here; `source` points at each file.
Result<std::vector<Entry>> scan_directory(const fs::path& root, const ScanOptions& options = {});

struct LayerOptions {
  Compression compression = Compression::gzip;
  std::int64_t mtime = 0;  // SOURCE_DATE_EPOCH, else 0
  int level = -1;          // compressor level (gzip 0-12, zstd 1-max); -1 = the default below
  unsigned threads = 0;    // compression threads; 0 = hardware threads. Output never depends on it.
};

struct LayerResult {
  Digest digest;                    // of the compressed blob
  Digest diff_id;                   // of the uncompressed tar
  std::uint64_t size = 0;           // compressed bytes
  std::uint64_t uncompressed_size = 0;
};

// Input blocks of this size each become one gzip member, compressed independently (libdeflate),
// so a gzip layer is a multi-member gzip file (RFC 1952 allows it; Go's compress/gzip, gzip, zlib
// and libarchive read it as one stream). Part of the byte-exact output contract: changing it
// changes every gzip digest. 1 MiB rather than more: 4 MiB saved under 0.1% on a Debian rootfs
// and would quadruple the block pool's memory.
inline constexpr std::size_t gzip_block_size = 1 << 20;
// The levels used when LayerOptions::level is -1. Layer creation is on every build's critical
// path, so both favour speed. gzip levels are libdeflate's (0-12); its output is a pure function of
// input, level and libdeflate version, so the level is part of the digest. On a 259 MB Debian
// rootfs tar, per thread: libdeflate 1 compresses at ~155 MB/s to 123 MB, 2.2x zlib 1's speed
// and 2.5% smaller; libdeflate 4 (~100 MB/s, 119 MB) and 6 (~70 MB/s, 117 MB) come within 1% of
// zlib 6's 118 MB but cost 1.5-2x the CPU of level 1, which is most of a layer's creation time. zstd level 1 is ~1.5x
// faster than level 3 for ~9% more bytes (bench_test.cpp).
inline constexpr int default_gzip_level = 1;
inline constexpr int default_zstd_level = 1;

// Writes the entries (sorted here by tar member name, so callers need not) as a tar stream,
// compressed, to `out`, and returns both digests, computed in the same pass.
//
// The tar is hand-written ustar, with a pax 'x' header ("././@PaxHeader") only for a path or link
// target over 100 bytes or a size over 8 GiB: every member has uid/gid 0, empty user/group names,
// mtime = options.mtime, device numbers 0, and no atime/ctime. Directories are named "dir/".
// Whiteouts become empty files "dir/.wh.name"; an opaque whiteout of directory P becomes
// "P/.wh..wh..opq". A hardlink's link_target must name a file entry that sorts before it.
//
// `source` files and `open` streams are streamed, never held whole in memory; a source whose size
// is not `size` (or changes while it is read), or a stream that ends before or goes on after `size`
// bytes, is an error, as is any error the opener or its reader returns. Memory is bounded by a fixed pool of blocks whatever
// the layer size; tar production, compression (threads), hashing and writing run concurrently.
// The bytes depend only on the entries, compression, level and mtime (and the compressor library's
// version), never on `threads`.
// On error, `out` may have received part of the stream: write to an AtomicFile.
Result<LayerResult> write_layer(std::vector<Entry> entries, const LayerOptions& options, util::Writer& out);

// Names everything besides the entries and mtime that decides a layer's bytes: the tar writer,
// the compressor with its library version, the resolved level and the gzip block size
// ("tar-v1 gzip libdeflate-1.14 level 1 block 1048576"). A cache of written layers must include it in
// its key: the same entries give other bytes after a compressor upgrade. Errors as write_layer
// does on an invalid level.
Result<std::string> encoding_key(const LayerOptions& options);

// The value of SOURCE_DATE_EPOCH as the caller read it from its environment ("" when unset, which
// gives 0). Errors (invalid_input) on anything but a decimal integer in [0, 8^11) (the ustar mtime
// range).
Result<std::int64_t> source_date_epoch(std::string_view value);

}  // namespace mlpack::archive
