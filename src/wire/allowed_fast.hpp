// BEP 6 allowed-fast set: the pieces a peer may request from us while it is choked.
//
// The canonical algorithm for IPv4: x = (ip & 0xFFFFFF00) as 4 big-endian bytes || info-hash;
// repeat x = SHA-1(x) and take its five 4-byte big-endian words modulo the piece count, skipping
// duplicates, until `count` indexes are chosen. Masking to the /24 gives every address of one
// network the same set. BEP 6 defines no IPv6 variant, so none is offered here.
// Pure function; checked against the BEP 6 example vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <ccbt/hash.hpp>

namespace ccbt::wire {

// The first min(count, num_pieces) indexes of the set, in generation order (empty if num_pieces is 0).
[[nodiscard]] std::vector<std::uint32_t> allowed_fast_set(const sha1_hash& info_hash,
                                                          std::array<std::uint8_t, 4> ipv4,
                                                          std::uint32_t num_pieces, std::size_t count);

}  // namespace ccbt::wire
