// peer_list — one torrent's candidate peer addresses and the connection manager's decisions about
// them: which to try next, how long to wait after a failure, which to forget when the list is full,
// and which of two connections to the same peer to keep. Pure (no sockets, timers or io_context;
// net::tcp::endpoint is used only as a value), so it is unit-tested directly.
//
// Invariants: at most one entry per endpoint; size() <= max_size() except for manual entries (a
// user's --peer is never refused); an entry is `active` while a connection to it is being made or
// is open, and active entries are never evicted nor offered by candidates().
//
// Ranking (best first) of the entries candidates() offers:
//   1. fewer failures since the last good connection (never-failed first);
//   2. an entry we already had a good connection to before one we never reached;
//   3. the source: manual > magnet > tracker > incoming > pex;
//   4. a fixed hash of the address and port, so ties are broken the same way every time but
//      without favouring low addresses or ports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "net/asio.hpp"
#include "wire/handshake.hpp"

namespace ccbt::session_detail {

// Where a candidate peer address came from (for ranking, limits and the UI).
enum class peer_source : std::uint8_t { manual, tracker, pex, incoming, magnet };

class peer_list {
 public:
  using clock = std::chrono::steady_clock;

  struct entry {
    net::tcp::endpoint ep;
    peer_source source = peer_source::manual;
    int failures = 0;               // consecutive failed attempts (reset by a good connection)
    clock::time_point next_try{};   // not offered before this
    bool active = false;            // connecting or connected
    bool connected_once = false;    // a handshake with it completed at least once
    bool no_mse = false;            // our encrypted handshake with it failed: dial it in plaintext
  };

  enum class add_result : std::uint8_t { added, known, full };

  explicit peer_list(std::size_t max_size = 1000) : max_size_(max_size) {}

  void set_max_size(std::size_t n) noexcept { max_size_ = n; }
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] const entry* find(const net::tcp::endpoint& ep) const noexcept;

  // A new address. Known: its source is upgraded if the new one ranks better (and a manual one is
  // retried at once). Full: the worst-ranked inactive entry that ranks below the newcomer is
  // evicted; if there is none the address is dropped (`full`), unless it is manual.
  add_result add(const net::tcp::endpoint& ep, peer_source source);

  // Up to n endpoints to connect to now, best first: not active, next_try reached, and not
  // rejected by `skip` (bans, our own address).
  [[nodiscard]] std::vector<net::tcp::endpoint> candidates(
      clock::time_point now, std::size_t n,
      const std::function<bool(const net::tcp::endpoint&)>& skip = {}) const;

  // ---- the life of a connection attempt ----------------------------------------------------
  void on_connecting(const net::tcp::endpoint& ep);
  // The TCP connection failed or timed out: back-off 2 s, 4 s, 8 s ... 5 min.
  void on_connect_failed(const net::tcp::endpoint& ep, clock::time_point now);
  // The BitTorrent handshake completed: failures are forgotten.
  void on_connected(const net::tcp::endpoint& ep);
  // Marks an entry active without a connection attempt (an incoming peer that told its listen port).
  void mark_active(const net::tcp::endpoint& ep);
  // The connection ended. Before the handshake it counts as a failure (back-off as above); after a
  // protocol violation it is retried after 2 minutes; after a good connection, after 10 s.
  void on_closed(const net::tcp::endpoint& ep, clock::time_point now, bool handshake_done, bool protocol_error);
  // Our MSE handshake with it failed (the peer does not speak it): later attempts go in plaintext
  // straight away instead of paying for the failed exchange again (libtorrent keeps the same note).
  void on_mse_failed(const net::tcp::endpoint& ep);
  // Every entry may be tried at once (torrent resumed).
  void retry_now() noexcept;

  [[nodiscard]] static std::chrono::seconds backoff(int failures) noexcept;
  [[nodiscard]] static int source_rank(peer_source s) noexcept;

 private:
  struct rank_key {
    int failures;
    int never_connected;
    int source;
    std::uint64_t hash;
    auto operator<=>(const rank_key&) const = default;
  };
  [[nodiscard]] static rank_key rank(const entry& e) noexcept;
  entry* find_mut(const net::tcp::endpoint& ep) noexcept;

  std::size_t max_size_;
  std::vector<entry> entries_;
};

// Two connections of one torrent to the same peer (the same peer id): whether to keep the newer one
// (and close the older) — the rule libtorrent applies (bt_peer_connection.cpp), so that both ends
// close the same connection: the connection initiated by the peer with the greater peer id is kept.
// `newer_outgoing`: we initiated the newer connection.
[[nodiscard]] bool keep_newer_duplicate(bool newer_outgoing, const wire::peer_id& ours,
                                        const wire::peer_id& theirs) noexcept;

}  // namespace ccbt::session_detail
