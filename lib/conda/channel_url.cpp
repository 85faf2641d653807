#include "conda/channel_url.hpp"

#include "util/text.hpp"
#include "util/url.hpp"

namespace mlpack::conda {

namespace {

// Where the path of an absolute URL starts, or npos.
std::size_t path_start(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string_view::npos;
  return url.find('/', scheme + 3);
}

// [start, end) of the token in a `/t/<token>` segment that opens the path; {npos, npos} if none.
std::pair<std::size_t, std::size_t> token_span(std::string_view url) {
  auto path = path_start(url);
  if (path == std::string_view::npos || url.substr(path, 3) != "/t/")
    return {std::string_view::npos, std::string_view::npos};
  auto start = path + 3;
  auto end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  if (end == start) return {std::string_view::npos, std::string_view::npos};
  return {start, end};
}

}  // namespace

std::string redact_channel_url(std::string_view url) {
  std::string out = util::redact_url(url);
  // Tokens sit right after the authority on anaconda.org; elsewhere in a path `/t/` is taken as a
  // token too, since showing a secret costs more than hiding a folder name.
  for (std::size_t pos = 0; (pos = out.find("/t/", pos)) != std::string::npos;) {
    auto start = pos + 3;
    auto end = out.find_first_of("/?#", start);
    if (end == std::string::npos) end = out.size();
    if (end > start) out.replace(start, end - start, "***");
    pos = start;
  }
  return out;
}

std::string strip_channel_credentials(std::string_view url) {
  std::string out = util::strip_userinfo(url);
  auto [start, end] = token_span(out);
  if (start != std::string_view::npos) out.erase(start - 3, end - start + 3);  // "/t/<token>" → ""
  return out;
}

std::optional<std::string> channel_token(std::string_view url) {
  auto [start, end] = token_span(url);
  if (start == std::string_view::npos) return std::nullopt;
  return std::string(url.substr(start, end - start));
}

}  // namespace mlpack::conda
