#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/core.h>

namespace mlpack::cli {

namespace {

bool env_true(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return false;
  std::string s(v);
  return s == "true" || s == "1" || s == "TRUE" || s == "True";
}

}  // namespace

ProgressMode progress_mode(const std::string& flag, bool json, bool quiet) {
  if (json || quiet || flag == "none") return ProgressMode::none;
  if (flag == "plain") return ProgressMode::plain;
  return ::isatty(STDERR_FILENO) && !env_true("CI") ? ProgressMode::tty : ProgressMode::plain;
}

bool use_color(const std::string& flag) {
  if (flag == "always") return true;
  if (flag == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return ::isatty(STDERR_FILENO);
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* units[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes) / 1000.0;
  int u = 0;
  while (v >= 1000.0 && u < 3) {
    v /= 1000.0;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

ConsoleReporter::ConsoleReporter(ProgressMode mode, bool color, bool quiet) : mode_(mode), color_(color), quiet_(quiet) {}

ConsoleReporter::~ConsoleReporter() { finish(); }

void ConsoleReporter::status(const std::string& text) {
  if (mode_ != ProgressMode::tty) return;
  fmt::print(stderr, "\r\033[K{}", text);
  std::fflush(stderr);
  status_shown_ = true;
}

void ConsoleReporter::line(const std::string& text) {
  if (status_shown_) fmt::print(stderr, "\r\033[K");
  status_shown_ = false;
  fmt::print(stderr, "{}\n", text);
}

void ConsoleReporter::step(build::Step step, std::string_view detail) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  std::string name(build::step_name(step));
  if (step == build::Step::output) {
    output_start_ = std::chrono::steady_clock::now();
    bytes_ = 0;
    blobs_ = skipped_ = 0;
  }
  current_step_ = name;
  std::string padded = fmt::format("{:>8}", name);
  line(fmt::format("{}: {}", color_ ? "\033[1m" + padded + "\033[0m" : padded, detail));
}

void ConsoleReporter::layer(std::string_view contents, std::uint64_t size, bool reused) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  std::string how = reused ? "reused" : "built";
  if (color_) how = (reused ? "\033[2m" : "\033[32m") + how + "\033[0m";
  line(fmt::format("   layer: {} ({}, {})", contents, human_bytes(size), how));
}

void ConsoleReporter::blob(std::string_view output, std::uint64_t size, bool skipped) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  if (skipped) ++skipped_;
  else {
    ++blobs_;
    bytes_ += size;
  }
  if (mode_ == ProgressMode::plain) {
    if (!skipped) line(fmt::format("    blob: {} to {}", human_bytes(size), output));
    return;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - output_start_).count();
  double rate = secs > 0 ? static_cast<double>(bytes_) / secs : 0;
  status(fmt::format("  output: {} blobs written ({}, {}/s), {} already there", blobs_, human_bytes(bytes_),
                     human_bytes(static_cast<std::uint64_t>(rate)), skipped_));
}

void ConsoleReporter::warning(std::string_view message) {
  if (quiet_) return;
  std::lock_guard lock(mu_);
  // Warnings are shown even with --progress none: they are not progress.
  if (status_shown_) fmt::print(stderr, "\r\033[K");
  status_shown_ = false;
  fmt::print(stderr, "{}warning:{} {}\n", color_ ? "\033[33m" : "", color_ ? "\033[0m" : "", message);
}

void ConsoleReporter::finish() {
  std::lock_guard lock(mu_);
  if (status_shown_) fmt::print(stderr, "\r\033[K");
  status_shown_ = false;
}

}  // namespace mlpack::cli
