// R licence specifications → SPDX expressions (see license.hpp).
#include "cran/license.hpp"

#include <array>
#include <utility>
#include <vector>

namespace mlpack::cran {

namespace {

std::string squash(std::string_view s) {  // whitespace runs to one space, trimmed
  std::string out;
  for (char c : s) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// One component, as R's database spells it (and the common variants CRAN accepts).
std::optional<std::string> component(std::string_view text) {
  static const std::array<std::pair<std::string_view, std::string_view>, 46> table{{
      {"GPL-2", "GPL-2.0-only"},          {"GPL-3", "GPL-3.0-only"},
      {"GPL (>= 2)", "GPL-2.0-or-later"}, {"GPL (>= 2.0)", "GPL-2.0-or-later"},
      {"GPL (>= 3)", "GPL-3.0-or-later"}, {"GPL (>= 3.0)", "GPL-3.0-or-later"},
      {"GPL-2.0", "GPL-2.0-only"},        {"GPL-3.0", "GPL-3.0-only"},
      {"LGPL-2", "LGPL-2.0-only"},        {"LGPL-2.1", "LGPL-2.1-only"},
      {"LGPL-3", "LGPL-3.0-only"},        {"LGPL (>= 2)", "LGPL-2.0-or-later"},
      {"LGPL (>= 2.0)", "LGPL-2.0-or-later"}, {"LGPL (>= 2.1)", "LGPL-2.1-or-later"},
      {"LGPL (>= 3)", "LGPL-3.0-or-later"}, {"LGPL (>= 3.0)", "LGPL-3.0-or-later"},
      {"AGPL-3", "AGPL-3.0-only"},        {"AGPL (>= 3)", "AGPL-3.0-or-later"},
      {"Artistic-2.0", "Artistic-2.0"},   {"Artistic License 2.0", "Artistic-2.0"},
      {"Apache License 2.0", "Apache-2.0"}, {"Apache License (== 2.0)", "Apache-2.0"},
      {"Apache License (>= 2)", "Apache-2.0+"}, {"Apache License (>= 2.0)", "Apache-2.0+"},
      {"Apache License", "Apache-2.0"},   {"MPL-2.0", "MPL-2.0"},
      {"MPL (== 2.0)", "MPL-2.0"},        {"MPL", "MPL-2.0"},
      {"BSL-1.0", "BSL-1.0"},             {"BSL", "BSL-1.0"},
      {"CC0", "CC0-1.0"},                 {"CC BY 4.0", "CC-BY-4.0"},
      {"CC BY-SA 4.0", "CC-BY-SA-4.0"},   {"CC BY-NC 4.0", "CC-BY-NC-4.0"},
      {"CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"}, {"CC BY-ND 4.0", "CC-BY-ND-4.0"},
      {"EUPL-1.1", "EUPL-1.1"},           {"EUPL-1.2", "EUPL-1.2"},
      {"EUPL (>= 1.2)", "EUPL-1.2"},      {"Lucent Public License", "LPL-1.02"},
      {"CeCILL-2", "CECILL-2.0"},         {"CeCILL-2.1", "CECILL-2.1"},
      {"AGPL-3.0", "AGPL-3.0-only"},      {"LGPL-2.0", "LGPL-2.0-only"},
      {"LGPL-3.0", "LGPL-3.0-only"},      {"Mozilla Public License 2.0", "MPL-2.0"},
  }};
  // Templates whose file only fills in the year and holders.
  static const std::array<std::pair<std::string_view, std::string_view>, 3> templates{{
      {"MIT", "MIT"}, {"BSD_2_clause", "BSD-2-Clause"}, {"BSD_3_clause", "BSD-3-Clause"}}};
  std::string s = squash(text);
  for (std::string_view suffix : {" + file LICENSE", " + file LICENCE"})
    if (s.size() > suffix.size() && s.ends_with(suffix)) {
      auto base = s.substr(0, s.size() - suffix.size());
      for (const auto& [name, id] : templates)
        if (base == name) return std::string(id);
      return std::nullopt;  // the file may restrict the licence: not claimed
    }
  if (s == "MIT") return std::string("MIT");
  for (const auto& [name, id] : table)
    if (s == name) return std::string(id);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> license_to_spdx(std::string_view license) {
  if (license.size() > 1024) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= license.size(); ++i)
    if (i == license.size() || license[i] == '|') {
      auto spdx = component(license.substr(start, i - start));
      if (!spdx) return std::nullopt;
      parts.push_back(*spdx);
      start = i + 1;
    }
  if (parts.size() == 1) return parts.front();
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " OR ") + p;
  return out;
}

}  // namespace mlpack::cran
