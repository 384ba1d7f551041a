// BEP 10 extension handshake: the bencoded dictionary of extended message id 0.
//
// Decoding is strict where a lie would cost us (the "m" table, metadata_size) and lenient where
// clients in the wild differ (a "p" out of range, a "yourip" of the wrong size, a huge "reqq"): such
// fields are ignored or clamped rather than ending the connection. Unknown keys are ignored.
// Encoding writes canonical bencoding (sorted keys) with "m" always present.
//
// Invariants of a decoded handshake: at most limits.max_extensions names in m, each 1..max_name_length
// bytes; ids in 0..255 (0 = disabled); listen_port in 1..65535; reqq in 1..max_reqq; yourip 4 or
// 16 bytes; ipv4 4 bytes; ipv6 16 bytes; metadata_size in 1..max_metadata_size; client at most
// max_client_length bytes (cut at a UTF-8 boundary).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>

namespace ccbt::wire {

// A raw IPv4 (4 bytes) or IPv6 (16 bytes) address, network byte order.
struct ip_bytes {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t size = 0;  // 4 or 16

  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {bytes.data(), size}; }
  // nullopt unless raw is exactly 4 or 16 bytes.
  [[nodiscard]] static std::optional<ip_bytes> from(std::string_view raw) noexcept;
  friend bool operator==(const ip_bytes&, const ip_bytes&) = default;
};

struct extension_handshake {
  std::map<std::string, std::uint8_t, std::less<>> m;  // extension name -> id (0 = disabled)
  std::optional<std::uint16_t> listen_port;             // "p"
  std::optional<std::string> client;                    // "v", UTF-8
  std::optional<std::uint32_t> reqq;                    // outstanding requests it accepts
  std::optional<ip_bytes> yourip;                       // our address as the peer sees it
  std::optional<ip_bytes> ipv4;                         // the peer's own IPv4 address
  std::optional<ip_bytes> ipv6;                         // the peer's own IPv6 address
  std::optional<std::uint64_t> metadata_size;           // BEP 9: info dictionary size
  std::optional<bool> upload_only;                      // BEP 21
  std::optional<std::uint32_t> complete_ago;            // seconds since it last saw a seed

  // The id the peer assigned to an extension, nullopt if absent or disabled.
  [[nodiscard]] std::optional<std::uint8_t> id_of(std::string_view name) const;

  friend bool operator==(const extension_handshake&, const extension_handshake&) = default;
};

struct extension_handshake_limits {
  std::size_t max_extensions = 64;
  std::size_t max_name_length = 64;
  std::size_t max_client_length = 256;
  std::uint32_t max_reqq = 5000;                                 // larger values are clamped
  std::uint64_t max_metadata_size = std::uint64_t{64} << 20;     // larger is an error
  std::size_t max_tokens = 10'000;                               // bencode values in the payload
  std::size_t max_depth = 16;
};

[[nodiscard]] result<extension_handshake> decode_extension_handshake(
    std::string_view payload, const extension_handshake_limits& limits = {});

// The payload (bencoded dictionary) for extended message id 0; frame it with encode(out, extended{0, p}).
[[nodiscard]] std::string encode_extension_handshake(const extension_handshake& h);

}  // namespace ccbt::wire
