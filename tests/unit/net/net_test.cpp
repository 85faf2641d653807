#include <doctest/doctest.h>

#include <cstdlib>

#include "net/base64.hpp"
#include "net/curl_client.hpp"
#include "net/fakes.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace std::chrono_literals;
using test::FakeClock;
using test::FakeHttp;
using test::respond;
using test::Seen;

TEST_CASE("headers are looked up without regard to case") {
  net::Headers h;
  h.add("WWW-Authenticate", "Basic realm=x");
  h.add("www-authenticate", "Bearer realm=y");
  h.set("Content-Type", "a");
  h.set("content-type", "b");
  CHECK(h.get("www-AUTHENTICATE") == "Basic realm=x");
  CHECK(h.get_all("WWW-Authenticate").size() == 2);
  CHECK(h.get("Content-Type") == "b");
  CHECK(h.get_all("CONTENT-TYPE").size() == 1);
  CHECK_FALSE(h.get("Location"));
}

TEST_CASE("URLs: parts, resolution, display") {
  auto p = net::parse_url("https://user:pw@[::1]:5000/v2/x?y=1");
  REQUIRE(p);
  CHECK(p->scheme == "https");
  CHECK(p->host == "[::1]");
  CHECK(p->port == "5000");
  CHECK(p->authority() == "[::1]:5000");
  CHECK(p->path_and_query == "/v2/x?y=1");
  CHECK_FALSE(net::parse_url("/v2/"));
  CHECK_FALSE(net::parse_url("https://host:abc/"));

  CHECK(*net::resolve_url("https://r.io/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?_state=s") ==
        "https://r.io/v2/a/blobs/uploads/u1?_state=s");
  CHECK(*net::resolve_url("https://r.io/v2/x", "https://s3.example/b?sig=1") == "https://s3.example/b?sig=1");
  CHECK(*net::resolve_url("https://r.io:5000/v2/x", "//cdn.io/y") == "https://cdn.io/y");
  CHECK(*net::resolve_url("http://r.io/v2/a/b", "c") == "http://r.io/v2/a/c");

  CHECK(net::append_query("https://r/x", "digest", "d") == "https://r/x?digest=d");
  CHECK(net::append_query("https://r/x?a=1", "digest", "d") == "https://r/x?a=1&digest=d");
  CHECK(net::url_encode("sha256:ab/c d") == "sha256%3Aab%2Fc%20d");

  CHECK(net::display_url("https://bob:hunter2@r.io/v2/") == "https://***@r.io/v2/");
  CHECK(net::display_url("https://r.io/u?_state=" + std::string(200, 'x')) == "https://r.io/u?…");
}

TEST_CASE("plain http is allowed for loopback and listed hosts only") {
  CHECK(net::is_loopback_host("localhost"));
  CHECK(net::is_loopback_host("127.0.0.1"));
  CHECK(net::is_loopback_host("127.9.8.7"));
  CHECK(net::is_loopback_host("[::1]"));
  CHECK_FALSE(net::is_loopback_host("128.0.0.1"));
  CHECK_FALSE(net::is_loopback_host("127.0.0.1.evil.com"));
  CHECK_FALSE(net::is_loopback_host("localhost.evil.com"));

  auto url = [](const char* u) { return *net::parse_url(u); };
  CHECK(net::plain_http_allowed(url("http://127.0.0.1:5000/v2/"), {}));
  CHECK_FALSE(net::plain_http_allowed(url("http://reg.lan:5000/v2/"), {}));
  CHECK(net::plain_http_allowed(url("http://reg.lan:5000/v2/"), {"reg.lan:5000"}));
  CHECK(net::plain_http_allowed(url("http://reg.lan:5000/v2/"), {"reg.lan"}));
  CHECK_FALSE(net::plain_http_allowed(url("http://reg.lan:5000/v2/"), {"other.lan"}));
}

TEST_CASE("the curl client refuses plain http to a host not allowed it, without connecting") {
  auto http = net::make_curl_client({});
  net::Request req;
  req.url = "http://registry.invalid:5000/v2/";
  auto r = http->send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message.find("plain http") != std::string::npos);
}

