#pragma once
// Whether every library the shared objects of an image need (DT_NEEDED) resolves inside the
// image, searched the way glibc's dynamic loader searches, from the files alone: nothing is run.
// Generic: R packages, wheels and conda packages hand in their objects the same way.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "elf/dynamic.hpp"

namespace mlpack::elf {

// The paths of an image as the loader sees them: every file and symlink (relative to the root,
// "/"-separated, no leading "/"), with the symlinks' targets so a path through a linked directory
// (usrmerge's lib -> usr/lib) resolves.
class ImagePaths {
 public:
  // A leading "/" or "./" is dropped; "." and ".." steps are normalised lexically.
  void add_file(std::string_view path);
  void add_directory(std::string_view path);
  // `target` as stored in the link: relative to the link's directory, or absolute from the root.
  void add_symlink(std::string_view path, std::string_view target);

  // The path with every symlink on the way followed (relative and absolute targets, at most 40
  // links as Linux allows, ".." never above the root); nullopt for a link loop. The result need
  // not exist.
  std::optional<std::string> resolve(std::string_view path) const;
  // Whether `path` resolves to a file or directory of the image.
  bool exists(std::string_view path) const;

  std::size_t size() const { return files_.size() + links_.size(); }

 private:
  std::unordered_set<std::string> files_;
  std::unordered_set<std::string> dirs_;  // directories, given or implied by the paths below them
  std::unordered_map<std::string, std::string> links_;
  void add_parents(std::string_view path);
};

// A shared object or executable an installer puts into the image.
struct Object {
  std::string path;  // in the image: "usr/local/lib/R/site-library/xml2/libs/xml2.so"
  DynamicInfo info;
};

// A DT_NEEDED name of `object` (its image path) that resolves nowhere in the image.
struct Missing {
  std::string object;
  std::string soname;
  bool operator==(const Missing&) const = default;
};

// The directories glibc's loader searches last for objects of `machine` on a Debian-like image
// (the multiarch directories of its ld.so.conf, then the built-in ones, then usr/local/lib),
// relative to the root.
std::vector<std::string> default_library_dirs(std::uint16_t machine);

// Every DT_NEEDED name of every object that resolves to no file of `image` nor to another of
// `objects`, searched as glibc's loader does for that object:
//  - a name with a "/" is a path (absolute from the image root; a relative one is taken from the
//    root, the working directory being unknown);
//  - else the object's DT_RPATH (only when it has no DT_RUNPATH), then `extra_dirs` (what
//    LD_LIBRARY_PATH holds when it runs, e.g. R's "usr/lib/R/lib"), then DT_RUNPATH, then
//    default_library_dirs(machine).
// `$ORIGIN` / `${ORIGIN}` in RPATH/RUNPATH entries is the object's directory; entries with other
// `$` tokens ($LIB, $PLATFORM) or relative to the working directory are skipped. Candidates are
// not opened, so a library of the wrong class or machine still counts as found.
// In the objects' order, each name once per object.
std::vector<Missing> check_needed(std::span<const Object> objects, const ImagePaths& image,
                                  std::span<const std::string> extra_dirs = {});

}  // namespace mlpack::elf
