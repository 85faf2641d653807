#pragma once
// SBOMs written from the lock: SPDX 2.3 JSON and CycloneDX 1.6 JSON documents that say exactly
// what an image holds (every locked package with its purl, download URL, sha256, licence where the
// package states one, supplier, and the dependency graph the lock records), and the OCI 1.1
// artifact that attaches a document to its image.
//
// Reproducible: no clock is read. The documents' time is the image's `created`; the SPDX
// documentNamespace and the CycloneDX serialNumber are UUIDs (version 5) of the image's manifest
// digest; every list is sorted and JSON keys are written sorted without whitespace, so the same
// lock and image give the same bytes.
//
// Ecosystems are told apart by the lock's `ecosystem` names (deb, pypi, conda, cran): how each one
// is named as a purl is the purl spec's knowledge, not a buildpack's.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "lock/lockfile.hpp"
#include "oci/types.hpp"
#include "sbom/purl.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::sbom {

enum class Format { spdx, cyclonedx };

std::string_view format_name(Format format);  // "spdx", "cyclonedx"
std::string_view media_type(Format format);   // "application/spdx+json", "application/vnd.cyclonedx+json"
std::optional<Format> format_for_media_type(std::string_view media_type);
// "spdx" | "cyclonedx"; invalid_input otherwise.
Result<Format> parse_format(std::string_view text);

// A package a registry base image already holds (its dpkg database), as the OS buildpack read it.
struct BasePackage {
  std::string name;
  std::string version;
  std::string architecture;
};

// What the documents say about the image itself.
struct ImageFacts {
  std::string name;                                   // the image's name (the project's)
  util::Digest digest = util::Digest::sha256_of("");  // its manifest's digest
  std::string created;                                // RFC 3339, the image config's `created`
  std::string tool_version;                           // mlpack's version, for the documents' creator
  // A registry base image's own packages, listed as the base's (no URL or hash: they came with it).
  std::vector<BasePackage> base_packages;
  std::string base_os_id;         // "debian", "ubuntu" (os-release ID): those packages' purl namespace
  std::string base_distribution;  // "debian:bookworm", for their purl's `distro`; may be empty
  // Licences packages state outside the lock, by (ecosystem, name, version): for "deb", the
  // statement of the package's machine-readable copyright file (deb::license_statement, in that
  // format's syntax; debian_license_expression maps it). A lock entry's own `license` wins.
  std::map<std::tuple<std::string, std::string, std::string>, std::string> stated_licenses;
};

// One package as the documents describe it.
struct Component {
  std::string ref;  // unique in the document and stable: "deb:libc6@2.36-9+deb12u4:amd64"
  std::string ecosystem;
  std::string name;
  std::string version;
  Purl purl;
  std::string download_url;                       // without credentials; "" when unknown
  std::string sha256;                             // of the package archive (hex); "" when unknown
  std::string license;                            // as the package states it; "" when it states none
  std::optional<std::string> license_expression;  // `license` when it is an SPDX expression
  std::string supplier;                           // Debian, the index, the channel or the repository
  std::vector<std::string> depends_on;            // refs, sorted
  std::map<std::string, std::string> properties;  // "mlpack:ecosystem" → "deb", …
};

struct Description {
  ImageFacts image;
  Purl image_purl;                                // pkg:oci/<name>@<digest>?arch=…
  std::optional<Component> base;                  // a registry base image, by digest
  std::vector<Component> components;              // sorted by ref
  std::map<std::string, std::string> properties;  // the target: "mlpack:cuda", "mlpack:python", …
};

// Everything the lock pins, described. A package's `depends` (conda MatchSpecs, Debian relations,
// PEP 508 requirements) become edges to the locked packages of the same ecosystem they name;
// names the lock does not hold (conda's virtual packages) are left out.
Description describe(const lock::LockFile& lock, const ImageFacts& image);

std::string write_spdx(const Description& description);
std::string write_cyclonedx(const Description& description);
std::string write_document(Format format, const Description& description);

// The purl of one locked package (exposed for tests and for the CLI's messages).
Purl package_purl(const lock::Package& package, const lock::LockFile& lock);

// A name-based (version 5) UUID in the URL namespace, as RFC 9562 section 5.5 builds it.
std::string uuid5(std::string_view name);

// An SBOM as an OCI 1.1 artifact: the empty config, the document as the one layer, `subject` the
// image's manifest. The config and the document are the blobs to store before the manifest.
struct Artifact {
  Format format = Format::spdx;
  std::string document;
  oci::Descriptor config;  // application/vnd.oci.empty.v1+json, `{}`
  oci::Descriptor layer;   // the document
  oci::RawManifest manifest;
};
Artifact make_artifact(Format format, std::string document, const oci::Descriptor& subject, std::string_view created);
// The same, for a document whose sha256 is known already (one read back from the cache, verified).
Artifact make_artifact(Format format, std::string document, const util::Digest& document_digest,
                       const oci::Descriptor& subject, std::string_view created);

inline constexpr std::string_view empty_config = "{}";

}  // namespace mlpack::sbom
