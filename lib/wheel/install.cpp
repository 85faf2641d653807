#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "archive/links.hpp"
#include "archive/zip.hpp"
#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "pypi/version.hpp"
#include "util/expected.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"
#include "wheel/dist_info.hpp"
#include "wheel/paths.hpp"
#include "wheel/wheel.hpp"

namespace mlpack::wheel {

namespace {

using util::ErrorKind;
using util::fail;

// Metadata files, scripts and symlink targets are read into memory; anything larger is refused.
constexpr std::size_t max_in_memory = 64 << 20;
// Files up to this size are read, checked against RECORD and kept here, and the layer is written
// from memory; larger ones are read once, when the layer is written, and checked against RECORD
// on the way (reading them here too would inflate and hash them twice). In a data-science venv
// that keeps ~80% of the files and ~10% of the bytes.
constexpr std::uint64_t keep_up_to = 16 << 10;
// No wheel keeps more than this in memory that way (torch has ~15,000 files, most of them small);
// its further small files stream like large ones.
constexpr std::uint64_t keep_budget = 64 << 20;

struct Checked {
  util::Digest digest = util::Digest::sha256_of("");
  std::string content;
};

// Reads a member whole, hashing it. Crc::skip only where the caller compares the digest with
// RECORD.
Result<Checked> check_member(const archive::ZipReader& zip, const archive::ZipMember& m, archive::Crc crc) {
  if (m.size > max_in_memory)
    return fail(ErrorKind::integrity, "`" + m.name + "` is " + std::to_string(m.size) + " bytes, over the " +
                                          std::to_string(max_in_memory) + " an installer reads into memory");
  Checked out;
  if (m.size <= archive::zip_one_shot_limit) {
    out.content = TRY_CONTEXT(zip.read(m, crc), "`" + m.name + "`");
  } else {  // too large for one shot: streamed, its CRC-32 checked as well
    auto reader = TRY_CONTEXT(zip.open_member(m), "`" + m.name + "`");
    out.content = TRY_CONTEXT(util::read_all(*reader, max_in_memory), "`" + m.name + "`");
  }
  out.digest = util::Digest::sha256_of(out.content);
  return out;
}

// Adds which wheel and member to the errors of a member streamed into a layer, long after
// install_wheel returned.
class LabelledReader final : public util::Reader {
 public:
  LabelledReader(std::unique_ptr<util::Reader> inner, std::string label)
      : inner_(std::move(inner)), label_(std::move(label)) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = TRY_CONTEXT(inner_->read(out), label_);
    return n;
  }

 private:
  std::unique_ptr<util::Reader> inner_;
  std::string label_;
};

bool same_version(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto va = pypi::Version::parse(a), vb = pypi::Version::parse(b);
  return va && vb && *va == *vb;
}

// What one wheel install is building up.
class Installer {
 public:
  Installer(const fs::path& wheel, const VenvPaths& paths, std::string label)
      : wheel_(wheel), paths_(paths), label_(std::move(label)) {}

