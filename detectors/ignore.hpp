#pragma once
// Which of a project's files go into the image's /app layer (PRODUCT.md, "exclude"): everything
// but `.git`, `.mlpack`, `__pycache__`, virtual environments, and what .gitignore files,
// .git/info/exclude, .dockerignore, .mlpackignore and mlpack.yaml `exclude` name.
//
// Paths given to the matchers here are relative to the project root, '/'-separated, without a
// leading "./" or a trailing '/' ("src/app.py", "data/raw").
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::detectors {

using util::Result;

// A glob compiled once; the gitignore and Docker flavours differ in syntax (see the parsers below).
struct CompiledGlob {
  enum class Op : std::uint8_t { literal, any, char_class, star, star_star_slash, star_star_end };
  struct Token {
    Op op = Op::literal;
    char ch = 0;            // literal
    std::uint32_t cls = 0;  // index into classes
  };
  struct CharClass {
    std::vector<std::pair<char32_t, char32_t>> ranges;
    bool negated = false;
    bool matches_slash = false;
  };
  std::vector<Token> tokens;
  std::vector<CharClass> classes;
  bool utf8 = false;  // `?` and classes take a UTF-8 character (Docker) rather than a byte (git)
  // Set by finish(): the literal text the glob starts and ends with, so that most globs turn a path
  // down without backtracking ("*.pyc" against "app.py").
  std::string literal_prefix;
  std::string literal_suffix;
  bool all_literal = true;
  int stars = 0;

  void finish();
  bool matches(std::string_view text) const;
};

// Matches `path` against a gitignore glob with git's path semantics: `*`, `?` and `[...]` never
// match '/'; `**` between slashes (or at either end) spans directories: a leading `**/` and a middle
// `/**/` match zero or more directories, a trailing `/**` everything below; other runs of `*` are a
// single `*`. `\` quotes the next character; `[!...]`/`[^...]` negate; `[:alpha:]` and the other
// POSIX classes work inside brackets. A malformed glob (an unterminated `[`, an unknown `[:class:]`, a
// trailing `\`) matches nothing, as in git.
bool gitignore_glob_match(std::string_view glob, std::string_view path);

// The patterns of one file in gitignore syntax (gitignore(5)): blank lines and `#` comments are
// skipped, `\#` and `\!` quote a leading `#`/`!`, trailing spaces are dropped unless quoted with `\`,
// `!` negates, a trailing `/` matches directories only, a `/` at the start or in the middle anchors
// the pattern to the file's directory (else it matches a name at any depth below it), and the last
// matching pattern decides. CRLF line ends and a UTF-8 byte order mark are accepted.
class GitignoreRules {
 public:
  // `base`: the directory holding the file, relative to the root ("" for the root); `source` names
  // the file in warnings.
  static GitignoreRules parse(std::string_view text, std::string base = {}, std::string_view source = ".gitignore");

  enum class Match { none, excluded, included };
  // What the last pattern matching `rel` says; none when no pattern matches or `rel` is not below
  // `base`. Parents are not looked at: ProjectFilter applies "a file under an excluded directory
  // stays excluded".
  Match match(std::string_view rel, bool is_dir) const;

  const std::string& base() const { return base_; }
  bool empty() const { return patterns_.empty(); }
  // One line per malformed pattern ("`.gitignore` line 3: ..."): kept, but matching nothing.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Pattern {
    CompiledGlob glob;
    bool negated = false;
    bool dir_only = false;
    bool basename = false;  // no '/' in the pattern: matched against the last path component
    bool malformed = false;
  };
  std::string base_;
  std::vector<Pattern> patterns_;
  std::vector<std::string> warnings_;
};

// A .dockerignore with Docker's semantics (moby patternmatcher, as `docker build` and BuildKit read
// it): lines starting with `#` are comments; each line is trimmed and cleaned like Go's
// filepath.Clean (so `./a//b/` is `a/b`), a leading `/` is dropped; patterns are relative to the
// root and use Go's filepath.Match syntax (`*`, `?`, `[...]` with `^` negation, `\` escapes) plus
// `**` for any number of directories; `!` makes an exception; the last matching line decides; a
// pattern also matches everything below a directory it matches.
class DockerignoreRules {
 public:
  // A pattern Go rejects (an unterminated `[`, a lone `!`, a trailing `\`) is ErrorKind::invalid_input
  // naming `source` and the line, as `docker build` refuses it too.
  static Result<DockerignoreRules> parse(std::string_view text, std::string_view source = ".dockerignore");

  // Docker's answer for `rel`: the last pattern matching it or one of its parent directories.
  bool matches(std::string_view rel) const;
  // Whether some `!` exception could match a path below the directory `dir`, so that a walk has to
  // go into `dir` even though `dir` itself matches. Errs towards true (a `**` in an exception).
  bool may_include_below(std::string_view dir) const;
  // For a walk: `rel` is left out when it matches and is not a directory an exception may reach into.
  bool excluded(std::string_view rel, bool is_dir) const { return matches(rel) && !(is_dir && may_include_below(rel)); }
  bool empty() const { return patterns_.empty(); }

