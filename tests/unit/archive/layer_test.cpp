#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "archive/pipeline.hpp"
#include "archive_test_util.hpp"

using namespace archive_test;
using namespace mlpack::archive;
using mlpack::util::ErrorKind;

namespace {

enum class Order { forward, reverse };

// A small project tree: files, an executable, a symlink, a hardlink pair, an empty directory.
// `order`, `mask` and `mtime` vary how it is created without changing what it is.
void make_project(const fs::path& root, Order order, mode_t mask, time_t mtime) {
  mode_t old = ::umask(mask);
  std::vector<std::function<void()>> steps = {
      [&] { fs::create_directories(root / "pkg"); },
      [&] { fs::create_directories(root / "data"); },
      [&] { fs::create_directories(root / "bin"); },
      [&] { fs::create_directories(root / "empty"); },
  };
  std::vector<std::function<void()>> files = {
      [&] { write(root / "main.py", "import pkg\n"); },
      [&] { write(root / "pkg" / "__init__.py", ""); },
      [&] { write(root / "data" / "weights.bin", pseudo_text(300 * 1024, 7)); },
      [&] {
        write(root / "bin" / "run.sh", "#!/bin/sh\nexec python main.py\n");
        ::chmod((root / "bin" / "run.sh").c_str(), 0777 & ~mask & ~022);
      },
      [&] { fs::create_symlink("data/weights.bin", root / "latest"); },
      [&] {
        // The hardlink pair, created in either order.
        auto a = root / "pkg" / "model.py", b = root / "pkg" / "model_copy.py";
        if (order == Order::reverse) std::swap(a, b);
        write(a, "class Model: pass\n");
        fs::create_hard_link(a, b);
      },
  };
  if (order == Order::reverse) std::reverse(files.begin(), files.end());
  for (auto& s : steps) s();
  for (auto& f : files) f();
  ::umask(old);
  for (auto& p : fs::recursive_directory_iterator(root)) {
    timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ::utimensat(AT_FDCWD, p.path().c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }
}

Written build(const fs::path& root, Compression c, const std::string& dest = "/app", unsigned threads = 2) {
  auto entries = scan_directory(root, {dest});
  if (!entries) FAIL(entries.error().message);
  return layer_of(std::move(*entries), {c, 1700000000, -1, threads});
}

}  // namespace

TEST_CASE("the same tree gives the same layer whatever the mtimes, creation order and umask") {
  auto a = temp_dir(), b = temp_dir();
  make_project(a.path() / "p", Order::forward, 022, 1000000000);
  make_project(b.path() / "p", Order::reverse, 077, 1600000000);
  for (auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    CAPTURE(static_cast<int>(c));
    auto x = build(a.path() / "p", c), y = build(b.path() / "p", c);
    CHECK(x.result.digest == y.result.digest);
    CHECK(x.result.diff_id == y.result.diff_id);
    CHECK(x.bytes == y.bytes);
  }
  // And something different does change it.
  write(b.path() / "p" / "main.py", "import pkg  \n");
  CHECK(build(a.path() / "p", Compression::gzip).result.digest != build(b.path() / "p", Compression::gzip).result.digest);
}

TEST_CASE("scan lists the tree under dest, sorted, with parents and normalized modes") {
  auto d = temp_dir();
  auto root = d.path() / "p";
  make_project(root, Order::forward, 077, 0);
  ::chmod((root / "main.py").c_str(), 04700);
  auto entries = scan_directory(root, {"/opt/proj"});
  REQUIRE(entries);
  std::vector<std::string> paths;
  for (auto& e : *entries) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"opt", "opt/proj", "opt/proj/bin", "opt/proj/bin/run.sh", "opt/proj/data",
                                          "opt/proj/data/weights.bin", "opt/proj/empty", "opt/proj/latest",
                                          "opt/proj/main.py", "opt/proj/pkg", "opt/proj/pkg/__init__.py",
                                          "opt/proj/pkg/model.py", "opt/proj/pkg/model_copy.py"});
  auto at = [&](std::string_view p) -> const Entry& {
    return *std::find_if(entries->begin(), entries->end(), [&](auto& e) { return e.path == p; });
  };
  CHECK(at("opt").mode == 0755);
  CHECK(at("opt/proj").mode == 0755);               // created 0700 under umask 077
  CHECK(at("opt/proj/pkg/__init__.py").mode == 0644);  // created 0600
  CHECK(at("opt/proj/bin/run.sh").mode == 0755);
  CHECK(at("opt/proj/main.py").mode == 04755);       // suid kept
  CHECK(at("opt/proj/latest").type == EntryType::symlink);
  CHECK(at("opt/proj/latest").link_target == "data/weights.bin");
  CHECK(at("opt/proj/pkg/model.py").type == EntryType::file);
  CHECK(at("opt/proj/pkg/model_copy.py").type == EntryType::hardlink);
  CHECK(at("opt/proj/pkg/model_copy.py").link_target == "opt/proj/pkg/model.py");
  CHECK(at("opt/proj/data/weights.bin").size == 300 * 1024);

  auto at_root = scan_directory(root, {"/"});
  REQUIRE(at_root);
  CHECK(at_root->front().path == "bin");
}

