#include "detectors/ignore.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <optional>
#include <system_error>

#include "detectors/project_file.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::ErrorKind;

namespace {

std::string_view last_component(std::string_view rel) {
  auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::string_view parent_of(std::string_view rel) {
  auto slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : rel.substr(0, slash);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// One character at `pos`: a byte, or in UTF-8 mode a whole well-formed sequence (a malformed one is
// taken a byte at a time).
std::size_t next_char(std::string_view s, std::size_t pos, bool utf8, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[pos]);
  cp = b;
  if (!utf8 || b < 0x80) return 1;
  std::size_t len = b >= 0xF0 && b < 0xF8 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
  if (len == 0 || pos + len > s.size()) return 1;
  char32_t v = b & (0x7F >> len);
  for (std::size_t i = 1; i < len; ++i) {
    auto c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xC0) != 0x80) return 1;
    v = (v << 6) | (c & 0x3F);
  }
  cp = v;
  return len;
}

// Backtracking over the tokens. Only the star tokens branch; when a glob has more than one, the
// (token, position) pairs already known to fail are remembered, so the work stays polynomial.
class GlobRun {
 public:
  GlobRun(const CompiledGlob& g, std::string_view s) : g_(g), s_(s) {
    if (g.stars > 1) failed_.assign(g.tokens.size() * (s.size() + 1), 0);
  }

  bool run(std::size_t t, std::size_t pos) {
    using Op = CompiledGlob::Op;
    const std::size_t n = s_.size();
    while (t < g_.tokens.size()) {
      const auto& tok = g_.tokens[t];
      switch (tok.op) {
        case Op::literal:
          if (pos >= n || s_[pos] != tok.ch) return false;
          ++pos;
          ++t;
          continue;
        case Op::any: {
          if (pos >= n || s_[pos] == '/') return false;
          char32_t cp;
          pos += next_char(s_, pos, g_.utf8, cp);
          ++t;
          continue;
        }
        case Op::char_class: {
          if (pos >= n) return false;
          char32_t cp;
          auto len = next_char(s_, pos, g_.utf8, cp);
          if (!in_class(g_.classes[tok.cls], cp)) return false;
          pos += len;
          ++t;
          continue;
        }
        case Op::star: {
          if (known_failure(t, pos)) return false;
          if (t + 1 == g_.tokens.size()) return s_.find('/', pos) == std::string_view::npos;
          for (std::size_t k = pos;;) {
            if (run(t + 1, k)) return true;
            if (k >= n || s_[k] == '/') break;
            char32_t cp;
            k += next_char(s_, k, g_.utf8, cp);
          }
          return remember_failure(t, pos);
        }
        case Op::star_star_slash: {
          // Nothing, or anything that ends with '/': zero or more whole directories.
          if (known_failure(t, pos)) return false;
          if (run(t + 1, pos)) return true;
          for (std::size_t k = pos; k < n; ++k)
            if (s_[k] == '/' && run(t + 1, k + 1)) return true;
          return remember_failure(t, pos);
        }
        case Op::star_star_end:
          return true;
      }
    }
    return pos == n;
  }

 private:
  static bool in_class(const CompiledGlob::CharClass& c, char32_t cp) {
    if (cp == '/' && !c.matches_slash) return false;
    bool hit =
        std::any_of(c.ranges.begin(), c.ranges.end(), [&](const auto& r) { return cp >= r.first && cp <= r.second; });
    return hit != c.negated;
  }
  bool known_failure(std::size_t t, std::size_t pos) const {
    return !failed_.empty() && failed_[t * (s_.size() + 1) + pos];
  }
  bool remember_failure(std::size_t t, std::size_t pos) {
    if (!failed_.empty()) failed_[t * (s_.size() + 1) + pos] = 1;
    return false;
  }

  const CompiledGlob& g_;
  std::string_view s_;
  std::vector<std::uint8_t> failed_;
};

