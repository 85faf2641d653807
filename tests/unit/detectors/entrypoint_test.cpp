// Procfile and ./start: what the image runs when mlpack.yaml names nothing.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "detectors/entrypoint.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using Kind = detectors::DefaultCommand::Kind;

TEST_CASE("default_command: Procfile web, else an executable start, else nothing") {
  auto dir = util::TempDir::create();
  REQUIRE(dir.has_value());
  const auto root = dir->path();
  CHECK(detectors::default_command(root).value().kind == Kind::none);
  std::ofstream(root / "start") << "#!/bin/sh\nexec \"$@\"\n";
  CHECK(detectors::default_command(root).value().kind == Kind::none);  // not executable yet
  ::chmod((root / "start").c_str(), 0755);
  auto start = detectors::default_command(root).value();
  CHECK(start.kind == Kind::start_script);
  CHECK(start.command == "/app/start");
  std::ofstream(root / "Procfile") << "# processes\n\nworker: python worker.py\nweb:   gunicorn app:app --bind 0.0.0.0:8080  \n";
  auto web = detectors::default_command(root).value();
  CHECK(web.kind == Kind::procfile_web);
  CHECK(web.command == "gunicorn app:app --bind 0.0.0.0:8080");
}

TEST_CASE("a malformed Procfile names the line") {
  auto dir = util::TempDir::create();
  REQUIRE(dir.has_value());
  std::ofstream(dir->path() / "Procfile") << "web: python a.py\nthis is not a process\n";
  auto r = detectors::read_procfile(dir->path());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message.find("Procfile:2") != std::string::npos);
  std::ofstream(dir->path() / "Procfile") << "web: a\nweb: b\n";
  auto twice = detectors::read_procfile(dir->path());
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message.find("Procfile:2") != std::string::npos);
}
