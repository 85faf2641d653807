#include "util/verified_file.hpp"

#include "util/expected.hpp"

namespace mlpack::util {

Result<void> VerifiedFile::restart() {
  file_.reset();
  hasher_.emplace();
  count_ = 0;
  file_ = TRY(AtomicFile::create(dest_));
  return {};
}

Result<void> VerifiedFile::write(Bytes data) {
  if (!file_) TRY(restart());
  count_ += data.size();
  if (expected_size_ && count_ > expected_size_)
    return fail(ErrorKind::integrity,
                what_ + " is longer than the " + std::to_string(expected_size_) + " bytes expected");
  hasher_->update(data);
  return file_->write(data);
}

Result<void> VerifiedFile::verify() {
  if (!file_) TRY(restart());
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
  TRY(verify());
  return file_->commit();
}

Result<std::unique_ptr<AtomicFile>> VerifiedFile::take() {
  TRY(verify());
  return std::move(file_);
}

}  // namespace mlpack::util