TEST_CASE("scan keeps the tree's modes when asked: a root filesystem's /tmp stays 1777") {
  auto d = temp_dir();
  auto root = d.path() / "rootfs";
  fs::create_directories(root / "tmp");
  fs::create_directories(root / "srv" / "shared");
  write(root / "etc-group-writable", "x");
  write(root / "usr-bin-setgid", "#!/bin/sh\n");
  ::chmod((root / "tmp").c_str(), 01777);
  ::chmod((root / "srv" / "shared").c_str(), 02775);
  ::chmod((root / "etc-group-writable").c_str(), 0664);
  ::chmod((root / "usr-bin-setgid").c_str(), 02751);
  ::chmod(root.c_str(), 0750);
  fs::create_symlink("tmp", root / "link");
  auto mode_of = [](const std::vector<Entry>& entries, std::string_view p) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](auto& e) { return e.path == p; });
    REQUIRE(it != entries.end());
    return it->mode;
  };

  ScanOptions as_is{.dest = "/", .modes = Modes::as_is};
  auto kept = scan_directory(root, as_is);
  REQUIRE(kept);
  CHECK(mode_of(*kept, "tmp") == 01777);
  CHECK(mode_of(*kept, "srv/shared") == 02775);
  CHECK(mode_of(*kept, "etc-group-writable") == 0664);
  CHECK(mode_of(*kept, "usr-bin-setgid") == 02751);
  CHECK(mode_of(*kept, "link") == 0777);
  ScanOptions under{.dest = "/opt/x", .modes = Modes::as_is};
  auto nested = scan_directory(root, under);
  REQUIRE(nested);
  CHECK(mode_of(*nested, "opt") == 0755);    // a parent the tree does not hold
  CHECK(mode_of(*nested, "opt/x") == 0750);  // the tree's root itself

  // The default is still the normalised form build's layers use.
  auto normalized = scan_directory(root, {"/"});
  REQUIRE(normalized);
  CHECK(mode_of(*normalized, "tmp") == 01755);
  CHECK(mode_of(*normalized, "etc-group-writable") == 0644);
}

TEST_CASE("scan exclude leaves out files and whole directories") {
  auto d = temp_dir();
  make_project(d.path(), Order::forward, 022, 0);
  ScanOptions o{"/app", [](std::string_view rel) { return rel == "data" || rel == "main.py"; }};
  auto entries = scan_directory(d.path(), o);
  REQUIRE(entries);
  for (auto& e : *entries) {
    CHECK_FALSE(e.path.starts_with("app/data"));
    CHECK(e.path != "app/main.py");
  }
  CHECK(entries->size() == 9);
}

