// BEP 11 peer exchange (ut_pex): the bencoded payload of the extended message the peer registered as
// "ut_pex" in its BEP 10 handshake.
//
//   d5:added<6n bytes>7:added.f<n bytes>6:added6<18m bytes>8:added6.f<m bytes>
//    7:dropped<6k bytes>8:dropped6<18l bytes>e
//
// Compact entries are the IP address (4 or 16 bytes) then the port, big-endian. Decoding is strict
// and bounded: a payload that is not a dictionary, a known key that is not a byte string, a peer list
// that is not a whole number of entries, flags that do not give exactly one byte per added peer, or
// more peers than ut_pex_limits allows is an error (with the byte offset of the offending value).
// Unknown keys are ignored. A missing list is empty; missing flags are all zero.
//
// Invariants of a decoded message: added.size() <= limits.max_added, dropped.size() <=
// limits.max_dropped; every address is 4 or 16 bytes; IPv4 entries come before IPv6 ones (in wire
// order) in both lists; dropped entries have flags 0. encode_ut_pex() writes all six keys in
// canonical order (as libtorrent does), so decode(encode(m)) == m for every decoded m.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>

#include "wire/extension_handshake.hpp"

namespace ccbt::wire {

// The extension's name in the BEP 10 "m" dictionary.
inline constexpr std::string_view ut_pex_name = "ut_pex";

// Bits of added.f / added6.f (BEP 11; 0x08 and 0x20 as libtorrent).
namespace pex_flag {
inline constexpr std::uint8_t prefers_encryption = 0x01;
inline constexpr std::uint8_t seed = 0x02;             // upload only
inline constexpr std::uint8_t supports_utp = 0x04;
inline constexpr std::uint8_t supports_holepunch = 0x08;
inline constexpr std::uint8_t reachable = 0x10;        // the sender connected to it (outgoing)
}  // namespace pex_flag

struct pex_peer {
  ip_bytes ip;              // 4 or 16 bytes
  std::uint16_t port = 0;   // may be 0 on the wire: the receiver skips such entries
  std::uint8_t flags = 0;   // pex_flag bits; always 0 in dropped

  friend bool operator==(const pex_peer&, const pex_peer&) = default;
};

struct ut_pex {
  std::vector<pex_peer> added;    // "added" + "added.f", then "added6" + "added6.f"
  std::vector<pex_peer> dropped;  // "dropped", then "dropped6"

  friend bool operator==(const ut_pex&, const ut_pex&) = default;
};

struct ut_pex_limits {
  std::size_t max_added = 200;    // IPv4 + IPv6 peers in "added" (libtorrent sends at most 100)
  std::size_t max_dropped = 200;
  std::size_t max_tokens = 64;    // bencode values in the payload
  std::size_t max_depth = 4;
};

[[nodiscard]] result<ut_pex> decode_ut_pex(std::string_view payload, const ut_pex_limits& limits = {});

// The payload; frame it with encode(out, extended{their_ut_pex_id, payload}).
[[nodiscard]] std::string encode_ut_pex(const ut_pex& m);

}  // namespace ccbt::wire
