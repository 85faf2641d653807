// An image's final files, read from real tar layers in an OCI layout.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

#include "image/file_view.hpp"
#include "oci/layout.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"

using namespace mlpack;
using image::FileInfo;
using Type = image::FileInfo::Type;

namespace {

// One tar member, written exactly as given and in the order given (our own layer writer sorts and
// normalises, which would hide what these tests are about).
struct Member {
  std::string path;
  char type = '0';  // ustar typeflag: '0' file, '1' hardlink, '2' symlink, '5' directory
  std::string data;
  std::uint32_t mode = 0644;
  std::string link;
  std::uint32_t uid = 0, gid = 0;
};

Member dir_member(std::string path, std::uint32_t mode = 0755) { return {std::move(path), '5', "", mode}; }
Member file_member(std::string path, std::string data, std::uint32_t mode = 0644) {
  return {std::move(path), '0', std::move(data), mode};
}
Member link_member(std::string path, std::string target) { return {std::move(path), '2', "", 0777, std::move(target)}; }

std::string ustar(const std::vector<Member>& members) {
  std::string out;
  for (const auto& m : members) {
    std::string h(512, '\0');
    auto put = [&](std::size_t offset, std::size_t width, std::string_view value) {
      std::memcpy(&h[offset], value.data(), std::min(width, value.size()));
    };
    auto octal = [&](std::size_t offset, std::size_t width, unsigned long long value) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1), value);
      put(offset, width - 1, buf);
    };
    put(0, 100, m.path);
    octal(100, 8, m.mode);
    octal(108, 8, m.uid);
    octal(116, 8, m.gid);
    octal(124, 12, m.data.size());
    octal(136, 12, 0);
    std::memset(&h[148], ' ', 8);
    h[156] = m.type;
    put(157, 100, m.link);
    put(257, 6, std::string_view("ustar\0", 6));
    put(263, 2, "00");
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    char chk[8];
    std::snprintf(chk, sizeof chk, "%06o", sum);
    put(148, 7, std::string_view(chk, 7));  // six digits, NUL, and the space already there
    out += h;
    out += m.data;
    out.append((512 - m.data.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

oci::Descriptor describe(const std::string& data, std::string_view media_type) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = util::Digest::sha256_of(data);
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}

oci::BlobOpener opener(const std::string& data) {
  return [data]() -> util::Result<std::unique_ptr<util::Reader>> { return std::make_unique<util::StringReader>(data); };
}

// An OCI layout holding one image whose layers are the given tarballs, bottom first.
struct Layout {
  util::TempDir dir = std::move(*util::TempDir::create());
  oci::Manifest manifest;
  std::unique_ptr<oci::ImageSource> source;

  // `config_diff_ids`: what the config says, when not the layers' own (a tampered image).
  explicit Layout(const std::vector<std::vector<Member>>& layers, std::vector<std::string> config_diff_ids = {}) {
    std::vector<std::string> blobs{""};
    for (const auto& members : layers) {
      blobs.push_back(ustar(members));
      manifest.layers.push_back(describe(blobs.back(), oci::media::oci_layer_tar));
      if (config_diff_ids.size() < manifest.layers.size())
        config_diff_ids.push_back(util::Digest::sha256_of(blobs.back()).str());
    }
    std::string ids;
    for (const auto& id : config_diff_ids) ids += (ids.empty() ? "\"" : ",\"") + id + "\"";
    blobs[0] = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" + ids + "]}}";
    manifest.config = describe(blobs[0], oci::media::oci_config);
    auto dest = oci::open_layout_destination(dir.path() / "layout", "v1");
    REQUIRE_MESSAGE(dest, dest.error().message);
    for (const auto& blob : blobs) REQUIRE((*dest)->put_blob(describe(blob, "x"), opener(blob)));
    auto top = oci::RawManifest::from_bytes(oci::to_json(manifest), std::string(oci::media::oci_manifest));
    REQUIRE((*dest)->commit(top));
    auto src = oci::open_layout_source(dir.path() / "layout", "v1");
    REQUIRE_MESSAGE(src, src.error().message);
    source = std::move(*src);
  }

  util::Result<image::FileView> view(const image::FileViewRequest& request) {
    return image::read_file_view(*source, manifest, request);
  }
};

// A source that serves whatever bytes it is given for every blob, verified or not.
class RawSource final : public oci::ImageSource {
 public:
  explicit RawSource(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string describe() const override { return "raw"; }
  util::Result<oci::RawManifest> get_manifest(const std::optional<util::Digest>&) override {
    return util::fail(util::ErrorKind::not_found, "no manifest");
  }
  util::Result<std::unique_ptr<util::Reader>> open_blob(const oci::Descriptor&) override {
    return std::make_unique<util::StringReader>(bytes_);
  }

 private:
  std::string bytes_;
};

}  // namespace

