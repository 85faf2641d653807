#include "registry/credentials.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "net/base64.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

extern char** environ;

namespace mlpack::registry {

using util::ErrorKind;
using util::fail;

namespace {
// The server name Docker hands to helpers for this registry.
std::string helper_server_name(std::string_view registry) {
  return registry == "docker.io" ? "https://index.docker.io/v1/" : std::string(registry);
}

// A helper that exits without reading its stdin must not kill us with SIGPIPE: block the signal
// in this thread for the write and discard one that became pending.
void write_ignoring_sigpipe(int fd, std::string_view data) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = 0;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EPIPE) {
    timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

std::string str_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

fs::path docker_config_path(const util::Environment& env) {
  if (auto d = env.non_empty("DOCKER_CONFIG")) return fs::path(*d) / "config.json";
  return fs::path(env.non_empty("HOME").value_or("/")) / ".docker" / "config.json";
}

std::string normalize_registry_host(std::string_view key) {
  std::string k = util::trim(key);
  if (auto s = k.find("://"); s != std::string::npos) k = k.substr(s + 3);
  if (auto slash = k.find('/'); slash != std::string::npos) k = k.substr(0, slash);
  std::string lower = util::to_lower(k);
  if (lower == "index.docker.io" || lower == "registry-1.docker.io" || lower == "docker.io") return "docker.io";
  return k;
}

Result<std::optional<Credentials>> run_credential_helper(std::string_view helper, std::string_view server) {
  const std::string program = "docker-credential-" + std::string(helper);
  auto failure = [&](std::string why) {
    return fail(ErrorKind::auth, "credential helper `" + util::printable_excerpt(program) + "` for " +
                                     util::printable_excerpt(server) + ": " + why);
  };
  if (helper.empty() || helper.find('/') != std::string_view::npos) return failure("bad helper name");

  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return failure(std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return failure(std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::array<char*, 3> argv{const_cast<char*>(program.c_str()), const_cast<char*>("get"), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return failure(rc == ENOENT ? "not found on PATH" : std::strerror(rc));
  }

  // The request is a single line, far below the pipe buffer, so writing it before reading
  // cannot deadlock.
  std::string request = std::string(server) + "\n";
  write_ignoring_sigpipe(in[1], request);
  ::close(in[1]);

  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < (1 << 20)) output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // docker-credential-helpers report a missing entry with this text.
    if (output.find("credentials not found") != std::string::npos) return std::optional<Credentials>();
    // Helpers' error output names the problem, not the secret.
    std::string first_line = util::trim(output.substr(0, output.find('\n')));
    return failure("exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                   (first_line.empty() ? "" : ": " + util::printable_excerpt(first_line)));
  }
  auto doc = nlohmann::json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return failure("answered with something that is not JSON");
  Credentials c;
  c.username = str_field(doc, "Username");
  std::string secret = str_field(doc, "Secret");
  if (c.username == "<token>") {
    c.username.clear();
    c.identity_token = std::move(secret);
  } else {
    c.password = std::move(secret);
  }
  if (c.username.empty() && c.password.empty() && c.identity_token.empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(c));
}

Result<ConfigCredentials> parse_docker_config(std::string_view text, std::string_view registry,
                                              std::string_view source) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(ErrorKind::invalid_input, "`" + util::printable_excerpt(source) + "` is not a JSON object");

  const std::string want = normalize_registry_host(registry);
  ConfigCredentials out;

  if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && helpers->is_object()) {
    for (const auto& [key, value] : helpers->items())
      if (normalize_registry_host(key) == want && value.is_string()) {
        out.helper = value.get<std::string>();
        return out;
      }
  }

  if (auto auths = doc.find("auths"); auths != doc.end() && auths->is_object()) {
    for (const auto& [key, entry] : auths->items()) {
      if (normalize_registry_host(key) != want || !entry.is_object()) continue;
      Credentials c;
      if (auto auth = str_field(entry, "auth"); !auth.empty()) {
        auto decoded = net::base64_decode(auth);
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
          return fail(ErrorKind::invalid_input, "`" + util::printable_excerpt(source) + "`: the `auth` entry for `" +
                                                    util::printable_excerpt(key) +
                                                    "` is not base64 of `user:password`");
        c.username = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
      } else {
        c.username = str_field(entry, "username");
        c.password = str_field(entry, "password");
      }
      c.identity_token = str_field(entry, "identitytoken");
      // An empty entry is what `docker login` leaves beside a credsStore; the store has the secret.
      if (!c.username.empty() || !c.password.empty() || !c.identity_token.empty()) {
        out.credentials = std::move(c);
        return out;
      }
    }
  }

  if (auto store = doc.find("credsStore"); store != doc.end() && store->is_string() && !store->get<std::string>().empty())
    out.helper = store->get<std::string>();
  return out;
}

Result<std::optional<Credentials>> lookup_credentials(std::string_view registry, const fs::path& config_file) {
  std::error_code ec;
  if (!fs::exists(config_file, ec)) return std::optional<Credentials>();
  auto text = TRY(util::read_file(config_file, 4 << 20));
  auto found = TRY(parse_docker_config(text, registry, config_file.string()));
  if (found.credentials) return std::move(found.credentials);
  if (found.helper)
    return run_credential_helper(*found.helper, helper_server_name(normalize_registry_host(registry)));
  return std::optional<Credentials>();
}

}  // namespace mlpack::registry
