#include "deb/deb_file.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "archive/decompress.hpp"
#include "archive/libarchive.hpp"
#include "archive/reader.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"
#include "util/cleanup.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::deb {

namespace {

using util::Error;
using util::ErrorKind;

constexpr std::array<std::string_view, 6> merged_top_dirs = {"bin", "lib", "lib32", "lib64", "libx32", "sbin"};

using ArchivePtr = archive::la::ReadArchive;

struct EvpFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// MD5 is what dpkg records (md5sums, Conffiles); it is not used for integrity here.
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr); }
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &len);
    return util::to_hex({reinterpret_cast<const std::byte*>(out.data()), len});
  }

 private:
  std::unique_ptr<EVP_MD_CTX, EvpFree> ctx_;
};

Error integrity(std::string message) {
  return Error{ErrorKind::integrity, std::move(message)};
}

std::string archive_message(struct archive* a) { return archive::la::error_message(a); }

// Splits a "/"-separated path into components, dropping empty and "." ones.
std::vector<std::string> components(std::string_view p) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= p.size()) {
    auto slash = p.find('/', i);
    auto c = p.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (!c.empty() && c != ".") out.emplace_back(c);
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += '/';
    out += parts[i];
  }
  return out;
}

bool is_merged_dir(std::string_view top) {
  return std::find(merged_top_dirs.begin(), merged_top_dirs.end(), top) != merged_top_dirs.end();
}

// usrmerge applied to components: bin/x -> usr/bin/x.
std::vector<std::string> merge_path(std::vector<std::string> parts) {
  if (!parts.empty() && is_merged_dir(parts.front())) parts.insert(parts.begin(), "usr");
  return parts;
}

std::string relative_path(const std::vector<std::string>& from_dir, const std::vector<std::string>& to) {
  std::size_t k = 0;
  while (k < from_dir.size() && k < to.size() && from_dir[k] == to[k]) ++k;
  std::string out;
  for (std::size_t i = k; i < from_dir.size(); ++i) out += "../";
  out += join(to, k);
  if (out.empty()) return ".";
  if (out.ends_with('/')) out.pop_back();
  return out;
}

std::vector<std::string> parent_of(std::vector<std::string> parts) {
  if (!parts.empty()) parts.pop_back();
  return parts;
}

// A member of data.tar as read, before usrmerge.
struct RawMember {
  std::vector<std::string> parts;  // normalised path
  archive::EntryType type = archive::EntryType::file;
  std::uint32_t mode = 0;
  std::string link_target;  // symlink: verbatim; hardlink: normalised path of the file
  std::optional<fs::path> source;
  std::uint64_t size = 0;
  std::string md5;
};

// The current ar member's data as a stream, for archive::decompress.
class OuterMember final : public util::Reader {
 public:
  explicit OuterMember(struct archive* outer) : outer_(outer) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = archive_read_data(outer_, out.data(), out.size());
    if (n < 0) return std::unexpected(integrity(archive_message(outer_)));
    return static_cast<std::size_t>(n);
  }

 private:
  struct archive* outer_;
};

// A tar member of the .deb (control.tar.*, data.tar.*), decompressed as its name says and read
// by archive's tar reader, so the package gets the same rules as every other tar. Errors name the
// member.
Result<void> read_inner_tar(struct archive* outer, std::string_view member, const archive::TarVisitor& visit,
                            const archive::ReadOptions& options, const archive::DecompressOptions& bounds = {}) {
  OuterMember in(outer);
  auto content = TRY_CONTEXT(archive::decompress(in, archive::codec_of(member), bounds), member);
  TRY_CONTEXT(archive::read_tar_stream(*content, visit, options), member);
  return {};
}

std::string entry_path(struct archive_entry* e) {
  if (const char* p = archive_entry_pathname(e)) return p;
  if (const char* p = archive_entry_pathname_utf8(e)) return p;
  return {};
}

