#pragma once
// conda packages into a prefix, as layer entries, without conda, mamba or Python: the package read
// through lib/archive (`.conda`: a zip of metadata.json, info-*.tar.zst and pkg-*.tar.zst, CEP 35;
// `.tar.bz2`: one tar with info/), checked against the lock and against its own info/paths.json
// (CEP 34), then linked the way conda links it: prefix placeholders replaced in text and binary
// files, `noarch: python` routed into the environment's site-packages with launchers for its entry
// points, and conda-meta/<name>-<version>-<build>.json written so conda, micromamba and conda-pack
// see an ordinary environment. Nothing a package carries is ever run: pre-/post-link scripts are
// installed as files and reported, activation scripts are reported for the caller to read.
//
// Everything returned is ordered and a pure function of the inputs (no clock, no host path), so
// the same lock gives the same layer bytes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "util/error.hpp"

namespace mlpack::condapkg {

namespace fs = std::filesystem;
using util::Result;

// conda-build's classic prefix placeholder.
inline constexpr std::string_view classic_placeholder = "/opt/anaconda1anaconda2anaconda3";

// What the lock says of one package.
struct PackageRef {
  std::string name;
  std::string version;
  std::string build;
  std::string filename;    // the archive's file name ("zlib-1.3-h0_0.conda"): .conda or .tar.bz2
  std::string sha256;      // lowercase hex: the whole archive must have it before anything is read
  std::uint64_t size = 0;  // checked when not 0
  std::string url;         // where it came from, without credentials (conda-meta `url`)
  std::string channel;     // the channel's URL, without credentials (conda-meta `channel`)
  // Repodata fields the lock keeps (build_number, depends, constrains, license, md5, subdir,
  // noarch…), written over info/index.json's in conda-meta.
  nlohmann::json record = nlohmann::json::object();
  std::string requested_spec;  // the spec the environment file asked for it with; "" when pulled in
};

// Where the environment lives in the image.
struct Prefix {
  std::string path = "/opt/conda";  // absolute, clean, no trailing "/"
  // For `noarch: python`: site-packages relative to the prefix ("lib/python3.11/site-packages", or
  // the python record's python_site_packages_path); empty when the environment has no python.
  std::string site_packages;
};

// The text of a shebang that Linux cannot run once the placeholder is replaced (longer than 127
// bytes, or an interpreter path with a space) becomes `#!/usr/bin/env <exe><args>`.
inline constexpr std::size_t max_shebang = 127;

// Text mode: every occurrence of `placeholder` becomes `prefix`; then a first line `#!…` that
// Linux cannot run is rewritten as above.
std::string replace_text_prefix(std::string_view data, std::string_view placeholder, std::string_view prefix);

// Binary mode: each NUL-terminated string holding `placeholder` has every occurrence replaced and
// is padded with NULs to its original length, so offsets in the file do not move. A prefix longer
// than the placeholder cannot fit: invalid_input (the caller names the package and the file).
Result<std::string> replace_binary_prefix(std::string_view data, std::string_view placeholder, std::string_view prefix);

// An activation script of a package (etc/conda/activate.d/*.sh), for the image's Env.
struct ActivationScript {
  std::string path;  // relative to the prefix
  std::string text;  // its content (after prefix replacement)
};

// What one package puts into the prefix.
struct Installed {
  std::string name;
  std::string version;
  std::string build;
  // Files, symlinks, hardlinks and the directories the package lists, under the prefix (relative
  // image paths: "opt/conda/bin/x"), its conda-meta record among them; without the parent
  // directories, which layer_entries adds. Sorted by path. Small files (InstallOptions), and
  // those whose placeholder was replaced, hold their bytes; larger ones stream out of the package
  // archive when the layer is written (checked again against their sha256 there), so the archive
  // must stay in place until then.
  std::vector<archive::Entry> entries;
  // Pre-link, post-link and pre-unlink scripts it carries (never run): "bin/.x-post-link.sh".
  std::vector<std::string> link_scripts;
  std::vector<ActivationScript> activation;
  std::string label() const { return name + "-" + version + "-" + build; }
};

// How many package payloads may be open at once while a layer is written: each open one holds a
// decompressor (a zstd window is up to 8 MiB for conda-forge's packages, more with --long), and
// a layer of many packages reads their files interleaved, in path order. Past the bound the
// payload used least recently is closed, to be reopened from its start if it is needed again.
// One budget serves one layer written at a time (the layer writer reads one entry at a time).
class StreamBudget;
std::shared_ptr<StreamBudget> make_stream_budget(std::size_t max_open = 8);

struct InstallOptions {
  // Shared by the packages of one layer; null: no bound.
  std::shared_ptr<StreamBudget> streams;
  // Files up to this size are kept in memory from the first read, up to max_inline bytes of them
  // per package (as wheels do); the others stream into the layer.
  std::uint64_t inline_limit = 16 << 10;
  std::uint64_t max_inline = 64 << 20;
  // A file whose placeholder must be replaced is held in memory: larger ones are refused.
  std::uint64_t max_prefix_file = 1ULL << 30;
  // How far one package may unpack, as for wheels and .debs (archive/decompress.hpp): each
  // compressed stream at most max_ratio times its size past ratio_floor, max_total in all.
  archive::UnpackLimits unpack;
};

// Reads the package at `archive` (the lock's file, in the blob store) and links it into `prefix`:
//  - the archive's size and sha256 must be the lock's before anything in it is read;
//  - `.conda`: exactly one metadata.json (conda_pkg_format_version 2), info-*.tar.zst and
//    pkg-*.tar.zst (none for an info-only package); `.tar.bz2`: info/ and the payload in one tar;
//  - info/index.json must name the lock's name, version and build;
//  - refused (integrity, naming the package and the member): `..` and absolute paths, devices and
//    FIFOs, a member twice, a member larger than paths.json declares, a file whose sha256 is not
//    paths.json's, a paths.json entry the archive lacks or a member paths.json does not list, a
//    type that is not the one paths.json gives, symlinks that leave the prefix (with the links of
//    the same package: archive::check_links), a package past its unpack limits;
//  - info/paths.json, else the older info/files + info/has_prefix (+ info/no_link, which changes
//    nothing when copying); a package with neither is taken as its payload lists it;
//  - placeholders replaced as replace_text_prefix / replace_binary_prefix say (binary: a prefix
//    longer than the placeholder is invalid_input naming the package and the file);
//  - `noarch: python`: site-packages/ → prefix.site_packages, python-scripts/ → bin/, and each
//    info/link.json `entry_points` item (`name = module:function`) a launcher bin/<name> run by
//    <prefix>/bin/python; invalid_input when prefix.site_packages is empty;
//  - modes kept, with read (and, where the owner has it, execute) added for group and others, so a
//    non-root user can use the environment; owner root;
//  - conda-meta/<name>-<version>-<build>.json: info/index.json, then ref.record, fn, url, channel,
//    md5/sha256/size, files, paths_data and requested_spec.
Result<Installed> install_package(const fs::path& archive, const PackageRef& ref, const Prefix& prefix,
                                  const InstallOptions& options = {});

// Across the whole environment: two packages installing one path (or a file where another needs
// a directory) is invalid_input naming both packages and the path; every symlink is checked with
// the links of every package (archive::check_links), so a link cannot climb out through another
// package's link.
Result<void> check_environment(std::span<const Installed> packages, const Prefix& prefix);

// The entries of `packages` with each parent directory they need (0755, once), ready for
// archive::write_layer. Call check_environment over the whole environment first.
std::vector<archive::Entry> layer_entries(std::vector<Installed> packages);

// conda-meta/history as conda starts it: one revision adding every package (`+channel::name-
// version-build`), with the requested specs, and a fixed date (the layer must not depend on the
// clock). `specs` are the environment file's specs as written.
archive::Entry history_entry(std::span<const PackageRef> packages, std::span<const std::string> specs,
                             const Prefix& prefix);

// The variables a plain activation script sets: lines `export NAME=value` (value unquoted, or in
// single or double quotes), blank lines and comments; `${CONDA_PREFIX}` and `$CONDA_PREFIX` in
// values become the prefix. nullopt when the script does anything else (the caller names it in a
// warning).
std::optional<std::vector<std::pair<std::string, std::string>>> plain_exports(std::string_view script,
                                                                              std::string_view prefix);

}  // namespace mlpack::condapkg
