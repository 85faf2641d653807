// R projects (issue 13 item 1): DESCRIPTION, renv.lock, runtime.txt and install.R, and the
// project that holds them.
#include "detectors/r_project.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "corpora.hpp"
#include "cran/base_packages.hpp"
#include "python_test_util.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using test::Project;
using util::ErrorKind;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);) out.push_back(l);
  return out;
}

// The requirement named `name` from `field`; fails the test when absent.
const detectors::RRequirement& find(const std::vector<detectors::RRequirement>& reqs, std::string_view name,
                                    std::string_view field = "") {
  auto it = std::find_if(reqs.begin(), reqs.end(),
                         [&](const auto& r) { return r.name == name && (field.empty() || r.field == field); });
  REQUIRE_MESSAGE(it != reqs.end(), std::string(name));
  return *it;
}

bool contains(const std::vector<detectors::RRequirement>& reqs, std::string_view name) {
  return std::any_of(reqs.begin(), reqs.end(), [&](const auto& r) { return r.name == name; });
}

}  // namespace

// --- DESCRIPTION -----------------------------------------------------------------------------

TEST_CASE("DESCRIPTION: fields, constraints, the line of each entry, R's minimum, base packages, Remotes") {
  const std::string text =
      "Package: analysis\n"                  // 1
      "Title: An analysis\n"                 // 2
      "Depends: R (>= 4.1.0), methods,\n"    // 3
      "    R(>= 3.5)\n"                      // 4
      "Imports:\n"                           // 5
      "    dplyr (>= 1.1.0),\n"              // 6
      "    ggplot2, stats, lifecycle (>=\n"  // 7
      "        1.0.5),\n"                    // 8
      "    tibble\n"                         // 9
      "LinkingTo: Rcpp\n"                    // 10
      "Suggests: testthat\n"                 // 11
      "Remotes: tidyverse/ggplot2,\n"        // 12
      "    github::r-lib/cli\n";             // 13
  auto d = detectors::parse_r_description_text(text, "DESCRIPTION");
  REQUIRE_MESSAGE(d, d.error().message);
  CHECK(d->package == "analysis");
  CHECK(d->r_minimum == "4.1.0");
  CHECK(d->r_minimum_line == 3);
  std::vector<std::string> names;
  for (const auto& r : d->requirements) names.push_back(r.name + "@" + r.field + ":" + std::to_string(r.line));
  CHECK(names == std::vector<std::string>{"dplyr@Imports:6", "ggplot2@Imports:7", "lifecycle@Imports:7",
                                          "tibble@Imports:9", "Rcpp@LinkingTo:10"});
  CHECK(find(d->requirements, "dplyr").constraint == ">= 1.1.0");
  CHECK(find(d->requirements, "lifecycle").constraint == ">= 1.0.5");
  CHECK_FALSE(find(d->requirements, "ggplot2").constraint);
  CHECK(find(d->requirements, "dplyr").file == "DESCRIPTION");
  CHECK_FALSE(contains(d->requirements, "testthat"));  // Suggests
  CHECK_FALSE(contains(d->requirements, "methods"));   // base
  CHECK_FALSE(contains(d->requirements, "stats"));
  CHECK(d->remotes == std::vector<std::string>{"tidyverse/ggplot2", "github::r-lib/cli"});

  // A project DESCRIPTION needs neither Package nor Version; an empty one declares nothing.
  auto bare = detectors::parse_r_description_text("Imports: data.table\n", "DESCRIPTION");
  REQUIRE(bare);
  CHECK_FALSE(bare->package);
  CHECK(bare->requirements.size() == 1);
  auto empty = detectors::parse_r_description_text("\n\n", "DESCRIPTION");
  REQUIRE(empty);
  CHECK(empty->requirements.empty());

  // CRLF line ends count the same lines.
  auto crlf = detectors::parse_r_description_text("Type: Project\r\nImports: a1,\r\n  b2\r\n", "DESCRIPTION");
  REQUIRE(crlf);
  CHECK(find(crlf->requirements, "b2").line == 3);
}

