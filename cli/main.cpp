// mlpack: a data-science project folder to a container image, without Docker.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "cli/commands.hpp"
#include "pipeline/pipeline.hpp"
#include "util/cleanup.hpp"

using namespace mlpack::cli;

namespace {

// An interrupt (Ctrl-C, SIGTERM from a CI runner, a closed terminal) removes the temporary files
// and folders the run has open (util/cleanup.hpp), then ends the process as the signal would
// have, so the caller sees the real status (130 for Ctrl-C). A handler may do almost nothing
// safely, so it only writes the signal number to a pipe; a thread waiting on the pipe cleans up.
int interrupt_pipe[2] = {-1, -1};
std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int sig) {
  if (interrupted.exchange(true)) {  // a second signal while cleaning up: stop at once
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  int saved = errno;
  auto byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto n = ::write(interrupt_pipe[1], &byte, 1);
  errno = saved;
}

void clean_up_on_interrupt() {
  if (::pipe2(interrupt_pipe, O_CLOEXEC) != 0) return;  // then interrupts end the process as before
  std::thread([] {
    unsigned char sig = 0;
    while (::read(interrupt_pipe[0], &sig, 1) != 1)
      if (errno != EINTR) return;
    mlpack::util::remove_registered_temp_paths();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    ::_exit(128 + sig);  // not reached: the default action of these signals ends the process
  }).detach();
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the work goes on until the cleanup thread ends the process
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    // A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(sig, &action, nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  clean_up_on_interrupt();
  CLI::App app{"mlpack: turn a data-science project into a container image, without Docker"};
  app.require_subcommand(1);
  // Global options work before or after the subcommand (`mlpack build . --cache-dir X`): what a
  // subcommand does not know falls through to the top level. Inherited by the subcommands, so
  // set before they are added.
  app.fallthrough();
  app.set_version_flag("--version", std::string(MLPACK_VERSION));

  Globals g;
  g.env = mlpack::util::Environment::from_envp(environ);
  std::string cache_dir;
  bool json = false;
  std::string color = "auto";
  app.add_option("--cache-dir", cache_dir, "Cache directory (default: $MLPACK_CACHE_DIR, $XDG_CACHE_HOME/mlpack)");
  app.add_flag("-v,--verbose", g.out.verbose, "More output");
  app.add_flag("-q,--quiet", g.out.quiet, "Only errors");
  app.add_option("--color", color, "auto|always|never (NO_COLOR is honoured)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_option("--insecure-registry", g.insecure_registries, "Allow plain HTTP to this registry host");
  app.add_option("--upload-chunk-size", g.upload_chunk_size,
                 "Registry uploads: blobs over BYTES go up in chunks of BYTES (default 64 MiB)")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 40));

  auto* version = app.add_subcommand("version", "Print the version");

  AppendArgs append;
  auto* append_cmd = app.add_subcommand("append", "Add directories as layers onto a base image (or an empty one)");
  append_cmd->add_option("--base", append.base, "Base image location (default: an empty image)");
  append_cmd->add_option("--layer", append.layers, "DIR[:/dest] to add as a layer (repeatable)")->required();
  append_cmd->add_option("--entrypoint", append.entrypoint, "Entrypoint argument (repeatable)");
  append_cmd->add_option("--cmd", append.cmd, "Cmd argument (repeatable)");
  append_cmd->add_option("--env", append.env, "K=V environment variable (repeatable)");
  append_cmd->add_option("--workdir", append.workdir, "Working directory");
  append_cmd->add_option("--user", append.user, "User (e.g. 1000 or 1000:1000)");
  append_cmd->add_option("--label", append.labels, "K=V label (repeatable)");
  append_cmd->add_option("--port", append.ports, "Exposed port, e.g. 8080 or 53/udp (repeatable)");
  append_cmd->add_option("--compression", append.compression, "gzip|zstd")->check(CLI::IsMember({"gzip", "zstd"}));
  append_cmd->add_option("--platform", g.platform, "Platform of the base to use (default linux/amd64)");
  append_cmd->add_option("-o,--output", append.outputs, "Destination location (repeatable)")->required();
  append_cmd->add_flag("--json", json, "Print one JSON document");

  PushArgs push;
  auto* push_cmd = app.add_subcommand("push", "Copy an image between two locations");
  push_cmd->add_option("SRC", push.source, "Source location")->required();
  push_cmd->add_option("DEST", push.destination, "Destination location")->required();
  auto* platform_opt = push_cmd->add_option("--platform", g.platform, "Copy only this platform of an index");
  push_cmd->add_flag("--json", json, "Print one JSON document");

  ProjectArgs project;
  const auto registry = mlpack::buildpacks::default_buildpacks();
  const auto buildpack_flags = mlpack::pipeline::buildpack_flags(registry);
  std::string default_base;
  for (const auto& bp : registry)
    if (auto b = bp->default_base(); b && default_base.empty()) default_base = *b;
  std::map<std::string, std::vector<std::string>> flag_values;
  std::map<std::string, std::string> single_values;
  std::map<std::string, bool> switches;
  auto* lock_cmd = app.add_subcommand("lock", "Resolve the project's dependencies into mlpack.lock");
  auto* build_cmd = app.add_subcommand("build", "Build the project into an image");
  for (auto* cmd : {lock_cmd, build_cmd}) {
    cmd->add_option("DIR", project.dir, "Project folder (default: .)");
    cmd->add_option("--platform", project.platform, "Target platform (default linux/amd64)");
    cmd->add_option("--base", project.base, "Base (default: mlpack.yaml `base`, else " + default_base + ")");
    cmd->add_flag("--json", json, "Print one JSON document");
    // The flags the buildpacks own, in registry order.
    for (const auto& flag : buildpack_flags) {
      if (flag.value_name.empty()) {
        cmd->add_flag(flag.name, switches[flag.name], flag.help);
      } else {
        // A flag given once takes one value (DIR may follow it; twice is an error), as a string.
        if (flag.repeatable) cmd->add_option(flag.name, flag_values[flag.name], flag.help)->type_name(flag.value_name);
        else cmd->add_option(flag.name, single_values[flag.name], flag.help)->type_name(flag.value_name);
      }
    }
  }
  std::string detect_dir = ".";
  auto* detect_cmd = app.add_subcommand("detect", "Show what mlpack finds in a project, without network access");
  detect_cmd->add_option("DIR", detect_dir, "Project folder (default: .)");
  detect_cmd->add_flag("--json", json, "Print one JSON document");
  // The buildpacks' flags change what detect decides (--cuda, --python), so it takes them too.
  for (const auto& flag : buildpack_flags) {
    if (flag.value_name.empty()) detect_cmd->add_flag(flag.name, switches[flag.name], flag.help);
    else if (flag.repeatable) detect_cmd->add_option(flag.name, flag_values[flag.name], flag.help)->type_name(flag.value_name);
    else detect_cmd->add_option(flag.name, single_values[flag.name], flag.help)->type_name(flag.value_name);
  }
  lock_cmd->add_flag("--upgrade", project.upgrade, "Resolve again even if mlpack.lock matches the project");
  build_cmd->add_option("-o,--output", project.outputs, "Destination location (repeatable)");
  build_cmd->add_flag("--locked", project.locked, "Build exactly mlpack.lock; fail if it no longer matches");
  build_cmd->add_option("--progress", project.progress, "auto|plain|none (auto: a status line on a terminal, plain lines in CI)")
      ->check(CLI::IsMember({"auto", "plain", "none"}));
  build_cmd->add_option("--digest-file", project.digest_file, "Write the image's manifest digest to this file");
  build_cmd->add_flag("--no-cache", project.no_cache, "Build every layer again instead of reusing cached ones");
  build_cmd->add_option("--layers", project.layers,
                        "The most layers the image may have, the base image's included (default 100; mlpack.yaml `layers`)")
      ->type_name("N")
      ->check(CLI::Range(2, 127));
  build_cmd->add_option("--sbom", project.sbom, "SBOM to attach, written from the lock: spdx (default), cyclonedx, both or none")
      ->check(CLI::IsMember({"spdx", "cyclonedx", "both", "none"}));
  build_cmd->add_option("--sbom-file", project.sbom_file, "Write the SBOM to this file too");
  // Against decompression bombs: how far one package (wheel, .deb) may unpack.
  for (auto* cmd : {lock_cmd, build_cmd}) {
    cmd->add_option("--unpack-max-ratio", project.unpack_max_ratio,
                    "A package member may unpack to at most N times its compressed size (default 1000)")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--unpack-max-size", project.unpack_max_size,
                    "A package may unpack to at most BYTES in all (default 8 GiB)")
        ->type_name("BYTES")
        ->check(CLI::PositiveNumber);
  }

  std::string ref;
  auto* inspect_cmd = app.add_subcommand("inspect", "Show an image's digest, config and layers");
  inspect_cmd->add_option("REF", ref, "Image location")->required();
  inspect_cmd->add_option("--platform", g.platform, "Platform to pick from an index (default linux/amd64)");
  inspect_cmd->add_flag("--json", json, "Print one JSON document");

  std::string gpu_ref;
  std::string gpu_driver;
  auto* check_gpu_cmd = app.add_subcommand("check-gpu", "Say whether an image's CUDA need fits a driver (exit 0 yes, 1 no)");
  check_gpu_cmd->add_option("REF", gpu_ref, "Image location")->required();
  check_gpu_cmd->add_option("--driver", gpu_driver, "NVIDIA driver version to check (default: the local nvidia-smi's)");
  check_gpu_cmd->add_option("--platform", g.platform, "Platform to pick from an index (default linux/amd64)");
  check_gpu_cmd->add_flag("--json", json, "Print one JSON document");

  std::string sbom_ref;
  std::string sbom_format = "spdx";
  auto* sbom_cmd = app.add_subcommand("sbom", "Print the SBOM attached to an image (exit 1 when it has none)");
  sbom_cmd->add_option("REF", sbom_ref, "Image location")->required();
  sbom_cmd->add_option("--format", sbom_format, "spdx (default) or cyclonedx")->check(CLI::IsMember({"spdx", "cyclonedx"}));
  sbom_cmd->add_option("--platform", g.platform, "Platform to pick from an index (default linux/amd64)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    for (int i = 1; i < argc; ++i)
      if (std::string_view(argv[i]) == "--json") {
        // A failure in JSON mode is still exactly one document on stdout.
        Output json_out;
        json_out.json = true;
        return json_out.error(mlpack::util::Error{mlpack::util::ErrorKind::invalid_input, e.what()});
      }
    fmt::print(stderr, "error: {}\nhint: see `mlpack --help`\n", e.what());
    return 2;
  }
  g.out.json = json;
  g.color = color;
  g.cache_dir = cache_dir.empty() ? default_cache_dir(g.env) : cache_dir;

  if (version->parsed()) return run_version(g);
  for (auto& [name, values] : flag_values)
    if (!values.empty()) project.buildpack_flags.values[name] = values;
  for (auto& [name, value] : single_values)
    if (!value.empty()) project.buildpack_flags.values[name] = {value};
  for (const auto& [name, on] : switches)
    if (on) project.buildpack_flags.values[name] = {""};
  if (detect_cmd->parsed()) return run_detect(detect_dir, project.buildpack_flags, g);
  if (lock_cmd->parsed()) return run_lock(project, g);
  if (build_cmd->parsed()) return run_build(project, g);
  if (append_cmd->parsed()) return run_append(append, g);
  if (push_cmd->parsed()) {
    push.all_platforms = platform_opt->count() == 0;
    return run_push(push, g);
  }
  if (inspect_cmd->parsed()) return run_inspect(ref, g);
  if (sbom_cmd->parsed()) return run_sbom(sbom_ref, sbom_format, g);
  if (check_gpu_cmd->parsed())
    return run_check_gpu(gpu_ref, gpu_driver.empty() ? std::nullopt : std::optional<std::string>(gpu_driver), g);
  return 2;
}
