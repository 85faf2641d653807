#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "util/cleanup.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"
#include "util/text.hpp"

using namespace mlpack::util;

TEST_CASE("md5 of known inputs (RFC 1321)") {
  Md5Writer empty;
  CHECK(empty.finish_hex() == "d41d8cd98f00b204e9800998ecf8427e");
  Md5Writer abc;
  REQUIRE(abc.write(as_bytes(std::string_view("ab"))));
  REQUIRE(abc.write(as_bytes(std::string_view("c"))));
  CHECK(abc.finish_hex() == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("sha256 of known inputs") {
  CHECK(Digest::sha256_of("").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Digest::sha256_of("abc").str() ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("digest parsing refuses what is not safe as a path") {
  CHECK(Digest::parse("sha256:" + std::string(64, 'a')).has_value());
  CHECK_FALSE(Digest::parse("sha256:" + std::string(63, 'a')).has_value());
  CHECK_FALSE(Digest::parse("sha256:../" + std::string(61, 'a')).has_value());
  CHECK_FALSE(Digest::parse("sha256:" + std::string(64, 'A')).has_value());
  CHECK(Digest::parse("md5:abc").error().kind == ErrorKind::unsupported);
  CHECK_FALSE(Digest::parse("nocolon").has_value());
}

TEST_CASE("atomic file: nothing replaces the destination until commit") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  auto dest = dir->path() / "index.json";
  REQUIRE(write_file_atomic(dest, "old"));
  {
    auto f = AtomicFile::create(dest);
    REQUIRE(f);
    REQUIRE((*f)->write(as_bytes("new half")));
    CHECK(*read_file(dest) == "old");
  }  // dropped without commit
  CHECK(*read_file(dest) == "old");
  CHECK(std::distance(fs::directory_iterator(dir->path()), fs::directory_iterator()) == 1);
  REQUIRE(write_file_atomic(dest, "new"));
  CHECK(*read_file(dest) == "new");
}

TEST_CASE("atomic file mode ignores the umask") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  mode_t old = ::umask(077);
  REQUIRE(write_file_atomic(dir->path() / "f", "x", 0644));
  ::umask(old);
  struct stat st {};
  REQUIRE(::stat((dir->path() / "f").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("read_file refuses oversized files") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  REQUIRE(write_file_atomic(dir->path() / "f", std::string(100, 'x')));
  CHECK(read_file(dir->path() / "f", 10).error().kind == ErrorKind::integrity);
  CHECK(read_file(dir->path() / "missing").error().kind == ErrorKind::not_found);
}

TEST_CASE("parallel_for runs every task and reports the first failure") {
  std::vector<int> seen(100, 0);
  REQUIRE(parallel_for(100, 4, [&](std::size_t i) -> Result<void> {
    seen[i]++;
    return {};
  }));
  CHECK(std::count(seen.begin(), seen.end(), 1) == 100);
  auto r = parallel_for(10, 1, [&](std::size_t i) -> Result<void> {
    if (i == 3) return fail(ErrorKind::io, "task 3");
    return {};
  });
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "task 3");
}

TEST_CASE("redact_url hides credentials") {
  CHECK(redact_url("https://user:secret@host/path") == "https://***@host/path");
  CHECK(redact_url("https://host/p@th") == "https://host/p@th");
  CHECK(redact_url("no-scheme") == "no-scheme");
}

TEST_CASE("error context chains") {
  Error e{ErrorKind::http, "401 Unauthorized"};
  auto chained = e.context("PUT https://r/v2/").context("pushing layer sha256:ab");
  CHECK(chained.message == "pushing layer sha256:ab: PUT https://r/v2/: 401 Unauthorized");
  CHECK(exit_code(ErrorKind::invalid_input) == 2);
  CHECK(exit_code(ErrorKind::http) == 1);
}

#include "util/verified_file.hpp"

TEST_CASE("verified file appears only with the expected size and digest") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  auto dest = dir->path() / "blob";
  {
    VerifiedFile f(dest, Digest::sha256_of("hello"), 5, "blob x");
    REQUIRE(f.restart());
    REQUIRE(f.write(as_bytes("hel")));
    REQUIRE(f.restart());  // a dropped connection: start over
    REQUIRE(f.write(as_bytes("hello")));
    REQUIRE(f.commit());
  }
  CHECK(*read_file(dest) == "hello");

  auto other = dir->path() / "other";
  {
    VerifiedFile f(other, Digest::sha256_of("hello"), 5, "blob y");
    REQUIRE(f.write(as_bytes("jello")));
    auto r = f.commit();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::integrity);
    CHECK(r.error().message.find("blob y has sha256 ") == 0);
  }
  {
    VerifiedFile f(other, Digest::sha256_of("hello"), 5, "blob z");
    auto r = f.write(as_bytes("hello!"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "blob z is longer than the 5 bytes expected");
  }
  CHECK_FALSE(fs::exists(other));
  CHECK(std::distance(fs::directory_iterator(dir->path()), fs::directory_iterator()) == 1);
}

// ---------------------------------------------------------------------------------------------
// Temporary paths that outlive their run (util/cleanup.hpp)

namespace {
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs `body` in a child process that ends with _exit (a body that calls _exit itself ends as a
// killed run does: no destructor runs, and the kernel drops its locks). Returns the exit status.
template <class F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST_CASE("abandoned temporary files and folders are removed; live ones and other files stay") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  auto dest = dir->path() / "blob";
  // A killed writer: its temporary file and staging folder stay behind, unlocked.
  CHECK(in_child([&] {
          auto f = AtomicFile::create(dest);
          auto d = TempDir::create(dir->path(), ".out.tar.tmp-");
          if (!f || !d || !(*f)->write(as_bytes("half"))) return 1;
          (void)write_file_atomic(d->path() / "inside", "x");
          ::_exit(0);  // while both are open: no destructor runs
        }) == 0);
  REQUIRE(names_in(dir->path()).size() == 2);
  // A live writer in this process, and files that are no temporary files.
  auto live = AtomicFile::create(dest);
  REQUIRE(live);
  auto live_dir = TempDir::create(dir->path(), ".out.tar.tmp-");
  REQUIRE(live_dir);
  REQUIRE(write_file_atomic(dir->path() / "index.json", "{}"));
  REQUIRE(write_file_atomic(dir->path() / "notes.txt", "mine"));

  CHECK(remove_abandoned_temp_paths(dir->path(), "other.tmp-") == 0);  // the prefix must match
  CHECK(remove_abandoned_temp_paths(dir->path()) == 2);
  auto left = names_in(dir->path());
  CHECK(left.size() == 4);
  CHECK(std::count(left.begin(), left.end(), (*live)->temp_path().filename().string()) == 1);
  CHECK(std::count(left.begin(), left.end(), live_dir->path().filename().string()) == 1);
  CHECK(fs::exists(dir->path() / "notes.txt"));
  // The live writer is undisturbed and commits.
  REQUIRE((*live)->write(as_bytes("whole")));
  REQUIRE((*live)->commit());
  CHECK(*read_file(dest) == "whole");
  CHECK(remove_abandoned_temp_paths(dir->path()) == 0);
}

TEST_CASE("a temporary file is held from creation to rename") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  auto f = AtomicFile::create(dir->path() / "index.json");
  REQUIRE(f);
  // Another process sweeping now leaves the file alone.
  CHECK(in_child([&] { return static_cast<int>(remove_abandoned_temp_paths(dir->path())); }) == 0);
  CHECK(fs::exists((*f)->temp_path()));
  REQUIRE((*f)->commit());
  CHECK(names_in(dir->path()) == std::vector<std::string>{"index.json"});
}

namespace {
// A file under a temporary name that no process holds: what a killed writer leaves.
void abandoned(const fs::path& path) {
  fs::create_directories(path.parent_path());
  REQUIRE(write_file_atomic(path, "half"));
}
}  // namespace

TEST_CASE("a sweep below a folder reaches each level down to its depth, and no further") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  const auto root = dir->path() / "cache";
  // As a cache lays them out: blobs/sha256, pypi/http-v1/<xx>, layers; one level too deep.
  std::vector<fs::path> reached = {root / "layers" / "key.tmp-dead1",
                                   root / "blobs" / "sha256" / ".incoming.tmp-dead2",
                                   root / "pypi" / "http-v1" / "ab" / "abcd.tmp-dead3", root / "top.tmp-dead0"};
  const auto too_deep = root / "a" / "b" / "c" / "d" / "x.tmp-dead4";
  for (const auto& p : reached) abandoned(p);
  abandoned(too_deep);
  // Finished entries stay, whatever their names look like otherwise.
  REQUIRE(write_file_atomic(root / "blobs" / "sha256" / "0123abcd", "blob"));
  REQUIRE(write_file_atomic(root / "layers" / "content-tmp", "key"));
  // A folder a killed run was filling goes whole.
  abandoned(root / "apt" / "stage.tmp-deadd" / "inside");

  CHECK(remove_abandoned_temp_paths_below(root, 0) == 1);  // the root alone
  CHECK_FALSE(fs::exists(root / "top.tmp-dead0"));
  CHECK(fs::exists(reached[0]));
  CHECK(remove_abandoned_temp_paths_below(root, 3) == 4);
  for (const auto& p : reached) CHECK_FALSE(fs::exists(p));
  CHECK_FALSE(fs::exists(root / "apt" / "stage.tmp-deadd"));
  CHECK(fs::exists(too_deep));
  CHECK(fs::exists(root / "blobs" / "sha256" / "0123abcd"));
  CHECK(fs::exists(root / "layers" / "content-tmp"));
  CHECK(remove_abandoned_temp_paths_below(root, 4) == 1);
  CHECK_FALSE(fs::exists(too_deep));
  CHECK(remove_abandoned_temp_paths_below(root, 4) == 0);
  // A root that does not exist is nothing to do.
  CHECK(remove_abandoned_temp_paths_below(root / "missing", 3) == 0);
}

TEST_CASE("a sweep below a folder follows no link, enters no live temporary folder, and stops at its bound") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  const auto root = dir->path() / "cache";
  const auto outside = dir->path() / "elsewhere";
  abandoned(outside / "theirs.tmp-dead1");
  fs::create_directories(root);
  fs::create_directory_symlink(outside, root / "link");
  // A live run's staging folder: what lies inside is its writer's business, locked or not.
  auto live = TempDir::create(root, "stage.tmp-");
  REQUIRE(live);
  abandoned(live->path() / "inner.tmp-dead2");

  CHECK(remove_abandoned_temp_paths_below(root, 3) == 0);
  CHECK(fs::exists(outside / "theirs.tmp-dead1"));
  CHECK(fs::exists(live->path() / "inner.tmp-dead2"));

  // max_folders: the root is listed first, then its folders breadth first.
  abandoned(root / "a" / "one.tmp-dead3");
  abandoned(root / "a" / "b" / "two.tmp-dead4");
  CHECK(remove_abandoned_temp_paths_below(root, 3, 2) == 1);
  CHECK(fs::exists(root / "a" / "b" / "two.tmp-dead4"));
  CHECK(remove_abandoned_temp_paths_below(root, 3, 3) == 1);
}

