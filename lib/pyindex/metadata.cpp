// Core metadata (METADATA, PKG-INFO): RFC 822-style headers, then a body we ignore.
#include <cctype>

#include "pyindex/index.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

Result<CoreMetadata> parse_core_metadata(std::string_view text) {
  CoreMetadata out;
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (util::trim(line).empty()) break;  // the body starts here
    if (line[0] == ' ' || line[0] == '\t') {
      // A continuation of the previous field (Description, License, long Requires-Dist).
      if (!fields.empty()) fields.back().second += " " + util::trim(line);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // tolerated: some tools write stray lines
    fields.emplace_back(util::to_lower(util::trim(line.substr(0, colon))), util::trim(line.substr(colon + 1)));
  }
  for (auto& [key, value] : fields) {
    if (key == "name" && out.name.empty()) out.name = value;
    else if (key == "version" && out.version.empty()) out.version = value;
    else if (key == "requires-python" && !value.empty()) out.requires_python = value;
    else if (key == "requires-dist" && !value.empty()) out.requires_dist.push_back(value);
    else if (key == "provides-extra" && !value.empty()) out.provides_extra.push_back(value);
    else if (key == "license-expression" && !value.empty() && !out.license_expression) out.license_expression = value;
    else if (key == "license" && !value.empty() && !out.license) out.license = value;
    else if (key == "classifier" && value.starts_with("License ::")) out.license_classifiers.push_back(value);
  }
  if (out.name.empty() || out.version.empty())
    return util::fail(util::ErrorKind::invalid_input,
                      out.name.empty() ? "core metadata has no `Name` field" : "core metadata has no `Version` field");
  return out;
}

}  // namespace mlpack::pyindex