TEST_CASE("DESCRIPTION: what is not one is refused with file:line") {
  auto not_dcf = detectors::parse_r_description_text("Package: x\nthis is not a field\n", "binder/DESCRIPTION");
  REQUIRE_FALSE(not_dcf);
  CHECK(not_dcf.error().kind == ErrorKind::invalid_input);
  CHECK(not_dcf.error().message.starts_with("binder/DESCRIPTION:2: "));

  auto comment = detectors::parse_r_description_text("# a comment\nImports: a1\n", "DESCRIPTION");
  REQUIRE_FALSE(comment);
  CHECK(comment.error().message.starts_with("DESCRIPTION:1: "));

  auto two = detectors::parse_r_description_text("Package: a\n\nPackage: b\n", "DESCRIPTION");
  REQUIRE_FALSE(two);
  CHECK(two.error().message.starts_with("DESCRIPTION:3: a second paragraph"));

  auto bad_dep = detectors::parse_r_description_text("Package: a\nImports: x1,\n  y1 (~= 2)\n", "DESCRIPTION");
  REQUIRE_FALSE(bad_dep);
  CHECK(bad_dep.error().kind == ErrorKind::invalid_input);
  CHECK(bad_dep.error().message.starts_with("DESCRIPTION:3: Imports: invalid dependency `y1 (~= 2)`"));
}

TEST_CASE("DESCRIPTION: Latin-1 text is read as bytes") {
  // `Encoding: latin1` DESCRIPTIONs (old CRAN packages) are not UTF-8; names are ASCII anyway.
  std::string text = "Package: caf\xe9t\nEncoding: latin1\nAuthor: Fran\xe7ois\nImports: zoo (>= 1.0)\n";
  auto d = detectors::parse_r_description_text(text, "DESCRIPTION");
  REQUIRE(d);
  CHECK(d->requirements.size() == 1);
  // A non-ASCII byte in a dependency field is an error that quotes it escaped, never raw.
  auto bad = detectors::parse_r_description_text("Imports: caf\xe9\n", "DESCRIPTION");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find('\xe9') == std::string::npos);
}

TEST_CASE("DESCRIPTION: a link out of the project is refused, not read") {
  Project p;
  auto outside = p.root() / "outside";
  auto root = p.root() / "project";
  p.write("outside/DESCRIPTION", "Imports: secret\n");
  p.write("project/analysis.R", "1\n");
  fs::create_symlink(outside / "DESCRIPTION", root / "DESCRIPTION");
  auto r = detectors::read_r_project(root);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::invalid_input);
  CHECK(r.error().message.find("DESCRIPTION") != std::string::npos);
  CHECK(r.error().message.find("outside the project") != std::string::npos);
  CHECK(r.error().message.find("secret") == std::string::npos);
}

