#include "registry/auth.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "net/base64.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::registry {

using util::ErrorKind;
using util::fail;

namespace {
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view v) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  auto read_token = [&] {
    std::size_t start = i;
    while (i < v.size() && is_token_char(v[i])) ++i;
    return std::string(v.substr(start, i - start));
  };
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
    std::string scheme = read_token();
    if (scheme.empty()) break;
    Challenge c;
    c.scheme = util::to_lower(scheme);
    for (;;) {
      skip_ws();
      std::size_t param_start = i;
      std::string name = read_token();
      skip_ws();
      if (name.empty() || i >= v.size() || v[i] != '=') {
        i = param_start;  // the start of the next challenge, or the end
        break;
      }
      ++i;
      skip_ws();
      std::string value;
      if (i < v.size() && v[i] == '"') {
        ++i;
        while (i < v.size() && v[i] != '"') {
          if (v[i] == '\\' && i + 1 < v.size()) ++i;
          value += v[i++];
        }
        ++i;  // the closing quote
      } else {
        // Lenient: servers send unquoted URLs, which are not tokens.
        std::size_t start = i;
        while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
        value = std::string(v.substr(start, i - start));
      }
      c.params[util::to_lower(name)] = value;
      skip_ws();
      if (i < v.size() && v[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string repository_scope(std::string_view repository, bool push) {
  return "repository:" + std::string(repository) + (push ? ":pull,push" : ":pull");
}

Result<Token> parse_token_response(std::string_view body, std::chrono::steady_clock::time_point now) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(ErrorKind::auth, "the token server's answer is not JSON");
  Token t;
  for (const char* key : {"token", "access_token"}) {
    if (auto it = doc.find(key); it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      t.value = it->get<std::string>();
      break;
    }
  }
  if (t.value.empty()) return fail(ErrorKind::auth, "the token server's answer holds no token");
  // At most a day: the answer comes from outside, and a lifetime of 10^12 s would overflow the
  // clock's nanoseconds. A token cut short is only fetched again sooner.
  constexpr long long max_lifetime = 24 * 60 * 60;
  long long expires_in = 60;
  if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number_integer() && it->get<long long>() > 0)
    expires_in = std::min(it->get<long long>(), max_lifetime);
  t.expires = now + std::chrono::seconds(expires_in);
  return t;
}

void Authenticator::set_challenge(const net::Headers& headers) {
  std::optional<Challenge> chosen;
  for (const auto& value : headers.get_all("WWW-Authenticate")) {
    for (auto& c : parse_www_authenticate(value)) {
      // Prefer Bearer: it scopes what a leaked credential can do.
      if (c.scheme == "bearer" && !c.param("realm").empty()) {
        chosen = std::move(c);
        break;
      }
      if (c.scheme == "basic" && !chosen) chosen = std::move(c);
    }
    if (chosen && chosen->scheme == "bearer") break;
  }
  if (!chosen) return;
  std::lock_guard lock(mutex_);
  challenge_ = std::move(chosen);
}

bool Authenticator::has_challenge() const {
  std::lock_guard lock(mutex_);
  return challenge_.has_value();
}

void Authenticator::invalidate(const std::string& scopes) {
  std::lock_guard lock(mutex_);
  tokens_.erase(scopes);
}

Result<std::string> Authenticator::authorization(const std::string& scopes, bool refresh) {
  Challenge challenge;
  {
    std::lock_guard lock(mutex_);
    if (!challenge_) return std::string();
    challenge = *challenge_;
    if (challenge.scheme == "basic") {
      const auto& c = ctx_.credentials;
      if (!c || c->username.empty()) return std::string();
      return net::basic_authorization(c->username, c->password);
    }
    if (challenge.scheme != "bearer")
      return fail(ErrorKind::unsupported,
                  "registry " + ctx_.registry + " asks for `" + challenge.scheme + "` authentication, which is not supported");
    auto it = tokens_.find(scopes);
    // A margin, so a token does not expire between this check and the registry reading it.
    if (!refresh && it != tokens_.end() && ctx_.clock->now() + std::chrono::seconds(10) < it->second.expires)
      return "Bearer " + it->second.value;
  }
  // Fetched without the lock: parallel uploads may fetch the same token twice, which is harmless.
  auto token = TRY(fetch_token(challenge, scopes));
  std::lock_guard lock(mutex_);
  tokens_[scopes] = token;
  return "Bearer " + token.value;
}

Result<Token> Authenticator::fetch_token(const Challenge& challenge, const std::string& scopes) {
  const std::string realm = challenge.param("realm");
  const std::string service = challenge.param("service");
  const auto& creds = ctx_.credentials;
  net::Request req;
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant, as `docker login` set it up.
    std::string form = "grant_type=refresh_token&client_id=mlpack&refresh_token=" + net::url_encode(creds->identity_token);
    if (!service.empty()) form += "&service=" + net::url_encode(service);
    if (!scopes.empty()) form += "&scope=" + net::url_encode(scopes);
    req.method = "POST";
    req.url = realm;
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.body = net::Body::from_string(std::move(form));
  } else {
    req.url = realm;
    if (!service.empty()) req.url = net::append_query(req.url, "service", net::url_encode(service));
    for (const auto& scope : util::split(scopes, ' '))
      if (!scope.empty()) req.url = net::append_query(req.url, "scope", net::url_encode(scope));
    if (creds && !creds->username.empty())
      req.headers.set("Authorization", net::basic_authorization(creds->username, creds->password));
  }
  req.max_buffered_body = 1 << 20;
  const std::string what = "getting a token for " + ctx_.registry + " from " + net::display_url(realm);

  net::RetryOptions retry{ctx_.retry};
  auto resp = TRY_CONTEXT(net::send_with_retry(*ctx_.http, req, nullptr, retry, *ctx_.clock), what);
  if (resp.status == 401 || resp.status == 403) {
    if (creds && !creds->username.empty())
      return fail(ErrorKind::auth, "registry " + ctx_.registry + " refused the credentials for user `" +
                                       creds->username + "` (" + net::status_line(resp.status) +
                                       " from the token server)");
    return fail(ErrorKind::auth, "registry " + ctx_.registry + " requires authentication, and no credentials for it were found (" +
                                     net::status_line(resp.status) + " from the token server)");
  }
  if (!resp.ok()) return fail(ErrorKind::auth, what + ": " + net::status_line(resp.status));
  auto token = TRY_CONTEXT(parse_token_response(resp.body, ctx_.clock->now()), what);
  return token;
}

}  // namespace mlpack::registry