TEST_CASE("tar members: uid/gid 0, no names, fixed mtime, no extra times, kept content and links") {
  auto d = temp_dir();
  make_project(d.path() / "p", Order::forward, 022, 1234);
  auto w = build(d.path() / "p", Compression::none);
  CHECK(w.result.digest == w.result.diff_id);
  CHECK(w.result.size == w.bytes.size());
  CHECK(w.result.uncompressed_size == w.bytes.size());
  CHECK(w.result.diff_id == mlpack::util::Digest::sha256_of(w.bytes));
  CHECK(w.bytes.size() % 512 == 0);
  CHECK(w.bytes.substr(w.bytes.size() - 1024) == std::string(1024, '\0'));

  auto members = list_tar(w.bytes);
  REQUIRE(members.size() == 12);
  CHECK(members[0].name == "app/");
  for (auto& m : members) {
    CAPTURE(m.name);
    CHECK(m.uid == 0);
    CHECK(m.gid == 0);
    CHECK(m.uname.empty());
    CHECK(m.gname.empty());
    CHECK(m.mtime == 1700000000);
    CHECK_FALSE(m.atime_set);
    CHECK_FALSE(m.ctime_set);
    CHECK_FALSE(m.birthtime_set);
    CHECK(m.rdev == 0);
  }
  for (std::size_t i = 1; i < members.size(); ++i) CHECK(members[i - 1].name < members[i].name);
  auto* weights = find(members, "app/data/weights.bin");
  REQUIRE(weights);
  CHECK(weights->content == slurp(d.path() / "p" / "data" / "weights.bin"));
  auto* link = find(members, "app/latest");
  REQUIRE(link);
  CHECK(link->type == AE_IFLNK);
  CHECK(link->symlink == "data/weights.bin");
  CHECK(link->mode == 0777);
  auto* hard = find(members, "app/pkg/model_copy.py");
  REQUIRE(hard);
  CHECK(hard->hardlink == "app/pkg/model.py");
  CHECK(hard->content.empty());
  CHECK(find(members, "app/pkg/model.py")->content == "class Model: pass\n");
  auto* dir = find(members, "app/empty/");
  REQUIRE(dir);
  CHECK(dir->type == AE_IFDIR);
  CHECK(dir->mode == 0755);
  CHECK(find(members, "app/bin/run.sh")->mode == 0755);
  // The user and group name fields are really empty, not just "root" read back as something else.
  CHECK(w.bytes.substr(265, 64) == std::string(64, '\0'));
  CHECK(w.bytes.substr(108, 16) == std::string("0000000\0" "0000000\0", 16));
}

TEST_CASE("gzip output gunzips to the tar named by diff_id, with fixed member headers") {
  auto d = temp_dir();
  make_project(d.path() / "p", Order::forward, 022, 0);
  auto w = build(d.path() / "p", Compression::gzip);
  auto plain = build(d.path() / "p", Compression::none);
  REQUIRE(w.bytes.size() > 18);
  CHECK(w.result.digest == mlpack::util::Digest::sha256_of(w.bytes));
  CHECK(w.result.size == w.bytes.size());
  // Header: deflate, no flags (so no name), mtime 0, OS "unknown" (XFL: see the per-level test).
  CHECK(w.bytes.substr(0, 8) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
  CHECK(static_cast<unsigned char>(w.bytes[9]) == 255);

  std::vector<GzipMember> members;
  auto tar = gunzip(w.bytes, &members);
  CHECK(members.size() == 1);  // under one block
  CHECK(mlpack::util::Digest::sha256_of(tar) == w.result.diff_id);
  CHECK(tar == plain.bytes);
  CHECK(w.result.diff_id == plain.result.diff_id);
  CHECK(w.result.uncompressed_size == tar.size());

  auto file = d.path() / "layer.tar.gz";
  write(file, w.bytes);
  CHECK(mlpack::util::Digest::sha256_of(run("gzip -dc '" + file.string() + "'")) == w.result.diff_id);
  run("gzip -t '" + file.string() + "'");
}

TEST_CASE("zstd output decompresses to the tar named by diff_id, with a content checksum") {
  auto d = temp_dir();
  make_project(d.path() / "p", Order::forward, 022, 0);
  auto w = build(d.path() / "p", Compression::zstd);
  CHECK(w.result.digest == mlpack::util::Digest::sha256_of(w.bytes));
  REQUIRE(w.bytes.size() > 6);
  CHECK(w.bytes.substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));
  CHECK((static_cast<unsigned char>(w.bytes[4]) & 0x04) != 0);  // frame header: checksum flag
  CHECK(mlpack::util::Digest::sha256_of(unzstd(w.bytes)) == w.result.diff_id);
  if (std::system("command -v zstd >/dev/null 2>&1") == 0) {
    auto file = d.path() / "layer.tar.zst";
    write(file, w.bytes);
    CHECK(mlpack::util::Digest::sha256_of(run("zstd -dc -q '" + file.string() + "'")) == w.result.diff_id);
  }
}

