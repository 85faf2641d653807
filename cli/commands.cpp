#include "cli/commands.hpp"

#include <fmt/core.h>

#include <chrono>

#include "buildpacks/cuda/cuda.hpp"
#include "image/append.hpp"
#include "image/copy.hpp"
#include "image/inspect.hpp"
#include "image/location.hpp"
#include "registry/credentials.hpp"
#include "util/cleanup.hpp"
#include "util/expected.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace mlpack::cli {

using util::Error;
using util::ErrorKind;

std::string default_cache_dir(const util::Environment& env) {
  if (auto d = env.non_empty("MLPACK_CACHE_DIR")) return *d;
  if (auto x = env.non_empty("XDG_CACHE_HOME")) return *x + "/mlpack";
  if (auto h = env.non_empty("HOME")) return *h + "/.cache/mlpack";
  return ".mlpack-cache";
}

util::Result<std::vector<image::Location>> check_outputs(const std::vector<std::string>& outputs) {
  std::vector<image::Location> locations;
  for (const auto& o : outputs) {
    auto loc = TRY(image::Location::parse(o));
    TRY(image::check_destination(loc));
    locations.push_back(std::move(loc));
  }
  return locations;
}

// Three levels reach every folder the modules write into (the deepest: pypi/http-v1/<xx> and
// pypi/blobs/sha256), naming none of them. A module that writes deeper must sweep that itself.
// The sweep runs only after a run died in this cache (util::begin_cache_run); the caller keeps the
// returned run for as long as it uses the cache.
util::CacheRun tidy_cache(const Globals& g) { return util::begin_cache_run(g.cache_dir, 3); }

// mlpack.lock and the variants' mlpack.<suffix>.lock.
void tidy_project(const std::string& dir) { util::remove_abandoned_temp_paths(dir, "mlpack."); }

image::OpenOptions open_options(const Globals& g) {
  image::OpenOptions o{g.cache_dir, g.insecure_registries, registry::docker_config_path(g.env)};
  o.ca_file = g.env.non_empty("SSL_CERT_FILE").value_or("");
  o.upload_chunk_size = g.upload_chunk_size;
  return o;
}

namespace {

util::Result<oci::Platform> platform(const Globals& g) {
  return TRY_CONTEXT(oci::Platform::parse(g.platform), "invalid `--platform`");
}

util::Result<std::map<std::string, std::string>> parse_labels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& kv : labels) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return util::fail(ErrorKind::invalid_input, "invalid label `" + kv + "`: expected `KEY=VALUE`");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

