#include "pypi/tags.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "corpora.hpp"
#include "pypi/filename.hpp"
#include "skip.hpp"

using namespace mlpack::pypi;
namespace fs = std::filesystem;

namespace {
fs::path pypa_corpus_tags() {
  return mlpack::test::corpus_dir("pypa_packaging").value_or(fs::path("/nonexistent/pypa_packaging"));
}

std::vector<std::string> strings(const std::vector<Tag>& tags) {
  std::vector<std::string> out;
  for (const auto& t : tags) out.push_back(t.to_string());
  return out;
}

std::pair<int, int> parse_pair(const std::string& s) {
  auto dot = s.find('.');
  return {std::stoi(s.substr(0, dot)), std::stoi(s.substr(dot + 1))};
}
}  // namespace

TEST_CASE("parse_tag expands compressed tag sets") {
  auto tags = parse_tag("py2.py3-none-any");
  REQUIRE(tags);
  CHECK(strings(*tags) == std::vector<std::string>{"py2-none-any", "py3-none-any"});
  CHECK(parse_tag("cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64")->size() == 2);
  CHECK_FALSE(parse_tag("py3-none"));
  CHECK_FALSE(parse_tag("py3..py2-none-any"));
  auto err = parse_tag("2-none-any");
  REQUIRE_FALSE(err);
  CHECK(err.error().kind == mlpack::util::ErrorKind::invalid_input);
  CHECK(err.error().message.find("`2-none-any`") != std::string::npos);
}

TEST_CASE("manylinux platforms put legacy aliases after their PEP 600 equivalent") {
  const std::vector<std::string> x86{"x86_64"};
  auto p = manylinux_platforms({2, 17}, x86);
  REQUIRE(p.size() == 16);
  CHECK(p[0] == "manylinux_2_17_x86_64");
  CHECK(p[1] == "manylinux2014_x86_64");
  CHECK(p.back() == "manylinux1_x86_64");
  const std::vector<std::string> arm{"aarch64"};
  CHECK(manylinux_platforms({2, 17}, arm) == std::vector<std::string>{"manylinux_2_17_aarch64", "manylinux2014_aarch64"});
  CHECK(manylinux_platforms({2, 5}, arm).empty());
}

TEST_CASE("compatible_tags for CPython 3.11 on glibc 2.36") {
  Target t{.python_major = 3, .python_minor = 11, .glibc = std::pair{2, 36}};
  auto tags = compatible_tags(t);
  REQUIRE(tags.size() == 914);
  CHECK(tags.front().to_string() == "cp311-cp311-manylinux_2_36_x86_64");
  CHECK(tags[35].to_string() == "cp311-cp311-linux_x86_64");
  CHECK(tags.back().to_string() == "py30-none-any");
  TagRanker ranker(t);
  auto whl = parse_wheel_filename("six-1.16.0-py2.py3-none-any.whl");
  REQUIRE(whl);
  CHECK(ranker.rank(whl->tags) == 902);
  auto win = parse_wheel_filename("numpy-2.1.3-cp311-cp311-win_amd64.whl");
  CHECK_FALSE(ranker.rank(win->tags));
}

TEST_CASE("conformance: pypa tags/parse_tag.jsonl") {
  const auto path = pypa_corpus_tags() / "tags" / "parse_tag.jsonl";
  if (!fs::exists(path)) {
    MLPACK_SKIP(path.string() << " absent");
    return;
  }
  std::ifstream in(path);
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto v = nlohmann::json::parse(line);
    const std::string tag = v["tag"];
    auto parsed = parse_tag(tag);
    CHECK_MESSAGE(parsed.has_value() == v["valid"].get<bool>(), tag);
    if (parsed && v["valid"].get<bool>()) {
      CHECK_MESSAGE(strings(*parsed) == v["expanded"].get<std::vector<std::string>>(), tag);
    }
    ++checked;
  }
  MESSAGE("parse_tag vectors checked: " << checked);
  CHECK(checked == 20);
}

