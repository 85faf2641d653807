#include "net/spool.hpp"

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::net {

Spool::Spool(std::filesystem::path dest, std::uint64_t limit, std::string what, util::ErrorKind too_large,
             Hashes hashes)
    : dest_(std::move(dest)), limit_(limit), what_(std::move(what)), too_large_(too_large), hashes_(hashes) {}

util::Result<void> Spool::restart() {
  file_.reset();
  file_ = TRY(util::AtomicFile::create(dest_));
  if (hashes_ == Hashes::sha256_md5) {
    sha_.emplace();
    md5_.emplace();
  }
  count_ = 0;
  return {};
}

util::Result<void> Spool::write(util::Bytes data) {
  if (!file_) return util::fail(util::ErrorKind::internal, what_ + ": written before restart()");
  if (data.size() > limit_ - count_)
    return util::fail(too_large_, what_ + " is larger than " + util::human_bytes(limit_) + "; refused");
  count_ += data.size();
  if (sha_) sha_->update(data);
  if (md5_) TRY(md5_->write(data));
  return file_->write(data);
}

std::string Spool::sha256_hex() { return sha_ ? sha_->finish().hex() : std::string(); }

std::string Spool::md5_hex() { return md5_ ? md5_->finish_hex() : std::string(); }

}  // namespace mlpack::net
