#pragma once
// Inputs for the planner's tests: a synthetic package set with a realistic shape, a real one read
// from this machine's Debian package index, and the measures the tests compare plans by.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "layerplan/plan.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace mlpack::test::layerplan_fixtures {

using layerplan::MiB;
using layerplan::Package;
using layerplan::Plan;

// `count` packages named p000…, with a dependency DAG that leans on the low numbers (as everything
// leans on libc) and heavy-tailed sizes: most a few hundred KiB, a few tens of MiB. Deterministic:
// mt19937_64's output is fixed by the standard; the distributions are not, so none is used.
inline std::vector<Package> synthetic(std::size_t count, std::uint64_t seed = 17) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) / static_cast<double>(1ull << 53); };
  std::vector<Package> out;
  for (std::size_t i = 0; i < count; ++i) {
    Package p;
    p.ecosystem = "deb";
    p.name = std::to_string(i);
    p.name.insert(0, "p" + std::string(p.name.size() < 3 ? 3 - p.name.size() : 0, '0'));
    p.version = "1.0-1";
    const double u = uniform();
    p.size = static_cast<std::uint64_t>(16.0 * 1024 * std::pow(2.0, u * u * u * 13.0));  // 16 KiB … 128 MiB, one in seven over 4 MiB
    p.tier = i < count / 10 ? 0 : i < count / 5 ? 1 : i < count * 3 / 5 ? 2 : 3;
    const std::size_t deps = i == 0 ? 0 : 1 + static_cast<std::size_t>(uniform() * 5);
    for (std::size_t d = 0; d < deps; ++d) {
      const double v = uniform();
      const auto target = static_cast<std::size_t>(v * v * v * static_cast<double>(i));  // leans low
      if (target < i) p.depends.push_back(out[target].name);
    }
    out.push_back(std::move(p));
  }
  return out;
}

// One paragraph of a Debian Packages index, the fields the tests need.
struct DebRecord {
  std::string name, version, priority, section;
  std::uint64_t installed_kib = 0;
  std::vector<std::vector<std::string>> depends;  // clauses of alternatives, names only
  std::vector<std::string> provides;
};

inline std::vector<std::vector<std::string>> parse_relations(std::string_view text) {
  std::vector<std::vector<std::string>> clauses;
  for (const auto& clause : util::split(text, ',')) {
    std::vector<std::string> alternatives;
    for (const auto& alt : util::split(clause, '|')) {
      std::string name = util::trim(alt);
      name = name.substr(0, name.find_first_of(" (["));
      name = name.substr(0, name.find(':'));  // ":any", ":native"
      if (!name.empty()) alternatives.push_back(name);
    }
    if (!alternatives.empty()) clauses.push_back(std::move(alternatives));
  }
  return clauses;
}

// This machine's Debian package index (apt's lists, plain or lz4 as apt keeps them), by package
// name, the first file (in name order) that has a package winning. nullopt when there is none.
inline std::optional<std::map<std::string, DebRecord>> debian_index() {
  const std::filesystem::path lists = "/var/lib/apt/lists";
  std::error_code ec;
  if (!std::filesystem::is_directory(lists, ec)) return std::nullopt;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(lists, ec)) {
    const auto name = e.path().filename().string();
    if (name.ends_with("_Packages") || name.ends_with("_Packages.lz4")) files.push_back(e.path());
  }
  std::ranges::sort(files);
  std::map<std::string, DebRecord> index;
  for (const auto& f : files) {
    std::string text;
    if (f.extension() == ".lz4") {
      auto out = util::program_output({"lz4", "-dc", f.string()}, std::size_t{1} << 30);
      if (!out) continue;
      text = std::move(*out);
    } else {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    DebRecord r;
    std::string field, value;
    auto finish_field = [&] {
      if (field == "Package") r.name = util::trim(value);
      else if (field == "Version") r.version = util::trim(value);
      else if (field == "Priority") r.priority = util::trim(value);
      else if (field == "Section") r.section = util::trim(value);
      else if (field == "Installed-Size") r.installed_kib = std::stoull(util::trim(value));
      else if (field == "Depends" || field == "Pre-Depends") {
        auto more = parse_relations(value);
        r.depends.insert(r.depends.end(), more.begin(), more.end());
      } else if (field == "Provides")
        for (const auto& c : parse_relations(value)) r.provides.push_back(c.front());
      field.clear();
      value.clear();
    };
    auto finish_record = [&] {
      finish_field();
      if (!r.name.empty()) index.emplace(r.name, r);
      r = DebRecord{};
    };
    std::size_t at = 0;
    while (at <= text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + at, end - at);
      at = end + 1;
      if (line.empty()) {
        finish_record();
      } else if (line.front() == ' ' || line.front() == '\t') {
        value += ' ';
        value += line;
      } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        finish_field();
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
      }
      if (end == text.size()) break;
    }
    finish_record();
  }
  if (index.empty()) return std::nullopt;
  return index;
}

