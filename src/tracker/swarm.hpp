// The embedded tracker's peer database: which peers announced which torrent, as a pure structure
// (the caller passes `now`; no sockets, no clock).
//
// Invariants: memory is bounded by max_torrents × max_peers_per_torrent peers (a full torrent
// evicts its least recently seen peer; a new torrent beyond max_torrents is refused); a peer is
// identified by its address (IP from the socket, announced port); a peer never receives itself
// (same address or same peer id); seeds receive only leechers; a "stopped" announce removes the
// peer; peers that do not re-announce within peer_timeout are dropped by expire(); a whitelist,
// when set, refuses every other info-hash.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include <ccbt/error.hpp>

#include "tracker/errors.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker::server {

using clock = std::chrono::steady_clock;

struct swarm_options {
  std::chrono::seconds interval{1800};
  std::chrono::seconds min_interval{0};       // 0: none sent
  std::chrono::seconds peer_timeout{0};       // 0: 2 × interval + 60 s
  std::size_t max_peers_per_torrent = 2000;
  std::size_t max_torrents = 10000;
  std::size_t default_numwant = 50;
  std::size_t max_numwant = 200;
  std::optional<std::set<sha1_hash>> whitelist;
};

struct announce_in {
  announce_request request;  // info_hash, pid, left, ev, num_want
  peer_address from;         // the sender's IP with the announced port
  bool want_v4 = true;       // UDP: only the family of the socket; HTTP: both
  bool want_v6 = true;
};

struct announce_out {
  std::vector<peer_entry> peers;
  std::int64_t complete = 0;
  std::int64_t incomplete = 0;
  std::int64_t downloaded = 0;
};

struct swarm_stats {
  std::size_t torrents = 0;
  std::size_t peers = 0;
  std::size_t seeds = 0;
};

class swarm_registry {
 public:
  explicit swarm_registry(swarm_options opts, std::uint64_t seed = 0);

  // unknown_torrent (whitelist), tracker_failure ("tracker full") or the peers to hand out.
  [[nodiscard]] result<announce_out> announce(const announce_in& in, clock::time_point now);
  // Counts for one torrent (zeros if unknown); unknown_torrent if a whitelist refuses it.
  [[nodiscard]] result<scrape_entry> scrape(const sha1_hash& info_hash) const;
  // Drops peers silent for longer than the peer timeout, and torrents left without peers.
  void expire(clock::time_point now);

  [[nodiscard]] swarm_stats stats() const noexcept;
  [[nodiscard]] const swarm_options& options() const noexcept { return opts_; }
  [[nodiscard]] std::chrono::seconds peer_timeout() const noexcept;

 private:
  struct address_hash {
    std::size_t operator()(const peer_address& a) const noexcept;
  };
  struct hash_hash {
    std::size_t operator()(const sha1_hash& h) const noexcept;
  };
  struct peer {
    peer_address address;
    peer_id id;
    bool seed = false;
    clock::time_point last_seen;
  };
  struct torrent {
    std::vector<peer> peers;
    std::unordered_map<peer_address, std::size_t, address_hash> index;
    std::int64_t seeds = 0;
    std::int64_t downloaded = 0;
  };

  void remove_at(torrent& t, std::size_t i);

  swarm_options opts_;
  std::unordered_map<sha1_hash, torrent, hash_hash> torrents_;
  std::size_t peer_count_ = 0;
  std::size_t seed_count_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace ccbt::tracker::server
