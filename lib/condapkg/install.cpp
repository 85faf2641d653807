// Reading a conda package (CEP 35 `.conda`, or `.tar.bz2`) and linking it into the prefix.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "archive/decompress.hpp"
#include "archive/entry.hpp"
#include "archive/links.hpp"
#include "archive/reader.hpp"
#include "archive/zip.hpp"
#include "condapkg/condapkg.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"

namespace mlpack::condapkg {

namespace {

using util::ErrorKind;
using util::fail;

enum class Format { conda, tar_bz2 };

// info/ files read into memory; anything else under info/ (recipes, tests, licences) is skipped.
constexpr std::uint64_t max_info_file = 64ULL << 20;
bool wanted_info(std::string_view path) {
  return path == "info/index.json" || path == "info/paths.json" || path == "info/files" || path == "info/has_prefix" ||
         path == "info/no_link" || path == "info/link.json";
}

// Where the payload tar is.
struct Payload {
  fs::path file;
  Format format = Format::conda;
  std::optional<archive::ZipMember> member;  // .conda: pkg-*.tar.zst; none: an info-only package
  archive::UnpackLimits unpack;
};

// The chain of readers under a TarCursor over the payload.
struct PayloadStream {
  std::unique_ptr<util::Reader> raw;
  std::unique_ptr<util::Reader> plain;
  std::unique_ptr<archive::TarCursor> cursor;
  std::size_t position = 0;  // members next() has returned
};

archive::ReadOptions payload_read_options() {
  archive::ReadOptions o;
  o.special_files = archive::SpecialFiles::refuse;  // no device nodes or FIFOs in an image's prefix
  o.symlinks = archive::Symlinks::any;              // checked with the package's links (check_links)
  return o;
}

// The info tar: metadata only, so at most 1 GiB whatever the package's limits.
archive::DecompressOptions info_options(const archive::UnpackLimits& limits) {
  auto o = limits.stream();
  o.max_size = std::min<std::uint64_t>(o.max_size, 1ULL << 30);
  return o;
}

Result<std::unique_ptr<PayloadStream>> open_payload(const Payload& p) {
  auto s = std::make_unique<PayloadStream>();
  archive::DecompressOptions d = p.unpack.stream();
  if (p.format == Format::conda) {
    s->raw = TRY(archive::open_zip_member(p.file, *p.member));
    s->plain = TRY(archive::decompress(*s->raw, archive::Codec::zstd, d));
  } else {
    s->raw = TRY(util::FileReader::open(p.file.string()));
    s->plain = TRY(archive::decompress(*s->raw, archive::Codec::bzip2, d));
  }
  s->cursor = TRY(archive::TarCursor::open(*s->plain, payload_read_options()));
  return s;
}

class SharedPayload;

}  // namespace

class StreamBudget {
 public:
  explicit StreamBudget(std::size_t max_open) : max_(std::max<std::size_t>(max_open, 1)) {}
  // `p` is reading: most recently used; returns the payloads to close (least recently used first).
  std::vector<SharedPayload*> use(SharedPayload* p) {
    std::lock_guard lock(mu_);
    lru_.erase(std::remove(lru_.begin(), lru_.end(), p), lru_.end());
    lru_.push_back(p);
    std::vector<SharedPayload*> out;
    while (lru_.size() > max_) {
      out.push_back(lru_.front());
      lru_.erase(lru_.begin());
    }
    return out;
  }
  void closed(SharedPayload* p) {
    std::lock_guard lock(mu_);
    lru_.erase(std::remove(lru_.begin(), lru_.end(), p), lru_.end());
  }

 private:
  std::mutex mu_;
  std::vector<SharedPayload*> lru_;
  std::size_t max_;
};

std::shared_ptr<StreamBudget> make_stream_budget(std::size_t max_open) {
  return std::make_shared<StreamBudget>(max_open);
}

namespace {

// One package's payload, shared by the openers of its streamed files. The layer writer opens
// entries in path order, one at a time, reading each to its end: a member at or after the cursor
// is reached by reading on; one before it reopens the payload (rare: a package's tar is mostly in
// path order). The stream is closed when its last streamed file has been read.
class SharedPayload {
 public:
  SharedPayload(Payload payload, std::size_t streamed, std::string label, std::shared_ptr<StreamBudget> budget)
      : payload_(std::move(payload)), remaining_(streamed), label_(std::move(label)), budget_(std::move(budget)) {}
  ~SharedPayload() {
    if (budget_) budget_->closed(this);
  }
  SharedPayload(const SharedPayload&) = delete;
  SharedPayload& operator=(const SharedPayload&) = delete;