TEST_CASE("DESCRIPTION conformance: CRAN's and renv's test packages") {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) {
    MLPACK_SKIP("../shared/corpora/r_packages is absent");
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(*corpus / "cran_DESCRIPTION"))
    if (e.path().extension() == ".DESCRIPTION") files.push_back(e.path());
  for (const auto& e : fs::directory_iterator(*corpus / "renv_test_repo_packages"))
    if (fs::exists(e.path() / "DESCRIPTION")) files.push_back(e.path() / "DESCRIPTION");
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 16);
  int with_minimum = 0, requirements = 0;
  for (const auto& file : files) {
    CAPTURE(file);
    auto text = slurp(file);
    auto d = detectors::parse_r_description_text(text, "DESCRIPTION");
    REQUIRE_MESSAGE(d, d.error().message);
    auto lines = lines_of(text);
    for (const auto& r : d->requirements) {
      CAPTURE(r.name);
      CHECK_FALSE(cran::is_base_package(r.name));
      REQUIRE(r.line >= 1);
      REQUIRE(r.line <= static_cast<int>(lines.size()));
      // The entry's line names it (the constraint may wrap onto the next).
      CHECK(lines[r.line - 1].find(r.name) != std::string::npos);
      ++requirements;
    }
    // Where Depends names R with a lower bound, the minimum is taken, on a line that names R.
    bool names_r = text.find("R (>=") != std::string::npos || text.find("R(>=") != std::string::npos ||
                   text.find("R (>") != std::string::npos;
    if (d->r_minimum) {
      ++with_minimum;
      CHECK(lines[d->r_minimum_line - 1].find(*d->r_minimum) != std::string::npos);
    } else {
      CHECK_FALSE(names_r);
    }
  }
  CHECK(with_minimum >= 10);
  CHECK(requirements >= 50);
  // Spot checks against the files themselves.
  auto dplyr =
      detectors::parse_r_description_text(slurp(*corpus / "cran_DESCRIPTION/dplyr_1.2.1.DESCRIPTION"), "DESCRIPTION");
  REQUIRE(dplyr);
  CHECK(dplyr->r_minimum == "4.1.0");
  CHECK(find(dplyr->requirements, "lifecycle").constraint == ">= 1.0.5");
  CHECK(find(dplyr->requirements, "vctrs").constraint == ">= 0.7.1");
  CHECK_FALSE(contains(dplyr->requirements, "utils"));
  auto breakfast = detectors::parse_r_description_text(slurp(*corpus / "renv_test_repo_packages/breakfast/DESCRIPTION"),
                                                       "DESCRIPTION");
  REQUIRE(breakfast);
  CHECK(find(breakfast->requirements, "toast", "Depends").constraint == ">= 1.0.0");
  CHECK_FALSE(find(breakfast->requirements, "oatmeal", "Depends").constraint);
  auto today =
      detectors::parse_r_description_text(slurp(*corpus / "renv_test_repo_packages/today/DESCRIPTION"), "DESCRIPTION");
  REQUIRE(today);
  CHECK(today->r_minimum == "99.99.99");
  CHECK(today->requirements.empty());
}

// --- renv.lock -------------------------------------------------------------------------------

TEST_CASE("renv.lock: renv 1.0, with a GitHub record and line numbers") {
  const std::string text = R"J({
  "R": {
    "Version": "4.4.1",
    "Repositories": [
      {"Name": "CRAN", "URL": "https://packagemanager.posit.co/cran/latest"},
      {"Name": "pik", "URL": "https://rse.pik-potsdam.de/r/packages"}
    ]
  },
  "Bioconductor": {"Version": "3.19"},
  "Packages": {
    "R6": {
      "Package": "R6",
      "Version": "2.5.1",
      "Source": "Repository",
      "Repository": "CRAN",
      "Requirements": ["R"],
      "Hash": "470851b6d5d0ac559e9d01bb352b4021"
    },
    "cards": {
      "Package": "cards", "Version": "0.2.2.9016", "Source": "GitHub", "RemoteType": "github",
      "Requirements": ["R", "cli", "dplyr", "methods", "cli"]
    },
    "Biobase": {"Package": "Biobase", "Version": "2.64.0", "Source": "Bioconductor"},
    "mine": {"Package": "mine", "Version": "1.0", "Source": "Local", "Repository": "https://rse.pik-potsdam.de/r/packages"}
  },
  "Python": {"Name": ".venv", "Type": "virtualenv", "Version": "3.11.4"}
}
)J";
  auto lock = detectors::parse_renv_lock_text(text, "renv.lock");
  REQUIRE_MESSAGE(lock, lock.error().message);
  CHECK(lock->file == "renv.lock");
  CHECK(lock->r_version == "4.4.1");
  REQUIRE(lock->repositories.size() == 2);
  CHECK(lock->repositories[1].name == "pik");
  CHECK(lock->bioconductor_version == "3.19");
  REQUIRE(lock->packages.size() == 4);
  // File order, not the JSON object's (sorted) order.
  CHECK(lock->packages[0].name == "R6");
  CHECK(lock->packages[0].line == 11);
  CHECK(lock->packages[0].hash == "470851b6d5d0ac559e9d01bb352b4021");
  CHECK(lock->packages[0].requirements.empty());  // R is no requirement
  CHECK(lock->packages[1].name == "cards");
  CHECK(lock->packages[1].line == 19);
  CHECK(lock->packages[1].source == "GitHub");
  CHECK(lock->packages[1].remote_type == "github");
  CHECK(lock->packages[1].requirements == std::vector<std::string>{"cli", "dplyr"});
  CHECK(lock->packages[2].source == "Bioconductor");
  CHECK(lock->packages[3].source == "Local");
  CHECK(lock->packages[3].repository == "https://rse.pik-potsdam.de/r/packages");
}

