// request_pipeline — how many block requests to keep outstanding with one peer.
//
//   target = ceil(rate [bytes/s] * target_latency [s] / 16 KiB), clamped to [lo, hi]
//     lo = min_depth (16), or 1 when the peer is snubbed
//     hi = min(peer's reqq (BEP 10 handshake; 250 if it sent none), max_depth (250))
//   depth = snubbed ? 1 : min(target, window)
//
// `window` is the slow start: it begins at initial_depth (4) and grows by one for every block
// received (so it doubles every round trip, as in TCP slow start) until it reaches the target; it
// follows the target down again when the rate falls, and a timeout halves it (not below
// initial_depth). A fast peer thus reaches a deep queue within a few round trips, while a new or
// slow peer is not flooded with requests it may never answer. Pure: rates are measured by the
// caller, no clock here.
#pragma once

#include <cstdint>

namespace ccbt::picker {

struct pipeline_config {
  double target_latency_s = 2.0;       // how many seconds of data to keep in flight
  std::uint32_t min_depth = 16;        // floor of the rate-based target (not of slow start)
  std::uint32_t max_depth = 250;       // ceiling whatever the peer's reqq
  std::uint32_t initial_depth = 4;     // slow start begins here
  std::uint32_t default_reqq = 250;    // assumed when the peer announced no reqq
};

class request_pipeline {
 public:
  explicit request_pipeline(pipeline_config config = {}) noexcept
      : config_(config), window_(config.initial_depth) {}

  // Rate-based target, clamped (see the top of this file). peer_reqq = 0: the peer sent none.
  [[nodiscard]] std::uint32_t target(std::uint64_t rate_bytes_per_s, bool snubbed, std::uint32_t peer_reqq) const noexcept;
  // How many requests may be outstanding now.
  [[nodiscard]] std::uint32_t depth(std::uint64_t rate_bytes_per_s, bool snubbed, std::uint32_t peer_reqq) const noexcept;

  // A block arrived: slow start grows the window by one, up to the current target.
  void on_block_received(std::uint64_t rate_bytes_per_s, std::uint32_t peer_reqq) noexcept;
  // A request timed out: the window halves.
  void on_timeout() noexcept;

  [[nodiscard]] std::uint32_t window() const noexcept { return window_; }
  [[nodiscard]] const pipeline_config& config() const noexcept { return config_; }

 private:
  pipeline_config config_;
  std::uint32_t window_;
};

}  // namespace ccbt::picker
