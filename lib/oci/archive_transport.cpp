#include "oci/archive_transport.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "oci/layout.hpp"
#include "oci/tar_io.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::oci {

namespace fs = std::filesystem;
using util::ErrorKind;
using util::fail;

namespace {

constexpr std::size_t config_limit = 64 << 20;

std::string describe_location(std::string_view transport, const fs::path& file, std::string_view ref) {
  std::string s = std::string(transport) + ":" + file.string();
  if (!ref.empty()) s += ":" + std::string(ref);
  return s;
}

// The staging directory sits next to FILE so the final rename never crosses filesystems. What a
// killed writer of the same FILE left there (its staging folder, its half-written archive) goes
// first; a live writer's are locked and stay (util/cleanup.hpp).
Result<util::TempDir> staging_next_to(const fs::path& file) {
  auto parent = file.parent_path();
  if (parent.empty()) parent = ".";
  TRY(util::make_dirs(parent));
  auto name = file.filename().string();
  util::remove_abandoned_temp_paths(parent, "." + name + ".tmp-");
  util::remove_abandoned_temp_paths(parent, name + ".tmp-");
  return util::TempDir::create(parent, "." + name + ".tmp-");
}

// Writes the tar under a temporary name beside FILE and renames it into place.
Result<void> write_archive(const fs::path& file, const std::vector<tar_io::Member>& members) {
  auto out = TRY(util::AtomicFile::create(file, 0644));
  TRY(tar_io::write_tar(members, *out));
  return out->commit();
}

Result<void> refuse_directory(const fs::path& file, const std::string& where) {
  std::error_code ec;
  if (fs::is_directory(file, ec))
    return fail(ErrorKind::invalid_input, where + ": `" + file.string() + "` is a directory; an archive is a file");
  return {};
}

// What both archive destinations check before anything is written: the reference, if any (by
// `validate`), and that FILE is not a directory.
template <class Validate>
Result<void> check_archive_destination(std::string_view transport, const fs::path& file, std::string_view ref,
                                       Validate validate) {
  auto where = describe_location(transport, file, ref);
  if (!ref.empty()) TRY_CONTEXT(validate(ref), where);
  return refuse_directory(file, where);
}

// ---------------------------------------------------------------------------------------------
// oci-archive:

class OciArchiveDestination final : public ImageDestination {
 public:
  OciArchiveDestination(fs::path file, std::string tag, util::TempDir staging, std::unique_ptr<ImageDestination> layout)
      : file_(std::move(file)), tag_(std::move(tag)), staging_(std::move(staging)), layout_(std::move(layout)) {}

  std::string describe() const override { return describe_location("oci-archive", file_, tag_); }

  Result<bool> has_blob(const Descriptor& blob, const std::optional<BlobSourceHint>& hint) override {
    return layout_->has_blob(blob, hint);
  }
  Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) override {
    TRY_CONTEXT(layout_->put_blob(blob, open), describe());
    return {};
  }
  Result<void> put_manifest(const RawManifest& manifest) override {
    TRY_CONTEXT(layout_->put_manifest(manifest), describe());
    return {};
  }
  Result<void> commit(const RawManifest& top) override {
    auto what = "writing " + describe();
    TRY_CONTEXT(layout_->commit(top), what);
    TRY_CONTEXT(write_from_staging(), what);
    committed_ = true;
    return {};
  }
  // The archive is written at commit. An artifact attached after that (an SBOM) joins the image
  // in the staging layout, which this destination keeps until it is destroyed, and the archive is
  // written again from it, atomically as the first time: the file then holds the image and its
  // referrers, listed in index.json as a layout lists them. Each attachment costs one more write
  // of the archive.
  Result<void> put_referrer(const RawManifest& artifact) override {
    auto what = "attaching " + artifact.digest.short_str() + " to " + describe();
    if (!committed_) return fail(ErrorKind::internal, what + ": the image is not written yet");
    TRY_CONTEXT(layout_->put_referrer(artifact), what);
    TRY_CONTEXT(write_from_staging(), what);
    return {};
  }

 private:
  Result<void> write_from_staging() {
    auto members = TRY(tar_io::list_tree(staging_.path() / "layout"));
    return write_archive(file_, members);
  }

