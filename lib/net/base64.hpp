#pragma once
// Base64 (RFC 4648, the standard alphabet with `=` padding), as HTTP Basic authentication and
// Docker's config.json `auth` entries use it.
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::net {

std::string base64_encode(std::string_view data);
// Decodes up to the first `=`, skipping line breaks; invalid_input on any other character outside
// the alphabet.
util::Result<std::string> base64_decode(std::string_view text);

// The Authorization value for HTTP Basic authentication: "Basic <base64(user:password)>".
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace mlpack::net
