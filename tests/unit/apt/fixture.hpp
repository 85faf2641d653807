#pragma once
// Runs tests/fixtures/apt_archive.py: a real, signed apt archive of real .debs served over HTTP on
// loopback, for as long as this object lives. When the machine cannot fetch the .debs (offline)
// the fixture says so and start() returns nullopt after a doctest MESSAGE, so tests skip.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "skip.hpp"
#include "util/fs.hpp"

extern char** environ;

namespace mlpack::test {

inline std::filesystem::path fixture_script() {
  if (const char* src = std::getenv("MLPACK_SOURCE_DIR")) return std::filesystem::path(src) / "tests/fixtures/apt_archive.py";
  // tests/unit/apt/fixture.hpp -> tests/fixtures/apt_archive.py
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" / "apt_archive.py";
}

class AptFixture {
 public:
  // Starts the fixture with extra arguments (e.g. {"--layout", "flat"}).
  static std::unique_ptr<AptFixture> start(const std::vector<std::string>& extra = {}) {
    auto dir = util::TempDir::create({}, "mlpack-apt-test-");
    REQUIRE(dir);
    std::unique_ptr<AptFixture> f(new AptFixture(std::move(*dir)));
    std::vector<std::string> args = {"python3", fixture_script().string(), "--dir", f->dir_.path().string(),
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
    int rc = ::posix_spawnp(&f->pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    REQUIRE(rc == 0);
    f->stdin_ = in[1];

    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    auto info = nlohmann::json::parse(line, nullptr, false);
    if (info.is_object() && info.contains("skip")) {
      MLPACK_SKIP("the local apt archive fixture cannot be built here: " << info["skip"].get<std::string>());
      return nullptr;
    }
    REQUIRE_MESSAGE((info.is_object() && info.contains("url")), "apt fixture did not start: " << line);
    f->info = info;
    return f;
  }

  ~AptFixture() {
    if (stdin_ >= 0) ::close(stdin_);  // the fixture serves until its stdin closes
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  std::string url() const { return info["url"]; }
  std::string suite() const { return info["suite"]; }
  std::filesystem::path root() const { return info["root"].get<std::string>(); }
  std::filesystem::path keyring() const { return info["keyring"].get<std::string>(); }
  std::filesystem::path other_keyring() const { return info["other_keyring"].get<std::string>(); }
  std::string fingerprint() const { return info["fingerprint"]; }
  const std::filesystem::path& work() const { return dir_.path(); }

  // "GET /dists/bookworm/InRelease 200" for each request so far, in order.
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

 private:
  explicit AptFixture(util::TempDir dir) : dir_(std::move(dir)) {}
  util::TempDir dir_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  nlohmann::json faults_ = nlohmann::json::object();
};

}  // namespace mlpack::test