  fs::path file_;
  std::string tag_;
  util::TempDir staging_;
  std::unique_ptr<ImageDestination> layout_;
  bool committed_ = false;
};

// A source over a temporary extraction, which it owns and removes.
class ExtractedSource final : public ImageSource {
 public:
  ExtractedSource(std::string description, util::TempDir dir, std::unique_ptr<ImageSource> inner)
      : description_(std::move(description)), dir_(std::move(dir)), inner_(std::move(inner)) {}

  std::string describe() const override { return description_; }
  Result<RawManifest> get_manifest(const std::optional<Digest>& digest) override {
    auto r = TRY_CONTEXT(inner_->get_manifest(digest), description_);
    return r;
  }
  Result<std::unique_ptr<util::Reader>> open_blob(const Descriptor& blob) override {
    auto r = TRY_CONTEXT(inner_->open_blob(blob), description_);
    return r;
  }
  Result<std::vector<Descriptor>> referrers(const Digest& subject) override {
    auto r = TRY_CONTEXT(inner_->referrers(subject), description_);
    return r;
  }

 private:
  std::string description_;
  util::TempDir dir_;
  std::unique_ptr<ImageSource> inner_;
};

// ---------------------------------------------------------------------------------------------
// docker-archive:

bool is_layer_media_type(std::string_view mt) {
  return mt.find("layer") != std::string_view::npos || mt.find("rootfs.diff") != std::string_view::npos;
}

class DockerArchiveDestination final : public ImageDestination {
 public:
  DockerArchiveDestination(fs::path file, std::string repo_tag, util::TempDir staging)
      : file_(std::move(file)), repo_tag_(std::move(repo_tag)), staging_(std::move(staging)) {}

  std::string describe() const override { return describe_location("docker-archive", file_, repo_tag_); }

  Result<bool> has_blob(const Descriptor& blob, const std::optional<BlobSourceHint>&) override {
    std::lock_guard lock(mu_);
    return layers_.contains(blob.digest) || other_.contains(blob.digest);
  }

  Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) override {
    auto what = "writing blob " + blob.digest.short_str() + " to " + describe();
    if (auto have = has_blob(blob, std::nullopt); have && *have) return {};
    auto reader = TRY_CONTEXT(open(), what);
    auto verified = verify_reader(std::move(reader), blob);
    auto path = staging_.path() / ("blob-" + blob.digest.hex());
    auto file = TRY_CONTEXT(util::AtomicFile::create(path, 0644), what);

    if (is_layer_media_type(blob.media_type)) {
      // docker load wants uncompressed layers: decompress while the compressed bytes are
      // verified, and hash the result, which must equal the config's diff_id.
      util::Sha256Writer hasher;
      util::TeeWriter tee(*file, hasher);
      TRY_CONTEXT(tar_io::decompress(*verified, tee), what);
      TRY_CONTEXT(file->commit(), what);
      std::lock_guard lock(mu_);
      layers_.insert_or_assign(blob.digest, Staged{path, hasher.finish()});
    } else {
      TRY_CONTEXT(util::copy(*verified, *file), what);
      TRY_CONTEXT(file->commit(), what);
      std::lock_guard lock(mu_);
      other_[blob.digest] = path;
    }
    return {};
  }

  // A docker archive has no place for manifests; the one image's is rebuilt as manifest.json.
  Result<void> put_manifest(const RawManifest&) override { return {}; }

  Result<void> commit(const RawManifest& top) override {
    auto what = "writing " + describe();
    if (media::is_index(top.media_type))
      return fail(ErrorKind::unsupported,
                  what + ": a docker archive holds a single image, not an index; choose one with `--platform`");
    auto m = TRY_CONTEXT(parse_manifest(top.bytes), what);

    std::lock_guard lock(mu_);
    auto cfg_it = other_.find(m.config.digest);
    if (cfg_it == other_.end())
      return fail(ErrorKind::internal, what + ": config " + m.config.digest.str() + " was not written first");
    auto config_bytes = TRY_CONTEXT(util::read_file(cfg_it->second, config_limit), what);
    auto config = TRY_CONTEXT(parse_config(config_bytes), what);
    if (config.diff_ids.size() != m.layers.size())
      return fail(ErrorKind::integrity, what + ": the manifest has " + std::to_string(m.layers.size()) +
                                            " layers but the config lists " + std::to_string(config.diff_ids.size()) +
                                            " diff_ids");

    std::vector<tar_io::Member> members;
    members.push_back({m.config.digest.hex() + ".json", cfg_it->second});
    nlohmann::json layer_names = nlohmann::json::array();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
      auto it = layers_.find(m.layers[i].digest);
      if (it == layers_.end())
        return fail(ErrorKind::internal, what + ": layer " + m.layers[i].digest.str() + " was not written first");
      if (it->second.diff_id != config.diff_ids[i])
        return fail(ErrorKind::integrity, what + ": layer " + std::to_string(i) + " (" + m.layers[i].digest.str() +
                                              ") decompresses to " + it->second.diff_id.str() +
                                              " but the config's diff_id is " + config.diff_ids[i].str());
      auto name = it->second.diff_id.hex() + ".tar";
      layer_names.push_back(name);
      if (seen.insert(name).second) members.push_back({name, it->second.path});
    }

    nlohmann::json entry = {
        {"Config", m.config.digest.hex() + ".json"},
        {"RepoTags", repo_tag_.empty() ? nlohmann::json::array() : nlohmann::json::array({repo_tag_})},
        {"Layers", layer_names}};
    auto manifest_path = staging_.path() / "manifest.json";
    TRY_CONTEXT(util::write_file_atomic(manifest_path, nlohmann::json::array({entry}).dump()), what);
    members.push_back({"manifest.json", manifest_path});
    std::sort(members.begin(), members.end(),
              [](const tar_io::Member& a, const tar_io::Member& b) { return a.name < b.name; });
    TRY_CONTEXT(write_archive(file_, members), what);
    return {};
  }

 private:
  struct Staged {
    fs::path path;  // the uncompressed tar
    Digest diff_id;
  };
  fs::path file_;
  std::string repo_tag_;
  util::TempDir staging_;
  std::mutex mu_;
  std::map<Digest, Staged> layers_;  // by blob digest
  std::map<Digest, fs::path> other_;  // configs and anything else, by digest
};