  Result<util::Reader*> at(std::size_t index) {
    if (budget_)
      for (auto* other : budget_->use(this)) other->close();
    if (!stream_ || stream_->position > index) stream_ = TRY_CONTEXT(open_payload(payload_), label_);
    for (;;) {
      auto entry = TRY_CONTEXT(stream_->cursor->next(), label_);
      if (!entry) return fail(ErrorKind::integrity, label_ + ": the package changed since it was read");
      if (stream_->position++ == index) return &stream_->cursor->content();
    }
  }
  void done() {
    if (remaining_ > 0 && --remaining_ == 0) {
      stream_.reset();
      if (budget_) budget_->closed(this);
    }
  }
  void close() { stream_.reset(); }
  const std::string& label() const { return label_; }

 private:
  Payload payload_;
  std::unique_ptr<PayloadStream> stream_;
  std::size_t remaining_;
  std::string label_;
  std::shared_ptr<StreamBudget> budget_;
};

// A streamed file: exactly `size` bytes, whose sha256 must be the one read the first time.
class StreamedFile final : public util::Reader {
 public:
  StreamedFile(std::shared_ptr<SharedPayload> owner, util::Reader& in, std::string path, std::uint64_t size,
               std::string sha256)
      : owner_(std::move(owner)), in_(in), path_(std::move(path)), size_(size), sha256_(std::move(sha256)) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    if (read_ == size_) return check();
    if (out.size() > size_ - read_) out = out.first(static_cast<std::size_t>(size_ - read_));
    auto n = TRY_CONTEXT(in_.read(out), owner_->label() + ": `" + path_ + "`");
    if (n == 0) return fail(ErrorKind::integrity, owner_->label() + ": `" + path_ + "` ends early");
    hash_.update({out.data(), n});
    read_ += n;
    if (read_ == size_) TRY(check());
    return n;
  }

 private:
  Result<std::size_t> check() {
    if (!checked_) {
      checked_ = true;
      auto got = hash_.finish().hex();
      owner_->done();
      if (got != sha256_)
        return fail(ErrorKind::integrity,
                    owner_->label() + ": `" + path_ + "` is not what it was when the package was read");
    }
    return std::size_t{0};
  }
  std::shared_ptr<SharedPayload> owner_;
  util::Reader& in_;
  std::string path_;
  std::uint64_t size_;
  std::string sha256_;
  std::uint64_t read_ = 0;
  util::Sha256Writer hash_;
  bool checked_ = false;
};

// What info/paths.json (or info/files + has_prefix) says of one path.
struct PathSpec {
  std::string path;
  std::string type;  // "hardlink" (a file), "softlink", "directory"
  std::string sha256;
  std::optional<std::uint64_t> size;
  std::string placeholder;  // empty: none
  std::string file_mode;    // "text" / "binary"
};

// A payload member as read the first time.
struct Member {
  archive::TarType type = archive::TarType::file;
  std::uint32_t mode = 0644;
  std::uint64_t size = 0;
  std::string link_target;  // symlink target, or the member a hardlink names
  std::string sha256;       // files
  std::optional<std::string> data;
  std::size_t index = 0;  // position in the payload tar (of the content, for a hardlink)
};

bool clean_relative(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find('\0') != std::string_view::npos) return false;
  std::size_t pos = 0;
  while (pos <= p.size()) {
    auto slash = p.find('/', pos);
    auto c = p.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (c.empty() || c == "." || c == "..") return false;
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return true;
}

Result<nlohmann::json> parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorKind::integrity, what + " is not JSON: " + e.what());
  }
}

