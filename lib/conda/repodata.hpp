#pragma once
// A conda channel's repodata.json for one subdir (CEP 36 shape): `info.subdir`, optional
// `info.base_url` (CEP 15), `packages` (.tar.bz2) and `packages.conda` (.conda). Parsed with
// simdjson: conda-forge's linux-64 repodata is a few hundred MB of JSON.
#include <cstdint>
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
  // `channel_url` given, `subdir` is info.subdir (a record's own `subdir` must agree), `fn` the
  // file name and `url` `<base_url or channel_url/subdir>/<fn>`.
  std::vector<PackageRecord> packages;
};

// Parses one subdir's repodata.json. `channel_url` is the channel's URL WITHOUT credentials (it is
// written into records and may reach the lock); `source_name` names the file in errors. Malformed
// JSON, a missing `info.subdir`, a record without name/version/build or with a bad sha256/md5 is
// ErrorKind::invalid_input naming `source_name` and the record.
Result<Repodata> parse_repodata(std::string_view json, std::string_view channel_url, std::string_view source_name);

}  // namespace mlpack::conda
