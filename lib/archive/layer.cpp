#include "archive/layer.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <set>

#include "archive/paths.hpp"
#include "archive/pipeline.hpp"
#include "archive/tar_header.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"

namespace mlpack::archive {

namespace {

using util::ErrorKind;
using util::fail;

struct Member {
  std::string name;  // tar member path, without the trailing "/" of directories
  const Entry* entry;
};

std::string parent_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Result<std::vector<Member>> plan(const std::vector<Entry>& entries) {
  std::vector<Member> members;
  members.reserve(entries.size());
  for (const auto& e : entries) {
    if (!detail::is_clean_relative(e.path))
      return fail(ErrorKind::invalid_input, "layer entry `" + e.path +
                                                "`: paths must be relative, without empty, `.` or `..` components");
    std::string name = e.path;
    if (e.type == EntryType::whiteout) {
      if (basename_of(e.path).starts_with(".wh."))
        return fail(ErrorKind::invalid_input, "layer entry `" + e.path + "`: cannot white out a whiteout");
      name = parent_of(e.path) + ".wh." + basename_of(e.path);
    } else if (e.type == EntryType::opaque_whiteout) {
      name = e.path + "/.wh..wh..opq";
    } else if (basename_of(e.path).starts_with(".wh.")) {
      return fail(ErrorKind::invalid_input,
                  "layer entry `" + e.path + "`: names starting with `.wh.` are reserved for whiteouts");
    }
    if (e.type == EntryType::symlink && (e.link_target.empty() || e.link_target.find('\0') != std::string::npos))
      return fail(ErrorKind::invalid_input, "layer entry `" + e.path + "`: symlink target is empty or has a NUL");
    if (e.type == EntryType::hardlink && !detail::is_clean_relative(e.link_target))
      return fail(ErrorKind::invalid_input,
                  "layer entry `" + e.path + "`: hardlink target `" + e.link_target + "` is not a clean relative path");
    members.push_back({std::move(name), &e});
  }
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
  std::set<std::string_view> files_so_far;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    if (i > 0 && members[i - 1].name == m.name)
      return fail(ErrorKind::invalid_input, "layer entry `" + m.name + "` appears twice");
    if (m.entry->type == EntryType::hardlink && !files_so_far.contains(m.entry->link_target))
      return fail(ErrorKind::invalid_input, "layer entry `" + m.name + "`: hardlink target `" + m.entry->link_target +
                                                "` is not a file that sorts before it");
    if (m.entry->type == EntryType::file) files_so_far.insert(m.name);
  }
  return members;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Streams `source` into the pipeline, refusing a file that is not `size` bytes long or that
// changes size while it is read.
Result<void> stream_file(detail::Pipeline& p, const fs::path& source, std::uint64_t size) {
  FdCloser f{::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) return std::unexpected(util::errno_error("open", source, errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return std::unexpected(util::errno_error("stat", source, errno));
  if (!S_ISREG(st.st_mode)) return fail(ErrorKind::io, "`" + source.string() + "` is no longer a regular file");
  auto changed = [&] {
    return fail(ErrorKind::io, "`" + source.string() + "` changed size while the layer was written (expected " +
                                   std::to_string(size) + " bytes)");
  };
  if (static_cast<std::uint64_t>(st.st_size) != size) return changed();
  ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::uint64_t left = size;
  while (left > 0) {
    auto room = TRY(p.space());
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), left));
    ssize_t n = ::read(f.fd, room.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(util::errno_error("read", source, errno));
    }
    if (n == 0) return changed();
    TRY(p.commit(static_cast<std::size_t>(n)));
    left -= static_cast<std::uint64_t>(n);
  }
  char extra;
  ssize_t n;
  do n = ::read(f.fd, &extra, 1);
  while (n < 0 && errno == EINTR);
  if (n != 0) return n < 0 ? std::unexpected(util::errno_error("read", source, errno)) : changed();
  return {};
}

// Streams an opened entry into the pipeline, refusing a stream that is not `size` bytes long.
Result<void> stream_opened(detail::Pipeline& p, const ContentOpener& open, std::uint64_t size) {
  auto reader = TRY(open());
  if (!reader) return fail(ErrorKind::internal, "the content opener returned no reader");
  std::uint64_t left = size;
  while (left > 0) {
    auto room = TRY(p.space());
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), left));
    auto n = TRY(reader->read(room.subspan(0, want)));
    if (n == 0)
      return fail(ErrorKind::io, "the content ended after " + std::to_string(size - left) + " of " +
                                     std::to_string(size) + " bytes");
    TRY(p.commit(n));
    left -= n;
  }
  // Read to the end, so a reader that checks its content when it ends (a digest) gets to do so.
  std::byte extra[1];
  auto n = TRY(reader->read(extra));
  if (n != 0) return fail(ErrorKind::io, "the content is longer than the expected " + std::to_string(size) + " bytes");
  return {};
}

