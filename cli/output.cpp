#include "cli/output.hpp"

#include <fmt/core.h>

namespace mlpack::cli {

std::string hint_for(const util::Error& error) {
  const auto& m = error.message;
  switch (error.kind) {
    case util::ErrorKind::auth:
      return "check the credentials for this registry in `~/.docker/config.json` (or `$DOCKER_CONFIG`)";
    case util::ErrorKind::invalid_input:
      if (m.find("invalid location") != std::string::npos)
        return "locations look like `oci:DIR[:TAG]`, `oci-archive:FILE`, `docker-archive:FILE`, or "
               "`docker://HOST/REPO:TAG`";
      return "";
    case util::ErrorKind::network:
      if (m.find("http://") == std::string::npos && m.find("TLS") != std::string::npos)
        return "for a registry without TLS, pass `--insecure-registry HOST`";
      return "";
    case util::ErrorKind::not_found:
      if (m.find("has no SBOM") != std::string::npos)
        return "`mlpack build` attaches one to OCI layout outputs (`--sbom spdx|cyclonedx|both`, spdx by default)";
      return "";
    default: return "";
  }
}

int Output::error(const util::Error& error) const {
  int code = util::exit_code(error.kind);
  if (json) {
    nlohmann::json doc = {{"error", {{"kind", util::to_string(error.kind)}, {"message", error.message}}}};
    fmt::print("{}\n", doc.dump(2));
  }
  // The error line goes to stderr in both modes, so a person watching CI sees it.
  fmt::print(stderr, "error: {}\n", error.message);
  if (auto hint = hint_for(error); !hint.empty()) fmt::print(stderr, "hint: {}\n", hint);
  return code;
}

void Output::document(const nlohmann::json& doc) const {
  if (json) fmt::print("{}\n", doc.dump(2));
}

void Output::info(const std::string& line) const {
  if (!quiet && !json) fmt::print(stderr, "{}\n", line);
}

}  // namespace mlpack::cli
