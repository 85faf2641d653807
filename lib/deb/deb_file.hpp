#pragma once
// Reading .deb files (deb(5): an `ar` archive of `debian-binary`, `control.tar[.gz|.xz|.zst]` and
// `data.tar[.gz|.xz|.zst|.bz2|.lzma]`) into layer entries plus what dpkg would record about them.
// A .deb is outside input and never trusted: paths that are absolute or climb with `..`, links
// that escape the root, device nodes, FIFOs, oversized members and malformed archives are refused
// (ErrorKind::integrity), and every error names the package.
#include <cstdint>
#include <filesystem>
#include <span>
#include <set>
#include <string>
#include <vector>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "archive/reader.hpp"
#include "deb/control.hpp"
#include "util/error.hpp"
#include "util/io.hpp"

namespace mlpack::deb {

namespace fs = std::filesystem;

enum class UsrMerge { yes, no };

struct DebOptions {
  // File contents are staged here, content-addressed: `<staging_dir>/<sha256 hex>` (created if
  // missing; shared by all packages, so identical files are stored once). Entries point at them
  // through Entry::source, so the directory must outlive the layer write. Empty files are not
  // staged (Entry::data is empty instead).
  fs::path staging_dir;
  // Names the package in errors until its control file has been read ("hello_2.10-3_amd64.deb");
  // the path overload defaults it to the file name.
  std::string label;
  std::uint64_t max_member_size = 4ULL << 30;    // one file of data.tar
  std::uint64_t max_control_size = 64ULL << 20;  // control.tar decompressed
  // data.tar: decompressed at most unpack.max_total bytes (its files together), and at most
  // unpack.max_ratio times what it takes of the .deb (archive/decompress.hpp).
  archive::UnpackLimits unpack;
  // Rewrite bin/, sbin/, lib/, lib32/, lib64/ and libx32/ into usr/ (the image's top-level
  // directories of those names are symlinks; see usrmerge_links).
  UsrMerge usrmerge = UsrMerge::yes;
};

struct Conffile {
  std::string path;  // absolute, as dpkg records it ("/etc/host.conf")
  std::string md5;   // of the shipped file, lowercase hex
};

// What one .deb holds and what dpkg records for it.
// One `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...`.
struct Alternative {
  std::string name;  // "libblas.so.3-x86_64-linux-gnu"
  std::string link;  // "/usr/lib/x86_64-linux-gnu/libblas.so.3"
  std::string path;  // "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"
  int priority = 0;
  struct Slave {
    std::string name, link, path;
  };
  std::vector<Slave> slaves;
};

// The update-alternatives registrations a maintainer script makes. Words with shell expansions
// are not guessed at: such a registration is left out.
std::vector<Alternative> parse_alternatives(std::string_view script);

// The links dpkg's automatic mode would leave for `alternatives`: LINK -> /etc/alternatives/NAME
// -> the highest-priority PATH among those whose file is `shipped` (relative paths, no leading
// '/'); slaves likewise. Paths whose first directory is in `merged_dirs` ("bin", "sbin", "lib"…)
// are placed under usr/, as usrmerge does. Sorted by path.
std::vector<archive::Entry> alternative_links(std::span<const Alternative> alternatives,
                                              const std::set<std::string>& shipped,
                                              const std::set<std::string>& merged_dirs);

struct DebFile {
  Paragraph control;  // the control file, fields in the package's order
  std::string package;
  std::string version;
  std::string architecture;
  std::string multi_arch;  // "same", "foreign", "allowed" or empty

  // The data as layer entries: paths normalised ("./usr/bin/x" -> "usr/bin/x", the root itself
  // left out), directories included, modes as in the tar (Debian's are canonical; owners are
  // not kept: layers are 0:0), usr-merged when asked, sorted by path. Hard links point at the
  // first path of their group in sorted order, as write_layer requires.
  std::vector<archive::Entry> entries;
  // Top-level directories that were rewritten into usr/ ("bin", "lib64"), sorted.
  std::vector<std::string> merged_dirs;

  // dpkg's info/<name>.list: every member as shipped (before usrmerge, as dpkg on a merged
  // bookworm system records them), "/." first, in archive order.
  std::vector<std::string> file_list;
  // dpkg's info/<name>.md5sums: the package's own md5sums member verbatim when it has one, else
  // generated ("<md5>  <path>\n" for each regular file that is not a conffile, archive order).
  std::string md5sums;
  std::vector<Conffile> conffiles;  // in the order of the conffiles member
  // Maintainer scripts and other control members that were not run or used ("postinst").
  std::vector<std::string> skipped_control_members;
  // What its postinst registers with update-alternatives (literal paths only).
  std::vector<Alternative> alternatives;

  // The name dpkg uses for info files: "libc6:amd64" for Multi-Arch: same, else "base-files".
  std::string db_name() const;
};

// Reads a .deb from a stream in one pass (memory bounded: file contents go straight to the
// staging directory). Members must come in deb(5) order: debian-binary, control.tar, data.tar;
// members whose names start with '_' are ignored.
Result<DebFile> read_deb(util::Reader& in, const DebOptions& options);
Result<DebFile> read_deb(const fs::path& path, DebOptions options);

// Calls `visit` for each member of a .deb's data.tar, read by the same rules as read_deb (paths,
// links inside the root, no devices, the unpack limits) but staging nothing: for callers that
// want a file or two out of a package (its copyright file). Earlier members are skipped, not
// checked.
Result<void> read_data_members(const fs::path& path, const archive::UnpackLimits& limits,
                               const archive::TarVisitor& visit);

// The usrmerge top-level symlinks for `dirs` ("bin" -> "usr/bin", ...), sorted by path.
std::vector<archive::Entry> usrmerge_links(std::span<const std::string> dirs);

// Entries of several packages combined into one list for write_layer: a directory shipped by
// several packages appears once (the first one's mode), and when two packages ship the same
// non-directory path the later one wins, as when dpkg unpacks them in that order (it is listed in
// `overwritten`). A path that is a directory in one package and not in another is refused.
struct MergedEntries {
  std::vector<archive::Entry> entries;  // sorted by path
  std::vector<std::string> overwritten;
};
Result<MergedEntries> merge_entries(std::span<const std::vector<archive::Entry>> lists);

}  // namespace mlpack::deb