std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::vector<PathSpec>> parse_paths_json(const std::string& text) {
  auto doc = TRY(parse_json(text, "info/paths.json"));
  if (!doc.is_object() || !doc.contains("paths") || !doc["paths"].is_array())
    return fail(ErrorKind::integrity, "info/paths.json has no `paths` list");
  std::vector<PathSpec> out;
  for (const auto& p : doc["paths"]) {
    if (!p.is_object()) return fail(ErrorKind::integrity, "info/paths.json: an entry is not an object");
    PathSpec s;
    s.path = json_string(p, "_path");
    if (!clean_relative(s.path))
      return fail(ErrorKind::integrity, "info/paths.json lists `" + s.path + "`, which is not a clean relative path");
    s.type = json_string(p, "path_type");
    if (s.type.empty()) s.type = "hardlink";
    if (s.type != "hardlink" && s.type != "softlink" && s.type != "directory")
      return fail(ErrorKind::unsupported, "info/paths.json: `" + s.path + "` has path_type `" + s.type + "`");
    s.sha256 = json_string(p, "sha256");
    if (auto it = p.find("size_in_bytes"); it != p.end() && it->is_number_unsigned()) s.size = it->get<std::uint64_t>();
    s.placeholder = json_string(p, "prefix_placeholder");
    s.file_mode = json_string(p, "file_mode");
    if (!s.placeholder.empty() && s.file_mode.empty()) s.file_mode = "text";
    if (!s.placeholder.empty() && s.file_mode != "text" && s.file_mode != "binary")
      return fail(ErrorKind::unsupported, "info/paths.json: `" + s.path + "` has file_mode `" + s.file_mode + "`");
    out.push_back(std::move(s));
  }
  return out;
}

// Words of a has_prefix line: blank-separated, "double quotes" around a word with blanks.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"') {
      auto end = line.find('"', i + 1);
      if (end == std::string_view::npos) end = line.size();
      w = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      auto end = line.find_first_of(" \t", i);
      if (end == std::string_view::npos) end = line.size();
      w = line.substr(i, end - i);
      i = end;
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view l = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    if (!l.empty()) out.emplace_back(l);
  }
  return out;
}

// The older layout: info/files lists the paths, info/has_prefix the ones with a placeholder
// (`placeholder mode path`, or a bare path: the classic placeholder in text mode).
Result<std::vector<PathSpec>> parse_files(const std::string& files, const std::string& has_prefix) {
  std::map<std::string, std::pair<std::string, std::string>> prefixed;
  for (const auto& l : lines(has_prefix)) {
    auto w = words(l);
    if (w.size() == 1)
      prefixed[w[0]] = {std::string(classic_placeholder), "text"};
    else if (w.size() == 3)
      prefixed[w[2]] = {w[0], w[1]};
    else
      return fail(ErrorKind::integrity, "info/has_prefix: cannot read the line `" + l + "`");
  }
  std::vector<PathSpec> out;
  for (const auto& l : lines(files)) {
    PathSpec s;
    s.path = l;
    if (!clean_relative(s.path))
      return fail(ErrorKind::integrity, "info/files lists `" + s.path + "`, which is not a clean relative path");
    s.type = "";  // taken from the member
    if (auto it = prefixed.find(s.path); it != prefixed.end()) {
      s.placeholder = it->second.first;
      s.file_mode = it->second.second;
      if (s.file_mode != "text" && s.file_mode != "binary")
        return fail(ErrorKind::unsupported, "info/has_prefix: `" + s.path + "` has mode `" + s.file_mode + "`");
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Reads the info/ files we use out of a tar stream; for a .tar.bz2, stops after the info/ block.
struct StopReading {};
Result<std::map<std::string, std::string>> read_info(util::Reader& tar, bool stop_after_info) {
  std::map<std::string, std::string> info;
  auto cursor = TRY(archive::TarCursor::open(tar, payload_read_options()));
  bool seen_info = false;
  for (;;) {
    auto e = TRY(cursor->next());
    if (!e) break;
    bool is_info = e->path == "info" || e->path.starts_with("info/");
    if (stop_after_info && seen_info && !is_info) break;
    seen_info = seen_info || is_info;
    if (e->type != archive::TarType::file || !wanted_info(e->path)) continue;
    if (e->size > max_info_file)
      return fail(ErrorKind::integrity, "`" + e->path + "` is " + std::to_string(e->size) + " bytes, over the limit");
    info[e->path] = TRY(util::read_all(cursor->content(), max_info_file));
  }
  return info;
}

std::string basename(std::string_view p) {
  auto slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Modes a non-root user can use: read for everyone where the owner reads, execute where the owner
// executes; write and the special bits as they are.
std::uint32_t usable_mode(std::uint32_t mode) {
  mode &= 07777;
  if (mode & 0400) mode |= 0044;
  if (mode & 0100) mode |= 0011;
  return mode;
}

struct EntryPoint {
  std::string command, module, function;
};

Result<std::vector<EntryPoint>> entry_points(const std::map<std::string, std::string>& info) {
  std::vector<EntryPoint> out;
  auto it = info.find("info/link.json");
  if (it == info.end()) return out;
  auto doc = TRY(parse_json(it->second, "info/link.json"));
  if (!doc.is_object() || !doc.contains("noarch") || !doc["noarch"].is_object()) return out;
  const auto& noarch = doc["noarch"];
  if (!noarch.contains("entry_points")) return out;
  if (!noarch["entry_points"].is_array())
    return fail(ErrorKind::integrity, "info/link.json: `entry_points` is not a list");
  auto ident = [](std::string_view s, bool dots) {
    if (s.empty()) return false;
    for (char c : s)
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (dots && c == '.')))
        return false;
    return !(s.front() >= '0' && s.front() <= '9') && s.front() != '.' && s.back() != '.';
  };
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
  };
  for (const auto& item : noarch["entry_points"]) {
    std::string text = item.is_string() ? item.get<std::string>()
                                        : item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto eq = text.find('=');
    auto colon = text.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || colon == std::string::npos)
      return fail(ErrorKind::integrity, "info/link.json: entry point `" + text + "` is not `name = module:function`");
    EntryPoint ep{trim(text.substr(0, eq)), trim(text.substr(eq + 1, colon - eq - 1)), trim(text.substr(colon + 1))};
    bool name_ok = !ep.command.empty() && ep.command.find('/') == std::string::npos && ep.command.front() != '.' &&
                   ep.command.find_first_of(" \t\n\\\0", 0) == std::string::npos;
    if (!name_ok || !ident(ep.module, true) || !ident(ep.function, true))
      return fail(ErrorKind::integrity, "info/link.json: entry point `" + text + "` is not `name = module:function`");
    out.push_back(std::move(ep));
  }
  return out;
}

