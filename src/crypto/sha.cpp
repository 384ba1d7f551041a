#include "crypto/sha.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <utility>

namespace ccbt::crypto {
namespace detail {
namespace {

const EVP_MD* fetch_md(int which) {
  // Fetched once per process; EVP_MD_fetch avoids the implicit fetch on every EVP_DigestInit.
  static const EVP_MD* const md_sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* const md_sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* md = which == 1 ? md_sha1 : md_sha256;
  if (md == nullptr) throw std::runtime_error("OpenSSL: digest not available");
  return md;
}

EVP_MD_CTX* ctx_of(void* p) { return static_cast<EVP_MD_CTX*>(p); }

}  // namespace

evp_hasher::evp_hasher(int which) : ctx_(EVP_MD_CTX_new()), md_(fetch_md(which)) {
  if (ctx_ == nullptr) throw std::bad_alloc();
  reset_ctx();
}

evp_hasher::evp_hasher(evp_hasher&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), md_(o.md_) {}

evp_hasher& evp_hasher::operator=(evp_hasher&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(ctx_of(ctx_));
    ctx_ = std::exchange(o.ctx_, nullptr);
    md_ = o.md_;
  }
  return *this;
}

evp_hasher::~evp_hasher() { EVP_MD_CTX_free(ctx_of(ctx_)); }

void evp_hasher::reset_ctx() {
  if (EVP_DigestInit_ex2(ctx_of(ctx_), static_cast<const EVP_MD*>(md_), nullptr) != 1)
    throw std::runtime_error("OpenSSL: EVP_DigestInit_ex2 failed");
}

void evp_hasher::update_bytes(const void* data, std::size_t size) {
  if (size != 0) EVP_DigestUpdate(ctx_of(ctx_), data, size);
}

void evp_hasher::final_bytes(unsigned char* out) {
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_of(ctx_), out, &len);
  reset_ctx();
}

}  // namespace detail

sha1::sha1() : evp_hasher(1) {}
sha1_hash sha1::finish() {
  sha1_hash h;
  final_bytes(h.bytes.data());
  return h;
}

sha256::sha256() : evp_hasher(256) {}
sha256_hash sha256::finish() {
  sha256_hash h;
  final_bytes(h.bytes.data());
  return h;
}

sha1_hash sha1_digest(std::string_view data) {
  sha1_hash h;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.bytes.data(), &len, detail::fetch_md(1), nullptr);
  return h;
}

sha256_hash sha256_digest(std::string_view data) {
  sha256_hash h;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.bytes.data(), &len, detail::fetch_md(256), nullptr);
  return h;
}

sha256_hash sha256_pair(const sha256_hash& a, const sha256_hash& b) {
  unsigned char buf[64];
  std::copy(a.bytes.begin(), a.bytes.end(), buf);
  std::copy(b.bytes.begin(), b.bytes.end(), buf + 32);
  return sha256_digest(std::string_view(reinterpret_cast<const char*>(buf), sizeof buf));
}

}  // namespace ccbt::crypto
