#include "util/parallel.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace mlpack::util {

std::size_t hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Result<void> parallel_for(std::size_t count, std::size_t max_parallel,
                          const std::function<Result<void>(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::optional<std::pair<std::size_t, Error>> first_error;

  auto worker = [&] {
    for (;;) {
      if (failed.load()) return;
      std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      auto r = task(i);
      if (!r) {
        std::lock_guard lock(mu);
        failed = true;
        if (!first_error || i < first_error->first) first_error.emplace(i, r.error());
      }
    }
  };
  std::size_t threads = std::max<std::size_t>(1, std::min(max_parallel, count));
  std::vector<std::jthread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();
  if (first_error) return std::unexpected(first_error->second);
  return {};
}

}  // namespace mlpack::util
