#pragma once
// Test doubles for the I/O boundary: an HttpClient driven by a handler function, and a clock
// that records sleeps instead of sleeping. Shared by the net and registry unit tests.
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "net/http.hpp"
#include "util/clock.hpp"

namespace mlpack::test {

// A request as the fake server saw it, body read in full.
struct Seen {
  std::string method;
  std::string url;
  net::Headers headers;
  std::string body;
  std::string path() const {
    auto p = net::parse_url(url);
    return p ? p->path_and_query : url;
  }
};

inline net::Response respond(int status, std::vector<std::pair<std::string, std::string>> headers = {},
                             std::string body = {}) {
  net::Response r;
  r.status = status;
  for (auto& [k, v] : headers) r.headers.add(k, v);
  r.body = std::move(body);
  return r;
}

inline util::Result<net::Response> dropped() {
  return util::fail(util::ErrorKind::network, "connection reset by peer");
}

class FakeHttp final : public net::HttpClient {
 public:
  // Sees each request (body included) and answers it. Called under a lock, so handlers need no
  // locking of their own.
  std::function<util::Result<net::Response>(const Seen&)> handler;
  // Reads the start of each body, then opens it again, as curl does when it resends a request
  // after finding a reused connection dead.
  bool rewind_bodies = false;

  util::Result<net::Response> send(const net::Request& request, util::Writer* sink) override {
    Seen seen{request.method, request.url, request.headers, {}};
    if (request.body) {
      // Read as curl would, so verifying readers run and their errors surface the same way.
      auto reader = request.body->reader();
      if (!reader) return std::unexpected(reader.error());
      if (rewind_bodies) {
        std::byte first[10];
        if (auto n = (*reader)->read(first); !n) return std::unexpected(n.error());
        reader = request.body->reader();
        if (!reader) return std::unexpected(reader.error());
      }
      auto all = util::read_all(**reader, 1 << 30);
      if (!all) return std::unexpected(all.error());
      seen.body = std::move(*all);
    }
    std::lock_guard lock(mutex_);
    log.push_back(seen);
    auto resp = handler(seen);
    // Like the curl client, network errors name the request.
    if (!resp && resp.error().kind == util::ErrorKind::network && !resp.error().message.starts_with(request.method + " "))
      return std::unexpected(resp.error().context(request.method + " " + net::display_url(request.url)));
    if (!resp) return resp;
    resp->url = request.url;
    if (request.method == "HEAD") resp->body.clear();
    if (sink && resp->ok()) {
      if (auto w = sink->write(util::as_bytes(resp->body)); !w) return std::unexpected(w.error());
      resp->body.clear();
    }
    return resp;
  }

  std::vector<Seen> log;

  std::size_t count(std::string_view method, std::string_view path_part = "") const {
    std::size_t n = 0;
    for (const auto& s : log)
      if (s.method == method && s.url.find(path_part) != std::string::npos) ++n;
    return n;
  }

 private:
  std::mutex mutex_;
};

class FakeClock final : public util::Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return now_; }
  void sleep_for(std::chrono::milliseconds d) override {
    sleeps.push_back(d);
    now_ += d;
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

}  // namespace mlpack::test