TEST_CASE("renv.lock: renv 0.x and renv 1.1 forms") {
  // renv 0.x: Source "CRAN", no Requirements.
  auto old = detectors::parse_renv_lock_text(R"J({
  "R": {"Version": "3.6.3", "Repositories": [{"Name": "CRAN", "URL": "https://cran.rstudio.com"}]},
  "Packages": {
    "BH": {"Package": "BH", "Version": "1.72.0-3", "Source": "CRAN", "Hash": "8f9ce74c6417d61f0782cbae5fd2b7b0"},
    "renv": {"Package": "renv", "Version": "0.12.0", "Source": "Repository", "Repository": "CRAN"}
  }
})J",
                                             "renv.lock");
  REQUIRE_MESSAGE(old, old.error().message);
  REQUIRE(old->packages.size() == 2);
  CHECK(old->packages[0].source == "CRAN");
  CHECK(old->packages[0].version == "1.72.0-3");
  CHECK(old->packages[0].requirements.empty());
  CHECK(old->packages[0].line == 4);

  // renv 1.1: the DESCRIPTION's own dependency fields.
  auto newer = detectors::parse_renv_lock_text(R"J({
  "R": {"Version": "4.5.0", "Repositories": []},
  "Packages": {
    "readr": {
      "Package": "readr", "Version": "2.1.5", "Source": "Repository",
      "Depends": ["R (>= 3.6)"],
      "Imports": ["cli (>= 3.2.0)", "clipr", "methods", "vroom (>= 1.6.0)"],
      "LinkingTo": ["cpp11", "tzdb (>= 0.1.1)"],
      "Suggests": ["testthat"]
    }
  }
})J",
                                               "renv.lock");
  REQUIRE_MESSAGE(newer, newer.error().message);
  REQUIRE(newer->packages.size() == 1);
  CHECK(newer->packages[0].requirements == std::vector<std::string>{"cli", "clipr", "vroom", "cpp11", "tzdb"});

  // No Packages at all, or an empty object: a lock with nothing to install.
  auto empty = detectors::parse_renv_lock_text(R"J({"R": {"Version": "4.3.2", "Repositories": []}, "Packages": {}})J",
                                               "renv.lock");
  REQUIRE(empty);
  CHECK(empty->packages.empty());
}

