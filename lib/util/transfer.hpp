#pragma once
// Watching downloads as their bytes arrive, for progress bars. Library code that downloads takes an
// optional TransferObserver*; nullptr means nobody is watching. Calls come from worker threads, in
// parallel for different transfers; implementations synchronise themselves. Every started() is
// followed by exactly one finished() for the same `id`, whatever happens.
#include <cstdint>
#include <string_view>

namespace mlpack::util {

class TransferObserver {
 public:
  virtual ~TransferObserver() = default;
  // A download begins. `id` is unique among transfers in flight (the URL); `name` is what a person
  // reads (a file name); `total` is the expected size in bytes, 0 when unknown.
  virtual void started(std::string_view /*id*/, std::string_view /*name*/, std::uint64_t /*total*/) {}
  // `bytes` more arrived (not a running total). A retried transfer starts over from zero: it
  // calls restarted() first.
  virtual void progressed(std::string_view /*id*/, std::uint64_t /*bytes*/) {}
  virtual void restarted(std::string_view /*id*/) {}
  // The transfer ended, successfully or not.
  virtual void finished(std::string_view /*id*/, bool /*ok*/) {}
};

}  // namespace mlpack::util