void add_literal(CompiledGlob& g, char c) {
  g.tokens.push_back({CompiledGlob::Op::literal, c, 0});
}

void add_op(CompiledGlob& g, CompiledGlob::Op op) {
  g.tokens.push_back({op, 0, 0});
}

void add_class(CompiledGlob& g, CompiledGlob::CharClass c) {
  g.tokens.push_back({CompiledGlob::Op::char_class, 0, static_cast<std::uint32_t>(g.classes.size())});
  g.classes.push_back(std::move(c));
}

// The POSIX classes git accepts inside brackets, over ASCII.
bool add_named_class(std::string_view name, CompiledGlob::CharClass& c) {
  auto add = [&](char32_t lo, char32_t hi) { c.ranges.emplace_back(lo, hi); };
  if (name == "alnum")
    add('0', '9'), add('A', 'Z'), add('a', 'z');
  else if (name == "alpha")
    add('A', 'Z'), add('a', 'z');
  else if (name == "blank")
    add(' ', ' '), add('\t', '\t');
  else if (name == "cntrl")
    add(0, 31), add(127, 127);
  else if (name == "digit")
    add('0', '9');
  else if (name == "graph")
    add(33, 126);
  else if (name == "lower")
    add('a', 'z');
  else if (name == "print")
    add(32, 126);
  else if (name == "punct")
    add(33, 47), add(58, 64), add(91, 96), add(123, 126);
  else if (name == "space")
    add(9, 13), add(' ', ' ');
  else if (name == "upper")
    add('A', 'Z');
  else if (name == "xdigit")
    add('0', '9'), add('A', 'F'), add('a', 'f');
  else
    return false;
  return true;
}

// A gitignore bracket expression starting at p[i] == '['. Returns the index after it, or npos when
// it is malformed.
std::size_t parse_git_class(std::string_view p, std::size_t i, CompiledGlob& g) {
  constexpr auto bad = std::string_view::npos;
  CompiledGlob::CharClass c;
  std::size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) {
    c.negated = true;
    ++j;
  }
  for (bool first = true;; first = false) {
    if (j >= p.size()) return bad;  // unterminated
    char ch = p[j];
    if (ch == ']' && !first) {
      add_class(g, std::move(c));
      return j + 1;
    }
    if (ch == '[' && j + 1 < p.size() && p[j + 1] == ':') {
      auto close = p.find(']', j + 2);
      if (close == std::string_view::npos) return bad;
      if (close >= j + 3 && p[close - 1] == ':') {
        if (!add_named_class(p.substr(j + 2, close - 1 - (j + 2)), c)) return bad;
        j = close + 1;
        continue;
      }
      // "[:" without a closing ":]" is a plain '['.
    }
    unsigned char lo = ch;
    if (ch == '\\') {
      if (++j >= p.size()) return bad;
      lo = p[j];
    }
    ++j;
    if (j + 1 < p.size() && p[j] == '-' && p[j + 1] != ']') {
      unsigned char hi = p[++j];
      if (hi == '\\') {
        if (++j >= p.size()) return bad;
        hi = p[j];
      }
      ++j;
      if (lo <= hi) c.ranges.emplace_back(lo, hi);
    } else {
      c.ranges.emplace_back(lo, lo);
    }
  }
}

// The parts in which the two dialects differ: what a run of `*` at p[i] compiles to, and the
// character class at p[i] == '['. Each returns the index after what it took (a class: npos when it
// is malformed).
struct GlobDialect {
  std::size_t (*stars)(std::string_view p, std::size_t i, CompiledGlob& g);
  std::size_t (*char_class)(std::string_view p, std::size_t i, CompiledGlob& g);
};

