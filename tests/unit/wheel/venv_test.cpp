// The venv skeleton, conflicts between distributions, the project made importable, and layers
// written from all of them.
#include "wheel_test_util.hpp"

using namespace wheel_test;
using mlpack::util::ErrorKind;
using mlpack::wheel::VenvLayout;

namespace {

const std::string sp = "opt/venv/lib/python3.11/site-packages/";

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

wheel::Distribution dist(std::string name, std::vector<std::string> files) {
  wheel::Distribution d{std::move(name), "1.0", {}};
  for (auto& f : files) {
    archive::Entry e;
    e.path = std::move(f);
    e.data = "x";
    d.entries.push_back(std::move(e));
  }
  return d;
}

}  // namespace

TEST_CASE("the venv skeleton is what `python -m venv` leaves, without running it") {
  auto v = wheel::venv_entries(VenvLayout{});
  REQUIRE(v);
  std::vector<std::string> paths;
  for (const auto& e : *v) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"opt", "opt/venv", "opt/venv/bin", "opt/venv/bin/activate",
                                          "opt/venv/bin/python", "opt/venv/bin/python3", "opt/venv/bin/python3.11",
                                          "opt/venv/include", "opt/venv/lib", "opt/venv/lib/python3.11",
                                          "opt/venv/lib/python3.11/site-packages", "opt/venv/lib64",
                                          "opt/venv/pyvenv.cfg"});
  CHECK(find(*v, "opt/venv/pyvenv.cfg")->data ==
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\nexecutable = /usr/bin/python3.11\n");
  CHECK(find(*v, "opt/venv/bin/python")->link_target == "/usr/bin/python3.11");
  CHECK(find(*v, "opt/venv/bin/python3")->link_target == "python");
  CHECK(find(*v, "opt/venv/bin/python3.11")->link_target == "python");
  CHECK(find(*v, "opt/venv/lib64")->link_target == "lib");
  CHECK(has(find(*v, "opt/venv/bin/activate")->data, "VIRTUAL_ENV=/opt/venv\n"));

  auto apt = wheel::venv_entries(VenvLayout{}, {.apt_packages = wheel::AptPackages::visible, .activate = wheel::Activate::no});
  REQUIRE(apt);
  CHECK_FALSE(find(*apt, "opt/venv/bin/activate"));
  CHECK(find(*apt, sp + "_mlpack_apt_dist_packages.pth")->data == "/usr/lib/python3/dist-packages\n");
}

TEST_CASE("venv layouts are checked") {
  CHECK_FALSE(wheel::venv_entries({.prefix = "opt/venv"}));
  CHECK_FALSE(wheel::venv_entries({.prefix = "/opt/../venv"}));
  CHECK_FALSE(wheel::venv_entries({.prefix = "/opt/my venv"}));
  CHECK_FALSE(wheel::venv_entries({.interpreter = "python3"}));
  CHECK_FALSE(wheel::venv_entries({.python_version = "3"}));
  CHECK_FALSE(wheel::venv_entries({.python_version = "3.x"}));
  auto p = wheel::venv_paths({.prefix = "/venv", .interpreter = "/usr/local/bin/python3.12", .python_version = "3.12"});
  REQUIRE(p);
  CHECK(p->site_packages == "venv/lib/python3.12/site-packages");
  CHECK(p->python == "/venv/bin/python");
  CHECK(p->include == "venv/include/site/python3.12");
}

TEST_CASE("two distributions writing one path conflict; shared directories do not") {
  auto a = dist("alpha", {sp + "shared/__init__.py", sp + "ns/a.py"});
  auto b = dist("beta", {sp + "shared/__init__.py"});
  auto c = dist("gamma", {sp + "ns/c.py"});
  std::vector<wheel::Distribution> ac{a, c};
  CHECK(wheel::check_conflicts(ac));  // a namespace package shared by two
  std::vector<wheel::Distribution> ab{a, b};
  auto r = wheel::check_conflicts(ab);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "`alpha 1.0` and `beta 1.0` both install `/" + sp + "shared/__init__.py`");

  // A file where another needs a directory, and a path under the skeleton's lib64 symlink.
  std::vector<wheel::Distribution> file_dir{dist("alpha", {sp + "ns"}), c};
  auto fd = wheel::check_conflicts(file_dir);
  REQUIRE_FALSE(fd);
  CHECK(has(fd.error().message, "`alpha 1.0` installs `/" + sp + "ns` as a file or symlink, but `gamma 1.0`"));
  auto venv = wheel::venv_entries(VenvLayout{});
  REQUIRE(venv);
  std::vector<wheel::Distribution> under_link{{"the virtual environment", "", *venv},
                                              dist("sneaky", {"opt/venv/lib64/x"})};
  CHECK_FALSE(wheel::check_conflicts(under_link));
}

TEST_CASE("two real wheels writing the same file conflict") {
  auto dir = temp_dir();
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  auto one = build_wheel(dir.path() / "a", {.name = "one", .members = {{"common/util.py", "a\n"}, {"ns/one.py", ""}}});
  auto two = build_wheel(dir.path() / "b", {.name = "two", .members = {{"common/util.py", "b\n"}, {"ns/two.py", ""}}});
  auto d1 = wheel::install_wheel(one.path, one.sha256, VenvLayout{});
  auto d2 = wheel::install_wheel(two.path, two.sha256, VenvLayout{});
  REQUIRE(d1);
  REQUIRE(d2);
  std::vector<wheel::Distribution> both{*d1, *d2};
  auto r = wheel::layer_entries(both);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "`one 1.0` and `two 1.0` both install `/" + sp + "common/util.py`");
}

