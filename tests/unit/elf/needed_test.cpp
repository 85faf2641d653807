// ImagePaths (symlinks, usrmerge) and check_needed's search order over made-up images.
#include "elf/needed.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "skip.hpp"

using namespace mlpack;

namespace {

// A Debian bookworm-like image: usrmerge's top-level links, libc, libcurl and R's libR.
elf::ImagePaths bookworm() {
  elf::ImagePaths image;
  image.add_symlink("lib", "usr/lib");
  image.add_symlink("lib64", "usr/lib64");
  image.add_symlink("bin", "usr/bin");
  image.add_file("usr/lib/x86_64-linux-gnu/libc.so.6");
  image.add_file("usr/lib/x86_64-linux-gnu/libm.so.6");
  image.add_file("usr/lib64/ld-linux-x86-64.so.2");
  image.add_file("usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0");
  image.add_symlink("usr/lib/x86_64-linux-gnu/libcurl.so.4", "libcurl.so.4.8.0");
  image.add_file("usr/lib/R/lib/libR.so");
  image.add_symlink("usr/lib/libR.so", "/usr/lib/R/lib/libR.so");
  return image;
}

elf::Object object(std::string path, std::vector<std::string> needed) {
  elf::Object o;
  o.path = std::move(path);
  o.info.machine = elf::em_x86_64;
  o.info.is_64 = true;
  o.info.needed = std::move(needed);
  return o;
}

}  // namespace

TEST_CASE("ImagePaths: links followed at every step, relative and absolute, loops refused") {
  auto image = bookworm();
  CHECK(image.exists("lib/x86_64-linux-gnu/libc.so.6"));  // lib -> usr/lib
  CHECK(image.exists("/lib/x86_64-linux-gnu/libc.so.6"));
  CHECK(image.exists("lib64/ld-linux-x86-64.so.2"));
  CHECK(image.exists("lib/x86_64-linux-gnu/libcurl.so.4"));
  CHECK(image.resolve("lib/x86_64-linux-gnu/libcurl.so.4") == "usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0");
  CHECK(image.exists("usr/lib/libR.so"));
  CHECK(image.exists("usr/lib/R/../R/lib/./libR.so"));
  CHECK(image.exists("usr/lib/R/lib"));  // a directory implied by its files
  CHECK(!image.exists("usr/lib/x86_64-linux-gnu/libssl.so.3"));
  CHECK(!image.exists("lib/libc.so.6"));

  // A dangling link does not make its name exist.
  image.add_symlink("usr/lib/x86_64-linux-gnu/libgone.so.1", "libgone.so.1.0");
  CHECK(!image.exists("usr/lib/x86_64-linux-gnu/libgone.so.1"));
  // ".." above the root stays at the root; a link may climb with "..".
  image.add_symlink("opt/app/libs", "../../usr/lib/x86_64-linux-gnu");
  CHECK(image.exists("opt/app/libs/libm.so.6"));
  image.add_symlink("opt/up", "../../../../../usr");
  CHECK(image.exists("opt/up/lib/x86_64-linux-gnu/libm.so.6"));
  // Loops end, as the kernel's ELOOP.
  image.add_symlink("loop/a", "b");
  image.add_symlink("loop/b", "a");
  CHECK(!image.resolve("loop/a"));
  CHECK(!image.exists("loop/a/libx.so"));
  image.add_symlink("self", ".");
  CHECK(image.exists("self/self/self/usr/lib/R/lib/libR.so"));
}

TEST_CASE("check_needed: the default directories through usrmerge, extra dirs and missing names") {
  auto image = bookworm();
  std::vector<elf::Object> objects{
      object("usr/local/lib/R/site-library/curl/libs/curl.so", {"libcurl.so.4", "libR.so", "libc.so.6"}),
      object("usr/local/lib/R/site-library/xml2/libs/xml2.so", {"libxml2.so.2", "libc.so.6", "libxml2.so.2"}),
  };
  // Without R's LD_LIBRARY_PATH libR.so is not found in the default dirs (usr/lib/libR.so is,
  // through the link: usr/lib is a default directory).
  auto missing = elf::check_needed(objects, image);
  CHECK(missing == std::vector<elf::Missing>{{"usr/local/lib/R/site-library/xml2/libs/xml2.so", "libxml2.so.2"}});

  image = elf::ImagePaths{};
  image.add_symlink("lib", "usr/lib");
  image.add_file("usr/lib/x86_64-linux-gnu/libc.so.6");
  image.add_file("usr/lib/x86_64-linux-gnu/libcurl.so.4");
  image.add_file("usr/lib/R/lib/libR.so");
  missing = elf::check_needed(objects, image);
  CHECK(missing == std::vector<elf::Missing>{{objects[0].path, "libR.so"}, {objects[1].path, "libxml2.so.2"}});
  const std::vector<std::string> r_dirs{"usr/lib/R/lib"};
  missing = elf::check_needed(objects, image, r_dirs);
  CHECK(missing == std::vector<elf::Missing>{{objects[1].path, "libxml2.so.2"}});
  image.add_file("usr/lib/x86_64-linux-gnu/libxml2.so.2");
  CHECK(elf::check_needed(objects, image, r_dirs).empty());
}

