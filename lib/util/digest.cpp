#include "util/digest.hpp"

#include <openssl/evp.h>

#include <vector>

#include "util/expected.hpp"

namespace mlpack::util {

bool is_lower_hex(std::string_view s, std::size_t digits) {
  if (s.empty() || (digits != 0 && s.size() != digits)) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Digest> Digest::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail(ErrorKind::invalid_input, "invalid digest `" + std::string(text) + "`: expected `algorithm:hex`");
  std::string_view algo = text.substr(0, colon), hex = text.substr(colon + 1);
  std::size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want == 0)
    return fail(ErrorKind::unsupported, "unsupported digest algorithm `" + std::string(algo) + "`");
  if (!is_lower_hex(hex, want))
    return fail(ErrorKind::invalid_input, "invalid digest `" + std::string(text) + "`");
  return Digest(std::string(algo), std::string(hex));
}

Digest Digest::sha256_of(std::string_view data) {
  Sha256Writer h;
  h.update(as_bytes(data));
  return h.finish();
}

struct Sha256Writer::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Writer::Sha256Writer() : impl_(std::make_unique<Impl>()) {
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}
Sha256Writer::~Sha256Writer() = default;

void Sha256Writer::update(Bytes data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Result<void> Sha256Writer::write(Bytes data) {
  update(data);
  return {};
}

Digest Sha256Writer::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  return *Digest::parse("sha256:" + to_hex({reinterpret_cast<const std::byte*>(md), len}));
}

struct Md5Writer::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Md5Writer::Md5Writer() : impl_(std::make_unique<Impl>()) { EVP_DigestInit_ex(impl_->ctx, EVP_md5(), nullptr); }
Md5Writer::~Md5Writer() = default;

Result<void> Md5Writer::write(Bytes data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
  return {};
}

std::string Md5Writer::finish_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  return to_hex({reinterpret_cast<const std::byte*>(md), len});
}

Result<Digest> sha256_file(const std::string& path) {
  auto reader = TRY(FileReader::open(path));
  Sha256Writer h;
  TRY(copy(*reader, h));
  return h.finish();
}

std::string to_hex(Bytes data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::byte b : data) {
    out.push_back(digits[static_cast<unsigned>(b) >> 4]);
    out.push_back(digits[static_cast<unsigned>(b) & 15]);
  }
  return out;
}

}  // namespace mlpack::util
