#pragma once
// The files of an image as a container started from it would see them, read straight from its
// layers without extracting anything: for whoever needs to know what an image already holds (its
// OS release, its package database, its accounts) before building on top of it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "oci/transport.hpp"
#include "oci/types.hpp"

namespace mlpack::image {

using util::Result;

struct FileInfo {
  enum class Type { file, dir, symlink, hardlink, other } type = Type::file;  // other: devices, fifos
  std::uint32_t mode = 0;  // permission bits with suid/sgid/sticky
  std::uint64_t size = 0;  // regular files only
  std::string link;        // target of a symlink (verbatim) or hardlink (a path in the image)
  std::uint32_t uid = 0;   // owner, as the layer records it
  std::uint32_t gid = 0;
};

// Which files' contents to keep while walking (everything else: only its FileInfo).
struct FileViewRequest {
  std::vector<std::string> paths;  // exact paths, relative, no leading "/": "etc/os-release"
  std::size_t limit = 1 << 20;     // per file; a larger wanted file is an error naming it
  // What the walk may hold at once (the image's paths so far and those of the layer being read),
  // so memory stays bounded whatever the layers hold: a layer of a million tiny entries is a few
  // MB compressed. More is an error (integrity) naming the layer. At these defaults the walk holds
  // at most a few hundred MB; real images have well under a million paths.
  std::size_t max_paths = 1'000'000;
  std::uint64_t max_path_bytes = 128ULL << 20;  // of their paths and link targets together
};

// The final state of an image's files after applying every layer in order with whiteouts
// (.wh.NAME and .wh..wh..opq). Paths relative, no leading "/", no trailing "/".
struct FileView {
  std::map<std::string, FileInfo> files;
  std::map<std::string, std::string> contents;  // of the requested paths that exist as regular files
};

// Reads every layer of `manifest` from `source` in order, each verified against its descriptor
// while it streams and read with archive's safe tar reader (layers are outside input: escaping
// paths, corrupt streams and oversized members are errors naming the member), and its diff_id
// against the image config's `rootfs.diff_ids` (read from `source`; a mismatch is an integrity
// error naming the layer, see diff_id.hpp).
//
// Layers apply as a container runtime applies them: a layer's whiteouts hide what the layers
// below it have (never what the same layer holds, whatever the order in its tar), then its entries
// replace what was at their paths; an entry that is not a directory replaces a whole directory
// tree. A directory that only a path below it implies (no entry of its own) is listed as a
// directory with mode 0755 owned by 0:0, as runtimes create it. An entry below a path that is not
// a directory (a layer writing through a symlinked /bin, say) is listed at its own path and leaves
// that path as it was. Other aufs metadata (.wh..wh.* but the opaque marker) is skipped.
//
// A requested path that ends as a regular file has its bytes in `contents` (a hardlink does not:
// it names its target, which may be requested instead). A requested file larger than
// `request.limit` is an error (integrity) naming it, whether or not a later layer replaces it.
Result<FileView> read_file_view(oci::ImageSource& source, const oci::Manifest& manifest,
                                const FileViewRequest& request);

}  // namespace mlpack::image
