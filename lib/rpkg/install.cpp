#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include "archive/entry.hpp"
#include "archive/links.hpp"
#include "archive/reader.hpp"
#include "rpkg/rpkg.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"
#include "util/text.hpp"

namespace mlpack::rpkg {

namespace {

using util::ErrorKind;
using util::fail;

// A DESCRIPTION is a few KiB; a larger one is no package's.
constexpr std::size_t max_description = 1 << 20;

// The tar reader's options for a package from outside: devices and FIFOs refused, symlinks
// reported for check_links, members bounded by the package's total.
archive::ReadOptions read_options(const archive::UnpackLimits& limits) {
  archive::ReadOptions o;
  o.max_member_size = limits.max_total;
  o.max_total_size = limits.max_total;
  o.symlinks = archive::Symlinks::any;
  o.special_files = archive::SpecialFiles::refuse;
  o.malformed = ErrorKind::integrity;
  return o;
}

// The tarball's decompressed content and a cursor over its members.
struct Opened {
  std::unique_ptr<util::FileReader> raw;
  std::unique_ptr<util::Reader> plain;
  std::unique_ptr<archive::TarCursor> cursor;
};

Result<Opened> open_tarball(const fs::path& tarball, const archive::UnpackLimits& limits) {
  Opened o;
  o.raw = TRY(util::FileReader::open(tarball.string()));
  auto detected = TRY(archive::decompress_detected(*o.raw, limits.stream()));
  o.plain = std::move(detected.content);
  o.cursor = TRY(archive::TarCursor::open(*o.plain, read_options(limits)));
  return o;
}

std::string_view top_folder(std::string_view path) {
  return path.substr(0, path.find('/'));
}

std::string ticked(std::string_view text) {
  return "`" + util::printable_excerpt(text, 160) + "`";
}

// A file written once into the staging folder.
class StagedFile final : public util::Writer {
 public:
  static Result<std::unique_ptr<StagedFile>> create(const fs::path& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return std::unexpected(util::errno_error("creating", path, errno));
    return std::unique_ptr<StagedFile>(new StagedFile(fd, path));
  }
  ~StagedFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<void> write(util::Bytes data) override {
    auto p = reinterpret_cast<const char*>(data.data());
    std::size_t left = data.size();
    while (left > 0) {
      auto n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(util::errno_error("writing", path_, errno));
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    return {};
  }
  Result<void> close() {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return std::unexpected(util::errno_error("closing", path_, errno));
    return {};
  }

 private:
  StagedFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  fs::path path_;
};

// One member of the package as read.
struct Member {
  archive::TarType type = archive::TarType::file;
  std::uint32_t mode = 0;
  std::uint64_t size = 0;
  std::string data;                // a small file's content
  std::optional<fs::path> staged;  // a large file's content
  std::string link_target;         // symlinks
  bool elf = false;                // starts with the ELF magic
};

bool is_elf_magic(std::string_view head) {
  return head.size() >= 4 && head.substr(0, 4) == std::string_view(
                                                      "\x7f"
                                                      "ELF",
                                                      4);
}

}  // namespace

Result<cran::PackageRecord> inspect(const fs::path& tarball, const archive::UnpackLimits& limits) {
  const std::string what = "R package tarball " + ticked(tarball.filename().string());
  auto refuse = [&](const std::string& why) { return fail(ErrorKind::integrity, what + ": " + why); };
  auto opened = TRY_CONTEXT(open_tarball(tarball, limits), what);
  std::string top;
  for (;;) {
    auto e = TRY_CONTEXT(opened.cursor->next(), what);
    if (!e) break;
    if (e->path.empty()) continue;  // "./"
    auto folder = top_folder(e->path);
    if (top.empty()) top = folder;
    if (folder != top)
      return refuse("member " + ticked(e->path) + " is outside the top folder `" + top +
                    "/` (a binary package holds one folder, named after the package)");
    if (e->path != top + "/DESCRIPTION") continue;
    if (e->type != archive::TarType::file) return refuse(ticked(e->path) + " is not a regular file");
    auto text =
        TRY_CONTEXT(util::read_all(opened.cursor->content(), max_description), what + ": reading " + ticked(e->path));
    auto record = TRY(cran::parse_description(text, tarball.filename().string() + ": " + e->path));
    if (record.name != top)
      return refuse("DESCRIPTION says `Package: " + util::printable_excerpt(record.name, 80) +
                    "` but the top folder is `" + top + "/`");
    return record;
  }
  if (top.empty()) return refuse("the archive is empty");
  return refuse("no `" + top + "/DESCRIPTION` (not an R package)");
}

Result<Installed> install(const fs::path& tarball, std::string_view name, std::string_view version,
                          std::string_view sha256, const InstallOptions& options) {
  const std::string pkg(name);
  const std::string what = "R package `" + pkg + "` " + std::string(version) + " (" + tarball.filename().string() + ")";
  auto refuse = [&](const std::string& why) { return fail(ErrorKind::integrity, what + ": " + why); };

  // The whole file is what the lock says before anything in it is read.
  auto digest = TRY_CONTEXT(util::sha256_file(tarball.string()), what);
  if (digest.hex() != sha256) return refuse("sha256 " + digest.hex() + " where the lock says " + std::string(sha256));
  auto lock_version = TRY_CONTEXT(cran::Version::parse(version), what);

  std::string site = options.site_library;
  while (site.starts_with('/')) site.erase(0, 1);
  while (site.ends_with('/')) site.pop_back();
  const std::string root = site.empty() ? pkg : site + "/" + pkg;  // the package's folder in the image

  auto opened = TRY_CONTEXT(open_tarball(tarball, options.limits), what);
  std::map<std::string, Member> members;
  std::uint64_t inline_bytes = 0;
  fs::path staging;  // made on first use: one fresh folder per install under options.staging_dir
  std::shared_ptr<util::TempDir> staging_dir;
  std::size_t staged_count = 0;
  std::vector<std::byte> buf(256 << 10);
  for (;;) {
    auto e = TRY_CONTEXT(opened.cursor->next(), what);
    if (!e) break;
    if (e->path.empty()) continue;  // "./"
    if (top_folder(e->path) != pkg)
      return refuse("member " + ticked(e->path) + " is outside `" + pkg +
                    "/` (a binary package's one top folder is the package's name)");
    auto existing = members.find(e->path);
    if (existing != members.end()) {
      if (e->type == archive::TarType::directory && existing->second.type == archive::TarType::directory) continue;
      return refuse(ticked(e->path) + " is in the archive twice");
    }
    Member m;
    m.type = e->type;
    m.mode = e->mode;
    switch (e->type) {
      case archive::TarType::directory:
        break;
      case archive::TarType::symlink:
        m.link_target = e->link_target;
        break;
      case archive::TarType::hardlink: {
        auto target = members.find(e->link_target);
        if (target == members.end() || target->second.type != archive::TarType::file)
          return refuse(ticked(e->path) + " is a hardlink to " + ticked(e->link_target) +
                        ", which is no earlier file of the package");
        m = target->second;
        m.mode = e->mode;
        break;
      }
      case archive::TarType::file: {
        const bool description = e->path == pkg + "/DESCRIPTION";
        if (description && e->size > max_description)
          return refuse(ticked(e->path) + " is " + std::to_string(e->size) + " bytes, over " +
                        std::to_string(max_description));
        const bool small =
            description || (e->size <= options.inline_limit && inline_bytes + e->size <= options.max_inline);
        std::unique_ptr<StagedFile> out;
        if (small) {
          inline_bytes += e->size;
        } else {
          if (options.staging_dir.empty())
            return fail(ErrorKind::internal, what + ": " + ticked(e->path) + " is " + std::to_string(e->size) +
                                                 " bytes and no staging folder was given");
          if (staging.empty()) {
            staging_dir = std::make_shared<util::TempDir>(
                TRY_CONTEXT(util::TempDir::create(options.staging_dir, pkg + ".tmp-"), what));
            staging = staging_dir->path();
          }
          m.staged = staging / std::to_string(staged_count++);
          out = TRY_CONTEXT(StagedFile::create(*m.staged), what);
        }
        std::string head;
        for (;;) {
          auto n = TRY_CONTEXT(opened.cursor->content().read(buf), what + ": reading " + ticked(e->path));
          if (n == 0) break;
          std::string_view chunk(reinterpret_cast<const char*>(buf.data()), n);
          if (head.size() < 4) head.append(chunk.substr(0, 4 - head.size()));
          m.size += n;
          if (out)
            TRY_CONTEXT(out->write({buf.data(), n}), what);
          else
            m.data.append(chunk);
        }
        if (out) TRY_CONTEXT(out->close(), what);
        m.elf = is_elf_magic(head);
        break;
      }
      default:
        return refuse(ticked(e->path) + ": devices and FIFOs are refused");
    }
    members.emplace(e->path, std::move(m));
  }

  // A path the archive uses as a folder must be one (not a file, not a link to elsewhere).
  for (const auto& [path, m] : members)
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto parent = members.find(path.substr(0, slash));
      if (parent != members.end() && parent->second.type != archive::TarType::directory)
        return refuse(ticked(path) + " is below " + ticked(parent->first) + ", which is no folder");
    }

