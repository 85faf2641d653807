#pragma once
// What the layer benchmarks share: wall and CPU timers, a fatal error, and their command line
// (`[--compression none|gzip|zstd] [--runs N] [--out FILE] INPUT...`). Benchmarks only.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "util/error.hpp"

namespace mlpack::bench {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU seconds (user + system) of the whole process, all threads, or of the calling thread.
inline double cpu_seconds(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

[[noreturn]] inline void die(const std::string& what, const util::Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.message.c_str());
  std::exit(1);
}

struct LayerArgs {
  archive::Compression compression = archive::Compression::gzip;
  int runs = 1;
  std::filesystem::path out = "layer.tar.gz";
  std::vector<std::filesystem::path> inputs;
};

// Reads argv[first..argc).
inline LayerArgs parse_layer_args(int argc, char** argv, int first) {
  LayerArgs args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--compression" && i + 1 < argc) {
      std::string c = argv[++i];
      args.compression = c == "none"   ? archive::Compression::none
                         : c == "zstd" ? archive::Compression::zstd
                                       : archive::Compression::gzip;
    } else if (a == "--runs" && i + 1 < argc) {
      args.runs = std::atoi(argv[++i]);
    } else if (a == "--out" && i + 1 < argc) {
      args.out = argv[++i];
    } else {
      args.inputs.emplace_back(a);
    }
  }
  return args;
}

}  // namespace mlpack::bench
