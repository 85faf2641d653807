#pragma once
// Build progress for people and for CI logs. On a terminal: one status line rewritten in place
// (the current step, bytes and rate while blobs are written) with finished layers printed above
// it. Without a terminal, with CI=true, or with --progress plain: one plain line per event.
// --progress none (and --json, --quiet) print nothing but warnings.
#include <chrono>
#include <mutex>
#include <string>

#include "build/progress.hpp"

namespace mlpack::cli {

enum class ProgressMode { tty, plain, none };

// `flag` is auto|plain|none; auto is tty when stderr is a terminal and $CI is not "true"/"1".
ProgressMode progress_mode(const std::string& flag, bool json, bool quiet);

// --color auto|always|never; auto: colour on a terminal unless $NO_COLOR is set (non-empty).
bool use_color(const std::string& flag);

// "12.3 MB", "512 B": decimal units as registries and docker show sizes.
std::string human_bytes(std::uint64_t bytes);

class ConsoleReporter final : public build::Reporter {
 public:
  // `quiet` (-q) hides warnings too.
  ConsoleReporter(ProgressMode mode, bool color, bool quiet);
  ~ConsoleReporter() override;

  void step(build::Step step, std::string_view detail) override;
  void layer(std::string_view contents, std::uint64_t size, bool reused) override;
  void blob(std::string_view output, std::uint64_t size, bool skipped) override;
  void warning(std::string_view message) override;

  // Clears the status line (before the summary or an error is printed).
  void finish();

 private:
  void status(const std::string& text);  // mutex held
  void line(const std::string& text);    // mutex held

  ProgressMode mode_;
  bool color_;
  bool quiet_;
  std::mutex mu_;
  bool status_shown_ = false;
  std::string current_step_;
  std::chrono::steady_clock::time_point output_start_;
  std::uint64_t bytes_ = 0;
  std::size_t blobs_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace mlpack::cli
