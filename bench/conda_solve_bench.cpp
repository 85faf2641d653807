// conda solve benchmark (issue 11, item 8): repodata parse throughput and the solve time of torch
// environments over the real pytorch linux-64 repodata plus a generated conda-forge-like channel
// (bench/make_conda_channel.py). Prints `key value` lines that bench/conda_solve_bench.sh reads.
//
// usage: conda_solve_bench PYTORCH_LINUX64 CF_LINUX64 CF_NOARCH [RUNS [warm]]
//   `warm` measures warm solves only (for a profiler: perf record -g … 200 warm).
//
// cold: parse_repodata of the three files (already in memory) + solve; warm: solve only, over
// repodata parsed before. Each figure is the best of RUNS (the median is printed too).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conda/repodata.hpp"
#include "condaresolve/solve.hpp"

using namespace mlpack;
using Clock = std::chrono::steady_clock;

namespace {

std::string read(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Figures {
  double best = 1e300;
  std::vector<double> all;
  void add(double v) {
    best = std::min(best, v);
    all.push_back(v);
  }
  double median() {
    std::sort(all.begin(), all.end());
    return all.empty() ? 0 : all[all.size() / 2];
  }
};

struct Files {
  std::string pytorch, cf, cf_noarch;
};

struct Parsed {
  conda::Repodata pytorch, cf, cf_noarch;
};

Parsed parse(const Files& f) {
  auto a = conda::parse_repodata(f.pytorch, "https://conda.anaconda.org/pytorch", "pytorch/linux-64/repodata.json");
  auto b = conda::parse_repodata(f.cf, "https://conda.anaconda.org/conda-forge", "conda-forge/linux-64/repodata.json");
  auto c =
      conda::parse_repodata(f.cf_noarch, "https://conda.anaconda.org/conda-forge", "conda-forge/noarch/repodata.json");
  for (const auto* r : {&a, &b, &c})
    if (!*r) {
      std::fprintf(stderr, "%s\n", r->error().message.c_str());
      std::exit(1);
    }
  return {std::move(*a), std::move(*b), std::move(*c)};
}

struct Env {
  const char* name;
  std::vector<const char*> specs;
  std::optional<std::string> cuda;
};

condaresolve::Request request_for(const Parsed& p, const Env& env) {
  condaresolve::Request r;
  r.channels = {{"pytorch", {&p.pytorch}}, {"conda-forge", {&p.cf, &p.cf_noarch}}};
  for (const char* s : env.specs) {
    auto spec = conda::MatchSpec::parse(s);
    if (!spec) {
      std::fprintf(stderr, "%s\n", spec.error().message.c_str());
      std::exit(2);
    }
    r.specs.push_back({*spec, "bench", s});
  }
  r.virtual_packages = *condaresolve::target_virtual_packages("amd64", "2.36", env.cuda);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PYTORCH_LINUX64 CF_LINUX64 CF_NOARCH [RUNS]\n", argv[0]);
    return 2;
  }
  int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 10;
  bool warm_only = argc > 5 && std::string(argv[5]) == "warm";
  Files files{read(argv[1]), read(argv[2]), read(argv[3])};

  // Parse throughput, per file.
  struct Input {
    const char* key;
    const std::string* json;
  };
  for (auto [key, json] : {Input{"pytorch", &files.pytorch}, Input{"generated", &files.cf}}) {
    if (warm_only) break;
    Figures f;
    std::size_t records = 0;
    for (int i = 0; i < runs; ++i) {
      auto t = Clock::now();
      auto rd = conda::parse_repodata(*json, "https://conda.anaconda.org/x", "repodata.json");
      f.add(ms_since(t));
      if (!rd) {
        std::fprintf(stderr, "%s\n", rd.error().message.c_str());
        return 1;
      }
      records = rd->packages.size();
    }
    double mb = static_cast<double>(json->size()) / 1e6;
    std::printf("parse_%s_bytes %zu\nparse_%s_records %zu\nparse_%s_ms %.3f\nparse_%s_mb_per_s %.1f\n", key,
                json->size(), key, records, key, f.best, key, mb / (f.best / 1000));
  }

  const std::vector<Env> envs = {
      {"cpu",
       {"python 3.11.*", "pytorch 2.1.*", "torchvision", "torchaudio", "cpuonly", "numpy", "pillow", "requests", "tqdm",
        "scipy"},
       std::nullopt},
      {"cuda", {"python 3.11.*", "pytorch 2.1.*", "torchvision", "torchaudio", "pytorch-cuda 12.1.*", "numpy"}, "12.4"},
  };
  Parsed parsed = parse(files);
  for (const auto& env : envs) {
    Figures cold, warm;
    std::size_t size = 0;
    resolve::SolveStats stats;
    std::vector<std::string> listing;
    for (int i = 0; i < (warm_only ? 0 : runs); ++i) {
      auto t = Clock::now();
      Parsed fresh = parse(files);
      auto r = request_for(fresh, env);
      auto s = condaresolve::solve(r);
      cold.add(ms_since(t));
      if (!s) {
        std::fprintf(stderr, "%s: %s\n", env.name, s.error().message.c_str());
        return 1;
      }
    }
    if (warm_only) cold.add(0);
    auto r = request_for(parsed, env);
    for (int i = 0; i < runs; ++i) {
      auto t = Clock::now();
      auto s = condaresolve::solve(r);
      warm.add(ms_since(t));
      size = s->packages.size();
      stats = s->stats;
      if (listing.empty())
        for (const auto& p : s->packages) listing.push_back(p.name + "=" + p.version + "=" + p.build);
    }
    std::printf(
        "env_%s_packages %zu\nenv_%s_cold_ms %.3f\nenv_%s_cold_median_ms %.3f\nenv_%s_warm_ms %.3f\n"
        "env_%s_warm_median_ms %.3f\nenv_%s_solvables %zu\nenv_%s_clauses %zu\nenv_%s_decisions %zu\n"
        "env_%s_conflicts %zu\n",
        env.name, size, env.name, cold.best, env.name, cold.median(), env.name, warm.best, env.name, warm.median(),
        env.name, stats.solvables, env.name, stats.clauses, env.name, stats.decisions, env.name, stats.conflicts);
    std::string joined;
    for (const auto& l : listing) joined += (joined.empty() ? "" : " ") + l;
    std::printf("env_%s_solution %s\n", env.name, joined.c_str());
  }
  return 0;
}