// The tier a Debian package would get from its buildpack: required and important packages are the
// OS core; interpreters and their standard libraries the runtimes; other lib* shared libraries;
// the rest project-specific.
inline int debian_tier(const DebRecord& r) {
  if (r.priority == "required" || r.priority == "important") return 0;
  if (r.name.starts_with("python3") && (r.name.find('-') == std::string::npos || r.name.ends_with("-minimal") ||
                                         r.name.ends_with("-stdlib")))
    return 1;
  if (r.name.starts_with("libpython3")) return 1;
  if (r.name.starts_with("lib")) return 2;
  return 3;
}

// `roots` and everything they need (first alternative that exists, else its first provider in
// name order), without the required packages (a base image has them), as planner input.
inline std::vector<Package> debian_closure(const std::map<std::string, DebRecord>& index,
                                           const std::vector<std::string>& roots) {
  std::map<std::string, std::vector<std::string>> providers;
  for (const auto& [name, r] : index)
    for (const auto& v : r.provides) providers[v].push_back(name);
  auto pick = [&](const std::vector<std::string>& clause) -> std::optional<std::string> {
    for (const auto& alt : clause)
      if (index.contains(alt)) return alt;
    for (const auto& alt : clause)
      if (auto it = providers.find(alt); it != providers.end()) return it->second.front();
    return std::nullopt;
  };
  std::set<std::string> seen;
  std::vector<std::string> todo;
  for (const auto& r : roots)
    if (index.contains(r) && seen.insert(r).second) todo.push_back(r);
  std::vector<Package> out;
  while (!todo.empty()) {
    const std::string name = todo.back();
    todo.pop_back();
    const auto& r = index.at(name);
    Package p{"deb", r.name, r.version, r.installed_kib * 1024, {}, debian_tier(r)};
    for (const auto& clause : r.depends)
      if (auto dep = pick(clause)) {
        p.depends.push_back(*dep);
        if (seen.insert(*dep).second) todo.push_back(*dep);
      }
    if (r.priority != "required") out.push_back(std::move(p));
  }
  std::ranges::sort(out, {}, &Package::name);
  return out;
}

// A layer's identity across plans: its key and its members at their versions. Two plans' layers
// with the same identity hold the same files.
inline std::map<std::string, std::string> identities(const Plan& plan, const std::vector<Package>& input) {
  std::map<std::string, std::string> out;
  for (const auto& layer : plan.layers) {
    std::string members;
    for (auto i : layer.packages) members += input[i].name + "=" + input[i].version + " ";
    out[layer.key] = members;
  }
  return out;
}

// Layers present in one plan and not, identically, in the other.
inline std::size_t changed_layers(const Plan& a, const std::vector<Package>& ia, const Plan& b,
                                  const std::vector<Package>& ib) {
  const auto x = identities(a, ia), y = identities(b, ib);
  std::set<std::string> keys;
  for (const auto& [k, v] : x) keys.insert(k);
  for (const auto& [k, v] : y) keys.insert(k);
  std::size_t changed = 0;
  for (const auto& k : keys) {
    auto i = x.find(k), j = y.find(k);
    if (i == x.end() || j == y.end() || i->second != j->second) ++changed;
  }
  return changed;
}

// The share of b's bytes that sit in layers a already has.
inline double shared_fraction(const Plan& a, const std::vector<Package>& ia, const Plan& b,
                              const std::vector<Package>& ib) {
  const auto x = identities(a, ia);
  std::uint64_t total = 0, shared = 0;
  for (const auto& layer : b.layers) {
    total += layer.size;
    std::string members;
    for (auto i : layer.packages) members += ib[i].name + "=" + ib[i].version + " ";
    if (auto it = x.find(layer.key); it != x.end() && it->second == members) shared += layer.size;
  }
  return total ? static_cast<double>(shared) / static_cast<double>(total) : 1.0;
}

}  // namespace mlpack::test::layerplan_fixtures
