#pragma once
// A fake index server below net::HttpClient: pages and files by path, with real Range handling
// (or none, or 416, as a test asks), ETag revalidation, and credentials checks.
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "net/fakes.hpp"
#include "util/text.hpp"

namespace mlpack::test {

enum class RangeMode { honour, ignore, refuse };

struct FakeResource {
  std::string body;
  std::string content_type = "application/octet-stream";
  std::optional<std::string> etag;
  int status = 200;
};

struct FakeIndex {
  std::shared_ptr<FakeHttp> http = std::make_shared<FakeHttp>();
  std::map<std::string, FakeResource> resources;  // by path
  RangeMode ranges = RangeMode::honour;
  std::optional<std::string> required_auth;       // an Authorization value every request must carry
  bool down = false;

  FakeIndex() {
    http->handler = [this](const Seen& s) { return answer(s); };
  }

  void page(const std::string& path, std::string body, std::string type = "text/html") {
    resources[path] = {std::move(body), std::move(type), std::nullopt, 200};
  }
  void file(const std::string& path, std::string body) { resources[path] = {std::move(body)}; }

  util::Result<net::Response> answer(const Seen& s) {
    if (down) return util::fail(util::ErrorKind::network, "Could not connect to server");
    if (required_auth && s.headers.get("Authorization") != required_auth) return respond(401);
    auto it = resources.find(s.path());
    if (it == resources.end()) return respond(404, {}, "not here");
    const auto& r = it->second;
    if (r.status != 200) return respond(r.status, {}, "error page");
    if (r.etag && s.headers.get("If-None-Match") == r.etag) return respond(304);
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", r.content_type}};
    if (r.etag) headers.emplace_back("ETag", *r.etag);
    auto range = s.headers.get("Range");
    if (!range || ranges == RangeMode::ignore) return respond(200, headers, r.body);
    if (ranges == RangeMode::refuse) return respond(416);
    // "bytes=-N" or "bytes=A-B"
    auto spec = range->substr(6);
    std::uint64_t size = r.body.size(), first = 0, last = 0;
    auto dash = spec.find('-');
    if (dash == 0) {
      std::uint64_t n = std::stoull(spec.substr(1));
      first = n >= size ? 0 : size - n;
      last = size - 1;
    } else {
      first = std::stoull(spec.substr(0, dash));
      last = std::min<std::uint64_t>(std::stoull(spec.substr(dash + 1)), size - 1);
      if (first >= size) return respond(416);
    }
    headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                              std::to_string(size));
    return respond(206, headers, r.body.substr(first, last - first + 1));
  }
};

}  // namespace mlpack::test