TEST_CASE("the thread count never changes the bytes (multi-block input)") {
  // ~9 MB: several gzip blocks and several zstd jobs, with a file bigger than one block.
  std::vector<Entry> entries;
  for (int i = 0; i < 24; ++i) {
    Entry e;
    e.path = "data/part" + std::to_string(i);
    e.data = pseudo_text(static_cast<std::size_t>(100000 + 7919 * i), static_cast<unsigned>(i));
    entries.push_back(std::move(e));
  }
  auto d = temp_dir();
  write(d.path() / "big", pseudo_text(5 << 20, 99));
  Entry big;
  big.path = "data/big";
  big.source = d.path() / "big";
  big.size = 5 << 20;
  entries.push_back(big);
  Entry dir;
  dir.path = "data";
  dir.type = EntryType::directory;
  dir.mode = 0755;
  entries.push_back(dir);

  for (auto c : {Compression::gzip, Compression::zstd}) {
    CAPTURE(static_cast<int>(c));
    auto one = layer_of(entries, {c, 0, -1, 1});
    auto four = layer_of(entries, {c, 0, -1, 4});
    auto seven = layer_of(entries, {c, 0, -1, 7});
    CHECK(one.result.uncompressed_size > 3 * gzip_block_size);
    CHECK(one.result.digest == four.result.digest);
    CHECK(one.result.digest == seven.result.digest);
    CHECK(one.bytes == four.bytes);
    CHECK(one.result.diff_id == four.result.diff_id);
    auto tar = c == Compression::gzip ? gunzip(four.bytes) : unzstd(four.bytes);
    CHECK(mlpack::util::Digest::sha256_of(tar) == four.result.diff_id);
    CHECK(tar.size() == four.result.uncompressed_size);
  }
  // The level is honoured and is part of the output.
  CHECK(layer_of(entries, {Compression::gzip, 0, 1, 2}).bytes != layer_of(entries, {Compression::gzip, 0, 6, 2}).bytes);
  auto level9 = layer_of(entries, {Compression::gzip, 0, 9, 3});
  CHECK(mlpack::util::Digest::sha256_of(gunzip(level9.bytes)) == level9.result.diff_id);
}

