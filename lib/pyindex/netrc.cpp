#include "pyindex/netrc.hpp"

#include <cctype>
#include <cstdlib>
#include <vector>

#include "net/base64.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::pyindex {

namespace {

// Splits into tokens; a token may be double-quoted with backslash escapes. macdef bodies are
// dropped here (everything up to a blank line) since they can contain anything.
std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    if (i >= text.size()) break;
    if (text[i] == '#' && (i == 0 || text[i - 1] == '\n')) {  // a comment line
      i = text.find('\n', i);
      if (i == std::string_view::npos) break;
      continue;
    }
    std::string tok;
    if (text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        tok += text[i++];
      }
      ++i;
    } else {
      while (i < text.size() && !space(text[i])) tok += text[i++];
    }
    if (tok == "macdef") {
      auto end = text.find("\n\n", i);
      i = end == std::string_view::npos ? text.size() : end + 2;
      continue;
    }
    out.push_back(std::move(tok));
  }
  return out;
}

}  // namespace

Netrc Netrc::parse(std::string_view text) {
  Netrc n;
  auto toks = tokens(text);
  std::optional<std::string> machine;  // "" for default
  util::Credentials current;
  auto flush = [&] {
    if (!machine) return;
    if (machine->empty()) {
      if (!n.default_) n.default_ = current;
    } else {
      n.machines_.emplace(util::to_lower(*machine), current);
    }
    machine.reset();
    current = {};
  };
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    bool has_value = i + 1 < toks.size();
    if (t == "machine" && has_value) {
      flush();
      machine = toks[++i];
    } else if (t == "default") {
      flush();
      machine = "";
    } else if (t == "login" && has_value) {
      current.user = toks[++i];
    } else if (t == "password" && has_value) {
      current.password = toks[++i];
    } else if (t == "account" && has_value) {
      ++i;
    }
  }
  flush();
  return n;
}

Netrc Netrc::load(const std::optional<std::filesystem::path>& path) {
  if (!path) return {};
  auto text = util::read_file(*path, 1 << 20);
  if (!text) return {};
  return parse(*text);
}

std::optional<std::filesystem::path> Netrc::default_path(const util::Environment& env) {
  if (auto netrc = env.non_empty("NETRC")) return std::filesystem::path(*netrc);
  if (auto home = env.non_empty("HOME")) return std::filesystem::path(*home) / ".netrc";
  return std::nullopt;
}

std::optional<util::Credentials> Netrc::lookup(std::string_view host) const {
  if (host.starts_with('[')) host = host.substr(0, host.find(']') + 1);
  else host = host.substr(0, host.find(':'));
  if (auto it = machines_.find(util::to_lower(host)); it != machines_.end()) return it->second;
  return default_;
}

std::string basic_auth(const util::Credentials& c) { return net::basic_authorization(c.user, c.password); }

}  // namespace mlpack::pyindex
