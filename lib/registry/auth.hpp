#pragma once
// Registry authentication: WWW-Authenticate challenges, Basic credentials and bearer tokens
// (https://distribution.github.io/distribution/spec/auth/token/), with tokens cached per scope.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"
#include "net/retry.hpp"
#include "registry/credentials.hpp"
#include "util/clock.hpp"

namespace mlpack::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercase: realm, service, scope, error
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses a WWW-Authenticate value, which may hold several challenges
// (`Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"`).
// Unparseable trailing text is ignored; an empty result means nothing usable was found.
std::vector<Challenge> parse_www_authenticate(std::string_view value);

// The scope string for a repository: "repository:team/model:pull" or "...:pull,push".
std::string repository_scope(std::string_view repository, bool push);

struct Token {
  std::string value;
  std::chrono::steady_clock::time_point expires;
};

// Parses a token server's answer: `token` or `access_token`, and `expires_in` seconds (60 when
// absent, as the spec says).
Result<Token> parse_token_response(std::string_view body, std::chrono::steady_clock::time_point now);

// Decides the Authorization header for a registry's requests. Thread-safe: uploads run in
// parallel and share one token cache.
class Authenticator {
 public:
  struct Context {
    std::string registry;  // for messages: "localhost:5000"
    std::optional<Credentials> credentials;
    net::HttpClient* http = nullptr;
    util::Clock* clock = nullptr;
    net::RetryPolicy retry;
  };
  explicit Authenticator(Context context) : ctx_(std::move(context)) {}

  // Remembers the challenge a 401 carried (from the /v2/ ping or any later request).
  void set_challenge(const net::Headers& response_headers);
  bool has_challenge() const;

  // The Authorization header value for a request needing `scopes` (space-joined when several),
  // or "" when the registry asked for none. Bearer tokens come from the cache unless expired or
  // `refresh` is set. Errors are ErrorKind::auth and name the registry, never a secret.
  Result<std::string> authorization(const std::string& scopes, bool refresh);

  // Forgets the token cached for `scopes`, so the next authorization() fetches a new one.
  void invalidate(const std::string& scopes);

  const std::optional<Credentials>& credentials() const { return ctx_.credentials; }

 private:
  Result<Token> fetch_token(const Challenge& challenge, const std::string& scopes);

  Context ctx_;
  mutable std::mutex mutex_;
  std::optional<Challenge> challenge_;
  std::map<std::string, Token> tokens_;
};

}  // namespace mlpack::registry