TEST_CASE("gzip: one gzip member per block, with fixed headers, read by gzip, zlib and libarchive") {
  std::vector<Entry> entries;
  for (int i = 0; i < 6; ++i) {
    Entry e;
    e.path = "data/part" + std::to_string(i);
    e.data = pseudo_text(static_cast<std::size_t>(700000 + 4099 * i), static_cast<unsigned>(i + 40));
    entries.push_back(std::move(e));
  }
  auto d = temp_dir();
  // XFL follows the level as libdeflate writes it: 4 "fastest" (0-1), 2 "best" (8-12), else 0.
  for (auto [level, xfl] : {std::pair{0, '\x04'}, {1, '\x04'}, {4, '\0'}, {6, '\0'}, {9, '\x02'}, {12, '\x02'}}) {
    CAPTURE(level);
    auto one = layer_of(entries, {Compression::gzip, 0, level, 1});
    auto four = layer_of(entries, {Compression::gzip, 0, level, 4});
    CHECK(one.bytes == four.bytes);
    CHECK(one.result.digest == four.result.digest);

    std::vector<GzipMember> members;
    auto tar = gunzip(four.bytes, &members);
    CHECK(mlpack::util::Digest::sha256_of(tar) == four.result.diff_id);
    auto blocks = (four.result.uncompressed_size + gzip_block_size - 1) / gzip_block_size;
    CHECK(blocks >= 4);
    REQUIRE(members.size() == blocks);
    for (std::size_t i = 0; i < members.size(); ++i) {
      CAPTURE(i);
      // Each member: deflate, no name or other flags, mtime 0, XFL by level, OS "unknown".
      CHECK(members[i].header == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) + xfl + '\xff');
      CHECK(members[i].uncompressed ==
            (i + 1 < blocks ? gzip_block_size : four.result.uncompressed_size - i * gzip_block_size));
    }
    auto file = d.path() / ("layer" + std::to_string(level) + ".tar.gz");
    write(file, four.bytes);
    CHECK(mlpack::util::Digest::sha256_of(run("gzip -dc '" + file.string() + "'")) == four.result.diff_id);
    auto listed = list_tar(four.bytes, Filters::all);  // libarchive's own gzip reader
    REQUIRE(listed.size() == entries.size());
    CHECK(listed[5].name == "data/part5");
    CHECK(listed[5].content == entries[5].data);
  }
}

TEST_CASE("a stream ending exactly on a gzip block boundary gets no empty trailing member") {
  // 512 header + content + 1024 end blocks == one block exactly.
  Entry e;
  e.path = "f";
  e.data = pseudo_text(gzip_block_size - 512 - 1024, 3);
  auto w = layer_of({e}, {Compression::gzip, 0, -1, 2});
  CHECK(w.result.uncompressed_size == gzip_block_size);
  std::vector<GzipMember> members;
  CHECK(mlpack::util::Digest::sha256_of(gunzip(w.bytes, &members)) == w.result.diff_id);
  CHECK(members.size() == 1);  // no empty member for the empty last block
}

TEST_CASE("gzip: an empty stream is still one valid (empty) gzip member") {
  mlpack::util::StringWriter out;
  detail::Pipeline p({Compression::gzip, default_gzip_level, 2}, out);
  auto r = p.finish();
  REQUIRE(r);
  std::vector<GzipMember> members;
  CHECK(gunzip(out.out, &members).empty());
  CHECK(members.size() == 1);
  CHECK(r->size == out.out.size());
  CHECK(r->uncompressed_size == 0);
  CHECK(r->digest == mlpack::util::Digest::sha256_of(out.out));
}

TEST_CASE("encoding_key names the compressor, its version and the resolved level") {
  auto gzip = encoding_key({Compression::gzip, 0, -1});
  REQUIRE(gzip);
  CHECK(*gzip == encoding_key({Compression::gzip, 0, default_gzip_level}).value());
  CHECK(gzip->starts_with("tar-v1 gzip libdeflate-"));
  CHECK(gzip->find(" block 1048576") != std::string::npos);
  CHECK(*gzip != encoding_key({Compression::gzip, 0, 6}).value());
  CHECK(encoding_key({Compression::zstd, 0, -1}).value().starts_with("tar-v1 zstd-"));
  CHECK(encoding_key({Compression::none}).value() == "tar-v1");
  CHECK_FALSE(encoding_key({Compression::gzip, 0, 13}));
}