TEST_CASE("renv.lock: malformed locks are refused naming file and line") {
  auto check = [](const std::string& text, const std::string& start) {
    CAPTURE(text);
    auto r = detectors::parse_renv_lock_text(text, "binder/renv.lock");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.starts_with(start), r.error().message);
  };
  check("{\n  \"R\": {\"Version\": \"4.3\"},\n  \"Packages\": {\n    \"a1\": {\"Version\": 1.0,}\n  }\n}\n",
        "binder/renv.lock:4: not valid JSON");
  check("[]", "binder/renv.lock:1: expected a JSON object");
  check("{\n\"R\": {\"Version\": \"4.3\", \"x\": 5e47357111}}", "binder/renv.lock:2: not valid JSON: number overflow");
  check("{\"Packages\": []}", "binder/renv.lock:1: `Packages` must be an object");
  check("{\n\"Packages\": {\n\"a1\": {\"Package\": \"a1\"}}}", "binder/renv.lock:3: package `a1` has no `Version`");
  check("{\n\"Packages\": {\n\"a1\": {\"Package\": \"a1\", \"Version\": \"1.x\"}}}",
        "binder/renv.lock:3: package `a1`: ");
  check("{\n\"Packages\": {\n\"a1\": {\"Package\": \"b1\", \"Version\": \"1.0\"}}}",
        "binder/renv.lock:3: the entry `a1` is for package `b1`");
  check("{\n\"Packages\": {\n\"a1\": {\"Version\": \"1.0\"},\n\"a1\": {\"Version\": \"1.1\"}}}",
        "binder/renv.lock:4: package `a1` is listed twice");
  check("{\n\"Packages\": {\n\"a1\": {\"Version\": \"1.0\", \"Requirements\": \"b1\"}}}",
        "binder/renv.lock:3: package `a1`: `Requirements` must be a list");
  check("{\"R\": {\"Version\": 4}}", "binder/renv.lock:1: `R.Version` must be a string");
  check("{\"R\": {\"Repositories\": [{\"Name\": \"CRAN\"}]}}", "binder/renv.lock:1: each of `R.Repositories`");
  check("{\"Packages\": " + std::string(100, '[') + std::string(100, ']') + "}",
        "binder/renv.lock:1: nested deeper than 64");
  check("{\"Packages\": {\"a1\": {\"Version\": \"1.0\", \"Imports\": [\"b1 (>> 2)\"]}}}",
        "binder/renv.lock:1: package `a1`: `Imports`");
}

TEST_CASE("renv.lock conformance: real lockfiles") {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) {
    MLPACK_SKIP("../shared/corpora/r_packages is absent");
    return;
  }
  int files = 0;
  for (const auto& e : fs::directory_iterator(*corpus / "renv_lock")) {
    auto name = e.path().filename().string();
    if (!name.ends_with(".lock")) continue;
    CAPTURE(name);
    ++files;
    auto text = slurp(e.path());
    auto json = nlohmann::json::parse(text);
    auto lock = detectors::parse_renv_lock_text(text, "renv.lock");
    REQUIRE_MESSAGE(lock, lock.error().message);
    REQUIRE(lock->packages.size() == json["Packages"].size());
    if (json.contains("R") && json["R"].contains("Version"))
      CHECK(lock->r_version == json["R"]["Version"].get<std::string>());
    if (json.contains("R") && json["R"].contains("Repositories"))
      CHECK(lock->repositories.size() == json["R"]["Repositories"].size());
    auto lines = lines_of(text);
    std::set<std::string> names;
    for (const auto& p : lock->packages) {
      CAPTURE(p.name);
      names.insert(p.name);
      const auto& record = json["Packages"][p.name];
      CHECK(p.version == record["Version"].get<std::string>());
      CHECK(p.source == record.value("Source", ""));
      CHECK(p.repository == record.value("Repository", ""));
      REQUIRE(p.line >= 1);
      REQUIRE(p.line <= static_cast<int>(lines.size()));
      CHECK(lines[p.line - 1].find("\"" + p.name + "\"") != std::string::npos);
      if (record.contains("Requirements"))
        for (const auto& r : p.requirements)
          CHECK(std::find(record["Requirements"].begin(), record["Requirements"].end(), r) !=
                record["Requirements"].end());
    }
    CHECK(names.size() == lock->packages.size());
    if (name == "CLIF_sepsis.renv.lock") {
      CHECK(lock->packages.size() == 133);
      CHECK(std::count_if(lock->packages.begin(), lock->packages.end(),
                          [](const auto& p) { return p.source == "GitHub"; }) == 2);
    }
  }
  CHECK(files >= 1);
}

