#pragma once
// Wheels into a virtual environment, as layer entries, without running Python or pip: the venv
// skeleton, verified wheels spread onto their venv paths (binary distribution format spec), the
// files installers write (INSTALLER, REQUESTED, RECORD, entry-point launchers, rewritten
// `#!python` shebangs; "recording installed projects" spec), conflicts between distributions,
// and the user's project made importable from /app without a build backend.
//
// Everything returned is ordered and a pure function of the inputs (no clock, no host paths in
// content), so the same lock gives the same layer bytes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::wheel {

namespace fs = std::filesystem;
using util::Result;

// Where the virtual environment lives in the image and what it runs on. The interpreter is the
// base image's, not the build host's.
struct VenvLayout {
  std::string prefix = "/opt/venv";               // absolute, clean
  std::string interpreter = "/usr/bin/python3.11";  // absolute path of the base interpreter in the image
  std::string python_version = "3.11.2";          // that interpreter's X.Y.Z (X.Y is accepted)
};

// The image paths a layout implies. Entry paths are relative, without a leading "/".
struct VenvPaths {
  std::string root;           // "opt/venv"
  std::string bin;            // "opt/venv/bin"
  std::string site_packages;  // "opt/venv/lib/python3.11/site-packages" (purelib and platlib)
  std::string include;        // "opt/venv/include/site/python3.11" (headers, then /<name>)
  std::string python;         // "/opt/venv/bin/python", the interpreter for shebangs
  std::string python_xy;      // "3.11"
};

// Checks the layout (invalid_input: a relative or unclean path, a version that is not X.Y[.Z])
// and derives its paths.
Result<VenvPaths> venv_paths(const VenvLayout& layout);

// Whether Debian's python3-* packages (installed with apt.txt) are importable in the venv.
enum class AptPackages {
  hidden,   // the default: only what the venv installs, as `include-system-site-packages = false`
  // adds site-packages/_mlpack_apt_dist_packages.pth naming /usr/lib/python3/dist-packages.
  // A .pth appends to sys.path, so the venv's own packages still win over apt's; unlike
  // `include-system-site-packages = true`, /usr/local/lib/pythonX.Y/dist-packages stays out.
  visible,
};
enum class Activate { no, yes };

struct VenvOptions {
  AptPackages apt_packages = AptPackages::hidden;
  Activate activate = Activate::yes;  // bin/activate for POSIX shells
};

// The venv skeleton, as `python -m venv` would leave it: pyvenv.cfg (home = the interpreter's
// directory, include-system-site-packages = false, version), bin/python -> the interpreter,
// bin/python3 and bin/python3.X -> python, lib/pythonX.Y/site-packages, lib64 -> lib, the
// prefix's parent directories, and what `options` asks for. Sorted by path.
Result<std::vector<archive::Entry>> venv_entries(const VenvLayout& layout, const VenvOptions& options = {});

// What one distribution puts into the image. Entries are files and symlinks (and, for the venv
// skeleton, directories), without the parent directories that layer_entries adds.
struct Distribution {
  std::string name;     // PEP 503-normalised
  std::string version;
  std::vector<archive::Entry> entries;  // sorted by path
};

enum class Requested { no, yes };

struct InstallOptions {
  Requested requested = Requested::no;  // named by the user, not pulled in: writes REQUESTED
  // The wheel's real filename when the file on disk is named otherwise (a content-addressed
  // cache names it by digest); empty: the path's own filename.
  std::string filename;
  // What the lock says this wheel is; empty: not checked. The wheel's METADATA `Name` and
  // `Version` must match its file name, and these when given (names PEP 503-normalised, versions
  // PEP 440-normalised); a mismatch is an integrity error naming the wheel and both values.
  std::string name;
  std::string version;
  // How far the wheel may unpack (archive/decompress.hpp): the zip's declared sizes are checked
  // against it before anything is read, so a 2 MB wheel cannot become a 2 GiB file.
  archive::UnpackLimits unpack;
};

// Installs a wheel the way the binary distribution format spec says an installer does, into the
// venv, as layer entries:
//  - the whole file's sha256 must be `sha256` (from the lock) before anything else is read;
//  - WHEEL's Wheel-Version major must not be above 1 (unsupported); Root-Is-Purelib is read;
//  - every file must be listed in RECORD with a sha256 and (when given) the size it has, and its
//    content must have that sha256 (see below for when it is checked); the
//    root, purelib and platlib go to site-packages, `.data/scripts` to bin/ (0755, `#!python`
//    shebangs pointed at the venv's python), `.data/headers` to include/site/pythonX.Y/<name>,
//    `.data/data` to the prefix;
//  - console_scripts and gui_scripts entry points get launchers in bin/ (0755);
//  - the .dist-info gets INSTALLER (`mlpack`), REQUESTED when asked, and a new RECORD listing
//    every installed file relative to site-packages with its sha256 and size (RECORD itself
//    without). Signatures of the old RECORD (RECORD.jws, RECORD.p7s) are dropped.
// Files are 0644, or 0755 when the zip marks them executable. Members with `..`, absolute or
// unclean paths, symlinks that leave the venv, and paths installed twice are refused.
// Errors (integrity, unless said otherwise) name the wheel and the member.
//
// Files up to 16 KiB (at most 64 MiB of them per wheel), scripts and symlinks are read and
// checked against RECORD here and kept in memory (Entry::data). Every larger file is read once,
// when the layer is written (archive::Entry::open streams it out of the wheel) and checked there:
// a file that does not match its RECORD hash makes the stream, and so write_layer, fail with an
// error naming the wheel and the member. Write layers to a temporary name (util::AtomicFile, the
// blob store) so such a layer is never kept. The wheel must stay in place until then.
Result<Distribution> install_wheel(const fs::path& wheel, const util::Digest& sha256, const VenvLayout& venv,
                                   const InstallOptions& options = {});

// Fails (invalid_input) when two distributions install the same path, or when one installs a
// file or symlink where another needs a directory, naming both and the path. Directories that
// several share (site-packages, bin, namespace packages) are fine.
Result<void> check_conflicts(std::span<const Distribution> distributions);

// check_conflicts, then every entry of every distribution plus each parent directory they need
// (0755, once), ready for archive::write_layer.
Result<std::vector<archive::Entry>> layer_entries(std::vector<Distribution> distributions);

// The user's project, as pyproject.toml describes it; taken plainly so nothing here parses TOML.
struct Project {
  std::string name;
  std::string version = "0";
  std::map<std::string, std::string> scripts;      // [project.scripts]: command -> "module:attr"
  std::map<std::string, std::string> gui_scripts;  // [project.gui-scripts]
  std::string import_root = "/app";                // put on sys.path: "/app", or "/app/src"
};

// Makes the project importable from its import root without building it: a .pth in
// site-packages naming the import root, a .dist-info with METADATA (Name, Version),
// entry_points.txt, INSTALLER, direct_url.json (an editable install of file://<import root>)
// and RECORD, and launchers in bin/ for its scripts. invalid_input for a bad name, version,
// import root or script.
Result<Distribution> project_entries(const Project& project, const VenvLayout& venv);

}  // namespace mlpack::wheel
