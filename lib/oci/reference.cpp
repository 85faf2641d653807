#include "oci/reference.hpp"

#include <algorithm>
#include <cctype>

#include "util/text.hpp"

// The grammar is Docker's (distribution/reference):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] component ("/" component)*
//   domain    := host [":" port], host a DNS name, an IPv4 address or "[" IPv6 "]"
//   component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := "." | "_" | "__" | "-"+
//   tag       := [\w][\w.-]{0,127}
// The first part is a domain only if it holds '.' or ':', is "localhost", or has an uppercase
// letter; otherwise the name is on docker.io, where one-component names live under library/.

namespace mlpack::oci {

using util::ErrorKind;

namespace {

constexpr std::string_view docker_hub = "docker.io";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__", or any number of "-".
    std::size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    auto sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || std::all_of(sep.begin(), sep.end(), [](char x) {
                return x == '-';
              });
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  return !t.empty() && t.size() <= 128 && is_word(t[0]) &&
         std::all_of(t.begin(), t.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool valid_dns_label(std::string_view l) {
  if (l.empty() || !std::isalnum(static_cast<unsigned char>(l.front())) ||
      !std::isalnum(static_cast<unsigned char>(l.back())))
    return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

bool valid_domain(std::string_view d) {
  std::string_view host = d, port;
  if (d.starts_with('[')) {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    auto addr = d.substr(1, close - 1);
    if (addr.empty() || !std::all_of(addr.begin(), addr.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
    auto rest = d.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    port = rest.empty() ? std::string_view() : rest.substr(1);
    if (!rest.empty() && port.empty()) return false;
  } else {
    auto colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    for (const auto& label : util::split(host, '.'))
      if (!valid_dns_label(label)) return false;
  }
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) && port.size() <= 5;
}

util::Error bad(std::string_view text, std::string why) {
  return util::Error{ErrorKind::invalid_input, "invalid image reference `" + redact_reference(text) + "`: " + why};
}

// algorithm ":" encoded, as the OCI image spec writes a digest.
bool looks_like_digest(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto algorithm = s.substr(0, colon), encoded = s.substr(colon + 1);
  return is_lower_alnum(algorithm.front()) && is_lower_alnum(algorithm.back()) &&
         std::all_of(algorithm.begin(), algorithm.end(),
                     [](char c) { return is_lower_alnum(c) || c == '+' || c == '.' || c == '_' || c == '-'; }) &&
         std::all_of(encoded.begin(), encoded.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '=' || c == '_' || c == '-';
         });
}

std::string host_of(std::string_view registry) {
  if (registry.starts_with('[')) return std::string(registry.substr(0, registry.find(']') + 1));
  return std::string(registry.substr(0, registry.find(':')));
}

}  // namespace

std::string redact_reference(std::string_view text) {
  std::size_t start = 0;
  if (auto scheme = text.find("://"); scheme != std::string_view::npos &&
                                      text.substr(0, scheme).find_first_of("/@") == std::string_view::npos)
    start = scheme + 3;
  // The credentials end at the last `@` that no digest follows (a password may hold `@` or `/`).
  for (auto at = text.rfind('@'); at != std::string_view::npos && at >= start; at = text.rfind('@', at - 1)) {
    if (!looks_like_digest(text.substr(at + 1)))
      return std::string(text.substr(0, start)) + "***" + std::string(text.substr(at));
    if (at == 0) break;
  }
  return std::string(text);
}

Result<Reference> Reference::parse(std::string_view text) {
  std::string_view s = text;
  if (redact_reference(text) != text)
    return std::unexpected(bad(text, "credentials do not belong in an image reference; give them in the Docker "
                                     "config (`docker login HOST`) instead"));
  if (s.starts_with("docker://")) s.remove_prefix(9);
  if (s.empty()) return std::unexpected(bad(text, "it is empty"));
  if (std::any_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return std::unexpected(bad(text, "it contains whitespace"));

  Reference ref;
  if (auto at = s.find('@'); at != std::string_view::npos) {
    auto d = Digest::parse(s.substr(at + 1));
    if (!d) return std::unexpected(bad(text, "bad digest: " + d.error().message));
    ref.digest = *d;
    s = s.substr(0, at);
  }

  // The domain, if any, is everything before the first '/'.
  std::string_view domain;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    auto first = s.substr(0, slash);
    bool has_upper = std::any_of(first.begin(), first.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper ||
        first.starts_with('[')) {
      domain = first;
      s = s.substr(slash + 1);
    }
  }

  // A ':' after the last '/' starts the tag (a ':' before it belongs to a port).
  if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    auto last_slash = s.rfind('/');
    if (last_slash == std::string_view::npos || colon > last_slash) {
      auto tag = s.substr(colon + 1);
      if (!valid_tag(tag))
        return std::unexpected(bad(text, "bad tag `" + std::string(tag) +
                                             "` (tags are up to 128 letters, digits, `_`, `.` and `-`, not starting "
                                             "with `.` or `-`)"));
      ref.tag = std::string(tag);
      s = s.substr(0, colon);
    }
  }

  if (s.empty()) return std::unexpected(bad(text, "no repository name"));
  for (const auto& component : util::split(s, '/')) {
    if (component.empty()) return std::unexpected(bad(text, "empty path component in the repository name"));
    if (std::any_of(component.begin(), component.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }))
      return std::unexpected(bad(text, "repository names must be lowercase"));
    if (!valid_component(component))
      return std::unexpected(bad(text, "bad repository component `" + component +
                                           "` (lowercase letters and digits, separated by `.`, `_`, `__` or `-`)"));
  }

  if (domain.empty()) {
    ref.registry = std::string(docker_hub);
  } else {
    if (!valid_domain(domain)) return std::unexpected(bad(text, "bad registry host `" + std::string(domain) + "`"));
    ref.registry = std::string(domain);
    if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = docker_hub;
  }
  ref.repository = std::string(s);
  if (ref.registry == docker_hub && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.registry.size() + 1 + ref.repository.size() > 255)
    return std::unexpected(bad(text, "the name is longer than 255 characters"));
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string Reference::str() const {
  std::string out = registry + "/" + repository;
  if (digest) return out + "@" + digest->str();
  return out + ":" + tag;
}

std::string Reference::manifest_ref() const { return digest ? digest->str() : tag; }

std::string Reference::api_host() const { return registry == docker_hub ? "registry-1.docker.io" : registry; }

bool Reference::is_loopback() const {
  std::string host = host_of(registry);
  if (host.starts_with('[')) return host == "[::1]";
  if (util::to_lower(host) == "localhost") return true;
  auto parts = util::split(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  return std::all_of(parts.begin(), parts.end(), [](const std::string& p) {
    return !p.empty() && p.size() <= 3 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(p) <= 255;
  });
}

}  // namespace mlpack::oci