// --- runtime.txt -----------------------------------------------------------------------------

TEST_CASE("runtime.txt: repo2docker's R forms") {
  auto rt = [](std::string_view text) { return detectors::parse_r_runtime_text(text, "runtime.txt"); };
  auto full = rt("r-4.3-2024-01-15\n");
  REQUIRE(full);
  REQUIRE(*full);
  CHECK((*full)->version == "4.3");
  CHECK((*full)->snapshot_date == "2024-01-15");
  CHECK((*full)->line == 1);
  auto patch = rt("# pinned\n\nr-4.3.2-2024-02-29\n");
  REQUIRE(patch);
  REQUIRE(*patch);
  CHECK((*patch)->version == "4.3.2");
  CHECK((*patch)->snapshot_date == "2024-02-29");
  CHECK((*patch)->line == 3);
  auto date_only = rt("r-2024-01-15");
  REQUIRE(date_only);
  REQUIRE(*date_only);
  CHECK_FALSE((*date_only)->version);
  CHECK((*date_only)->snapshot_date == "2024-01-15");
  auto version_only = rt("  r-4.4  \r\n");
  REQUIRE(version_only);
  REQUIRE(*version_only);
  CHECK((*version_only)->version == "4.4");
  CHECK_FALSE((*version_only)->snapshot_date);

  // Python's runtime.txt, or nothing: not R's.
  for (std::string_view text : {"python-3.11\n", "", "# nothing\n", "3.11"}) {
    auto r = rt(text);
    REQUIRE(r);
    CHECK_FALSE(*r);
  }
  for (std::string_view text : {"r-latest", "r-4.3-2024-13-01", "r-4.3-2023-02-29", "r-4-2024-01-15", "r-4.3-24-01-15",
                                "r-2024-01-15-extra", "r-", "r-4.3.2.1", "r-4.x"}) {
    CAPTURE(text);
    auto r = rt(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.starts_with("runtime.txt:1: expected `r-<version>-<YYYY>-<MM>-<DD>`"));
  }
}

// --- install.R -------------------------------------------------------------------------------

