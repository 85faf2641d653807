#include "oci/layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <algorithm>
#include <set>

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::oci {

namespace fs = std::filesystem;
using util::ErrorKind;
using util::fail;

namespace {

constexpr std::size_t manifest_limit = 4 << 20;  // manifests and indexes are small; refuse huge ones
constexpr std::string_view layout_header = R"({"imageLayoutVersion":"1.0.0"})";

std::string describe_location(const fs::path& dir, std::string_view tag) {
  std::string s = "oci:" + dir.string();
  if (!tag.empty()) s += ":" + std::string(tag);
  return s;
}

fs::path blob_path(const fs::path& dir, const Digest& d) { return dir / "blobs" / d.algorithm() / d.hex(); }

std::string ref_name(const Descriptor& d) {
  auto it = d.annotations.find(std::string(ref_name_annotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

// An index entry that is an artifact attached to an image (an SBOM), not an image of its own.
bool is_artifact(const Descriptor& d) { return !d.artifact_type.empty(); }

std::string list_tags(const Index& idx) {
  std::string out;
  for (const auto& d : idx.manifests) {
    if (is_artifact(d)) continue;
    auto name = ref_name(d);
    out += (out.empty() ? "" : ", ") + (name.empty() ? "(untagged " + d.digest.short_str() + ")" : "`" + name + "`");
  }
  return out.empty() ? "none" : out;
}

// Reads a small blob and checks it against its digest: a layout on disk is outside input.
Result<std::string> read_small_blob(const fs::path& dir, const Digest& d) {
  auto bytes = util::read_file(blob_path(dir, d), manifest_limit);
  if (!bytes) {
    if (bytes.error().kind == ErrorKind::not_found)
      return fail(ErrorKind::not_found, "blob " + d.str() + " is missing from the layout");
    return std::unexpected(bytes.error());
  }
  if (d.algorithm() == "sha256" && Digest::sha256_of(*bytes) != d)
    return fail(ErrorKind::integrity, "blob " + d.str() + " in the layout does not match its digest");
  return bytes;
}

Result<Index> read_index(const fs::path& dir) {
  auto text = TRY(util::read_file(dir / "index.json", manifest_limit));
  auto idx = TRY_CONTEXT(parse_index(text), "`" + (dir / "index.json").string() + "`");
  return idx;
}

// Holds an exclusive flock on the layout directory so two processes adding tags at once do not
// lose one of them (each reads, changes and replaces index.json).
class DirLock {
 public:
  static Result<DirLock> acquire(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(util::errno_error("open", dir, errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return std::unexpected(util::errno_error("lock", dir, e));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

class LayoutSource final : public ImageSource {
 public:
  LayoutSource(fs::path dir, std::string tag, Descriptor top)
      : dir_(std::move(dir)), tag_(std::move(tag)), top_(std::move(top)) {}

  std::string describe() const override { return describe_location(dir_, tag_); }

  Result<RawManifest> get_manifest(const std::optional<Digest>& digest) override {
    const Digest& want = digest ? *digest : top_.digest;
    auto bytes = TRY_CONTEXT(read_small_blob(dir_, want), describe());
    RawManifest m;
    m.media_type = digest && *digest != top_.digest ? detect_media_type(bytes) : top_.media_type;
    m.bytes = std::move(bytes);
    m.digest = want;
    return m;
  }

  // Every untagged manifest in the index whose `subject` is `subject`: the entries mlpack writes
  // carry their artifactType, but other tools may list an artifact without it.
  Result<std::vector<Descriptor>> referrers(const Digest& subject) override {
    auto idx = TRY_CONTEXT(read_index(dir_), describe());
    std::vector<Descriptor> out;
    for (const auto& d : idx.manifests) {
      if (!ref_name(d).empty() || !media::is_manifest(d.media_type) || d.digest == subject) continue;
      auto bytes = TRY_CONTEXT(read_small_blob(dir_, d.digest), describe());
      auto m = parse_manifest(bytes);
      if (!m || !m->subject || m->subject->digest != subject) continue;
      Descriptor r = d;
      r.artifact_type = !m->artifact_type.empty() ? m->artifact_type : m->config.media_type;
      r.annotations = m->annotations;
      out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const Descriptor& a, const Descriptor& b) { return a.digest.str() < b.digest.str(); });
    return out;
  }

  Result<std::unique_ptr<util::Reader>> open_blob(const Descriptor& blob) override {
    auto r = util::FileReader::open(blob_path(dir_, blob.digest).string());
    if (!r) {
      if (r.error().kind == ErrorKind::not_found)
        return fail(ErrorKind::not_found, describe() + ": blob " + blob.digest.str() + " is missing from the layout");
      return std::unexpected(r.error().context(describe()));
    }
    return std::unique_ptr<util::Reader>(std::move(*r));
  }

 private:
  fs::path dir_;
  std::string tag_;
  Descriptor top_;
};

class LayoutDestination final : public ImageDestination {
 public:
  LayoutDestination(fs::path dir, std::string tag) : dir_(std::move(dir)), tag_(std::move(tag)) {}

  std::string describe() const override { return describe_location(dir_, tag_); }

  Result<bool> has_blob(const Descriptor& blob, const std::optional<BlobSourceHint>&) override {
    std::error_code ec;
    auto st = fs::status(blob_path(dir_, blob.digest), ec);
    if (ec || !fs::is_regular_file(st)) return false;
    // A blob of the wrong size was not written by us (we rename only verified blobs); treat it
    // as absent so put_blob replaces it.
    auto size = fs::file_size(blob_path(dir_, blob.digest), ec);
    return !ec && static_cast<std::int64_t>(size) == blob.size;
  }

  Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) override {
    auto what = "writing blob " + blob.digest.short_str() + " to " + describe();
    if (auto have = has_blob(blob, std::nullopt); have && *have) return {};
    auto dest = blob_path(dir_, blob.digest);
    TRY_CONTEXT(util::make_dirs(dest.parent_path()), what);
    auto reader = TRY_CONTEXT(open(), what);
    auto verified = verify_reader(std::move(reader), blob);
    // The temporary file sits next to the blob; it is renamed into place only once the bytes
    // have been verified, and removed otherwise, so blobs/ never holds unverified content.
    auto file = TRY_CONTEXT(util::AtomicFile::create(dest, 0644), what);
    TRY_CONTEXT(util::copy(*verified, *file), what);
    TRY_CONTEXT(file->commit(), what);
    return {};
  }

  // A hard link costs no copy and no second hash of a file that is already verified; across
  // filesystems (or where links are refused) the bytes are streamed and verified as usual.
  Result<void> put_trusted_blob_file(const Descriptor& blob, const fs::path& file) override {
    if (auto have = has_blob(blob, std::nullopt); have && *have) return {};
    auto dest = blob_path(dir_, blob.digest);
    TRY_CONTEXT(util::make_dirs(dest.parent_path()), "writing blob " + blob.digest.short_str() + " to " + describe());
    std::error_code ec;
    fs::create_hard_link(file, dest, ec);
    if (!ec || ec == std::errc::file_exists) return {};
    return ImageDestination::put_trusted_blob_file(blob, file);
  }

  Result<void> put_manifest(const RawManifest& manifest) override {
    auto what = "writing manifest " + manifest.digest.short_str() + " to " + describe();
    Descriptor d{manifest.media_type, manifest.digest, static_cast<std::int64_t>(manifest.bytes.size())};
    if (auto have = has_blob(d, std::nullopt); have && *have) return {};
    if (Digest::sha256_of(manifest.bytes) != manifest.digest)
      return fail(ErrorKind::integrity, what + ": bytes do not match digest " + manifest.digest.str());
    TRY_CONTEXT(util::write_file_atomic(blob_path(dir_, manifest.digest), manifest.bytes), what);
    return {};
  }

  Result<void> commit(const RawManifest& top) override {
    TRY(put_manifest(top));
    auto what = "updating `" + (dir_ / "index.json").string() + "`";
    auto lock = TRY_CONTEXT(DirLock::acquire(dir_), what);  // held until the index is written

    Index idx;
    std::error_code ec;
    if (fs::exists(dir_ / "index.json", ec)) {
      idx = TRY_CONTEXT(read_index(dir_), what);
    }
    Descriptor entry{top.media_type, top.digest, static_cast<std::int64_t>(top.bytes.size())};
    if (!tag_.empty()) entry.annotations[std::string(ref_name_annotation)] = tag_;

    std::vector<Descriptor> kept;
    bool replaced = false;
    for (auto& d : idx.manifests) {
      auto name = ref_name(d);
      bool same_slot = tag_.empty() ? (name.empty() && d.digest == top.digest) : name == tag_;
      if (!same_slot) {
        kept.push_back(std::move(d));
      } else if (!replaced) {  // keep the tag's position in the index
        kept.push_back(entry);
        replaced = true;
      }
    }
    if (!replaced) kept.push_back(entry);
    idx.manifests = std::move(kept);
    idx.media_type = std::string(media::oci_index);

    // oci-layout first: a layout must never have an index.json without it.
    if (!fs::exists(dir_ / "oci-layout", ec))
      TRY_CONTEXT(util::write_file_atomic(dir_ / "oci-layout", layout_header), what);
    // A rebuild that changes nothing leaves the index as it is (no write, no fsync).
    auto text = to_json(idx);
    if (auto current = util::read_file(dir_ / "index.json", text.size() + 1); current && *current == text) return {};
    TRY_CONTEXT(util::write_file_atomic(dir_ / "index.json", text), what);
    return {};
  }

  // The artifact is listed untagged, with its artifactType, so tools that look images up by tag
  // (skopeo, umoci) never see it. Artifacts whose subject the index no longer lists (a tag moved
  // on) are dropped from it; their blobs stay, as an untagged image's do.
  Result<void> put_referrer(const RawManifest& artifact) override {
    auto what = "attaching " + artifact.digest.short_str() + " in `" + (dir_ / "index.json").string() + "`";
    auto parsed = TRY_CONTEXT(parse_manifest(artifact.bytes), what);
    if (!parsed.subject) return fail(ErrorKind::invalid_input, what + ": the manifest has no `subject`");
    TRY(put_manifest(artifact));
    auto lock = TRY_CONTEXT(DirLock::acquire(dir_), what);  // held until the index is written
    auto idx = TRY_CONTEXT(read_index(dir_), what);

    // The images listed, and the images of the indexes listed (variants of one image index).
    std::set<std::string> images;
    for (const auto& d : idx.manifests) {
      if (is_artifact(d)) continue;
      images.insert(d.digest.str());
      if (!media::is_index(d.media_type)) continue;
      auto bytes = read_small_blob(dir_, d.digest);
      auto child = bytes ? parse_index(*bytes) : Result<Index>(std::unexpected(bytes.error()));
      if (child)
        for (const auto& m : child->manifests) images.insert(m.digest.str());
    }
    if (!images.contains(parsed.subject->digest.str()))
      return fail(ErrorKind::not_found, what + ": the layout does not list its subject " + parsed.subject->digest.short_str());

    const std::string before = to_json(idx);
    Descriptor entry{artifact.media_type, artifact.digest, static_cast<std::int64_t>(artifact.bytes.size())};
    entry.artifact_type = parsed.artifact_type.empty() ? parsed.config.media_type : parsed.artifact_type;
    std::vector<Descriptor> kept;
    bool listed = false;  // attached again (a warm rebuild): it keeps its place
    for (auto& d : idx.manifests) {
      if (d.digest == artifact.digest) {
        if (!listed) kept.push_back(entry);
        listed = true;
        continue;
      }
      if (is_artifact(d)) {
        auto bytes = read_small_blob(dir_, d.digest);
        auto m = bytes ? parse_manifest(*bytes) : Result<Manifest>(std::unexpected(bytes.error()));
        if (m && m->subject && !images.contains(m->subject->digest.str())) continue;
      }
      kept.push_back(std::move(d));
    }
    if (!listed) kept.push_back(std::move(entry));
    idx.manifests = std::move(kept);
    // A warm rebuild attaches the same artifact again: the index is left as it is (no write).
    if (auto after = to_json(idx); after != before)
      TRY_CONTEXT(util::write_file_atomic(dir_ / "index.json", after), what);
    return {};
  }

 private:
  fs::path dir_;
  std::string tag_;
};

}  // namespace

Result<void> validate_layout_tag(std::string_view tag) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  bool ok = !tag.empty() && alnum(tag.front()) && alnum(tag.back());
  for (char c : tag)
    if (!alnum(c) && !std::strchr("._-:@+/", c)) ok = false;
  if (!ok)
    return fail(ErrorKind::invalid_input, "invalid tag `" + std::string(tag) +
                                              "`: use letters, digits and `._-:@+/`, starting and ending with a "
                                              "letter or digit");
  return {};
}

Result<std::unique_ptr<ImageSource>> open_layout_source(const fs::path& dir, std::string_view tag) {
  auto where = describe_location(dir, tag);
  if (!tag.empty()) TRY_CONTEXT(validate_layout_tag(tag), where);
  std::error_code ec;
  if (!fs::exists(dir / "oci-layout", ec))
    return fail(ErrorKind::not_found, where + ": `" + dir.string() + "` is not an OCI layout (no `oci-layout` file)");
  auto header = TRY_CONTEXT(util::read_file(dir / "oci-layout", 1 << 16), where);
  auto hj = nlohmann::json::parse(header, nullptr, false);
  if (hj.is_discarded() || !hj.is_object() || !hj.contains("imageLayoutVersion"))
    return fail(ErrorKind::invalid_input, where + ": malformed `oci-layout` file");

  auto idx = TRY_CONTEXT(read_index(dir), where);
  if (tag.empty()) {
    // Artifacts attached to an image (SBOMs) are not images to choose from.
    std::vector<const Descriptor*> images;
    for (const auto& d : idx.manifests)
      if (!is_artifact(d)) images.push_back(&d);
    if (images.size() != 1)
      return fail(ErrorKind::invalid_input, where + ": the layout holds " + std::to_string(images.size()) +
                                                " images; name one with `oci:" + dir.string() +
                                                ":TAG` (tags: " + list_tags(idx) + ")");
    return std::make_unique<LayoutSource>(dir, std::string(), *images.front());
  }
  for (const auto& d : idx.manifests)
    if (ref_name(d) == tag) return std::make_unique<LayoutSource>(dir, std::string(tag), d);
  return fail(ErrorKind::not_found,
              where + ": no image tagged `" + std::string(tag) + "` (tags: " + list_tags(idx) + ")");
}

Result<void> check_layout_destination(const fs::path& dir, std::string_view tag) {
  auto where = describe_location(dir, tag);
  if (!tag.empty()) TRY_CONTEXT(validate_layout_tag(tag), where);

  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (!fs::exists(st)) {
    // A folder to be made: the nearest existing folder above it must be one (a file named
    // `.mlpack` would only fail once the build is done). As when making it fails: io, exit 1.
    for (auto up = fs::absolute(dir, ec).parent_path(); !up.empty(); up = up.parent_path()) {
      auto s = fs::status(up, ec);
      if (!fs::exists(s)) {
        if (up == up.parent_path()) break;
        continue;
      }
      if (!fs::is_directory(s))
        return fail(ErrorKind::io, where + ": `" + up.string() + "` is in the way: it is not a directory");
      break;
    }
    return {};
  }
  if (!fs::is_directory(st))
    return fail(ErrorKind::invalid_input, where + ": `" + dir.string() + "` exists and is not a directory");
  bool is_layout = fs::exists(dir / "oci-layout", ec);
  // Empty, or only what another writer of this layout has begun (blobs/, the oci-layout file
  // being written): a concurrent or interrupted first write to the same new layout.
  bool fresh = true;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name != "blobs" && !name.starts_with("oci-layout")) fresh = false;
  }
  // Refuse to scatter blobs into, say, a project folder named by mistake.
  if (!is_layout && !fresh)
    return fail(ErrorKind::invalid_input,
                where + ": `" + dir.string() + "` is not empty and not an OCI layout; choose a new directory");
  return {};
}

Result<std::unique_ptr<ImageDestination>> open_layout_destination(const fs::path& dir, std::string_view tag) {
  auto where = describe_location(dir, tag);
  TRY(check_layout_destination(dir, tag));
  std::error_code ec;
  TRY_CONTEXT(util::make_dirs(dir / "blobs" / "sha256"), where);
  // The layout marks itself at once, so a second writer (or the next build after an interrupted
  // one) recognises the folder as a layout.
  if (!fs::exists(dir / "oci-layout", ec))
    TRY_CONTEXT(util::write_file_atomic(dir / "oci-layout", layout_header), where);
  // What a killed writer left behind (util/cleanup.hpp). Files that a live writer, here or in
  // another process, is still writing are locked and stay.
  util::remove_abandoned_temp_paths(dir / "blobs" / "sha256");
  util::remove_abandoned_temp_paths(dir, "index.json.tmp-");
  util::remove_abandoned_temp_paths(dir, "oci-layout.tmp-");
  // Say now, naming the path, rather than at the first blob. (access() says yes to root; then a
  // later write reports the real failure, still naming the path.)
  for (const auto& p : {dir, dir / "blobs" / "sha256"})
    if (::access(p.c_str(), W_OK) != 0)
      return fail(ErrorKind::io, where + ": cannot write to `" + p.string() + "`: " + std::strerror(errno));
  return std::make_unique<LayoutDestination>(dir, std::string(tag));
}

}  // namespace mlpack::oci
