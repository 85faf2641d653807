#include "image/append.hpp"

#include "image/copy.hpp"
#include "image/diff_id.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::image {

using util::ErrorKind;

Result<LayerSpec> LayerSpec::parse(std::string_view text) {
  LayerSpec spec;
  // "DIR:/dest": split at the last ":/" so directory names with colons still work.
  auto split = text.rfind(":/");
  if (split == std::string_view::npos) {
    spec.dir = std::string(text);
  } else {
    spec.dir = std::string(text.substr(0, split));
    spec.dest = std::string(text.substr(split + 1));
  }
  if (spec.dir.empty())
    return util::fail(ErrorKind::invalid_input, "invalid layer `" + std::string(text) + "`: the directory is empty");
  return spec;
}

std::string layer_media_type(archive::Compression compression) {
  switch (compression) {
    case archive::Compression::gzip: return std::string(oci::media::oci_layer_gzip);
    case archive::Compression::zstd: return std::string(oci::media::oci_layer_zstd);
    case archive::Compression::none: return std::string(oci::media::oci_layer_tar);
  }
  return {};
}

Result<void> apply_edits(oci::ImageConfig& config, const ConfigEdits& edits) {
  if (edits.entrypoint) {
    config.entrypoint = *edits.entrypoint;
    if (!edits.cmd) config.cmd.reset();  // as a Dockerfile ENTRYPOINT does
  }
  if (edits.cmd) config.cmd = *edits.cmd;
  for (const auto& kv : edits.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return util::fail(ErrorKind::invalid_input, "invalid environment variable `" + kv + "`: expected `KEY=VALUE`");
    config.set_env(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (edits.workdir) config.working_dir = *edits.workdir;
  if (edits.user) config.user = *edits.user;
  for (const auto& [k, v] : edits.labels) config.labels[k] = v;
  for (const auto& port : edits.ports) {
    std::string p = port.find('/') == std::string::npos ? port + "/tcp" : port;
    auto slash = p.find('/');
    auto number = p.substr(0, slash), proto = p.substr(slash + 1);
    bool digits = !number.empty() && number.size() <= 5 &&
                  number.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(number) == 0 || std::stoi(number) > 65535 ||
        (proto != "tcp" && proto != "udp" && proto != "sctp"))
      return util::fail(ErrorKind::invalid_input, "invalid port `" + port + "`: expected `PORT[/tcp|udp|sctp]`");
    if (std::find(config.exposed_ports.begin(), config.exposed_ports.end(), p) == config.exposed_ports.end())
      config.exposed_ports.push_back(p);
  }
  std::sort(config.exposed_ports.begin(), config.exposed_ports.end());
  return {};
}

Result<AppendResult> append(const AppendOptions& options) {
  oci::Manifest manifest;
  oci::ImageConfig config;
  config.architecture = options.platform.architecture;
  config.os = options.platform.os;
  config.variant = options.platform.variant;

  if (options.base) {
    auto base = TRY_CONTEXT(resolve_manifest(*options.base, options.platform), "reading the base image");
    auto config_reader = TRY_CONTEXT(options.base->open_blob(base.manifest.config), "reading the base image's config");
    auto verified = oci::verify_reader(std::move(config_reader), base.manifest.config);
    auto config_bytes = TRY_CONTEXT(util::read_all(*verified, 16 << 20), "reading the base image's config");
    config = TRY_CONTEXT(oci::parse_config(config_bytes), "parsing the base image's config");
    if (config.diff_ids.size() != base.manifest.layers.size())
      return util::fail(ErrorKind::invalid_input, "the base image's config lists " +
                                                      std::to_string(config.diff_ids.size()) + " diff_ids for " +
                                                      std::to_string(base.manifest.layers.size()) + " layers");
    // Outside input, and a copy may never read these layers again (they may be in the blob store
    // or at the destination already): each is checked against its diff_id before anything is built.
    TRY_CONTEXT(verify_layers(*options.base, base.manifest, config.diff_ids), "reading the base image");
    manifest.layers = base.manifest.layers;
    // Docker schema 2 layers are the same bytes under another name; we write OCI manifests.
    for (auto& layer : manifest.layers)
      if (layer.media_type == oci::media::docker_layer_gzip) layer.media_type = std::string(oci::media::oci_layer_gzip);
  }
  config.created = options.created;

  BlobStore store(options.cache_dir);
  AppendResult result;
  for (const auto& spec : options.layers) {
    std::string contents = spec.dir.string() + " -> " + spec.dest;
    // The tree's own modes: a root filesystem's /tmp stays 1777 (build's layers normalise theirs).
    archive::ScanOptions scan{.dest = spec.dest, .modes = archive::Modes::as_is};
    auto entries = TRY_CONTEXT(archive::scan_directory(spec.dir, scan), "adding layer " + contents);
    std::optional<archive::LayerResult> written;
    auto write = [&](util::Writer& out) -> Result<Digest> {
      written = TRY(archive::write_layer(std::move(entries), options.layer_options, out));
      return written->digest;
    };
    TRY_CONTEXT(store.add(write), "writing layer " + contents);
    oci::Descriptor desc;
    desc.media_type = layer_media_type(options.layer_options.compression);
    desc.digest = written->digest;
    desc.size = static_cast<std::int64_t>(written->size);
    manifest.layers.push_back(desc);
    config.diff_ids.push_back(written->diff_id);
    // History names where the files land, not where they came from on this machine, so the
    // same tree gives the same config wherever it is built.
    config.history.push_back(oci::HistoryEntry{options.created, "mlpack append: files at " + spec.dest, "", false});
    result.layers.push_back(AppendedLayer{desc, written->diff_id, contents});
  }
  TRY(apply_edits(config, options.config));

  std::string config_json = oci::to_json(config);
  manifest.config.media_type = std::string(oci::media::oci_config);
  manifest.config.digest = Digest::sha256_of(config_json);
  manifest.config.size = static_cast<std::int64_t>(config_json.size());
  auto raw = oci::RawManifest::from_bytes(oci::to_json(manifest), std::string(oci::media::oci_manifest));
  result.image = std::make_unique<StagedImage>(std::move(raw), std::move(config_json), std::move(store), options.base);
  return result;
}

}  // namespace mlpack::image