  Result<Distribution> run(const util::Digest& sha256, const InstallOptions& options) {
    auto filename =
        TRY(pypi::parse_wheel_filename(options.filename.empty() ? wheel_.filename().string() : options.filename));
    dist_.name = filename.name;
    dist_.version = filename.version;

    auto actual = TRY(util::sha256_file(wheel_.string()));
    if (actual != sha256)
      return fail(ErrorKind::integrity, "its sha256 is " + actual.hex() + ", but the lock says " + sha256.hex());

    auto zip = TRY(archive::ZipReader::open(wheel_, options.unpack));
    zip_.emplace(std::move(zip));
    members_ = zip_->members();
    TRY(find_dist_info(filename));
    TRY(read_metadata(options));
    TRY(install_members());
    TRY(add_launchers());
    add_dist_info_files(options);
    std::sort(dist_.entries.begin(), dist_.entries.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return std::move(dist_);
  }

 private:
  Result<void> find_dist_info(const pypi::WheelFilename& filename) {
    std::set<std::string> seen, dist_infos;
    for (const auto& m : members_) {
      std::string_view name = m.name;
      if (m.is_directory()) name.remove_suffix(1);
      if (!detail::is_clean_relative(name))
        return fail(ErrorKind::integrity, "member `" + m.name + "` has an unsafe path (absolute, `..`, empty, `.` or `\\`)");
      if (!seen.insert(std::string(name)).second) return fail(ErrorKind::integrity, "member `" + m.name + "` appears twice");
      std::string top(name.substr(0, name.find('/')));
      if (top.ends_with(".dist-info") && name.find('/') != std::string_view::npos) dist_infos.insert(top);
    }
    if (dist_infos.size() != 1)
      return fail(ErrorKind::integrity, dist_infos.empty() ? std::string("it has no .dist-info directory")
                                                           : "it has " + std::to_string(dist_infos.size()) +
                                                                 " .dist-info directories");
    dist_info_ = *dist_infos.begin();
    std::string stem = dist_info_.substr(0, dist_info_.size() - std::string_view(".dist-info").size());
    auto dash = stem.rfind('-');
    if (dash == std::string::npos || pypi::normalize_name(stem.substr(0, dash)) != filename.name ||
        !same_version(stem.substr(dash + 1), filename.version))
      return fail(ErrorKind::integrity, "its .dist-info directory `" + dist_info_ + "` does not match the filename");
    dist_name_ = stem.substr(0, dash);
    data_dir_ = stem + ".data";
    return {};
  }

  const archive::ZipMember* member(const std::string& name) const {
    for (const auto& m : members_)
      if (m.name == name) return &m;
    return nullptr;
  }

  Result<std::optional<std::string>> read_dist_info_file(std::string_view file) const {
    const auto* m = member(dist_info_ + "/" + std::string(file));
    if (!m) return std::optional<std::string>();
    auto c = TRY(check_member(*zip_, *m, archive::Crc::check));
    return std::optional<std::string>(std::move(c.content));
  }

  // METADATA's Name and Version must be the file name's, and the lock's when the caller says
  // what the lock has: pip refuses a wheel that is not what it says, and so must we, or a wheel
  // could pose as another distribution in the image. Names compare PEP 503-normalised, versions
  // PEP 440-normalised.
  Result<void> check_identity(const InstallOptions& options) {
    auto metadata = TRY(read_dist_info_file("METADATA"));
    if (!metadata) return fail(ErrorKind::integrity, "`" + dist_info_ + "/METADATA` is missing");
    auto fields = detail::parse_metadata_identity(*metadata);
    if (fields.name.empty() || fields.version.empty())
      return fail(ErrorKind::integrity, "`" + dist_info_ + "/METADATA` has no " +
                                            (fields.name.empty() ? "`Name`" : "`Version`"));
    auto shown = [](std::string_view name, std::string_view version) {
      return "`" + util::printable_excerpt(name, 100) + " " + util::printable_excerpt(version, 100) + "`";
    };
    if (pypi::normalize_name(fields.name) != dist_.name || !same_version(fields.version, dist_.version))
      return fail(ErrorKind::integrity, "its METADATA says it is " + shown(fields.name, fields.version) +
                                            ", but its file name says " + shown(dist_.name, dist_.version));
    if ((!options.name.empty() && pypi::normalize_name(options.name) != dist_.name) ||
        (!options.version.empty() && !same_version(options.version, dist_.version)))
      return fail(ErrorKind::integrity, "it is " + shown(fields.name, fields.version) + ", but the lock has " +
                                            shown(options.name.empty() ? dist_.name : options.name,
                                                  options.version.empty() ? dist_.version : options.version) +
                                            " there");
    return {};
  }

  Result<void> read_metadata(const InstallOptions& options) {
    auto wheel_file = TRY(read_dist_info_file("WHEEL"));
    if (!wheel_file) return fail(ErrorKind::integrity, "`" + dist_info_ + "/WHEEL` is missing");
    auto info = TRY(detail::parse_wheel_info(*wheel_file));
    // The spec: abort when the major version is greater than the installer's (1).
    if (info.major > 1)
      return fail(ErrorKind::unsupported, "it is Wheel-Version " + std::to_string(info.major) + "." +
                                              std::to_string(info.minor) + "; only 1.x wheels can be installed");
    TRY(check_identity(options));
    auto record = TRY(read_dist_info_file("RECORD"));
    if (!record) return fail(ErrorKind::integrity, "`" + dist_info_ + "/RECORD` is missing");
    auto rows = TRY(detail::parse_record(*record));
    for (auto& row : rows) record_.emplace(row.path, std::move(row));  // the first row for a path wins
    auto entry_points = TRY(read_dist_info_file("entry_points.txt"));
    if (entry_points) entry_points_ = TRY(detail::parse_entry_points(*entry_points));
    return {};
  }

  bool is_signature_or_record(const std::string& name) const {
    return name == dist_info_ + "/RECORD" || name == dist_info_ + "/RECORD.jws" || name == dist_info_ + "/RECORD.p7s";
  }

  struct Route {
    std::string dest;
    bool script = false;
  };

  Result<Route> route(const std::string& name) const {
    if (!name.starts_with(data_dir_ + "/")) return Route{detail::join(paths_.site_packages, name)};
    std::string rest = name.substr(data_dir_.size() + 1);
    auto slash = rest.find('/');
    if (slash == std::string::npos)
      return fail(ErrorKind::integrity, "`" + name + "` lies directly in the .data directory, outside any scheme");
    std::string key = rest.substr(0, slash), sub = rest.substr(slash + 1);
    if (key == "purelib" || key == "platlib") return Route{detail::join(paths_.site_packages, sub)};
    if (key == "scripts") return Route{detail::join(paths_.bin, sub), true};
    if (key == "headers") return Route{detail::join(detail::join(paths_.include, dist_name_), sub)};
    if (key == "data") return Route{detail::join(paths_.root, sub)};
    return fail(ErrorKind::unsupported, "`" + name + "`: `" + key +
                                            "` is not a .data scheme (purelib, platlib, scripts, headers, data)");
  }

  // What RECORD says of a member: it must be listed, hashed with sha256.
  struct Recorded {
    std::string sha256;  // urlsafe base64 as RECORD spells it, without padding
    std::string size;    // empty when RECORD gives none
  };
  Result<Recorded> recorded(const archive::ZipMember& m) const {
    auto it = record_.find(m.name);
    if (it == record_.end()) return fail(ErrorKind::integrity, "`" + m.name + "` is not listed in RECORD");
    const auto& row = it->second;
    if (row.hash.empty()) return fail(ErrorKind::integrity, "`" + m.name + "` has no hash in RECORD");
    auto eq = row.hash.find('=');
    std::string algorithm = row.hash.substr(0, eq);
    if (algorithm != "sha256")
      return fail(algorithm == "md5" || algorithm == "sha1" ? ErrorKind::integrity : ErrorKind::unsupported,
                  "`" + m.name + "`: RECORD hashes it with `" + algorithm + "`; only sha256 is supported");
    std::string expected = row.hash.substr(eq == std::string::npos ? row.hash.size() : eq + 1);
    while (expected.ends_with('=')) expected.pop_back();  // tolerate padding
    return Recorded{expected, row.size};
  }

  Result<void> check_size(const archive::ZipMember& m, const Recorded& r) const {
    if (!r.size.empty() && r.size != std::to_string(m.size))
      return fail(ErrorKind::integrity, "`" + m.name + "` is " + std::to_string(m.size) + " bytes; RECORD says " +
                                            r.size);
    return {};
  }

  // Checks content read here against RECORD (hash, size).
  Result<void> check_against_record(const archive::ZipMember& m, const Recorded& r, const util::Digest& digest) const {
    std::string actual = detail::record_hash(digest).substr(7);
    if (r.sha256 != actual)
      return fail(ErrorKind::integrity, "`" + m.name + "` does not match its RECORD hash (RECORD sha256=" + r.sha256 +
                                            ", content sha256=" + actual + ")");
    return check_size(m, r);
  }

  Result<void> install_members() {
    std::vector<const archive::ZipMember*> files;
    for (const auto& m : members_)
      if (!m.is_directory() && !is_signature_or_record(m.name)) files.push_back(&m);
    std::vector<Route> routes(files.size());
    std::vector<Recorded> record(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      routes[i] = TRY(route(files[i]->name));
      record[i] = TRY(recorded(*files[i]));
    }
    // Which files are read here: decided up front, in member order, so the choice does not
    // depend on thread timing. The rest are read once, when the layer is written.
    std::vector<char> read_now(files.size());
    std::uint64_t kept = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      bool small = files[i]->size <= keep_up_to && kept + files[i]->size <= keep_budget;
      read_now[i] = routes[i].script || files[i]->is_symlink() || small;
      if (small) kept += files[i]->size;
    }
    // Decompressing and hashing dominate a big wheel's install; members are independent.
    std::vector<std::optional<Checked>> checked(files.size());
    TRY(util::parallel_for(files.size(), util::hardware_threads(), [&](std::size_t i) -> Result<void> {
      if (!read_now[i]) return {};
      auto c = TRY(check_member(*zip_, *files[i], archive::Crc::skip));
      TRY(check_against_record(*files[i], record[i], c.digest));
      checked[i] = std::move(c);
      return {};
    }));
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& m = *files[i];
      archive::Entry e;
      e.path = routes[i].dest;
      e.mode = routes[i].script || m.is_executable() ? 0755 : 0644;
      if (!checked[i]) {
        // Streamed once, from the wheel into the layer, and checked against RECORD there: a
        // mismatch fails the layer, which is written under a temporary name and never kept.
        TRY(check_size(m, record[i]));
        auto digest = detail::sha256_from_base64url(record[i].sha256);
        if (!digest)
          return fail(ErrorKind::integrity, "`" + m.name + "` does not match its RECORD hash (RECORD sha256=" +
                                                record[i].sha256 + " is not a sha256 digest)");
        e.size = m.size;
        e.open = [wheel = wheel_, label = label_, member = m, digest = *digest]() -> Result<std::unique_ptr<util::Reader>> {
          std::string what = label + ": `" + member.name + "`, checked against its RECORD hash";
          auto r = TRY_CONTEXT(archive::open_zip_member(wheel, member, digest), what);
          return std::make_unique<LabelledReader>(std::move(r), std::move(what));
        };
        add(std::move(e), detail::record_hash(*digest), std::to_string(m.size));
        continue;
      }
      auto& c = *checked[i];
      if (m.is_symlink()) {  // checked with the wheel's other links, once all are known (install_wheel)
        e.type = archive::EntryType::symlink;
        e.mode = 0777;
        e.link_target = std::move(c.content);
        add(std::move(e), "", "");
        continue;
      }
      std::optional<std::string> rewritten;
      if (routes[i].script) rewritten = detail::rewrite_shebang(c.content, paths_.python);
      if (rewritten) {
        auto digest = util::Digest::sha256_of(*rewritten);
        e.data = std::move(*rewritten);
        add(std::move(e), detail::record_hash(digest), std::to_string(e.data.size()));
        continue;
      }
      e.data = std::move(c.content);  // written from the bytes just verified
      add(std::move(e), detail::record_hash(c.digest), std::to_string(m.size));
    }
    return {};
  }