TEST_CASE("install.R: the install calls it understands") {
  const std::string text =
      "# packages for the analysis\n"                                                          // 1
      "install.packages(\"tidyverse\")\n"                                                      // 2
      "install.packages(c('data.table', \"zoo\"), repos = 'https://cloud.r-project.org')\n"    // 3
      "\n"                                                                                     // 4
      "utils::install.packages(pkgs = c(\n"                                                    // 5
      "  \"sf\",  # spatial\n"                                                                 // 6
      "  \"stats\"\n"                                                                          // 7
      "), dependencies = TRUE, repos = c(CRAN = \"https://x\"))\n"                             // 8
      "library(remotes); remotes::install_version(\"ggplot2\", \"3.4.4\")\n"                   // 9
      "install_version('dplyr', version = '1.1.2', repos = \"https://cran.r-project.org\")\n"  // 10
      "devtools::install_version(\"Rcpp\", \">= 1.0.10\")\n"                                   // 11
      "install_version(package = \"lubridate\", version = NULL)\n"                             // 12
      "require(\"zoo\"); requireNamespace('zoo', quietly = TRUE)\n";                           // 13
  auto r = detectors::parse_install_r_text(text, "install.R");
  REQUIRE_MESSAGE(r, r.error().message);
  std::vector<std::string> got;
  for (const auto& q : *r) got.push_back(q.name + ":" + std::to_string(q.line));
  CHECK(got == std::vector<std::string>{"tidyverse:2", "data.table:3", "zoo:3", "sf:6", "ggplot2:9", "dplyr:10",
                                        "Rcpp:11", "lubridate:12"});
  CHECK(find(*r, "ggplot2").exact_version == "3.4.4");
  CHECK(find(*r, "dplyr").exact_version == "1.1.2");
  CHECK(find(*r, "Rcpp").constraint == ">= 1.0.10");
  CHECK_FALSE(find(*r, "Rcpp").exact_version);
  CHECK_FALSE(find(*r, "lubridate").exact_version);
  CHECK_FALSE(find(*r, "tidyverse").exact_version);
  CHECK(find(*r, "zoo").field == "install.R");
  CHECK(find(*r, "zoo").file == "install.R");

  auto empty = detectors::parse_install_r_text("\xEF\xBB\xBF# nothing yet\n\n", "install.R");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("install.R: anything else is refused, naming the line and suggesting a DESCRIPTION") {
  auto refused = [](const std::string& text, int line, std::string_view also = "") {
    CAPTURE(text);
    auto r = detectors::parse_install_r_text(text, "binder/install.R");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.starts_with("binder/install.R:" + std::to_string(line) + ": "), r.error().message);
    CHECK_MESSAGE(r.error().message.find(also) != std::string::npos, r.error().message);
  };
  const std::string_view suggestion = "List the packages in a DESCRIPTION file instead";
  refused("install.packages('a1')\nx <- c('b1')\n", 2, suggestion);
  refused("pkgs <- c('a1', 'b1')\ninstall.packages(pkgs)\n", 1, "`pkgs <- c('a1', 'b1')`");
  refused("install.packages(pkgs)\n", 1, "written out as strings");
  refused("if (!require('remotes')) install.packages('remotes')\n", 1, suggestion);
  refused("remotes::install_github('r-lib/cli')\n", 1, "need building");
  refused("devtools::install_github(\"a/b\")\n", 1, "github");
  refused("options(repos = c(CRAN = 'https://x'))\n", 1, suggestion);
  refused("install.packages('a1') |> invisible()\n", 1, suggestion);
  refused("install.packages('./pkg.tar.gz', repos = NULL, type = 'source')\n", 1, "is not an R package name");
  refused("install.packages(r\"(a1)\")\n", 1, suggestion);
  refused("install.packages('a1', '/usr/lib/R', 'https://x', 'extra')\n", 1, "an argument mlpack does not know");
  refused("install.packages()\n", 1, "without packages");
  refused("install.packages(c('a1', paste0('b', 1)))\n", 1, "written out as strings");
  refused("install_version('a1', '1.x')\n", 1, "invalid R version");
  refused("install_version('a1', '>= 1.0, < 2')\n", 1, "one constraint");
  refused("install_version(c('a1', 'b1'), '1.0')\n", 1, "one package");
  refused("\n\ninstall.packages('a1'\n", 3, "do not close");
  refused("install.packages('a1)\n", 1, "does not end");
  refused("install.packages('a1'; 'b1')\n", 1, suggestion);
  refused("install.packages('a1')]\n", 1, suggestion);
  refused("utils::install_version('a1')\n", 1, suggestion);
  refused("library(x, character.only = TRUE, 'y')\n", 1, "an argument");
  refused("source('setup.R')\n", 1, "`source('setup.R')`");
  refused("`install.packages`('a1') + 1\n", 1, suggestion);
  refused("install.packages(" + std::string(100, '(') + "'a1'" + std::string(100, ')') + ")\n", 1, "nested deeper");
  // What a message quotes is made safe to print.
  auto r = detectors::parse_install_r_text("system('\x1b[31mrm -rf')\n", "install.R");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find('\x1b') == std::string::npos);
}

// --- the project -----------------------------------------------------------------------------

