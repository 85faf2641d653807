#pragma once
// Debian control data (deb822): Packages, Release, control files and /var/lib/dpkg/status. The
// format itself is lib/dcf's; this is how Debian's files are read with it.
#include <functional>
#include <string_view>
#include <vector>

#include "dcf/paragraph.hpp"

namespace mlpack::deb {

using util::Result;
using dcf::Paragraph;

// Parses every paragraph. `source` names the file in errors ("Packages:12: ..."). Comment lines
// ('#') are skipped. Malformed lines are ErrorKind::invalid_input naming
// source:line (dcf::parse_paragraphs).
Result<std::vector<Paragraph>> parse_paragraphs(std::string_view text, std::string_view source);

// Calls `visit` for each paragraph without keeping them all (large Packages files). Stops at the
// first error from `visit`.
Result<void> for_each_paragraph(std::string_view text, std::string_view source,
                                const std::function<Result<void>(Paragraph&&)>& visit);

}  // namespace mlpack::deb
