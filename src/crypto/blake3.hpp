// BLAKE3, plain and keyed, built from the C sources that Debian's librust-blake3-dev installs
// (with its x86-64 SIMD assembly). Used by the Xet extension (keyed BLAKE3 merkle hashes).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include <ccbt/hash.hpp>

namespace ccbt::crypto {

using blake3_key = std::array<std::uint8_t, 32>;
using blake3_hash = digest<32>;

class blake3 {
 public:
  blake3();                               // plain hash
  explicit blake3(const blake3_key& key); // keyed hash
  blake3(blake3&&) noexcept;
  blake3& operator=(blake3&&) noexcept;
  ~blake3();

  blake3& update(std::string_view data);
  // Returns the 32-byte digest and resets the hasher (keeping the key) for reuse.
  [[nodiscard]] blake3_hash finish();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

[[nodiscard]] blake3_hash blake3_digest(std::string_view data);
[[nodiscard]] blake3_hash blake3_keyed_digest(const blake3_key& key, std::string_view data);

}  // namespace ccbt::crypto
