#pragma once
// What the pipeline tells whoever watches it. Library code never prints: the CLI implements this
// interface (a status line on a terminal, plain lines in CI, nothing with --progress none).
// Calls may come from worker threads; implementations synchronise themselves.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/transfer.hpp"

namespace mlpack::pipeline {

enum class Step { detect, plan, lock, fetch, assemble, output };
std::string_view step_name(Step step);

// Downloads are reported through the TransferObserver half: the pipeline hands the reporter to
// the buildpacks as their `transfers`.
class Reporter : public util::TransferObserver {
 public:
  ~Reporter() override = default;
  // A step starts or says what it decided: ("lock", "reusing mlpack.lock, 143 packages").
  virtual void step(Step, std::string_view /*detail*/) {}
  // A layer is ready: built now, or reused from the layer cache.
  virtual void layer(std::string_view /*contents*/, std::uint64_t /*size*/, bool /*reused*/) {}
  // A blob reached an output, or was already there.
  virtual void blob(std::string_view /*output*/, std::uint64_t /*size*/, bool /*skipped*/) {}
  // Something the user should know that does not stop the build (a 300 MB file in /app).
  virtual void warning(std::string_view /*message*/) {}
};

// The reporter that says nothing.
Reporter& silent_reporter();

}  // namespace mlpack::pipeline
