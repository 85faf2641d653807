#include "detectors/requirements.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_internal.hpp"
#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;
using namespace internal;

namespace {

// ---------------------------------------------------------------------------------------------
// Decoding, as pip's auto_decode: a BOM wins (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), then a PEP 263
// `# coding: …` comment on one of the first two lines, else UTF-8. A UTF-32 LE BOM (FF FE 00 00)
// starts like UTF-16 LE's; pip tests UTF-16 first and so reads such a file as NUL-riddled UTF-16
// that no line of survives. We test UTF-32 LE first: a UTF-16 file whose first character is
// U+0000 is no text anyone writes. Bytes that are not valid UTF-8 pass through: only comments
// could hold them, names and versions are ASCII.

std::optional<std::string> from_utf16(std::string_view data, bool big_endian) {
  if (data.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    auto b0 = static_cast<unsigned char>(data[i]), b1 = static_cast<unsigned char>(data[i + 1]);
    char32_t unit = big_endian ? (b0 << 8 | b1) : (b1 << 8 | b0);
    if (unit >= 0xD800 && unit < 0xDC00) {
      if (i + 3 >= data.size()) return std::nullopt;
      auto c0 = static_cast<unsigned char>(data[i + 2]), c1 = static_cast<unsigned char>(data[i + 3]);
      char32_t low = big_endian ? (c0 << 8 | c1) : (c1 << 8 | c0);
      if (low < 0xDC00 || low >= 0xE000) return std::nullopt;
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    } else if (unit >= 0xDC00 && unit < 0xE000) {
      return std::nullopt;
    }
    util::append_utf8(out, unit);
  }
  return out;
}

std::optional<std::string> from_utf32(std::string_view data, bool big_endian) {
  if (data.size() % 4) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 4) {
    char32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      auto b = static_cast<unsigned char>(data[i + (big_endian ? k : 3 - k)]);
      cp = cp << 8 | b;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return std::nullopt;
    util::append_utf8(out, cp);
  }
  return out;
}

// The encoding named by a PEP 263 comment on one of the first two lines, if any.
std::optional<std::string> pep263_encoding(std::string_view data) {
  std::size_t start = 0;
  for (int n = 0; n < 2 && start <= data.size(); ++n) {
    auto end = data.find('\n', start);
    auto line = data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line[0] == '#') {
      for (std::size_t pos = line.find("coding"); pos != std::string_view::npos; pos = line.find("coding", pos + 1)) {
        auto i = pos + 6;
        if (i >= line.size() || (line[i] != ':' && line[i] != '=')) continue;
        ++i;
        while (i < line.size() && is_space(line[i])) ++i;
        auto b = i;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' ||
                                   line[i] == '_' || line[i] == '.'))
          ++i;
        if (i > b) return std::string(line.substr(b, i - b));
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

Result<std::string> decode_text(std::string_view data, const std::string& file) {
  auto starts = [&](std::string_view bom) { return data.substr(0, bom.size()) == bom; };
  auto bad = [&](const char* enc) {
    return util::fail(ErrorKind::invalid_input, file + ": not valid " + std::string(enc) + " text");
  };
  using namespace std::string_view_literals;
  if (starts("\xEF\xBB\xBF"sv)) return std::string(data.substr(3));
  if (starts("\xFF\xFE\x00\x00"sv)) {
    if (auto s = from_utf32(data.substr(4), false)) return *s;
    return bad("UTF-32");
  }
  if (starts("\xFF\xFE"sv)) {
    if (auto s = from_utf16(data.substr(2), false)) return *s;
    return bad("UTF-16");
  }
  if (starts("\xFE\xFF"sv)) {
    if (auto s = from_utf16(data.substr(2), true)) return *s;
    return bad("UTF-16");
  }
  if (starts("\x00\x00\xFE\xFF"sv)) {
    if (auto s = from_utf32(data.substr(4), true)) return *s;
    return bad("UTF-32");
  }
  if (auto enc = pep263_encoding(data)) {
    auto e = replace_all(util::to_lower(*enc), "-", "_");
    if (e == "utf_8" || e == "utf8" || e == "u8" || e == "ascii" || e == "us_ascii") return std::string(data);
    if (e == "latin_1" || e == "latin1" || e == "iso_8859_1" || e == "iso8859_1" || e == "l1" || e == "8859" ||
        e == "cp819" || e == "iso_ir_100") {
      std::string out;
      for (char c : data) util::append_utf8(out, static_cast<unsigned char>(c));
      return out;
    }
    return util::fail(ErrorKind::invalid_input,
                      file + ": unsupported encoding " + ticked(*enc) + " (use UTF-8 or latin-1)");
  }
  return std::string(data);
}

// ---------------------------------------------------------------------------------------------
// pip's preprocessing: split lines as Python's str.splitlines(), join backslash continuations (a
// comment line ends one), drop comments (`#` at the start or after whitespace), strip, expand
// ${VAR}.


// pip's COMMENT_RE matched at the start of a line: the first non-blank character is `#`.
bool is_comment_line(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  return i < line.size() && line[i] == '#';
}

std::string remove_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i)
    if (line[i] == '#' && (i == 0 || is_space(line[i - 1]))) return strip(line.substr(0, i));
  return strip(line);
}

