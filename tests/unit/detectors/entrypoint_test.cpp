// Procfile and ./start: what the image runs when mlpack.yaml names nothing.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "detectors/entrypoint.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using Kind = detectors::DefaultCommand::Kind;
namespace fs = std::filesystem;

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

TEST_CASE("is_python_shebang: python, python3 and python3.X, directly or through env") {
  for (const char* yes : {"#!/usr/bin/env python", "#!/usr/bin/env python3", "#!/usr/bin/python3.11", "#! /usr/bin/python3",
                          "#!/usr/bin/env -S python3 -u", "#!/usr/bin/env PYTHONUNBUFFERED=1 python3", "#!python3",
                          "#!/usr/bin/env python3\r", "#!/opt/venv/bin/python -O", "#!/usr/bin/env -u HOME python"})
    CHECK_MESSAGE(detectors::is_python_shebang(yes), yes);
  for (const char* no : {"", "#!/bin/sh", "#!/usr/bin/env bash", "# python3", "#!/usr/bin/env pythonista",
                         "#!/usr/bin/env python3-config", "#!/usr/bin/env", "#!/usr/local/bin/ipython3", "python3",
                         "#!/usr/bin/env -S bash -c python3", "#!/usr/bin/env Rscript"})
    CHECK_MESSAGE(!detectors::is_python_shebang(no), no);
}

TEST_CASE("find_python_code: scripts, notebooks and executable Python scripts anywhere, as repo2docker sees them") {
  auto dir = util::TempDir::create();
  REQUIRE(dir.has_value());
  const auto root = dir->path();
  auto write = [&](const std::string& rel, const std::string& text, int mode = 0644) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
    ::chmod((root / rel).c_str(), mode);
  };
  CHECK_FALSE(detectors::find_python_code(root));
  write("README.md", "# analysis\n");
  write("run.sh", "#!/bin/sh\nexec python3 train\n", 0755);
  write("train", "#!/usr/bin/env python3\nprint('hi')\n", 0644);  // not executable: not a script
  write(".git/hooks/pre-commit.py", "");
  write("venv/bin/activate_this.py", "");
  write("env/pyvenv.cfg", "home = /usr/bin\n");
  write("env/lib/site.py", "");
  write("notebooks/.ipynb_checkpoints/a-checkpoint.ipynb", "{}");
  write("node_modules/x/gyp.py", "");
  CHECK_FALSE(detectors::find_python_code(root));

  ::chmod((root / "train").c_str(), 0755);
  CHECK(detectors::find_python_code(root) == "train");
  write("notebooks/analysis.ipynb", "{}");
  CHECK(detectors::find_python_code(root) == "notebooks/analysis.ipynb");  // sorted: notebooks/ before train
  fs::remove(root / "notebooks/analysis.ipynb");
  write("bin/fit", "#!/usr/bin/python3.11 -u\n", 0700);
  CHECK(detectors::find_python_code(root) == "bin/fit");
  fs::remove(root / "bin/fit");
  fs::remove(root / "train");
  write("src/pkg/deep/er/still/model.py", "");
  CHECK(detectors::find_python_code(root) == "src/pkg/deep/er/still/model.py");
}

TEST_CASE("find_python_code follows no links and reads no FIFOs") {
  auto dir = util::TempDir::create();
  auto outside = util::TempDir::create();
  REQUIRE(dir.has_value());
  REQUIRE(outside.has_value());
  const auto root = dir->path();
  std::ofstream(outside->path() / "tool.py") << "";
  fs::create_directory_symlink(outside->path(), root / "linked");
  fs::create_symlink(outside->path() / "tool.py", root / "tool.py");
  REQUIRE(::mkfifo((root / "pipe").c_str(), 0755) == 0);
  CHECK_FALSE(detectors::find_python_code(root));  // returns, never waits on the FIFO
}
