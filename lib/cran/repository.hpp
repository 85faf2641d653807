#pragma once
// The layout of a CRAN-like repository (R's `contrib.url()`: `<repo>/src/contrib`, with the
// index at `<contrib>/PACKAGES[.gz]` and older versions under `<contrib>/Archive/<name>/`), Posit
// Package Manager's Linux binary repositories and the User-Agent R sends to them.
#include <string>
#include <string_view>
#include <vector>

#include "cran/package.hpp"
#include "cran/version.hpp"
#include "util/error.hpp"

namespace mlpack::cran {

// `<repo>/src/contrib`, with one `/` between them whatever `repo` ends with.
std::string contrib_url(std::string_view repo);

// `<contrib>[/<Path>]/<File>`, where File defaults to `<name>_<version>.tar.gz` (R's
// download.packages honours both fields).
std::string package_url(std::string_view repo, const PackageRecord& record);

// `<contrib>/Archive/<name>/<name>_<version>.tar.gz`
std::string archive_url(std::string_view repo, std::string_view name, std::string_view version);

// `<contrib>/Archive/<name>/`
std::string archive_listing_url(std::string_view repo, std::string_view name);

// "https://packagemanager.posit.co/cran/__linux__/<suite>/<snapshot>", snapshot "latest" or a
// date "YYYY-MM-DD".
std::string ppm_repository(std::string_view suite, std::string_view snapshot);

// The User-Agent R sends (`getOption("HTTPUserAgent")`: "R (<version> <platform> <arch> <os>)"),
// which Posit Package Manager reads to serve binaries: "R (4.3.2 x86_64-pc-linux-gnu x86_64
// linux-gnu)". `arch` is "x86_64" or "aarch64".
std::string r_user_agent(const Version& r, std::string_view arch);

// The versions of `name` in an Apache- or nginx-style directory listing of
// `<contrib>/Archive/<name>/`: every `href="<name>_<version>.tar.gz"` whose version parses, in
// R's version order, each once. A listing with none is an empty list, not an error; invalid_input
// only for a listing over 16 MiB.
Result<std::vector<std::string>> parse_archive_listing(std::string_view html, std::string_view name);

}  // namespace mlpack::cran
