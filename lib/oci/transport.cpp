#include "oci/transport.hpp"

#include "util/digest.hpp"

namespace mlpack::oci {

namespace {

// Hashes and counts what passes through; checks the result when the inner stream ends. After
// the first error every read repeats it, so a caller that retries a read cannot slip past.
class VerifyingReader final : public util::Reader {
 public:
  VerifyingReader(std::unique_ptr<util::Reader> inner, const Descriptor& expected)
      : inner_(std::move(inner)), digest_(expected.digest), size_(expected.size) {}

  Result<std::size_t> read(std::span<std::byte> out) override {
    if (error_) return std::unexpected(*error_);
    if (done_) return 0;
    if (digest_.algorithm() != "sha256")
      return failed(util::ErrorKind::unsupported,
                    "cannot verify blob " + digest_.str() + ": only sha256 digests are supported");
    auto n = inner_->read(out);
    if (!n) return failed(n.error().kind, n.error().message);
    if (*n == 0) {
      if (static_cast<std::int64_t>(count_) != size_)
        return failed(util::ErrorKind::integrity, "blob " + digest_.str() + " is " + std::to_string(count_) +
                                                      " bytes, expected " + std::to_string(size_));
      auto actual = hasher_.finish();
      if (actual != digest_)
        return failed(util::ErrorKind::integrity,
                      "blob content does not match digest " + digest_.str() + " (got " + actual.str() + ")");
      done_ = true;
      return 0;
    }
    count_ += *n;
    // Fail as soon as the stream is too long: a server sending endless data must not fill a disk.
    if (static_cast<std::int64_t>(count_) > size_)
      return failed(util::ErrorKind::integrity,
                    "blob " + digest_.str() + " is longer than its declared size of " + std::to_string(size_) + " bytes");
    hasher_.update({out.data(), *n});
    return *n;
  }

 private:
  std::unexpected<util::Error> failed(util::ErrorKind kind, std::string message) {
    error_ = util::Error{kind, std::move(message)};
    return std::unexpected(*error_);
  }

  std::unique_ptr<util::Reader> inner_;
  Digest digest_;
  std::int64_t size_;
  std::uint64_t count_ = 0;
  util::Sha256Writer hasher_;
  bool done_ = false;
  std::optional<util::Error> error_;
};

}  // namespace

std::unique_ptr<util::Reader> verify_reader(std::unique_ptr<util::Reader> inner, const Descriptor& expected) {
  return std::make_unique<VerifyingReader>(std::move(inner), expected);
}

Result<std::vector<Descriptor>> ImageSource::referrers(const Digest&) {
  return util::fail(util::ErrorKind::unsupported, describe() + ": listing the artifacts attached to an image is not supported here");
}

Result<void> ImageDestination::put_referrer(const RawManifest&) {
  return util::fail(util::ErrorKind::unsupported, describe() + ": attaching artifacts to an image is not supported here");
}

}  // namespace mlpack::oci
