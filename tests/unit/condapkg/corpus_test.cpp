// install_package over the real packages of ../shared/corpora/conda_channels_packages, checked
// against packages_manifest.json, which was derived from the archives by other tools.
#include <doctest/doctest.h>

#include "condapkg_test_util.hpp"
#include "corpora.hpp"
#include "skip.hpp"

using namespace condapkg_test;

namespace {

std::optional<fs::path> corpus() {
  auto dir = mlpack::test::corpus_dir("conda_channels_packages");
  if (!dir) MLPACK_SKIP("../shared/corpora/conda_channels_packages is absent");
  return dir;
}

// The manifest's entry for a file, and the lock's view of it.
struct CorpusPackage {
  nlohmann::json manifest;
  condapkg::PackageRef ref;
  fs::path file;
};

std::vector<CorpusPackage> packages(const fs::path& root, std::initializer_list<std::string_view> folders) {
  auto manifest = mlpack::test::read_json(root / "packages_manifest.json");
  std::vector<CorpusPackage> out;
  for (const auto& m : manifest) {
    std::string file = m["file"];
    bool wanted = false;
    for (auto f : folders) wanted = wanted || file.starts_with(std::string(f) + "/");
    if (!wanted) continue;
    CorpusPackage p;
    p.manifest = m;
    p.file = root / file;
    std::string fn = file.substr(file.rfind('/') + 1);
    p.ref.filename = fn;
    p.ref.sha256 = m["sha256"];
    p.ref.size = m["size"];
    const auto& info = m.value("info_files", nlohmann::json::object());
    if (info.contains("info/index.json")) {
      const auto& idx = info["info/index.json"];
      p.ref.name = idx.value("name", "");
      p.ref.version = idx.value("version", "");
      p.ref.build = idx.value("build", "");
    }
    out.push_back(std::move(p));
  }
  return out;
}

condapkg::Prefix prefix() {
  return condapkg::Prefix{"/opt/conda", "lib/python3.11/site-packages"};
}

}  // namespace

TEST_CASE("corpus: every package of the channels installs, as its paths.json and the manifest say") {
  auto root = corpus();
  if (!root) return;
  auto all = packages(*root, {"conda_test_recipes_channel", "rattler_clobber", "rattler_link-scripts",
                              "rattler_packages", "rattler_sparse", "conda_format_repo/win-64", "rattler_test-server"});
  REQUIRE(all.size() > 60);
  std::size_t installed = 0, files_checked = 0;
  for (const auto& p : all) {
    if (p.ref.name.empty()) continue;  // the manifest could not read its index.json: see the sparse case below
    CAPTURE(p.manifest["file"]);
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    ++installed;
    const auto& info = p.manifest["info_files"];
    bool noarch_python = info["info/index.json"].value("noarch", "") == "python";
    if (!info.contains("info/paths.json")) continue;
    for (const auto& path : info["info/paths.json"]["paths"]) {
      std::string at = path["_path"];
      if (noarch_python && at.starts_with("site-packages/")) at = "lib/python3.11/" + at;
      const auto* e = find(r->entries, "opt/conda/" + at);
      REQUIRE_MESSAGE(e, at);
      std::string type = path.value("path_type", "hardlink");
      if (type == "softlink") {
        CHECK(e->type == archive::EntryType::symlink);
        continue;
      }
      if (type != "hardlink") continue;
      auto content = content_of(*e);
      if (path.contains("prefix_placeholder")) {
        CHECK(content.find(path["prefix_placeholder"].get<std::string>()) == std::string::npos);
      } else if (!path.value("sha256", "").empty()) {
        CHECK(sha256(content) == path["sha256"]);
        ++files_checked;
      }
    }
    // conda-meta names the package with what the lock says.
    auto* meta = find(r->entries, "opt/conda/conda-meta/" + r->label() + ".json");
    REQUIRE(meta);
    CHECK(nlohmann::json::parse(meta->data)["sha256"] == p.ref.sha256);
  }
  CHECK(installed > 60);
  CHECK(files_checked > 40);
}

TEST_CASE("corpus: the real zlib (.conda and .tar.bz2) gets /opt/conda in its pkg-config file, the same from both") {
  auto root = corpus();
  if (!root) return;
  // The win-64 build: only files, and a text placeholder (conda-build's build prefix).
  auto both = packages(*root, {"conda_format_repo/win-64"});
  REQUIRE(both.size() == 2);
  std::vector<std::string> pcs;
  for (const auto& p : both) {
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    auto* pc = find(r->entries, "opt/conda/Library/share/pkgconfig/zlib.pc");
    REQUIRE(pc);
    CHECK(pc->data.find("prefix=/opt/conda/Library\r\n") != std::string::npos);
    CHECK(pc->data.find("C:/ci/") == std::string::npos);
    pcs.push_back(pc->data);
  }
  CHECK(pcs[0] == pcs[1]);
  // conda's copies of the linux-64 build lost their symlinks (an empty target in the .conda, an
  // empty file in the .tar.bz2) where paths.json lists softlinks: refused, naming the path.
  for (const auto& p : packages(*root, {"conda_format_repo/linux-64"})) {
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE(!r);
    CHECK(r.error().kind == mlpack::util::ErrorKind::integrity);
    CHECK_MESSAGE(r.error().message.find("lib/libz.so") != std::string::npos, r.error().message);
  }
}

