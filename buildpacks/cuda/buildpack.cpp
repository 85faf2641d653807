// The cuda buildpack: the project's one CUDA decision. It owns `--cuda` and the mlpack.yaml key
// `cuda`, runs after the ecosystems (their detect() publish facts::cuda_hints) and publishes
// facts::cuda, which pip and conda follow; it records the decision in the lock's target, and its
// configure() makes the image say what it needs (NVIDIA_* Env, the CUDA and driver-floor labels).
// It lays down nothing: the container toolkit mounts the host's driver, and no driver library goes
// into an image.
#include "buildpacks/buildpack.hpp"
#include "buildpacks/cuda/cuda.hpp"
#include "buildpacks/cuda/tables.hpp"
#include "util/expected.hpp"

namespace mlpack::buildpacks::cuda {

namespace {

// "mlpack.yaml:3:7" of a value, from its error's prefix.
std::string where_of(const detectors::ConfigValue& v) {
  std::string message = v.error("").message;
  if (message.ends_with(": ")) message.resize(message.size() - 2);
  // file:line, without the column.
  auto last = message.rfind(':');
  auto first = message.find(':');
  if (last != std::string::npos && first != last) message.resize(last);
  return message;
}

class Cuda final : public Buildpack {
 public:
  std::string_view name() const override { return "cuda"; }

  std::vector<FlagSpec> flags() const override {
    return {FlagSpec{"--cuda", "auto|none|X.Y",
                     "CUDA variant (default: mlpack.yaml `cuda`, else auto: from the project's files, never the machine); "
                     "given more than once, `build` writes one image index with a variant per value",
                     true, true}};
  }
  std::vector<std::string> config_keys() const override { return {"cuda"}; }

  // org.mlpack.cuda=12.1, tag and lock suffix cu121; none: cpu, as PyTorch names its indexes.
  std::optional<VariantId> variant_id(const Project&) const override {
    VariantId id;
    id.annotations["org.mlpack.cuda"] = decision_.version.value_or("none");
    id.suffix = decision_.version ? "cu" + compact(*decision_.version) : "cpu";
    return id;
  }

  Result<std::vector<std::string>> accept(const FlagValues& flags, const util::Environment&) override {
    if (auto all = flags.all("--cuda"); all.size() > 1)
      return util::fail(util::ErrorKind::invalid_input,
                        "`--cuda` is given " + std::to_string(all.size()) +
                            " times: only `mlpack build` and `mlpack lock` make one variant per value");
    if (auto v = flags.value("--cuda")) {
      auto setting = parse_setting(*v);
      if (!setting)
        return util::fail(util::ErrorKind::invalid_input, "invalid `--cuda " + *v + "`: " + setting.error().message);
      flag_ = Setting{*setting, "--cuda"};
    }
    return std::vector<std::string>{};
  }

  Result<Detection> detect(Project& project) override {
    Setting setting;
    if (const auto* v = project.config.section("cuda")) {
      auto text = TRY(v->string());
      auto parsed = parse_setting(text);
      if (!parsed) return std::unexpected(v->error(parsed.error().message));
      setting = Setting{*parsed, where_of(*v)};
    }
    if (flag_) setting = *flag_;
    decision_ = TRY(decide(setting, project.facts.get_or(facts::cuda_hints)));
    project.facts.publish(facts::cuda, decision_);
    // Whatever the decision: a CPU image can still get CUDA libraries twice (conda and pip).
    project.facts.publish(facts::watched_libraries, std::function<bool(std::string_view)>(is_cuda_library_file));
    return Detection{};
  }

  DetectSection describe(const Project&) const override {
    DetectSection s;
    s.json["cuda"] = {{"setting", decision_.setting},
                      {"version", decision_.version ? nlohmann::json(*decision_.version) : nlohmann::json(nullptr)},
                      {"reason", decision_.reason}};
    // "cuda: 12.1, from torch==2.3.1+cu121 (requirements.txt:1)"; "cuda: none (no GPU framework…)".
    const std::string version = decision_.version ? *decision_.version : std::string("none");
    const bool found = decision_.setting != "auto" || decision_.version || decision_.reason.find('(') != std::string::npos;
    s.lines.push_back("cuda: " + version + (found ? ", from " + decision_.reason : " (" + decision_.reason + ")"));
    return s;
  }

  std::vector<InputPart> inputs(const Context&) const override {
    return {InputPart{"cuda", "cuda " + decision_.version.value_or("none") + "\n",
                      "the CUDA decision (mlpack.yaml `cuda`, --cuda, or the project's CUDA packages)"}};
  }

  Result<void> resolve(Context& ctx, lock::LockFile& lock) const override {
    lock.target.cuda = decision_.version;
    ctx.facts.publish(facts::cuda, decision_);
    return {};
  }

  Result<void> layers(Context& ctx, const lock::LockFile& lock, LayerSink&) const override {
    ctx.facts.publish(facts::cuda, from_lock(lock));
    return {};
  }

  Result<void> configure(const Context&, const lock::LockFile& lock, ConfigDraft& draft) const override {
    if (!lock.target.cuda) return {};
    auto needs = TRY_CONTEXT(image_needs(*lock.target.cuda), "mlpack.lock `target.cuda`");
    for (const auto& [k, v] : needs.env) draft.config.set_env(k, v);
    for (auto& [k, v] : needs.labels) draft.config.labels[k] = v;
    return {};
  }

  std::string plan(const lock::LockFile& lock) const override {
    return lock.target.cuda ? "CUDA " + *lock.target.cuda : std::string();
  }

 private:
  // The decision as the lock recorded it (a build reads only the lock).
  facts::CudaDecision from_lock(const lock::LockFile& lock) const {
    if (lock.target.cuda == decision_.version) return decision_;
    return {"locked", lock.target.cuda, "mlpack.lock `target.cuda`"};
  }

  std::optional<Setting> flag_;
  facts::CudaDecision decision_{"auto", std::nullopt, ""};
};

}  // namespace

std::shared_ptr<Buildpack> make_buildpack() { return std::make_shared<Cuda>(); }

}  // namespace mlpack::buildpacks::cuda
