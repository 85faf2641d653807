#pragma once
// Registry image references: HOST[:PORT]/REPO[:TAG][@DIGEST], with Docker's defaults
// ("ubuntu" is docker.io/library/ubuntu:latest).
#include <optional>
#include <string>
#include <string_view>

#include "oci/types.hpp"

namespace mlpack::oci {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "[::1]:5000"
  std::string repository;  // "library/ubuntu", "team/model"
  std::string tag;         // empty when only a digest is given
  std::optional<Digest> digest;

  // Parses a reference; errors are ErrorKind::invalid_input and say what is wrong.
  static Result<Reference> parse(std::string_view text);
  // "localhost:5000/team/model:v1" (digest form when a digest is set).
  std::string str() const;
  // The tag or digest, as used in /v2/<repo>/manifests/<this>.
  std::string manifest_ref() const;
  // The host to contact: docker.io means registry-1.docker.io.
  std::string api_host() const;
  // localhost, 127.0.0.0/8 or [::1], with or without a port.
  bool is_loopback() const;
};

// `text` (a reference or a location as a person wrote it) as it may be shown: credentials before
// the host ("user:token@registry/repo", "docker://token@registry/repo", "https://u:p@…") become
// `***`; an `@` followed by a digest ("repo@sha256:…") is no such thing. Every message that
// quotes a reference goes through this.
std::string redact_reference(std::string_view text);

}  // namespace mlpack::oci
