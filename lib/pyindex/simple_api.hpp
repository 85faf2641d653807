#pragma once
// The simple repository API as served: PEP 503 HTML pages (with PEP 592 yanking, PEP 658/714
// metadata attributes, #<hash>= fragments) and PEP 691 JSON, chosen by content negotiation.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pyindex/index.hpp"

namespace mlpack::pyindex {

enum class PageFormat { html, json };

// What we send as Accept for a project page: JSON preferred, HTML accepted.
inline constexpr std::string_view simple_accept =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

// The format of a response by its Content-Type (parameters and case ignored). A missing or
// unknown type is read as HTML, as pip does for pages that predate PEP 691; an API version
// other than 1 is ErrorKind::unsupported.
Result<PageFormat> page_format(std::optional<std::string_view> content_type);

// Every anchor of an HTML page as a DistFile, hrefs resolved against `page_url` (or the page's
// <base href>). Attribute values have HTML entities decoded. `index` goes into DistFile::index.
std::vector<DistFile> parse_html_page(std::string_view html, std::string_view page_url, std::string_view index);

// A PEP 691 project page. invalid_input when it is not one.
Result<std::vector<DistFile>> parse_json_page(std::string_view json, std::string_view page_url,
                                              std::string_view index);

Result<std::vector<DistFile>> parse_page(std::string_view body, std::optional<std::string_view> content_type,
                                         std::string_view page_url, std::string_view index);

// Decodes named (the common ones) and numeric character references.
std::string decode_html_entities(std::string_view s);

}  // namespace mlpack::pyindex
