// The entrypoint precedence: mlpack.yaml > Procfile `web:` > executable ./start > a registry base
// image's own command > what the buildpacks below proposed.
#include <doctest/doctest.h>

#include "buildpacks/app/app.hpp"

using namespace mlpack;
using Strings = std::vector<std::string>;
using Kind = detectors::DefaultCommand::Kind;

TEST_CASE("set_command: the project's command wins, then the base image's, then the proposal") {
  detectors::ProjectConfig yaml;
  detectors::DefaultCommand none;
  detectors::DefaultCommand procfile{Kind::procfile_web, "gunicorn app:app"};
  detectors::DefaultCommand start{Kind::start_script, "/app/start"};
  const Strings python = {"python"};

  SUBCASE("a fresh config gets the proposal") {
    oci::ImageConfig c;
    buildpacks::app::set_command(c, yaml, none, python);
    CHECK(c.cmd == python);
    CHECK_FALSE(c.entrypoint);
  }
  SUBCASE("a registry base image keeps its own command over the proposal") {
    oci::ImageConfig c;
    c.cmd = Strings{"python3"};
    buildpacks::app::set_command(c, yaml, none, python);
    CHECK(c.cmd == Strings{"python3"});
  }
  SUBCASE("a Procfile replaces the base image's entrypoint and command") {
    oci::ImageConfig c;
    c.entrypoint = Strings{"docker-entrypoint.sh"};
    c.cmd = Strings{"python3"};
    buildpacks::app::set_command(c, yaml, procfile, python);
    CHECK(c.cmd == Strings{"/bin/sh", "-c", "gunicorn app:app"});
    CHECK_FALSE(c.entrypoint);
  }
  SUBCASE("./start replaces the base image's command") {
    oci::ImageConfig c;
    c.cmd = Strings{"python3"};
    buildpacks::app::set_command(c, yaml, start, python);
    CHECK(c.entrypoint == Strings{"/app/start"});
    CHECK_FALSE(c.cmd);
  }
  SUBCASE("mlpack.yaml wins over a Procfile") {
    oci::ImageConfig c;
    yaml.entrypoint = Strings{"python", "serve.py"};
    buildpacks::app::set_command(c, yaml, procfile, python);
    CHECK(c.entrypoint == Strings{"python", "serve.py"});
    CHECK_FALSE(c.cmd);
  }
}
