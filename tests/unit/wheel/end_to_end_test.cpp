// The layer, unpacked, is a venv the host's own python3 runs: importlib.metadata sees every
// distribution and its entry points, and the generated launchers work.
#include <unistd.h>

#include "skip.hpp"
#include "util/text.hpp"
#include "wheel_test_util.hpp"

using namespace wheel_test;

TEST_CASE("end to end: a venv on the host's python3 from the layer") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  if (::access("/usr/bin/python3", X_OK) != 0 || ::access("/usr/bin/tar", X_OK) != 0) {
    MLPACK_SKIP("no /usr/bin/python3 or /usr/bin/tar");
    return;
  }
  auto [vrc, version] = run("/usr/bin/python3 -c 'import sys, platform; print(sys.executable, platform.python_version())'");
  REQUIRE(vrc == 0);
  auto space = version.find(' ');
  std::string interpreter = fs::canonical(version.substr(0, space)).string();
  std::string python_version = util::trim(version.substr(space + 1));

  auto dir = temp_dir();
  fs::path root = fs::canonical(dir.path());
  // The venv's prefix is where it will really be on this host, so that shebangs work.
  wheel::VenvLayout layout{.prefix = (root / "venv").string(), .interpreter = interpreter,
                           .python_version = python_version};
  auto venv = wheel::venv_entries(layout);
  if (!venv) FAIL(venv.error().message);
  std::vector<wheel::Distribution> dists{{"the virtual environment", "", *venv}};
  for (const char* w : {"simplewheel-1.0-py2.py3-none-any.whl", "script.wheel1-0.1-py2.py3-none-any.whl",
                        "console_scripts_uppercase-1.0-py2.py3-none-any.whl", "simple_namespace-1.0-py2.py3-none-any.whl",
                        "prjwithdatafile-1.0-py2.py3-none-any.whl"}) {
    auto d = wheel::install_wheel(*pkgs / w, sha256_of_file(*pkgs / w), layout, {.requested = wheel::Requested::yes});
    if (!d) FAIL(d.error().message);
    dists.push_back(std::move(*d));
  }
  fs::create_directories(root / "app" / "iris");
  {
    std::ofstream(root / "app" / "iris" / "__init__.py") << "def main():\n    print('iris says hi')\n";
  }
  auto project = wheel::project_entries({.name = "iris", .version = "0.1", .scripts = {{"iris-hi", "iris:main"}},
                                         .import_root = (root / "app").string()},
                                        layout);
  if (!project) FAIL(project.error().message);
  dists.push_back(std::move(*project));
  auto entries = wheel::layer_entries(std::move(dists));
  if (!entries) FAIL(entries.error().message);
  util::StringWriter out;
  REQUIRE(archive::write_layer(std::move(*entries), {.compression = archive::Compression::gzip}, out));
  REQUIRE(util::write_file_atomic(root / "layer.tar.gz", out.out));

  // The layer's paths start with the temp dir's components; strip them to land at root/venv.
  std::size_t depth = 0;
  for (const auto& c : root) depth += c != "/" ? 1 : 0;
  auto [xrc, xout] = run("/usr/bin/tar -xzf " + (root / "layer.tar.gz").string() + " -C " + root.string() +
                         " --strip-components=" + std::to_string(depth));
  REQUIRE_MESSAGE(xrc == 0, xout);
  REQUIRE(fs::is_symlink(root / "venv" / "bin" / "python"));

  std::string py = (root / "venv" / "bin" / "python").string();
  auto [mrc, metadata] = run(
      py + " -I -c \"import sys, importlib.metadata as m; "
           "print(sys.prefix != sys.base_prefix, sys.prefix); "
           "print(sorted((d.metadata['Name'], d.version, d.read_text('INSTALLER').strip()) for d in m.distributions())); "
           "print(sorted(e.name + '=' + e.value for e in m.entry_points(group='console_scripts'))); "
           "import simplewheel, simple_namespace.module, iris; print(simplewheel.__version__)\"");
  REQUIRE_MESSAGE(mrc == 0, metadata);
  CHECK(metadata.find("True " + (root / "venv").string()) != std::string::npos);
  CHECK(metadata.find("('simplewheel', '1.0', 'mlpack')") != std::string::npos);
  CHECK(metadata.find("('script.wheel1', '0.1', 'mlpack')") != std::string::npos);
  CHECK(metadata.find("('iris', '0.1', 'mlpack')") != std::string::npos);
  CHECK(metadata.find("'cmdName=cmdmod:cmd'") != std::string::npos);
  CHECK(metadata.find("'iris-hi=iris:main'") != std::string::npos);
  CHECK(metadata.find("'t1=test:main'") != std::string::npos);

  // script.wheel1's `t1 = test:main` is not run: the standard library's `test` package comes
  // before site-packages on sys.path and shadows the wheel's test.py (as it does under pip).
  auto [crc, cmd] = run((root / "venv" / "bin" / "cmdName").string());
  CHECK_MESSAGE(crc == 0, cmd);
  CHECK(cmd == "Hello world!\n");
  auto [irc, iris] = run((root / "venv" / "bin" / "iris-hi").string());
  CHECK_MESSAGE(irc == 0, iris);
  CHECK(iris == "iris says hi\n");
  CHECK(fs::exists(root / "venv" / "packages1" / "README.txt"));
}