  auto description = members.find(pkg + "/DESCRIPTION");
  if (description == members.end() || description->second.type != archive::TarType::file)
    return refuse("no `" + pkg + "/DESCRIPTION` (not an R package, or a top folder other than the package's name)");
  auto record = TRY_CONTEXT(cran::parse_description(description->second.data, pkg + "/DESCRIPTION"), what);
  if (record.name != pkg)
    return refuse("DESCRIPTION says `Package: " + util::printable_excerpt(record.name, 80) + "`; the lock says `" +
                  pkg + "`");
  if (record.version != lock_version)
    return refuse("DESCRIPTION says `Version: " + util::printable_excerpt(record.version.str(), 80) +
                  "`; the lock says " + std::string(version));
  TRY_CONTEXT(cran::check_loadable(record, options.target_r, options.arch), what);

  std::vector<archive::LinkSpec> links;
  for (const auto& [path, m] : members)
    if (m.type == archive::TarType::symlink) links.push_back({site.empty() ? path : site + "/" + path, m.link_target});
  TRY_CONTEXT(archive::check_links(links, root), what);

  Installed out;
  out.staging = staging_dir;
  out.name = pkg;
  out.version = record.version.str();
  std::map<std::string, archive::Entry> entries;
  auto image_path = [&](const std::string& path) { return site.empty() ? path : site + "/" + path; };
  entries.emplace(root, archive::dir_entry(root));
  for (auto& [path, m] : members) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto dir = image_path(path.substr(0, slash));
      if (!entries.contains(dir)) entries.emplace(dir, archive::dir_entry(dir));
    }
    auto at = image_path(path);
    switch (m.type) {
      case archive::TarType::directory:
        entries.insert_or_assign(at, archive::dir_entry(at));
        break;
      case archive::TarType::symlink:
        entries.emplace(at, archive::symlink_entry(at, m.link_target));
        break;
      default: {
        archive::Entry f;
        f.path = at;
        f.type = archive::EntryType::file;
        f.mode = (m.mode & 0111) ? 0755 : 0644;
        f.size = m.size;
        if (m.staged)
          f.source = *m.staged;
        else
          f.data = m.data;  // a hardlinked copy may share it, so no move
        out.size += m.size;
        if (m.elf && path.starts_with(pkg + "/libs/")) out.shared_objects.push_back(at);
        entries.emplace(at, std::move(f));
      }
    }
  }
  out.entries.reserve(entries.size());
  for (auto& [path, e] : entries) out.entries.push_back(std::move(e));
  out.record = std::move(record);
  return out;
}

std::vector<archive::Entry> site_library_dirs(std::string_view site_library) {
  std::vector<archive::Entry> out;
  std::string path;
  for (const auto& part : util::split(site_library, '/')) {
    if (part.empty()) continue;
    path += (path.empty() ? "" : "/") + part;
    out.push_back(archive::dir_entry(path));
  }
  return out;
}

}  // namespace mlpack::rpkg