class DockerArchiveSource final : public ImageSource {
 public:
  DockerArchiveSource(std::string description, util::TempDir dir, RawManifest manifest, std::map<Digest, fs::path> blobs)
      : description_(std::move(description)),
        dir_(std::move(dir)),
        manifest_(std::move(manifest)),
        blobs_(std::move(blobs)) {}

  std::string describe() const override { return description_; }

  Result<RawManifest> get_manifest(const std::optional<Digest>& digest) override {
    if (digest && *digest != manifest_.digest)
      return fail(ErrorKind::not_found, description_ + ": no manifest " + digest->str() + " (the archive holds one image)");
    return manifest_;
  }

  Result<std::unique_ptr<util::Reader>> open_blob(const Descriptor& blob) override {
    auto it = blobs_.find(blob.digest);
    if (it == blobs_.end()) return fail(ErrorKind::not_found, description_ + ": no blob " + blob.digest.str());
    auto r = TRY_CONTEXT(util::FileReader::open(it->second.string()), description_);
    return std::unique_ptr<util::Reader>(std::move(r));
  }

 private:
  std::string description_;
  util::TempDir dir_;
  RawManifest manifest_;
  std::map<Digest, fs::path> blobs_;
};

// Docker writes "name:tag" for images from Docker Hub and the full name otherwise; accept
// either spelling of the same reference.
std::string strip_hub_prefix(std::string s) {
  for (std::string_view p : {"docker.io/library/", "docker.io/"})
    if (s.starts_with(p)) return s.substr(p.size());
  return s;
}

std::string_view sniff_layer_type(const fs::path& path) {
  auto r = util::FileReader::open(path.string());
  if (!r) return media::oci_layer_tar;
  std::array<std::byte, 4> head{};
  auto n = (*r)->read(head);
  if (n && *n >= 2 && head[0] == std::byte{0x1f} && head[1] == std::byte{0x8b}) return media::oci_layer_gzip;
  if (n && *n >= 4 && head[0] == std::byte{0x28} && head[1] == std::byte{0xb5} && head[2] == std::byte{0x2f} &&
      head[3] == std::byte{0xfd})
    return media::oci_layer_zstd;
  return media::oci_layer_tar;
}

