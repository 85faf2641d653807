// The one place where a location's transport is chosen.
#include "image/location.hpp"
#include "oci/archive_transport.hpp"
#include "oci/layout.hpp"
#include "registry/registry_transport.hpp"

namespace mlpack::image {

namespace {
registry::RegistryOptions registry_options(const OpenOptions& options) {
  registry::RegistryOptions r;
  r.insecure_hosts = options.insecure_registries;
  r.cache_dir = options.cache_dir;
  r.docker_config = options.docker_config;
  r.ca_file = options.ca_file;
  if (options.upload_chunk_size) r.monolithic_limit = r.chunk_size = *options.upload_chunk_size;
  return r;
}
}  // namespace

Result<std::unique_ptr<oci::ImageSource>> open_source(const Location& location, const OpenOptions& options) {
  switch (location.kind) {
    case Location::Kind::oci_layout: return oci::open_layout_source(location.path, location.tag);
    case Location::Kind::oci_archive: return oci::open_oci_archive_source(location.path, location.tag);
    case Location::Kind::docker_archive: return oci::open_docker_archive_source(location.path, location.tag);
    case Location::Kind::registry: return registry::open_registry_source(*location.reference, registry_options(options));
  }
  return util::fail(util::ErrorKind::internal, "unknown location kind");
}

Result<std::unique_ptr<oci::ImageDestination>> open_destination(const Location& location,
                                                                const OpenOptions& options) {
  switch (location.kind) {
    case Location::Kind::oci_layout: return oci::open_layout_destination(location.path, location.tag);
    case Location::Kind::oci_archive: return oci::open_oci_archive_destination(location.path, location.tag);
    case Location::Kind::docker_archive:
      return oci::open_docker_archive_destination(location.path, location.tag);
    case Location::Kind::registry:
      return registry::open_registry_destination(*location.reference, registry_options(options));
  }
  return util::fail(util::ErrorKind::internal, "unknown location kind");
}

Result<void> check_destination(const Location& location) {
  switch (location.kind) {
    case Location::Kind::oci_layout: return oci::check_layout_destination(location.path, location.tag);
    case Location::Kind::oci_archive: return oci::check_oci_archive_destination(location.path, location.tag);
    case Location::Kind::docker_archive: return oci::check_docker_archive_destination(location.path, location.tag);
    case Location::Kind::registry: return {};  // parsing checked the reference; the rest needs the network
  }
  return util::fail(util::ErrorKind::internal, "unknown location kind");
}

}  // namespace mlpack::image
