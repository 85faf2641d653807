#pragma once
// The content-addressed blob cache: <cache_dir>/blobs/sha256/<hex>. A blob appears under its
// name only once complete and verified, so readers never see a partial file.
#include <filesystem>
#include <functional>

#include "util/digest.hpp"
#include "util/io.hpp"

namespace mlpack::image {

namespace fs = std::filesystem;
using util::Digest;
using util::Result;

class BlobStore {
 public:
  explicit BlobStore(fs::path cache_dir) : root_(std::move(cache_dir) / "blobs") {}

  fs::path path_for(const Digest& d) const { return root_ / d.algorithm() / d.hex(); }
  bool has(const Digest& d) const;

  // Runs `produce` against a temporary file in the store; `produce` returns the digest of what it
  // wrote and the file is renamed to that name. On error the temporary file is removed.
  Result<Digest> add(const std::function<Result<Digest>(util::Writer&)>& produce);

  // Removes the temporary files that killed runs left among the blobs; a live writer's stay
  // (util::remove_abandoned_temp_paths). One directory listing; returns how many were removed.
  std::size_t remove_abandoned_temp_files() const;

 private:
  fs::path root_;
};

}  // namespace mlpack::image
