#pragma once
// An in-memory registry behind FakeHttp: enough of the distribution API (ping, blobs, uploads,
// mounts, manifests) and of Basic and token auth to run the client against, with a hook to
// inject faults before a request is handled.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "net/base64.hpp"
#include "net/fakes.hpp"
#include "registry/credentials.hpp"
#include "util/digest.hpp"
#include "util/text.hpp"

namespace mlpack::test {

class FakeRegistry {
 public:
  enum class Auth { none, basic, bearer };

  static constexpr const char* host = "reg.example";
  static constexpr const char* realm = "https://auth.example/token";

  Auth auth = Auth::none;
  std::string user = "alice";
  std::string password = "s3cret";
  int token_lifetime_s = 300;

  std::map<std::string, std::map<std::string, std::string>> blobs;  // repo -> digest -> bytes
  std::map<std::string, std::pair<std::string, std::string>> manifests;  // "repo@ref" -> (type, bytes)
  std::map<std::string, std::string> uploads;  // uuid -> bytes so far
  std::set<std::string> tokens;                // valid bearer tokens
  std::vector<std::string> token_queries;      // what the token endpoint was asked

  // Called first for every request; an answer (or error) it returns replaces normal handling.
  std::function<std::optional<util::Result<net::Response>>(const Seen&)> fault;

  FakeHttp http;

  FakeRegistry() {
    http.handler = [this](const Seen& s) { return handle(s); };
  }

  void put_blob(const std::string& repo, const std::string& data) {
    blobs[repo][util::Digest::sha256_of(data).str()] = data;
  }

 private:
  int next_id_ = 0;

  static net::Response error(int status, const std::string& code, const std::string& message) {
    return respond(status, {{"Content-Type", "application/json"}},
                   R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})");
  }

