// bandwidth — the session's rate limiting: one ratelimit::limiter (global, per-torrent and per-peer
// token buckets, a fair queue) driven by one timer on the network thread.
//
// A peer connection owns a bandwidth_channel. Before it reads from or writes to its socket, its
// coroutine co_awaits acquire(direction, n): that returns at once when the buckets have n bytes,
// else the request waits in the limiter's fair queue and the coroutine sleeps on the channel's own
// timer until poll() has granted all of it (the network thread never blocks, nothing spins). Reads
// take a chunk (chunk()) and give back what the read did not use (refund()); bytes that cannot wait
// (handshakes) are charged with consume(). Download limiting is socket-read throttling: unread data
// fills the kernel buffers and TCP's window stops the sender.
//
// Invariants: one thread (the network thread) uses a bandwidth and its channels. A channel's id is
// valid from construction to destruction; close() wakes its waiters, which then return false. The
// bandwidth outlives its channels and torrent slots; stop() drops its timer before the io_context
// goes away (channels destroyed later only touch the limiter).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "net/asio.hpp"
#include "ratelimit/limiter.hpp"

namespace ccbt::session_detail {

using ratelimit::direction;

class bandwidth_channel;

class bandwidth {
 public:
  explicit bandwidth(net::asio::io_context& io, ratelimit::limiter_options opts = {});
  ~bandwidth();
  bandwidth(const bandwidth&) = delete;
  bandwidth& operator=(const bandwidth&) = delete;

  // Rates in bytes/s, 0 = unlimited. Apply at once (waiters may become servable).
  void set_global_rate(direction d, std::int64_t rate);
  // The default per-peer limit: applied to every channel, present and future.
  void set_peer_rate(direction d, std::int64_t rate);
  [[nodiscard]] std::int64_t global_rate(direction d) const { return limiter_.global_rate(d); }

  [[nodiscard]] ratelimit::torrent_id add_torrent() { return limiter_.add_torrent(); }
  void remove_torrent(ratelimit::torrent_id t) { limiter_.remove_torrent(t); }
  void set_torrent_rate(ratelimit::torrent_id t, direction d, std::int64_t rate);

  // Drops the timer (session shutdown, before the io_context is destroyed).
  void stop();

  [[nodiscard]] ratelimit::limiter& limiter() noexcept { return limiter_; }

 private:
  friend class bandwidth_channel;
  static constexpr std::size_t index(direction d) noexcept { return static_cast<std::size_t>(d); }

  void attach(bandwidth_channel& c);
  void detach(bandwidth_channel& c);
  void schedule();  // arms the timer at the limiter's next wake-up
  void on_timer();

  ratelimit::limiter limiter_;
  std::unique_ptr<net::asio::steady_timer> timer_;
  bool armed_ = false;
  ratelimit::time_point armed_at_{};
  std::vector<bandwidth_channel*> channels_;  // indexed by limiter peer id
  std::vector<ratelimit::grant> grants_;
  std::int64_t peer_[2] = {0, 0};
};

class bandwidth_channel {
 public:
  bandwidth_channel(bandwidth& bw, net::asio::any_io_executor ex, ratelimit::torrent_id t);
  ~bandwidth_channel();
  bandwidth_channel(const bandwidth_channel&) = delete;
  bandwidth_channel& operator=(const bandwidth_channel&) = delete;

  // Waits until n bytes may move in direction d. false: the channel was closed meanwhile.
  net::awaitable<bool> acquire(direction d, std::int64_t n);
  // How much to ask for before a transfer of up to `want` bytes: all of it when nothing limits this
  // channel, else at most one quantum (16 KiB), so grants stay small and fair.
  [[nodiscard]] std::int64_t chunk(direction d, std::int64_t want) const;
  // True when some level (peer, torrent, global) limits this direction.
  [[nodiscard]] bool limited(direction d) const;
  // The tightest rate of its chain (0 = unlimited).
  [[nodiscard]] std::int64_t tightest_rate(direction d) const;
  void consume(direction d, std::int64_t n);  // moved without asking
  void refund(direction d, std::int64_t n);   // granted but not moved
  void close();                               // wakes waiters; acquire() returns false from now on
  [[nodiscard]] ratelimit::peer_id id() const noexcept { return id_; }

 private:
  friend class bandwidth;
  void wake(direction d);

  bandwidth& bw_;
  ratelimit::peer_id id_;
  bool closed_ = false;
  bool waiting_[2] = {false, false};
  net::asio::steady_timer signal_[2];
};

}  // namespace ccbt::session_detail