TEST_CASE("whiteouts and opaque whiteouts") {
  Entry gone;
  gone.path = "app/old.txt";
  gone.type = EntryType::whiteout;
  Entry opaque;
  opaque.path = "app/cache";
  opaque.type = EntryType::opaque_whiteout;
  Entry top;
  top.path = "etc";
  top.type = EntryType::whiteout;
  auto members = list_tar(layer_of({gone, opaque, top}, {Compression::none}).bytes);
  REQUIRE(members.size() == 3);
  CHECK(members[0].name == ".wh.etc");
  CHECK(members[1].name == "app/.wh.old.txt");
  CHECK(members[2].name == "app/cache/.wh..wh..opq");
  for (auto& m : members) {
    CHECK(m.type == AE_IFREG);
    CHECK(m.content.empty());
  }
}

TEST_CASE("in-memory entries: long names, validation") {
  Entry longname;
  longname.path = "opt/venv/lib/python3.11/site-packages/" + std::string(120, 'x') + "/__init__.py";
  longname.data = "x = 1\n";
  Entry link;
  link.path = "l";
  link.type = EntryType::symlink;
  link.link_target = "/" + std::string(150, 'y');
  auto w = layer_of({longname, link}, {Compression::none, 42});
  auto members = list_tar(w.bytes);
  REQUIRE(members.size() == 2);
  CHECK(members[0].name == "l");
  CHECK(members[0].symlink == link.link_target);
  CHECK(members[1].name == longname.path);
  CHECK(members[1].content == "x = 1\n");
  CHECK(members[1].mtime == 42);
  CHECK(w.bytes.find("././@PaxHeader") != std::string::npos);
  CHECK(w.bytes.find("atime") == std::string::npos);

  mlpack::util::StringWriter out;
  auto refused = [&](Entry e) {
    auto r = write_layer({e}, {}, out);
    return !r && r.error().kind == ErrorKind::invalid_input && r.error().message.find(e.path) != std::string::npos;
  };
  for (std::string bad : {"/abs", "a/../b", "a//b", "./a", "a/", ""}) {
    Entry e;
    e.path = bad;
    CHECK_MESSAGE(refused(e), bad);
  }
  Entry orphan;
  orphan.path = "b";
  orphan.type = EntryType::hardlink;
  orphan.link_target = "a";
  CHECK(refused(orphan));
  Entry reserved;
  reserved.path = "x/.wh.y";
  CHECK(refused(reserved));
  Entry dup;
  dup.path = "same";
  CHECK_FALSE(write_layer({dup, dup}, {}, out));
  CHECK_FALSE(write_layer({dup}, {Compression::gzip, 0, 13}, out));
  CHECK_FALSE(write_layer({dup}, {Compression::gzip, -5}, out));
}

TEST_CASE("sockets and FIFOs are refused, naming the path") {
  auto d = temp_dir();
  write(d.path() / "ok.txt", "fine");
  SUBCASE("fifo") {
    REQUIRE(::mkfifo((d.path() / "pipe").c_str(), 0644) == 0);
    auto r = scan_directory(d.path(), {"/app"});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find((d.path() / "pipe").string()) != std::string::npos);
    CHECK(r.error().message.find("FIFO") != std::string::npos);
  }
  SUBCASE("socket") {
    fs::create_directories(d.path() / "run");
    auto path = d.path() / "run" / "s.sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    auto r = scan_directory(d.path(), {"/app"});
    ::close(fd);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find(path.string()) != std::string::npos);
    CHECK(r.error().message.find("socket") != std::string::npos);
  }
}

TEST_CASE("symlinks that leave the tree are refused; those that stay are kept") {
  auto d = temp_dir();
  fs::create_directories(d.path() / "a" / "b");
  auto scan_with = [&](const std::string& target, const std::string& dest = "/app") {
    fs::remove(d.path() / "a" / "b" / "link");
    fs::create_symlink(target, d.path() / "a" / "b" / "link");
    return scan_directory(d.path(), {dest});
  };
  for (std::string bad : {"../../../etc", "../../..", "/etc/passwd", "/app/../etc/passwd", "/application/x", "/ap"}) {
    CAPTURE(bad);
    auto r = scan_with(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message.find((d.path() / "a" / "b" / "link").string()) != std::string::npos);
  }
  for (std::string good : {"../../x", "..", "../b/./c", "/app", "/app/a/x", "/app/../app/y", "dangling"}) {
    CAPTURE(good);
    CHECK(scan_with(good).has_value());
  }
  // With dest "/" any absolute target is inside the image; relative ones still may not climb out.
  CHECK(scan_with("/etc/passwd", "/").has_value());
  CHECK_FALSE(scan_with("../../../etc", "/").has_value());
}

