// Fixed-size digests (SHA-1, SHA-256) and the BitTorrent info-hash (v1, v2 or both).
//
// Pure value types: no I/O. A v2 info-hash is truncated to 20 bytes wherever the wire, trackers
// or the DHT need a 20-byte id (BEP 52).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ccbt {

template <std::size_t N>
struct digest {
  static constexpr std::size_t size = N;
  std::array<std::uint8_t, N> bytes{};

  [[nodiscard]] std::span<const std::uint8_t, N> span() const noexcept { return bytes; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), N};
  }
  [[nodiscard]] bool is_zero() const noexcept {
    for (auto b : bytes)
      if (b != 0) return false;
    return true;
  }
  [[nodiscard]] std::string to_hex() const;
  // Parses exactly 2*N hex digits (either case); nullopt otherwise.
  [[nodiscard]] static std::optional<digest> from_hex(std::string_view hex);
  // Copies exactly N raw bytes; nullopt if the size differs.
  [[nodiscard]] static std::optional<digest> from_bytes(std::string_view raw);

  friend auto operator<=>(const digest&, const digest&) = default;
};

using sha1_hash = digest<20>;
using sha256_hash = digest<32>;

extern template struct digest<20>;
extern template struct digest<32>;

// The identity of a torrent: v1 (SHA-1 of the info dict), v2 (SHA-256 of the info dict), or both
// (hybrid). At least one is present in any info_hash that came out of a parser.
struct info_hash {
  std::optional<sha1_hash> v1;
  std::optional<sha256_hash> v2;

  [[nodiscard]] bool has_v1() const noexcept { return v1.has_value(); }
  [[nodiscard]] bool has_v2() const noexcept { return v2.has_value(); }
  [[nodiscard]] bool is_hybrid() const noexcept { return v1 && v2; }
  // First 20 bytes of the v2 hash (BEP 52); requires has_v2().
  [[nodiscard]] sha1_hash v2_truncated() const noexcept;
  // The 20-byte id used in handshakes, trackers and the DHT: v1 if present, else truncated v2.
  [[nodiscard]] sha1_hash id() const noexcept;

  friend bool operator==(const info_hash&, const info_hash&) = default;
};

// Lower-case hex of arbitrary bytes.
[[nodiscard]] std::string to_hex(std::string_view bytes);

}  // namespace ccbt
