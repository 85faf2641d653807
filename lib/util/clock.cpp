#include "util/clock.hpp"

#include <thread>

namespace mlpack::util {

namespace {
class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};
}  // namespace

Clock& system_clock() {
  static SystemClock clock;  // stateless, so not a mutable global
  return clock;
}

}  // namespace mlpack::util
