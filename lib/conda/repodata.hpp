#pragma once
// A conda channel's repodata.json for one subdir (CEP 36 shape): `info.subdir`, optional
// `info.base_url` (CEP 15), `packages` (.tar.bz2) and `packages.conda` (.conda). Parsed with
// simdjson: conda-forge's linux-64 repodata is a few hundred MB of JSON.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "conda/match_spec.hpp"
#include "util/error.hpp"

namespace mlpack::conda {

struct Repodata {
  std::string subdir;    // info.subdir (required: a file without it is invalid_input)
  std::string base_url;  // info.base_url when set (CEP 15), else empty
  // One record per name-version-build: when both `packages` and `packages.conda` hold the same
  // stem, only the `.conda` one is kept. Ordered by (name, version order, build_number, build) so
  // the result does not depend on the file's key order. Each record's `channel` is the
  // `channel_url` given, `subdir` is info.subdir (as conda does, whatever the record's own
  // `subdir` says: channels list noarch records in a platform's repodata and serve them from
  // there), `fn` the file name and `url` `<base_url or channel_url/subdir>/<fn>`, a relative
  // base_url resolved against the repodata's own URL (`<channel_url>/<subdir>/repodata.json`).
  // Fields read: name, version, build, build_number, depends, constrains, track_features and
  // features (a string split at spaces and commas, or a list; entries trimmed), license,
  // license_family, md5 and sha256 (lower-cased), size, timestamp (seconds scaled to
  // milliseconds, as conda tells them apart), noarch (`python`, `generic`, or a boolean as conda
  // coerces it) and python_site_packages_path; other keys are ignored.
  std::vector<PackageRecord> packages;
};

// Parses one subdir's repodata.json. `channel_url` is the channel's URL WITHOUT credentials (it is
// written into records and may reach the lock); `source_name` names the file in errors. Malformed
// JSON, a missing `info.subdir`, a record without name/version/build or with a bad sha256/md5 is
// ErrorKind::invalid_input naming `source_name` and the record; so is a version conda's
// VersionOrder refuses, a `noarch` that is neither python, generic nor a boolean, a number field
// that is not a non-negative number, and a document over 3 GiB.
Result<Repodata> parse_repodata(std::string_view json, std::string_view channel_url, std::string_view source_name);

// The same for a file on disk, read straight into simdjson's padded buffer (no second copy of a
// few hundred MB). A file that cannot be read is ErrorKind::io.
Result<Repodata> parse_repodata_file(const std::filesystem::path& path, std::string_view channel_url,
                                     std::string_view source_name);

}  // namespace mlpack::conda