  Result<void> add_launchers() {
    for (const auto& ep : entry_points_) {
      if (ep.group != "console_scripts" && ep.group != "gui_scripts") continue;
      if (!detail::is_safe_command_name(ep.name))
        return fail(ErrorKind::integrity, "entry point `" + ep.name + "` in [" + ep.group + "] is not a safe command name");
      if (ep.attr.empty())
        return fail(ErrorKind::integrity, "entry point `" + ep.name + "` in [" + ep.group +
                                              "] names a module without a function to call");
      add_data(detail::join(paths_.bin, ep.name), detail::launcher_script(ep, paths_.python), 0755);
    }
    return {};
  }

  void add_dist_info_files(const InstallOptions& options) {
    std::string dir = detail::join(paths_.site_packages, dist_info_);
    add_data(dir + "/INSTALLER", "mlpack\n", 0644);
    if (options.requested == Requested::yes) add_data(dir + "/REQUESTED", "", 0644);
    rows_.push_back({detail::record_path(dir + "/RECORD", paths_.site_packages), "", ""});
    std::sort(rows_.begin(), rows_.end());
    archive::Entry e;
    e.path = dir + "/RECORD";
    e.data = detail::write_record(rows_);
    dist_.entries.push_back(std::move(e));
  }

  void add_data(std::string path, std::string data, std::uint32_t mode) {
    archive::Entry e;
    e.path = std::move(path);
    e.mode = mode;
    auto digest = util::Digest::sha256_of(data);
    std::string size = std::to_string(data.size());
    e.data = std::move(data);
    add(std::move(e), detail::record_hash(digest), size);
  }

