#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/core.h>

namespace mlpack::cli {

namespace {

bool env_true(const util::Environment& env, std::string_view name) {
  auto v = env.get(name);
  return v && (*v == "true" || *v == "1" || *v == "TRUE" || *v == "True");
}

}  // namespace

ProgressMode progress_mode(const std::string& flag, bool json, bool quiet, const util::Environment& env) {
  if (json || quiet || flag == "none") return ProgressMode::none;
  if (flag == "plain") return ProgressMode::plain;
  return ::isatty(STDERR_FILENO) && !env_true(env, "CI") ? ProgressMode::tty : ProgressMode::plain;
}

bool use_color(const std::string& flag, const util::Environment& env) {
  if (flag == "always") return true;
  if (flag == "never") return false;
  if (env.non_empty("NO_COLOR")) return false;
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

namespace {

int terminal_width(std::FILE* out) {
  winsize ws{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

std::string rate_text(std::uint64_t bytes, double seconds) {
  return human_bytes(seconds > 0.001 ? static_cast<std::uint64_t>(static_cast<double>(bytes) / seconds) : bytes) + "/s";
}

// "[=======>      ]" with `cells` cells inside the brackets.
std::string bar(double fraction, int cells) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int full = static_cast<int>(fraction * cells);
  std::string b = "[" + std::string(static_cast<std::size_t>(full), '=');
  if (full < cells) b += '>' + std::string(static_cast<std::size_t>(cells - full - 1), ' ');
  return b + "]";
}

}  // namespace

ConsoleReporter::ConsoleReporter(ProgressMode mode, bool color, bool quiet, std::FILE* out, int width)
    : mode_(mode), color_(color), quiet_(quiet), out_(out), width_(width) {
  if (mode_ == ProgressMode::tty && width_ <= 0) width_ = terminal_width(out_);
}

ConsoleReporter::~ConsoleReporter() { finish(); }

void ConsoleReporter::status(const std::string& text) {
  if (mode_ != ProgressMode::tty) return;
  // One line, never wrapped: a wrapped status line could not be rewritten in place.
  auto width = static_cast<std::size_t>(width_ > 1 ? width_ - 1 : 79);
  fmt::print(out_, "\r\033[K{}", text.size() > width ? text.substr(0, width - 1) + "~" : text);
  std::fflush(out_);
  status_shown_ = true;
}

void ConsoleReporter::line(const std::string& text) {
  if (status_shown_) fmt::print(out_, "\r\033[K");
  status_shown_ = false;
  fmt::print(out_, "{}\n", text);
}

void ConsoleReporter::step(pipeline::Step step, std::string_view detail) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  end_fetch();
  std::string name(pipeline::step_name(step));
  if (step == pipeline::Step::output) {
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
  end_fetch();
  ++layers_;
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
  // Each output gets every layer reported so far plus the config; a registry base's own layers
  // are reported as blobs only, so the count grows to whatever was seen.
  std::size_t expected = std::max(layers_ + 1, blobs_ + skipped_);
  status(fmt::format("  output: {} {}/{} blobs, {} written ({}), {} there",
                     bar(double(blobs_ + skipped_) / double(expected), 16), blobs_ + skipped_, expected,
                     human_bytes(bytes_), rate_text(bytes_, secs), skipped_));
}

void ConsoleReporter::warning(std::string_view message) {
  if (quiet_) return;
  std::lock_guard lock(mu_);
  // Warnings are shown even with --progress none: they are not progress.
  if (status_shown_) fmt::print(out_, "\r\033[K");
  status_shown_ = false;
  fmt::print(out_, "{}warning:{} {}\n", color_ ? "\033[33m" : "", color_ ? "\033[0m" : "", message);
}

void ConsoleReporter::started(std::string_view id, std::string_view name, std::uint64_t total) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  if (transfers_.empty() && fetched_files_ == 0 && failed_files_ == 0) fetch_start_ = now;
  transfers_.insert_or_assign(std::string(id), Transfer{std::string(name), total, 0, now});
  fetch_expected_ += total;
  draw_fetch(false);
}

void ConsoleReporter::progressed(std::string_view id, std::uint64_t bytes) {
  if (mode_ != ProgressMode::tty) return;  // plain lines only say what finished
  std::lock_guard lock(mu_);
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  it->second.got += bytes;
  draw_fetch(false);
}

void ConsoleReporter::restarted(std::string_view id) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  if (auto it = transfers_.find(id); it != transfers_.end()) it->second.got = 0;
}

void ConsoleReporter::finished(std::string_view id, bool ok) {
  if (mode_ == ProgressMode::none) return;
  std::lock_guard lock(mu_);
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer t = std::move(it->second);
  transfers_.erase(it);
  fetch_end_ = Clock::now();
  fetch_expected_ -= t.total;
  if (!ok) {
    ++failed_files_;  // the error (or the next mirror) says the rest
  } else {
    // A transfer whose bytes were not watched (a plain line) counts as its expected size.
    std::uint64_t size = t.got ? t.got : t.total;
    ++fetched_files_;
    fetched_bytes_ += size;
    if (mode_ == ProgressMode::plain) {
      double secs = std::chrono::duration<double>(Clock::now() - t.start).count();
      line(fmt::format("   fetch: {} ({}, {})", t.name, human_bytes(size), rate_text(size, secs)));
    }
  }
  draw_fetch(true);
}

void ConsoleReporter::draw_fetch(bool force) {
  if (mode_ != ProgressMode::tty) return;
  auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::uint64_t got = fetched_bytes_, expected = fetched_bytes_ + fetch_expected_;
  std::string current;
  for (const auto& [id, t] : transfers_) {
    got += t.got;
    if (current.empty() || t.total > 0) current = t.name;  // name one that is moving
  }
  double secs = std::chrono::duration<double>(now - fetch_start_).count();
  std::string text = fmt::format("   fetch: {} {} of {}, {}, {}/{} files", bar(expected ? double(got) / double(expected) : 0, 16),
                                 human_bytes(got), human_bytes(expected), rate_text(got, secs), fetched_files_,
                                 fetched_files_ + transfers_.size());
  if (!current.empty()) text += "  " + current;
  status(text);
}

void ConsoleReporter::end_fetch() {
  if (!transfers_.empty() || (fetched_files_ == 0 && failed_files_ == 0)) return;
  double secs = std::chrono::duration<double>(fetch_end_ - fetch_start_).count();
  if (fetched_files_)
    line(fmt::format("   fetch: {} {} downloaded, {} in {:.1f}s ({})", fetched_files_, fetched_files_ == 1 ? "file" : "files",
                     human_bytes(fetched_bytes_), secs, rate_text(fetched_bytes_, secs)));
  fetched_files_ = failed_files_ = 0;
  fetched_bytes_ = fetch_expected_ = 0;
}

void ConsoleReporter::finish() {
  std::lock_guard lock(mu_);
  if (mode_ != ProgressMode::none) end_fetch();
  if (status_shown_) fmt::print(out_, "\r\033[K");
  status_shown_ = false;
}

}  // namespace mlpack::cli
