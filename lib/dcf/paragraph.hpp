#pragma once
// DCF, the Debian control file format (deb822(5)), which R's DESCRIPTION files use too:
// paragraphs of `Field: value` lines, continuation lines that start with a space or a tab, and
// blank (or whitespace-only) lines between paragraphs. Field names are case-insensitive; the
// order of the fields in a paragraph is kept for faithful output.
//
// Safe for input from outside: time is linear in the input, nothing recurses, a paragraph holds
// at most `ParseOptions::max_fields` fields, and every error is ErrorKind::invalid_input starting
// with "source:line: " and quoting at most 60 bytes of the line (control characters shown as `?`).
// The caller bounds the input itself (util::read_file's limit).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace mlpack::dcf {

using util::Result;

namespace detail {
class ParagraphParser;
}

class Paragraph {
 public:
  // The value of a field (case-insensitive name), with continuation lines joined by '\n' and the
  // single leading space of each continuation line removed (" ." lines become empty lines).
  std::optional<std::string_view> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback = "") const;
  // Sets or replaces a field, keeping its position when it exists. Returns the stored value.
  std::string& set(std::string_view name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  // Writes "Name: value\n" lines; multi-line values get continuation lines (" ." for blanks).
  std::string str() const;

  std::size_t line = 0;  // 1-based line of the paragraph's first field in its file

 private:
  friend class detail::ParagraphParser;  // appends without a linear search per field
  std::vector<std::pair<std::string, std::string>> fields_;
};

// `#` at the start of a line: deb822 allows comment lines in debian/control and in deb822 sources
// (they end no paragraph and may sit between continuation lines); R's DESCRIPTION allows none.
enum class Comments { skipped, refused };

struct ParseOptions {
  Comments comments = Comments::refused;
  // Real paragraphs have a few dozen fields (Packages, status, DESCRIPTION); the bound keeps the
  // memory a hostile file can ask for close to its size.
  std::size_t max_fields = 1000;
};

// Parses every paragraph. `source` names the file in errors ("Packages:12: ..."). Rejected, each
// naming source:line: a line that is neither a field nor a continuation, a continuation before
// any field, a field name that deb822 does not allow (US-ASCII without control characters, space
// or `:`, not starting with `-` or `#`), a comment line where comments are refused, a paragraph
// with more than `max_fields` fields. A field given twice in a paragraph keeps its first position
// and its last value (R's read.dcf takes the last one too).
Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source,
                                                const ParseOptions& options = {});

// Calls `visit` for each paragraph without keeping them all (large Packages files). Stops at the
// first error, from the text or from `visit`.
Result<void> for_each_paragraph(std::string_view text, std::string_view source, const ParseOptions& options,
                                const std::function<Result<void>(Paragraph&&)>& visit);

}  // namespace mlpack::dcf