TEST_CASE("file view: layers apply in order; whiteouts and opaque folders hide only the layers below") {
  Layout image({
      std::vector<Member>{
          dir_member("etc"),
          file_member("etc/os-release", "ID=debian\n"),
          Member{"etc/passwd", '0', "root:x:0:0::/root:/bin/sh\n", 0600, "", 0, 42},
          link_member("bin", "usr/bin"),
          file_member("usr/bin/python3.11", "ELF", 0755),
          dir_member("old"),
          file_member("old/a", "a"),
          dir_member("keep", 0700),
          file_member("keep/x", "x"),
          file_member("gone", "g"),
      },
      std::vector<Member>{
          link_member("etc/os-release", "../usr/lib/os-release"),
          file_member("usr/lib/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n"),
          file_member(".wh.old", ""),
          file_member("keep/new", "n"),
          file_member("keep/.wh..wh..opq", ""),  // after keep/new in the tar: keep/new still stays
          file_member("new/deep/file", "deep"),  // no entries for new/ or new/deep/
          file_member(".wh.gone", ""),
          file_member("gone", "back"),            // whited out and written again in the same layer
          file_member(".wh..wh.plnk", ""),        // aufs bookkeeping, no file
      },
  });
  image::FileViewRequest request{{"etc/os-release", "usr/lib/os-release", "etc/passwd", "keep/x", "gone", "old/a"}};
  auto view = image.view(request);
  REQUIRE_MESSAGE(view, view.error().message);
  const auto& files = view->files;

  REQUIRE(files.contains("etc/os-release"));
  CHECK(files.at("etc/os-release").type == Type::symlink);
  CHECK(files.at("etc/os-release").link == "../usr/lib/os-release");
  CHECK_FALSE(view->contents.contains("etc/os-release"));  // a link now, not the file below
  CHECK(view->contents.at("usr/lib/os-release") == "ID=debian\nVERSION_CODENAME=bookworm\n");

  const auto& passwd = files.at("etc/passwd");
  CHECK(passwd.type == Type::file);
  CHECK(passwd.mode == 0600);
  CHECK(passwd.gid == 42);
  CHECK(passwd.size == 26);
  CHECK(view->contents.at("etc/passwd") == "root:x:0:0::/root:/bin/sh\n");

  CHECK(files.at("bin").type == Type::symlink);
  CHECK(files.at("usr/bin/python3.11").mode == 0755);

  CHECK_FALSE(files.contains("old"));
  CHECK_FALSE(files.contains("old/a"));
  CHECK_FALSE(view->contents.contains("old/a"));

  CHECK(files.at("keep").type == Type::dir);
  CHECK(files.at("keep").mode == 0700);  // the opaque folder itself stays
  CHECK_FALSE(files.contains("keep/x"));
  CHECK_FALSE(view->contents.contains("keep/x"));
  CHECK(files.contains("keep/new"));
  CHECK_FALSE(files.contains("keep/.wh..wh..opq"));

  CHECK(files.at("new").type == Type::dir);
  CHECK(files.at("new").mode == 0755);
  CHECK(files.at("new/deep").type == Type::dir);
  CHECK(files.at("new/deep/file").size == 4);
  CHECK(files.at("usr/lib").type == Type::dir);

  CHECK(view->contents.at("gone") == "back");
  for (const auto& [path, info] : files) CHECK_FALSE(path.find(".wh.") != std::string::npos);
}

TEST_CASE("file view: a file replacing a folder takes its tree; links and hardlinks keep their targets") {
  Layout image({
      std::vector<Member>{dir_member("opt"), file_member("opt/tool", "t"), dir_member("etc"), file_member("etc/shadow", "s")},
      std::vector<Member>{file_member("opt", "now a file"), link_member("etc/passwd", "/elsewhere"), Member{"etc/group", '1', "", 0644, "etc/shadow"}},
      std::vector<Member>{dir_member("etc", 0711)},  // a directory over a directory keeps what is below it
  });
  auto view = image.view({{"opt", "etc/group", "etc/passwd"}});
  REQUIRE_MESSAGE(view, view.error().message);
  CHECK(view->files.at("opt").type == Type::file);
  CHECK_FALSE(view->files.contains("opt/tool"));
  CHECK(view->contents.at("opt") == "now a file");
  CHECK(view->files.at("etc/passwd").link == "/elsewhere");
  CHECK(view->files.at("etc/group").type == Type::hardlink);
  CHECK(view->files.at("etc/group").link == "etc/shadow");
  CHECK_FALSE(view->contents.contains("etc/group"));
  CHECK(view->files.at("etc").mode == 0711);
  CHECK(view->files.contains("etc/shadow"));
}