  void add(archive::Entry e, std::string hash, std::string size) {
    rows_.push_back({detail::record_path(e.path, paths_.site_packages), std::move(hash), std::move(size)});
    dist_.entries.push_back(std::move(e));
  }

  fs::path wheel_;
  std::optional<archive::ZipReader> zip_;
  const VenvPaths& paths_;
  std::string label_;  // "installing `name-1.0-py3-none-any.whl`"
  Distribution dist_;
  std::vector<archive::ZipMember> members_;
  std::string dist_info_;  // "name-1.0.dist-info"
  std::string dist_name_;  // "name", as the .dist-info directory spells it
  std::string data_dir_;   // "name-1.0.data"
  std::map<std::string, detail::RecordRow> record_;
  std::vector<detail::EntryPoint> entry_points_;
  std::vector<detail::RecordRow> rows_;
};

}  // namespace

Result<Distribution> install_wheel(const fs::path& wheel, const util::Digest& sha256, const VenvLayout& venv,
                                   const InstallOptions& options) {
  std::string label = "installing `" + (options.filename.empty() ? wheel.filename().string() : options.filename) + "`";
  auto paths = TRY_CONTEXT(venv_paths(venv), label);
  Installer installer(wheel, paths, label);
  auto dist = TRY_CONTEXT(installer.run(sha256, options), label);
  // Links are checked together, against each other and the skeleton's (lib64 -> lib,
  // bin/python -> the interpreter): one resolved through another can leave the venv where each
  // alone looks inside it (archive/links.hpp).
  std::vector<archive::LinkSpec> links;
  for (const auto& e : dist.entries)
    if (e.type == archive::EntryType::symlink) links.push_back({e.path, e.link_target});
  if (!links.empty()) {
    auto skeleton = TRY_CONTEXT(venv_entries(venv), label);
    std::vector<archive::LinkSpec> existing;
    for (const auto& e : skeleton)
      if (e.type == archive::EntryType::symlink) existing.push_back({e.path, e.link_target});
    TRY_CONTEXT(archive::check_links(links, paths.root, existing), label);
  }
  // A path installed twice (a .data/purelib file shadowing a root file, a script and a launcher
  // of one name) is a broken wheel, whichever copy would win.
  for (std::size_t i = 1; i < dist.entries.size(); ++i)
    if (dist.entries[i].path == dist.entries[i - 1].path)
      return fail(ErrorKind::integrity, label + ": it installs `/" + dist.entries[i].path + "` twice");
  return dist;
}

}  // namespace mlpack::wheel
