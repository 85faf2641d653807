#pragma once
// Where an image's SBOM artifacts go, per kind of output (internal to lib/pipeline).
#include "image/location.hpp"
#include "oci/transport.hpp"
#include "pipeline/pipeline.hpp"
#include "sbom/sbom.hpp"

namespace mlpack::pipeline {

// Attaches `artifact` to the image just written to `loc` through `dest`, recording in `record`
// where it went (or why it did not).
Result<void> attach_sbom(const image::Location& loc, oci::ImageDestination& dest, const sbom::Artifact& artifact,
                         BuiltSbom& record);

}  // namespace mlpack::pipeline