Result<std::string> member_name(const nlohmann::json& v, const char* field) {
  if (!v.is_string()) return fail(ErrorKind::invalid_input, "manifest.json: `" + std::string(field) + "` must be a string");
  auto rel = TRY_CONTEXT(tar_io::safe_relative(v.get<std::string>()), "manifest.json");
  return rel;
}

}  // namespace

Result<std::string> docker_archive_repo_tag(std::string_view ref) {
  std::string r(ref);
  auto bad = [&](const std::string& why) {
    return fail(ErrorKind::invalid_input, "invalid docker-archive reference `" + r + "`: " + why);
  };
  if (r.empty()) return bad("it is empty");
  if (r.find('@') != std::string::npos) return bad("a docker archive needs a tag, not a digest");
  auto slash = r.rfind('/');
  auto colon = r.rfind(':');
  std::string name = r, tag = "latest";
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name = r.substr(0, colon);
    tag = r.substr(colon + 1);
  }
  if (name.empty() || name.front() == '/' || name.back() == '/') return bad("the name is empty");
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          std::strchr("._-/:", c)))
      return bad("names use lower-case letters, digits and `._-/`");
  // A colon in the name can only be a registry port: "host:5000/repo".
  if (auto c = name.find(':'); c != std::string::npos) {
    auto first_slash = name.find('/');
    bool port_ok = first_slash != std::string::npos && c < first_slash && c + 1 < first_slash;
    for (auto i = c + 1; port_ok && i < first_slash; ++i) port_ok = std::isdigit(static_cast<unsigned char>(name[i])) != 0;
    if (!port_ok) return bad("a `:` in the name must be a registry port (`host:5000/name`)");
  }
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return bad("the tag is malformed");
  for (char c : tag)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return bad("tags use letters, digits and `_.-`");
  return name + ":" + tag;
}

Result<std::unique_ptr<ImageSource>> open_oci_archive_source(const fs::path& file, std::string_view tag) {
  auto where = describe_location("oci-archive", file, tag);
  TRY(refuse_directory(file, where));
  auto dir = TRY_CONTEXT(util::TempDir::create(), where);
  TRY_CONTEXT(tar_io::extract_tar(file, dir.path()), where);
  auto inner = open_layout_source(dir.path(), tag);
  if (!inner) {
    // The inner message names the temporary directory; say it about the archive instead.
    auto e = inner.error();
    auto pos = e.message.find(": ");
    return fail(e.kind, where + (pos == std::string::npos ? ": " + e.message : e.message.substr(pos)));
  }
  return std::make_unique<ExtractedSource>(where, std::move(dir), std::move(*inner));
}

Result<void> check_oci_archive_destination(const fs::path& file, std::string_view tag) {
  return check_archive_destination("oci-archive", file, tag, validate_layout_tag);
}

Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(const fs::path& file, std::string_view tag) {
  auto where = describe_location("oci-archive", file, tag);
  TRY(check_oci_archive_destination(file, tag));
  auto staging = TRY_CONTEXT(staging_next_to(file), where);
  auto layout = TRY_CONTEXT(open_layout_destination(staging.path() / "layout", tag), where);
  return std::make_unique<OciArchiveDestination>(file, std::string(tag), std::move(staging), std::move(layout));
}

