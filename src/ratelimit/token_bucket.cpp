#include "ratelimit/token_bucket.hpp"

#include <algorithm>
#include <limits>

namespace ccbt::ratelimit {
namespace {

__extension__ using i128 = __int128;
constexpr std::int64_t nano = 1'000'000'000;
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

std::int64_t nanoseconds(duration d) noexcept { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

}  // namespace

std::int64_t default_burst(std::int64_t rate) noexcept {
  if (rate <= 0) return 0;
  return std::max(rate / 10, std::min<std::int64_t>(rate, 16 * 1024));
}

token_bucket::token_bucket(std::int64_t rate, std::int64_t burst, time_point now) noexcept { set_rate(rate, burst, now); }

token_bucket::level token_bucket::at(time_point now) const noexcept {
  if (unlimited()) return {int64_max, 0};
  const auto elapsed = nanoseconds(now - last_);
  if (elapsed <= 0 || tokens_ >= burst_) return {tokens_, frac_};
  // rate < 2^63 and elapsed < 2^63: the product fits in 126 bits.
  const i128 acc = static_cast<i128>(rate_) * elapsed + frac_;
  const i128 tokens = static_cast<i128>(tokens_) + acc / nano;
  if (tokens >= burst_) return {burst_, 0};
  return {static_cast<std::int64_t>(tokens), static_cast<std::int64_t>(acc % nano)};
}

void token_bucket::advance(time_point now) noexcept {
  const auto l = at(now);
  tokens_ = l.tokens;
  frac_ = l.frac;
  if (now > last_) last_ = now;
}

void token_bucket::set_rate(std::int64_t rate, std::int64_t burst, time_point now) noexcept {
  rate = std::max<std::int64_t>(rate, 0);
  const bool was_unlimited = unlimited();
  if (!was_unlimited) advance(now);
  else if (now > last_) last_ = now;
  rate_ = rate;
  if (rate_ == 0) {
    burst_ = tokens_ = frac_ = 0;
    return;
  }
  burst_ = burst > 0 ? burst : default_burst(rate_);
  if (was_unlimited) {
    tokens_ = burst_;  // a newly limited bucket starts full
    frac_ = 0;
  } else if (tokens_ >= burst_) {
    tokens_ = burst_;
    frac_ = 0;
  }
}

std::int64_t token_bucket::available(time_point now) const noexcept { return at(now).tokens; }

std::int64_t token_bucket::take(std::int64_t n, time_point now) noexcept {
  if (n <= 0) return 0;
  if (unlimited()) return n;
  advance(now);
  const auto granted = std::clamp<std::int64_t>(tokens_, 0, n);
  tokens_ -= granted;
  return granted;
}

void token_bucket::consume(std::int64_t n, time_point now) noexcept {
  if (n <= 0 || unlimited()) return;
  advance(now);
  // Debt is bounded far from overflow: nobody owes more than 2^62 bytes.
  tokens_ = std::max<std::int64_t>(tokens_ - std::min<std::int64_t>(n, std::int64_t{1} << 62), -(std::int64_t{1} << 62));
}

void token_bucket::refund(std::int64_t n, time_point now) noexcept {
  if (n <= 0 || unlimited()) return;
  advance(now);
  if (tokens_ >= burst_) return;
  tokens_ = std::min<std::int64_t>(burst_, tokens_ + std::min<std::int64_t>(n, burst_));
}

duration token_bucket::time_until(std::int64_t k, time_point now) const noexcept {
  if (unlimited()) return duration::zero();
  const auto l = at(now);
  k = std::min(k, burst_);
  if (l.tokens >= k) return duration::zero();
  const i128 need = (static_cast<i128>(k) - l.tokens) * nano - l.frac;  // in 1e-9 tokens
  const i128 ns = (need + rate_ - 1) / rate_;
  const auto capped = static_cast<std::int64_t>(std::min<i128>(ns, int64_max));
  return std::chrono::duration_cast<duration>(std::chrono::nanoseconds(capped));
}

}  // namespace ccbt::ratelimit