TEST_CASE("extra CA certificates: the options' ca_file and the host's certs.d folders, never $SSL_CERT_FILE") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  const auto root = dir->path();
  REQUIRE(util::write_file_atomic(root / "given.pem", "GIVEN-CA\n"));
  REQUIRE(util::write_file_atomic(root / "env.pem", "ENV-CA\n"));
  REQUIRE(util::make_dirs(root / "certs.d" / "reg.lan:5000"));
  REQUIRE(util::make_dirs(root / "certs.d" / "other.lan"));
  REQUIRE(util::write_file_atomic(root / "certs.d" / "reg.lan:5000" / "ca.crt", "HOST-CA\n"));
  REQUIRE(util::write_file_atomic(root / "certs.d" / "other.lan" / "ca.crt", "OTHER-CA\n"));
  ::setenv("SSL_CERT_FILE", (root / "env.pem").c_str(), 1);

  net::CurlOptions options;
  options.certs_dirs = {root / "certs.d"};
  auto url = *net::parse_url("https://reg.lan:5000/v2/");
  auto pem = net::extra_ca_certificates(options, url);
  CHECK(pem.find("HOST-CA") != std::string::npos);
  CHECK(pem.find("ENV-CA") == std::string::npos);
  CHECK(pem.find("OTHER-CA") == std::string::npos);

  options.ca_file = root / "given.pem";
  pem = net::extra_ca_certificates(options, url);
  CHECK(pem.find("GIVEN-CA") != std::string::npos);
  CHECK(pem.find("HOST-CA") != std::string::npos);
  CHECK(pem.find("ENV-CA") == std::string::npos);

  // Nothing given and no folder for the host: nothing beyond the system bundle.
  options.ca_file.clear();
  CHECK(net::extra_ca_certificates(options, *net::parse_url("https://elsewhere.lan/")).empty());
  ::unsetenv("SSL_CERT_FILE");
}

TEST_CASE("redirects drop Authorization when leaving the host") {
  net::Request req;
  req.url = "https://reg.io/v2/a/blobs/sha256:x";
  req.headers.set("Authorization", "Bearer secret");
  auto to = [&](int status, const std::string& location) {
    auto next = net::redirect_request(req, respond(status, {{"Location", location}}));
    REQUIRE(next);
    REQUIRE(*next);
    return **next;
  };
  auto same = to(307, "/v2/b/blobs/sha256:x");
  CHECK(same.url == "https://reg.io/v2/b/blobs/sha256:x");
  CHECK(same.headers.get("Authorization") == "Bearer secret");
  auto other = to(302, "https://storage.example/blob?sig=abc");
  CHECK(other.url == "https://storage.example/blob?sig=abc");
  CHECK_FALSE(other.headers.has("Authorization"));
  CHECK_FALSE(to(301, "http://reg.io/v2/b").headers.has("Authorization"));  // https -> http
  CHECK_FALSE(to(307, "https://reg.io:444/x").headers.has("Authorization"));

  req.method = "POST";
  req.body = net::Body::from_string("x");
  auto see_other = to(303, "/done");
  CHECK(see_other.method == "GET");
  CHECK_FALSE(see_other.body);
  CHECK(to(307, "/again").method == "POST");

  auto not_redirect = net::redirect_request(req, respond(200));
  REQUIRE(not_redirect);
  CHECK_FALSE(*not_redirect);
}

TEST_CASE("Retry-After: seconds and HTTP dates") {
  CHECK(net::parse_retry_after("7") == 7000ms);
  CHECK(net::parse_retry_after(" 0 ") == 0ms);
  CHECK(net::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", std::string_view("Wed, 21 Oct 2015 07:28:00 GMT")) ==
        30000ms);
  CHECK(net::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", std::string_view("Wed, 21 Oct 2015 07:29:00 GMT")) ==
        0ms);
  CHECK_FALSE(net::parse_retry_after("soon"));
  CHECK_FALSE(net::parse_retry_after(""));
}

TEST_CASE("backoff doubles up to the cap") {
  net::RetryPolicy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 500ms;
  CHECK(net::backoff_delay(p, 1) == 100ms);
  CHECK(net::backoff_delay(p, 2) == 200ms);
  CHECK(net::backoff_delay(p, 3) == 400ms);
  CHECK(net::backoff_delay(p, 4) == 500ms);
  CHECK(net::backoff_delay(p, 40) == 500ms);
}

namespace {
net::Request get(const std::string& url) {
  net::Request r;
  r.url = url;
  return r;
}
}  // namespace

TEST_CASE("retry: 500 twice, then success") {
  FakeHttp http;
  int calls = 0;
  http.handler = [&](const Seen&) { return ++calls <= 2 ? respond(500) : respond(201); };
  FakeClock clock;
  net::RetryOptions opts;
  opts.policy.initial_backoff = 100ms;
  auto r = net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock);
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->attempts == 3);
  CHECK(clock.sleeps == std::vector{100ms, 200ms});
}

