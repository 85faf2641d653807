#include "image/diff_id.hpp"

#include <cstring>
#include <vector>

#include "archive/decompress.hpp"
#include "util/expected.hpp"
#include "util/parallel.hpp"

namespace mlpack::image {

using util::ErrorKind;
using util::fail;

namespace {

// Hands the decompressor the blob's bytes and keeps a copy of them for whoever reads the blob.
class Recording final : public util::Reader {
 public:
  Recording(util::Reader& inner, std::string& taken) : inner_(inner), taken_(taken) {}
  Result<std::size_t> read(std::span<std::byte> out) override {
    auto n = TRY(inner_.read(out));
    taken_.append(reinterpret_cast<const char*>(out.data()), n);
    return n;
  }

 private:
  util::Reader& inner_;
  std::string& taken_;
};

class DiffIdReader final : public util::Reader {
 public:
  DiffIdReader(std::unique_ptr<util::Reader> blob, const Digest& diff_id, std::string layer)
      : blob_(std::move(blob)), expected_(diff_id), layer_(std::move(layer)), recording_(*blob_, taken_) {}

  Result<std::size_t> read(std::span<std::byte> out) override {
    // Pull decompressed bytes until the decompressor has taken some of the blob to hand on.
    while (next_ == taken_.size() && !ended_) {
      taken_.clear();
      next_ = 0;
      TRY(pull());
    }
    std::size_t n = std::min(out.size(), taken_.size() - next_);
    std::memcpy(out.data(), taken_.data() + next_, n);
    next_ += n;
    return n;
  }

 private:
  Result<void> pull() {
    if (!content_) {
      auto detected = archive::decompress_detected(recording_);
      if (!detected) return std::unexpected(failed(detected.error()));
      content_ = std::move(detected->content);
    }
    auto n = content_->read(scratch_);
    if (!n) return std::unexpected(failed(n.error()));
    if (*n > 0) {
      hash_.update({scratch_.data(), *n});
      return {};
    }
    ended_ = true;
    auto actual = hash_.finish();
    if (actual != expected_) return std::unexpected(diff_id_mismatch(layer_, actual, expected_));
    return {};
  }

  // The blob's own errors (I/O, a digest that does not match the descriptor) keep their kind; a
  // stream that does not decompress is the layer's fault.
  util::Error failed(util::Error e) const {
    if (e.kind == ErrorKind::integrity || e.kind == ErrorKind::invalid_input)
      return util::Error{ErrorKind::integrity, layer_ + ": " + e.message};
    return e;
  }

  std::unique_ptr<util::Reader> blob_;
  Digest expected_;
  std::string layer_;
  std::string taken_;
  std::size_t next_ = 0;
  Recording recording_;
  std::unique_ptr<util::Reader> content_;
  std::vector<std::byte> scratch_ = std::vector<std::byte>(256 << 10);
  util::Sha256Writer hash_;
  bool ended_ = false;
};

}  // namespace

Result<std::optional<oci::ImageConfig>> read_image_config(oci::ImageSource& source, const oci::Manifest& manifest) {
  const auto& type = manifest.config.media_type;
  if (type != oci::media::oci_config && type != oci::media::docker_config) return std::optional<oci::ImageConfig>();
  const std::string what = "reading the image's config " + manifest.config.digest.short_str();
  auto reader = TRY_CONTEXT(source.open_blob(manifest.config), what);
  auto verified = oci::verify_reader(std::move(reader), manifest.config);
  auto bytes = TRY_CONTEXT(util::read_all(*verified, 16 << 20), what);
  auto config = TRY_CONTEXT(oci::parse_config(bytes), what);
  if (config.diff_ids.size() != manifest.layers.size())
    return fail(ErrorKind::integrity, "the image's config lists " + std::to_string(config.diff_ids.size()) +
                                          " diff_ids for " + std::to_string(manifest.layers.size()) + " layers");
  return std::optional<oci::ImageConfig>(std::move(config));
}

std::string layer_name(const oci::Manifest& manifest, std::size_t index) {
  return "layer " + std::to_string(index + 1) + " of " + std::to_string(manifest.layers.size()) + " (" +
         manifest.layers[index].digest.short_str() + ")";
}

util::Error diff_id_mismatch(const std::string& layer, const Digest& actual, const Digest& expected) {
  return util::Error{ErrorKind::integrity, layer + ": its content's diff_id is " + actual.str() +
                                               ", but the image's config says " + expected.str()};
}

std::unique_ptr<util::Reader> verify_diff_id(std::unique_ptr<util::Reader> blob, const Digest& diff_id,
                                             std::string layer) {
  return std::make_unique<DiffIdReader>(std::move(blob), diff_id, std::move(layer));
}

Result<void> verify_layers(oci::ImageSource& source, const oci::Manifest& manifest,
                           const std::vector<Digest>& diff_ids, std::size_t max_parallel) {
  if (diff_ids.size() != manifest.layers.size())
    return fail(ErrorKind::integrity, "the image's config lists " + std::to_string(diff_ids.size()) +
                                          " diff_ids for " + std::to_string(manifest.layers.size()) + " layers");
  return util::parallel_for(manifest.layers.size(), max_parallel, [&](std::size_t i) -> Result<void> {
    const auto& layer = manifest.layers[i];
    auto blob = TRY_CONTEXT(source.open_blob(layer), "reading " + layer_name(manifest, i));
    auto checked = verify_diff_id(oci::verify_reader(std::move(blob), layer), diff_ids[i], layer_name(manifest, i));
    std::vector<std::byte> buffer(256 << 10);
    while (TRY(checked->read(buffer)) > 0) {}
    return {};
  });
}

}  // namespace mlpack::image
