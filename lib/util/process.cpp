#include "util/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include "util/fs.hpp"

extern char** environ;

namespace mlpack::util {

Result<int> run_program(const std::vector<std::string>& args, const std::filesystem::path& out,
                        const std::filesystem::path& err) {
  if (args.empty()) return fail(ErrorKind::internal, "run_program: no program");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) return fail(ErrorKind::unsupported, "`" + args[0] + "` is not installed");
  if (rc != 0) return fail(ErrorKind::io, "running `" + args[0] + "`: " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(ErrorKind::io, "waiting for `" + args[0] + "`: " + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) return fail(ErrorKind::io, "`" + args[0] + "` was killed by signal " + std::to_string(WTERMSIG(status)));
  return WEXITSTATUS(status);
}

std::optional<std::string> program_output(const std::vector<std::string>& args, std::size_t limit) {
  auto tmp = TempDir::create();
  if (!tmp) return std::nullopt;
  auto out = tmp->path() / "out";
  auto rc = run_program(args, out, tmp->path() / "err");
  if (!rc || *rc != 0) return std::nullopt;
  auto text = read_file(out, limit);
  if (!text) return std::nullopt;
  return *text;
}

}  // namespace mlpack::util
