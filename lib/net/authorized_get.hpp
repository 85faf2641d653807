#pragma once
// GETs to package indexes whose credentials come from the URL the user wrote
// (`https://user:password@host/…`): the request with userinfo sent as Basic authentication, the
// error for a status the caller cannot use, and messages from below with the secret replaced.
// Shared by cranindex and condaindex.
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "util/error.hpp"
#include "util/url.hpp"

namespace mlpack::net {

// A GET for `url` (which must carry no userinfo: util::take_userinfo first) with `credentials`
// as Basic authentication and, when not empty, `user_agent` as User-Agent.
Request authorized_get(std::string url, const std::optional<util::Credentials>& credentials,
                       std::string_view user_agent = {});

// `e` with every occurrence of `secret` in its message replaced by `***`. A secret shorter than
// two characters is left alone: it cannot be told from ordinary text.
util::Error scrub_secret(util::Error e, std::string_view secret);
// The same for the password of `credentials`, when there are any.
util::Error scrub_credentials(util::Error e, const std::optional<util::Credentials>& credentials);

// ErrorKind::http "GET <what>: 404 Not Found"; for 401 and 403 followed by ` (<auth_hint>)`, which
// says where credentials come from.
util::Error status_error(const Response& response, std::string_view what, std::string_view auth_hint);

}  // namespace mlpack::net
