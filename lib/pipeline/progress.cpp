#include "pipeline/progress.hpp"

namespace mlpack::pipeline {

std::string_view step_name(Step step) {
  switch (step) {
    case Step::detect: return "detect";
    case Step::plan: return "plan";
    case Step::lock: return "lock";
    case Step::fetch: return "fetch";
    case Step::assemble: return "assemble";
    case Step::output: return "output";
  }
  return "?";
}

Reporter& silent_reporter() {
  static Reporter silent;
  return silent;
}

}  // namespace mlpack::pipeline
