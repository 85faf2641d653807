#pragma once
// Secrets in conda channel URLs: userinfo (`https://user:pass@host/…`) and anaconda.org's token
// path segment (`https://conda.anaconda.org/t/<token>/conda-forge/…`). Requests keep them; what
// people read gets `***`, and what is recorded (a lock, a record's `channel` or `url`) gets neither.
#include <optional>
#include <string>
#include <string_view>

namespace mlpack::conda {

// For messages: userinfo becomes `***@` and a `/t/<token>/` segment `/t/***/`.
std::string redact_channel_url(std::string_view url);

// For records and locks: userinfo and the `/t/<token>` segment removed, so the URL names the same
// channel or package without a secret (`https://conda.anaconda.org/conda-forge/…`).
std::string strip_channel_credentials(std::string_view url);

// The token of a `/t/<token>/` segment right after the authority, if any.
std::optional<std::string> channel_token(std::string_view url);

}  // namespace mlpack::conda
