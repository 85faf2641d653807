#include "pyindex/http_cache.hpp"

#include <nlohmann/json.hpp>

#include "net/validators.hpp"
#include "util/digest.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

// One file per entry: a line of JSON (URL and validators), then the body as received.
HttpCache::HttpCache(std::filesystem::path dir) : dir_(dir.empty() ? dir : dir / "http-v1") {}

std::filesystem::path HttpCache::path_for(std::string_view url, std::string_view key) const {
  auto digest = util::Digest::sha256_of(std::string(url) + "\n" + std::string(key));
  return dir_ / digest.hex().substr(0, 2) / digest.hex();
}

std::optional<CachedPage> HttpCache::load(std::string_view url, std::string_view key) const {
  if (!enabled()) return std::nullopt;
  auto text = util::read_file(path_for(url, key), 256 << 20);
  if (!text) return std::nullopt;
  auto nl = text->find('\n');
  if (nl == std::string::npos) return std::nullopt;
  auto head = nlohmann::json::parse(text->substr(0, nl), nullptr, false);
  if (!head.is_object() || head.value("url", "") != url) return std::nullopt;
  CachedPage page;
  page.url = std::string(url);
  auto opt = [&](const char* k) -> std::optional<std::string> {
    if (auto it = head.find(k); it != head.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
  };
  page.etag = opt("etag");
  page.last_modified = opt("last_modified");
  page.content_type = opt("content_type");
  page.body = text->substr(nl + 1);
  return page;
}

util::Result<void> HttpCache::store(std::string_view url, std::string_view key, const net::Response& response) const {
  if (!enabled() || response.status != 200) return {};
  auto validators = net::Validators::of(response);
  if (validators.empty()) return {};
  if (util::to_lower(response.headers.get("Cache-Control").value_or("")).find("no-store") != std::string::npos) return {};
  nlohmann::json head = {{"url", url}};
  if (validators.etag) head["etag"] = *validators.etag;
  if (validators.last_modified) head["last_modified"] = *validators.last_modified;
  if (auto ct = response.headers.get("Content-Type")) head["content_type"] = *ct;
  auto path = path_for(url, key);
  TRY(util::make_dirs(path.parent_path()));
  return util::write_file_atomic(path, head.dump() + "\n" + response.body);
}

void HttpCache::add_validators(net::Request& request, const CachedPage& page) {
  net::Validators{page.etag, page.last_modified}.add_to(request);
}

}  // namespace mlpack::pyindex
