// A token bucket: `rate` bytes per second accrue up to `burst`; a transfer takes tokens first.
//
// Pure: the caller passes the current time (a steady clock reading) to every call, so the bucket is
// tested with simulated time. Accrual is exact to the byte over any span (the sub-byte remainder of
// rate x elapsed is carried, never rounded away). Tokens may go negative through consume() (bytes
// that had to be sent anyway, e.g. protocol overhead); later transfers then wait for the debt to be
// repaid. A rate of 0 means unlimited: the bucket always has tokens.
#pragma once

#include <chrono>
#include <cstdint>

namespace ccbt::ratelimit {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;

// A burst that follows the rate: 100 ms worth, but at least min(rate, 16 KiB) so one block fits
// whenever the rate allows it within a second.
[[nodiscard]] std::int64_t default_burst(std::int64_t rate) noexcept;

class token_bucket {
 public:
  token_bucket() = default;  // unlimited
  // rate in bytes/s (0 = unlimited); burst <= 0 picks default_burst(rate). Starts full.
  token_bucket(std::int64_t rate, std::int64_t burst, time_point now) noexcept;

  // Changes the rate live: tokens accrued so far at the old rate are kept (capped to the new burst).
  void set_rate(std::int64_t rate, std::int64_t burst, time_point now) noexcept;

  [[nodiscard]] bool unlimited() const noexcept { return rate_ == 0; }
  [[nodiscard]] std::int64_t rate() const noexcept { return rate_; }
  [[nodiscard]] std::int64_t burst() const noexcept { return burst_; }

  // Tokens at `now` (negative while in debt); INT64_MAX when unlimited. Does not change the bucket.
  [[nodiscard]] std::int64_t available(time_point now) const noexcept;
  // Takes min(n, available) tokens (0 when in debt) and returns how many were taken.
  std::int64_t take(std::int64_t n, time_point now) noexcept;
  // Takes n tokens unconditionally (may go into debt).
  void consume(std::int64_t n, time_point now) noexcept;
  // Gives back n tokens taken but not used (a read that returned less than granted); never fills
  // the bucket above its burst.
  void refund(std::int64_t n, time_point now) noexcept;
  // Time until min(k, burst) tokens are available; zero if they are now or the bucket is unlimited.
  [[nodiscard]] duration time_until(std::int64_t k, time_point now) const noexcept;

 private:
  struct level {
    std::int64_t tokens;
    std::int64_t frac;  // accrued fraction of a token, in units of 1/1e9 token
  };
  [[nodiscard]] level at(time_point now) const noexcept;
  void advance(time_point now) noexcept;

  std::int64_t rate_ = 0;
  std::int64_t burst_ = 0;
  std::int64_t tokens_ = 0;
  std::int64_t frac_ = 0;
  time_point last_{};
};

}  // namespace ccbt::ratelimit