TEST_CASE("file view: a wanted file over the limit is an error naming it; others may be any size") {
  Layout image({std::vector<Member>{file_member("var/lib/dpkg/status", std::string(100, 'x')), file_member("big", std::string(5000, 'y'))}});
  image::FileViewRequest request{{"var/lib/dpkg/status"}, 64};
  auto view = image.view(request);
  REQUIRE_FALSE(view);
  CHECK(view.error().kind == util::ErrorKind::integrity);
  CHECK(view.error().message.find("var/lib/dpkg/status") != std::string::npos);
  CHECK(view.error().message.find(image.manifest.layers[0].digest.short_str()) != std::string::npos);

  request.limit = 100;
  auto fits = image.view(request);
  REQUIRE_MESSAGE(fits, fits.error().message);
  CHECK(fits->contents.at("var/lib/dpkg/status").size() == 100);
  CHECK(fits->files.at("big").size == 5000);
  CHECK_FALSE(fits->contents.contains("big"));
}

TEST_CASE("file view: layers are outside input: verified against their digest, unsafe paths refused") {
  const std::string good = ustar({file_member("etc/os-release", "ID=debian\n")});
  oci::Manifest manifest;
  manifest.layers = {describe(good, oci::media::oci_layer_tar)};

  RawSource tampered(ustar({file_member("etc/os-release", "ID=evil\n")}));
  auto r = image::read_file_view(tampered, manifest, {{"etc/os-release"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.find("reading layer 1 of 1 (" + manifest.layers[0].digest.short_str() + ")") != std::string::npos);

  const std::string escaping = ustar({file_member("../../etc/passwd", "x")});
  RawSource unsafe(escaping);
  manifest.layers = {describe(escaping, oci::media::oci_layer_tar)};
  auto u = image::read_file_view(unsafe, manifest, {});
  REQUIRE_FALSE(u);
  CHECK(u.error().kind == util::ErrorKind::integrity);
}

TEST_CASE("file view: a layer whose content is not the config's diff_id is refused, naming the layer") {
  const std::vector<std::vector<Member>> layers{{file_member("etc/os-release", "ID=debian\n")},
                                               {file_member("etc/passwd", "root:x:0:0::/root:/bin/sh\n")}};
  Layout good(layers);
  REQUIRE(good.view({{"etc/os-release"}}));

  const std::string other = util::Digest::sha256_of("something else").str();
  Layout image(layers, {util::Digest::sha256_of(ustar(layers[0])).str(), other});
  auto view = image.view({{"etc/os-release"}});
  REQUIRE_FALSE(view);
  CHECK(view.error().kind == util::ErrorKind::integrity);
  CHECK_MESSAGE(view.error().message.find("layer 2 of 2 (" + image.manifest.layers[1].digest.short_str() + ")") !=
                    std::string::npos,
                view.error().message);
  CHECK(view.error().message.find(other) != std::string::npos);

  Layout short_config(layers, {util::Digest::sha256_of(ustar(layers[0])).str(), other, other});
  auto counted = short_config.view({});
  REQUIRE_FALSE(counted);
  CHECK(counted.error().message.find("3 diff_ids for 2 layers") != std::string::npos);
}

TEST_CASE("file view: what the walk holds is bounded, and a layer past the bounds is refused, naming it") {
  std::vector<Member> many;
  for (int i = 0; i < 40; ++i) many.push_back(file_member("d/file" + std::to_string(i), ""));
  Layout image({{file_member("etc/os-release", "ID=debian\n")}, many});

  image::FileViewRequest request{{"etc/os-release"}};
  request.max_paths = 60;
  auto fits = image.view(request);  // 1 + 1 (d) + 40 + the etc parent
  REQUIRE_MESSAGE(fits, fits.error().message);

  request.max_paths = 30;
  auto counted = image.view(request);
  REQUIRE_FALSE(counted);
  CHECK(counted.error().kind == util::ErrorKind::integrity);
  CHECK_MESSAGE(counted.error().message.find("layer 2 of 2 (" + image.manifest.layers[1].digest.short_str() + ")") !=
                    std::string::npos,
                counted.error().message);
  CHECK(counted.error().message.find("more than 30 paths") != std::string::npos);

  request.max_paths = 1000;
  request.max_path_bytes = 200;  // the second layer's names alone are 40 * 8 bytes
  auto sized = image.view(request);
  REQUIRE_FALSE(sized);
  CHECK(sized.error().message.find("layer 2 of 2") != std::string::npos);
  CHECK(sized.error().message.find("more than 200 bytes") != std::string::npos);

  // Whiteouts are held until their layer is applied, so they count as well.
  std::vector<Member> whiteouts;
  for (int i = 0; i < 40; ++i) whiteouts.push_back(file_member("d/.wh.gone" + std::to_string(i), ""));
  Layout hiding({{file_member("a", "")}, whiteouts});
  image::FileViewRequest few;
  few.max_paths = 30;
  auto w = hiding.view(few);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.find("layer 2 of 2") != std::string::npos);

  // The defaults leave room for any real image.
  const image::FileViewRequest defaults;
  CHECK(defaults.max_paths >= 1'000'000);
  CHECK(defaults.max_path_bytes >= (128u << 20));
}