TEST_CASE("read_r_project: which files, from the root or the binder folder") {
  Project p;
  auto none = detectors::read_r_project(p.root());
  REQUIRE(none);
  CHECK_FALSE(*none);

  p.write("analysis.R", "print(1)\n");  // R code alone does not make an R project
  p.write("runtime.txt", "python-3.11\n");
  none = detectors::read_r_project(p.root());
  REQUIRE(none);
  CHECK_FALSE(*none);

  p.write("runtime.txt", "r-4.3-2024-01-15\n");
  p.write("DESCRIPTION", "Type: Project\nDepends: R (>= 4.1)\nImports: dplyr (>= 1.1.0),\n  stats, zoo\n");
  p.write("install.R", "install.packages('sf')\n");
  p.write("renv.lock", R"J({"R": {"Version": "4.4.1", "Repositories": []},
"Packages": {
  "zoo": {"Package": "zoo", "Version": "1.8-12", "Source": "Repository", "Repository": "CRAN"}
}})J");
  auto r = detectors::read_r_project(p.root());
  REQUIRE_MESSAGE(r, r.error().message);
  REQUIRE(*r);
  const auto& project = **r;
  CHECK(project.files == std::vector<std::string>{"runtime.txt", "DESCRIPTION", "install.R", "renv.lock"});
  CHECK(project.r_version == "4.3");  // runtime.txt before renv.lock
  CHECK(project.r_version_origin == "runtime.txt:1");
  CHECK(project.snapshot_date == "2024-01-15");
  CHECK(project.r_minimum == "4.1");
  std::vector<std::string> got;
  for (const auto& q : project.requirements) got.push_back(q.name + "@" + q.field + ":" + std::to_string(q.line));
  CHECK(got == std::vector<std::string>{"dplyr@Imports:3", "zoo@Imports:4", "sf@install.R:1", "zoo@renv.lock:3"});
  CHECK(find(project.requirements, "zoo", "renv.lock").exact_version == "1.8-12");
  REQUIRE(project.renv);
  CHECK(project.renv->packages.size() == 1);
  CHECK(project.has_r_files);

  // A runtime.txt without a version: renv.lock's R.Version.
  p.write("runtime.txt", "r-2024-01-15\n");
  r = detectors::read_r_project(p.root());
  REQUIRE(r);
  CHECK((*r)->r_version == "4.4.1");
  CHECK((*r)->r_version_origin == "renv.lock");

  // A binder folder hides the root's files.
  p.write("binder/install.R", "install.packages(c('a1', 'b1'))\n");
  r = detectors::read_r_project(p.root());
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->files == std::vector<std::string>{"binder/install.R"});
  CHECK((*r)->requirements.size() == 2);
  CHECK((*r)->requirements[0].file == "binder/install.R");
  CHECK_FALSE((*r)->r_version);
  CHECK((*r)->r_version_origin.empty());

  // Errors name the file as the project shows it.
  p.write("binder/runtime.txt", "r-four\n");
  auto bad = detectors::read_r_project(p.root());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.starts_with("binder/runtime.txt:1: "));
}

TEST_CASE("has_r_files: a bounded walk that skips libraries and metadata") {
  Project p;
  CHECK_FALSE(detectors::has_r_files(p.root()));
  p.write("README.md", "x\n");
  p.write(".git/hooks/x.R", "1\n");
  p.write("renv/library/R-4.3/x86_64-pc-linux-gnu/pkg/R/pkg.R", "1\n");
  p.write("packrat/lib/x.R", "1\n");
  p.write("node_modules/x/y.R", "1\n");
  CHECK_FALSE(detectors::has_r_files(p.root()));
  p.write("renv/activate.R", "1\n");  // renv's own script is R code of the project's
  CHECK(detectors::has_r_files(p.root()));
  fs::remove(p.root() / "renv" / "activate.R");
  p.write("reports/summary.Rmd", "---\n");
  CHECK(detectors::has_r_files(p.root()));
  fs::remove(p.root() / "reports" / "summary.Rmd");
  p.write("a/b/c/analysis.r", "1\n");
  CHECK(detectors::has_r_files(p.root()));
}
