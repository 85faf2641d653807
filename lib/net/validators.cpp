// Validators and cache-entry state: the one copy the index clients (cranindex, condaindex) and
// pyindex's page cache share.
#include "net/validators.hpp"

#include <nlohmann/json.hpp>

#include "util/fs.hpp"

namespace mlpack::net {

namespace {
// Keys the record itself uses: a number may not take one of their names.
bool reserved(std::string_view key) {
  return key == "url" || key == "variant" || key == "etag" || key == "last_modified";
}
}  // namespace

Validators Validators::of(const Response& response) {
  return {response.headers.get("ETag"), response.headers.get("Last-Modified")};
}

void Validators::add_to(Request& request) const {
  if (etag) request.headers.set("If-None-Match", *etag);
  if (last_modified) request.headers.set("If-Modified-Since", *last_modified);
}

std::optional<EntryState> load_entry_state(const std::filesystem::path& path) {
  auto text = util::read_file(path, 1 << 16);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&](const char* k) -> std::optional<std::string> {
    if (auto it = j.find(k); it != j.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
  };
  EntryState s;
  s.url = str("url").value_or("");
  s.variant = str("variant").value_or("");
  s.validators = {str("etag"), str("last_modified")};
  for (const auto& [key, value] : j.items())
    if (!reserved(key) && value.is_number_integer()) s.numbers[key] = value.get<std::int64_t>();
  return s;
}

util::Result<void> store_entry_state(const std::filesystem::path& path, const EntryState& s) {
  nlohmann::json j = {{"url", s.url}, {"variant", s.variant}};
  if (s.validators.etag) j["etag"] = *s.validators.etag;
  if (s.validators.last_modified) j["last_modified"] = *s.validators.last_modified;
  for (const auto& [key, value] : s.numbers)
    if (!reserved(key)) j[key] = value;
  return util::write_file_atomic(path, j.dump() + "\n");
}

}  // namespace mlpack::net
