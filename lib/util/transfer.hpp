#pragma once
// Watching downloads as their bytes arrive, for progress bars. Library code that downloads takes an
// optional TransferObserver*; nullptr means nobody is watching. Calls come from worker threads, in
// parallel for different transfers; implementations synchronise themselves. Every started() is
// followed by exactly one finished() for the same `id`, whatever happens.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/io.hpp"

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

// One watched transfer: started() when made, finished() when destroyed (ok only after
// succeeded()). With a null observer every call does nothing, so callers need no branches.
class WatchedTransfer {
 public:
  WatchedTransfer(TransferObserver* observer, std::string id, std::string_view name, std::uint64_t total)
      : observer_(observer), id_(std::move(id)) {
    if (observer_) observer_->started(id_, name, total);
  }
  ~WatchedTransfer() {
    if (observer_) observer_->finished(id_, ok_);
  }
  WatchedTransfer(const WatchedTransfer&) = delete;
  WatchedTransfer& operator=(const WatchedTransfer&) = delete;

  void progressed(std::uint64_t bytes) {
    if (observer_ && bytes) observer_->progressed(id_, bytes);
  }
  void restarted() {
    if (observer_) observer_->restarted(id_);
  }
  void succeeded() { ok_ = true; }

 private:
  TransferObserver* observer_;
  std::string id_;
  bool ok_ = false;
};

// A Writer that passes bytes on to `inner` and counts those it accepted for `transfer`.
class WatchedWriter final : public Writer {
 public:
  WatchedWriter(Writer& inner, WatchedTransfer& transfer) : inner_(inner), transfer_(transfer) {}
  Result<void> write(Bytes data) override {
    auto r = inner_.write(data);
    if (r) transfer_.progressed(data.size());
    return r;
  }

 private:
  Writer& inner_;
  WatchedTransfer& transfer_;
};

}  // namespace mlpack::util
