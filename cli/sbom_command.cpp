// `mlpack sbom REF [--format spdx|cyclonedx]`.
#include <fmt/core.h>

#include "cli/commands.hpp"
#include "image/copy.hpp"
#include "image/location.hpp"
#include "sbom/sbom.hpp"
#include "util/expected.hpp"

namespace mlpack::cli {

namespace {

constexpr std::size_t document_limit = 256 << 20;  // an SBOM of a very large image is a few MiB

// The attached document of `format`, read and checked against its digests.
util::Result<std::string> attached_sbom(const std::string& ref, sbom::Format format, const Globals& g) {
  auto loc = TRY(image::Location::parse(ref));
  auto plat = TRY_CONTEXT(oci::Platform::parse(g.platform), "invalid `--platform`");
  auto source = TRY(image::open_source(loc, open_options(g)));
  auto image = TRY(image::resolve_manifest(*source, plat));
  auto referrers = TRY_CONTEXT(source->referrers(image.raw.digest), ref);
  const auto want = sbom::media_type(format);
  for (const auto& r : referrers) {
    if (r.artifact_type != want) continue;
    auto raw = TRY_CONTEXT(source->get_manifest(r.digest), ref);
    auto artifact = TRY_CONTEXT(oci::parse_manifest(raw.bytes), "the SBOM artifact " + r.digest.short_str());
    for (const auto& layer : artifact.layers) {
      if (layer.media_type != want) continue;
      auto reader = TRY_CONTEXT(source->open_blob(layer), ref);
      auto verified = oci::verify_reader(std::move(reader), layer);
      return TRY_CONTEXT(util::read_all(*verified, document_limit), "the SBOM " + layer.digest.short_str());
    }
  }
  return util::fail(util::ErrorKind::not_found,
                    ref + " (" + image.raw.digest.short_str() + ") has no SBOM in " +
                        std::string(sbom::format_name(format)) + " format attached" +
                        (referrers.empty() ? "" : fmt::format(" ({} other artifacts)", referrers.size())));
}

}  // namespace

int run_sbom(const std::string& ref, const std::string& format_text, const Globals& g) {
  auto format = sbom::parse_format(format_text);
  if (!format) return g.out.error(format.error());
  auto document = attached_sbom(ref, *format, g);
  if (!document) {
    // The error's kind sets the exit code: an image without an SBOM is not_found, exit 1.
    return g.out.error(document.error());
  }
  fmt::print("{}\n", *document);
  return 0;
}

}  // namespace mlpack::cli
