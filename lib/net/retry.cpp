#include "net/retry.hpp"

#include <ctime>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::net {

using namespace std::chrono;
using util::ErrorKind;

bool is_retryable_status(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

namespace {
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form RFC 9110 requires senders to use.
std::optional<std::time_t> parse_http_date(std::string_view text) {
  std::string s = util::trim(text);
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return ::timegm(&tm);
}
}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value, std::optional<std::string_view> date_header) {
  std::string v = util::trim(value);
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") == std::string::npos) {
    if (v.size() > 9) return milliseconds(seconds(999'999'999));
    return duration_cast<milliseconds>(seconds(std::stoll(v)));
  }
  auto when = parse_http_date(v);
  if (!when) return std::nullopt;
  std::time_t now = std::time(nullptr);
  if (date_header)
    if (auto d = parse_http_date(*date_header)) now = *d;
  if (*when <= now) return milliseconds(0);
  return duration_cast<milliseconds>(seconds(*when - now));
}

milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  milliseconds d = policy.initial_backoff;
  for (int i = 1; i < attempt && d < policy.max_backoff; ++i) d *= 2;
  return std::min(d, policy.max_backoff);
}

namespace {
// Counts what reaches the sink so we know whether a retry must start it over.
class TrackingWriter final : public util::Writer {
 public:
  explicit TrackingWriter(util::Writer& inner) : inner_(inner) {}
  Result<void> write(util::Bytes data) override {
    written = written || !data.empty();
    return inner_.write(data);
  }
  bool written = false;

 private:
  util::Writer& inner_;
};
}  // namespace

Result<Response> send_with_retry(HttpClient& http, const Request& request, util::Writer* sink,
                                 const RetryOptions& options, util::Clock& clock) {
  const int max_attempts = std::max(1, options.policy.max_attempts);
  for (int attempt = 1;; ++attempt) {
    std::optional<TrackingWriter> tracker;
    if (sink) tracker.emplace(*sink);
    auto response = http.send(request, tracker ? &*tracker : nullptr);

    milliseconds wait = backoff_delay(options.policy, attempt);
    if (response) {
      response->attempts = attempt;
      if (!is_retryable_status(response->status) || attempt >= max_attempts) return response;
      if (auto ra = response->headers.get("Retry-After")) {
        auto date = response->headers.get("Date");
        if (auto d = parse_retry_after(*ra, date ? std::optional<std::string_view>(*date) : std::nullopt))
          wait = std::min(*d, options.policy.max_retry_after);
      }
    } else {
      // Only a failure to talk to the server is worth another try; our own reader's or sink's
      // errors (disk full, digest mismatch) would fail the same way again.
      bool retryable = response.error().kind == ErrorKind::network && !is_tls_failure(response.error()) &&
                       options.network == RetryNetworkErrors::yes && attempt < max_attempts;
      if (retryable && tracker && tracker->written) {
        if (!options.restart_sink) retryable = false;
        else TRY(options.restart_sink());
      }
      if (!retryable) {
        if (attempt > 1) {
          auto e = response.error();
          e.message += " (after " + std::to_string(attempt) + " attempts)";
          return std::unexpected(std::move(e));
        }
        return response;
      }
    }
    clock.sleep_for(wait);
  }
}

}  // namespace mlpack::net