TEST_CASE("the project becomes importable from /app, with its scripts") {
  wheel::Project project{.name = "Iris.Classifier",
                         .version = "0.3",
                         .scripts = {{"serve", "iris.server:main"}},
                         .gui_scripts = {},
                         .import_root = "/app/src"};
  auto d = wheel::project_entries(project, VenvLayout{});
  if (!d) FAIL(d.error().message);
  CHECK(d->name == "iris-classifier");
  CHECK(find(d->entries, sp + "_mlpack_iris_classifier.pth")->data == "/app/src\n");
  const std::string di = sp + "iris_classifier-0.3.dist-info/";
  CHECK(find(d->entries, di + "METADATA")->data == "Metadata-Version: 2.1\nName: Iris.Classifier\nVersion: 0.3\n");
  CHECK(find(d->entries, di + "entry_points.txt")->data == "[console_scripts]\nserve = iris.server:main\n");
  CHECK(has(find(d->entries, di + "direct_url.json")->data, "\"url\":\"file:///app/src\""));
  auto* serve = find(d->entries, "opt/venv/bin/serve");
  REQUIRE(serve);
  CHECK(serve->mode == 0755);
  CHECK(has(serve->data, "from iris.server import main\n"));
  auto record = find(d->entries, di + "RECORD")->data;
  CHECK(has(record, "../../../bin/serve," + hash_of(serve->data) + ","));
  CHECK(has(record, "iris_classifier-0.3.dist-info/RECORD,,\n"));

  CHECK_FALSE(wheel::project_entries({.name = "bad name"}, VenvLayout{}));
  CHECK_FALSE(wheel::project_entries({.name = "x", .version = "not a version"}, VenvLayout{}));
  CHECK_FALSE(wheel::project_entries({.name = "x", .import_root = "app"}, VenvLayout{}));
  CHECK_FALSE(wheel::project_entries({.name = "x", .import_root = "/app\nimport os"}, VenvLayout{}));
  CHECK_FALSE(wheel::project_entries({.name = "x", .scripts = {{"../x", "m:f"}}}, VenvLayout{}));
  CHECK_FALSE(wheel::project_entries({.name = "x", .scripts = {{"x", "m"}}}, VenvLayout{}));
}

TEST_CASE("a layer from the venv and wheels: listing, modes, parent directories, same bytes twice") {
  auto pkgs = pip_packages();
  if (!pkgs) return;
  auto build = [&] {
    auto venv = wheel::venv_entries(VenvLayout{});
    REQUIRE(venv);
    std::vector<wheel::Distribution> dists{{"the virtual environment", "", *venv}};
    for (const char* w : {"simplewheel-1.0-py2.py3-none-any.whl", "has.script-1.0-py2.py3-none-any.whl",
                          "mypy-0.782-py3-none-any.whl"}) {
      auto d = wheel::install_wheel(*pkgs / w, sha256_of_file(*pkgs / w), VenvLayout{});
      if (!d) FAIL(d.error().message);
      dists.push_back(std::move(*d));
    }
    auto entries = wheel::layer_entries(std::move(dists));
    if (!entries) FAIL(entries.error().message);
    util::StringWriter out;
    auto r = archive::write_layer(std::move(*entries), {.compression = archive::Compression::none}, out);
    if (!r) FAIL(r.error().message);
    return out.out;
  };
  auto tar = build();
  CHECK(tar == build());
  auto members = list_tar(tar);
  std::map<std::string, TarMember> by_name;
  for (auto& m : members) by_name[m.name] = m;
  CHECK(by_name.size() == members.size());  // no path twice
  CHECK(by_name.at("opt/venv/bin/python").link == "/usr/bin/python3.11");
  CHECK(by_name.at("opt/venv/bin/script.py").mode == 0755);
  CHECK(by_name.at("opt/venv/bin/mypy").mode == 0755);
  CHECK(by_name.at(sp + "mypy/").type == AE_IFDIR);  // parent directories added
  CHECK(by_name.at(sp + "mypy/typeshed/").mode == 0755);
  CHECK(by_name.at(sp + "simplewheel/__init__.py").mode == 0644);
  CHECK(has(by_name.at(sp + "simplewheel/__init__.py").content, "__version__"));
  // Every RECORD matches the layer's bytes.
  for (const auto& [name, m] : by_name) {
    if (!name.ends_with(".dist-info/RECORD")) continue;
    auto rows = wheel::detail::parse_record(m.content);
    REQUIRE(rows);
    for (const auto& row : *rows) {
      std::string path = row.path.starts_with("../../../") ? "opt/venv/" + row.path.substr(9) : sp + row.path;
      REQUIRE_MESSAGE(by_name.contains(path), path);
      if (row.hash.empty()) continue;
      CHECK_MESSAGE(row.hash == hash_of(by_name.at(path).content), path);
    }
  }
}
