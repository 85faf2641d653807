#include "detectors/ignore.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace fs = std::filesystem;

namespace {

struct Tree {
  util::TempDir dir = std::move(*util::TempDir::create());
  fs::path root() const { return dir.path(); }
  void write(const std::string& rel, std::string_view text = "x") const {
    auto path = root() / rel;
    REQUIRE(util::make_dirs(path.parent_path()));
    REQUIRE(util::write_file_atomic(path, text));
  }
  void mkdir(const std::string& rel) const { REQUIRE(util::make_dirs(root() / rel)); }
  detectors::ProjectFilter load(const std::vector<std::string>& exclude = {}) const {
    auto f = detectors::ProjectFilter::load(root(), exclude);
    REQUIRE_MESSAGE(f, (f ? "" : f.error().message));
    return std::move(*f);
  }
};

struct Case {
  const char* path;
  bool is_dir;
  bool excluded;
};

void check_cases(const detectors::ProjectFilter& f, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO("path `" << std::string(c.path) << "`" << std::string(c.is_dir ? " (directory)" : ""));
    CHECK(f.excluded(c.path, c.is_dir) == c.excluded);
  }
}

// Every file (and symlink) below the root, '/'-separated, .git left out.
std::set<std::string> all_files(const fs::path& root) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    auto rel = it->path().lexically_relative(root).generic_string();
    if (rel == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->symlink_status().type() != fs::file_type::directory) out.insert(rel);
  }
  return out;
}

}  // namespace

