#pragma once
// conda channels as environment.yml writes them: a name under the channel alias (`conda-forge`,
// `pytorch/label/nightly`), `defaults`, an http(s) URL, a `file://` URL or an absolute path. A
// channel's secrets (URL userinfo, anaconda.org's `/t/<token>/`) are kept for requests only: the
// channel's `url` and `name`, which reach records, locks and messages, never hold them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/url.hpp"

namespace mlpack::condaindex {

using util::Result;

inline constexpr std::string_view default_channel_alias = "https://conda.anaconda.org";

struct Channel {
  // As people know it: "conda-forge", "pytorch/label/nightly", "pkgs/main", or the URL (`url`).
  std::string name;
  // The canonical URL: no userinfo, no token, no trailing '/'. What records, locks and messages
  // name ("https://conda.anaconda.org/conda-forge", "file:///srv/channel").
  std::string url;
  // What requests go to: `url` with the token segment kept, without userinfo.
  std::string request_base;
  // URL userinfo, sent as HTTP Basic authentication.
  std::optional<util::Credentials> credentials;

  bool is_file() const { return util::is_file_url(url); }
  // `canonical` (a URL under this channel's `url`, as records hold them) with the channel's token
  // and userinfo put back, for download_package; other URLs are returned as they are.
  std::string with_credentials(std::string_view canonical) const;
};

// Parses one entry of `channels:`. `channel_alias` is where names resolve (conda's
// `channel_alias`, the caller's setting; it may carry a token or userinfo itself). `defaults`
// expands to Anaconda's pkgs/main and pkgs/r, in that order; everything else is one channel.
// invalid_input, with secrets redacted, for an empty entry, whitespace inside, a `${VAR}` left
// unexpanded (the caller expands them), a scheme other than http/https/file, a file URL naming
// another host, a relative path, or a name with `..`, `::` or characters conda does not use.
Result<std::vector<Channel>> parse_channel(std::string_view text,
                                           std::string_view channel_alias = default_channel_alias);

// The conda subdir of an OCI platform: linux/amd64 → linux-64, linux/arm64 → linux-aarch64,
// linux/ppc64le → linux-ppc64le, linux/s390x → linux-s390x, linux/386 → linux-32; unsupported
// otherwise. `noarch` is always fetched beside it.
Result<std::string> platform_subdir(std::string_view os, std::string_view architecture);

}  // namespace mlpack::condaindex
