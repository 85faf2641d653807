#include "pipeline/sbom_attach.hpp"

#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::pipeline {

// An OCI layout lists the artifact beside its image, an oci-archive likewise (the archive is
// written again with it: lib/oci/archive_transport.cpp), a registry takes it as a referrer of the
// image (the referrers API, else the `sha256-<hex>` tag); a docker-archive, which cannot hold
// one, gets the document beside it.
Result<void> attach_sbom(const image::Location& loc, oci::ImageDestination& dest, const sbom::Artifact& a,
                         BuiltSbom& record) {
  auto ext = a.format == sbom::Format::spdx ? ".spdx.json" : ".cdx.json";
  switch (loc.kind) {
    case image::Location::Kind::oci_layout:
    case image::Location::Kind::oci_archive:
    case image::Location::Kind::registry: {
      for (const auto& [desc, bytes] : {std::pair{a.config, std::string(sbom::empty_config)}, std::pair{a.layer, a.document}}) {
        if (TRY(dest.has_blob(desc, std::nullopt))) continue;
        TRY(dest.put_blob(desc, [bytes]() -> Result<std::unique_ptr<util::Reader>> {
          return std::unique_ptr<util::Reader>(std::make_unique<util::StringReader>(bytes));
        }));
      }
      TRY(dest.put_referrer(a.manifest));
      record.written.push_back(loc.str());
      return {};
    }
    case image::Location::Kind::docker_archive: {
      auto path = fs::path(loc.path.string() + ext);
      TRY(util::write_file_atomic(path, a.document));
      record.written.push_back(path.string());
      return {};
    }
  }
  return util::fail(util::ErrorKind::internal, "no way to attach an SBOM to " + loc.str());
}

}  // namespace mlpack::pipeline
