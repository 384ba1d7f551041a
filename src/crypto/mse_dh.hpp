// Diffie-Hellman key exchange of MSE/PE (Message Stream Encryption): the fixed 768-bit prime P,
// generator 2, a random 160-bit private key (OpenSSL RAND_bytes), public keys and shared secrets as
// 96-byte big-endian numbers, zero-padded on the left.
//
// Invariant: shared_secret() accepts only a peer key Y with 1 < Y < P-1 (the other values give a
// secret an attacker can predict); anything else is rejected (nullopt).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ccbt::crypto {

inline constexpr std::size_t mse_key_size = 96;
using mse_key = std::array<std::uint8_t, mse_key_size>;

class mse_dh {
 public:
  // A fresh random private key (throws std::runtime_error if OpenSSL has no entropy).
  mse_dh();
  // A given private key (tests): big-endian, 1..96 bytes.
  explicit mse_dh(std::span<const std::uint8_t> private_key);
  mse_dh(mse_dh&&) noexcept;
  mse_dh& operator=(mse_dh&&) noexcept;
  mse_dh(const mse_dh&) = delete;
  mse_dh& operator=(const mse_dh&) = delete;
  ~mse_dh();

  [[nodiscard]] const mse_key& public_key() const noexcept { return public_; }
  // S = Y^x mod P; nullopt when Y is not in 2..P-2.
  [[nodiscard]] std::optional<mse_key> shared_secret(std::span<const std::uint8_t, mse_key_size> peer) const;

 private:
  void init(std::span<const std::uint8_t> private_key);
  void* x_ = nullptr;  // BIGNUM*
  mse_key public_{};
};

// Cryptographically random bytes (OpenSSL RAND_bytes); throws std::runtime_error on failure.
void random_bytes(std::span<std::uint8_t> out);

}  // namespace ccbt::crypto
