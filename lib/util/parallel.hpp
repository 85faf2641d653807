#pragma once
// Bounded parallelism for independent work items (downloads, compression, uploads).
#include <cstddef>
#include <functional>
#include <vector>

#include "util/error.hpp"

namespace mlpack::util {

// Runs task(i) for i in [0, count) on at most `max_parallel` threads (the calling thread is one
// of them). Returns the first error by index, after all started tasks have finished; once a task
// fails, tasks not yet started are skipped.
Result<void> parallel_for(std::size_t count, std::size_t max_parallel,
                          const std::function<Result<void>(std::size_t)>& task);

// The number of hardware threads, at least 1.
std::size_t hardware_threads();

}  // namespace mlpack::util