std::string launcher(const EntryPoint& ep, std::string_view prefix) {
  std::string first = ep.function.substr(0, ep.function.find('.'));
  std::string text = std::string("#!") + std::string(classic_placeholder) + "/bin/python\n" +
                     "# -*- coding: utf-8 -*-\n"
                     "import re\n"
                     "import sys\n\n"
                     "from " +
                     ep.module + " import " + first +
                     "\n\n"
                     "if __name__ == '__main__':\n"
                     "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
                     "    sys.exit(" +
                     ep.function + "())\n";
  return replace_text_prefix(text, classic_placeholder, prefix);
}

bool is_link_script(std::string_view path, std::string_view name) {
  for (const char* kind : {"pre-link", "post-link", "pre-unlink"})
    if (path == "bin/." + std::string(name) + "-" + kind + ".sh") return true;
  return false;
}

}  // namespace

Result<Installed> install_package(const fs::path& file, const PackageRef& ref, const Prefix& prefix,
                                  const InstallOptions& options) {
  const std::string label = ref.name + "-" + ref.version + "-" + ref.build;
  const std::string what = "conda package " + label + " (" + ref.filename + ")";
  auto refuse = [&](const std::string& why) { return fail(ErrorKind::integrity, what + ": " + why); };

  // The whole archive is what the lock says before anything in it is read.
  std::error_code ec;
  auto actual_size = fs::file_size(file, ec);
  if (ec) return fail(ErrorKind::io, what + ": " + file.string() + ": " + ec.message());
  if (ref.size && actual_size != ref.size)
    return refuse(std::to_string(actual_size) + " bytes where the lock says " + std::to_string(ref.size));
  auto digest = TRY_CONTEXT(util::sha256_file(file.string()), what);
  if (digest.hex() != ref.sha256) return refuse("sha256 " + digest.hex() + " where the lock says " + ref.sha256);

  Payload payload;
  payload.file = file;
  payload.unpack = options.unpack;
  std::map<std::string, std::string> info;
  if (ref.filename.ends_with(".conda")) {
    payload.format = Format::conda;
    auto zip = TRY_CONTEXT(archive::ZipReader::open(file, options.unpack), what);
    std::optional<archive::ZipMember> metadata, info_member;
    for (const auto& m : zip.members()) {
      if (m.is_directory() && m.size == 0) continue;  // a folder some zip tools record (rattler's ca-certificates)
      auto base = basename(m.name);
      std::optional<archive::ZipMember>* slot = nullptr;
      if (base == "metadata.json")
        slot = &metadata;
      else if (base.starts_with("info-") && base.ends_with(".tar.zst"))
        slot = &info_member;
      else if (base.starts_with("pkg-") && base.ends_with(".tar.zst"))
        slot = &payload.member;
      if (!slot)
        return refuse("unexpected member `" + m.name +
                      "` (a .conda holds metadata.json, info-*.tar.zst and pkg-*.tar.zst)");
      if (*slot) return refuse("two members named like `" + m.name + "`");
      *slot = m;
    }
    if (metadata) {
      if (metadata->size > (1 << 20)) return refuse("metadata.json is too large");
      auto text = TRY_CONTEXT(zip.read(*metadata, archive::Crc::check), what);
      auto doc = TRY_CONTEXT(parse_json(text, "metadata.json"), what);
      if (!doc.is_object() || !doc.contains("conda_pkg_format_version") || doc["conda_pkg_format_version"] != 2)
        return fail(ErrorKind::unsupported, what + ": metadata.json does not say conda_pkg_format_version 2");
    }
    if (!info_member) return refuse("no info-*.tar.zst member");
    auto raw = TRY_CONTEXT(zip.open_member(*info_member), what);
    auto plain =
        TRY_CONTEXT(archive::decompress(*raw, archive::Codec::zstd, info_options(options.unpack)), what + ": info");
    info = TRY_CONTEXT(read_info(*plain, false), what + ": info");
  } else if (ref.filename.ends_with(".tar.bz2")) {
    payload.format = Format::tar_bz2;
    auto raw = TRY_CONTEXT(util::FileReader::open(file.string()), what);
    auto plain =
        TRY_CONTEXT(archive::decompress(*raw, archive::Codec::bzip2, options.unpack.stream()), what);
    info = TRY_CONTEXT(read_info(*plain, true), what);
  } else {
    return fail(ErrorKind::unsupported, what + ": not a .conda or .tar.bz2 file");
  }

  // info/index.json: the package is the one the lock names.
  nlohmann::json index = nlohmann::json::object();
  if (auto it = info.find("info/index.json"); it != info.end()) {
    index = TRY_CONTEXT(parse_json(it->second, "info/index.json"), what);
    if (!index.is_object()) return refuse("info/index.json is not an object");
    for (const auto& [key, expected] :
         {std::pair{"name", &ref.name}, {"version", &ref.version}, {"build", &ref.build}}) {
      auto got = json_string(index, key);
      if (got != *expected)
        return refuse("info/index.json says " + std::string(key) + " `" + got + "` where the lock says `" + *expected +
                      "`");
    }
  } else {
    return refuse("no info/index.json");
  }
  std::string noarch = json_string(index, "noarch");
  if (auto it = ref.record.find("noarch"); it != ref.record.end() && it->is_string()) noarch = it->get<std::string>();
  bool noarch_python = noarch == "python";
  if (noarch_python && prefix.site_packages.empty())
    return fail(ErrorKind::invalid_input,
                what + " is `noarch: python`, but the environment has no python to install it for");

  // What the package says it holds.
  std::optional<std::vector<PathSpec>> specs;
  bool hashes = false;
  if (auto it = info.find("info/paths.json"); it != info.end()) {
    specs = TRY_CONTEXT(parse_paths_json(it->second), what);
    hashes = true;
  } else if (auto f = info.find("info/files"); f != info.end()) {
    auto hp = info.find("info/has_prefix");
    specs = TRY_CONTEXT(parse_files(f->second, hp == info.end() ? "" : hp->second), what);
  }
  std::map<std::string, const PathSpec*> by_path;
  if (specs)
    for (const auto& s : *specs)
      if (!by_path.emplace(s.path, &s).second) return refuse("info/paths.json lists `" + s.path + "` twice");

  // The payload, read once: every member checked against what the package says.
  std::map<std::string, Member> members;
  std::uint64_t inline_bytes = 0;
  if (payload.format == Format::tar_bz2 || payload.member) {
    auto stream = TRY_CONTEXT(open_payload(payload), what);
    for (std::size_t index_in_tar = 0;; ++index_in_tar) {
      auto e = TRY_CONTEXT(stream->cursor->next(), what);
      if (!e) break;
      if (e->path.empty()) continue;  // "./"
      // info/ is the package's metadata, never installed (a repacked .conda may carry some in its payload).
      if (e->path == "info" || e->path.starts_with("info/")) continue;
      const PathSpec* spec = nullptr;
      if (auto it = by_path.find(e->path); it != by_path.end()) spec = it->second;
      if (e->type == archive::TarType::directory) {
        if (!members.contains(e->path))
          members[e->path] = Member{e->type, e->mode, 0, "", "", std::nullopt, index_in_tar};
        continue;
      }
      if (members.contains(e->path)) return refuse("`" + e->path + "` is in the archive twice");
      if (specs && !spec) return refuse("`" + e->path + "` is in the archive but not in info/paths.json");
      Member m;
      m.type = e->type;
      m.mode = e->mode;
      m.index = index_in_tar;
      if (e->type == archive::TarType::symlink) {
        m.link_target = e->link_target;
        if (spec && !spec->type.empty() && spec->type != "softlink")
          return refuse("`" + e->path + "` is a symlink; info/paths.json says " + spec->type);
      } else if (e->type == archive::TarType::hardlink) {
        auto target = members.find(e->link_target);
        if (target == members.end() || target->second.type != archive::TarType::file)
          return refuse("`" + e->path + "` is a hardlink to `" + e->link_target + "`, which is no earlier file");
        m = target->second;
        m.mode = e->mode;
        m.type = archive::TarType::file;
        if (spec && !spec->type.empty() && spec->type != "hardlink")
          return refuse("`" + e->path + "` is a file; info/paths.json says " + spec->type);
      } else {  // a file
        if (spec && !spec->type.empty() && spec->type != "hardlink")
          return refuse("`" + e->path + "` is a file; info/paths.json says " + spec->type);
        if (spec && spec->size && e->size != *spec->size)
          return refuse("`" + e->path + "` is " + std::to_string(e->size) + " bytes; info/paths.json says " +
                        std::to_string(*spec->size));
        bool small = e->size <= options.inline_limit && inline_bytes + e->size <= options.max_inline;
        bool keep = small || (spec && !spec->placeholder.empty()) || e->path.starts_with("etc/conda/activate.d/");
        if (small) inline_bytes += e->size;
        if (spec && !spec->placeholder.empty() && e->size > options.max_prefix_file)
          return refuse("`" + e->path + "` holds the prefix and is " + std::to_string(e->size) +
                        " bytes, over the limit of " + std::to_string(options.max_prefix_file));
        util::Sha256Writer hash;
        std::string data;
        std::vector<std::byte> buf(256 << 10);
        std::uint64_t total = 0;
        for (;;) {
          auto n = TRY_CONTEXT(stream->cursor->content().read(buf), what);
          if (n == 0) break;
          hash.update({buf.data(), n});
          total += n;
          if (keep) data.append(reinterpret_cast<const char*>(buf.data()), n);
        }
        m.size = total;
        m.sha256 = hash.finish().hex();
        if (keep) m.data = std::move(data);
        if (hashes && spec && !spec->sha256.empty() && spec->sha256 != m.sha256)
          return refuse("`" + e->path + "` has sha256 " + m.sha256 + "; info/paths.json says " + spec->sha256);
      }
      members[e->path] = std::move(m);
    }
  }
  if (specs)
    for (const auto& s : *specs) {
      auto it = members.find(s.path);
      if (it == members.end()) {
        if (s.type == "directory") continue;  // an empty directory: made below
        return refuse("info/paths.json lists `" + s.path + "`, which the archive lacks");
      }
      if (s.type == "softlink" && it->second.type != archive::TarType::symlink)
        return refuse("`" + s.path + "` is no symlink; info/paths.json says softlink");
      if (s.type == "directory" && it->second.type != archive::TarType::directory)
        return refuse("`" + s.path + "` is no directory; info/paths.json says directory");
    }

  // Linking: where each path goes, with what content.
  const std::string root = prefix.path.substr(1);  // "opt/conda"
  auto route = [&](const std::string& path) -> std::string {
    if (noarch_python) {
      if (path == "site-packages" || path.starts_with("site-packages/")) return prefix.site_packages + path.substr(13);
      if (path == "python-scripts" || path.starts_with("python-scripts/")) return "bin" + path.substr(14);
    }
    return path;
  };
  Installed out;
  out.name = ref.name;
  out.version = ref.version;
  out.build = ref.build;
  nlohmann::json paths_data = nlohmann::json::array();
  nlohmann::json files = nlohmann::json::array();
  std::vector<archive::LinkSpec> links;
  struct Placed {
    std::string path;      // in the prefix
    std::string original;  // in the package
    const Member* member;  // null: an empty directory the package lists but does not hold
  };
  std::vector<Placed> order;
  for (const auto& [path, m] : members) {
    if (m.type == archive::TarType::directory) {
      auto it = by_path.find(path);
      if (!specs || (it != by_path.end() && it->second->type == "directory")) order.push_back({route(path), path, &m});
      continue;
    }
    order.push_back({route(path), path, &m});
  }
  if (specs)
    for (const auto& s : *specs)
      if (s.type == "directory" && !members.contains(s.path)) order.push_back({route(s.path), s.path, nullptr});

  // Files streamed out of the payload when the layer is written.
  std::size_t streamed = 0;
  for (const auto& [path, original, m] : order)
    if (m && m->type == archive::TarType::file && !m->data) ++streamed;
  auto shared = streamed ? std::make_shared<SharedPayload>(payload, streamed, what, options.streams) : nullptr;

  std::map<std::string, std::string> source_of;  // installed path -> package path, for messages
  for (const auto& [path, original, m] : order) {
    const PathSpec* spec = nullptr;
    if (auto it = by_path.find(original); it != by_path.end()) spec = it->second;
    if (!source_of.emplace(path, original).second) return refuse("two members install `" + path + "`");
    std::string image_path = root + "/" + path;
    nlohmann::json pd = {{"_path", path}};
    if (!m || m->type == archive::TarType::directory) {
      out.entries.push_back(archive::dir_entry(image_path, m ? usable_mode(m->mode | 0700) : 0755));
      pd["path_type"] = "directory";
      paths_data.push_back(pd);
      continue;
    }
    files.push_back(path);
    if (m->type == archive::TarType::symlink) {
      out.entries.push_back(archive::symlink_entry(image_path, m->link_target));
      links.push_back(archive::LinkSpec{image_path, m->link_target});
      pd["path_type"] = "softlink";
      if (spec && !spec->sha256.empty()) pd["sha256"] = spec->sha256;
      paths_data.push_back(pd);
      continue;
    }
    pd["path_type"] = "hardlink";
    pd["sha256"] = m->sha256;
    pd["size_in_bytes"] = m->size;
    archive::Entry e;
    e.path = image_path;
    e.mode = usable_mode(m->mode);
    if (spec && !spec->placeholder.empty()) {
      if (!m->data) return refuse("`" + original + "` holds the prefix but is a hardlink to a file that does not");
      std::string replaced;
      if (spec->file_mode == "binary") {
        auto r = replace_binary_prefix(*m->data, spec->placeholder, prefix.path);
        if (!r) return fail(r.error().kind, what + ": `" + original + "`: " + r.error().message);
        replaced = std::move(*r);
      } else {
        replaced = replace_text_prefix(*m->data, spec->placeholder, prefix.path);
      }
      pd["prefix_placeholder"] = spec->placeholder;
      pd["file_mode"] = spec->file_mode;
      pd["sha256_in_prefix"] = util::Digest::sha256_of(replaced).hex();
      pd["size_in_prefix"] = replaced.size();
      e.size = replaced.size();
      e.data = std::move(replaced);
    } else if (m->data) {
      e.data = *m->data;
      e.size = e.data.size();
    } else {
      e.size = m->size;
      std::size_t index = m->index;
      std::string sha = m->sha256;
      std::uint64_t size = m->size;
      e.open = [shared, index, sha, size, original]() -> Result<std::unique_ptr<util::Reader>> {
        auto* in = TRY(shared->at(index));
        return std::unique_ptr<util::Reader>(new StreamedFile(shared, *in, original, size, sha));
      };
    }
    if (original.starts_with("etc/conda/activate.d/") && original.ends_with(".sh"))
      out.activation.push_back(ActivationScript{path, e.data});
    if (is_link_script(original, ref.name)) out.link_scripts.push_back(path);
    out.entries.push_back(std::move(e));
    paths_data.push_back(pd);
  }
  TRY_CONTEXT(archive::check_links(links, root), what);

  // noarch: python entry points.
  if (noarch_python) {
    auto eps = TRY_CONTEXT(entry_points(info), what);
    for (const auto& ep : eps) {
      std::string path = "bin/" + ep.command;
      if (source_of.contains(path)) return refuse("entry point `" + ep.command + "` is also a file of the package");
      source_of.emplace(path, path);
      auto text = launcher(ep, prefix.path);
      files.push_back(path);
      paths_data.push_back({{"_path", path},
                            {"path_type", "unix_python_entry_point"},
                            {"sha256", util::Digest::sha256_of(text).hex()},
                            {"size_in_bytes", text.size()}});
      out.entries.push_back(archive::file_entry(root + "/" + path, std::move(text), 0755));
    }
  }

  // conda-meta/<name>-<version>-<build>.json.
  nlohmann::json meta = index;
  for (const auto& [k, v] : ref.record.items()) meta[k] = v;
  meta["name"] = ref.name;
  meta["version"] = ref.version;
  meta["build"] = ref.build;
  meta["fn"] = ref.filename;
  meta["url"] = ref.url;
  meta["channel"] = ref.channel;
  meta["sha256"] = ref.sha256;
  if (ref.size) meta["size"] = ref.size;
  std::sort(files.begin(), files.end());
  meta["files"] = files;
  std::sort(paths_data.begin(), paths_data.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["_path"] < b["_path"]; });
  meta["paths_data"] = {{"paths", paths_data}, {"paths_version", 1}};
  meta["requested_spec"] = ref.requested_spec;
  out.entries.push_back(archive::file_entry(root + "/conda-meta/" + label + ".json",
                                            meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));

  std::sort(out.entries.begin(), out.entries.end(),
            [](const archive::Entry& a, const archive::Entry& b) { return a.path < b.path; });
  std::sort(out.link_scripts.begin(), out.link_scripts.end());
  return out;
}

