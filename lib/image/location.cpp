#include "image/location.hpp"

#include "util/expected.hpp"

namespace mlpack::image {

namespace {
// Splits "PATH[:SUFFIX]" at the first colon, as skopeo does for oci: paths.
std::pair<std::string, std::string> split_path(std::string_view rest) {
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) return {std::string(rest), ""};
  return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

bool strip(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// At most one letter added, removed or changed.
bool one_edit_apart(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  std::size_t j = 0;
  while (j < a.size() - i && a[a.size() - 1 - j] == b[b.size() - 1 - j]) ++j;
  return i + j + 1 >= b.size();
}

// A transport mlpack does not have: skopeo's others, or a misspelt archive transport. Without
// this they read as a Docker Hub name and tag (`dir:out` is docker.io/library/dir:out) and fail
// only at the end, when the push is refused.
std::optional<std::string> unknown_transport(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto prefix = text.substr(0, colon);
  if (prefix.find_first_of("/.") != std::string_view::npos) return std::nullopt;  // a registry host
  for (std::string_view other : {"dir", "docker-daemon", "containers-storage", "ostree", "sif", "tarball"})
    if (prefix == other) return std::string(prefix);
  for (std::string_view ours : {"oci-archive", "docker-archive"})
    if (prefix != ours && one_edit_apart(prefix, ours)) return std::string(prefix);
  return std::nullopt;
}
}  // namespace

Result<Location> Location::parse(std::string_view text) {
  std::string_view rest = text;
  Location loc;
  auto path_and_tag = [&](Kind kind, std::string_view what) -> Result<Location> {
    loc.kind = kind;
    auto [path, tag] = split_path(rest);
    if (path.empty())
      return util::fail(util::ErrorKind::invalid_input,
                        "invalid location `" + std::string(text) + "`: " + std::string(what) + " path is empty");
    loc.path = path;
    loc.tag = tag;
    if (kind != Kind::docker_archive && !tag.empty()) {
      // Tags in a layout follow the registry tag grammar.
      auto ref = oci::Reference::parse("localhost/x:" + tag);
      if (!ref || ref->tag != tag)
        return util::fail(util::ErrorKind::invalid_input,
                          "invalid location `" + std::string(text) + "`: invalid tag `" + tag + "`");
    }
    return loc;
  };
  if (strip(rest, "oci:")) return path_and_tag(Kind::oci_layout, "oci:");
  if (strip(rest, "oci-archive:")) return path_and_tag(Kind::oci_archive, "oci-archive:");
  if (strip(rest, "docker-archive:")) return path_and_tag(Kind::docker_archive, "docker-archive:");
  // Anything from here on may name a registry, and a registry location may carry credentials.
  const std::string shown = oci::redact_reference(text);
  if (auto t = unknown_transport(rest))
    return util::fail(util::ErrorKind::invalid_input, "invalid location `" + shown + "`: unknown transport `" + *t + ":`");
  strip(rest, "docker://");
  auto ref = TRY_CONTEXT(oci::Reference::parse(rest), "invalid location `" + shown + "`");
  loc.kind = Kind::registry;
  loc.reference = ref;
  return loc;
}

std::string Location::str() const {
  auto with_tag = [&](std::string_view prefix) {
    return std::string(prefix) + path.string() + (tag.empty() ? "" : ":" + tag);
  };
  switch (kind) {
    case Kind::oci_layout: return with_tag("oci:");
    case Kind::oci_archive: return with_tag("oci-archive:");
    case Kind::docker_archive: return with_tag("docker-archive:");
    case Kind::registry: return "docker://" + reference->str();
  }
  return {};
}

}  // namespace mlpack::image
