#pragma once
// Registry credentials from Docker's config file and credential helpers, the way `docker login`
// leaves them. Secrets are only ever held in memory and never appear in a message.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace mlpack::registry {

using util::Result;
namespace fs = std::filesystem;

struct Credentials {
  std::string username;
  std::string password;
  // An OAuth2 refresh token from `docker login` to a registry with a token server; used instead
  // of the password to obtain bearer tokens.
  std::string identity_token;
};

// The config file docker itself would read in `env`: $DOCKER_CONFIG/config.json, else
// $HOME/.docker/config.json (/.docker/config.json without HOME). The CLI passes its environment;
// nothing here reads the process's.
fs::path docker_config_path(const util::Environment& env);

// Normalises a config key or registry name for comparison: drops a scheme and any path, and maps
// Docker Hub's aliases (index.docker.io, registry-1.docker.io, https://index.docker.io/v1/) to
// "docker.io".
std::string normalize_registry_host(std::string_view key);

// The credentials for `registry` ("docker.io", "localhost:5000"): a credHelpers entry for the host
// first, then an `auths` entry with inline credentials (`auth` as base64 user:password, or
// username/password, or identitytoken), then the credsStore helper. A missing config file, or a
// helper that knows nothing of the registry, gives nullopt. A malformed config is
// ErrorKind::invalid_input naming the file; a helper that cannot run or fails is ErrorKind::auth.
Result<std::optional<Credentials>> lookup_credentials(std::string_view registry, const fs::path& config_file);

// What a config file's text says about `registry`, before any helper runs: the inline
// credentials, or the helper to ask (credHelpers for the host, else credsStore), or neither.
struct ConfigCredentials {
  std::optional<Credentials> credentials;
  // "desktop" for docker-credential-desktop; nullopt when none applies. A credHelpers entry is
  // kept even when empty (running it fails: a bad helper name); an empty credsStore means none.
  std::optional<std::string> helper;
};

// Parses config.json's `text` as lookup_credentials does; `source` names the file in errors
// (invalid_input: not a JSON object, or an `auth` that is not base64 of `user:password`).
Result<ConfigCredentials> parse_docker_config(std::string_view text, std::string_view registry,
                                              std::string_view source);

// Runs `docker-credential-<helper> get` (found on PATH) with the server on stdin and parses its
// JSON answer ({"Username", "Secret"}; Username "<token>" means Secret is an identity token).
Result<std::optional<Credentials>> run_credential_helper(std::string_view helper, std::string_view server);

}  // namespace mlpack::registry