struct LogicalLine {
  int number = 0;  // of its first physical line
  std::string text;
};

std::vector<LogicalLine> preprocess(std::string_view text, const util::Environment& env) {
  std::vector<LogicalLine> joined;
  bool joining = false;
  int primary = 0;
  std::string pending;
  int number = 0;
  for (auto& line : split_lines(text)) {
    ++number;
    bool comment = is_comment_line(line);
    if (line.empty() || line.back() != '\\' || comment) {
      if (comment) line.insert(0, " ");  // so that the comment is removed after joining
      if (joining) {
        joined.push_back({primary, pending + line});
        pending.clear();
        joining = false;
      } else {
        joined.push_back({number, line});
      }
    } else {
      if (!joining) primary = number;
      joining = true;
      // pip strips every backslash at either end of a continued line, not just the last one.
      std::size_t b = 0, e = line.size();
      while (b < e && line[b] == '\\') ++b;
      while (e > b && line[e - 1] == '\\') --e;
      pending += line.substr(b, e - b);
    }
  }
  if (joining) joined.push_back({primary, pending});

  std::vector<LogicalLine> out;
  for (auto& l : joined) {
    auto line = remove_comment(l.text);
    if (line.empty()) continue;
    // ${NAME}, NAME of [A-Z0-9_]; unset or empty variables leave the text as written.
    std::vector<std::string> vars;
    for (std::size_t pos = 0; (pos = line.find("${", pos)) != std::string::npos;) {
      auto end = pos + 2;
      while (end < line.size() && ((line[end] >= 'A' && line[end] <= 'Z') || (line[end] >= '0' && line[end] <= '9') ||
                                   line[end] == '_'))
        ++end;
      if (end > pos + 2 && end < line.size() && line[end] == '}') {
        vars.push_back(line.substr(pos + 2, end - pos - 2));
        pos = end + 1;
      } else {
        pos += 2;
      }
    }
    for (const auto& name : vars) {
      auto value = env.non_empty(name);
      if (!value) continue;
      line = replace_all(line, "${" + name + "}", *value);
    }
    out.push_back({l.number, std::move(line)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Options. pip splits a line at the first space-separated token that starts with `-`: before it
// is the requirement, after it options, split like a POSIX shell and parsed with optparse rules
// (unique prefixes of long options, clustered short options, `--opt=value`).

}  // namespace

std::pair<std::string, std::string> detail::split_requirement_options(std::string_view line) {
  auto tokens = util::split(line, ' ');
  std::size_t i = 0;
  while (i < tokens.size() && (tokens[i].empty() || tokens[i][0] != '-')) ++i;
  std::string args, options;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    auto& dest = k < i ? args : options;
    if (k != 0 && k != i) dest += ' ';
    dest += tokens[k];
  }
  return {args, options};
}

namespace {

// shlex.split() in POSIX mode: whitespace separates, '…' is literal, "…" honours \" and \\,
// a backslash outside quotes escapes the next character. Errors as shlex names them.
Result<std::vector<std::string>> shell_split(std::string_view s) {
  std::vector<std::string> out;
  std::string token;
  bool in_token = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_token) out.push_back(std::move(token));
      token.clear();
      in_token = false;
    } else if (c == '\\') {
      if (i + 1 >= s.size()) return util::fail(ErrorKind::invalid_input, "no escaped character");
      token += s[++i];
      in_token = true;
    } else if (c == '\'') {
      auto end = s.find('\'', i + 1);
      if (end == std::string_view::npos) return util::fail(ErrorKind::invalid_input, "no closing quotation");
      token += s.substr(i + 1, end - i - 1);
      i = end;
      in_token = true;
    } else if (c == '"') {
      in_token = true;
      for (++i;; ++i) {
        if (i >= s.size()) return util::fail(ErrorKind::invalid_input, "no closing quotation");
        if (s[i] == '"') break;
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) ++i;
        token += s[i];
      }
    } else {
      token += c;
      in_token = true;
    }
  }
  if (in_token) out.push_back(std::move(token));
  return out;
}

