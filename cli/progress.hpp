#pragma once
// Build progress for people and for CI logs. On a terminal: one status line rewritten in place
// (a download bar with bytes, rate and files while packages are fetched; a bar of blobs with
// bytes and rate while an output is written) with finished layers printed above it. Without a terminal, with CI=true, or
// with --progress plain: one plain line per event (each finished download with its size and rate).
// Both end a burst of downloads with a total: files, bytes, time and rate.
// --progress none (and --json, --quiet) print nothing but warnings.
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "pipeline/progress.hpp"
#include "util/environment.hpp"

namespace mlpack::cli {

enum class ProgressMode { tty, plain, none };

// `flag` is auto|plain|none; auto is tty when stderr is a terminal and CI in `env` is not
// "true"/"1".
ProgressMode progress_mode(const std::string& flag, bool json, bool quiet, const util::Environment& env);

// --color auto|always|never; auto: colour on a terminal unless NO_COLOR is set (non-empty) in
// `env`.
bool use_color(const std::string& flag, const util::Environment& env);

// "12.3 MB", "512 B": decimal units as registries and docker show sizes.
std::string human_bytes(std::uint64_t bytes);

class ConsoleReporter final : public pipeline::Reporter {
 public:
  // `quiet` (-q) hides warnings too.
  // `out` is where everything goes (stderr; tests pass a file); `width` the terminal's columns,
  // 0 to ask the terminal.
  ConsoleReporter(ProgressMode mode, bool color, bool quiet, std::FILE* out = stderr, int width = 0);
  ~ConsoleReporter() override;

  void step(pipeline::Step step, std::string_view detail) override;
  void layer(std::string_view contents, std::uint64_t size, bool reused) override;
  void blob(std::string_view output, std::uint64_t size, bool skipped) override;
  void warning(std::string_view message) override;

  void started(std::string_view id, std::string_view name, std::uint64_t total) override;
  void progressed(std::string_view id, std::uint64_t bytes) override;
  void restarted(std::string_view id) override;
  void finished(std::string_view id, bool ok) override;

  // Clears the status line (before the summary or an error is printed).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  struct Transfer {
    std::string name;
    std::uint64_t total = 0, got = 0;
    Clock::time_point start;
  };

  void status(const std::string& text);  // mutex held
  void line(const std::string& text);    // mutex held
  void draw_fetch(bool force);           // mutex held: the download bar (tty only)
  void end_fetch();                      // mutex held: the total line, once a burst is over

  ProgressMode mode_;
  bool color_;
  bool quiet_;
  std::FILE* out_;
  int width_;
  std::mutex mu_;
  // Downloads: those in flight, and the burst they belong to (since the last total line).
  std::map<std::string, Transfer, std::less<>> transfers_;
  std::size_t fetched_files_ = 0, failed_files_ = 0;
  std::uint64_t fetched_bytes_ = 0, fetch_expected_ = 0;
  Clock::time_point fetch_start_, fetch_end_, last_draw_;
  bool status_shown_ = false;
  std::string current_step_;
  std::chrono::steady_clock::time_point output_start_;
  std::uint64_t bytes_ = 0;
  std::size_t blobs_ = 0;
  std::size_t skipped_ = 0;
  std::size_t layers_ = 0;  // layers reported: each output gets them and the config
};

}  // namespace mlpack::cli
