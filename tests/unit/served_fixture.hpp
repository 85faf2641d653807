#pragma once
// A fixture program under tests/fixtures/ (apt_archive.py, cran_repo.py) run with `--dir TMP
// --serve`: it prints one JSON line describing what it serves on loopback, and serves until its
// stdin closes, that is for as long as this object lives. When the machine cannot build it
// (offline: the .debs cannot be fetched) it prints {"skip": why}; launch() then skips through
// MLPACK_SKIP (a failure under CI=true unless tests/skips.txt lists it) and returns false.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "skip.hpp"
#include "util/fs.hpp"

extern char** environ;

namespace mlpack::test {

// tests/fixtures/<name>, from $MLPACK_SOURCE_DIR or this header's place in the tree.
inline std::filesystem::path fixture_program(std::string_view name) {
  if (const char* src = std::getenv("MLPACK_SOURCE_DIR")) return std::filesystem::path(src) / "tests/fixtures" / name;
  // tests/unit/served_fixture.hpp -> tests/fixtures/<name>
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / name;
}

class ServedFixture {
 public:
  ServedFixture(const ServedFixture&) = delete;
  ServedFixture& operator=(const ServedFixture&) = delete;
  virtual ~ServedFixture() {
    if (stdin_ >= 0) ::close(stdin_);  // the fixture serves until its stdin closes
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  std::string url() const { return info["url"]; }
  std::filesystem::path root() const { return info["root"].get<std::string>(); }
  const std::filesystem::path& work() const { return dir_.path(); }

  // One line per request so far, in order, as the fixture logs them ("GET /path 200 …").
  std::vector<std::string> requests() const {
    std::vector<std::string> out;
    std::ifstream in(info["log"].get<std::string>());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  void clear_requests() const { std::ofstream(info["log"].get<std::string>(), std::ios::trunc); }

  // Makes the server answer `path` with `fault` (an HTTP status, or "flip" to corrupt one byte).
  void set_fault(const std::string& path, nlohmann::json fault) {
    faults_[path] = std::move(fault);
    std::ofstream(info["faults"].get<std::string>(), std::ios::trunc) << faults_.dump();
  }

  // Flips one bit of a file in the served tree, in the middle.
  void tamper(const std::filesystem::path& relative, std::size_t offset_from_middle = 0) const {
    auto path = root() / relative;
    auto content = util::read_file(path);
    REQUIRE(content);
    REQUIRE(!content->empty());
    (*content)[content->size() / 2 + offset_from_middle] ^= 0x01;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << *content;
  }

  nlohmann::json info;

 protected:
  explicit ServedFixture(std::string_view temp_prefix) : dir_(make_dir(temp_prefix)) {}

  // Starts tests/fixtures/<program> with extra arguments; false when it cannot be built here.
  bool launch(std::string_view program, const std::vector<std::string>& extra, std::string_view what) {
    std::vector<std::string> args = {"python3", fixture_program(program).string(), "--dir", dir_.path().string(),
                                     "--serve"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    int rc = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    REQUIRE(rc == 0);
    stdin_ = in[1];

    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_object() && parsed.contains("skip")) {
      MLPACK_SKIP(what << " cannot be built here: " << parsed["skip"].get<std::string>());
      return false;
    }
    REQUIRE_MESSAGE((parsed.is_object() && parsed.contains("url")), what << " did not start: " << line);
    info = std::move(parsed);
    return true;
  }

 private:
  static util::TempDir make_dir(std::string_view prefix) {
    auto dir = util::TempDir::create({}, std::string(prefix));
    REQUIRE(dir);
    return std::move(*dir);
  }

  util::TempDir dir_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  nlohmann::json faults_ = nlohmann::json::object();
};

}  // namespace mlpack::test
