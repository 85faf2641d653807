#pragma once
// `docker://HOST/REPO[:TAG|@DIGEST]` locations: oci::ImageSource and oci::ImageDestination on a
// registry.
#include <memory>

#include "oci/reference.hpp"
#include "oci/transport.hpp"
#include "registry/client.hpp"

namespace mlpack::registry {

// A source reading `ref`. Credentials are read now; the registry is contacted on first use.
// Blobs are downloaded, verified, into the cache and read from there. blob_hint() names this
// registry and repository, so a push to the same registry can mount instead of upload.
Result<std::unique_ptr<oci::ImageSource>> open_registry_source(const oci::Reference& ref, const RegistryOptions& options);

// A destination writing `ref`. has_blob() does a HEAD, then tries a cross-repository mount when
// the hint names another repository on the same registry. commit() PUTs the top-level manifest
// under the tag (or checks it against the reference's digest and PUTs it by digest); it must be
// called last, which the caller guarantees. Thread-safe for concurrent has_blob/put_blob.
Result<std::unique_ptr<oci::ImageDestination>> open_registry_destination(const oci::Reference& ref,
                                                                         const RegistryOptions& options);

}  // namespace mlpack::registry