// What both dialects share: `?` is one character, a backslash quotes the next one, anything else
// is itself. False when the pattern is malformed.
bool compile_glob(std::string_view p, CompiledGlob& g, const GlobDialect& dialect) {
  for (std::size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '*') {
      i = dialect.stars(p, i, g);
    } else if (c == '?') {
      add_op(g, CompiledGlob::Op::any);
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) return false;  // a trailing backslash quotes nothing
      add_literal(g, p[i + 1]);
      i += 2;
    } else if (c == '[') {
      i = dialect.char_class(p, i, g);
      if (i == std::string_view::npos) return false;
    } else {
      add_literal(g, c);
      ++i;
    }
  }
  g.finish();
  return true;
}

// gitignore's stars: `**` as a whole component matches any number of directories (`**/`, or a
// trailing `**`); any other run of stars is one `*`.
std::size_t compile_git_stars(std::string_view p, std::size_t i, CompiledGlob& g) {
  using Op = CompiledGlob::Op;
  std::size_t j = i;
  while (j < p.size() && p[j] == '*') ++j;
  bool starts_component = i == 0 || p[i - 1] == '/';
  if (j - i >= 2 && starts_component) {
    if (j == p.size()) {
      add_op(g, Op::star_star_end);
      return j;
    }
    if (p[j] == '/' || (p[j] == '\\' && j + 1 < p.size() && p[j + 1] == '/')) {
      add_op(g, Op::star_star_slash);
      return j + (p[j] == '/' ? 1 : 2);
    }
  }
  add_op(g, Op::star);
  return j;
}

// Compiles a gitignore glob; false when it is malformed.
bool compile_git_glob(std::string_view p, CompiledGlob& g) {
  return compile_glob(p, g, GlobDialect{compile_git_stars, parse_git_class});
}

// Drops trailing spaces that no backslash quotes.
std::string_view trim_unquoted_trailing_spaces(std::string_view line) {
  std::size_t end = line.size();
  std::size_t run_start = std::string_view::npos;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      if (run_start == std::string_view::npos) run_start = i;
    } else {
      run_start = std::string_view::npos;
      if (line[i] == '\\') ++i;  // the next character, a space included, is quoted
    }
  }
  if (run_start != std::string_view::npos) end = run_start;
  return line.substr(0, end);
}

// --- Docker ---

bool is_go_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim_go_space(std::string_view s) {
  while (!s.empty() && is_go_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_go_space(s.back())) s.remove_suffix(1);
  return s;
}

