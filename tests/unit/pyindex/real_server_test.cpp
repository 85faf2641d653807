// The real curl client against a real local HTTP server: python3 -m http.server serving pip's
// test data. It ignores Range, so metadata comes from one full answer.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "corpora.hpp"
#include "net/curl_client.hpp"
#include "pyindex/index.hpp"
#include "skip.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

extern char** environ;

using namespace mlpack;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// Started by the test and stopped by its pid.
struct PythonHttpServer {
  pid_t pid = -1;
  int port = 0;
  PythonHttpServer(const std::filesystem::path& root) {
    port = free_port();
    std::string p = std::to_string(port), dir = root.string();
    const char* argv[] = {"python3", "-m", "http.server", "--bind", "127.0.0.1", p.c_str(), "--directory", dir.c_str(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "python3", &fa, nullptr, const_cast<char**>(argv), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; pid > 0 && i < 100 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~PythonHttpServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
  bool up() const { return pid > 0 && accepts(port); }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port) + std::string(path); }
};

}  // namespace

TEST_CASE("the curl client against python3 -m http.server serving pip's index fixtures") {
  auto dir = test::corpus_dir("pip_test_data");
  if (!dir) {
    MLPACK_SKIP("corpus pip_test_data not found");
    return;
  }
  PythonHttpServer server(*dir);
  if (!server.up()) {
    MLPACK_SKIP("could not start python3 -m http.server");
    return;
  }
  auto tmp = *util::TempDir::create();
  pyindex::IndexOptions o;
  o.index_urls = {server.url("/indexes/simple/")};
  o.cache_dir = tmp.path();
  o.netrc = tmp.path() / "none";
  auto http = net::make_curl_client();
  pyindex::IndexClient index_only(http, o);
  auto files = index_only.project_files("simple");
  REQUIRE_MESSAGE(files, files.error().message);
  REQUIRE(files->size() == 1);
  CHECK(files->at(0).url == server.url("/packages/simple-1.0.tar.gz"));
  CHECK(files->at(0).hashes.at("md5") == "4bdf78ebb7911f215c1972cf71b378f0");
  CHECK(index_only.project_files("no-such-project")->empty());

  o.find_links = {server.url("/packages/")};  // http.server's directory listing is a find-links page
  pyindex::IndexClient client(http, o);
  // find-links lists simple-1.0/2.0/3.0; the index's entry for 1.0 is the same file, merged.
  auto merged = client.project_files("simple");
  REQUIRE_MESSAGE(merged, merged.error().message);
  CHECK(merged->size() == 3);
  for (const auto& f : *merged)
    if (f.filename == "simple-1.0.tar.gz") CHECK(f.hashes.count("md5") == 1);

  auto wheels = client.project_files("simplewheel");
  REQUIRE_MESSAGE(wheels, wheels.error().message);
  REQUIRE_FALSE(wheels->empty());
  const pyindex::DistFile* wheel = nullptr;
  for (const auto& f : *wheels)
    if (f.filename == "simplewheel-2.0-py2.py3-none-any.whl") wheel = &f;
  REQUIRE(wheel);
  auto meta = client.metadata(*wheel);
  REQUIRE_MESSAGE(meta, meta.error().message);
  CHECK(meta->name == "simplewheel");
  CHECK(meta->version == "2.0");
  CHECK(client.stats().full_downloads == 1);  // http.server ignores Range

  auto expected = util::sha256_file((*dir / "packages" / wheel->filename).string());
  REQUIRE(expected);
  auto path = client.download(*wheel, expected->hex());
  REQUIRE_MESSAGE(path, path.error().message);
  CHECK(path->filename() == expected->hex());
}
