// BEP 15 UDP tracker packets: encoding and decoding for both sides (the client and the embedded
// tracker). Pure and fuzzed (tests/fuzz/tracker_udp.cpp).
//
// Invariants: every decoder checks the size before reading, then (responses) the transaction id,
// then the action; an error packet (action 3) that carries our transaction id becomes
// tracker_failure with its text. Announce responses carry 6-byte peers when the request went over
// IPv4 and 18-byte peers over IPv6 (BEP 15); at most parse_limits::max_peers are accepted. All
// integers are big-endian.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include <ccbt/error.hpp>

#include "tracker/errors.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker::udp {

using bytes_view = std::span<const std::uint8_t>;

inline constexpr std::uint64_t protocol_id = 0x41727101980;
inline constexpr std::size_t connect_request_size = 16;
inline constexpr std::size_t connect_response_size = 16;
inline constexpr std::size_t announce_request_size = 98;
inline constexpr std::size_t announce_response_header = 20;
inline constexpr std::size_t scrape_request_header = 16;
inline constexpr std::size_t max_scrape_hashes = 74;  // BEP 15: what fits in one packet
inline constexpr std::size_t max_packet = 65536;

enum class action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

// ---- client side ----------------------------------------------------------------------------

[[nodiscard]] std::vector<std::uint8_t> encode_connect(std::uint32_t transaction_id);
// url_data: BEP 41 request string (path and query of the udp:// URL); empty for none.
[[nodiscard]] std::vector<std::uint8_t> encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                                        const announce_request& req,
                                                        std::string_view url_data = {});
// At most max_scrape_hashes hashes (the rest is ignored).
[[nodiscard]] std::vector<std::uint8_t> encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                                      std::span<const sha1_hash> hashes);

struct header {
  std::uint32_t action;
  std::uint32_t transaction_id;
};
// The first 8 bytes of a response; nullopt if shorter.
[[nodiscard]] std::optional<header> peek_header(bytes_view packet) noexcept;

// The connection id of a connect response.
[[nodiscard]] result<std::uint64_t> decode_connect(bytes_view packet, std::uint32_t transaction_id);
[[nodiscard]] result<announce_response> decode_announce(bytes_view packet, std::uint32_t transaction_id, bool ipv6,
                                                        const parse_limits& lim = {});
// requested: the hashes sent, in order (the response lists counts in the same order).
[[nodiscard]] result<scrape_response> decode_scrape(bytes_view packet, std::uint32_t transaction_id,
                                                    std::span<const sha1_hash> requested);

// ---- server side ----------------------------------------------------------------------------

struct connect_request {
  std::uint32_t transaction_id;
};
struct announce_packet {
  std::uint64_t connection_id;
  std::uint32_t transaction_id;
  announce_request request;  // num_want: nullopt when the packet says -1 (or any negative)
};
struct scrape_packet {
  std::uint64_t connection_id;
  std::uint32_t transaction_id;
  std::vector<sha1_hash> hashes;  // 1..max_scrape_hashes
};
using request = std::variant<connect_request, announce_packet, scrape_packet>;

[[nodiscard]] result<request> decode_request(bytes_view packet);

[[nodiscard]] std::vector<std::uint8_t> encode_connect_response(std::uint32_t transaction_id,
                                                                std::uint64_t connection_id);
// peers must all be of the family of the socket the request came in on.
[[nodiscard]] std::vector<std::uint8_t> encode_announce_response(std::uint32_t transaction_id,
                                                                 std::uint32_t interval, std::uint32_t leechers,
                                                                 std::uint32_t seeders,
                                                                 std::span<const peer_address> peers);
[[nodiscard]] std::vector<std::uint8_t> encode_scrape_response(std::uint32_t transaction_id,
                                                               std::span<const scrape_entry> entries);
[[nodiscard]] std::vector<std::uint8_t> encode_error(std::uint32_t transaction_id, std::string_view message);

}  // namespace ccbt::tracker::udp
