#pragma once
// Shared libraries that reach the image more than once (internal to lib/pipeline). Generic: which
// files are worth naming comes from a filter the caller gives (the sink uses buildpacks/cuda's
// list of NVIDIA's redistributable libraries); a library is known by its DT_SONAME, read as the
// layer is written (elf::SonameStream over a stream, elf::read_soname's few reads of a file on
// disk), so a layer streamed from a package archive is still read once, whatever its size.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive/layer.hpp"

namespace mlpack::pipeline {

// One shared library a layer holds.
struct SharedLibrary {
  std::string soname;      // DT_SONAME: "libcudart.so.12"
  std::string path;        // in the image, without a leading "/"
  std::uint64_t size = 0;  // bytes of the file
  bool operator==(const SharedLibrary&) const = default;
};

// Whether a file of this name ("libcudart.so.12.1.105", no directory) is worth reading.
using LibraryFilter = std::function<bool(std::string_view filename)>;

// The libraries of one layer, found while the layer is written. prepare() before write_layer:
// regular files the filter accepts are read here when they are in memory or on disk (a few small
// reads where the soname is), and those streamed from elsewhere (Entry::open) are watched as
// write_layer reads them. libraries() after the write: sorted by path; a file that is not ELF or
// whose DT_SONAME is out of reach is left out.
class LibraryScan {
 public:
  explicit LibraryScan(LibraryFilter filter);
  void prepare(std::vector<archive::Entry>& entries);
  std::vector<SharedLibrary> libraries() const;

  struct State;

 private:
  LibraryFilter filter_;
  std::shared_ptr<State> state_;
};

// The libraries of each layer of the image, bottom to top, with what the layer holds for people.
struct LayerLibraries {
  std::string source;  // "python: nvidia-cuda-runtime-cu12 12.1.105", "debian: 40 packages (system libraries)"
  std::vector<SharedLibrary> libraries;
};

struct LibraryCopy {
  std::string path;  // "/usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146"
  std::string source;
  std::uint64_t size = 0;
  bool operator==(const LibraryCopy&) const = default;
};

// One soname held by files at two or more paths of the image.
struct DuplicateLibrary {
  std::string soname;
  std::vector<LibraryCopy> copies;  // bottom layer first, then by path
  std::uint64_t wasted = 0;         // every copy's bytes but the largest one's
  bool operator==(const DuplicateLibrary&) const = default;
};

// The sonames that files at two or more paths hold once the layers are stacked (a later layer's
// file at the same path replaces the earlier one), sorted by soname.
std::vector<DuplicateLibrary> find_duplicates(std::span<const LayerLibraries> layers);

// "libcudart.so.12 is in the image twice: /a/libcudart.so.12 (python: nvidia-cuda-runtime-cu12
// 12.1.105) and /usr/lib/.../libcudart.so.12.0.146 (debian: ...): 684.0 KiB wasted"
std::string describe(const DuplicateLibrary& duplicate);

// {"soname": ..., "copies": [{"path", "source", "size"}...], "wasted": N}, for --json.
nlohmann::json to_json(const DuplicateLibrary& duplicate);

// The key file's form of a layer's libraries, and back (nullopt: not a valid list).
nlohmann::json to_json(std::span<const SharedLibrary> libraries);
std::optional<std::vector<SharedLibrary>> libraries_from_json(const nlohmann::json& doc);

}  // namespace mlpack::pipeline
