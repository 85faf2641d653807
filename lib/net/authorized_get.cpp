#include "net/authorized_get.hpp"

#include "net/base64.hpp"

namespace mlpack::net {

Request authorized_get(std::string url, const std::optional<util::Credentials>& credentials,
                       std::string_view user_agent) {
  Request r;
  r.url = std::move(url);
  if (!user_agent.empty()) r.headers.set("User-Agent", std::string(user_agent));
  if (credentials) r.headers.set("Authorization", basic_authorization(credentials->user, credentials->password));
  return r;
}

util::Error scrub_secret(util::Error e, std::string_view secret) {
  if (secret.size() < 2) return e;
  constexpr std::string_view mask = "***";
  for (std::size_t pos = 0; (pos = e.message.find(secret, pos)) != std::string::npos; pos += mask.size())
    e.message.replace(pos, secret.size(), mask);
  return e;
}

util::Error scrub_credentials(util::Error e, const std::optional<util::Credentials>& credentials) {
  return credentials ? scrub_secret(std::move(e), credentials->password) : e;
}

util::Error status_error(const Response& response, std::string_view what, std::string_view auth_hint) {
  std::string message = "GET " + std::string(what) + ": " + status_line(response.status);
  if ((response.status == 401 || response.status == 403) && !auth_hint.empty())
    message += " (" + std::string(auth_hint) + ")";
  return util::Error{util::ErrorKind::http, std::move(message)};
}

}  // namespace mlpack::net