Result<void> check_environment(std::span<const Installed> packages, const Prefix& prefix) {
  std::map<std::string, std::pair<const Installed*, bool>> owner;  // path -> package, is a directory
  std::vector<archive::LinkSpec> links;
  for (const auto& p : packages)
    for (const auto& e : p.entries) {
      bool dir = e.type == archive::EntryType::directory;
      auto [it, fresh] = owner.emplace(e.path, std::pair{&p, dir});
      if (!fresh && !(dir && it->second.second))
        return fail(ErrorKind::invalid_input, "conda packages " + it->second.first->label() + " and " + p.label() +
                                                  " both install `/" + e.path + "`; the environment cannot hold both");
      if (e.type == archive::EntryType::symlink) links.push_back(archive::LinkSpec{e.path, e.link_target});
    }
  // A file (or link) where another package needs a directory.
  for (const auto& [path, who] : owner) {
    auto slash = path.rfind('/');
    while (slash != std::string::npos) {
      auto parent = path.substr(0, slash);
      auto it = owner.find(parent);
      if (it != owner.end() && !it->second.second)
        return fail(ErrorKind::invalid_input, "conda package " + it->second.first->label() + " installs `/" + parent +
                                                  "` as a file, where " + who.first->label() + " installs `/" + path +
                                                  "`");
      slash = parent.rfind('/');
    }
  }
  TRY(archive::check_links(links, prefix.path.substr(1)));
  return {};
}