TEST_CASE("a sweep below a folder leaves what another live process is writing") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  const auto root = dir->path() / "cache";
  fs::create_directories(root / "apt" / "indexes");
  abandoned(root / "apt" / "indexes" / "download-ab.tmp-dead1");
  int ready[2], done[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(done) == 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Another mlpack run, part way through an index download and a layer.
    auto f = AtomicFile::create(root / "apt" / "indexes" / "abcd");
    auto d = TempDir::create(root / "apt", "unpack.tmp-");
    char c = (f && d && (*f)->write(as_bytes("part"))) ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(done[0], &c, 1);
    if (!(*f)->write(as_bytes(" and the rest")) || !(*f)->commit()) ::_exit(2);
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  CHECK(remove_abandoned_temp_paths_below(root, 3) == 1);  // the dead one only
  auto live_names = names_in(root / "apt" / "indexes");
  CHECK(live_names.size() == 1);
  CHECK(live_names[0].starts_with("abcd.tmp-"));
  CHECK(names_in(root / "apt").size() == 2);  // indexes, and the live staging folder
  REQUIRE(::write(done[1], "x", 1) == 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(*read_file(root / "apt" / "indexes" / "abcd") == "part and the rest");
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
}

TEST_CASE("an interrupt removes every registered temporary path and refuses new ones") {
  // A plain folder, not a TempDir: the child removes everything registered, its parent's too.
  auto dir = fs::temp_directory_path() / ("mlpack-unit-interrupt-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // In a child: the registry closes for good, as the process is about to end.
  int status = in_child([&] {
    auto f = AtomicFile::create(dir / "blob");
    auto d = TempDir::create(dir, "stage.tmp-");
    if (!f || !d || !write_file_atomic(d->path() / "inside", "x")) return 1;
    auto kept = AtomicFile::create(dir / "kept");
    if (!kept || !(*kept)->commit()) return 2;
    remove_registered_temp_paths();
    if (fs::exists((*f)->temp_path()) || fs::exists(d->path())) return 3;
    auto late = AtomicFile::create(dir / "late");
    if (late || late.error().kind != ErrorKind::io) return 4;
    if (TempDir::create(dir)) return 5;
    return 0;
  });
  CHECK(status == 0);
  CHECK(names_in(dir) == std::vector<std::string>{"kept"});
  fs::remove_all(dir);
}

TEST_CASE("a run sweeps the cache only when a run died there since the last sweep") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  const auto root = dir->path() / "cache";
  // A cache without a runs folder (new, or written before runs were marked) is swept once.
  abandoned(root / "layers" / "key.tmp-dead1");
  {
    auto first = begin_cache_run(root, 3);
    CHECK(first.swept());
    CHECK(first.removed() == 1);
    CHECK_FALSE(fs::exists(root / "layers" / "key.tmp-dead1"));
    // While it lives, its marker is there and held: a second run does not sweep.
    REQUIRE(names_in(root / "runs").size() == 1);
    abandoned(root / "blobs" / "sha256" / ".incoming.tmp-dead2");
    auto second = begin_cache_run(root, 3);
    CHECK_FALSE(second.swept());
    CHECK(names_in(root / "runs").size() == 2);
    CHECK(fs::exists(root / "blobs" / "sha256" / ".incoming.tmp-dead2"));
  }
  // Runs that ended well leave no marker, so the next run lists the runs folder and nothing else.
  CHECK(names_in(root / "runs").empty());
  CHECK_FALSE(begin_cache_run(root, 3).swept());
  // A run that died (SIGKILL) leaves its marker unlocked: the next run sweeps everything, the
  // dead marker included.
  abandoned(root / "runs" / "run.tmp-dead3");
  {
    auto after_kill = begin_cache_run(root, 3);
    CHECK(after_kill.swept());
    CHECK(after_kill.removed() == 2);
    CHECK_FALSE(fs::exists(root / "blobs" / "sha256" / ".incoming.tmp-dead2"));
    auto left = names_in(root / "runs");
    REQUIRE(left.size() == 1);  // its own
    CHECK(left[0] != "run.tmp-dead3");
  }
  CHECK_FALSE(begin_cache_run(root, 3).swept());
}