enum class Opt {
  index_url,
  extra_index_url,
  no_index,
  constraint,
  requirement,
  editable,
  find_links,
  no_binary,
  only_binary,
  prefer_binary,
  require_hashes,
  pre,
  trusted_host,
  use_feature,
  hash,
  config_settings,
};

struct OptionSpec {
  std::string_view long_name;
  char short_name;  // 0: none
  Opt id;
  bool takes_value;
};

// The options pip accepts in a requirements file (pip's SUPPORTED_OPTIONS and the per-requirement
// --hash and --config-settings).
constexpr OptionSpec option_specs[] = {
    {"--index-url", 'i', Opt::index_url, true},
    {"--pypi-url", 0, Opt::index_url, true},
    {"--extra-index-url", 0, Opt::extra_index_url, true},
    {"--no-index", 0, Opt::no_index, false},
    {"--constraint", 'c', Opt::constraint, true},
    {"--requirement", 'r', Opt::requirement, true},
    {"--editable", 'e', Opt::editable, true},
    {"--find-links", 'f', Opt::find_links, true},
    {"--no-binary", 0, Opt::no_binary, true},
    {"--only-binary", 0, Opt::only_binary, true},
    {"--prefer-binary", 0, Opt::prefer_binary, false},
    {"--require-hashes", 0, Opt::require_hashes, false},
    {"--pre", 0, Opt::pre, false},
    {"--trusted-host", 0, Opt::trusted_host, true},
    {"--use-feature", 0, Opt::use_feature, true},
    {"--hash", 0, Opt::hash, true},
    {"--config-settings", 'C', Opt::config_settings, true},
};

struct LineOptions {
  std::optional<std::string> index_url;
  std::vector<std::string> extra_index_urls, requirements, constraints, editables, find_links, trusted_hosts;
  bool no_index = false, prefer_binary = false, require_hashes = false, pre = false;
  std::vector<std::string> hashes;
  std::map<std::string, std::vector<std::string>> config_settings;
};

// --no-binary / --only-binary: pip applies them to the finder's state while parsing, whatever the
// line turns out to be, so they act across lines (":all:" clears, ":none:" empties).
struct FormatControl {
  std::set<std::string> no_binary, only_binary;
};

Result<void> handle_format_control(std::string_view opt, const std::string& value, std::set<std::string>& target,
                                   std::set<std::string>& other) {
  if (!value.empty() && value[0] == '-')
    return util::fail(ErrorKind::invalid_input, ticked(opt) + " needs a value (`:all:`, `:none:` or package names)");
  auto names = util::split(value, ',');
  std::size_t i = 0;
  for (;;) {
    auto all = std::find(names.begin() + static_cast<std::ptrdiff_t>(i), names.end(), ":all:");
    if (all == names.end()) break;
    other.clear();
    target.clear();
    target.insert(":all:");
    i = static_cast<std::size_t>(all - names.begin()) + 1;
    if (std::find(names.begin() + static_cast<std::ptrdiff_t>(i), names.end(), ":none:") == names.end()) return {};
  }
  for (; i < names.size(); ++i) {
    if (names[i] == ":none:") {
      target.clear();
      continue;
    }
    auto name = pypi::normalize_name(names[i]);
    other.erase(name);
    target.insert(name);
  }
  return {};
}