TEST_CASE("check_needed: $ORIGIN, RPATH ignored beside RUNPATH, paths with a slash, objects count") {
  elf::ImagePaths image;
  image.add_file("usr/lib/x86_64-linux-gnu/libc.so.6");
  image.add_file("opt/pkg/lib/libdep.so.1");
  image.add_file("opt/other/libonly_rpath.so");

  auto o = object("opt/pkg/bin/tool", {"libdep.so.1", "libc.so.6"});
  CHECK(elf::check_needed(std::span(&o, 1), image).size() == 1);
  o.info.runpath = {"$ORIGIN/../lib"};
  CHECK(elf::check_needed(std::span(&o, 1), image).empty());
  o.info.runpath = {"${ORIGIN}/../lib"};
  CHECK(elf::check_needed(std::span(&o, 1), image).empty());
  o.info.runpath = {"$LIB/../lib", "lib"};  // unknown token, relative to the working directory
  CHECK(elf::check_needed(std::span(&o, 1), image).size() == 1);

  // DT_RPATH is searched only when there is no DT_RUNPATH.
  o.info.needed = {"libonly_rpath.so"};
  o.info.runpath = {};
  o.info.rpath = {"/opt/other"};
  CHECK(elf::check_needed(std::span(&o, 1), image).empty());
  o.info.runpath = {"/nowhere"};
  CHECK(elf::check_needed(std::span(&o, 1), image) ==
        std::vector<elf::Missing>{{"opt/pkg/bin/tool", "libonly_rpath.so"}});

  // A name with a "/" is a path, not searched.
  o.info.runpath = {};
  o.info.rpath = {};
  o.info.needed = {"/opt/pkg/lib/libdep.so.1", "/usr/lib/libdep.so.1"};
  CHECK(elf::check_needed(std::span(&o, 1), image) ==
        std::vector<elf::Missing>{{"opt/pkg/bin/tool", "/usr/lib/libdep.so.1"}});

  // Another object being installed counts, wherever the image lists it or not.
  std::vector<elf::Object> both{object("usr/local/lib/R/site-library/a/libs/a.so", {"libhelper.so"}),
                                object("usr/local/lib/R/site-library/a/libs/libhelper.so", {})};
  both[0].info.runpath = {"$ORIGIN"};
  CHECK(elf::check_needed(both, image).empty());
  both[0].info.runpath = {};
  CHECK(elf::check_needed(both, image).size() == 1);
}

TEST_CASE("check_needed: aarch64 objects search the aarch64 directories") {
  elf::ImagePaths image;
  image.add_symlink("lib", "usr/lib");
  image.add_file("usr/lib/aarch64-linux-gnu/libz.so.1");
  image.add_file("usr/lib/x86_64-linux-gnu/libm.so.6");
  auto o = object("usr/local/lib/R/site-library/z/libs/z.so", {"libz.so.1", "libm.so.6"});
  o.info.machine = elf::em_aarch64;
  CHECK(elf::check_needed(std::span(&o, 1), image) == std::vector<elf::Missing>{{o.path, "libm.so.6"}});
  CHECK(elf::default_library_dirs(elf::em_aarch64).front() == "usr/local/lib/aarch64-linux-gnu");
}

TEST_CASE("check_needed: a real library's needs against the host's own files") {
  const std::filesystem::path lib = "/usr/lib/x86_64-linux-gnu/libcurl.so.4";
  if (!std::filesystem::exists(lib)) {
    MLPACK_SKIP("no " << lib);
    return;
  }
  std::ifstream in(lib, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  auto info = elf::read_dynamic(s.str());
  REQUIRE(info);
  REQUIRE(info->has_value());
  // The image is the host's library directory, seen through the usrmerge link.
  elf::ImagePaths image;
  image.add_symlink("lib", "usr/lib");
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/x86_64-linux-gnu")) {
    auto name = e.path().filename().string();
    if (e.is_symlink())
      image.add_symlink("usr/lib/x86_64-linux-gnu/" + name, std::filesystem::read_symlink(e.path()).string());
    else
      image.add_file("usr/lib/x86_64-linux-gnu/" + name);
  }
  elf::Object o{"usr/local/lib/R/site-library/curl/libs/curl.so", **info};
  CHECK(elf::check_needed(std::span(&o, 1), image).empty());
  o.info.needed.push_back("libnot-installed-anywhere.so.9");
  CHECK(elf::check_needed(std::span(&o, 1), image) ==
        std::vector<elf::Missing>{{o.path, "libnot-installed-anywhere.so.9"}});
}