Result<std::unique_ptr<ImageSource>> open_docker_archive_source(const fs::path& file, std::string_view ref) {
  auto where = describe_location("docker-archive", file, ref);
  auto wrap = [&](util::Error e) { return std::unexpected(std::move(e).context(where)); };
  std::string want;
  if (!ref.empty()) {
    auto t = docker_archive_repo_tag(ref);
    if (!t) return wrap(t.error());
    want = strip_hub_prefix(*t);
  }
  TRY(refuse_directory(file, where));
  auto dir = util::TempDir::create();
  if (!dir) return wrap(dir.error());
  if (auto r = tar_io::extract_tar(file, dir->path()); !r) return wrap(r.error());

  std::error_code ec;
  if (!fs::exists(dir->path() / "manifest.json", ec))
    return wrap(util::Error{ErrorKind::unsupported, "no `manifest.json`: not a docker archive, or one older than Docker 1.10"});
  auto text = util::read_file(dir->path() / "manifest.json", config_limit);
  if (!text) return wrap(text.error());
  auto entries = nlohmann::json::parse(*text, nullptr, false);
  if (entries.is_discarded() || !entries.is_array() || entries.empty())
    return wrap(util::Error{ErrorKind::invalid_input, "`manifest.json` is not a non-empty JSON array"});

  auto repo_tags = [](const nlohmann::json& e) {
    std::vector<std::string> out;
    if (auto it = e.find("RepoTags"); it != e.end() && it->is_array())
      for (const auto& t : *it)
        if (t.is_string()) out.push_back(t.get<std::string>());
    return out;
  };
  const nlohmann::json* chosen = nullptr;
  std::string available;
  for (const auto& e : entries) {
    if (!e.is_object()) return wrap(util::Error{ErrorKind::invalid_input, "`manifest.json` entries must be objects"});
    auto tags = repo_tags(e);
    for (const auto& t : tags) available += (available.empty() ? "`" : ", `") + t + "`";
    if (!want.empty() && std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return strip_hub_prefix(t) == want; }))
      chosen = &e;
  }
  if (available.empty()) available = "none";
  if (want.empty()) {
    if (entries.size() != 1)
      return wrap(util::Error{ErrorKind::invalid_input, "the archive holds " + std::to_string(entries.size()) +
                                                            " images; name one with `docker-archive:" + file.string() +
                                                            ":NAME:TAG` (tags: " + available + ")"});
    chosen = &entries[0];
  }
  if (!chosen) return wrap(util::Error{ErrorKind::not_found, "no image tagged `" + want + "` (tags: " + available + ")"});

  auto config_name = member_name((*chosen)["Config"], "Config");
  if (!config_name) return wrap(config_name.error());
  auto config_path = dir->path() / *config_name;
  auto config_bytes = util::read_file(config_path, config_limit);
  if (!config_bytes) return wrap(config_bytes.error().context("config `" + *config_name + "`"));
  auto config = parse_config(*config_bytes);
  if (!config) return wrap(config.error().context("config `" + *config_name + "`"));

  std::map<Digest, fs::path> blobs;
  Manifest m;
  m.config = {std::string(media::oci_config), Digest::sha256_of(*config_bytes),
              static_cast<std::int64_t>(config_bytes->size())};
  blobs[m.config.digest] = config_path;
  auto layers = chosen->find("Layers");
  if (layers == chosen->end() || !layers->is_array())
    return wrap(util::Error{ErrorKind::invalid_input, "manifest.json: `Layers` is missing or not an array"});
  for (const auto& l : *layers) {
    auto name = member_name(l, "Layers");
    if (!name) return wrap(name.error());
    auto path = dir->path() / *name;
    auto digest = util::sha256_file(path.string());
    if (!digest) return wrap(digest.error().context("layer `" + *name + "`"));
    auto size = fs::file_size(path, ec);
    if (ec) return wrap(util::Error{ErrorKind::io, "layer `" + *name + "`: " + ec.message()});
    m.layers.push_back({std::string(sniff_layer_type(path)), *digest, static_cast<std::int64_t>(size)});
    blobs[*digest] = path;
  }
  if (m.layers.size() != config->diff_ids.size())
    return wrap(util::Error{ErrorKind::invalid_input, "manifest.json lists " + std::to_string(m.layers.size()) +
                                                          " layers but the config has " +
                                                          std::to_string(config->diff_ids.size()) + " diff_ids"});
  auto raw = RawManifest::from_bytes(to_json(m), std::string(media::oci_manifest));
  return std::make_unique<DockerArchiveSource>(where, std::move(*dir), std::move(raw), std::move(blobs));
}

Result<void> check_docker_archive_destination(const fs::path& file, std::string_view ref) {
  return check_archive_destination("docker-archive", file, ref, docker_archive_repo_tag);
}

Result<std::unique_ptr<ImageDestination>> open_docker_archive_destination(const fs::path& file, std::string_view ref) {
  auto where = describe_location("docker-archive", file, ref);
  TRY(check_docker_archive_destination(file, ref));
  std::string repo_tag;
  if (!ref.empty()) repo_tag = *docker_archive_repo_tag(ref);
  auto staging = TRY_CONTEXT(staging_next_to(file), where);
  return std::make_unique<DockerArchiveDestination>(file, repo_tag, std::move(staging));
}

}  // namespace mlpack::oci
