// Larger generated graphs: the resolver must stay fast and correct, and lazy.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "resolve/test_provider.hpp"

using namespace mlpack;
using namespace mlpack::resolve;
using resolve::test::TestProvider;

namespace {

std::string pkg(std::size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "p%04zu", i);
  return buf;
}

// `packages` × `versions` with a planted solution: planted versions only require and exclude what
// keeps the planted set valid, the other versions require and exclude at random (often newer
// versions than the planted ones), so the newest-first search has to backtrack to find a set.
void add_random_graph(TestProvider& p, std::size_t packages, int versions, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto below = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<int> planted(packages);
  for (auto& v : planted) v = 1 + below(versions);
  for (std::size_t i = 0; i < packages; ++i) {
    for (int v = 1; v <= versions; ++v) {
      bool good = v == planted[i];
      std::vector<std::string> depends, conflicts;
      int n = below(5);
      for (int k = 0; k < n; ++k) {
        std::size_t j = rng() % packages;
        if (j == i) continue;
        int pj = planted[j];
        std::string name = pkg(j);
        switch (below(4)) {
          case 0:
            depends.push_back(name);
            break;
          case 1:
            depends.push_back(name + " (>= " + std::to_string(good ? 1 + below(pj) : 1 + below(versions)) + ")");
            break;
          case 2: {
            int hi = good ? pj + 1 + below(versions + 1 - pj) : 1 + below(versions);
            depends.push_back(name + " (<< " + std::to_string(std::max(hi, 2)) + ")");
            break;
          }
          default: {
            if (good && pj < versions) conflicts.push_back(name + " (>> " + std::to_string(pj) + ")");
            if (!good) conflicts.push_back(name + " (>= " + std::to_string(1 + below(versions)) + ")");
          }
        }
      }
      p.add(pkg(i), std::to_string(v), std::move(depends), std::move(conflicts));
    }
  }
}

// Sanitizers slow the resolver down about twentyfold; the limits are for optimised builds.
#if defined(__SANITIZE_ADDRESS__)
constexpr double slowdown = 25;
#else
constexpr double slowdown = 1;
#endif

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("stress: 2,000 packages × 10 versions, seeded random graphs") {
  for (std::uint32_t seed : {1U, 2U, 3U}) {
    TestProvider p;
    add_random_graph(p, 2000, 10, seed);
    std::vector<std::string> roots;
    std::mt19937 rng(seed * 7919);
    for (int k = 0; k < 50; ++k) roots.push_back(pkg(rng() % 2000));
    auto reqs = p.reqs(roots);
    auto start = std::chrono::steady_clock::now();
    auto r = solve(p, reqs);
    double took = seconds_since(start);
    REQUIRE_MESSAGE(r, r.error().message);
    CHECK(p.violation(*r, reqs) == "");
    MESSAGE("seed " << seed << ": " << r->selected.size() << " selected, " << r->stats.solvables << " solvables, "
                    << r->stats.clauses << " clauses, " << r->stats.decisions << " decisions, " << r->stats.conflicts
                    << " conflicts, " << took * 1000 << " ms");
    CHECK(took < 1.0 * slowdown);  // about 0.1 s here; the slack is for busy CI machines

    // The same answer again, from a provider numbering its solvables differently.
    TestProvider q(seed ^ 0x5bd1e995U);
    add_random_graph(q, 2000, 10, seed);
    auto again = solve(q, q.reqs(roots));
    REQUIRE(again);
    CHECK(q.names(*again) == p.names(*r));
  }
}

