#pragma once
// Where packages come from: an apt repository named the way sources.list names it (URL, suite,
// components) plus the keyring that signs it, and optionally a snapshot.debian.org /
// snapshot.ubuntu.com timestamp that pins it in time.
//
// Two layouts (sources.list semantics):
// - dists: `url/dists/<suite>/InRelease`, indexes at `<component>/binary-<arch>/Packages.xz`
//   below it. Debian, Ubuntu and most third-party repositories.
// - flat: a suite that ends in `/` names a directory below `url` (`./`, `/`, `sub/`) that holds
//   InRelease and `Packages.xz` itself, with no components. NVIDIA's CUDA repository is one.
// In both, a package's `Filename` is relative to `url`.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::apt {

using util::Result;

struct Source {
  std::string url;    // archive root, e.g. http://deb.debian.org/debian
  std::string suite;  // bookworm, bookworm-security, or a flat directory such as ./
  std::vector<std::string> components;  // main ...; empty for a flat repository
  std::filesystem::path keyring;        // OpenPGP keyring (binary or ASCII-armored) that signs it
  // A snapshot timestamp (20240115T000000Z): fetch the archive as it was then, from the snapshot
  // service, instead of from `url`.
  std::optional<std::string> snapshot;

  bool flat() const { return suite.ends_with('/'); }
  // "http://deb.debian.org/debian bookworm" for messages.
  std::string display() const;
};

inline constexpr std::string_view debian_archive_keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

// The sources behind a distribution base name: `debian:bookworm` is
//   http://deb.debian.org/debian bookworm main
//   http://deb.debian.org/debian-security bookworm-security main
// both signed by debian_archive_keyring. `snapshot` is copied into each. Unknown names are
// ErrorKind::invalid_input.
Result<std::vector<Source>> distribution_sources(std::string_view name,
                                                 std::optional<std::string> snapshot = std::nullopt);

// Checks the parts a user writes (mlpack.yaml): an http(s) URL, a suite, components present for
// a dists layout and absent for a flat one, no path tricks, a well-formed snapshot timestamp.
Result<void> validate(const Source& source);

// Whether `ts` looks like YYYYMMDDTHHMMSSZ.
bool is_snapshot_timestamp(std::string_view ts);

// The snapshot-service URL for an archive root at a point in time, ending in '/':
//   http://deb.debian.org/debian           -> https://snapshot.debian.org/archive/debian/<ts>/
//   http://deb.debian.org/debian-security  -> https://snapshot.debian.org/archive/debian-security/<ts>/
//   (also security.debian.org/debian-security, ftp.debian.org/debian, and snapshot.debian.org
//   URLs themselves, whose timestamp is replaced)
//   http://archive.ubuntu.com/ubuntu       -> https://snapshot.ubuntu.com/ubuntu/<ts>/
//   (also security.ubuntu.com/ubuntu)
// Other archives have no known snapshot service: ErrorKind::unsupported.
Result<std::string> snapshot_url(std::string_view url, std::string_view timestamp);

// The archive root to fetch from, with the snapshot applied, always ending in '/'.
Result<std::string> archive_root(const Source& source);

// The directory holding InRelease/Release, ending in '/': <root>dists/<suite>/ or <root><suite>.
Result<std::string> release_dir(const Source& source);

// The path of a component's Packages index relative to release_dir(), without a compression
// extension: `main/binary-amd64/Packages`, or `Packages` for a flat repository (component "").
std::string packages_path(std::string_view component, std::string_view arch);

// The URL of a package's `Filename` (from a Packages index) below an archive root.
std::string file_url(std::string_view root, std::string_view filename);

// Hosts that serve these sources over plain http, as "host" or "host:port". apt fetches
// deb.debian.org over http because integrity comes from the signed Release and the hashes it
// chains to, not from TLS; pass these to net::CurlOptions::insecure_hosts.
std::vector<std::string> plain_http_hosts(std::span<const Source> sources);

}  // namespace mlpack::apt
