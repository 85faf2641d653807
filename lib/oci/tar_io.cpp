#include "oci/tar_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "archive/decompress.hpp"
#include "archive/reader.hpp"
#include "archive/tar_writer.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::oci::tar_io {

using util::ErrorKind;
using util::fail;


Result<std::string> safe_relative(std::string_view name) {
  std::string original(name);
  if (!name.empty() && name.front() == '/')
    return fail(ErrorKind::integrity, "archive member `" + original + "` has an absolute path");
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto slash = name.find('/', start);
    auto part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return fail(ErrorKind::integrity, "archive member `" + original + "` escapes the archive (`..`)");
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (auto p : parts) out += (out.empty() ? "" : "/") + std::string(p);
  return out;
}

Result<void> write_tar(const std::vector<Member>& members, util::Writer& out) {
  archive::TarWriter tar(out);
  for (const auto& m : members) {
    if (m.source.empty()) {
      TRY(tar.add_directory(m.name));
      continue;
    }
    std::error_code ec;
    auto size = fs::file_size(m.source, ec);
    if (ec) return fail(ErrorKind::io, "stat `" + m.source.string() + "`: " + ec.message());
    auto reader = TRY(util::FileReader::open(m.source.string()));
    TRY_CONTEXT(tar.add_file(m.name, size, *reader), "archiving `" + m.source.string() + "`");
  }
  return tar.finish();
}

Result<std::vector<Member>> list_tree(const fs::path& root) {
  std::vector<Member> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto rel = fs::relative(it->path(), root, ec).generic_string();
    if (ec) break;
    if (it->is_directory(ec))
      out.push_back({rel + "/", {}});
    else if (it->is_regular_file(ec))
      out.push_back({rel, it->path()});
    else
      return fail(ErrorKind::io, "`" + it->path().string() + "` is neither a file nor a directory");
  }
  if (ec) return fail(ErrorKind::io, "listing `" + root.string() + "`: " + ec.message());
  std::sort(out.begin(), out.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
  return out;
}

namespace {

// Writes `content` to a new file at `path` (not following a link there).
Result<void> write_new_file(const fs::path& path, util::Reader& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected(util::errno_error("create", path, errno));
  std::vector<std::byte> buf(256 * 1024);
  for (;;) {
    auto n = content.read(buf);
    if (!n) {
      ::close(fd);
      return std::unexpected(n.error());
    }
    if (*n == 0) break;
    for (std::size_t off = 0; off < *n;) {
      ssize_t w = ::write(fd, buf.data() + off, *n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        int err = errno;
        ::close(fd);
        return std::unexpected(util::errno_error("write", path, err));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  if (::close(fd) != 0) return std::unexpected(util::errno_error("close", path, errno));
  return {};
}

}  // namespace

Result<void> extract_tar(const fs::path& path, const fs::path& dest) {
  auto what = "reading `" + path.string() + "`";
  std::error_code ec;
  if (!fs::exists(path, ec)) return fail(ErrorKind::not_found, what + ": no such file");
  auto file = TRY_CONTEXT(util::FileReader::open(path.string()), what);
  auto tar = TRY_CONTEXT(archive::decompress_detected(*file), what);

  struct Link {
    std::string path;    // where the copy goes
    std::string target;  // archive-relative path of the file it names
  };
  std::vector<Link> links;
  auto visit = [&](const archive::TarEntry& e, util::Reader& content) -> Result<void> {
    if (e.path.empty()) return {};  // "./"
    auto out_path = dest / e.path;
    switch (e.type) {
      case archive::TarType::hardlink: links.push_back({e.path, e.link_target}); return {};
      case archive::TarType::directory: return util::make_dirs(out_path);
      case archive::TarType::symlink:
        // Resolved lexically: "../x/layer.tar" from "y/" (docker save's legacy layout) stays
        // inside (the reader refused what climbs above the root); an image archive has no
        // absolute links.
        if (e.link_target.starts_with('/'))
          return fail(ErrorKind::integrity, "link `" + e.path + "` points outside the archive");
        links.push_back({e.path, *archive::resolve_symlink(e.path, e.link_target)});
        return {};
      case archive::TarType::file:
        TRY(util::make_dirs(out_path.parent_path()));
        return write_new_file(out_path, content);
      default:  // refused by the reader (SpecialFiles::refuse)
        return fail(ErrorKind::integrity, "member `" + e.path + "` is a device or FIFO");
    }
  };
  TRY_CONTEXT(archive::read_tar_stream(*tar.content, visit,
                                       {.symlinks = archive::Symlinks::inside_root,
                                        .special_files = archive::SpecialFiles::refuse,
                                        .malformed = ErrorKind::invalid_input}),
              what);

  // Links may precede their targets and may chain, so resolve in passes. Links to nothing (or
  // to directories) are left out: no image file ever names one.
  for (bool progress = true; progress && !links.empty();) {
    progress = false;
    for (auto it = links.begin(); it != links.end();) {
      std::error_code ec;
      auto target = dest / it->target;
      if (fs::is_regular_file(fs::symlink_status(target, ec))) {
        auto out_path = dest / it->path;
        TRY_CONTEXT(util::make_dirs(out_path.parent_path()), what);
        fs::remove(out_path, ec);
        fs::copy_file(target, out_path, ec);
        if (ec) return fail(ErrorKind::io, what + ": copying `" + it->target + "` to `" + it->path + "`: " + ec.message());
        it = links.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  return {};
}

Result<std::uint64_t> decompress(util::Reader& in, util::Writer& out) {
  auto d = TRY_CONTEXT(archive::decompress_detected(in), "decompressing layer");
  return TRY_CONTEXT(util::copy(*d.content, out), "decompressing layer");
}

}  // namespace mlpack::oci::tar_io
