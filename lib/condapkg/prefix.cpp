// Prefix replacement (CEP 34's file_mode text / binary) and plain activation scripts.
#include <optional>

#include "condapkg/condapkg.hpp"

namespace mlpack::condapkg {

namespace {

std::string replace_all(std::string_view data, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(data.size());
  std::size_t pos = 0;
  for (;;) {
    auto hit = data.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(data.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(data.substr(pos));
  return out;
}

// `#!/usr/bin/env <exe><args>` for a first line Linux cannot run: the kernel reads at most 127
// bytes of a shebang, and a space ends the interpreter's path.
std::string fix_shebang(std::string text, std::string_view prefix) {
  if (!text.starts_with("#!")) return text;
  auto eol = text.find('\n');
  std::string_view line(text.data(), eol == std::string::npos ? text.size() : eol);
  bool space_in_prefix = prefix.find(' ') != std::string_view::npos;
  if (line.size() <= max_shebang && !space_in_prefix) return text;
  std::string_view rest = line.substr(2);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  // The interpreter: up to the first blank, except that a prefix with spaces is taken whole.
  std::size_t from = rest.starts_with(prefix) ? prefix.size() : 0;
  auto end = rest.find_first_of(" \t", from);
  std::string_view exe = rest.substr(0, end);
  std::string_view args = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  auto slash = exe.rfind('/');
  std::string_view name = slash == std::string_view::npos ? exe : exe.substr(slash + 1);
  if (name.empty()) return text;
  std::string fixed = "#!/usr/bin/env " + std::string(name) + std::string(args);
  return fixed + text.substr(line.size());
}

}  // namespace

std::string replace_text_prefix(std::string_view data, std::string_view placeholder, std::string_view prefix) {
  return fix_shebang(replace_all(data, placeholder, prefix), prefix);
}

Result<std::string> replace_binary_prefix(std::string_view data, std::string_view placeholder,
                                          std::string_view prefix) {
  if (prefix.size() > placeholder.size())
    return util::fail(util::ErrorKind::invalid_input,
                      "the prefix `" + std::string(prefix) + "` (" + std::to_string(prefix.size()) +
                          " bytes) is longer than the package's binary placeholder (" +
                          std::to_string(placeholder.size()) + " bytes), so it cannot be written in place");
  std::string out(data);
  std::size_t pos = 0;
  for (;;) {
    auto hit = out.find(placeholder, pos);
    if (hit == std::string::npos) break;
    auto end = out.find('\0', hit);
    if (end == std::string::npos) end = out.size();
    std::string replaced = replace_all(std::string_view(out).substr(hit, end - hit), placeholder, prefix);
    replaced.resize(end - hit, '\0');  // never longer: the prefix is not longer than the placeholder
    out.replace(hit, end - hit, replaced);
    pos = end;
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> plain_exports(std::string_view script,
                                                                              std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos <= script.size()) {
    auto eol = script.find('\n', pos);
    std::string_view line = script.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? script.size() + 1 : eol + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!line.starts_with("export ")) return std::nullopt;
    line.remove_prefix(7);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string name(line.substr(0, eq));
    for (std::size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) return std::nullopt;
    }
    std::string_view value = line.substr(eq + 1);
    char quote = 0;
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      quote = value.front();
      if (value.size() < 2 || value.back() != quote) return std::nullopt;
      value = value.substr(1, value.size() - 2);
      if (value.find(quote) != std::string_view::npos) return std::nullopt;
    }
    // Anything a shell would expand or split, other than the prefix, is not plain.
    // Single quotes keep everything as written; elsewhere only the prefix may be expanded.
    std::string v(value);
    if (quote != '\'') {
      v = replace_all(replace_all(v, "${CONDA_PREFIX}", prefix), "$CONDA_PREFIX", prefix);
      if (v.find_first_of("$`\\") != std::string::npos) return std::nullopt;
    }
    if (!quote && v.find_first_of(" \t;&|<>()*?[]{}~\"'") != std::string::npos) return std::nullopt;
    out.emplace_back(std::move(name), std::move(v));
  }
  return out;
}

}  // namespace mlpack::condapkg