TEST_CASE("conformance: pypa manylinux/musllinux platform generation") {
  const auto dir = pypa_corpus_tags() / "tags";
  if (!fs::exists(dir / "manylinux_platform_tags.jsonl")) {
    MLPACK_SKIP(dir.string() << " absent");
    return;
  }
  int many = 0, musl = 0;
  {
    std::ifstream in(dir / "manylinux_platform_tags.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto v = nlohmann::json::parse(line);
      auto archs = v["archs"].get<std::vector<std::string>>();
      CHECK_MESSAGE(manylinux_platforms(parse_pair(v["glibc"]), archs) ==
                        v["manylinux_platforms"].get<std::vector<std::string>>(),
                    line.substr(0, 60));
      // The corpus passes armv8l with its armv7l fallback, as linux_archs does.
      if (archs.size() > 1) CHECK(linux_archs(archs[0]) == archs);
      ++many;
    }
  }
  {
    std::ifstream in(dir / "musllinux_platform_tags.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto v = nlohmann::json::parse(line);
      CHECK_MESSAGE(musllinux_platforms(parse_pair(v["musl"]), v["archs"].get<std::vector<std::string>>()) ==
                        v["musllinux_platforms"].get<std::vector<std::string>>(),
                    line);
      ++musl;
    }
  }
  MESSAGE("manylinux vectors: " << many << ", musllinux vectors: " << musl);
  CHECK(many == 80);
  CHECK(musl == 8);
}

TEST_CASE("conformance: pypa tag_generation_explicit_args.json") {
  const auto path = pypa_corpus_tags() / "tags" / "tag_generation_explicit_args.json";
  if (!fs::exists(path)) {
    MLPACK_SKIP(path.string() << " absent");
    return;
  }
  int checked = 0;
  for (const auto& v : nlohmann::json::parse(std::ifstream(path))) {
    const std::string fn = v["function"];
    const auto& a = v["args"];
    std::vector<Tag> got;
    if (fn == "cpython_tags") {
      got = cpython_tags(a[0].get<std::vector<int>>(), a[1].get<std::vector<std::string>>(),
                         a[2].get<std::vector<std::string>>());
    } else if (fn == "compatible_tags") {
      got = python_tags(a[0].get<std::vector<int>>(), a[1].get<std::string>(), a[2].get<std::vector<std::string>>());
    } else if (fn == "generic_tags") {
      got = generic_tags(a[0].get<std::string>(), a[1].get<std::vector<std::string>>(),
                         a[2].get<std::vector<std::string>>());
    } else {
      FAIL("unknown function " << fn);
    }
    CHECK_MESSAGE(strings(got) == v["tags"].get<std::vector<std::string>>(), v.dump().substr(0, 120));
    ++checked;
  }
  MESSAGE("explicit tag generation vectors: " << checked);
  CHECK(checked == 15);
}

TEST_CASE("conformance: pypa supported tags, cp311 glibc 2.36 x86_64") {
  const auto path = pypa_corpus_tags() / "tags" / "supported_tags_cp311_manylinux_x86_64_glibc2.36.txt";
  if (!fs::exists(path)) {
    MLPACK_SKIP(path.string() << " absent");
    return;
  }
  std::vector<std::string> expected;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) expected.push_back(line);
  // This oracle comes from packaging >= 26.3, which puts linux_<arch> before manylinux.
  Target t{.python_major = 3, .python_minor = 11, .glibc = std::pair{2, 36},
           .native_linux = NativeLinuxTag::first};
  CHECK(strings(compatible_tags(t)) == expected);
  MESSAGE("ordered supported tags checked: " << expected.size());
}

TEST_CASE("conformance: pypa tags/wheel_selection_example.json") {
  const auto path = pypa_corpus_tags() / "tags" / "wheel_selection_example.json";
  if (!fs::exists(path)) {
    MLPACK_SKIP(path.string() << " absent");
    return;
  }
  const auto doc = nlohmann::json::parse(std::ifstream(path));
  // Target from the example: python:3.11-slim-bookworm; ranks come from packaging >= 26.3.
  TagRanker ranker(Target{.python_major = 3, .python_minor = 11, .glibc = std::pair{2, 36},
                          .native_linux = NativeLinuxTag::first});
  std::vector<std::pair<std::size_t, std::string>> ranked;
  int checked = 0;
  for (const auto& f : doc["wheels"]) {
    const std::string name = f;
    auto whl = parse_wheel_filename(name);
    REQUIRE_MESSAGE(whl, name);
    auto rank = ranker.rank(whl->tags);
    const auto& want = doc["best_tag_rank"];
    CHECK_MESSAGE(rank.has_value() == want.contains(name), name);
    if (rank && want.contains(name)) CHECK_MESSAGE(*rank == want[name].get<std::size_t>(), name);
    if (rank) ranked.emplace_back(*rank, name);
    ++checked;
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> order;
  for (auto& r : ranked) order.push_back(r.second);
  CHECK(order == doc["compatible_ranked_best_first"].get<std::vector<std::string>>());
  MESSAGE("wheel selection wheels checked: " << checked);
}
