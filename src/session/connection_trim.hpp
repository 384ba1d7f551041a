// Which connections to close when a connection limit is lowered below the number open: the least
// useful ones, never more than asked. Pure (no sockets): the torrent and the session describe their
// connections as trim_candidates and close the ones chosen.
//
// Least useful first: a connection still in its handshake; then a peer that chokes us (gives us
// nothing now) before one that unchokes us; then the lowest download rate from the peer; then the
// lowest upload rate to it (what seeding torrents are ranked by); ties: the most recently connected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ccbt::session_detail {

struct trim_candidate {
  bool handshake_done = true;
  bool unchokes_us = false;          // the peer does not choke us
  std::int64_t download_rate = 0;    // bytes/s from the peer
  std::int64_t upload_rate = 0;      // bytes/s to the peer
  std::int64_t connected_for_ms = 0; // how long it has been connected
};

// Indices into `c` of the `n` connections to close (all of them when n >= c.size()).
[[nodiscard]] std::vector<std::size_t> least_useful(const std::vector<trim_candidate>& c, std::size_t n);

}  // namespace ccbt::session_detail