Result<void> apply_option(const OptionSpec& spec, std::string_view opt, const std::string& value, LineOptions& o,
                          FormatControl& fc) {
  switch (spec.id) {
    case Opt::index_url: o.index_url = value; break;
    case Opt::extra_index_url: o.extra_index_urls.push_back(value); break;
    case Opt::no_index: o.no_index = true; break;
    case Opt::constraint: o.constraints.push_back(value); break;
    case Opt::requirement: o.requirements.push_back(value); break;
    case Opt::editable: o.editables.push_back(value); break;
    case Opt::find_links: o.find_links.push_back(value); break;
    case Opt::no_binary: return handle_format_control(opt, value, fc.no_binary, fc.only_binary);
    case Opt::only_binary: return handle_format_control(opt, value, fc.only_binary, fc.no_binary);
    case Opt::prefer_binary: o.prefer_binary = true; break;
    case Opt::require_hashes: o.require_hashes = true; break;
    case Opt::pre: o.pre = true; break;
    case Opt::trusted_host: o.trusted_hosts.push_back(value); break;
    case Opt::use_feature: break;  // pip features change pip, not what is installed
    case Opt::hash: {
      auto colon = value.find(':');
      if (colon == std::string::npos)
        return util::fail(ErrorKind::invalid_input,
                          ticked(opt) + " must be an algorithm and a digest, like `--hash=sha256:<hex>`; got " +
                              ticked(value));
      auto algo = value.substr(0, colon);
      if (algo != "sha256" && algo != "sha384" && algo != "sha512")
        return util::fail(ErrorKind::invalid_input,
                          ticked(opt) + " allows sha256, sha384 or sha512, not " + ticked(algo));
      o.hashes.push_back(value);
      break;
    }
    case Opt::config_settings: {
      auto eq = value.find('=');
      if (eq == std::string::npos)
        return util::fail(ErrorKind::invalid_input, ticked(opt) + " must be KEY=VALUE; got " + ticked(value));
      o.config_settings[value.substr(0, eq)].push_back(value.substr(eq + 1));
      break;
    }
  }
  return {};
}

// optparse's rules. Arguments that are not options are ignored, as pip ignores them.
Result<LineOptions> parse_options(std::vector<std::string> args, FormatControl& fc) {
  LineOptions o;
  std::size_t i = 0;
  auto need_value = [](std::string_view opt) {
    return util::fail(ErrorKind::invalid_input, ticked(opt) + " needs a value");
  };
  while (i < args.size()) {
    const std::string arg = args[i++];
    if (arg == "--") break;
    if (arg.starts_with("--")) {
      std::string opt = arg;
      std::optional<std::string> explicit_value;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        opt = arg.substr(0, eq);
        explicit_value = arg.substr(eq + 1);
      }
      const OptionSpec* spec = nullptr;
      std::vector<std::string_view> candidates;
      for (const auto& s : option_specs) {
        if (s.long_name == opt) {
          spec = &s;
          candidates.clear();
          break;
        }
        if (s.long_name.starts_with(opt)) candidates.push_back(s.long_name);
      }
      if (!spec) {
        if (candidates.empty()) return util::fail(ErrorKind::invalid_input, "unknown option " + ticked(opt));
        if (candidates.size() > 1) {
          std::sort(candidates.begin(), candidates.end());
          std::string list;
          for (auto c : candidates) list += (list.empty() ? "" : ", ") + ticked(c);
          return util::fail(ErrorKind::invalid_input, "ambiguous option " + ticked(opt) + " (" + list + "?)");
        }
        for (const auto& s : option_specs)
          if (s.long_name == candidates[0]) spec = &s;
        opt = std::string(spec->long_name);
      }
      std::string value;
      if (spec->takes_value) {
        if (explicit_value) value = *explicit_value;
        else if (i < args.size()) value = args[i++];
        else return need_value(opt);
      } else if (explicit_value) {
        return util::fail(ErrorKind::invalid_input, ticked(opt) + " takes no value");
      }
      TRY(apply_option(*spec, opt, value, o, fc));
    } else if (arg.size() > 1 && arg[0] == '-') {
      for (std::size_t k = 1; k < arg.size(); ++k) {
        std::string opt = std::string("-") + arg[k];
        const OptionSpec* spec = nullptr;
        for (const auto& s : option_specs)
          if (s.short_name == arg[k]) spec = &s;
        if (!spec) return util::fail(ErrorKind::invalid_input, "unknown option " + ticked(opt));
        std::string value;
        if (spec->takes_value) {
          if (k + 1 < arg.size()) value = arg.substr(k + 1);
          else if (i < args.size()) value = args[i++];
          else return need_value(opt);
          k = arg.size();
        }
        TRY(apply_option(*spec, opt, value, o, fc));
      }
    }
    // else: a positional argument, which pip's line parser drops.
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// URLs and paths on requirement lines (pip's parse_req_from_line and parse_editable).

constexpr std::string_view vcs_schemes[] = {
    "git", "git+http", "git+https", "git+ssh", "git+git", "git+file",
    "hg", "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
    "svn", "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr", "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
};


bool is_vcs_scheme(std::string_view scheme) {
  return std::find(std::begin(vcs_schemes), std::end(vcs_schemes), scheme) != std::end(vcs_schemes);
}

bool is_url(std::string_view s) {
  auto scheme = url_scheme(s);
  if (scheme.empty()) return false;
  return scheme == "http" || scheme == "https" || scheme == "file" || scheme == "ftp" || is_vcs_scheme(scheme);
}


}  // namespace