Result<void> write_member(detail::Pipeline& p, const Member& m, std::uint64_t mtime) {
  const Entry& e = *m.entry;
  detail::TarHeader h;
  h.name = m.name;
  h.mode = e.mode & 07777;
  h.mtime = mtime;
  h.uid = e.uid;
  h.gid = e.gid;
  std::uint64_t size = 0;
  switch (e.type) {
    case EntryType::file:
      size = e.source || e.open ? e.size : e.data.size();
      h.typeflag = '0';
      break;
    case EntryType::directory:
      h.name += '/';
      h.typeflag = '5';
      break;
    case EntryType::symlink:
      h.typeflag = '2';
      h.linkname = e.link_target;
      break;
    case EntryType::hardlink:
      h.typeflag = '1';
      h.linkname = e.link_target;
      break;
    case EntryType::whiteout:
    case EntryType::opaque_whiteout:
      h.typeflag = '0';
      break;
  }
  h.size = size;
  TRY(p.write(util::as_bytes(detail::encode_tar_header(h))));
  if (e.type != EntryType::file) return {};
  if (e.source) {
    TRY(stream_file(p, *e.source, size));
  } else if (e.open) {
    TRY(stream_opened(p, e.open, size));
  } else {
    TRY(p.write(util::as_bytes(e.data)));
  }
  return p.write_zeros(detail::tar_padding(size));
}

Result<int> resolve_level(const LayerOptions& o) {
  switch (o.compression) {
    case Compression::none:
      return 0;
    case Compression::gzip:
      if (o.level == -1) return default_gzip_level;
      if (o.level < 0 || o.level > 12)  // libdeflate's range; 10-12 beat zlib -9, slowly
        return fail(ErrorKind::invalid_input, "gzip level " + std::to_string(o.level) + " is not in 0..12");
      return o.level;
    case Compression::zstd:
      if (o.level == -1) return default_zstd_level;
      if (o.level < 1 || o.level > ZSTD_maxCLevel())
        return fail(ErrorKind::invalid_input, "zstd level " + std::to_string(o.level) + " is not in 1.." +
                                                  std::to_string(ZSTD_maxCLevel()));
      return o.level;
  }
  return 0;
}

}  // namespace

Result<LayerResult> write_layer(std::vector<Entry> entries, const LayerOptions& options, util::Writer& out) {
  auto level = TRY(resolve_level(options));
  if (options.mtime < 0 || static_cast<std::uint64_t>(options.mtime) > detail::ustar_max_octal11)
    return fail(ErrorKind::invalid_input, "layer mtime " + std::to_string(options.mtime) + " is out of range");
  auto members = TRY(plan(entries));

  unsigned threads = options.threads == 0 ? static_cast<unsigned>(util::hardware_threads()) : options.threads;
  detail::Pipeline pipeline({options.compression, level, std::min(threads, 64u)}, out);
  for (const auto& m : members) {
    TRY_CONTEXT(write_member(pipeline, m, static_cast<std::uint64_t>(options.mtime)),
                "writing layer entry `" + m.name + "`");
  }
  TRY_CONTEXT(pipeline.write_zeros(2 * detail::tar_block), "writing layer");
  auto result = TRY_CONTEXT(pipeline.finish(), "writing layer");
  return result;
}

Result<std::string> encoding_key(const LayerOptions& options) {
  auto level = TRY(resolve_level(options));
  // Bump the tar version whenever this file's tar output changes for the same entries.
  const std::string tar = "tar-v1";
  switch (options.compression) {
    case Compression::none:
      return tar;
    case Compression::gzip:
      // The header's version: libdeflate has no runtime version query, and Debian ships the
      // library and its headers from one source package.
      return tar + " gzip libdeflate-" LIBDEFLATE_VERSION_STRING " level " + std::to_string(level) + " block " +
             std::to_string(gzip_block_size);
    case Compression::zstd:
      return tar + " zstd-" + ZSTD_versionString() + " level " + std::to_string(level);
  }
  return fail(ErrorKind::internal, "unknown compression");
}

Result<std::int64_t> source_date_epoch(std::string_view text) {
  if (text.empty()) return 0;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool digits_only = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || ec != std::errc() || end != text.data() + text.size() ||
      static_cast<std::uint64_t>(value) > detail::ustar_max_octal11)
    return fail(ErrorKind::invalid_input,
                "SOURCE_DATE_EPOCH `" + std::string(text) + "` is not a number of seconds since 1970 (0 to 8589934591)");
  return value;
}

}  // namespace mlpack::archive
