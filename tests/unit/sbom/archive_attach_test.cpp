// An SBOM attached to an oci-archive after the image was written (as `mlpack build` attaches it
// after the copy): the archive is written again with the artifact, and reads back with it.
#include <doctest/doctest.h>

#include "../oci/test_image.hpp"
#include "oci/archive_transport.hpp"
#include "sbom/sbom.hpp"
#include "util/fs.hpp"

using namespace mlpack;

TEST_CASE("an oci-archive takes an SBOM referrer after its image is committed") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto file = dir->path() / "image.tar";
  auto img = test_image::make_image({{{"hello.txt", "hello"}}});
  oci::Descriptor subject{img.manifest.media_type, img.manifest.digest,
                          static_cast<std::int64_t>(img.manifest.bytes.size())};
  auto artifact = sbom::make_artifact(sbom::Format::spdx, R"({"spdxVersion":"SPDX-2.3"})", subject, "2024-01-01T00:00:00Z");

  auto dest = oci::open_oci_archive_destination(file, "v1");
  REQUIRE(dest);
  // Not before the image is there.
  CHECK((*dest)->put_referrer(artifact.manifest).error().kind == util::ErrorKind::internal);
  REQUIRE(test_image::write_image(**dest, img));
  auto before = util::read_file(file, 64 << 20);
  REQUIRE(before);
  REQUIRE((*dest)->put_blob(artifact.config, test_image::opener(std::string(sbom::empty_config))));
  REQUIRE((*dest)->put_blob(artifact.layer, test_image::opener(artifact.document)));
  auto attached = (*dest)->put_referrer(artifact.manifest);
  REQUIRE_MESSAGE(attached, (attached ? "" : attached.error().message));
  auto after = util::read_file(file, 64 << 20);
  REQUIRE(after);
  CHECK(*after != *before);
  dest->reset();  // the staging layout goes; the archive stays

  auto src = oci::open_oci_archive_source(file, "v1");
  REQUIRE(src);
  auto back = test_image::read_image(**src);
  REQUIRE(back);
  CHECK(back->manifest.digest == img.manifest.digest);  // the image is unchanged
  auto refs = (*src)->referrers(img.manifest.digest);
  REQUIRE(refs);
  REQUIRE(refs->size() == 1);
  CHECK((*refs)[0].digest == artifact.manifest.digest);
  CHECK((*refs)[0].artifact_type == std::string(sbom::media_type(sbom::Format::spdx)));
  auto doc = (*src)->open_blob(artifact.layer);
  REQUIRE(doc);
  CHECK(util::read_all(**doc, 1 << 20).value() == artifact.document);

  // The same image and artifact written again give the same bytes.
  auto file2 = dir->path() / "again.tar";
  auto dest2 = oci::open_oci_archive_destination(file2, "v1");
  REQUIRE(dest2);
  REQUIRE(test_image::write_image(**dest2, img));
  REQUIRE((*dest2)->put_blob(artifact.config, test_image::opener(std::string(sbom::empty_config))));
  REQUIRE((*dest2)->put_blob(artifact.layer, test_image::opener(artifact.document)));
  REQUIRE((*dest2)->put_referrer(artifact.manifest));
  CHECK(util::read_file(file2, 64 << 20).value() == *after);
}
