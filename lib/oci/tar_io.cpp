#include "oci/tar_io.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "util/fs.hpp"

namespace mlpack::oci::tar_io {

using util::ErrorKind;
using util::fail;

namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using WriteArchive = std::unique_ptr<archive, ArchiveDeleter>;
using ReadArchive = std::unique_ptr<archive, ReadArchiveDeleter>;
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

std::string archive_message(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

// libarchive calls back into our Writer; the Writer's own error is kept so it reaches the caller
// intact (e.g. "write `x`: No space left on device") rather than as libarchive's paraphrase.
struct WriteContext {
  util::Writer* out;
  std::optional<util::Error> error;
};

la_ssize_t write_callback(archive* a, void* ctx, const void* buf, size_t n) {
  auto* c = static_cast<WriteContext*>(ctx);
  if (auto r = c->out->write({static_cast<const std::byte*>(buf), n}); !r) {
    c->error = r.error();
    archive_set_error(a, EIO, "write failed");
    return -1;
  }
  return static_cast<la_ssize_t>(n);
}

struct ReadContext {
  util::Reader* in;
  std::vector<std::byte> buf = std::vector<std::byte>(256 * 1024);
  std::optional<util::Error> error;
};

la_ssize_t read_callback(archive* a, void* ctx, const void** out) {
  auto* c = static_cast<ReadContext*>(ctx);
  auto n = c->in->read(c->buf);
  if (!n) {
    c->error = n.error();
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
  *out = c->buf.data();
  return static_cast<la_ssize_t>(*n);
}

}  // namespace

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
  WriteArchive a(archive_write_new());
  WriteContext ctx{&out, std::nullopt};
  // pax_restricted writes plain ustar headers unless a name needs an extension, so the output
  // is what every tar reader (docker load, skopeo, Go's archive/tar) understands.
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto failed = [&](const std::string& what) -> Result<void> {
    if (ctx.error) return std::unexpected(*ctx.error);
    return fail(ErrorKind::io, what + ": " + archive_message(a.get()));
  };
  if (archive_write_open(a.get(), &ctx, nullptr, write_callback, nullptr) != ARCHIVE_OK)
    return failed("starting tar");

  std::vector<std::byte> buf(256 * 1024);
  for (const auto& m : members) {
    Entry e(archive_entry_new());
    archive_entry_set_pathname(e.get(), m.name.c_str());
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), 0, 0);
    std::unique_ptr<util::FileReader> reader;
    std::uint64_t size = 0;
    if (m.source.empty()) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      archive_entry_set_perm(e.get(), 0755);
    } else {
      std::error_code ec;
      size = fs::file_size(m.source, ec);
      if (ec) return fail(ErrorKind::io, "stat `" + m.source.string() + "`: " + ec.message());
      auto r = util::FileReader::open(m.source.string());
      if (!r) return std::unexpected(r.error());
      reader = std::move(*r);
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_perm(e.get(), 0644);
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    }
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return failed("writing tar header for `" + m.name + "`");
    std::uint64_t written = 0;
    while (reader) {
      auto n = reader->read(buf);
      if (!n) return std::unexpected(n.error());
      if (*n == 0) break;
      if (written + *n > size)
        return fail(ErrorKind::io, "`" + m.source.string() + "` grew while it was being archived");
      if (archive_write_data(a.get(), buf.data(), *n) != static_cast<la_ssize_t>(*n))
        return failed("writing `" + m.name + "` to tar");
      written += *n;
    }
    if (written != size) return fail(ErrorKind::io, "`" + m.source.string() + "` shrank while it was being archived");
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return failed("finishing tar");
  return {};
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
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  auto what = "reading `" + path.string() + "`";
  if (archive_read_open_filename(a.get(), path.c_str(), 256 * 1024) != ARCHIVE_OK) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return fail(ErrorKind::not_found, what + ": no such file");
    return fail(ErrorKind::invalid_input, what + ": " + archive_message(a.get()));
  }

  struct Link {
    std::string path;    // where the copy goes
    std::string target;  // archive-relative path of the file it names
  };
  std::vector<Link> links;
  std::vector<char> buf(256 * 1024);
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return fail(ErrorKind::invalid_input, what + ": not a valid tar: " + archive_message(a.get()));
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
            return fail(ErrorKind::invalid_input, what + ": member `" + *rel + "`: " + archive_message(a.get()));
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
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  ReadContext ctx{&in};
  auto failed = [&](const std::string& what) -> Result<std::uint64_t> {
    if (ctx.error) return std::unexpected(*ctx.error);
    return fail(ErrorKind::integrity, what + ": " + archive_message(a.get()));
  };
  if (archive_read_open(a.get(), &ctx, nullptr, read_callback, nullptr) != ARCHIVE_OK)
    return failed("reading compressed layer");
  std::uint64_t total = 0;
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(a.get(), &e);
  if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    std::vector<std::byte> buf(256 * 1024);
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) return failed("decompressing layer");
      if (auto w = out.write({buf.data(), static_cast<std::size_t>(n)}); !w) return std::unexpected(w.error());
      total += static_cast<std::uint64_t>(n);
    }
  } else if (rc != ARCHIVE_EOF) {
    return failed("reading compressed layer");
  }
  // libarchive may stop before the end (gzip trailer padding); read the rest so a verifying
  // reader checks the whole blob.
  std::vector<std::byte> rest(64 * 1024);
  for (;;) {
    auto n = in.read(rest);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
  }
  if (ctx.error) return std::unexpected(*ctx.error);
  return total;
}

}  // namespace mlpack::oci::tar_io