 private:
  enum class Kind { exact, prefix, suffix, glob };
  struct Pattern {
    std::string cleaned;
    bool exception = false;
    Kind kind = Kind::exact;
    CompiledGlob glob;                     // Kind::glob
    std::vector<CompiledGlob> components;  // per '/'-separated part, for may_include_below
    std::vector<bool> component_has_starstar;
  };
  bool pattern_matches(const Pattern& p, std::string_view path) const;
  std::vector<Pattern> patterns_;
};

// The whole decision for a project folder.
//
// Left out, whatever any file says: `.git`, `.mlpack` and `__pycache__` anywhere; `.venv` and
// `venv` at the root; any directory holding a `pyvenv.cfg` (a virtual environment, whatever its
// name). Everything else is in (mlpack.lock, .gitignore and .dockerignore included) unless one of
// these leaves it out:
//  - git's rules: .git/info/exclude, then the .gitignore files from the root down to the path's
//    directory (a deeper file overrides a shallower one), then .mlpackignore at the root, in that
//    order of precedence, the last matching pattern deciding. So a `!` line in .mlpackignore brings
//    back what a .gitignore leaves out (a model file kept out of git but needed in the image). As in
//    git, nothing below an excluded directory can be brought back. Global git config
//    (core.excludesFile) is not read, so the image does not depend on who builds it; .gitignore files
//    above the project folder are not read either.
//  - .dockerignore, with Docker's semantics; its `!` exceptions act within .dockerignore only.
//  - mlpack.yaml `exclude`: shell globs against the relative path (`*` does not cross '/'); a
//    pattern without '/' also matches a file or directory name anywhere; `dir/**` is `dir` and
//    everything below.
class ProjectFilter {
 public:
  // Reads the ignore files: .gitignore files in every directory the walk reaches (it never enters an
  // excluded directory or a virtual environment, nor follows symlinks), .git/info/exclude,
  // .dockerignore and .mlpackignore at the root. An ignore file that cannot be read is ErrorKind::io
  // naming it; a malformed .dockerignore pattern is ErrorKind::invalid_input. A missing root is
  // ErrorKind::not_found.
  static Result<ProjectFilter> load(const std::filesystem::path& root, const std::vector<std::string>& exclude);

  // Whether `rel` (a file, or a directory when `is_dir`) stays out of /app, its parent directories
  // included in the decision. `rel` need not exist; symlinks are not directories.
  bool excluded(std::string_view rel, bool is_dir) const;

  // For archive::ScanOptions::exclude: looks at the path under root() (lstat, symlinks are not
  // followed) to tell directories from files, and decides for the path alone, relying on the
  // caller never asking about anything below a directory it was told to leave out (the contract of
  // archive::scan_directory). The filter must outlive the returned function.
  std::function<bool(std::string_view)> scan_exclude() const;

  const std::filesystem::path& root() const { return root_; }
  // The ignore files read, relative to the root, sorted (".dockerignore", "src/.gitignore").
  const std::vector<std::string>& sources() const { return sources_; }
  // Malformed gitignore-syntax patterns, which match nothing (git's behaviour), one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  bool excluded_here(std::string_view rel, bool is_dir) const;
  bool git_excluded(std::string_view rel, bool is_dir) const;
  bool yaml_excluded(std::string_view rel) const;
  Result<void> walk(const std::filesystem::path& dir, const std::string& rel);
  Result<void> read_gitignore(const std::string& dir_rel);

  std::filesystem::path root_;
  std::vector<std::string> exclude_;                               // mlpack.yaml `exclude`, normalised
  GitignoreRules info_exclude_;                                    // .git/info/exclude
  std::map<std::string, GitignoreRules, std::less<>> gitignores_;  // by directory
  GitignoreRules mlpackignore_;
  DockerignoreRules dockerignore_;
  std::set<std::string, std::less<>> venvs_;  // directories holding pyvenv.cfg
  std::vector<std::string> sources_;
  std::vector<std::string> warnings_;
};

struct LargeFile {
  std::string path;  // relative to the root
  std::uint64_t size = 0;
};

// Above this a file in /app gets a warning that suggests `exclude` (PRODUCT.md).
inline constexpr std::uint64_t large_file_threshold = std::uint64_t{100} << 20;  // 100 MiB

// The regular files the filter keeps whose size is over `threshold`, sorted by path. A caller that
// already scanned the tree can instead look at the scanned entries' sizes.
Result<std::vector<LargeFile>> large_files(const ProjectFilter& filter, std::uint64_t threshold = large_file_threshold);

}  // namespace mlpack::detectors