std::vector<archive::Entry> layer_entries(std::vector<Installed> packages) {
  std::vector<archive::Entry> out;
  std::set<std::string> have;
  for (auto& p : packages)
    for (auto& e : p.entries) {
      have.insert(e.path);
      out.push_back(std::move(e));
    }
  std::set<std::string> parents;
  for (const auto& e : out) {
    auto slash = e.path.rfind('/');
    while (slash != std::string::npos) {
      auto parent = e.path.substr(0, slash);
      if (!have.contains(parent)) parents.insert(parent);
      slash = parent.rfind('/');
    }
  }
  for (const auto& p : parents) out.push_back(archive::dir_entry(p));
  std::sort(out.begin(), out.end(), [](const archive::Entry& a, const archive::Entry& b) { return a.path < b.path; });
  return out;
}

archive::Entry history_entry(std::span<const PackageRef> packages, std::span<const std::string> specs,
                             const Prefix& prefix) {
  std::vector<std::string> added;
  for (const auto& p : packages) {
    std::string channel = p.channel.empty() ? p.url.substr(0, p.url.rfind('/')) : p.channel;
    added.push_back("+" + channel + "::" + p.name + "-" + p.version + "-" + p.build);
  }
  std::sort(added.begin(), added.end());
  std::string text = "==> 1970-01-01 00:00:00 <==\n# cmd: mlpack build\n";
  std::string list;
  for (const auto& s : specs)
    list +=
        (list.empty() ? "" : ", ") + nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += "# update specs: [" + list + "]\n";
  for (const auto& a : added) text += a + "\n";
  return archive::file_entry(prefix.path.substr(1) + "/conda-meta/history", std::move(text));
}

}  // namespace mlpack::condapkg
