// SHA-1 and SHA-256 through OpenSSL 3 EVP (SHA-NI where the CPU has it), incremental and one-shot.
//
// Each hasher owns one EVP_MD_CTX; the EVP_MD is fetched once per process. Not thread-safe per
// object; use one hasher per thread.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <ccbt/hash.hpp>

namespace ccbt::crypto {

namespace detail {
class evp_hasher {
 public:
  evp_hasher(evp_hasher&& o) noexcept;
  evp_hasher& operator=(evp_hasher&& o) noexcept;
  evp_hasher(const evp_hasher&) = delete;
  evp_hasher& operator=(const evp_hasher&) = delete;
  ~evp_hasher();

 protected:
  explicit evp_hasher(int which);  // 1 = sha1, 256 = sha256
  void update_bytes(const void* data, std::size_t size);
  void final_bytes(unsigned char* out);
  void reset_ctx();

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX*
  const void* md_ = nullptr;
};
}  // namespace detail

class sha1 : detail::evp_hasher {
 public:
  sha1();
  sha1& update(std::string_view data) { update_bytes(data.data(), data.size()); return *this; }
  sha1& update(std::span<const std::byte> data) { update_bytes(data.data(), data.size()); return *this; }
  // Returns the digest and resets the hasher for reuse.
  [[nodiscard]] sha1_hash finish();
};

class sha256 : detail::evp_hasher {
 public:
  sha256();
  sha256& update(std::string_view data) { update_bytes(data.data(), data.size()); return *this; }
  sha256& update(std::span<const std::byte> data) { update_bytes(data.data(), data.size()); return *this; }
  [[nodiscard]] sha256_hash finish();
};

[[nodiscard]] sha1_hash sha1_digest(std::string_view data);
[[nodiscard]] sha256_hash sha256_digest(std::string_view data);
// SHA-256 of the concatenation a || b (merkle interior nodes).
[[nodiscard]] sha256_hash sha256_pair(const sha256_hash& a, const sha256_hash& b);

}  // namespace ccbt::crypto