TEST_CASE("retry: 429 waits as long as Retry-After says, up to the limit") {
  FakeHttp http;
  std::string retry_after = "7";
  int calls = 0;
  http.handler = [&](const Seen&) { return ++calls == 1 ? respond(429, {{"Retry-After", retry_after}}) : respond(200); };
  FakeClock clock;
  net::RetryOptions opts;
  REQUIRE(net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock));
  CHECK(clock.sleeps == std::vector{7000ms});

  calls = 0;
  clock.sleeps.clear();
  retry_after = "86400";
  opts.policy.max_retry_after = 30s;
  REQUIRE(net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock));
  CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>{30s});
}

TEST_CASE("retry: gives up after max_attempts and returns the last answer") {
  FakeHttp http;
  http.handler = [&](const Seen&) { return respond(503); };
  FakeClock clock;
  net::RetryOptions opts;
  opts.policy.max_attempts = 4;
  opts.policy.initial_backoff = 1s;
  opts.policy.max_backoff = 3s;
  auto r = net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->attempts == 4);
  CHECK(http.log.size() == 4);
  CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>{1s, 2s, 3s});  // capped
}

TEST_CASE("retry: client errors are not retried") {
  FakeHttp http;
  http.handler = [&](const Seen&) { return respond(404); };
  FakeClock clock;
  auto r = net::send_with_retry(http, get("https://r/x"), nullptr, {}, clock);
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(http.log.size() == 1);
  CHECK(clock.sleeps.empty());
}

TEST_CASE("retry: dropped connections are retried, and the error names the tries when they run out") {
  FakeHttp http;
  int calls = 0;
  http.handler = [&](const Seen&) { return ++calls < 3 ? test::dropped() : respond(200); };
  FakeClock clock;
  REQUIRE(net::send_with_retry(http, get("https://r/x"), nullptr, {}, clock));
  CHECK(calls == 3);

  http.handler = [&](const Seen&) { return test::dropped(); };
  net::RetryOptions opts;
  opts.policy.max_attempts = 3;
  auto r = net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::network);
  CHECK(r.error().message.find("after 3 attempts") != std::string::npos);

  // A request whose body may have been half-applied is left to the caller.
  calls = 0;
  http.handler = [&](const Seen&) { return ++calls < 2 ? test::dropped() : respond(200); };
  opts.network = net::RetryNetworkErrors::no;
  CHECK_FALSE(net::send_with_retry(http, get("https://r/x"), nullptr, opts, clock));
  CHECK(calls == 1);
}

TEST_CASE("retry: TLS failures are final") {
  FakeHttp http;
  http.handler = [&](const Seen&) {
    return util::fail(util::ErrorKind::network, "GET https://r/: TLS: SSL certificate problem: self-signed certificate");
  };
  FakeClock clock;
  CHECK_FALSE(net::send_with_retry(http, get("https://r/x"), nullptr, {}, clock));
  CHECK(http.log.size() == 1);
}

namespace {
// Writes some bytes, then fails like a connection dropped mid-download.
class HalfThenDrop final : public net::HttpClient {
 public:
  int calls = 0;
  util::Result<net::Response> send(const net::Request&, util::Writer* sink) override {
    ++calls;
    (void)sink->write(util::as_bytes("partial"));
    if (calls == 1) return test::dropped();
    (void)sink->write(util::as_bytes("+rest"));
    return respond(200);
  }
};
}  // namespace

TEST_CASE("retry: a download that dropped part-way is retried only if the sink can start over") {
  FakeClock clock;
  {
    HalfThenDrop http;
    util::StringWriter sink;
    auto r = net::send_with_retry(http, get("https://r/x"), &sink, {}, clock);
    CHECK_FALSE(r);
    CHECK(http.calls == 1);
  }
  {
    HalfThenDrop http;
    util::StringWriter sink;
    net::RetryOptions opts;
    opts.restart_sink = [&]() -> util::Result<void> {
      sink.out.clear();
      return {};
    };
    auto r = net::send_with_retry(http, get("https://r/x"), &sink, opts, clock);
    REQUIRE(r);
    CHECK(sink.out == "partial+rest");
  }
}

TEST_CASE("base64 round trips") {
  for (std::string s : {"", "a", "ab", "abc", "alice:s3cret", "\xff\x00\x10"}) {
    CAPTURE(s);
    CHECK(*net::base64_decode(net::base64_encode(s)) == s);
  }
  CHECK(net::base64_encode("alice:s3cret") == "YWxpY2U6czNjcmV0");
  CHECK_FALSE(net::base64_decode("a*b"));
  CHECK(net::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}