// Reads the rest of `in` into a string, refusing more than `limit` bytes.
Result<std::string> read_member(util::Reader& in, std::string_view name, std::uint64_t limit) {
  std::string out;
  std::array<char, 1 << 16> buf;
  for (;;) {
    auto n = TRY_CONTEXT(in.read(std::as_writable_bytes(std::span(buf))), "`" + std::string(name) + "`");
    if (n == 0) return out;
    if (out.size() + n > limit)
      return std::unexpected(integrity("`" + std::string(name) + "` is larger than " + util::human_bytes(limit)));
    out.append(buf.data(), n);
  }
}

struct Staged {
  std::optional<fs::path> source;  // empty for an empty file
  std::uint64_t size = 0;
  std::string md5;
};

// Streams the current member into `<dir>/<sha256>` (written under a temporary name, then renamed:
// the same content from another package lands on the same name). No fsync: staging is scratch
// space that a failed build simply rewrites.
Result<Staged> stage_member(util::Reader& in, const std::string& name, const fs::path& dir, std::uint64_t limit,
                            std::uint64_t& total, std::uint64_t total_limit) {
  Staged st;
  Md5 md5;
  util::Sha256Writer sha;
  // The temporary name has `.tmp-` and the file is locked while it lives (util/cleanup.hpp), so
  // what a killed run leaves is swept by the next one.
  std::string temp;
  int fd = -1;
  util::TempRegistration registration;
  auto cleanup = [&] {
    ::unlink(temp.c_str());  // before close: the lock outlives the name
    if (fd >= 0) ::close(fd);
    fd = -1;
    registration.reset();
  };
  auto create = [&]() -> Result<void> {
    for (int attempt = 0; attempt < 8; ++attempt) {
      temp = (dir / ".staging.tmp-XXXXXX").string();
      registration = TRY(util::create_registered_temp(util::TempKind::file, [&]() -> Result<fs::path> {
        fd = ::mkstemp(temp.data());
        if (fd < 0) return std::unexpected(util::errno_error("creating", temp, errno));
        return fs::path(temp);
      }));
      auto held = util::hold_temp(fd, temp);
      if (held && *held) return {};
      ::close(fd);
      fd = -1;
      registration.reset();
      if (!held) {
        ::unlink(temp.c_str());
        return std::unexpected(held.error());
      }
    }
    return util::fail(util::ErrorKind::io, "creating a staging file in `" + dir.string() + "`: removed by another process 8 times");
  };
  std::array<char, 1 << 16> buf;
  for (;;) {
    auto got = in.read(std::as_writable_bytes(std::span(buf)));
    if (!got) {
      if (fd >= 0) cleanup();
      return std::unexpected(got.error());
    }
    std::size_t n = *got;
    if (n == 0) break;
    st.size += n;
    total += n;
    if (st.size > limit || total > total_limit) {
      if (fd >= 0) cleanup();
      return std::unexpected(integrity("`" + name + "`: " +
                                       (st.size > limit ? "member is larger than " + util::human_bytes(limit)
                                                        : "data is larger than " + util::human_bytes(total_limit))));
    }
    if (fd < 0) TRY(create());
    md5.update(buf.data(), n);
    sha.update({reinterpret_cast<const std::byte*>(buf.data()), n});
    for (std::size_t off = 0; off < n;) {
      auto w = ::write(fd, buf.data() + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        int err = errno;
        cleanup();
        return std::unexpected(util::errno_error("writing", temp, err));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  st.md5 = md5.finish();
  if (fd < 0) return st;  // empty: kept in memory as Entry::data
  auto dest = dir / sha.finish().hex();
  // Renamed while still open (and locked): a sweep never sees the name unlocked.
  if (::rename(temp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    cleanup();
    return std::unexpected(util::errno_error("renaming into", dest, err));
  }
  registration.reset();
  if (::close(fd) != 0) {
    fd = -1;
    return std::unexpected(util::errno_error("closing", dest, errno));
  }
  fd = -1;
  st.source = dest;
  return st;
}

struct ControlData {
  std::string control, md5sums, conffiles;
  bool has_md5sums = false;
  std::string postinst;
  std::vector<std::string> others;
};

Result<ControlData> read_control_tar(struct archive* outer, std::string_view member, const DebOptions& options) {
  ControlData cd;
  bool has_control = false;
  std::uint64_t total = 0;
  auto visit = [&](const archive::TarEntry& e, util::Reader& content) -> Result<void> {
    if (e.path.empty() || e.type == archive::TarType::directory) return {};
    if (e.type != archive::TarType::file) return std::unexpected(integrity("`" + e.path + "` is not a regular file"));
    auto body = TRY(read_member(content, e.path, options.max_control_size - std::min(total, options.max_control_size)));
    total += body.size();
    if (e.path == "control") {
      cd.control = std::move(body);
      has_control = true;
    } else if (e.path == "md5sums") {
      cd.md5sums = std::move(body);
      cd.has_md5sums = true;
    } else if (e.path == "conffiles") {
      cd.conffiles = std::move(body);
    } else {
      if (e.path == "postinst") cd.postinst = body;
      cd.others.push_back(e.path);
    }
    return {};
  };
  TRY(read_inner_tar(outer, member, visit, {.max_member_size = options.max_control_size}));
  if (!has_control) return std::unexpected(integrity(std::string(member) + ": no `control` file"));
  std::sort(cd.others.begin(), cd.others.end());
  return cd;
}

// Reads data.tar into `members` (archive order) and dpkg's file list. Beyond the tar reader's
// rules (paths, symlinks that escape the root, devices and FIFOs, sizes), a hard link must name a
// file earlier in the archive and a path may appear twice only as a directory.
Result<void> read_data_tar(struct archive* outer, std::string_view member, const DebOptions& options,
                           std::vector<RawMember>& members, std::vector<std::string>& file_list) {
  std::map<std::string, std::size_t> seen;  // path -> index in members
  std::uint64_t total = 0;
  auto visit = [&](const archive::TarEntry& e, util::Reader& content) -> Result<void> {
    if (e.path.empty()) {  // the root directory itself ("./")
      file_list.push_back("/.");
      return {};
    }
    RawMember m;
    m.parts = components(e.path);
    m.mode = e.mode;
    m.link_target = e.link_target;
    switch (e.type) {
      case archive::TarType::hardlink: {
        auto it = seen.find(e.link_target);
        if (it == seen.end() || members[it->second].type != archive::EntryType::file)
          return std::unexpected(
              integrity("hard link `" + e.path + "` -> `" + e.link_target + "`: not a file earlier in the archive"));
        m.type = archive::EntryType::hardlink;
        m.md5 = members[it->second].md5;
        m.size = members[it->second].size;
        break;
      }
      case archive::TarType::file: {
        auto st = TRY(stage_member(content, e.path, options.staging_dir, options.max_member_size, total,
                                   options.unpack.max_total));
        m.type = archive::EntryType::file;
        m.source = st.source;
        m.size = st.size;
        m.md5 = st.md5;
        break;
      }
      case archive::TarType::directory: m.type = archive::EntryType::directory; break;
      case archive::TarType::symlink: m.type = archive::EntryType::symlink; break;
      default:  // refused by the reader (SpecialFiles::refuse)
        return std::unexpected(integrity("member `" + e.path + "` is of an unexpected type"));
    }
    if (auto it = seen.find(e.path); it != seen.end()) {
      if (m.type == archive::EntryType::directory && members[it->second].type == m.type) return {};
      return std::unexpected(integrity("member `" + e.path + "` appears twice"));
    }
    file_list.push_back("/" + e.path);
    seen.emplace(e.path, members.size());
    members.push_back(std::move(m));
    return {};
  };
  auto read = read_inner_tar(outer, member, visit,
                             {.max_member_size = options.max_member_size,
                              .symlinks = archive::Symlinks::inside_root,
                              .special_files = archive::SpecialFiles::refuse},
                             options.unpack.stream());
  // The unpack limits' refusals say how to raise them.
  if (!read && !options.unpack.raise_hint.empty() &&
      (read.error().message.find("decompresses to more than") != std::string::npos ||
       read.error().message.find("data is larger than") != std::string::npos))
    return util::fail(read.error().kind, read.error().message + "; " + options.unpack.raise_hint);
  return read;
}

// Applies usrmerge (or not) and turns raw members into sorted layer entries.
Result<std::vector<archive::Entry>> build_entries(std::vector<RawMember>& members, UsrMerge usrmerge,
                                                  std::vector<std::string>& merged_dirs) {
  std::set<std::string> merged;
  struct Candidate {
    archive::Entry entry;
    bool moved = false;
    std::string original;  // path as shipped, for hard link groups
  };
  std::map<std::string, Candidate> by_path;
  for (auto& m : members) {
    auto new_parts = usrmerge == UsrMerge::yes ? merge_path(m.parts) : m.parts;
    bool moved = new_parts.size() != m.parts.size();
    if (moved) merged.insert(m.parts.front());
    Candidate c;
    c.moved = moved;
    c.original = join(m.parts);
    c.entry.path = join(new_parts);
    c.entry.type = m.type;
    c.entry.mode = m.mode;
    c.entry.source = m.source;
    c.entry.size = m.size;
    if (m.type == archive::EntryType::symlink) {
      c.entry.link_target = m.link_target;
      if (usrmerge == UsrMerge::yes) {
        // The reader refused targets that climb out of the root (Symlinks::inside_root).
        auto resolved = merge_path(components(*archive::resolve_symlink(c.original, m.link_target)));
        // A compatibility link onto its own merged location (lib/x -> /usr/lib/x) would loop.
        if (resolved == new_parts) continue;
        if (moved && !m.link_target.starts_with('/'))
          c.entry.link_target = relative_path(parent_of(new_parts), resolved);
      }
    } else if (m.type == archive::EntryType::hardlink) {
      c.entry.link_target = m.link_target;  // still the shipped path; rewritten below
    }
    auto [it, inserted] = by_path.try_emplace(c.entry.path, c);
    if (inserted) continue;
    Candidate& old = it->second;
    bool old_dir = old.entry.type == archive::EntryType::directory;
    bool new_dir = c.entry.type == archive::EntryType::directory;
    if (old_dir && new_dir) {
      if (!c.moved) old = c;  // prefer the mode of the usr/ directory
      continue;
    }
    if (old_dir != new_dir)
      return std::unexpected(integrity("`" + c.original + "` and `" + old.original + "` are both `" + c.entry.path +
                                       "` after usrmerge, one a directory and one not"));
    if (!c.moved) old = c;  // the file shipped under usr/ wins over its alias
  }

  // Hard link groups: the first path in sorted order carries the content, the others link to it.
  std::map<std::string, std::string> original_to_merged;
  for (auto& [path, c] : by_path) original_to_merged[c.original] = path;
  std::map<std::string, std::vector<std::string>> groups;  // merged file path -> merged paths in group
  for (auto& [path, c] : by_path)
    if (c.entry.type == archive::EntryType::hardlink) {
      auto t = original_to_merged.find(c.entry.link_target);
      if (t == original_to_merged.end() || by_path[t->second].entry.type != archive::EntryType::file)
        return std::unexpected(integrity("hard link `" + c.original + "` -> `" + c.entry.link_target +
                                         "`: its file was dropped by usrmerge"));
      groups[t->second].push_back(path);
    }
  for (auto& [file, links] : groups) {
    links.push_back(file);
    std::sort(links.begin(), links.end());
    const std::string& first = links.front();
    if (first == file) {
      for (std::size_t i = 1; i < links.size(); ++i) by_path[links[i]].entry.link_target = first;
      continue;
    }
    archive::Entry content = by_path[file].entry;
    for (const auto& p : links) {
      auto& e = by_path[p].entry;
      if (p == first) {
        std::uint32_t mode = e.mode;
        e = content;
        e.path = p;
        e.mode = mode;
      } else {
        e.type = archive::EntryType::hardlink;
        e.link_target = first;
        e.source.reset();
      }
    }
  }

  std::vector<archive::Entry> out;
  out.reserve(by_path.size());
  for (auto& [path, c] : by_path) out.push_back(std::move(c.entry));
  merged_dirs.assign(merged.begin(), merged.end());
  return out;
}

Result<std::vector<Conffile>> parse_conffiles(std::string_view text, const std::vector<RawMember>& members) {
  std::map<std::string, std::string> md5_of;
  for (const auto& m : members)
    if (m.type == archive::EntryType::file || m.type == archive::EntryType::hardlink)
      md5_of["/" + join(m.parts)] = m.md5;
  std::vector<Conffile> out;
  for (auto& line : util::split(text, '\n')) {
    auto l = util::trim(line);
    if (l.empty()) continue;
    if (!l.starts_with('/')) {
      // "remove-on-upgrade /etc/x": a flag before the path. Such a conffile is not shipped.
      auto space = l.find(' ');
      if (space == std::string::npos)
        return std::unexpected(Error{ErrorKind::integrity, "conffiles: malformed line `" + l + "`"});
      if (l.substr(0, space) == "remove-on-upgrade") continue;
      l = util::trim(l.substr(space + 1));
    }
    auto it = md5_of.find(l);
    if (it == md5_of.end())
      return std::unexpected(Error{ErrorKind::integrity, "conffile `" + l + "` is not a file of the package"});
    out.push_back({l, it->second});
  }
  return out;
}

}  // namespace

std::string DebFile::db_name() const {
  return multi_arch == "same" ? package + ":" + architecture : package;
}

Result<DebFile> read_deb(util::Reader& in, const DebOptions& options) {
  DebFile out;
  std::string who = "package `" + (options.label.empty() ? std::string("?") : options.label) + "`";
  auto named = [&](Error e) { return std::unexpected(std::move(e).context(who)); };

  if (options.staging_dir.empty()) return named(Error{ErrorKind::internal, "no staging directory given"});
  TRY_CONTEXT(util::make_dirs(options.staging_dir), who);

  archive::la::ReaderSource src(in, 1 << 16);
  ArchivePtr outer = TRY_CONTEXT(archive::la::new_reader(), who);
  archive_read_support_format_ar(outer.get());
  if (archive::la::open_reader(outer.get(), src) != ARCHIVE_OK)
    return named(src.error ? *src.error : integrity("not a .deb (ar) archive: " + archive_message(outer.get())));

  enum class Stage { start, binary, control, data } stage = Stage::start;
  std::vector<RawMember> members;
  ControlData control;
  struct archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(outer.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return named(src.error ? *src.error : integrity("not a valid .deb: " + archive_message(outer.get())));
    std::string name = entry_path(e);
    while (name.ends_with('/')) name.pop_back();  // GNU ar terminates names with '/'
    if (stage == Stage::start) {
      if (name != "debian-binary")
        return named(integrity("not a .deb: first member is `" + name + "`, not `debian-binary`"));
      OuterMember content(outer.get());
      auto body = TRY_CONTEXT(read_member(content, name, 64), who);
      if (!body.starts_with("2.")) return named(integrity("unsupported .deb format `" + util::trim(body) + "`"));
      stage = Stage::binary;
    } else if (name == "control.tar" || name == "control.tar.gz" || name == "control.tar.xz" ||
               name == "control.tar.zst") {
      if (stage != Stage::binary) return named(integrity("unexpected `" + name + "` member"));
      control = TRY_CONTEXT(read_control_tar(outer.get(), name, options), who);
      auto ps = TRY_CONTEXT(parse_paragraphs(control.control, "control"), who);
      if (ps.size() != 1) return named(integrity("control file must hold exactly one paragraph"));
      out.control = std::move(ps.front());
      out.package = out.control.get_or("Package");
      out.version = out.control.get_or("Version");
      out.architecture = out.control.get_or("Architecture");
      out.multi_arch = out.control.get_or("Multi-Arch");
      if (!valid_package_name(out.package))
        return named(integrity("control file has an invalid `Package` field `" + out.package + "`"));
      who = "package `" + out.package + "`" + (options.label.empty() ? "" : " (" + options.label + ")");
      TRY_CONTEXT(Version::parse(out.version), who);
      if (out.architecture.empty()) return named(integrity("control file has no `Architecture` field"));
      stage = Stage::control;
    } else if (name == "data.tar" || name == "data.tar.gz" || name == "data.tar.xz" || name == "data.tar.zst" ||
               name == "data.tar.bz2" || name == "data.tar.lzma") {
      if (stage != Stage::control) return named(integrity("`" + name + "` before the control member"));
      TRY_CONTEXT(read_data_tar(outer.get(), name, options, members, out.file_list), who);
      stage = Stage::data;
    } else if (name.starts_with('_')) {
      continue;  // deb(5): members starting with '_' may be ignored
    } else {
      return named(integrity("unexpected member `" + name + "`"));
    }
  }
  if (stage != Stage::data) return named(integrity("truncated .deb: no data member"));

  out.conffiles = TRY_CONTEXT(parse_conffiles(control.conffiles, members), who);
  if (control.has_md5sums) {
    out.md5sums = std::move(control.md5sums);
  } else {
    std::set<std::string> conf;
    for (const auto& c : out.conffiles) conf.insert(c.path);
    for (const auto& m : members)
      if ((m.type == archive::EntryType::file || m.type == archive::EntryType::hardlink) &&
          !conf.contains("/" + join(m.parts)))
        out.md5sums += m.md5 + "  " + join(m.parts) + "\n";
  }
  out.skipped_control_members = std::move(control.others);
  out.alternatives = parse_alternatives(control.postinst);
  out.entries = TRY_CONTEXT(build_entries(members, options.usrmerge, out.merged_dirs), who);
  return out;
}

Result<DebFile> read_deb(const fs::path& path, DebOptions options) {
  if (options.label.empty()) options.label = path.filename().string();
  auto f = TRY_CONTEXT(util::FileReader::open(path.string()), "package `" + options.label + "`");
  return read_deb(*f, options);
}

Result<void> read_data_members(const fs::path& path, const archive::UnpackLimits& limits,
                               const archive::TarVisitor& visit) {
  std::string who = "package `" + path.filename().string() + "`";
  auto f = TRY_CONTEXT(util::FileReader::open(path.string()), who);
  archive::la::ReaderSource src(*f, 1 << 16);
  ArchivePtr outer = TRY_CONTEXT(archive::la::new_reader(), who);
  archive_read_support_format_ar(outer.get());
  if (archive::la::open_reader(outer.get(), src) != ARCHIVE_OK)
    return util::fail(ErrorKind::integrity, who + ": not a .deb (ar) archive: " + archive_message(outer.get()));
  struct archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(outer.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      if (src.error) return std::unexpected(std::move(*src.error).context(who));
      return util::fail(ErrorKind::integrity, who + ": not a valid .deb: " + archive_message(outer.get()));
    }
    std::string name = entry_path(e);
    while (name.ends_with('/')) name.pop_back();
    if (!name.starts_with("data.tar")) continue;
    TRY_CONTEXT(read_inner_tar(outer.get(), name, visit,
                               {.max_member_size = limits.max_total,
                                .symlinks = archive::Symlinks::inside_root,
                                .special_files = archive::SpecialFiles::refuse},
                               limits.stream()),
                who);
    return {};
  }
  return util::fail(ErrorKind::integrity, who + ": truncated .deb: no data member");
}

std::vector<archive::Entry> usrmerge_links(std::span<const std::string> dirs) {
  std::vector<archive::Entry> out;
  for (const auto& d : dirs) {
    archive::Entry e;
    e.path = d;
    e.type = archive::EntryType::symlink;
    e.mode = 0777;
    e.link_target = "usr/" + d;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

Result<MergedEntries> merge_entries(std::span<const std::vector<archive::Entry>> lists) {
  std::map<std::string, archive::Entry> by_path;
  MergedEntries out;
  for (const auto& list : lists)
    for (const auto& e : list) {
      auto [it, inserted] = by_path.try_emplace(e.path, e);
      if (inserted) continue;
      bool old_dir = it->second.type == archive::EntryType::directory;
      bool new_dir = e.type == archive::EntryType::directory;
      if (old_dir && new_dir) continue;
      if (old_dir != new_dir)
        return util::fail(ErrorKind::integrity,
                          "`" + e.path + "` is a directory in one package and not a directory in another");
      it->second = e;
      out.overwritten.push_back(e.path);
    }
  for (auto& [p, e] : by_path) out.entries.push_back(std::move(e));
  std::sort(out.overwritten.begin(), out.overwritten.end());
  out.overwritten.erase(std::unique(out.overwritten.begin(), out.overwritten.end()), out.overwritten.end());
  return out;
}

std::vector<Alternative> parse_alternatives(std::string_view script) {
  // Join continued lines, then read each command's words. Only literal paths are taken: a word
  // with a shell expansion cannot be known without running the script.
  std::string joined;
  for (std::size_t i = 0; i < script.size(); ++i) {
    if (script[i] == '\\' && i + 1 < script.size() && script[i + 1] == '\n') {
      ++i;
      joined += ' ';
    } else {
      joined += script[i];
    }
  }
  std::vector<Alternative> out;
  std::size_t start = 0;
  while (start < joined.size()) {
    auto nl = joined.find('\n', start);
    std::string_view line(joined.data() + start, (nl == std::string::npos ? joined.size() : nl) - start);
    start = nl == std::string::npos ? joined.size() : nl + 1;
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != ';') ++j;
      if (j > i) words.emplace_back(line.substr(i, j - i));
      if (j < line.size() && line[j] == ';') words.emplace_back(";");
      i = j + 1;
    }
    for (std::size_t w = 0; w < words.size(); ++w) {
      if (words[w] != "update-alternatives") continue;
      for (std::size_t k = w + 1; k < words.size() && words[k] != ";"; ++k) {
        auto literal = [](const std::string& x) {
          return x.starts_with('/') && x.find_first_of("$`\"'*?") == std::string::npos;
        };
        if (words[k] == "--install" && k + 4 < words.size()) {
          Alternative a{words[k + 2], words[k + 1], words[k + 3], 0, {}};
          try {
            a.priority = std::stoi(words[k + 4]);
          } catch (const std::exception&) {
            break;
          }
          if (!literal(a.link) || !literal(a.path) || a.name.find_first_of("$`/") != std::string::npos) break;
          out.push_back(std::move(a));
          k += 4;
        } else if (words[k] == "--slave" && k + 3 < words.size() && !out.empty()) {
          Alternative::Slave sl{words[k + 2], words[k + 1], words[k + 3]};
          if (literal(sl.link) && literal(sl.path) && sl.name.find_first_of("$`/") == std::string::npos)
            out.back().slaves.push_back(std::move(sl));
          k += 3;
        }
      }
    }
  }
  return out;
}

std::vector<archive::Entry> alternative_links(std::span<const Alternative> alternatives,
                                              const std::set<std::string>& shipped,
                                              const std::set<std::string>& merged_dirs) {
  // Paths as the layers hold them: "/bin/x" is "usr/bin/x" on a usr-merged system.
  auto place = [&](const std::string& abs) {
    std::string rel = abs.substr(1);
    return merged_dirs.contains(rel.substr(0, rel.find('/'))) ? "usr/" + rel : rel;
  };
  auto is_shipped = [&](const std::string& abs) { return shipped.contains(place(abs)); };
  // dpkg's automatic mode: the highest priority wins; a tie goes to the path sorted first.
  std::map<std::string, const Alternative*> best;
  for (const auto& a : alternatives) {
    if (!is_shipped(a.path)) continue;
    auto& slot = best[a.name];
    if (!slot || a.priority > slot->priority || (a.priority == slot->priority && a.path < slot->path)) slot = &a;
  }
  std::map<std::string, archive::Entry> links;
  auto link = [&](const std::string& path, const std::string& target) {
    archive::Entry e;
    e.path = place(path);
    e.type = archive::EntryType::symlink;
    e.mode = 0777;
    e.link_target = target;
    links.emplace(e.path, std::move(e));
  };
  for (const auto& [name, a] : best) {
    link(a->link, "/etc/alternatives/" + name);
    link("/etc/alternatives/" + name, a->path);
    for (const auto& sl : a->slaves) {
      if (!is_shipped(sl.path)) continue;
      link(sl.link, "/etc/alternatives/" + sl.name);
      link("/etc/alternatives/" + sl.name, sl.path);
    }
  }
  std::vector<archive::Entry> out;
  for (auto& [path, e] : links) out.push_back(std::move(e));
  return out;
}

}  // namespace mlpack::deb
