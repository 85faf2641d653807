#include "oci/tar_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "archive/decompress.hpp"
#include "archive/libarchive.hpp"
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

Result<void> extract_tar(const fs::path& path, const fs::path& dest) {
  auto a = TRY(archive::la::new_reader());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  auto what = "reading `" + path.string() + "`";
  if (archive_read_open_filename(a.get(), path.c_str(), 256 * 1024) != ARCHIVE_OK) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return fail(ErrorKind::not_found, what + ": no such file");
    return fail(ErrorKind::invalid_input, what + ": " + archive::la::error_message(a.get()));
  }

  struct Link {
    std::string path;    // where the copy goes
    std::string target;  // archive-relative path of the file it names
  };
  std::vector<Link> links;
  std::vector<char> buf(256 * 1024);
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return fail(ErrorKind::invalid_input, what + ": not a valid tar: " + archive::la::error_message(a.get()));
    const char* raw_name = archive_entry_pathname(e);
    if (!raw_name) return fail(ErrorKind::invalid_input, what + ": a member has no readable name");
    auto rel = safe_relative(raw_name);
    if (!rel) return std::unexpected(rel.error().context(what));
    if (rel->empty()) continue;  // "./"
    auto out_path = dest / *rel;

    if (const char* hard = archive_entry_hardlink(e)) {
      auto target = safe_relative(hard);
      if (!target) return std::unexpected(target.error().context(what));
      links.push_back({*rel, *target});
      continue;
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR:
        if (auto r = util::make_dirs(out_path); !r) return std::unexpected(r.error().context(what));
        break;
      case AE_IFLNK: {
        std::string_view target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        if (target.empty() || target.front() == '/')
          return fail(ErrorKind::integrity, what + ": link `" + *rel + "` points outside the archive");
        auto parent = fs::path(*rel).parent_path().generic_string();
        // Resolved lexically: "../x/layer.tar" from "y/" (docker save's legacy layout) stays
        // inside; anything that climbs above the root does not.
        auto normal = (fs::path(parent) / std::string(target)).lexically_normal().generic_string();
        if (normal.starts_with("..") || normal.starts_with("/"))
          return fail(ErrorKind::integrity, what + ": link `" + *rel + "` points outside the archive");
        links.push_back({*rel, normal});
        break;
      }
      case AE_IFREG: {
        if (auto r = util::make_dirs(out_path.parent_path()); !r) return std::unexpected(r.error().context(what));
        int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) return std::unexpected(util::errno_error("create", out_path, errno).context(what));
        for (;;) {
          la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
          if (n == 0) break;
          if (n < 0) {
            ::close(fd);
            return fail(ErrorKind::invalid_input, what + ": member `" + *rel + "`: " + archive::la::error_message(a.get()));
          }
          for (la_ssize_t off = 0; off < n;) {
            ssize_t w = ::write(fd, buf.data() + off, static_cast<std::size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
              int err = errno;
              ::close(fd);
              return std::unexpected(util::errno_error("write", out_path, err).context(what));
            }
            off += w;
          }
        }
        if (::close(fd) != 0) return std::unexpected(util::errno_error("close", out_path, errno).context(what));
        break;
      }
      default:
        return fail(ErrorKind::integrity, what + ": member `" + *rel + "` is a device, FIFO or socket");
    }
  }

  // Links may precede their targets and may chain, so resolve in passes. Links to nothing (or
  // to directories) are left out: no image file ever names one.
  for (bool progress = true; progress && !links.empty();) {
    progress = false;
    for (auto it = links.begin(); it != links.end();) {
      std::error_code ec;
      auto target = dest / it->target;
      if (fs::is_regular_file(fs::symlink_status(target, ec))) {
        auto out_path = dest / it->path;
        if (auto r = util::make_dirs(out_path.parent_path()); !r) return std::unexpected(r.error().context(what));
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