std::string detail::path_to_url(const fs::path& p) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : p.generic_string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

namespace {

using detail::path_to_url;

// The path part of a URL, without query and fragment.
std::string_view url_path(std::string_view url) {
  auto colon = url.find(':');
  auto rest = url.substr(colon + 1);
  if (rest.starts_with("//")) {
    auto slash = rest.find_first_of("/?#", 2);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  return rest.substr(0, rest.find_first_of("?#"));
}

// The last path segment, decoded (pip's Link.filename).
std::string url_filename(std::string_view url) {
  auto path = url_path(url);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  return percent_decode(slash == std::string_view::npos ? path : path.substr(slash + 1));
}


// `#egg=name` (or `&egg=`) in a URL: pip names an otherwise unnamed link by it.
std::optional<std::string> egg_fragment(std::string_view url) {
  for (std::size_t pos = 0; (pos = url.find("egg=", pos)) != std::string_view::npos; ++pos) {
    if (pos == 0 || (url[pos - 1] != '#' && url[pos - 1] != '&')) continue;
    auto value = url.substr(pos + 4);
    return std::string(value.substr(0, value.find('&')));
  }
  return std::nullopt;
}

// pip's ARCHIVE_EXTENSIONS, matched on the lowercased extension (`.tar.gz` counts as one).
bool is_archive_file(std::string_view name) {
  auto lower = util::to_lower(name);
  for (std::string_view ext : {".whl", ".zip", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz",
                               ".tar.lzma", ".tar.gz", ".tgz", ".tar"}) {
    if (lower.ends_with(ext)) return true;
  }
  return false;
}

bool looks_like_path(std::string_view name) { return name.find('/') != std::string_view::npos || name.starts_with("."); }

// Splits "path[extra1,extra2]" as pip's _strip_extras does.
std::pair<std::string, std::string> strip_extras(std::string_view s) {
  if (s.size() < 4 || s.back() != ']') return {std::string(s), ""};
  for (auto open = s.rfind('[', s.size() - 2); open != std::string_view::npos && open > 0;
       open = open == 0 ? std::string_view::npos : s.rfind('[', open - 1)) {
    auto inner = s.substr(open + 1, s.size() - open - 2);
    if (inner.empty() || inner.find(']') != std::string_view::npos) {
      if (inner.find(']') != std::string_view::npos) break;
      continue;
    }
    return {std::string(s.substr(0, open)), std::string(s.substr(open))};
  }
  return {std::string(s), ""};
}

bool is_installable_dir(const fs::path& dir) { return is_file(dir / "pyproject.toml") || is_file(dir / "setup.py"); }

// ---------------------------------------------------------------------------------------------
// The parser of one requirements file tree.

class RequirementsParser {
 public:
  RequirementsParser(fs::path root, const util::Environment& env) : root_(absolute_normal(root)), env_(env) {}

  // `written`: the include as its line writes it (for messages); `included_at`: "file:line", or
  // empty for the top file.
  Result<void> parse_file(const fs::path& file, bool constraint, const std::string& included_at,
                          std::string_view written = {});
  RequirementsFile take() {
    out_.no_binary.assign(format_control_.no_binary.begin(), format_control_.no_binary.end());
    out_.only_binary.assign(format_control_.only_binary.begin(), format_control_.only_binary.end());
    return std::move(out_);
  }

 private:
  Result<void> handle_line(const fs::path& file, const std::string& shown, const LogicalLine& line, bool constraint);
  Result<PythonRequirement> requirement_line(const std::string& where, const std::string& text);
  Result<PythonRequirement> editable_line(const std::string& where, const std::string& text);
  void apply_file_options(const LineOptions& o, const fs::path& file);

  fs::path root_;
  const util::Environment& env_;
  RequirementsFile out_;
  FormatControl format_control_;
  std::vector<fs::path> stack_;  // canonical paths of the files being read, outermost first
  std::set<std::string> seen_files_;
};

Result<void> RequirementsParser::parse_file(const fs::path& file, bool constraint, const std::string& included_at,
                                            std::string_view written) {
  auto shown = display_path(file, root_);
  std::error_code ec;
  auto canonical = fs::weakly_canonical(file, ec);
  if (ec) canonical = file;
  if (std::find(stack_.begin(), stack_.end(), canonical) != stack_.end())
    return util::fail(ErrorKind::invalid_input, included_at + ": " + ticked(shown) + " recursively includes itself (from " +
                                                    ticked(display_path(stack_.front(), root_)) + ")");
  if (!project_file_present(file)) {
    if (included_at.empty())
      return util::fail(ErrorKind::not_found, shown + ": no such file");
    return util::fail(ErrorKind::invalid_input, included_at + ": cannot include " + ticked(written) + ": no such file");
  }
  // Read only from inside the project (detectors/project_file.hpp): an include of
  // /proc/self/environ or of a link out of the project is refused, never read.
  auto bytes = read_project_file(file, root_, 16 << 20, included_at.empty() ? std::string_view{} : written);
  if (!bytes) {
    if (included_at.empty()) return std::unexpected(bytes.error());
    return util::fail(ErrorKind::invalid_input, included_at + ": cannot include: " + bytes.error().message);
  }
  auto text = TRY(decode_text(*bytes, shown));
  if (seen_files_.insert(shown).second) out_.files.push_back(shown);
  stack_.push_back(canonical);
  for (const auto& line : preprocess(text, env_)) TRY(handle_line(file, shown, line, constraint));
  stack_.pop_back();
  return {};
}

Result<void> RequirementsParser::handle_line(const fs::path& file, const std::string& shown, const LogicalLine& line,
                                             bool constraint) {
  auto where = shown + ":" + std::to_string(line.number);
  auto [args, options_text] = detail::split_requirement_options(line.text);
  auto words = shell_split(options_text);
  if (!words)
    return util::fail(ErrorKind::invalid_input,
                      where + ": cannot split options " + ticked(options_text) + ": " + words.error().message);
  auto opts = TRY_CONTEXT(parse_options(std::move(*words), format_control_), where);

  if (!args.empty() || !opts.editables.empty()) {
    auto req = TRY(args.empty() ? editable_line(where, opts.editables.front()) : requirement_line(where, args));
    req.file = shown;
    req.line = line.number;
    req.constraint = constraint;
    if (!req.editable) req.hashes = opts.hashes;  // pip takes --hash only on non-editable lines
    req.config_settings = opts.config_settings;
    out_.requirements.push_back(std::move(req));
    return {};
  }

  if (!opts.requirements.empty() || !opts.constraints.empty()) {
    // One include per line: -r before -c, the first of each; other options on the line are
    // dropped, as pip drops them.
    bool nested_constraint = opts.requirements.empty();
    const auto& target = nested_constraint ? opts.constraints.front() : opts.requirements.front();
    auto scheme = url_scheme(target);
    fs::path nested;
    if (scheme == "file") {
      auto p = file_url_path(target, file.parent_path());
      if (!p) return util::fail(ErrorKind::unsupported, where + ": cannot include " + ticked(target) + ": not a local file");
      nested = *p;
    } else if (scheme == "http" || scheme == "https") {
      return util::fail(ErrorKind::unsupported,
                        where + ": cannot include " + ticked(util::redact_url(target)) +
                            ": requirement files are read from the project only, never downloaded; save it next "
                            "to this file and include it by path");
    } else {
      nested = normal(file.parent_path() / target);
    }
    return parse_file(nested, nested_constraint, where, target);
  }

  apply_file_options(opts, file);
  return {};
}

// pip's handle_option_line, on the merged result.
void RequirementsParser::apply_file_options(const LineOptions& o, const fs::path& file) {
  if (o.no_index) {
    out_.no_index = true;
    out_.index_urls.clear();
  }
  if (o.index_url && !o.index_url->empty() && !out_.no_index) {
    out_.index_urls = {*o.index_url};
    out_.index_url_set = true;
  }
  if (!out_.no_index)
    for (const auto& u : o.extra_index_urls) out_.index_urls.push_back(u);
  if (!o.find_links.empty()) {
    // Only the first -f of a line counts (pip); a path that exists relative to the requirements
    // file is made absolute.
    auto value = o.find_links.front();
    auto relative = normal(file.parent_path() / value);
    if (!is_url(value) && path_exists(relative)) value = relative.string();
    out_.find_links.push_back(value);
  }
  if (o.pre) out_.pre = true;
  if (o.prefer_binary) out_.prefer_binary = true;
  if (o.require_hashes) out_.require_hashes = true;
  for (const auto& h : o.trusted_hosts) out_.trusted_hosts.push_back(h);
}

Result<PythonRequirement> RequirementsParser::requirement_line(const std::string& where, const std::string& args) {
  PythonRequirement out;
  out.text = strip(args);
  std::string name = args;
  bool url = is_url(name);
  // pip cuts the marker off first: at "; " after a URL (a `;` may be part of it), else at ";".
  std::string marker_text;
  if (auto sep = name.find(url ? "; " : ";"); sep != std::string::npos) {
    marker_text = strip(name.substr(sep + (url ? 2 : 1)));
    name.resize(sep);
  }
  name = strip(name);

  std::string link;
  std::optional<fs::path> local;
  std::string extras_text;
  if (url) {
    link = name;
    local = file_url_path(link, root_);
  } else {
    // Paths are taken relative to the project root: pip takes them relative to its working
    // directory, and repo2docker runs pip from the repository root.
    auto [p, extras] = strip_extras(normal(root_ / name).string());
    fs::path path = normal(p);
    extras_text = extras;
    if (looks_like_path(name) && is_dir(path)) {
      if (!is_installable_dir(path))
        return util::fail(ErrorKind::invalid_input, where + ": directory " + ticked(name) +
                                                        " is not installable: it has neither `pyproject.toml` "
                                                        "nor `setup.py`");
      link = path_to_url(path);
      local = path;
    } else if (is_archive_file(path.filename().string())) {
      auto at = name.find('@');
      bool pep508_url = at != std::string::npos && !looks_like_path(name.substr(0, at));
      if (is_file(path)) {
        link = path_to_url(path);
        local = path;
      } else if (!pep508_url) {
        if (util::to_lower(path.filename().string()).ends_with(".whl")) {
          TRY_CONTEXT(pypi::parse_wheel_filename(path.filename().string()), where);
        }
        // pip only warns here and fails when installing; we fail now, with the reason.
        return util::fail(ErrorKind::invalid_input,
                          where + ": " + ticked(name) + " looks like a file name, but " +
                              ticked(display_path(path, root_)) + " does not exist");
      }
    }
  }

  pypi::Requirement req;
  if (!link.empty()) {
    auto filename = url_filename(link);
    if (filename.ends_with(".whl")) {
      req.name = TRY_CONTEXT(pypi::parse_wheel_filename(filename), where).name;
    } else if (auto egg = egg_fragment(link)) {
      if (!pypi::is_valid_name(*egg))
        return util::fail(ErrorKind::invalid_input, where + ": the `#egg=` fragment " + ticked(*egg) +
                                                        " is not a valid project name; write `name @ " +
                                                        util::printable_excerpt(util::redact_url(link)) + "` instead");
      req.name = *egg;
    }
    req.url = link;
    if (!extras_text.empty()) {
      auto parsed = pypi::Requirement::parse("placeholder" + util::to_lower(extras_text));
      if (!parsed)
        return util::fail(ErrorKind::invalid_input,
                          where + ": invalid extras " + ticked(extras_text) + ": " + parsed.error().message);
      req.extras = parsed->extras;
    }
    if (local) out.path = local->string();
  } else {
    auto parsed = pypi::Requirement::parse(name);
    if (!parsed) {
      std::string msg = where + ": invalid requirement " + ticked(name) + ": " + parsed.error().message;
      bool has_operator = false;
      for (std::string_view op : {"~=", "==", "!=", "<=", ">=", "<", ">", "==="})
        if (name.find(op) != std::string::npos) has_operator = true;
      if (name.find('/') != std::string::npos) {
        msg += path_exists(root_ / name) ? "; hint: it looks like a path; if it is a requirements file, include it with `-r`"
                                    : "; hint: it looks like a path, but no such file or directory exists";
      } else if (name.find('=') != std::string::npos && !has_operator) {
        msg += "; hint: `=` is not a version operator, did you mean `==`?";
      }
      return util::fail(ErrorKind::invalid_input, msg);
    }
    req = std::move(*parsed);
    if (auto p = file_url_path(req.url, root_)) out.path = p->string();
  }

  // A local archive is read (hashed, installed) on the project's behalf: it must pass the one rule
  // for project files, so `../elsewhere/x.whl` or a link out of the project is refused here.
  if (!out.path.empty() && is_file(out.path)) {
    TRY_CONTEXT(check_project_file(out.path, root_, name), where);
  }

  if (!marker_text.empty()) {
    auto marker = pypi::Marker::parse(marker_text);
    if (!marker)
      return util::fail(ErrorKind::invalid_input,
                        where + ": invalid marker " + ticked(marker_text) + ": " + marker.error().message);
    req.marker = std::move(*marker);
  }
  out.requirement = std::move(req);
  return out;
}

// `-e`: mlpack takes local project directories only (pip also takes VCS URLs, which would need a
// checkout at build time).
Result<PythonRequirement> RequirementsParser::editable_line(const std::string& where, const std::string& text) {
  PythonRequirement out;
  out.editable = true;
  out.text = text;
  auto [target, extras] = strip_extras(text);
  std::optional<fs::path> dir;
  std::string link;
  if (auto p = normal(root_ / target); !is_url(target) && is_dir(p)) {
    dir = p;
    link = path_to_url(p);
  } else if (url_scheme(target) == "file") {
    dir = file_url_path(target, root_);
    link = target;
    if (auto egg = egg_fragment(target)) out.requirement.name = *egg;
  } else {
    auto scheme = url_scheme(text);
    if (is_vcs_scheme(scheme))
      return util::fail(ErrorKind::unsupported,
                        where + ": editable VCS checkouts (" + ticked(util::redact_url(text)) +
                            ") are not supported; use a local directory, or `NAME @ URL` without `-e`");
    return util::fail(ErrorKind::invalid_input,
                      where + ": " + ticked(text) + " is not a valid editable requirement: `-e` takes a path to a "
                                                    "local project directory");
  }
  if (!dir || !is_dir(*dir))
    return util::fail(ErrorKind::invalid_input, where + ": `-e " + text + "`: no such directory");
  if (!is_installable_dir(*dir))
    return util::fail(ErrorKind::invalid_input, where + ": `-e " + text +
                                                    "`: the directory has neither `pyproject.toml` nor `setup.py`");
  out.path = dir->string();
  out.requirement.url = link;
  if (!extras.empty()) {
    auto parsed = pypi::Requirement::parse("placeholder" + util::to_lower(extras));
    if (!parsed)
      return util::fail(ErrorKind::invalid_input,
                        where + ": invalid extras " + ticked(extras) + ": " + parsed.error().message);
    out.requirement.extras = parsed->extras;
  }
  return out;
}

}  // namespace

Result<RequirementsFile> parse_requirements_file(const fs::path& path, const fs::path& project_root,
                                                 const RequirementsOptions& options) {
  RequirementsParser parser(project_root, options.environment);
  auto file = path.is_relative() ? absolute_normal(project_root) / path : path;
  TRY(parser.parse_file(absolute_normal(file), false, ""));
  return parser.take();
}

}  // namespace mlpack::detectors
