#include "image/blob_store.hpp"

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::image {

bool BlobStore::has(const Digest& d) const {
  std::error_code ec;
  return fs::is_regular_file(path_for(d), ec);
}

Result<Digest> BlobStore::add(const std::function<Result<Digest>(util::Writer&)>& produce) {
  fs::path dir = root_ / "sha256";
  TRY(util::make_dirs(dir));
  // The final name is known only at the end, so write under a temporary name and rename.
  auto file = TRY(util::AtomicFile::create(dir / ".incoming", 0644));
  auto digest = TRY(produce(*file));
  TRY_CONTEXT(file->commit_as(path_for(digest)), "storing blob " + digest.short_str());
  return digest;
}

std::size_t BlobStore::remove_abandoned_temp_files() const {
  return util::remove_abandoned_temp_paths(root_ / "sha256");
}

}  // namespace mlpack::image