TEST_CASE("stress: a Debian-sized index, a few hundred packages reached") {
  // 60,000 packages; a base of 400 that depend on each other (with alternatives and a virtual
  // package); the rest depend on the base but nothing reaches them.
  TestProvider p;
  std::mt19937 rng(42);
  const std::size_t base = 400, total = 60000;
  auto name = [](std::size_t i) { return "lib" + std::to_string(i); };
  for (std::size_t i = 0; i < total; ++i) {
    std::vector<std::string> depends, provides;
    if (i < base) {
      for (int k = 0; k < 4 && i > 0; ++k) {
        std::size_t j = rng() % i;
        if (k == 3 && j + 1 < i)
          depends.push_back(name(j) + " (>= 1) | " + name(j + 1));
        else
          depends.push_back(name(j) + " (>= 1)");
      }
      if (i % 50 == 7) provides.push_back("awk");
      if (i % 100 == 9) depends.push_back("awk");
    } else {
      depends.push_back(name(rng() % base));
      depends.push_back(name(base + rng() % (total - base)));
    }
    p.add(name(i), "2", depends, {}, provides);
    if (i % 3 == 0) p.add(name(i), "1", depends, {}, provides);
  }
  std::vector<std::string> roots;
  for (std::size_t i = base - 20; i < base; ++i) roots.push_back(name(i));
  auto reqs = p.reqs(roots);
  auto start = std::chrono::steady_clock::now();
  auto r = solve(p, reqs);
  double took = seconds_since(start);
  REQUIRE_MESSAGE(r, r.error().message);
  MESSAGE(r->selected.size() << " selected of " << total << ", " << p.dependency_calls.size() << " dependency lookups, "
                             << took * 1000 << " ms");
  CHECK(r->selected.size() <= base);
  CHECK(p.dependency_calls.size() == r->selected.size());  // nothing asked about unselected packages
  for (const auto& [text, calls] : p.candidate_calls) CHECK(calls == 1);
  CHECK(p.violation(*r, reqs) == "");  // asks the provider again, so after the counts
  CHECK(took < 0.5 * slowdown);
}

TEST_CASE("small random problems agree with brute force") {
  // Soundness and completeness: every "no solution" is confirmed by trying every selection, and
  // every solution is checked. Alternatives, virtual packages, conflicts and cycles all occur.
  std::mt19937 rng(2024);
  auto below = [&](unsigned n) { return rng() % n; };
  const char* names[] = {"a", "b", "c", "d", "e"};
  int unsat = 0;
  for (int round = 0; round < 3000; ++round) {
    TestProvider p(static_cast<std::uint32_t>(round));
    auto relation = [&] {
      std::string n = names[below(5)];
      switch (below(4)) {
        case 0:
          return n;
        case 1:
          return n + " (>= " + std::to_string(1 + below(3)) + ")";
        case 2:
          return n + " (<< " + std::to_string(2 + below(2)) + ")";
        default:
          return std::string("virt");
      }
    };
    for (const char* n : names)
      for (int v = 1; v <= 3; ++v) {
        std::vector<std::string> depends, conflicts, provides;
        for (unsigned k = below(3); k > 0; --k)
          depends.push_back(below(3) == 0 ? relation() + " | " + relation() : relation());
        if (below(3) == 0) conflicts.push_back(relation());
        if (below(6) == 0) provides.push_back("virt");
        p.add(n, std::to_string(v), depends, conflicts, provides);
      }
    std::vector<std::string> roots;
    for (unsigned k = 1 + below(3); k > 0; --k) roots.push_back(relation());
    auto reqs = p.reqs(roots);
    auto r = solve(p, reqs);
    if (r) {
      CHECK_MESSAGE(p.violation(*r, reqs) == "", "round " << round);
      continue;
    }
    REQUIRE_MESSAGE(r.error().kind == util::ErrorKind::unsatisfiable, r.error().message);
    ++unsat;
    CHECK(r.error().message.starts_with("cannot install the requested packages:\n  the request requires `"));
    if (std::getenv("MLPACK_SHOW_EXPLANATIONS") && unsat < 12) MESSAGE(r.error().message);
    // Every selection of at most one version per name (4^5 of them) must break a rule.
    const auto& ids = p.all();
    bool found = false;
    for (int combo = 0; combo < 1024 && !found; ++combo) {
      Solution s;
      for (int n = 0, c = combo; n < 5; ++n, c /= 4)
        if (c % 4 != 0) s.selected.push_back(ids[static_cast<std::size_t>(n * 3 + c % 4 - 1)]);
      found = p.violation(s, reqs).empty();
    }
    CHECK_MESSAGE(!found, "round " << round << ": the resolver found no solution, but one exists\n"
                                   << r.error().message);
  }
  MESSAGE(unsat << " of 3000 random problems had no solution");
  CHECK(unsat > 150);  // the generator must exercise both outcomes
  CHECK(unsat < 2850);
}
