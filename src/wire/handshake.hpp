// The 68-byte BitTorrent handshake (BEP 3): encoder, reserved bits, and an incremental parser.
//
//   <19><"BitTorrent protocol"><8 reserved bytes><20-byte info-hash><20-byte peer id>
//
// Reserved bits used here (checked against the BEPs and libtorrent's bt_peer_connection.cpp):
//   reserved[5] & 0x10  BEP 10 extension protocol
//   reserved[7] & 0x01  BEP 5 DHT (the peer sends a port message)
//   reserved[7] & 0x04  BEP 6 fast extension
//   reserved[7] & 0x10  BEP 52 v2 (hybrid torrents may upgrade to the v2 info-hash)
// For a v2 torrent the handshake carries the SHA-256 info-hash truncated to 20 bytes.
//
// The parser is sans-io: feed it bytes, it never consumes more than the handshake. It pauses once
// after the info-hash (byte 48) so that the side accepting a connection can look up the torrent,
// and the feature bits, before it answers; a second feed() reads the peer id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

#include "wire/messages.hpp"

namespace ccbt::wire {

inline constexpr std::string_view protocol_string = "BitTorrent protocol";
inline constexpr std::size_t handshake_size = 68;
// Bytes up to and including the info-hash.
inline constexpr std::size_t handshake_info_hash_end = 48;

enum class feature : std::uint8_t { extension_protocol, fast, dht, v2 };

struct reserved_bits {
  std::array<std::uint8_t, 8> bytes{};

  [[nodiscard]] constexpr bool test(feature f) const noexcept {
    const auto [i, mask] = position(f);
    return (bytes[i] & mask) != 0;
  }
  constexpr reserved_bits& set(feature f, bool on = true) noexcept {
    const auto [i, mask] = position(f);
    bytes[i] = static_cast<std::uint8_t>(on ? (bytes[i] | mask) : (bytes[i] & ~mask));
    return *this;
  }
  friend bool operator==(const reserved_bits&, const reserved_bits&) = default;

 private:
  struct bit {
    std::size_t byte;
    std::uint8_t mask;
  };
  static constexpr bit position(feature f) noexcept {
    switch (f) {
      case feature::extension_protocol: return {5, 0x10};
      case feature::fast: return {7, 0x04};
      case feature::dht: return {7, 0x01};
      case feature::v2: return {7, 0x10};
    }
    return {7, 0};
  }
};

// What both ends of a connection support: a feature is on only if both set its bit.
struct features {
  bool fast = false;      // BEP 6 messages allowed
  bool extended = false;  // BEP 10 messages allowed
  bool dht = false;       // both run a DHT node (BEP 5)
  bool v2 = false;        // BEP 52 hash messages allowed
  friend bool operator==(const features&, const features&) = default;
};

[[nodiscard]] constexpr features negotiate(const reserved_bits& ours, const reserved_bits& theirs) noexcept {
  auto both = [&](feature f) { return ours.test(f) && theirs.test(f); };
  return {both(feature::fast), both(feature::extension_protocol), both(feature::dht), both(feature::v2)};
}

using peer_id = std::array<std::uint8_t, 20>;

struct handshake {
  reserved_bits reserved;
  sha1_hash info_hash;
  peer_id id{};
  friend bool operator==(const handshake&, const handshake&) = default;
};

// Appends the 68-byte handshake.
template <byte_buffer B>
void encode(B& out, const handshake& h) {
  auto* p = detail::grow(out, handshake_size);
  p = detail::put8(p, static_cast<std::uint8_t>(protocol_string.size()));
  p = detail::put_bytes(p, protocol_string.data(), protocol_string.size());
  p = detail::put_bytes(p, h.reserved.bytes.data(), 8);
  p = detail::put_bytes(p, h.info_hash.bytes.data(), 20);
  detail::put_bytes(p, h.id.data(), 20);
}

class handshake_parser {
 public:
  enum class stage : std::uint8_t {
    reading,    // before the info-hash is complete
    info_hash,  // protocol, reserved bits and info-hash known; the peer id is not
    done,       // all 68 bytes read
  };

  // Consumes bytes from `in` and returns how many it used: never past the info-hash in a call that
  // starts before it, never past the handshake. A wrong protocol string is an error as soon as the
  // offending byte arrives (offset = its position); errors are sticky.
  [[nodiscard]] result<std::size_t> feed(std::span<const std::byte> in);
  [[nodiscard]] result<std::size_t> feed(std::string_view in) {
    return feed(std::as_bytes(std::span<const char>(in.data(), in.size())));
  }

  [[nodiscard]] stage progress() const noexcept;
  [[nodiscard]] bool has_info_hash() const noexcept { return have_ >= handshake_info_hash_end; }
  [[nodiscard]] bool done() const noexcept { return have_ == handshake_size; }
  // Bytes still needed to reach the next stage (0 when done).
  [[nodiscard]] std::size_t bytes_needed() const noexcept;

  // Preconditions: has_info_hash() for reserved() and info_hash(); done() for id() and value().
  [[nodiscard]] reserved_bits reserved() const noexcept;
  [[nodiscard]] sha1_hash info_hash() const noexcept;
  [[nodiscard]] peer_id id() const noexcept;
  [[nodiscard]] handshake value() const noexcept;

 private:
  std::array<std::uint8_t, handshake_size> buf_{};
  std::size_t have_ = 0;
  std::optional<error> error_;
};

}  // namespace ccbt::wire
