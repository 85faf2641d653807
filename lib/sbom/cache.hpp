#pragma once
// Documents already written, kept in the build cache (`<cache>/sbom/<key hex>`) so that a warm
// build reads one file instead of writing the document again and reading what it is written from
// (the Debian packages' copyright records).
//
// The key names everything a document follows from: the description (document_key), the format,
// and the code that writes it (writer_identity: mlpack's version and the running program's build
// id, so a rebuilt mlpack never takes an older writer's bytes). The licences packages state
// outside the lock (ImageFacts::stated_licenses) are left out of the key on purpose, as reading
// them is what a warm build saves: a stated licence must follow from the package's archive, which
// the description names by its sha256 (as Debian's copyright records do, and any ecosystem that
// states licences through facts::stated_licenses must).
//
// A cache is outside input: an entry carries the sha256 of its document, and one whose document
// does not match (cut short, changed, another format) is a miss, written again by the caller.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "sbom/sbom.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::sbom {

// mlpack's version plus the GNU build id of the running executable when it has one ("" there
// otherwise): what a document's bytes depend on besides its description and format.
std::string writer_identity(std::string_view version);

// The cache key of the document `format` writes for `description`. Every field of the
// description counts (a new field of Description, Component or Purl must be added here); the
// stated licences must not be in it (see above: describe() the lock without them).
util::Digest document_key(Format format, const Description& description, std::string_view writer);

// A cache of documents by key, in `dir`. A document read back is verified against the sha256
// its entry records; with it comes that digest, so the caller need not hash the bytes again.
struct CachedDocument {
  std::string document;
  util::Digest digest;
};

class DocumentCache {
 public:
  explicit DocumentCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // nullopt when there is no entry, or it is not whole and unchanged (a miss, never an error).
  std::optional<CachedDocument> load(const util::Digest& key) const;
  // Writes the entry atomically; `digest` is the document's sha256.
  Result<void> store(const util::Digest& key, std::string_view document, const util::Digest& digest) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace mlpack::sbom