TEST_CASE("scan errors: missing root, a file as root, a bad dest") {
  auto d = temp_dir();
  auto missing = scan_directory(d.path() / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find((d.path() / "nope").string()) != std::string::npos);
  write(d.path() / "f", "x");
  CHECK(scan_directory(d.path() / "f").error().kind == ErrorKind::invalid_input);
  CHECK(scan_directory(d.path(), {"app"}).error().kind == ErrorKind::invalid_input);
  CHECK(scan_directory(d.path(), {"/app/../.."}).error().kind == ErrorKind::invalid_input);
}

TEST_CASE("a source file that changed size since the scan is an error naming it") {
  auto d = temp_dir();
  fs::create_directories(d.path() / "t");
  write(d.path() / "t" / "grows", pseudo_text(2000, 1));
  auto entries = scan_directory(d.path() / "t", {"/app"});
  REQUIRE(entries);
  for (auto content : {pseudo_text(3000, 1), pseudo_text(10, 1)}) {
    write(d.path() / "t" / "grows", content);
    mlpack::util::StringWriter out;
    auto r = write_layer(*entries, {}, out);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("grows") != std::string::npos);
    CHECK(r.error().message.find("changed size") != std::string::npos);
  }
}

TEST_CASE("a failing writer stops the layer with its error") {
  struct Failing final : mlpack::util::Writer {
    mlpack::util::Result<void> write(mlpack::util::Bytes) override {
      return mlpack::util::fail(ErrorKind::io, "disk full");
    }
  } out;
  Entry e;
  e.path = "f";
  e.data = pseudo_text(3 << 20, 5);
  for (auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    auto r = write_layer({e}, {c, 0, -1, 2}, out);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("disk full") != std::string::npos);
  }
}

TEST_CASE("source_date_epoch: the value given, never the process environment") {
  ::setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
  CHECK(*source_date_epoch("") == 0);
  CHECK(*source_date_epoch("1700000000") == 1700000000);
  CHECK(*source_date_epoch("0") == 0);
  ::setenv("SOURCE_DATE_EPOCH", "garbage", 1);
  CHECK(*source_date_epoch("") == 0);
  for (const char* bad : {"-1", "12a", "1e9", " 1", "99999999999999999999"}) {
    auto r = source_date_epoch(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
  }
  ::unsetenv("SOURCE_DATE_EPOCH");
}

TEST_CASE("entries keep a numeric owner when one is set") {
  std::vector<mlpack::archive::Entry> entries(2);
  entries[0].path = "home";
  entries[0].type = mlpack::archive::EntryType::directory;
  entries[0].mode = 0755;
  entries[1].path = "home/app";
  entries[1].type = mlpack::archive::EntryType::directory;
  entries[1].mode = 0755;
  entries[1].uid = entries[1].gid = 1000;
  mlpack::archive::LayerOptions options;
  options.compression = mlpack::archive::Compression::none;
  mlpack::util::StringWriter out;
  REQUIRE(mlpack::archive::write_layer(entries, options, out));
  // ustar uid field of the second member: offset 512 + 108, 7 octal digits.
  REQUIRE(out.out.size() >= 1024);
  CHECK(out.out.substr(108, 7) == "0000000");
  CHECK(out.out.substr(512 + 108, 7) == "0001750");
  CHECK(out.out.substr(512 + 116, 7) == "0001750");
  CHECK(out.out.substr(512 + 265, 1) == std::string(1, '\0'));  // no user name
}
