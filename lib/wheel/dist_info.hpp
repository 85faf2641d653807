#pragma once
// The small formats inside a .dist-info directory (internal to wheel): WHEEL, RECORD,
// entry_points.txt, and what an installer writes from them (launchers, shebangs, RECORD hashes).
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::wheel::detail {

using util::Result;

// WHEEL: the format version and where the root goes. integrity errors for a missing or
// malformed Wheel-Version or Root-Is-Purelib.
struct WheelInfo {
  int major = 1;
  int minor = 0;
  bool root_is_purelib = true;
};
Result<WheelInfo> parse_wheel_info(std::string_view text);

// One RECORD row: path, "algorithm=urlsafe-base64-digest" (or empty), size in bytes (or empty).
struct RecordRow {
  std::string path;
  std::string hash;
  std::string size;
  auto operator<=>(const RecordRow&) const = default;
};

// RECORD is CSV (Python's csv module, default dialect): quoted fields with "" escapes, rows
// ending in \n or \r\n. Blank lines are skipped; rows with more than three fields are refused.
Result<std::vector<RecordRow>> parse_record(std::string_view text);

// CSV as Python's csv.writer writes it with lineterminator "\n": a field is quoted only when it
// holds a comma, a quote or a line break. Rows are written in the order given.
std::string write_record(const std::vector<RecordRow>& rows);

// METADATA's `Name` and `Version` (core metadata is email headers: the first of each field, names
// case-insensitive, up to the first blank line; values trimmed). Empty when absent.
struct MetadataIdentity {
  std::string name;
  std::string version;
};
MetadataIdentity parse_metadata_identity(std::string_view text);

// Base64 with the URL-safe alphabet and no padding, as RECORD hashes use.
std::string base64url_nopad(std::string_view bytes);
// "sha256=<urlsafe base64, no padding>" for a sha256 digest.
std::string record_hash(const util::Digest& digest);
// The sha256 digest that `encoded` names: the unpadded urlsafe base64 of 32 bytes, exactly as
// record_hash writes it (43 characters). nullopt for anything else.
std::optional<util::Digest> sha256_from_base64url(std::string_view encoded);

// An entry point: `name = module:attr [extras]` in the section `group`.
struct EntryPoint {
  std::string group;
  std::string name;
  std::string module;  // dotted
  std::string attr;    // dotted; empty when the value names only a module
};

// entry_points.txt (INI; `=` is the only delimiter, names keep their case, `#` and `;` start
// comments). Extras are parsed and dropped. integrity errors name the line.
Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text);

// Parses one object reference `module[:attr] [extras]` (spaces allowed around `:` and the extras).
Result<EntryPoint> parse_object_reference(std::string_view group, std::string_view name, std::string_view value);

// Whether an entry point name can be a file in bin/: not empty, no `/`, NUL or control
// characters, not `.` or `..`, no surrounding whitespace.
bool is_safe_command_name(std::string_view name);

// The launcher written to bin/<name> for a console_scripts or gui_scripts entry point (which must
// have an attr): a Python script run by `python` that imports the module and exits with what
// the attribute, called, returns.
std::string launcher_script(const EntryPoint& ep, std::string_view python);

// When `content` starts with a `#!python` shebang (also `#!pythonw`, `#!python3`, `#!python3.11`,
// with or without arguments), returns it with that line's interpreter replaced by `python` and the
// line ended by "\n"; otherwise nullopt.
std::optional<std::string> rewrite_shebang(std::string_view content, std::string_view python);

}  // namespace mlpack::wheel::detail
