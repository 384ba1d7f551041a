// Hierarchical rate limiter: global, per-torrent and per-peer token buckets for upload and download,
// with a fair queue for the peers that have to wait.
//
// Every byte a peer moves in a direction must fit its own bucket, its torrent's bucket and the global
// bucket for that direction (a rate of 0 at any level = unlimited there). The engine asks with
// request(): it gets what can be granted now (possibly all, possibly nothing) and the rest is queued.
// The engine then calls poll() at next_wakeup(), which hands out grants; queued peers are served
// in order of the bytes they have received since they started waiting, least first, one quantum at
// a time — so peers that compete for a bucket share it equally and none starves, whichever bucket
// is the tight one. A new request from a peer never overtakes waiters that share a limited bucket
// with it.
//
// Pure (L1): no clock, no timers, no threads. `now` is passed in; ids are small integers owned by
// the limiter (reused after removal, so drop an id when you remove it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "ratelimit/token_bucket.hpp"

namespace ccbt::ratelimit {

enum class direction : std::uint8_t { upload = 0, download = 1 };

using peer_id = std::uint32_t;
using torrent_id = std::uint32_t;
inline constexpr torrent_id no_torrent = 0xffffffffu;  // a peer before its handshake names a torrent

struct grant {
  peer_id peer;
  direction dir;
  std::int64_t bytes;  // granted now; the engine may move this many bytes
  bool complete;       // the peer's queued request is fully granted and left the queue
};

struct limiter_options {
  std::int64_t quantum = 16 * 1024;                 // bytes a waiter takes per turn
  duration min_wakeup = std::chrono::milliseconds(5);  // shortest sleep next_wakeup() suggests
};

class limiter {
 public:
  explicit limiter(limiter_options opts = {}) : opts_(opts) {}

  // Rates in bytes/s, 0 = unlimited; burst <= 0 = default_burst(rate). Changes apply at once; a
  // waiter may now be servable, so ask next_wakeup() again after a change.
  void set_global_rate(direction d, std::int64_t rate, time_point now, std::int64_t burst = 0);
  [[nodiscard]] torrent_id add_torrent();
  void remove_torrent(torrent_id t);  // its peers continue without a torrent level
  void set_torrent_rate(torrent_id t, direction d, std::int64_t rate, time_point now, std::int64_t burst = 0);
  [[nodiscard]] peer_id add_peer(torrent_id t = no_torrent);
  void set_peer_torrent(peer_id p, torrent_id t);
  void remove_peer(peer_id p);  // drops its queued requests
  void set_peer_rate(peer_id p, direction d, std::int64_t rate, time_point now, std::int64_t burst = 0);

  // Asks for n bytes. Returns the bytes granted now (0..n); the rest is queued and comes later as
  // grants from poll(). A peer has at most one queued request per direction: asking again while
  // queued adds to it (and grants nothing now).
  std::int64_t request(peer_id p, direction d, std::int64_t n, time_point now);
  // Drops the peer's queued request; returns the bytes that were still ungranted.
  std::int64_t cancel(peer_id p, direction d);
  // Bytes that moved without asking (protocol overhead, or a read that could not be sized): they
  // are charged to all three levels, which may go into debt.
  void consume(peer_id p, direction d, std::int64_t n, time_point now);
  // Bytes granted but not moved (a socket read that returned less than it was granted): they go
  // back to all three levels, each capped at its burst.
  void refund(peer_id p, direction d, std::int64_t n, time_point now);
  [[nodiscard]] std::int64_t global_rate(direction d) const { return global_[index(d)].rate(); }
  // The tightest rate of the peer's three levels, 0 when none limits it.
  [[nodiscard]] std::int64_t tightest_rate(peer_id p, direction d) const;

  // Hands out what the buckets allow to the queued requests; appends one grant per peer served.
  void poll(time_point now, std::vector<grant>& out);
  // When poll() should run next: nullopt if nothing is queued, `now` if something can be granted
  // now, else the time the first waiter can take a quantum (or its whole request, or 50 ms worth of
  // a slow bucket), at least now + min_wakeup.
  [[nodiscard]] std::optional<time_point> next_wakeup(time_point now) const;

  // Time until k bytes fit this peer's three buckets (ignoring the queue).
  [[nodiscard]] duration time_until(peer_id p, direction d, std::int64_t k, time_point now) const;
  [[nodiscard]] std::int64_t queued(peer_id p, direction d) const;  // ungranted bytes of its request
  [[nodiscard]] std::size_t waiters(direction d) const { return queue_[index(d)].size(); }

 private:
  static constexpr std::size_t index(direction d) noexcept { return static_cast<std::size_t>(d); }

  struct peer_state {
    bool used = false;
    torrent_id torrent = no_torrent;
    token_bucket bucket[2];
    std::int64_t want[2] = {0, 0};    // queued, ungranted bytes
    std::int64_t served[2] = {0, 0};  // bytes granted while queued, offset to the queue's level
    std::uint64_t seq[2] = {0, 0};    // arrival order, breaks ties
  };
  struct torrent_state {
    bool used = false;
    token_bucket bucket[2];
    std::uint32_t waiting[2] = {0, 0};  // its peers in the queue
  };

  // The three buckets of a peer, for one direction (torrent may be null).
  struct chain {
    token_bucket* peer;
    token_bucket* torrent;
    token_bucket* global;
    // Calls f on each bucket of the chain (take, consume and refund charge all three alike).
    template <class F>
    void each(F&& f) const {
      f(*peer);
      if (torrent) f(*torrent);
      f(*global);
    }
  };
  [[nodiscard]] chain buckets(peer_id p, direction d);
  [[nodiscard]] std::int64_t room(peer_id p, direction d, time_point now) const;  // min available, >= 0
  [[nodiscard]] bool all_unlimited(peer_id p, direction d) const;
  [[nodiscard]] bool must_queue(peer_id p, direction d) const;
  void enqueue(peer_id p, direction d, std::int64_t n);
  void dequeue(peer_id p, direction d);
  [[nodiscard]] torrent_state* torrent_of(peer_id p);
  [[nodiscard]] const torrent_state* torrent_of(peer_id p) const;

  limiter_options opts_;
  token_bucket global_[2];
  std::vector<peer_state> peers_;
  std::vector<peer_id> free_peers_;
  std::vector<torrent_state> torrents_;
  std::vector<torrent_id> free_torrents_;
  std::vector<peer_id> queue_[2];  // waiters, unordered (poll() orders them)
  std::uint64_t next_seq_ = 0;
  std::vector<peer_id> scratch_;
};

}  // namespace ccbt::ratelimit
