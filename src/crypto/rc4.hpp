// RC4 stream cipher, as MSE/PE (Message Stream Encryption) uses it for its handshake and payload.
//
// Written here rather than taken from OpenSSL: OpenSSL 3 keeps RC4 in its legacy provider, which
// is not loaded by default. RC4 is weak; MSE uses it for obfuscation, not confidentiality.
// Invariant: encryption and decryption are the same operation (XOR with the keystream), applied in
// place; the state advances by exactly the number of bytes processed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ccbt::crypto {

class rc4 {
 public:
  // key: 1..256 bytes.
  explicit rc4(std::span<const std::uint8_t> key) noexcept;
  // XORs n bytes at data with the keystream, in place.
  void process(void* data, std::size_t n) noexcept;
  // Drops n bytes of keystream (MSE drops the first 1024).
  void discard(std::size_t n) noexcept;

 private:
  std::array<std::uint8_t, 256> s_{};
  std::uint8_t i_ = 0, j_ = 0;
};

}  // namespace ccbt::crypto