nlohmann::json layer_json(const oci::Descriptor& d, const util::Digest& diff_id, bool cached,
                          const std::string& contents) {
  return {{"digest", d.digest.str()}, {"diff_id", diff_id.str()}, {"size", d.size},
          {"media_type", d.media_type}, {"cached", cached}, {"contents", contents}};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int run_version(const Globals& g) {
  if (g.out.json) g.out.document({{"version", MLPACK_VERSION}});
  else fmt::print("mlpack {}\n", MLPACK_VERSION);
  return 0;
}

int run_append(const AppendArgs& args, const Globals& g) {
  auto start = std::chrono::steady_clock::now();
  auto fail = [&](const Error& e) { return g.out.error(e); };

  image::AppendOptions options;
  auto plat = platform(g);
  if (!plat) return fail(plat.error());
  options.platform = *plat;
  options.cache_dir = g.cache_dir;

  // Validate every location before doing any work.
  auto outputs = check_outputs(args.outputs);
  if (!outputs) return fail(outputs.error());
  for (const auto& l : args.layers) {
    auto spec = image::LayerSpec::parse(l);
    if (!spec) return fail(spec.error());
    options.layers.push_back(*spec);
  }
  auto labels = parse_labels(args.labels);
  if (!labels) return fail(labels.error());
  options.config = image::ConfigEdits{args.entrypoint, args.cmd, args.env, args.workdir, args.user, *labels, args.ports};
  options.layer_options.compression = args.compression == "zstd" ? archive::Compression::zstd : archive::Compression::gzip;
  auto epoch = archive::source_date_epoch(g.env.non_empty("SOURCE_DATE_EPOCH").value_or(""));
  if (!epoch) return fail(epoch.error());
  options.layer_options.mtime = *epoch;
  options.created = util::format_rfc3339(*epoch);

  if (!args.base.empty()) {
    auto base = image::Location::parse(args.base);
    if (!base) return fail(base.error().context("invalid `--base`"));
    auto source = image::open_source(*base, open_options(g));
    if (!source) return fail(source.error());
    options.base = std::move(*source);
  }

  auto cache_run = tidy_cache(g);
  auto built = image::append(options);
  if (!built) return fail(built.error());
  auto& staged = *built->image;

  nlohmann::json outputs_json = nlohmann::json::array();
  for (const auto& loc : *outputs) {
    auto dest = image::open_destination(loc, open_options(g));
    if (!dest) return fail(dest.error());
    auto copied = image::copy_image(staged, **dest, image::CopyOptions{});
    if (!copied) return fail(copied.error().context("writing " + loc.str()));
    outputs_json.push_back(loc.str());
    g.out.info(fmt::format("wrote {} ({} blobs written, {} already there)", loc.str(), copied->blobs_copied,
                           copied->blobs_skipped));
  }

  const auto manifest = oci::parse_manifest(staged.manifest().bytes);
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : built->layers) layers.push_back(layer_json(l.descriptor, l.diff_id, false, l.contents));
  if (g.out.json) {
    g.out.document({{"image",
                     {{"digest", staged.manifest().digest.str()},
                      {"config_digest", manifest ? manifest->config.digest.str() : ""},
                      {"outputs", outputs_json},
                      {"layers", layers}}},
                    {"timings", {{"total_s", seconds_since(start)}}}});
  } else {
    fmt::print("{}\n", staged.manifest().digest.str());
  }
  return 0;
}

int run_push(const PushArgs& args, const Globals& g) {
  auto start = std::chrono::steady_clock::now();
  auto fail = [&](const Error& e) { return g.out.error(e); };
  auto src_loc = image::Location::parse(args.source);
  if (!src_loc) return fail(src_loc.error());
  auto dst_loc = image::Location::parse(args.destination);
  if (!dst_loc) return fail(dst_loc.error());
  if (auto r = image::check_destination(*dst_loc); !r) return fail(r.error());

  image::CopyOptions options;
  if (!args.all_platforms || dst_loc->kind == image::Location::Kind::docker_archive) {
    // A docker archive holds one image, so pick one from an index.
    auto plat = platform(g);
    if (!plat) return fail(plat.error());
    options.platform = *plat;
  }
  auto source = image::open_source(*src_loc, open_options(g));
  if (!source) return fail(source.error());
  auto dest = image::open_destination(*dst_loc, open_options(g));
  if (!dest) return fail(dest.error());
  auto copied = image::copy_image(**source, **dest, options);
  if (!copied) return fail(copied.error());

  if (g.out.json) {
    g.out.document({{"source", src_loc->str()},
                    {"destination", dst_loc->str()},
                    {"digest", copied->manifest.digest.str()},
                    {"blobs_copied", copied->blobs_copied},
                    {"blobs_skipped", copied->blobs_skipped},
                    {"bytes_copied", copied->bytes_copied},
                    {"timings", {{"total_s", seconds_since(start)}}}});
  } else {
    g.out.info(fmt::format("copied {} blobs ({}), {} already present, in {:.2f}s", copied->blobs_copied,
                           util::human_bytes(copied->bytes_copied), copied->blobs_skipped, seconds_since(start)));
    fmt::print("{}\n", copied->manifest.digest.str());
  }
  return 0;
}

// What `inspect` shows of the image at `ref`, for the global --platform: its manifest, config and
// layers (check-gpu reads its labels from the same document).
util::Result<nlohmann::json> inspect_location(const std::string& ref, const Globals& g) {
  auto loc = TRY(image::Location::parse(ref));
  auto plat = TRY(platform(g));
  auto source = TRY(image::open_source(loc, open_options(g)));
  return image::inspect(*source, plat);
}