// Go's filepath.Clean for '/'-separated paths.
std::string go_clean(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p.front() == '/';
  std::vector<std::string_view> parts;
  while (!p.empty()) {
    auto slash = p.find('/');
    auto part = p.substr(0, slash);
    p.remove_prefix(slash == std::string_view::npos ? p.size() : slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// A Go filepath.Match character class starting at p[i] == '['. Returns the index after it, or npos
// when Go would answer ErrBadPattern.
std::size_t parse_go_class(std::string_view p, std::size_t i, CompiledGlob& g) {
  constexpr auto bad = std::string_view::npos;
  CompiledGlob::CharClass c;
  c.matches_slash = true;  // Docker turns classes into regexp classes, which do match '/'
  std::size_t j = i + 1;
  if (j < p.size() && p[j] == '^') {
    c.negated = true;
    ++j;
  }
  auto escaped_char = [&](char32_t& out) {
    if (j >= p.size() || p[j] == '-' || p[j] == ']') return false;
    if (p[j] == '\\' && ++j >= p.size()) return false;
    j += next_char(p, j, true, out);
    return true;
  };
  for (std::size_t ranges = 0;; ++ranges) {
    if (j >= p.size()) return bad;
    if (p[j] == ']' && ranges > 0) {
      add_class(g, std::move(c));
      return j + 1;
    }
    char32_t lo, hi;
    if (!escaped_char(lo)) return bad;
    hi = lo;
    if (j < p.size() && p[j] == '-') {
      ++j;
      if (!escaped_char(hi)) return bad;
    }
    if (lo <= hi) c.ranges.emplace_back(lo, hi);
  }
}

// Docker's stars (its regexp translation of a pattern): `*` is [^/]*, `**` followed by '/'
// (eaten) or anything else is (.*/)?, `**` at the end is .*.
std::size_t compile_docker_stars(std::string_view p, std::size_t i, CompiledGlob& g) {
  using Op = CompiledGlob::Op;
  if (i + 1 < p.size() && p[i + 1] == '*') {
    i += 2;
    if (i < p.size() && p[i] == '/') ++i;
    add_op(g, i == p.size() ? Op::star_star_end : Op::star_star_slash);
    return i;
  }
  add_op(g, Op::star);
  return i + 1;
}

// Docker's glob: the stars above, `?` one character but '/', classes as Go's. Returns false where
// Go's filepath.Match reports a bad pattern.
bool compile_docker_glob(std::string_view p, CompiledGlob& g) {
  g.utf8 = true;
  return compile_glob(p, g, GlobDialect{compile_docker_stars, parse_go_class});
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  while (true) {
    auto slash = p.find('/');
    out.push_back(p.substr(0, slash));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return out;
}

// An ignore file of the project, read as every project file is (detectors/project_file.hpp).
Result<std::optional<std::string>> read_ignore_file(const fs::path& root, std::string_view rel) {
  const fs::path path = root / rel;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return util::fail(ErrorKind::io, "reading the ignore file " + quote_text(rel) + ": " + ec.message());
  if (!project_file_present(path)) return std::optional<std::string>{};
  // Ignore files are patterns, a few KiB; 16 MiB is far above any real one.
  auto text = TRY_CONTEXT(read_project_file(path, root, 16 << 20), "reading the ignore file");
  return std::optional<std::string>{std::move(text)};
}

}  // namespace

void CompiledGlob::finish() {
  literal_prefix.clear();
  literal_suffix.clear();
  stars = 0;
  std::size_t first = 0;
  while (first < tokens.size() && tokens[first].op == Op::literal) literal_prefix += tokens[first++].ch;
  all_literal = first == tokens.size();
  if (all_literal) return;
  std::size_t last = tokens.size();
  while (last > first && tokens[last - 1].op == Op::literal) --last;
  for (std::size_t i = last; i < tokens.size(); ++i) literal_suffix += tokens[i].ch;
  for (const auto& t : tokens) stars += t.op == Op::star || t.op == Op::star_star_slash;
}

bool CompiledGlob::matches(std::string_view text) const {
  if (all_literal) return text == literal_prefix;
  // The tokens between the literal ends take zero or more characters, never shared with the ends.
  if (text.size() < literal_prefix.size() + literal_suffix.size() || !text.starts_with(literal_prefix) ||
      !text.ends_with(literal_suffix))
    return false;
  return GlobRun(*this, text).run(0, 0);
}

bool gitignore_glob_match(std::string_view glob, std::string_view path) {
  CompiledGlob g;
  return compile_git_glob(glob, g) && g.matches(path);
}

// --- gitignore ---

GitignoreRules GitignoreRules::parse(std::string_view text, std::string base, std::string_view source) {
  GitignoreRules rules;
  rules.base_ = std::move(base);
  int line_no = 0;
  for (auto line : split_lines(text)) {
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    line = trim_unquoted_trailing_spaces(line);
    Pattern p;
    if (line.starts_with('!')) {
      p.negated = true;
      line.remove_prefix(1);
    }
    if (line.ends_with('/')) {
      p.dir_only = true;
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    p.basename = line.find('/') == std::string_view::npos;
    if (line.starts_with('/')) line.remove_prefix(1);
    if (!compile_git_glob(line, p.glob)) {
      p.malformed = true;
      rules.warnings_.push_back(quote_text(source) + " line " + std::to_string(line_no) + ": the pattern " +
                                quote_text(line) + " is malformed and matches nothing, as in git");
    }
    rules.patterns_.push_back(std::move(p));
  }
  return rules;
}

GitignoreRules::Match GitignoreRules::match(std::string_view rel, bool is_dir) const {
  std::string_view sub = rel;
  if (!base_.empty()) {
    if (rel.size() <= base_.size() || !rel.starts_with(base_) || rel[base_.size()] != '/') return Match::none;
    sub = rel.substr(base_.size() + 1);
  }
  auto name = last_component(sub);
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    if (it->malformed || (it->dir_only && !is_dir)) continue;
    if (it->glob.matches(it->basename ? name : sub)) return it->negated ? Match::included : Match::excluded;
  }
  return Match::none;
}

// --- .dockerignore ---

Result<DockerignoreRules> DockerignoreRules::parse(std::string_view text, std::string_view source) {
  DockerignoreRules rules;
  int line_no = 0;
  for (auto raw : split_lines(text)) {
    ++line_no;
    if (raw.starts_with('#')) continue;  // only in the first column, before trimming
    auto line = trim_go_space(raw);
    if (line.empty()) continue;
    auto where = std::string(source) + ":" + std::to_string(line_no) + ": ";
    Pattern p;
    if (line.front() == '!') {
      p.exception = true;
      line = trim_go_space(line.substr(1));
      if (line.empty()) return util::fail(ErrorKind::invalid_input, where + "`!` needs a pattern after it");
    }
    p.cleaned = go_clean(line);
    if (p.cleaned.size() > 1 && p.cleaned.front() == '/') p.cleaned.erase(0, 1);
    if (!compile_docker_glob(p.cleaned, p.glob))
      return util::fail(ErrorKind::invalid_input,
                        where + quote_text(line) + " is not a valid pattern (Go's filepath.Match syntax)");
    // Docker answers simple shapes with string comparisons, not its regexp, and a leading `**`
    // followed by plain text is a plain suffix test ("**foo" matches "xfoo"); keep those answers.
    std::string_view c = p.cleaned;
    for (std::size_t i = 0, step = 0; i < c.size(); ++step) {
      char ch = c[i++];
      if (ch == '*' && i < c.size() && c[i] == '*') {
        ++i;
        if (i < c.size() && c[i] == '/') ++i;
        p.kind = i == c.size() && p.kind == Kind::exact ? Kind::prefix : Kind::glob;
        if (step == 0) p.kind = Kind::suffix;
      } else if (ch == '*' || ch == '?' || ch == '[' || ch == ']') {
        p.kind = Kind::glob;
      } else if (ch == '\\' && i < c.size()) {
        ++i;
        p.kind = Kind::glob;
      }
    }
    for (auto part : split_path(p.cleaned)) {
      CompiledGlob g;
      bool starstar = part.find("**") != std::string_view::npos || !compile_docker_glob(part, g);
      p.components.push_back(std::move(g));
      p.component_has_starstar.push_back(starstar);
    }
    rules.patterns_.push_back(std::move(p));
  }
  return rules;
}

bool DockerignoreRules::pattern_matches(const Pattern& p, std::string_view path) const {
  switch (p.kind) {
    case Kind::exact:
      return path == p.cleaned;
    case Kind::prefix:
      return path.starts_with(std::string_view(p.cleaned).substr(0, p.cleaned.size() - 2));
    case Kind::suffix: {
      auto suffix = std::string_view(p.cleaned).substr(2);
      return path.ends_with(suffix) || (suffix.starts_with('/') && path == suffix.substr(1));
    }
    case Kind::glob:
      return p.glob.matches(path);
  }
  return false;
}

bool DockerignoreRules::matches(std::string_view rel) const {
  bool matched = false;
  for (const auto& p : patterns_) {
    // An exclusion cannot change an excluded path, nor an exception an included one.
    if (p.exception != matched) continue;
    bool hit = pattern_matches(p, rel);
    for (auto slash = rel.find('/'); !hit && slash != std::string_view::npos; slash = rel.find('/', slash + 1))
      hit = pattern_matches(p, rel.substr(0, slash));
    if (hit) matched = !p.exception;
  }
  return matched;
}

bool DockerignoreRules::may_include_below(std::string_view dir) const {
  auto parts = split_path(dir);
  for (const auto& p : patterns_) {
    if (!p.exception) continue;
    for (std::size_t i = 0;; ++i) {
      if (i == parts.size()) {
        if (i < p.components.size()) return true;
        break;
      }
      if (i == p.components.size()) break;
      if (p.component_has_starstar[i]) return true;
      if (!p.components[i].matches(parts[i])) break;
    }
  }
  return false;
}

// --- the project ---

Result<ProjectFilter> ProjectFilter::load(const fs::path& root, const std::vector<std::string>& exclude) {
  std::error_code ec;
  auto st = fs::status(root, ec);
  if (!fs::exists(st))
    return util::fail(ErrorKind::not_found, "the project folder `" + root.string() + "` does not exist");
  if (!fs::is_directory(st))
    return util::fail(ErrorKind::invalid_input, "the project folder `" + root.string() + "` is not a directory");

  ProjectFilter f;
  f.root_ = root;
  for (std::string p : exclude) {
    while (p.starts_with("./") || p.starts_with("/")) p.erase(0, p.starts_with("./") ? 2 : 1);
    f.exclude_.push_back(std::move(p));
  }

  auto docker = TRY(read_ignore_file(root, ".dockerignore"));
  if (docker) {
    f.dockerignore_ = TRY(DockerignoreRules::parse(*docker));
    f.sources_.emplace_back(".dockerignore");
  }
  auto mlpackignore = TRY(read_ignore_file(root, ".mlpackignore"));
  if (mlpackignore) {
    f.mlpackignore_ = GitignoreRules::parse(*mlpackignore, "", ".mlpackignore");
    f.sources_.emplace_back(".mlpackignore");
    f.warnings_.insert(f.warnings_.end(), f.mlpackignore_.warnings().begin(), f.mlpackignore_.warnings().end());
  }
  if (fs::is_directory(fs::symlink_status(root / ".git", ec))) {
    auto info = TRY(read_ignore_file(root, ".git/info/exclude"));
    if (info) {
      f.info_exclude_ = GitignoreRules::parse(*info, "", ".git/info/exclude");
      f.sources_.emplace_back(".git/info/exclude");
      f.warnings_.insert(f.warnings_.end(), f.info_exclude_.warnings().begin(), f.info_exclude_.warnings().end());
    }
  }
  TRY(f.walk(root, ""));
  std::sort(f.sources_.begin(), f.sources_.end());
  return f;
}

Result<void> ProjectFilter::read_gitignore(const std::string& dir_rel) {
  std::string rel = dir_rel.empty() ? ".gitignore" : dir_rel + "/.gitignore";
  auto text = TRY(read_ignore_file(root_, rel));
  if (!text) return {};
  auto rules = GitignoreRules::parse(*text, dir_rel, rel);
  sources_.push_back(rel);
  warnings_.insert(warnings_.end(), rules.warnings().begin(), rules.warnings().end());
  if (!rules.empty()) gitignores_.emplace(dir_rel, std::move(rules));
  return {};
}

// Top-down, so that a directory's .gitignore is read before anything below it is decided.
Result<void> ProjectFilter::walk(const fs::path& dir, const std::string& rel) {
  TRY(read_gitignore(rel));
  std::error_code ec;
  std::vector<std::string> subdirs;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto type = it->symlink_status(ec).type();
    if (ec) break;
    if (type == fs::file_type::directory) subdirs.push_back(it->path().filename().string());
  }
  if (ec)
    return util::fail(ErrorKind::io,
                      "reading the folder `" + (rel.empty() ? std::string(".") : rel) + "`: " + ec.message());
  std::sort(subdirs.begin(), subdirs.end());
  for (const auto& name : subdirs) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    fs::path path = dir / name;
    if (fs::exists(fs::symlink_status(path / "pyvenv.cfg", ec))) {
      venvs_.insert(child);
      continue;
    }
    if (excluded_here(child, true)) continue;
    TRY(walk(path, child));
  }
  return {};
}

bool ProjectFilter::git_excluded(std::string_view rel, bool is_dir) const {
  using Match = GitignoreRules::Match;
  if (auto m = mlpackignore_.match(rel, is_dir); m != Match::none) return m == Match::excluded;
  // The .gitignore files of the directories above `rel`, nearest first.
  for (std::string_view dir = parent_of(rel);; dir = parent_of(dir)) {
    if (auto it = gitignores_.find(dir); it != gitignores_.end())
      if (auto m = it->second.match(rel, is_dir); m != Match::none) return m == Match::excluded;
    if (dir.empty()) break;
  }
  return info_exclude_.match(rel, is_dir) == Match::excluded;
}

// mlpack.yaml `exclude`, as the build has read it from the start: fnmatch with FNM_PATHNAME on the
// relative path; a pattern without '/' also against the name; `dir/**` matches `dir` itself (a walk
// then never looks below it).
bool ProjectFilter::yaml_excluded(std::string_view rel) const {
  std::string path(rel);
  std::string name(last_component(rel));
  for (const auto& pattern : exclude_) {
    std::string p = pattern;
    if (p.ends_with("/**")) {
      p.resize(p.size() - 3);
      if (::fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
      continue;
    }
    if (p.ends_with("/")) p.pop_back();
    if (::fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
    if (p.find('/') == std::string::npos && ::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

bool ProjectFilter::excluded_here(std::string_view rel, bool is_dir) const {
  auto name = last_component(rel);
  if (name == ".git" || name == ".mlpack" || name == "__pycache__") return true;
  if (rel.find('/') == std::string_view::npos && (name == ".venv" || name == "venv")) return true;
  if (is_dir && venvs_.contains(rel)) return true;
  if (git_excluded(rel, is_dir)) return true;
  if (!dockerignore_.empty() && dockerignore_.excluded(rel, is_dir)) return true;
  return !exclude_.empty() && yaml_excluded(rel);
}

bool ProjectFilter::excluded(std::string_view rel, bool is_dir) const {
  for (auto slash = rel.find('/'); slash != std::string_view::npos; slash = rel.find('/', slash + 1))
    if (excluded_here(rel.substr(0, slash), true)) return true;
  return excluded_here(rel, is_dir);
}

std::function<bool(std::string_view)> ProjectFilter::scan_exclude() const {
  return [this](std::string_view rel) {
    std::error_code ec;
    bool is_dir = fs::symlink_status(root_ / rel, ec).type() == fs::file_type::directory;
    return excluded_here(rel, is_dir);
  };
}

Result<std::vector<LargeFile>> large_files(const ProjectFilter& filter, std::uint64_t threshold) {
  std::vector<LargeFile> out;
  auto exclude = filter.scan_exclude();
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    std::string rel = std::move(pending.back());
    pending.pop_back();
    std::error_code ec;
    fs::path dir = rel.empty() ? filter.root() : filter.root() / rel;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string child = (rel.empty() ? "" : rel + "/") + it->path().filename().string();
      auto type = it->symlink_status(ec).type();
      if (ec) break;
      if (exclude(child)) continue;
      if (type == fs::file_type::directory) {
        pending.push_back(child);
      } else if (type == fs::file_type::regular) {
        auto size = it->file_size(ec);
        if (ec) break;
        if (size > threshold) out.push_back({child, size});
      }
    }
    if (ec)
      return util::fail(ErrorKind::io,
                        "reading the folder `" + (rel.empty() ? std::string(".") : rel) + "`: " + ec.message());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace mlpack::detectors
