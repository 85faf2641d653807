#include "util/verified_file.hpp"

namespace mlpack::util {

Result<void> VerifiedFile::restart() {
  file_.reset();
  hasher_.emplace();
  count_ = 0;
  auto f = AtomicFile::create(dest_);
  if (!f) return std::unexpected(f.error());
  file_ = std::move(*f);
  return {};
}

Result<void> VerifiedFile::write(Bytes data) {
  if (!file_)
    if (auto r = restart(); !r) return r;
  count_ += data.size();
  if (expected_size_ && count_ > expected_size_)
    return fail(ErrorKind::integrity,
                what_ + " is longer than the " + std::to_string(expected_size_) + " bytes expected");
  hasher_->update(data);
  return file_->write(data);
}

Result<void> VerifiedFile::verify() {
  if (!file_)
    if (auto r = restart(); !r) return r;
  if (expected_size_ && count_ != expected_size_)
    return fail(ErrorKind::integrity,
                what_ + " is " + std::to_string(count_) + " bytes, expected " + std::to_string(expected_size_));
  auto actual = hasher_->finish();
  hasher_.reset();
  if (actual != expected_)
    return fail(ErrorKind::integrity, what_ + " has sha256 " + actual.hex() + ", expected " + expected_.hex());
  return {};
}

Result<void> VerifiedFile::commit() {
  if (auto r = verify(); !r) return r;
  return file_->commit();
}

Result<std::unique_ptr<AtomicFile>> VerifiedFile::take() {
  if (auto r = verify(); !r) return std::unexpected(r.error());
  return std::move(file_);
}

}  // namespace mlpack::util
