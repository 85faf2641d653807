#pragma once
// Debian control data (deb822): paragraphs of "Field: value" lines with continuation lines, as
// in Packages, Release, control files and /var/lib/dpkg/status. Field names are
// case-insensitive; order of fields within a paragraph is kept for faithful output.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace mlpack::deb {

using util::Result;

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
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Parses every paragraph. `source` names the file in errors ("Packages:12: ..."). Comment lines
// ('#') are skipped. A line that is neither a field nor a continuation is ErrorKind::invalid_input.
Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source);

// Calls `visit` for each paragraph without keeping them all (large Packages files). Stops at the
// first error from `visit`.
Result<void> for_each_paragraph(std::string_view text, std::string_view source,
                                const std::function<Result<void>(Paragraph&&)>& visit);

}  // namespace mlpack::deb