  net::Response unauthorized() const {
    if (auth == Auth::basic) return respond(401, {{"WWW-Authenticate", R"(Basic realm="fake")"}});
    return respond(401, {{"WWW-Authenticate", std::string(R"(Bearer realm=")") + realm + R"(",service="reg.example")"}});
  }

  bool authorized(const Seen& s) const {
    auto a = s.headers.get("Authorization");
    switch (auth) {
      case Auth::none: return true;
      case Auth::basic: return a == "Basic " + net::base64_encode(user + ":" + password);
      case Auth::bearer: return a && a->starts_with("Bearer ") && tokens.count(a->substr(7));
    }
    return false;
  }

  util::Result<net::Response> handle(const Seen& s) {
    if (fault)
      if (auto r = fault(s)) return *r;
    auto url = net::parse_url(s.url);
    if (!url) return util::fail(util::ErrorKind::invalid_input, "bad url");
    std::string path = url->path_and_query.substr(0, url->path_and_query.find('?'));
    std::string query = url->path_and_query.find('?') == std::string::npos
                            ? ""
                            : url->path_and_query.substr(url->path_and_query.find('?') + 1);
    auto param = [&](const std::string& key) -> std::string {
      for (const auto& kv : util::split(query, '&'))
        if (kv.starts_with(key + "=")) {
          std::string v = kv.substr(key.size() + 1);
          // Just enough decoding for digests and repository names.
          for (std::size_t p; (p = v.find("%3A")) != std::string::npos;) v.replace(p, 3, ":");
          for (std::size_t p; (p = v.find("%2F")) != std::string::npos;) v.replace(p, 3, "/");
          return v;
        }
      return {};
    };

    if (url->host == "auth.example") {
      token_queries.push_back(query);
      if (s.headers.get("Authorization") != "Basic " + net::base64_encode(user + ":" + password))
        return respond(401);
      std::string token = "tok" + std::to_string(++next_id_);
      tokens.insert(token);
      return respond(200, {}, R"({"token":")" + token + R"(","expires_in":)" + std::to_string(token_lifetime_s) + "}");
    }
    if (url->host != host) return util::fail(util::ErrorKind::network, "could not resolve host " + url->host);
    if (url->scheme != "https") return util::fail(util::ErrorKind::network, "unexpected scheme");
    if (!authorized(s)) return unauthorized();
    if (path == "/v2/") return respond(200);

    // /v2/<repo>/<kind>/<rest>; repositories may hold slashes.
    for (std::string kind : {"/blobs/uploads/", "/blobs/", "/manifests/"}) {
      auto at = path.find(kind);
      if (at == std::string::npos) continue;
      std::string repo = path.substr(4, at - 4);
      std::string rest = path.substr(at + kind.size());
      if (kind == "/blobs/uploads/") return upload(s, repo, rest, param);
      if (kind == "/blobs/") {
        auto& repo_blobs = blobs[repo];
        auto it = repo_blobs.find(rest);
        if (it == repo_blobs.end()) return error(404, "BLOB_UNKNOWN", "blob unknown to registry");
        return respond(200, {{"Content-Length", std::to_string(it->second.size())}, {"Docker-Content-Digest", rest}},
                       it->second);
      }
      std::string key = repo + "@" + rest;
      if (s.method == "PUT") {
        auto digest = util::Digest::sha256_of(s.body).str();
        manifests[key] = {s.headers.get("Content-Type").value_or(""), s.body};
        manifests[repo + "@" + digest] = manifests[key];
        return respond(201, {{"Docker-Content-Digest", digest}});
      }
      auto it = manifests.find(key);
      if (it == manifests.end()) return error(404, "MANIFEST_UNKNOWN", "manifest unknown");
      return respond(200, {{"Content-Type", it->second.first}}, it->second.second);
    }
    return error(404, "NAME_UNKNOWN", "no route");
  }

  template <class Param>
  util::Result<net::Response> upload(const Seen& s, const std::string& repo, const std::string& uuid, Param& param) {
    auto location = [&](const std::string& id) { return "/v2/" + repo + "/blobs/uploads/" + id + "?_state=x"; };
    if (s.method == "POST") {
      if (auto mount = param("mount"); !mount.empty()) {
        auto from = blobs.find(param("from"));
        if (from != blobs.end() && from->second.count(mount)) {
          blobs[repo][mount] = from->second[mount];
          return respond(201, {{"Location", "/v2/" + repo + "/blobs/" + mount}});
        }
      }
      std::string id = "u" + std::to_string(++next_id_);
      uploads[id] = "";
      return respond(202, {{"Location", location(id)}, {"Range", "0-0"}});
    }
    auto it = uploads.find(uuid);
    if (it == uploads.end()) return error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown");
    auto range = [&] {
      return it->second.empty() ? std::string("0-0") : "0-" + std::to_string(it->second.size() - 1);
    };
    if (s.method == "GET") return respond(204, {{"Location", location(uuid)}, {"Range", range()}});
    if (s.method == "DELETE") {
      uploads.erase(it);
      return respond(204);
    }
    if (s.method == "PATCH") {
      auto cr = s.headers.get("Content-Range").value_or("");
      if (!cr.starts_with(std::to_string(it->second.size()) + "-"))
        return error(416, "BLOB_UPLOAD_INVALID", "wrong range " + cr);
      it->second += s.body;
      return respond(202, {{"Location", location(uuid)}, {"Range", range()}});
    }
    if (s.method == "PUT") {
      std::string data = it->second + s.body;
      std::string digest = param("digest");
      if (util::Digest::sha256_of(data).str() != digest) return error(400, "DIGEST_INVALID", "provided digest did not match uploaded content");
      blobs[repo][digest] = data;
      uploads.erase(it);
      return respond(201, {{"Location", "/v2/" + repo + "/blobs/" + digest}, {"Docker-Content-Digest", digest}});
    }
    return error(405, "UNSUPPORTED", "method");
  }
};

}  // namespace mlpack::test