TEST_CASE("corpus: rattler's clobber packages are refused together, naming both") {
  auto root = corpus();
  if (!root) return;
  auto all = packages(*root, {"rattler_clobber"});
  auto pick = [&](std::string_view fn) {
    for (const auto& p : all)
      if (p.ref.filename == fn) return p;
    FAIL("missing " << fn);
    return all.front();
  };
  std::vector<condapkg::Installed> installed;
  for (auto fn : {"clobber-1-0.1.0-h4616a5c_0.tar.bz2", "clobber-2-0.1.0-h4616a5c_0.tar.bz2"}) {
    auto p = pick(fn);
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE(r);
    installed.push_back(*r);
  }
  auto r = condapkg::check_environment(installed, prefix());
  REQUIRE(!r);
  CHECK(r.error().message.find("clobber-1-0.1.0-h4616a5c_0") != std::string::npos);
  CHECK(r.error().message.find("clobber-2-0.1.0-h4616a5c_0") != std::string::npos);
  // Two symlinks at one path.
  installed.clear();
  for (auto fn : {"clobber-with-symlink-a-0.1.0-h4616a5c_0.conda", "clobber-with-symlink-b-0.1.0-h4616a5c_0.conda"}) {
    auto p = pick(fn);
    auto i = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE(i);
    installed.push_back(*i);
  }
  auto s = condapkg::check_environment(installed, prefix());
  REQUIRE(!s);
  CHECK(s.error().message.find("lib/clobber.so") != std::string::npos);
  // Two noarch python packages clobbering in site-packages.
  installed.clear();
  for (auto fn : {"clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2", "clobber-pynoarch-2-0.1.0-pyh4616a5c_0.tar.bz2"}) {
    auto p = pick(fn);
    auto i = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE(i);
    installed.push_back(*i);
  }
  CHECK(!condapkg::check_environment(installed, prefix()));
}

TEST_CASE("corpus: link scripts are reported, not run; activation scripts found") {
  auto root = corpus();
  if (!root) return;
  for (const auto& p : packages(*root, {"rattler_link-scripts", "conda_test_recipes_channel"})) {
    if (p.ref.filename != "link-scripts-0.1.0-h4616a5c_0.conda" && p.ref.filename != "post_link-c-1.0-0.conda" &&
        p.ref.filename != "activate_deactivate_package-1.0-0.conda")
      continue;
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE(r);
    if (p.ref.name == "link-scripts")
      CHECK(r->link_scripts ==
            std::vector<std::string>{"bin/.link-scripts-post-link.sh", "bin/.link-scripts-pre-unlink.sh"});
    else if (p.ref.name == "post_link-c")
      CHECK(r->link_scripts == std::vector<std::string>{"bin/.post_link-c-post-link.sh"});
    else {
      REQUIRE(r->activation.size() == 1);
      CHECK(r->activation[0].path == "etc/conda/activate.d/activate.sh");
    }
  }
}

TEST_CASE("corpus: rattler's sparse packages (no paths.json, ./ paths, a hardlink, info only)") {
  auto root = corpus();
  if (!root) return;
  auto p = [&](const char* fn, const char* name) {
    condapkg::PackageRef ref;
    ref.filename = fn;
    ref.name = name;
    ref.version = "1.0.0";
    ref.build = "0";
    auto file = *root / "rattler_sparse" / fn;
    ref.sha256 = mlpack::util::sha256_file(file.string())->hex();
    return condapkg::install_package(file, ref, prefix());
  };
  auto sym = p("symlink-test-1.0.0-0.conda", "symlink-test");
  REQUIRE_MESSAGE(sym, (sym ? "" : sym.error().message));
  CHECK(find(sym->entries, "opt/conda/lib/liblink.so")->link_target == "libreal.so.1");
  CHECK(content_of(*find(sym->entries, "opt/conda/lib/libhard.so")) ==
        content_of(*find(sym->entries, "opt/conda/lib/libreal.so.1")));
  auto zip64 = p("zip64-test-1.0.0-0.conda", "zip64-test");
  REQUIRE_MESSAGE(zip64, (zip64 ? "" : zip64.error().message));
  CHECK(find(zip64->entries, "opt/conda/bin/hello.txt"));
  auto dot = p("dotslash-test-1.0.0-0.conda", "dotslash-test");
  if (dot)
    CHECK(find(dot->entries, "opt/conda/lib/data.txt"));
  else
    MESSAGE("dotslash-test: " << dot.error().message);
}

TEST_CASE("corpus: conda-forge's ca-certificates: the bundle and its cert.pem link, in a zip with folder entries") {
  auto root = corpus();
  if (!root) return;
  auto all = packages(*root, {"rattler_packages"});
  for (const auto& p : all) {
    if (p.ref.name != "ca-certificates") continue;
    auto r = condapkg::install_package(p.file, p.ref, prefix());
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    auto* link = find(r->entries, "opt/conda/ssl/cert.pem");
    REQUIRE(link);
    CHECK(link->type == archive::EntryType::symlink);
    CHECK(link->link_target == "cacert.pem");
    auto* bundle = find(r->entries, "opt/conda/ssl/cacert.pem");
    REQUIRE(bundle);
    auto pem = content_of(*bundle);
    CHECK(pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos);
    CHECK(pem.size() > 100000);  // streamed out of the package, over the inline limit
    CHECK(bundle->open);
    return;
  }
  FAIL("ca-certificates is not in the corpus manifest");
}