TEST_CASE("ignore: gitignore globs") {
  struct G {
    const char* glob;
    const char* path;
    bool match;
  };
  const std::vector<G> table = {
      {"*.py", "a.py", true},
      {"*.py", "d/a.py", false},  // `*` stops at '/'
      {"*", "", true},
      {"a?c", "abc", true},
      {"a?c", "a/c", false},
      {"[abc]x", "bx", true},
      {"[!abc]x", "bx", false},
      {"[^abc]x", "dx", true},
      {"[a-c]", "b", true},
      {"[c-a]", "b", false},  // an inverted range matches nothing
      {"[]]", "]", true},     // `]` first is literal
      {"[!]]", "a", true},
      {"[a-]", "-", true},
      {"[\\]]", "]", true},
      {"[[:digit:]]x", "5x", true},
      {"[[:upper:][:digit:]]", "Q", true},
      {"[[:upper:]]", "q", false},
      {"[/]", "/", false},  // brackets never match '/'
      {"a[!b]c", "a/c", false},
      {"[[:bogus:]]", "b", false},  // malformed: matches nothing
      {"[abc", "[abc", false},      // unterminated: matches nothing
      {"[abc", "a", false},
      {"foo\\", "foo", false},  // a trailing backslash: matches nothing
      {"a\\*", "a*", true},
      {"a\\*", "ab", false},
      {"\\[x]", "[x]", true},
      {"**/foo", "foo", true},
      {"**/foo", "a/b/foo", true},
      {"**/foo", "xfoo", false},
      {"**/foo", "foo/x", false},
      {"a/**", "a/b/c", true},
      {"a/**", "a", false},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**/b", "a/xb", false},
      {"a/**/b", "ax/b", false},
      {"a**b", "axxb", true},  // not between slashes: a plain `*`
      {"a**b", "ax/b", false},
      {"**b", "x/b", false},
      {"***/b", "x/y/b", true},  // any run of two or more stars counts
      {"**", "a/b/c", true},
      {"*/*/*", "a/b/c", true},
      {"*/*", "a/b/c", false},
      {"*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"**/**/**/**/**/x", "a/b/c/d/e/f/g/h/i/j/k/y", false},
  };
  for (const auto& g : table) {
    INFO("glob `" << std::string(g.glob) << "` path `" << std::string(g.path) << "`");
    CHECK(detectors::gitignore_glob_match(g.glob, g.path) == g.match);
  }
}

TEST_CASE("ignore: one .gitignore, the documented rules") {
  Tree t;
  t.write(".gitignore",
          "# a comment\n"
          "\n"
          "\\#hash\n"
          "\\!bang\n"
          "trailing   \n"
          "escaped\\ \n"
          "*.log\n"
          "!keep.log\n"
          "build/\n"
          "/root_only.txt\n"
          "doc/frotz\n"
          "**/deep/x\n"
          "out/**\n"
          "!out/sub/\n"
          "!out/file.txt\n"
          "logs/\n"
          "!logs/important.log\n"
          "crlf.txt\r\n"
          "[unterminated\n");
  auto f = t.load();
  check_cases(f, {
                     {"# a comment", false, false},
                     {"#hash", false, true},
                     {"!bang", false, true},
                     {"trailing", false, true},
                     {"escaped ", false, true},
                     {"escaped", false, false},
                     {"a.log", false, true},
                     {"dir/b.log", false, true},
                     {"keep.log", false, false},
                     {"dir/keep.log", false, false},
                     {"build", true, true},
                     {"build", false, false},  // a trailing '/' matches directories only
                     {"src/build", true, true},
                     {"build/x.o", false, true},
                     {"root_only.txt", false, true},
                     {"sub/root_only.txt", false, false},
                     {"doc/frotz", false, true},
                     {"a/doc/frotz", false, false},  // a middle '/' anchors
                     {"deep/x", false, true},
                     {"a/b/deep/x", false, true},
                     {"out", true, false},
                     {"out/file.txt", false, false},  // `out/**` leaves `out` itself in, so `!` works
                     {"out/other", false, true},
                     {"out/sub", true, false},
                     {"out/sub/a", false, true},
                     {"logs", true, true},
                     {"logs/important.log", false, true},  // its parent is excluded: no way back
                     {"crlf.txt", false, true},
                     {"[unterminated", false, false},
                     {".gitignore", false, false},
                     {"mlpack.lock", false, false},
                 });
  REQUIRE(f.warnings().size() == 1);
  CHECK(f.warnings()[0] ==
        "`.gitignore` line 19: the pattern `[unterminated` is malformed and matches nothing, as in git");
  CHECK(f.sources() == std::vector<std::string>{".gitignore"});
}

TEST_CASE("ignore: nested .gitignore files, .git/info/exclude and .mlpackignore") {
  Tree t;
  t.write(".gitignore", "*.log\n*.pkl\nbuild/\nlogs/\ncache/\nsecret2.txt\n");
  t.write("sub/.gitignore", "*.tmp\n/anchored\n!special.log\nnested/\n");
  t.write("sub/deeper/.gitignore", "special.log\n");
  t.write("build/.gitignore", "!*\n");  // inside an excluded directory: never read
  t.write(".git/info/exclude", "secret.txt\n!secret2.txt\n");
  t.write(".mlpackignore", "!model.pkl\n!logs/important.log\n!cache/\nnotes/\n");
  auto f = t.load();
  check_cases(f, {
                     {"sub/x.tmp", false, true},
                     {"x.tmp", false, false},
                     {"sub/a/x.tmp", false, true},
                     {"sub/anchored", false, true},
                     {"sub/a/anchored", false, false},
                     {"special.log", false, true},
                     {"sub/special.log", false, false},        // the deeper file wins
                     {"sub/deeper/special.log", false, true},  // and a deeper one again
                     {"sub/nested", true, true},
                     {"build", true, true},
                     {"build/anything", false, true},
                     {"secret.txt", false, true},
                     {"secret2.txt", false, true},  // .gitignore outranks .git/info/exclude
                     {"model.pkl", false, false},   // .mlpackignore outranks .gitignore
                     {"other.pkl", false, true},
                     {"logs/important.log", false, true},  // not below an excluded directory
                     {"cache", true, false},
                     {"cache/x", false, false},
                     {"notes", true, true},
                 });
  CHECK(f.sources() == std::vector<std::string>{".git/info/exclude", ".gitignore", ".mlpackignore", "sub/.gitignore",
                                                "sub/deeper/.gitignore"});
}

TEST_CASE("ignore: always left out, virtual environments found by pyvenv.cfg") {
  Tree t;
  t.write(".git/HEAD");
  t.write(".mlpack/image/index.json");
  t.write("src/__pycache__/a.pyc");
  t.write(".venv/bin/python");
  t.write("venv/bin/python");
  t.write("envs/py311/pyvenv.cfg", "home = /usr/bin\n");
  t.write("envs/py311/lib/x.py");
  t.write("env/pyvenv.cfg", "home = /usr/bin\n");
  t.write("src/venv/__init__.py");  // a package that happens to be called venv
  t.write("mlpack.lock");
  t.write(".dockerignore", "");
  auto f = t.load();
  check_cases(f, {
                     {".git", true, true},
                     {".git/HEAD", false, true},
                     {"sub/.git", false, true},  // a submodule's .git file
                     {".mlpack", true, true},
                     {"src/__pycache__", true, true},
                     {"src/__pycache__/a.pyc", false, true},
                     {".venv", true, true},
                     {"venv", true, true},
                     {"env", true, true},
                     {"envs", true, false},
                     {"envs/py311", true, true},
                     {"envs/py311/lib/x.py", false, true},
                     {"src/venv", true, false},
                     {"src/venv/__init__.py", false, false},
                     {"mlpack.lock", false, false},
                     {".dockerignore", false, false},
                 });
  auto exclude = f.scan_exclude();
  CHECK(exclude("envs/py311"));
  CHECK(exclude("env"));
  CHECK_FALSE(exclude("mlpack.lock"));
}

TEST_CASE("ignore: .dockerignore with Docker's semantics") {
  auto r = detectors::DockerignoreRules::parse(
      "# comment\n"
      "  *.md  \n"
      "!README.md\n"
      "/abs/path\n"
      "./dotted//x/\n"
      "temp?\n"
      "*/temp*\n"
      "**/*.go\n"
      "data\n"
      "!data/keep.txt\n"
      "**/cache\n"
      "build/**\n"
      "foo**\n"
      " # not a comment\n"
      "crlf\r\n"
      "a/../b\n");
  REQUIRE(r);
  struct D {
    const char* path;
    bool matches;
  };
  const std::vector<D> table = {
      {"a.md", true},
      {"README.md", false},
      {"docs/a.md", false},  // `*` only at the root
      {"abs/path", true},
      {"abs/path/below", true},  // everything below a matching directory
      {"dotted/x", true},
      {"temp1", true},
      {"temp12", false},
      {"d/temporary.txt", true},
      {"d/e/temp", false},
      {"x.go", true},
      {"a/b/x.go", true},
      {"data", true},
      {"data/keep.txt", false},  // unlike git, an exception reaches below an excluded directory
      {"data/other", true},
      {"cache", true},
      {"a/cache/z", true},
      {"build", false},
      {"build/x", true},
      {"foobar/x", true},
      {"# not a comment", true},
      {"crlf", true},
      {"b", true},
      {"a", false},
  };
  for (const auto& d : table) {
    INFO("path `" << std::string(d.path) << "`");
    CHECK(r->matches(d.path) == d.matches);
  }
  CHECK(r->may_include_below("data"));
  CHECK_FALSE(r->excluded("data", true));  // a walk has to go in to find data/keep.txt
  CHECK(r->excluded("data", false));
  CHECK_FALSE(r->may_include_below("abs"));

  auto quirk = detectors::DockerignoreRules::parse("**foo\n");
  REQUIRE(quirk);
  CHECK(quirk->matches("xfoo"));  // Docker's suffix test, kept as it is
  CHECK(quirk->matches("a/bfoo"));

  auto wild = detectors::DockerignoreRules::parse("*\n!src/**/*.py\n!docs/*/index.md\n");
  REQUIRE(wild);
  CHECK(wild->may_include_below("src"));
  CHECK(wild->may_include_below("src/a/b"));
  CHECK(wild->may_include_below("docs"));
  CHECK(wild->may_include_below("docs/v1"));
  CHECK_FALSE(wild->may_include_below("docs/v1/x"));
  CHECK_FALSE(wild->may_include_below("tests"));
  CHECK(wild->matches("tests/a.py"));
  CHECK_FALSE(wild->matches("src/a/b.py"));

  auto bad = detectors::DockerignoreRules::parse("ok\n[abc\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message.starts_with(".dockerignore:2: "));
  CHECK_FALSE(detectors::DockerignoreRules::parse("!\n"));
  CHECK_FALSE(detectors::DockerignoreRules::parse("a\\\n"));
  CHECK_FALSE(detectors::DockerignoreRules::parse("[]a]\n"));
  CHECK(detectors::DockerignoreRules::parse("[a-c]x\n")->matches("bx"));
  CHECK(detectors::DockerignoreRules::parse("[^a]x\n")->matches("bx"));
  CHECK(detectors::DockerignoreRules::parse("?x\n")->matches("\xC3\xA9x"));  // one character, two bytes
}

TEST_CASE("ignore: every source together, and mlpack.yaml exclude") {
  Tree t;
  t.write(".gitignore", "*.pkl\n");
  t.write(".mlpackignore", "!model.pkl\n");
  t.write(".dockerignore", "secrets\n!README.md\n");
  auto f = t.load({"data/raw/**", "*.csv", "/notes.txt", "./tmp/"});
  check_cases(f, {
                     {"model.pkl", false, false},
                     {"other.pkl", false, true},
                     {"secrets", true, true},
                     {"secrets/key", false, true},
                     {"data/raw", true, true},
                     {"data/raw/x.bin", false, true},
                     {"data/clean", true, false},
                     {"x.csv", false, true},
                     {"a/b.csv", false, true},
                     {"notes.txt", false, true},
                     {"a/notes.txt", false, true},  // as the build has always read it: a leading / is dropped
                     {"tmp", true, true},
                     {"tmp", false, true},
                     {"README.md", false, false},
                 });
  CHECK(f.sources() == std::vector<std::string>{".dockerignore", ".gitignore", ".mlpackignore"});
}

TEST_CASE("ignore: scan_exclude tells directories from files on disk") {
  Tree t;
  t.write(".gitignore", "build/\n");
  t.write("build/out.o");
  t.write("src/build");  // a file called build: kept
  REQUIRE(::symlink("build", (t.root() / "linked").c_str()) == 0);
  auto f = t.load();
  auto exclude = f.scan_exclude();
  CHECK(exclude("build"));
  CHECK_FALSE(exclude("src/build"));
  CHECK_FALSE(exclude("linked"));  // a symlink is not a directory, as in git
}

TEST_CASE("ignore: errors") {
  Tree t;
  auto missing = detectors::ProjectFilter::load(t.root() / "nope", {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);

  t.write(".dockerignore", "[oops\n");
  auto bad = detectors::ProjectFilter::load(t.root(), {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);

  if (::geteuid() != 0) {  // root reads anything
    Tree u;
    u.write("sub/.gitignore", "x\n");
    fs::permissions(u.root() / "sub" / ".gitignore", fs::perms::none);
    auto unreadable = detectors::ProjectFilter::load(u.root(), {});
    REQUIRE_FALSE(unreadable);
    CHECK(unreadable.error().kind == util::ErrorKind::io);
    CHECK(unreadable.error().message.find("`sub/.gitignore`") != std::string::npos);
  } else {
    MLPACK_SKIP("running as root: an unreadable .gitignore cannot be made");
  }
}

TEST_CASE("ignore: large files") {
  Tree t;
  t.write(".gitignore", "ignored/\n");
  t.write("small.txt", "12345");
  t.write("medium.bin", std::string(20, 'x'));
  t.write("ignored/medium.bin", std::string(20, 'x'));
  t.write("src/also.bin", std::string(30, 'x'));
  t.write("huge.bin", "");
  fs::resize_file(t.root() / "huge.bin", detectors::large_file_threshold + 1);  // sparse
  t.write("exactly.bin", "");
  fs::resize_file(t.root() / "exactly.bin", detectors::large_file_threshold);
  auto f = t.load();

  auto big = detectors::large_files(f);
  REQUIRE(big);
  REQUIRE(big->size() == 1);
  CHECK((*big)[0].path == "huge.bin");
  CHECK((*big)[0].size == detectors::large_file_threshold + 1);

  auto over10 = detectors::large_files(f, 10);
  REQUIRE(over10);
  std::vector<std::string> paths;
  for (const auto& l : *over10) paths.push_back(l.path);
  CHECK(paths == std::vector<std::string>{"exactly.bin", "huge.bin", "medium.bin", "src/also.bin"});
}

// The honest check: git itself lists the files it does not ignore, and the filter must agree.
TEST_CASE("ignore: agrees with git ls-files on a tricky tree") {
  if (std::system("git --version > /dev/null 2>&1") != 0) {
    MLPACK_SKIP("git is not installed (the cross-check with git)");
    return;
  }
  Tree t;
  t.write(".gitignore",
          "*.log\n"
          "!important.log\n"
          "/anchored.txt\n"
          "build/\n"
          "docs/**/*.tmp\n"
          "out/**\n"
          "!out/keep.txt\n"
          "!out/sub/\n"
          "vendor\n"
          "!vendor/readme.md\n"
          "**/cache/\n"
          "[abc]x.dat\n"
          "\\#literal\n"
          "\\!bang\n"
          "trailing.txt   \n"
          "esc\\ \n"
          "*.o\n"
          "!*.o/\n"
          "nested/deep/\n"
          "a?c.txt\n"
          "[unterminated\n"
          "lib/**/gen/\n"
          "link_dir/\n"
          "[[:digit:]][[:digit:]].csv\n"
          "*.pkl\n"
          "!/models/*.pkl\n");
  t.write("sub/.gitignore", "!*.log\n*.c\n/local\n");
  t.write("sub/deeper/.gitignore", "!*.c\n");
  t.write("build/.gitignore", "!*\n");
  for (const char* f : {"a.log",
                        "important.log",
                        "important2.log",
                        "sub/x.log",
                        "sub/important.log",
                        "sub/y.c",
                        "sub/deeper/z.c",
                        "sub/local",
                        "sub/z/local",
                        "anchored.txt",
                        "sub/anchored.txt",
                        "build/a.c",
                        "src/build/b.c",
                        "other/build",
                        "docs/a.tmp",
                        "docs/x/y/b.tmp",
                        "docs/c.txt",
                        "out/keep.txt",
                        "out/other.txt",
                        "out/sub/f.txt",
                        "vendor/readme.md",
                        "vendor/x.c",
                        "src/cache/c1",
                        "cache/c2",
                        "other/cache",
                        "ax.dat",
                        "dx.dat",
                        "#literal",
                        "!bang",
                        "trailing.txt",
                        "esc ",
                        "esc",
                        "x.o",
                        "dir.o/file",
                        "nested/deep/f",
                        "a/nested/deep/f",
                        "abc.txt",
                        "[unterminated",
                        "lib/gen/x",
                        "lib/a/b/gen/y",
                        "lib2/gen/z",
                        "src/real/f",
                        "12.csv",
                        "123.csv",
                        "m.pkl",
                        "models/m.pkl",
                        "models/sub/m.pkl",
                        "info_excluded.txt",
                        "keep.txt"})
    t.write(f);
  REQUIRE(::symlink("src/real", (t.root() / "link_dir").c_str()) == 0);

  auto home = util::TempDir::create();
  REQUIRE(home);
  std::string env = "HOME='" + home->path().string() + "' XDG_CONFIG_HOME='" + home->path().string() +
                    "' GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null ";
  std::string cd = "cd '" + t.root().string() + "' && ";
  REQUIRE(std::system((cd + env + "git init -q").c_str()) == 0);
  t.write(".git/info/exclude", "info_excluded.txt\n!important2.log\n");

  std::string listing;
  {
    FILE* p = ::popen((cd + env + "git ls-files -z --others --exclude-standard").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) listing.append(buf, n);
    REQUIRE(::pclose(p) == 0);
  }
  std::set<std::string> git_kept;
  for (std::size_t start = 0; start < listing.size();) {
    auto end = listing.find('\0', start);
    git_kept.insert(listing.substr(start, end - start));
    start = end + 1;
  }

  auto f = t.load();
  std::set<std::string> ours;
  for (const auto& rel : all_files(t.root()))
    if (!f.excluded(rel, false)) ours.insert(rel);
  for (const auto& rel : git_kept)
    if (!ours.contains(rel)) FAIL_CHECK("git keeps `" << rel << "`, the filter leaves it out");
  for (const auto& rel : ours)
    if (!git_kept.contains(rel)) FAIL_CHECK("the filter keeps `" << rel << "`, git ignores it");
  // The walk archive::scan_directory does (never below an excluded directory) keeps the same files.
  std::set<std::string> walked;
  auto exclude = f.scan_exclude();
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    auto rel = pending.back();
    pending.pop_back();
    for (const auto& e : fs::directory_iterator(rel.empty() ? t.root() : t.root() / rel)) {
      auto child = (rel.empty() ? "" : rel + "/") + e.path().filename().string();
      if (exclude(child)) continue;
      if (e.symlink_status().type() == fs::file_type::directory)
        pending.push_back(child);
      else
        walked.insert(child);
    }
  }
  CHECK(walked == ours);
  CHECK(git_kept.size() > 20);
  CHECK(git_kept.contains("out/keep.txt"));
  CHECK_FALSE(git_kept.contains("vendor/readme.md"));
}
