#pragma once
// Retrying requests that failed for reasons that may pass: 429, 500/502/503/504, dropped
// connections and timeouts. Waits grow exponentially up to a cap, honour Retry-After, and go
// through util::Clock so tests never sleep.
#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "net/http.hpp"
#include "util/clock.hpp"

namespace mlpack::net {

struct RetryPolicy {
  int max_attempts = 5;  // tries in all, the first included; 1 means no retry
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{10'000};  // cap on one computed wait
  // A server's Retry-After is honoured up to this long; a longer one is cut to it.
  std::chrono::milliseconds max_retry_after{60'000};
};

// Whether a network error may be retried by sending the request again. A request whose body
// may already have been partly applied (a PATCH or PUT of upload data) should say `no` and let
// the caller restart or resume at a higher level.
enum class RetryNetworkErrors { yes, no };

bool is_retryable_status(int status);

// The wait a Retry-After value asks for: delta-seconds, or an HTTP-date measured against
// `date_header` (the response's Date) when present, else against the system's wall clock.
// nullopt when the value cannot be parsed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::optional<std::string_view> date_header = {});

// The wait before try number `attempt + 1` (attempt counts from 1) without Retry-After.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

struct RetryOptions {
  RetryPolicy policy;
  RetryNetworkErrors network = RetryNetworkErrors::yes;
  // Called before a retry when bytes already went to the sink, to start the sink over. Without
  // it, a download that failed part-way is not retried.
  std::function<Result<void>()> restart_sink;
};

// Sends `request`, retrying as the policy says. Returns the last response once it is not
// retryable or the tries run out (Response::attempts says how many were made), or the last
// network error with the number of tries appended to its message.
Result<Response> send_with_retry(HttpClient& http, const Request& request, util::Writer* sink,
                                 const RetryOptions& options, util::Clock& clock);

}  // namespace mlpack::net