int run_inspect(const std::string& ref, const Globals& g) {
  auto fail = [&](const Error& e) { return g.out.error(e); };
  auto doc = inspect_location(ref, g);
  if (!doc) return fail(doc.error());
  if (g.out.json) {
    g.out.document(*doc);
    return 0;
  }
  const auto& d = *doc;
  fmt::print("Name:          {}\n", d["name"].get<std::string>());
  fmt::print("Digest:        {}\n", d["digest"].get<std::string>());
  if (d.contains("index_digest")) fmt::print("Index:         {}\n", d["index_digest"].get<std::string>());
  fmt::print("Config:        {}\n", d["config_digest"].get<std::string>());
  fmt::print("Created:       {}\n", d["created"].get<std::string>());
  fmt::print("Platform:      {}/{}\n", d["os"].get<std::string>(), d["architecture"].get<std::string>());
  const auto& c = d["config"];
  if (c.contains("Entrypoint")) fmt::print("Entrypoint:    {}\n", c["Entrypoint"].dump());
  if (c.contains("Cmd")) fmt::print("Cmd:           {}\n", c["Cmd"].dump());
  if (c.contains("WorkingDir")) fmt::print("WorkingDir:    {}\n", c["WorkingDir"].get<std::string>());
  if (c.contains("User")) fmt::print("User:          {}\n", c["User"].get<std::string>());
  if (c.contains("Env"))
    for (const auto& e : c["Env"]) fmt::print("Env:           {}\n", e.get<std::string>());
  fmt::print("Layers:\n");
  for (const auto& l : d["layers"])
    fmt::print("  {}  {:>10}  {}\n", l["digest"].get<std::string>(), util::human_bytes(l["size"].get<unsigned long long>()),
               l["media_type"].get<std::string>());
  return 0;
}

int run_check_gpu(const std::string& ref, const std::optional<std::string>& given, const Globals& g) {
  auto fail = [&](const Error& e) { return g.out.error(e); };
  if (given)
    if (auto valid = buildpacks::cuda::compare_drivers(*given, *given); !valid)
      return fail(Error{ErrorKind::invalid_input, "invalid `--driver`: " + valid.error().message});
  auto doc = inspect_location(ref, g);
  if (!doc) return fail(doc.error());
  std::map<std::string, std::string> labels;
  std::vector<std::string> env;
  const auto& config = (*doc)["config"];
  if (auto it = config.find("Labels"); it != config.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_string()) labels[k] = v.get<std::string>();
  if (auto it = config.find("Env"); it != config.end() && it->is_array())
    for (const auto& e : *it)
      if (e.is_string()) env.push_back(e.get<std::string>());

  // The driver: --driver, else the local nvidia-smi's (first GPU), else none (the floor alone).
  std::optional<std::string> driver = given;
  std::string driver_source = given ? "--driver" : "";
  if (!driver) {
    auto smi = util::program_output({"nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"}, 4096);
    if (smi) {
      std::string first = smi->substr(0, smi->find('\n'));
      while (!first.empty() && (first.back() == '\r' || first.back() == ' ')) first.pop_back();
      if (!first.empty() && buildpacks::cuda::compare_drivers(first, first)) {
        driver = first;
        driver_source = "nvidia-smi";
      }
    }
  }
  auto check = buildpacks::cuda::check_gpu(labels, env, driver, driver_source);
  if (!check) return fail(check.error());
  auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  if (g.out.json) {
    g.out.document({{"image", ref},
                    {"digest", (*doc)["digest"]},
                    {"cuda", opt(check->cuda)},
                    {"driver_min", opt(check->driver_min)},
                    {"driver", opt(check->driver)},
                    {"driver_source", check->driver_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(check->driver_source)},
                    {"runs", check->runs},
                    {"reason", check->reason}});
  } else {
    fmt::print("{}: {}\n", check->runs ? "runs" : "does not run", check->reason);
  }
  return check->runs ? 0 : 1;
}

}  // namespace mlpack::cli
