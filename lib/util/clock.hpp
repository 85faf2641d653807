#pragma once
// Time behind an interface so retry and token-expiry logic can be tested without sleeping.
#include <chrono>

namespace mlpack::util {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};

// The real clock.
Clock& system_clock();

}  // namespace mlpack::util
