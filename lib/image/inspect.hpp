#pragma once
// `mlpack inspect`: what an image at a location is made of.
#include <nlohmann/json.hpp>

#include "oci/transport.hpp"

namespace mlpack::image {

using util::Result;

// A JSON document: digest, media_type, config_digest, created, architecture, os, config
// (Env, Entrypoint, …), layers [{digest, diff_id, size, media_type}], history, and the
// platforms of the index when the location names one.
Result<nlohmann::json> inspect(oci::ImageSource& source, const oci::Platform& platform);

}  // namespace mlpack::image
