#include "image/file_view.hpp"

#include <set>
#include <utility>

#include "archive/reader.hpp"
#include "image/diff_id.hpp"
#include "util/expected.hpp"
#include "util/io.hpp"

namespace mlpack::image {

using util::ErrorKind;
using util::fail;

namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";

// What one layer does to the layers below it, gathered before it is applied: whiteouts hide only
// lower layers' files, whatever their place in the layer's tar.
struct LayerChanges {
  std::vector<std::string> opaque_dirs;  // their lower contents are hidden ("": the root)
  std::vector<std::string> whiteouts;    // removed with everything below them
  std::vector<std::pair<std::string, FileInfo>> entries;  // in archive order
  std::map<std::string, std::string> contents;            // of the requested regular files
};

FileInfo::Type type_of(archive::TarType t) {
  switch (t) {
    case archive::TarType::file: return FileInfo::Type::file;
    case archive::TarType::directory: return FileInfo::Type::dir;
    case archive::TarType::symlink: return FileInfo::Type::symlink;
    case archive::TarType::hardlink: return FileInfo::Type::hardlink;
    default: return FileInfo::Type::other;
  }
}

// What a path held in the view costs against FileViewRequest::max_path_bytes.
std::uint64_t cost(const std::string& path, const FileInfo& info) { return path.size() + info.link.size(); }

std::uint64_t cost(const FileView& view) {
  std::uint64_t total = 0;
  for (const auto& [path, info] : view.files) total += cost(path, info);
  return total;
}

// Removes everything strictly below `dir` ("" is the root) from a map keyed by path.
template <class Map>
void erase_below(Map& map, const std::string& dir) {
  if (dir.empty()) {
    map.clear();
    return;
  }
  const std::string prefix = dir + "/";
  for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix);) it = map.erase(it);
}

// Removes `path` and everything below it.
void erase_tree(FileView& view, const std::string& path) {
  view.files.erase(path);
  view.contents.erase(path);
  erase_below(view.files, path);
  erase_below(view.contents, path);
}

void apply(FileView& view, LayerChanges& layer) {
  for (const auto& dir : layer.opaque_dirs) {
    erase_below(view.files, dir);
    erase_below(view.contents, dir);
  }
  for (const auto& path : layer.whiteouts) erase_tree(view, path);
  for (auto& [path, info] : layer.entries) {
    auto existing = view.files.find(path);
    const bool was_dir = existing != view.files.end() && existing->second.type == FileInfo::Type::dir;
    if (info.type != FileInfo::Type::dir || !was_dir) erase_tree(view, path);
    // Parents a path implies; one that exists as something else is left as it is.
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      view.files.try_emplace(path.substr(0, slash), FileInfo{FileInfo::Type::dir, 0755});
    view.files[path] = std::move(info);
  }
  // Held for the path's last entry in the layer only, so it ends as that regular file.
  for (auto& [path, text] : layer.contents) view.contents[path] = std::move(text);
}

}  // namespace

Result<FileView> read_file_view(oci::ImageSource& source, const oci::Manifest& manifest,
                                const FileViewRequest& request) {
  const std::set<std::string, std::less<>> wanted(request.paths.begin(), request.paths.end());
  const auto config = TRY(read_image_config(source, manifest));
  FileView view;
  std::uint64_t view_bytes = 0;  // cost(view), kept between layers
  for (std::size_t index = 0; index < manifest.layers.size(); ++index) {
    const auto& layer = manifest.layers[index];
    const std::string what = "reading " + layer_name(manifest, index);
    auto reader = TRY_CONTEXT(source.open_blob(layer), what);
    auto verified = oci::verify_reader(std::move(reader), layer);
    LayerChanges changes;
    std::uint64_t layer_bytes = 0;
    auto over_limits = [&]() -> Result<void> {
      const std::size_t held =
          view.files.size() + changes.entries.size() + changes.whiteouts.size() + changes.opaque_dirs.size();
      if (held > request.max_paths)
        return fail(ErrorKind::integrity, "the image holds more than " + std::to_string(request.max_paths) +
                                              " paths, more than mlpack reads of a base image");
      if (view_bytes + layer_bytes > request.max_path_bytes)
        return fail(ErrorKind::integrity, "the image's paths and link targets come to more than " +
                                              std::to_string(request.max_path_bytes) +
                                              " bytes, more than mlpack reads of a base image");
      return {};
    };
    auto visit = [&](const archive::TarEntry& e, util::Reader& content) -> Result<void> {
      if (e.path.empty()) return {};  // the archive's root, "./"
      layer_bytes += e.path.size() + e.link_target.size();
      TRY(over_limits());
      auto slash = e.path.rfind('/');
      std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash);
      std::string_view name = slash == std::string::npos ? std::string_view(e.path) : std::string_view(e.path).substr(slash + 1);
      if (name == opaque_marker) {
        changes.opaque_dirs.push_back(std::move(dir));
        return {};
      }
      if (name.starts_with(whiteout_prefix)) {
        name.remove_prefix(whiteout_prefix.size());
        // .wh..wh.plnk and friends: aufs bookkeeping, no file of the image.
        if (name.starts_with(whiteout_prefix)) return {};
        changes.whiteouts.push_back((dir.empty() ? "" : dir + "/") + std::string(name));
        return {};
      }
      FileInfo info{type_of(e.type), e.mode, e.type == archive::TarType::file ? e.size : 0, e.link_target,
                    static_cast<std::uint32_t>(e.uid), static_cast<std::uint32_t>(e.gid)};
      changes.contents.erase(e.path);  // a path written twice in one layer ends as its last entry
      if (e.type == archive::TarType::file && wanted.contains(e.path)) {
        if (e.size > request.limit)
          return fail(ErrorKind::integrity, e.path + ": " + std::to_string(e.size) + " bytes, over the limit of " +
                                                std::to_string(request.limit) + " bytes");
        changes.contents[e.path] = TRY_CONTEXT(util::read_all(content, request.limit), e.path);
      }
      changes.entries.emplace_back(e.path, std::move(info));
      return {};
    };
    auto read = TRY_CONTEXT(archive::read_tar(*verified, visit), what);
    if (config && read.diff_id != config->diff_ids[index])
      return std::unexpected(diff_id_mismatch(what, read.diff_id, config->diff_ids[index]));
    apply(view, changes);
    changes = LayerChanges{};
    view_bytes = cost(view);
    layer_bytes = 0;
    TRY_CONTEXT(over_limits(), what);  // the parents the layer implied count too
  }
  return view;
}

}  // namespace mlpack::image
